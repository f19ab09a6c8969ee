package discovery

import (
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"
)

// A Manager on two networks this computer is also on answers a search on each network from its
// address there, naming both of its addresses: 10.77.0.1 on the first, 10.88.0.1 on the second.
const (
	netA    = "http://10.77.0.1:8080"
	netB    = "http://10.88.0.1:8080"
	netALoc = netA + "/upnp/description.xml"
	netBLoc = netB + "/upnp/description.xml"
)

// newTwoNetworkRegistry is a registry on a computer with addresses on 10.77.0.0/24 and 10.88.0.0/24.
func newTwoNetworkRegistry() *Registry {
	r := NewRegistry()
	r.SetLocalNetworks([]netip.Prefix{netip.MustParsePrefix("10.77.0.2/24"), netip.MustParsePrefix("10.88.0.2/24"),
		netip.MustParsePrefix("127.0.0.1/8"), netip.MustParsePrefix("::1/128")})
	return r
}

// announce hands r the answers (source, LOCATION), refusals included: a refused LOCATION is not
// followed, whatever else it is.
func announce(r *Registry, now time.Time, answers ...[2]string) {
	for _, a := range answers {
		r.HandleAnswer(now, answerFrom(a[0], a[1]))
	}
}

func addressesListed(r *Registry) [][]string {
	var got [][]string
	for _, m := range r.Managers() {
		got = append(got, m.Addresses)
	}
	return got
}

func TestRegistryJoinsTheAddressesAManagerOnTwoNetworksAnnouncesTogether(t *testing.T) {
	t.Parallel()
	r := newTwoNetworkRegistry()
	versions := map[string]VersionInfo{netA: studio, netB: studio}
	announce(r, t0, [2]string{"10.77.0.1", netALoc}, [2]string{"10.77.0.1", netBLoc})
	// What the first network's answer names on the second is not checked because of it.
	if due := r.DueChecks(t0, 100); len(due) != 1 || due[0].String() != netA {
		t.Fatalf("checks due %v, want only %s", due, netA)
	}
	r.HandleCheck(t0, &url.URL{Scheme: "http", Host: "10.77.0.1:8080"}, studio, nil)
	events := r.Update(t0)
	if len(events) != 1 || events[0].Kind != ManagerAppeared {
		t.Fatalf("events %v, want one appeared", events)
	}
	id := events[0].Manager.ID

	// The answer on the second network, from its address there, names the first one too.
	later := t0.Add(2 * time.Second)
	announce(r, later, [2]string{"10.88.0.1", netBLoc}, [2]string{"10.88.0.1", netALoc})
	events = settle(r, later, versions, nil)
	if kinds := eventKinds(events); !slices.Equal(kinds, []EventKind{ManagerChanged}) || events[0].Manager.ID != id {
		t.Fatalf("events %v when its second address answered, want only %q changed", events, id)
	}
	want := Manager{ID: id, Name: "Studio Farm", Version: "3.3.1", URL: netA + "/", Host: "10.77.0.1",
		Addresses: []string{netA, netB}, Reachable: true}
	if ms := r.Managers(); len(ms) != 1 || !managersEqual(ms[0], want) {
		t.Fatalf("listed %+v, want %+v", ms, want)
	}
}

func TestRegistryNeverJoinsOnAOneSidedClaim(t *testing.T) {
	t.Parallel()
	r := newTwoNetworkRegistry()
	impostor := "http://10.77.0.100:8080"
	versions := map[string]VersionInfo{netA: studio, netB: studio, impostor: studio}
	announce(r, t0,
		[2]string{"10.77.0.1", netALoc}, [2]string{"10.77.0.1", netBLoc},
		[2]string{"10.88.0.1", netBLoc}, [2]string{"10.88.0.1", netALoc},
		// An impostor of the same name on the first network claims the Manager's second address.
		[2]string{"10.77.0.100", impostor + "/upnp/description.xml"}, [2]string{"10.77.0.100", netBLoc},
	)
	settle(r, t0, versions, nil)
	want := [][]string{{netA, netB}, {impostor}}
	if got := addressesListed(r); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("entries %q, want %q", got, want)
	}
}

func TestRegistryNeverJoinsAddressesOnOneNetworkOnClaims(t *testing.T) {
	t.Parallel()
	// Two machines on one network: a forged datagram from one naming the other is all it takes to
	// make their claims mutual. A Manager on one network answers from one address.
	r := newTwoNetworkRegistry()
	other := "http://10.77.0.9:8080"
	versions := map[string]VersionInfo{netA: studio, other: studio}
	announce(r, t0,
		[2]string{"10.77.0.1", netALoc}, [2]string{"10.77.0.1", other + "/"},
		[2]string{"10.77.0.9", other + "/"}, [2]string{"10.77.0.9", netALoc},
	)
	settle(r, t0, versions, nil)
	want := [][]string{{netA}, {other}}
	if got := addressesListed(r); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("entries %q, want %q", got, want)
	}
}

func TestRegistrySplitsWhenClaimsExpire(t *testing.T) {
	t.Parallel()
	r := newTwoNetworkRegistry()
	versions := map[string]VersionInfo{netA: studio, netB: studio}
	both := [][2]string{{"10.77.0.1", netALoc}, {"10.77.0.1", netBLoc}, {"10.88.0.1", netBLoc}, {"10.88.0.1", netALoc}}
	announce(r, t0, both...)
	settle(r, t0, versions, nil)
	ms := r.Managers()
	if len(ms) != 1 {
		t.Fatalf("listed %+v, want one entry", ms)
	}
	id := ms[0].ID
	r.Vouch(t0, id, true) // its bus is connected: nothing else wakes the registry

	// Both addresses keep answering; nothing announces them again. A search an hour and a quarter
	// later (a listed Manager's next search, at the latest) would have found it in time.
	expiry := t0.Add(claimKeep)
	if claimKeep < forgetAfter*5/4+time.Minute {
		t.Fatalf("claims last %v: a listed Manager's entry would split before its next search", claimKeep)
	}
	now := t0
	var events []Event
	for len(events) == 0 && now.Before(expiry.Add(time.Hour)) {
		now = nextWake(t, r, now)
		events = settle(r, now, versions, nil)
	}
	if now.Before(expiry) || now.After(expiry.Add(time.Minute)) {
		t.Errorf("split at %v, want when the claims expire (%v)", now.Sub(t0), claimKeep)
	}
	if kinds := eventKinds(events); !slices.Equal(kinds, []EventKind{ManagerChanged, ManagerAppeared}) {
		t.Fatalf("events %v once the claims expired, want the entry split", events)
	}
	if m := events[0].Manager; m.ID != id || m.URL != netA+"/" || !slices.Equal(m.Addresses, []string{netA}) {
		t.Errorf("the entry became %+v, want %q at %s alone", m, id, netA)
	}
	if m := events[1].Manager; m.ID == id || !slices.Equal(m.Addresses, []string{netB}) {
		t.Errorf("the second address became %+v, want an entry of its own", m)
	}

	// Announced again: one entry again, the one listed first.
	announce(r, now, both...)
	events = settle(r, now, versions, nil)
	if kinds := eventKinds(events); !slices.Equal(kinds, []EventKind{ManagerGone, ManagerChanged}) || events[1].Manager.ID != id {
		t.Fatalf("events %v when announced again, want %q to take the second address back", events, id)
	}
}

func TestRegistryIgnoresClaimsItCouldNeverUse(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	r.SetLocalNetworks([]netip.Prefix{netip.MustParsePrefix("10.77.0.2/24"), netip.MustParsePrefix("10.88.0.2/24"),
		netip.MustParsePrefix("127.0.0.1/8")})
	announce(r, t0,
		[2]string{"10.77.0.1", "http://127.0.0.1:8080/"}, // loopback on its machine
		[2]string{"10.77.0.1", "http://0.0.0.0:8080/"},   // unusable
		[2]string{"10.77.0.1", "http://[fe80::1]:8080/"}, // link-local
		[2]string{"10.77.0.1", "http://10.99.0.1:8080/"}, // not on this computer's networks
		[2]string{"10.77.0.1", "http://10.77.0.2:8080/"}, // this computer
		[2]string{"10.77.0.1", "http://10.77.0.7:8080/"}, // on the network it answered on
		[2]string{"10.77.0.2", "http://10.88.0.1:8080/"}, // from this computer
		[2]string{"10.99.0.1", "http://10.88.0.1:8080/"}, // from off this computer's networks
		[2]string{"10.77.0.1", "http://[fd00::1]:8080/"}, // IPv6: never a source of answers
	)
	if n := len(r.claims); n != 0 {
		t.Errorf("%d claims kept, want none: %v", n, r.claims)
	}
	for port := 8080; port < 8080+maxLocationsPerSource+2; port++ {
		r.HandleAnswer(t0, answerFrom("10.77.0.1", "http://10.88.0.1:"+strconv.Itoa(port)+"/"))
	}
	if n := len(r.claims); n != maxLocationsPerSource {
		t.Errorf("%d claims kept from one machine, want maxLocationsPerSource (%d)", n, maxLocationsPerSource)
	}
	if len(r.locations) != 0 {
		t.Errorf("claims made the registry follow %d addresses", len(r.locations))
	}
}

func TestRegistryNeverJoinsMutualClaimsOfTwoNames(t *testing.T) {
	t.Parallel()
	r := newTwoNetworkRegistry()
	versions := map[string]VersionInfo{netA: studio, netB: {Name: "Other Farm", Version: "3.3.1"}}
	announce(r, t0, [2]string{"10.77.0.1", netALoc}, [2]string{"10.77.0.1", netBLoc},
		[2]string{"10.88.0.1", netBLoc}, [2]string{"10.88.0.1", netALoc})
	settle(r, t0, versions, nil)
	want := [][]string{{netB}, {netA}}
	if got := addressesListed(r); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("entries %q, want %q", got, want)
	}
}
