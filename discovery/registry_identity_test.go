package discovery

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// dnsAnswers is what the injected resolver answers: host → addresses; a host not in it fails.
type dnsAnswers map[string][]netip.Addr

// settle runs every due check and host-name lookup at now, answering from versions and dns, until
// none is due, and returns what changed.
func settle(r *Registry, now time.Time, versions map[string]VersionInfo, dns dnsAnswers) []Event {
	for {
		checkAll(r, now, versions)
		due := r.DueResolutions(now, 100)
		if len(due) == 0 {
			return r.Update(now)
		}
		for _, host := range due {
			if addrs, ok := dns[host]; ok {
				r.Resolved(now, host, addrs, nil)
			} else {
				r.Resolved(now, host, nil, errors.New("no such host"))
			}
		}
	}
}

// eventKinds returns the kinds of events, in order.
func eventKinds(events []Event) []EventKind {
	kinds := make([]EventKind, len(events))
	for i, e := range events {
		kinds[i] = e.Kind
	}
	return kinds
}

const (
	farmhost   = "http://farmhost:8080"
	farmIP     = "http://10.99.0.1:8080"
	farmIPLoc  = farmIP + "/upnp/description.xml"
	farmSource = "10.99.0.1"
)

var farmDNS = dnsAnswers{"farmhost": {netip.MustParseAddr(farmSource)}}

func TestRegistryJoinsTheAddressFoundToTheNameListedFirst(t *testing.T) {
	t.Parallel()
	r := newTestRegistry()
	versions := map[string]VersionInfo{farmhost: studio, farmIP: studio}
	if err := r.AddManual(t0, farmhost+"/"); err != nil {
		t.Fatal(err)
	}
	events := settle(r, t0, versions, farmDNS)
	if len(events) != 1 || events[0].Kind != ManagerAppeared || events[0].Manager.URL != farmhost+"/" {
		t.Fatalf("events %v, want the Manager at farmhost appeared", events)
	}
	id := events[0].Manager.ID
	r.Vouch(t0, id, true) // its event bus connected

	// Found by searching at its address, an hour later: it joins the entry listed.
	later := t0.Add(time.Hour)
	if err := r.HandleAnswer(later, answerFrom(farmSource, farmIPLoc)); err != nil {
		t.Fatal(err)
	}
	events = settle(r, later, versions, farmDNS)
	if kinds := eventKinds(events); !slices.Equal(kinds, []EventKind{ManagerChanged}) {
		t.Fatalf("events %v when its address was found, want only one changed", events)
	}
	want := Manager{ID: id, Name: "Studio Farm", Version: "3.3.1", URL: farmhost + "/", Host: "farmhost",
		Addresses: []string{farmhost, farmIP}, Manual: true, Reachable: true}
	if ms := r.Managers(); len(ms) != 1 || !managersEqual(ms[0], want) {
		t.Fatalf("listed %+v, want %+v", ms, want)
	}
	// The address joined a Manager whose bus is connected: it is not checked either.
	for now := later; now.Before(later.Add(time.Hour)); now = now.Add(time.Second) {
		if due := r.DueChecks(now, 100); len(due) != 0 {
			t.Fatalf("%v later: checks %v of the vouched Manager's addresses", now.Sub(later), due)
		}
	}
}

func TestRegistryJoinsTheNameGivenToTheAddressListedFirst(t *testing.T) {
	t.Parallel()
	r := newTestRegistry()
	versions := map[string]VersionInfo{farmhost: studio, farmIP: studio}
	if err := r.HandleAnswer(t0, answerFrom(farmSource, farmIPLoc)); err != nil {
		t.Fatal(err)
	}
	events := settle(r, t0, versions, farmDNS)
	if len(events) != 1 || events[0].Kind != ManagerAppeared {
		t.Fatalf("events %v, want one appeared", events)
	}
	id := events[0].Manager.ID

	// Added by name: its check answers before its lookup does. It is not listed alone meanwhile.
	later := t0.Add(time.Minute)
	if err := r.AddManual(later, farmhost); err != nil {
		t.Fatal(err)
	}
	checkAll(r, later, versions)
	if events := r.Update(later); len(events) != 0 {
		t.Fatalf("events %v before the name was looked up, want none", events)
	}
	if r.Pending() == 0 {
		t.Error("nothing pending while the name's lookup is due")
	}
	events = settle(r, later, versions, farmDNS)
	if kinds := eventKinds(events); !slices.Equal(kinds, []EventKind{ManagerChanged}) || events[0].Manager.ID != id {
		t.Fatalf("events %v once the name resolved, want only %q changed", events, id)
	}
	if m := events[0].Manager; m.URL != farmhost+"/" || m.Host != "farmhost" || !slices.Equal(m.Addresses, []string{farmhost, farmIP}) {
		t.Errorf("joined entry %+v, want it opening the name given", m)
	}
}

func TestRegistryNeverJoinsOnTheNameAlone(t *testing.T) {
	t.Parallel()
	r := newTestRegistry()
	impostor := "http://10.99.0.100:8080"
	other := "http://10.99.0.5:8080"
	otherPort := "http://10.99.0.1:9090"
	versions := map[string]VersionInfo{farmhost: studio, farmIP: studio, impostor: studio, otherPort: studio,
		other: {Name: "Other Farm", Version: "3.3.1"}}
	// A DNS answer naming a machine where another Manager answers joins nothing to it.
	dns := dnsAnswers{"farmhost": {netip.MustParseAddr(farmSource), netip.MustParseAddr("10.99.0.5")}}
	r.AddManual(t0, farmhost)
	for _, a := range [][2]string{
		{farmSource, farmIPLoc},
		{"10.99.0.100", impostor + "/upnp/description.xml"}, // same name, another machine
		{"10.99.0.5", other + "/upnp/description.xml"},      // where the name resolves too, another name
		{farmSource, otherPort + "/upnp/description.xml"},   // same name and machine, another port
	} {
		if err := r.HandleAnswer(t0, answerFrom(a[0], a[1])); err != nil {
			t.Fatal(err)
		}
	}
	settle(r, t0, versions, dns)
	var got [][]string
	for _, m := range r.Managers() {
		got = append(got, m.Addresses)
	}
	want := [][]string{{other}, {otherPort}, {impostor}, {farmhost, farmIP}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("entries %q, want %q", got, want)
	}
}

// merged lists a Manager by name first and then finds it at its address, and returns its ID.
func merged(t *testing.T, r *Registry, versions map[string]VersionInfo) string {
	t.Helper()
	r.AddManual(t0, farmhost)
	settle(r, t0, versions, farmDNS)
	r.HandleAnswer(t0, answerFrom(farmSource, farmIPLoc))
	settle(r, t0, versions, farmDNS)
	ms := r.Managers()
	if len(ms) != 1 || len(ms[0].Addresses) != 2 {
		t.Fatalf("listed %+v, want one entry with both addresses", ms)
	}
	return ms[0].ID
}

func TestRegistrySplitsWhenTheNameResolvesElsewhere(t *testing.T) {
	t.Parallel()
	r := newTestRegistry()
	moved := "http://10.99.0.7:8080"
	versions := map[string]VersionInfo{farmhost: studio, farmIP: studio, moved: studio}
	id := merged(t, r, versions)

	// The Manager moved to another machine; DNS says so. The old address still answers.
	dns := dnsAnswers{"farmhost": {netip.MustParseAddr("10.99.0.7")}}
	now := t0
	var events []Event
	for len(events) == 0 && now.Before(t0.Add(5*time.Minute)) {
		now = nextWake(t, r, now)
		events = settle(r, now, versions, dns)
	}
	if now.Sub(t0) > time.Minute {
		t.Errorf("split %v after the DNS change, want within a minute", now.Sub(t0))
	}
	if kinds := eventKinds(events); !slices.Equal(kinds, []EventKind{ManagerChanged, ManagerAppeared}) {
		t.Fatalf("events %v, want the named entry changed and the address appeared on its own", events)
	}
	if m := events[0].Manager; m.ID != id || m.URL != farmhost+"/" || !slices.Equal(m.Addresses, []string{farmhost}) {
		t.Errorf("the named entry became %+v, want %q at farmhost alone", m, id)
	}
	if m := events[1].Manager; m.ID == id || m.URL != farmIP+"/" {
		t.Errorf("the address found became %+v, want an entry of its own", m)
	}
}

func TestRegistryKeepsTheLastLookupForAWhileWhenItFails(t *testing.T) {
	t.Parallel()
	r := newTestRegistry()
	versions := map[string]VersionInfo{farmhost: studio, farmIP: studio}
	merged(t, r, versions)

	// DNS stops answering; the Manager answers at both addresses throughout.
	now := t0
	for now.Before(t0.Add(resolutionKeep)) {
		now = nextWake(t, r, now)
		if events := settle(r, now, versions, nil); len(events) != 0 && now.Before(t0.Add(resolutionKeep)) {
			t.Fatalf("%v after DNS stopped answering: events %v, want the entry kept", now.Sub(t0), events)
		}
	}
	var events []Event
	for len(events) == 0 && now.Before(t0.Add(2*resolutionKeep)) {
		now = nextWake(t, r, now)
		events = settle(r, now, versions, nil)
	}
	if kinds := eventKinds(events); !slices.Equal(kinds, []EventKind{ManagerChanged, ManagerAppeared}) {
		t.Fatalf("events %v once the last lookup was too old, want the entry split", events)
	}
	if late := now.Sub(t0.Add(resolutionKeep)); late > time.Minute {
		t.Errorf("split %v after the last lookup expired", late)
	}
}

func TestRegistryKeepsTheEntryListedFirstWhenTwoTurnOutOne(t *testing.T) {
	t.Parallel()
	r := newTestRegistry()
	versions := map[string]VersionInfo{farmhost: studio, farmIP: studio}
	r.HandleAnswer(t0, answerFrom(farmSource, farmIPLoc))
	settle(r, t0, versions, nil)
	first := r.Managers()[0].ID
	// Added by name while DNS does not answer (the name still answers: a connection kept alive):
	// nothing says they are one, so it is listed on its own.
	later := t0.Add(time.Minute)
	r.AddManual(later, farmhost)
	if events := settle(r, later, versions, nil); len(events) != 2 {
		t.Fatalf("events %v, want the named entry appeared (and all entries ambiguous)", events)
	}
	// DNS answers again: the entries become one, and the one listed first stays.
	now := later
	var events []Event
	for len(events) == 0 && now.Before(later.Add(time.Minute)) {
		now = nextWake(t, r, now)
		events = settle(r, now, versions, farmDNS)
	}
	if kinds := eventKinds(events); !slices.Equal(kinds, []EventKind{ManagerGone, ManagerChanged}) || events[1].Manager.ID != first {
		t.Fatalf("events %v, want the named entry gone into %q", events, first)
	}
	if m := events[1].Manager; m.URL != farmhost+"/" || len(m.Addresses) != 2 {
		t.Errorf("the entry is %+v, want it opening the name given", m)
	}
}

func TestRegistryListsANewManagerOnceTheNamesGivenAreLookedUp(t *testing.T) {
	t.Parallel()
	r := newTestRegistry()
	versions := map[string]VersionInfo{farmhost: studio, farmIP: studio}
	// At start: its address remembered from the last run, its name set by IT. The address answers
	// first; the name's lookup and check are still running.
	r.AddKnown(t0, farmIP)
	r.AddManual(t0, farmhost)
	due := r.DueChecks(t0, 100)
	for _, base := range due {
		if base.String() == farmIP {
			r.HandleCheck(t0, base, studio, nil)
		}
	}
	if events := r.Update(t0); len(events) != 0 {
		t.Fatalf("events %v while the name given was being looked up, want none yet", events)
	}
	for _, base := range due {
		if base.String() == farmhost {
			r.HandleCheck(t0, base, studio, nil)
		}
	}
	events := settle(r, t0, versions, farmDNS)
	if len(events) != 1 || events[0].Kind != ManagerAppeared || events[0].Manager.URL != farmhost+"/" || len(events[0].Manager.Addresses) != 2 {
		t.Fatalf("events %v, want one Manager appeared at the name given, with both addresses", events)
	}
}
