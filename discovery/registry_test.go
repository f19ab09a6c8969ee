package discovery

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func answerFrom(source, location string) Answer {
	return Answer{Kind: SearchResponse, Location: location, USN: flamencoUSN, MaxAge: time.Hour,
		Source: netip.AddrPortFrom(netip.MustParseAddr(source), 1900)}
}

// checkAll runs every due check, answering with the version in versions (by base URL) or an error,
// until no more are due (a verified address can make a gated one due).
func checkAll(r *Registry, now time.Time, versions map[string]VersionInfo) {
	for {
		due := r.DueChecks(now, 100)
		if len(due) == 0 {
			return
		}
		for _, base := range due {
			if info, ok := versions[base.String()]; ok {
				r.HandleCheck(now, base, info, nil)
			} else {
				r.HandleCheck(now, base, VersionInfo{}, errors.New("connection refused"))
			}
		}
	}
}

func newTestRegistry(local ...string) *Registry {
	r := NewRegistry()
	var addrs []netip.Addr
	for _, a := range local {
		addrs = append(addrs, netip.MustParseAddr(a))
	}
	r.SetLocalAddresses(append(addrs, netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")))
	return r
}

var studio = VersionInfo{Name: "Studio Farm", Version: "3.3.1", ShortVersion: "3.3.1"}

func TestRegistryGroupsAndChoosesURL(t *testing.T) {
	t.Parallel()
	type announced struct{ source, location string }
	tests := []struct {
		name      string
		local     []string
		answers   []announced
		known     []string
		versions  map[string]VersionInfo
		want      []Manager
		wantError int // answers refused
	}{
		{
			name: "remote Manager's loopback LOCATIONs are dropped",
			answers: []announced{
				{"10.77.0.1", "http://10.77.0.1:8080/upnp/description.xml"},
				{"10.77.0.1", "http://127.0.0.1:8080/upnp/description.xml"},
				{"10.77.0.1", "http://[::1]:8080/upnp/description.xml"},
			},
			versions:  map[string]VersionInfo{"http://10.77.0.1:8080": studio, "http://127.0.0.1:8080": studio, "http://[::1]:8080": studio},
			wantError: 2,
			want: []Manager{{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.77.0.1:8080/", Host: "10.77.0.1",
				Addresses: []string{"http://10.77.0.1:8080"}, Reachable: true}},
		},
		{
			name:  "local Manager: LAN IPv4 before IPv6 before loopback, all grouped",
			local: []string{"10.77.0.2", "fd00::2"},
			answers: []announced{
				{"10.77.0.2", "http://[::1]:8080/upnp/description.xml"},
				{"10.77.0.2", "http://127.0.0.1:8080/upnp/description.xml"},
				{"10.77.0.2", "http://[fd00::2]:8080/upnp/description.xml"},
				{"10.77.0.2", "http://10.77.0.2:8080/upnp/description.xml"},
			},
			known: []string{"http://localhost:8080/"},
			versions: map[string]VersionInfo{"http://10.77.0.2:8080": studio, "http://127.0.0.1:8080": studio,
				"http://[::1]:8080": studio, "http://[fd00::2]:8080": studio, "http://localhost:8080": studio},
			want: []Manager{{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.77.0.2:8080/", Host: "10.77.0.2", Local: true, Reachable: true,
				Addresses: []string{"http://10.77.0.2:8080", "http://[fd00::2]:8080", "http://127.0.0.1:8080", "http://[::1]:8080", "http://localhost:8080"}}},
		},
		{
			name: "an address only a third party announced is never listed",
			answers: []announced{
				{"10.77.0.1", "http://10.77.0.1:8080/upnp/description.xml"},
				{"10.77.0.1", "http://10.88.0.1:8080/upnp/description.xml"},
			},
			versions:  map[string]VersionInfo{"http://10.88.0.1:8080": studio},
			wantError: 1,
			want:      nil,
		},
		{
			name: "an address that does not answer is not opened",
			answers: []announced{
				{"10.77.0.1", "http://10.77.0.1:8080/upnp/description.xml"},
				{"10.77.0.1", "http://10.77.0.1:9090/upnp/description.xml"},
			},
			versions: map[string]VersionInfo{"http://10.77.0.1:8080": studio},
			want: []Manager{{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.77.0.1:8080/", Host: "10.77.0.1",
				Addresses: []string{"http://10.77.0.1:8080"}, Reachable: true}},
		},
		{
			name: "a third party's announcement adds no address to a Manager",
			answers: []announced{
				{"10.77.0.1", "http://10.88.0.1:8080/upnp/description.xml"},
				{"10.77.0.1", "http://10.77.0.1:8080/upnp/description.xml"},
			},
			versions:  map[string]VersionInfo{"http://10.77.0.1:8080": studio, "http://10.88.0.1:8080": studio},
			wantError: 1,
			want: []Manager{{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.77.0.1:8080/", Host: "10.77.0.1",
				Addresses: []string{"http://10.77.0.1:8080"}, Reachable: true}},
		},
		{
			name: "an impostor that also announces the real Manager's address is an entry of its own",
			answers: []announced{
				{"10.0.0.100", "http://10.0.0.100:8080/upnp/description.xml"},
				{"10.0.0.100", "http://10.0.0.1:8080/upnp/description.xml"},
				{"10.0.0.1", "http://10.0.0.1:8080/upnp/description.xml"},
			},
			versions:  map[string]VersionInfo{"http://10.0.0.1:8080": studio, "http://10.0.0.100:8080": studio},
			wantError: 1,
			want: []Manager{
				{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.0.0.1:8080/", Host: "10.0.0.1", Ambiguous: true,
					Addresses: []string{"http://10.0.0.1:8080"}, Reachable: true},
				{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.0.0.100:8080/", Host: "10.0.0.100", Ambiguous: true,
					Addresses: []string{"http://10.0.0.100:8080"}, Reachable: true},
			},
		},
		{
			name: "an impostor that also forges a datagram from the Manager naming its own address is still an entry of its own",
			answers: []announced{
				{"10.77.0.5", "http://10.77.0.5:8080/upnp/description.xml"},
				{"10.77.0.5", "http://10.77.0.9:8080/upnp/description.xml"},
				{"10.77.0.9", "http://10.77.0.5:8080/upnp/description.xml"}, // forged source
				{"10.77.0.9", "http://10.77.0.9:8080/upnp/description.xml"},
			},
			versions:  map[string]VersionInfo{"http://10.77.0.5:8080": studio, "http://10.77.0.9:8080": studio},
			wantError: 2,
			want: []Manager{
				{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.77.0.5:8080/", Host: "10.77.0.5", Ambiguous: true,
					Addresses: []string{"http://10.77.0.5:8080"}, Reachable: true},
				{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.77.0.9:8080/", Host: "10.77.0.9", Ambiguous: true,
					Addresses: []string{"http://10.77.0.9:8080"}, Reachable: true},
			},
		},
		{
			name: "an impostor that announces only the real Manager's address changes nothing",
			answers: []announced{
				{"10.0.0.100", "http://10.0.0.1:8080/upnp/description.xml"},
				{"10.0.0.1", "http://10.0.0.1:8080/upnp/description.xml"},
				{"10.0.0.100", "http://10.0.0.1:8080/upnp/description.xml"},
			},
			versions:  map[string]VersionInfo{"http://10.0.0.1:8080": studio, "http://10.0.0.100:8080": studio},
			wantError: 2,
			want: []Manager{{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.0.0.1:8080/", Host: "10.0.0.1",
				Addresses: []string{"http://10.0.0.1:8080"}, Reachable: true}},
		},
		{
			name: "addresses of another machine are never joined, even announced for each other (the source can be forged)",
			answers: []announced{
				{"10.77.0.1", "http://10.77.0.1:8080/upnp/description.xml"},
				{"10.77.0.1", "http://10.77.0.2:8080/upnp/description.xml"},
				{"10.77.0.2", "http://10.77.0.2:8080/upnp/description.xml"},
			},
			versions:  map[string]VersionInfo{"http://10.77.0.1:8080": studio, "http://10.77.0.2:8080": studio},
			wantError: 1,
			want: []Manager{
				{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.77.0.1:8080/", Host: "10.77.0.1", Ambiguous: true,
					Addresses: []string{"http://10.77.0.1:8080"}, Reachable: true},
				{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.77.0.2:8080/", Host: "10.77.0.2", Ambiguous: true,
					Addresses: []string{"http://10.77.0.2:8080"}, Reachable: true},
			},
		},
		{
			name: "addresses announced for each other stay apart while this computer's networks are unknown (registry_claims_test.go joins them)",
			answers: []announced{
				{"10.77.0.1", "http://10.77.0.1:8080/upnp/description.xml"},
				{"10.77.0.1", "http://10.88.0.1:8080/upnp/description.xml"},
				{"10.88.0.1", "http://10.77.0.1:8080/upnp/description.xml"},
				{"10.88.0.1", "http://10.88.0.1:8080/upnp/description.xml"},
			},
			versions:  map[string]VersionInfo{"http://10.77.0.1:8080": studio, "http://10.88.0.1:8080": studio},
			wantError: 2,
			want: []Manager{
				{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.77.0.1:8080/", Host: "10.77.0.1", Ambiguous: true,
					Addresses: []string{"http://10.77.0.1:8080"}, Reachable: true},
				{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.88.0.1:8080/", Host: "10.88.0.1", Ambiguous: true,
					Addresses: []string{"http://10.88.0.1:8080"}, Reachable: true},
			},
		},
		{
			name: "two machines, same name: two Managers; two ports on one machine: two Managers",
			answers: []announced{
				{"10.77.0.1", "http://10.77.0.1:8080/upnp/description.xml"},
				{"10.77.0.3", "http://10.77.0.3:8080/upnp/description.xml"},
				{"10.77.0.3", "http://10.77.0.3:9090/upnp/description.xml"},
			},
			versions: map[string]VersionInfo{"http://10.77.0.1:8080": studio, "http://10.77.0.3:8080": studio,
				"http://10.77.0.3:9090": {Name: "Test Farm", Version: "3.4-beta0"}},
			want: []Manager{
				{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.77.0.1:8080/", Host: "10.77.0.1", Ambiguous: true, Addresses: []string{"http://10.77.0.1:8080"}, Reachable: true},
				{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.77.0.3:8080/", Host: "10.77.0.3:8080", Ambiguous: true, Addresses: []string{"http://10.77.0.3:8080"}, Reachable: true},
				{Name: "Test Farm", Version: "3.4-beta0", URL: "http://10.77.0.3:9090/", Host: "10.77.0.3:9090", Ambiguous: true, Addresses: []string{"http://10.77.0.3:9090"}, Reachable: true},
			},
		},
		{
			name: "hostile LOCATIONs are refused",
			answers: []announced{
				{"10.77.0.1", "file:///etc/passwd"},
				{"10.77.0.1", "http://admin:pw@10.77.0.1:8080/"},
				{"10.77.0.1", "http://evil.example.com:8080/"},
				{"10.77.0.1", "http://0.0.0.0:8080/"},
				{"10.77.0.1", "http://[fe80::1]:8080/"},
			},
			wantError: 5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRegistry(tt.local...)
			refused := 0
			for _, a := range tt.answers {
				if err := r.HandleAnswer(t0, answerFrom(a.source, a.location)); err != nil {
					refused++
				}
			}
			for _, k := range tt.known {
				if err := r.AddKnown(t0, k); err != nil {
					t.Fatal(err)
				}
			}
			if refused != tt.wantError {
				t.Errorf("refused %d answers, want %d", refused, tt.wantError)
			}
			checkAll(r, t0, tt.versions)
			events := r.Update(t0)
			got := r.Managers()
			for i := range got {
				got[i].ID = ""
			}
			if !slices.EqualFunc(got, tt.want, managersEqual) {
				t.Errorf("Managers:\n got %+v\nwant %+v", got, tt.want)
			}
			if len(events) != len(tt.want) {
				t.Errorf("%d events, want %d appeared: %v", len(events), len(tt.want), events)
			}
			for _, e := range events {
				if e.Kind != ManagerAppeared {
					t.Errorf("event %v, want appeared", e)
				}
			}
		})
	}
}

func TestRegistryLivenessOnInjectedTime(t *testing.T) {
	t.Parallel()
	r := newTestRegistry()
	lan := "http://10.77.0.1:8080"
	alive := map[string]VersionInfo{lan: studio}
	if err := r.HandleAnswer(t0, answerFrom("10.77.0.1", lan+"/upnp/description.xml")); err != nil {
		t.Fatal(err)
	}
	checkAll(r, t0, alive)
	if events := r.Update(t0); len(events) != 1 || events[0].Kind != ManagerAppeared {
		t.Fatalf("events %v, want one appeared", events)
	}

	// Checked every checkInterval while it answers; nothing changes.
	now := t0
	for range 5 {
		next := r.NextWake(now, true)
		if gap := next.Sub(now); gap != 5*time.Second {
			t.Fatalf("next check in %v, want 5s", gap)
		}
		now = next
		checkAll(r, now, alive)
		if events := r.Update(now); len(events) != 0 {
			t.Fatalf("events %v while alive", events)
		}
	}

	// It dies (no byebye). Walk the registry's own schedule until it is gone.
	died := now
	var sawUnreachable bool
	var goneAt time.Time
	for goneAt.IsZero() && now.Sub(died) < time.Minute {
		now = r.NextWake(now, true)
		checkAll(r, now, nil)
		for _, e := range r.Update(now) {
			switch {
			case e.Kind == ManagerChanged && !e.Manager.Reachable:
				sawUnreachable = true
			case e.Kind == ManagerGone:
				goneAt = now
			}
		}
	}
	if !sawUnreachable {
		t.Error("no 'changed: unreachable' event before it was removed")
	}
	if goneAt.IsZero() || goneAt.Sub(died) > 15*time.Second {
		t.Fatalf("gone after %v, want within 15s", goneAt.Sub(died))
	}
	if len(r.Managers()) != 0 {
		t.Fatalf("still listed: %v", r.Managers())
	}

	// It comes back: the next (backed-off) check finds it, without any SSDP answer.
	var back time.Time
	for back.IsZero() && now.Sub(goneAt) < 5*time.Minute {
		now = r.NextWake(now, true)
		checkAll(r, now, alive)
		for _, e := range r.Update(now) {
			if e.Kind == ManagerAppeared {
				back = now
			}
		}
	}
	if back.IsZero() || back.Sub(goneAt) > time.Minute {
		t.Errorf("came back after %v, want within the 1 min retry cap", back.Sub(goneAt))
	}
}

func TestRegistryRechecksAtOnceWhenAnnouncedAgain(t *testing.T) {
	t.Parallel()
	r := newTestRegistry()
	location := "http://10.77.0.1:8080/upnp/description.xml"
	r.HandleAnswer(t0, answerFrom("10.77.0.1", location))
	now := t0
	for range 6 { // failing: back-off grows
		now = r.NextWake(now, true)
		checkAll(r, now, nil)
	}
	if gap := r.NextWake(now, true).Sub(now); gap < 30*time.Second {
		t.Fatalf("back-off is %v after 6 failures, want ≥30s", gap)
	}
	r.HandleAnswer(now, answerFrom("10.77.0.1", location))
	if due := r.DueChecks(now.Add(minRecheckGap), 10); len(due) != 1 {
		t.Errorf("announced again: %d checks due, want 1 as soon as the minimum gap allows", len(due))
	}
}

func TestRegistryForgetsAndBounds(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	for i := range maxLocations + 2 {
		host := netip.AddrFrom4([4]byte{10, 77, byte(i / 250), byte(1 + i%250)})
		u := url.URL{Scheme: "http", Host: netip.AddrPortFrom(host, 8080).String()}
		err := r.HandleAnswer(t0, answerFrom(host.String(), u.String()))
		if (i < maxLocations) != (err == nil) {
			t.Errorf("answer %d: err = %v", i, err)
		}
	}
	r.AddKnown(t0, "http://10.77.9.9:8080/")
	checkAll(r, t0, nil)
	r.Update(t0.Add(AdvertisementMaxAge + time.Second))
	if n := len(r.locations); n != 0 {
		t.Errorf("%d addresses still tracked an hour after they were last announced", n)
	}
}

func TestRegistryListsKnownManagerWithoutSSDP(t *testing.T) {
	t.Parallel()
	r := newTestRegistry()
	if err := r.AddKnown(t0, "http://10.77.0.1:8080/app/"); err != nil {
		t.Fatal(err)
	}
	due := r.DueChecks(t0, 10)
	if len(due) != 1 || due[0].String() != "http://10.77.0.1:8080" {
		t.Fatalf("due %v", due)
	}
	r.HandleCheck(t0, due[0], studio, nil)
	if events := r.Update(t0); len(events) != 1 || events[0].Manager.URL != "http://10.77.0.1:8080/" {
		t.Fatalf("events %v", events)
	}
}

func TestRegistryRefusesOffLinkAndBoundsEachSource(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	r.SetLocalNetworks([]netip.Prefix{netip.MustParsePrefix("10.77.0.2/24"), netip.MustParsePrefix("127.0.0.1/8")})
	if err := r.HandleAnswer(t0, answerFrom("10.77.0.1", "http://8.8.8.8:8080/")); err == nil {
		t.Error("followed a LOCATION on a public address")
	}
	if err := r.HandleAnswer(t0, answerFrom("10.77.0.1", "http://10.99.0.1:8080/")); err == nil {
		t.Error("followed a LOCATION off this machine's networks")
	}
	for port := 8080; port < 8080+maxLocationsPerSource+2; port++ {
		err := r.HandleAnswer(t0, answerFrom("10.77.0.1", fmt.Sprintf("http://10.77.0.1:%d/", port)))
		if (port < 8080+maxLocationsPerSource) != (err == nil) {
			t.Errorf("port %d: err = %v", port, err)
		}
	}
	// Another machine still gets its own share.
	if err := r.HandleAnswer(t0, answerFrom("10.77.0.9", "http://10.77.0.9:8080/")); err != nil {
		t.Error(err)
	}
}

func TestRegistryRateLimitsChecksOfNewAddresses(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	for i := range maxLocations {
		loc := fmt.Sprintf("http://10.77.%d.%d:8080/", i/250, 1+i%250)
		host := netip.MustParseAddr(fmt.Sprintf("10.77.%d.%d", i/250, 1+i%250))
		r.HandleAnswer(t0, Answer{Kind: SearchResponse, Location: loc, Source: netip.AddrPortFrom(host, 1900)})
	}
	checked := 0
	now := t0
	for now.Before(t0.Add(10 * time.Second)) {
		due := r.DueChecks(now, 1000)
		checked += len(due)
		for _, base := range due {
			r.HandleCheck(now, base, VersionInfo{}, errors.New("refused"))
		}
		next := r.NextWake(now, true)
		if !next.After(now) {
			t.Fatalf("NextWake %v is not after now %v: the browser would spin", next, now)
		}
		now = next
	}
	// 20 at once, then 10 a second.
	if checked < 100 || checked > 125 {
		t.Errorf("%d checks of new addresses in 10s, want about 20 + 10/s", checked)
	}
}

func TestRegistryEvictsSilentUnverifiedAddressesWhenFull(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	r.HandleAnswer(t0, answerFrom("10.77.0.1", "http://10.77.0.1:8080/"))
	checkAll(r, t0, map[string]VersionInfo{"http://10.77.0.1:8080": studio})
	end := t0
	for i := 2; i < maxLocations+10; i++ {
		host := fmt.Sprintf("10.77.%d.%d", i/250, 1+i%250)
		end = t0.Add(time.Duration(i) * time.Second)
		r.HandleAnswer(end, answerFrom(host, "http://"+host+":8080/"))
		checkAll(r, end, map[string]VersionInfo{"http://10.77.0.1:8080": studio})
	}
	if len(r.locations) > maxLocations {
		t.Errorf("tracking %d addresses, bound is %d", len(r.locations), maxLocations)
	}
	r.Update(end)
	if ms := r.Managers(); len(ms) != 1 || ms[0].Name != "Studio Farm" {
		t.Errorf("the verified Manager was evicted: %+v", ms)
	}
}

func TestRegistryKeepsAManagerThatMissesOneCheck(t *testing.T) {
	t.Parallel()
	r := newTestRegistry()
	lan := "http://10.77.0.1:8080"
	r.HandleAnswer(t0, answerFrom("10.77.0.1", lan+"/upnp/description.xml"))
	checkAll(r, t0, map[string]VersionInfo{lan: studio})
	r.Update(t0)
	now := r.NextWake(t0, true)
	checkAll(r, now, nil) // one lost answer
	now = r.NextWake(now, true)
	checkAll(r, now, map[string]VersionInfo{lan: studio})
	for _, e := range r.Update(now) {
		if e.Kind == ManagerGone {
			t.Fatalf("removed after one missed check: %v", e)
		}
	}
	if ms := r.Managers(); len(ms) != 1 || !ms[0].Reachable {
		t.Errorf("listed %+v", ms)
	}
}

// A process that could not run (the laptop slept, SIGSTOP) must check before it decides: time that
// passed without checks says nothing about a Manager.
func TestRegistryPauseIsNotAnOutage(t *testing.T) {
	t.Parallel()
	lan := "http://10.77.0.1:8080"
	alive := map[string]VersionInfo{lan: studio}
	for _, pause := range []time.Duration{20 * time.Second, 8 * time.Hour} {
		t.Run(pause.String(), func(t *testing.T) {
			r := newTestRegistry()
			if err := r.HandleAnswer(t0, answerFrom("10.77.0.1", lan+"/upnp/description.xml")); err != nil {
				t.Fatal(err)
			}
			checkAll(r, t0, alive)
			r.Update(t0)

			woke := t0.Add(pause)
			if events := r.Update(woke); len(events) != 0 {
				t.Fatalf("after a pause of %v, before any check: events %v", pause, events)
			}
			if due := r.DueChecks(woke, 10); len(due) != 1 {
				t.Fatalf("after the pause %d checks due, want the Manager checked at once", len(due))
			} else {
				r.HandleCheck(woke, due[0], studio, nil)
			}
			if events := r.Update(woke); len(events) != 0 {
				t.Fatalf("after a good check: events %v", events)
			}
			if ms := r.Managers(); len(ms) != 1 || !ms[0].Reachable {
				t.Fatalf("listed %+v", ms)
			}
		})
	}
}

// After a pause the network may take a few seconds to come back (Wi-Fi reconnecting): failed checks
// mark the Manager unreachable, but it is removed only when checks have failed for goneAfter.
func TestRegistryRemovesOnlyAfterChecksFailedLongEnough(t *testing.T) {
	t.Parallel()
	r := newTestRegistry()
	lan := "http://10.77.0.1:8080"
	alive := map[string]VersionInfo{lan: studio}
	r.HandleAnswer(t0, answerFrom("10.77.0.1", lan+"/upnp/description.xml"))
	checkAll(r, t0, alive)
	r.Update(t0)

	now := t0.Add(time.Hour) // woke up, the network not back yet
	firstFailure := now
	var kinds []EventKind
	for now.Sub(firstFailure) < 3*time.Second {
		checkAll(r, now, nil)
		for _, e := range r.Update(now) {
			kinds = append(kinds, e.Kind)
		}
		now = nextWake(t, r, now)
	}
	if !slices.Equal(kinds, []EventKind{ManagerChanged}) {
		t.Fatalf("events while the network comes back: %v, want one change (unreachable)", kinds)
	}
	checkAll(r, now, alive)
	events := r.Update(now)
	if len(events) != 1 || events[0].Kind != ManagerChanged || !events[0].Manager.Reachable {
		t.Fatalf("events when it answers again: %v", events)
	}

	// Failing for good: gone once its checks have failed for goneAfter (5 s), not before.
	failingFrom := now.Add(checkInterval)
	var goneAt time.Time
	for goneAt.IsZero() && now.Sub(failingFrom) < time.Minute {
		now = nextWake(t, r, now)
		checkAll(r, now, nil)
		for _, e := range r.Update(now) {
			if e.Kind == ManagerGone {
				goneAt = now
			}
		}
	}
	if took := goneAt.Sub(failingFrom); goneAt.IsZero() || took < goneAfter || took > goneAfter+checkInterval {
		t.Errorf("gone %v after checks began to fail, want goneAfter (%v) to %v", took, goneAfter, goneAfter+checkInterval)
	}
}

// nextWake is r.NextWake, failing the test when the registry would never wake or would spin.
func nextWake(t *testing.T, r *Registry, now time.Time) time.Time {
	t.Helper()
	next := r.NextWake(now, true)
	if !next.After(now) {
		t.Fatalf("NextWake(%v) = %v: the browser would sleep forever or spin", now, next)
	}
	return next
}

func TestRegistryPendingCountsOwnAddressesBeingChecked(t *testing.T) {
	t.Parallel()
	r := newTestRegistry()
	r.HandleAnswer(t0, answerFrom("10.77.0.1", "http://10.77.0.1:8080/upnp/description.xml"))
	r.HandleAnswer(t0, answerFrom("10.77.0.1", "http://10.77.0.9:8080/upnp/description.xml")) // a claim only
	if n := r.Pending(); n != 1 {
		t.Errorf("before the check: %d pending, want 1", n)
	}
	due := r.DueChecks(t0, 10)
	if len(due) != 1 || r.Pending() != 1 {
		t.Fatalf("due %v, pending %d while it is checked; want 1 and 1", due, r.Pending())
	}
	r.HandleCheck(t0, due[0], studio, nil)
	if n := r.Pending(); n != 0 {
		t.Errorf("after the check: %d pending", n)
	}
}

// A laptop off the network (Wi-Fi still connecting after a resume, a cable out) cannot reach the
// Manager's network at all: that shows the Manager unreachable, and never removes it. Once checks
// reach the network again and fail there, it is removed as usual.
func TestRegistryNeverRemovesAManagerForLackOfARouteFromHere(t *testing.T) {
	t.Parallel()
	r := newTestRegistry()
	lan := "http://10.77.0.1:8080"
	r.HandleAnswer(t0, answerFrom("10.77.0.1", lan+"/upnp/description.xml"))
	checkAll(r, t0, map[string]VersionInfo{lan: studio})
	r.Update(t0)

	noRoute := fmt.Errorf("GET %s: %w: connect: network is unreachable", lan, errNoRouteFromHere)
	now := t0.Add(time.Hour)
	var kinds []EventKind
	for end := now.Add(10 * time.Minute); now.Before(end); now = nextWake(t, r, now) {
		for _, base := range r.DueChecks(now, 10) {
			r.HandleCheck(now, base, VersionInfo{}, noRoute)
		}
		for _, e := range r.Update(now) {
			kinds = append(kinds, e.Kind)
		}
	}
	if !slices.Equal(kinds, []EventKind{ManagerChanged}) {
		t.Fatalf("10 minutes off the network: events %v, want one change (unreachable)", kinds)
	}
	if ms := r.Managers(); len(ms) != 1 || ms[0].Reachable {
		t.Fatalf("listed %+v, want it listed as not answering", ms)
	}

	// Back on a network where the Manager does not answer: gone after goneAfter of such checks.
	back := now
	var goneAt time.Time
	for goneAt.IsZero() && now.Sub(back) < time.Minute {
		checkAll(r, now, nil)
		for _, e := range r.Update(now) {
			if e.Kind == ManagerGone {
				goneAt = now
			}
		}
		if goneAt.IsZero() {
			now = nextWake(t, r, now)
		}
	}
	if took := goneAt.Sub(back); goneAt.IsZero() || took < goneAfter || took > goneAfter+checkInterval {
		t.Errorf("gone %v after checks reached the network again, want %v to %v", took, goneAfter, goneAfter+checkInterval)
	}
}

// Failed checks on either side of a pause are two failed checks, not a span of 20 s; and a failed
// check after a while off the network is one failed check, not the end of a long outage.
func TestRegistryCountsFailedChecksNotTheTimeBetweenThem(t *testing.T) {
	t.Parallel()
	lan := "http://10.77.0.1:8080"
	alive := map[string]VersionInfo{lan: studio}
	timeout := errors.New("context deadline exceeded")
	hostUnreachable := errors.New("connect: no route to host")
	noRoute := fmt.Errorf("%w: connect: network is unreachable", errNoRouteFromHere)
	for _, tt := range []struct {
		name     string
		failures []error // each after a pause of 20 s; then the Manager answers
	}{
		{"a check timed out at suspend, one fails while the network settles", []error{timeout, hostUnreachable}},
		{"three failures around a pause", []error{timeout, timeout, hostUnreachable}},
		{"a failure, minutes off the network, a failure", []error{timeout, noRoute, noRoute, noRoute, noRoute, hostUnreachable}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRegistry()
			r.HandleAnswer(t0, answerFrom("10.77.0.1", lan+"/upnp/description.xml"))
			checkAll(r, t0, alive)
			r.Update(t0)
			now := t0
			for _, err := range tt.failures {
				now = now.Add(20 * time.Second)
				for _, base := range r.DueChecks(now, 10) {
					r.HandleCheck(now, base, VersionInfo{}, err)
				}
				for _, e := range r.Update(now) {
					if e.Kind == ManagerGone {
						t.Fatalf("gone after %v", tt.failures)
					}
				}
			}
			now = r.NextWake(now, true)
			checkAll(r, now, alive)
			r.Update(now)
			if ms := r.Managers(); len(ms) != 1 || !ms[0].Reachable {
				t.Errorf("listed %+v", ms)
			}
		})
	}
}

func TestRegistryListsManagersAddedByHand(t *testing.T) {
	t.Parallel()
	r := newTestRegistry()
	vpn := "http://10.8.0.5:8080" // over a VPN: no SSDP reaches it
	if err := r.AddManual(t0, vpn+"/app/"); err != nil {
		t.Fatal(err)
	}
	if err := r.AddManual(t0, "ftp://10.8.0.5/"); err == nil {
		t.Error("added an ftp URL")
	}
	checkAll(r, t0, map[string]VersionInfo{vpn: studio})
	events := r.Update(t0)
	if len(events) != 1 || events[0].Kind != ManagerAppeared || !events[0].Manager.Manual || events[0].Manager.URL != vpn+"/" {
		t.Fatalf("events %v", events)
	}
	// Hours later, never announced: still listed (it is the user's, and it answers).
	later := t0.Add(3 * time.Hour)
	for now := t0; now.Before(later); now = nextWake(t, r, now) {
		checkAll(r, now, map[string]VersionInfo{vpn: studio})
		if events := r.Update(now); len(events) != 0 {
			t.Fatalf("events while it answers: %v", events)
		}
	}
	if err := r.RemoveManual(vpn); err != nil {
		t.Fatal(err)
	}
	if events := r.Update(later); len(events) != 1 || events[0].Kind != ManagerGone {
		t.Errorf("after removing it: events %v", events)
	}
	if err := r.RemoveManual(vpn); err == nil {
		t.Error("removed it twice")
	}

	// One that its machine also announces stays, as found by searching.
	lan := "http://10.77.0.1:8080"
	r.AddManual(later, lan)
	r.HandleAnswer(later, answerFrom("10.77.0.1", lan+"/upnp/description.xml"))
	checkAll(r, later, map[string]VersionInfo{lan: studio})
	r.Update(later)
	r.RemoveManual(lan)
	r.Update(later)
	if ms := r.Managers(); len(ms) != 1 || ms[0].Manual || ms[0].URL != lan+"/" {
		t.Errorf("listed %+v, want the announced Manager, not marked", ms)
	}
}

func TestRegistryAsksNothingOfAVouchedManagerAndChecksAtOnceWhenTheVouchEnds(t *testing.T) {
	t.Parallel()
	r := newTestRegistry("10.77.0.2", "fd00::2")
	// A Manager on this machine, announced on three addresses: all are one Manager, all vouched.
	for _, loc := range []string{"http://10.77.0.2:8080/", "http://[fd00::2]:8080/", "http://127.0.0.1:8080/"} {
		if err := r.HandleAnswer(t0, answerFrom("10.77.0.2", loc)); err != nil {
			t.Fatal(err)
		}
	}
	versions := map[string]VersionInfo{"http://10.77.0.2:8080": studio, "http://[fd00::2]:8080": studio, "http://127.0.0.1:8080": studio}
	checkAll(r, t0, versions)
	r.Update(t0)
	managers := r.Managers()
	if len(managers) != 1 {
		t.Fatalf("managers = %+v, want one", managers)
	}
	id := managers[0].ID
	r.Vouch(t0, id, true)
	// An hour of a connected event bus: not one check, and the Manager stays listed and reachable.
	for now := t0; now.Before(t0.Add(time.Hour)); now = now.Add(time.Second) {
		if due := r.DueChecks(now, 100); len(due) != 0 {
			t.Fatalf("%v after the vouch: checks %v of a vouched Manager", now.Sub(t0), due)
		}
	}
	later := t0.Add(time.Hour)
	r.Update(later)
	if m := r.Managers(); len(m) != 1 || !m[0].Reachable {
		t.Fatalf("after an hour vouched: %+v, want the Manager listed and reachable", m)
	}
	if wake := r.NextWake(later, true); !wake.IsZero() && wake.Before(later.Add(time.Hour)) {
		t.Errorf("NextWake = %v while vouched: nothing should be due", wake)
	}
	// "Search again" checks a vouched Manager too, once: the user asked.
	r.CheckAllNow(later)
	asked := r.DueChecks(later, 100)
	if len(asked) != 3 {
		t.Errorf("after Search again: %d checks of the vouched Manager, want 3 (%v)", len(asked), asked)
	}
	for _, base := range asked {
		r.HandleCheck(later, base, studio, nil)
	}
	if due := r.DueChecks(later.Add(10*time.Second), 100); len(due) != 0 {
		t.Errorf("checks %v of the vouched Manager after the one Search again asked for", due)
	}
	// The bus closed: every address is checked at once.
	r.Vouch(later, id, false)
	if due := r.DueChecks(later, 100); len(due) != 3 {
		t.Errorf("after the vouch ended: %d checks due at once, want 3 (%v)", len(due), due)
	}
	// Another Manager's vouch does nothing to this one.
	r2 := newTestRegistry()
	if err := r2.HandleAnswer(t0, answerFrom("10.77.0.1", "http://10.77.0.1:8080/")); err != nil {
		t.Fatal(err)
	}
	checkAll(r2, t0, map[string]VersionInfo{"http://10.77.0.1:8080": studio})
	r2.Update(t0)
	r2.Vouch(t0, "someone else|10.77.0.9|8080", true)
	if due := r2.DueChecks(t0.Add(10*time.Second), 100); len(due) != 1 {
		t.Errorf("a vouch for another Manager stopped this one's checks: due %v", due)
	}
}
