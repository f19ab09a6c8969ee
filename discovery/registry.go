package discovery

// The registry's first job: which addresses, announced in SSDP answers or given by the user, are
// followed, and the Managers listed (identity in registry_identity.go, liveness in
// registry_liveness.go).

import (
	"cmp"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// Manager is a verified Flamenco Manager: one or more addresses that answered /api/v3/version as the
// same Manager.
type Manager struct {
	// ID stays the same while the Manager is listed, whatever addresses join or leave it; it is not
	// meaningful to people.
	ID      string
	Name    string
	Version string
	// URL is the web UI to open: the preferred address that answered (the host name the user gave,
	// if any), with "/". It is always an address the Manager's own machine announced (or one the
	// user gave), never a third party's.
	URL string
	// Host is URL's host (an IP address, or a name the user gave), with the port when another listed
	// Manager has the same host, to tell Managers apart.
	Host string
	// Ambiguous is true when more than one Manager is listed: names may be the same, or look the same
	// and differ (homoglyphs, invisible characters), so show Host next to the name.
	Ambiguous bool
	// Addresses are the base URLs (scheme://host:port) that answered, preferred first.
	Addresses []string
	// Local is true for a Manager running on this machine.
	Local bool
	// Manual is true for a Manager added by hand (by URL), not found by searching.
	Manual bool
	// Reachable is false once the last two checks of every address failed; the Manager is removed
	// when its checks have kept failing for goneAfter.
	Reachable bool
}

// EventKind says what happened to a Manager.
type EventKind string

const (
	ManagerAppeared EventKind = "appeared"
	ManagerChanged  EventKind = "changed"
	ManagerGone     EventKind = "gone"
	// SearchWindowClosed says the first search window ended (Browser only; Manager is empty).
	SearchWindowClosed EventKind = "search-window-closed"
)

// Event reports a change of the list of Managers. For ManagerGone, Manager is its last state.
type Event struct {
	Kind    EventKind
	Manager Manager
	Time    time.Time
}

// maxReporters bounds the machines remembered per address.
const maxReporters = 8

// location is one address (scheme://host:port) that may be a Manager.
type location struct {
	base   *url.URL
	host   string // as in base, lower case
	addr   netip.Addr
	local  bool
	known  bool // handed in by the caller (the user's own), not announced
	manual bool // added by hand (Add Manager by URL, discover --manager): listed as such
	// reporters are the machines that announced this address: only the address's own machine (the
	// answer came from it; for this machine, from any of its addresses).
	reporters map[netip.Addr]bool

	lastAnnounced time.Time
	info          VersionInfo
	verified      bool // answered as a Manager at least once
	lastOK        time.Time
	failing       bool // the last checks failed (twice in a row, for an address that answered before)
	failures      int  // checks failed in a row
	// conclusiveFailures counts the failed checks in a row that say something about the Manager
	// (not errNoRouteFromHere, which also restarts the count).
	conclusiveFailures int
	lastErr            string
	retryDelay         time.Duration
	nextCheck          time.Time
	lastCheck          time.Time
	inFlight           bool
	// vouched: the Manager's watcher hears from it, which says it is alive: no checks meanwhile.
	vouched bool
	// checkAsked: CheckAllNow asked for one check, vouched or not.
	checkAsked bool
}

// Registry groups addresses into Managers and decides when each is checked. It is a plain data type:
// no goroutines, no sockets, no clock; every input carries the time. Not safe for concurrent use.
type Registry struct {
	locations map[string]*location // by base URL
	local     map[netip.Addr]bool
	networks  []netip.Prefix     // this machine's subnets; empty means unknown (no on-link check)
	listed    map[string]Manager // by ID, as last reported
	tokens    float64            // for checks of new addresses
	tokensAt  time.Time

	// Identity (registry_identity.go): host names' lookups, and what the last Update listed.
	names    map[string]*nameLookup // by host name
	memberOf map[string]string      // listed address (base URL) → its Manager's ID
	since    map[string]time.Time   // Manager ID → when it was listed
	vouched  map[string]bool        // Manager IDs whose watcher hears from them
	claims   map[claim]time.Time    // another machine's LOCATION naming a third → when last announced (registry_claims.go)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		locations: make(map[string]*location),
		local:     make(map[netip.Addr]bool),
		listed:    make(map[string]Manager),
		tokens:    newCheckBurst,
		names:     make(map[string]*nameLookup),
		memberOf:  make(map[string]string),
		since:     make(map[string]time.Time),
		vouched:   make(map[string]bool),
		claims:    make(map[claim]time.Time),
	}
}

// SetLocalNetworks tells the registry this machine's addresses with their subnets: LOCATIONs outside
// those subnets are not followed.
func (r *Registry) SetLocalNetworks(prefixes []netip.Prefix) {
	addrs := make([]netip.Addr, 0, len(prefixes))
	r.networks = r.networks[:0]
	for _, p := range prefixes {
		addrs = append(addrs, p.Addr().Unmap())
		if !p.Addr().IsLoopback() {
			r.networks = append(r.networks, netip.PrefixFrom(p.Addr().Unmap(), p.Bits()).Masked())
		}
	}
	r.SetLocalAddresses(addrs)
}

func (r *Registry) onLink(addr netip.Addr) bool {
	if len(r.networks) == 0 || r.local[addr] {
		return true
	}
	for _, n := range r.networks {
		if n.Contains(addr) {
			return true
		}
	}
	return false
}

// SetLocalAddresses tells the registry which addresses are this machine's.
func (r *Registry) SetLocalAddresses(addrs []netip.Addr) {
	r.local = make(map[netip.Addr]bool, len(addrs))
	for _, a := range addrs {
		r.local[a.Unmap()] = true
	}
	for _, loc := range r.locations {
		loc.local = r.isLocalHost(loc.host, loc.addr)
	}
}

func (r *Registry) isLocalHost(host string, addr netip.Addr) bool {
	if addr.IsValid() {
		return addr.IsLoopback() || r.local[addr]
	}
	return host == "localhost"
}

// HandleAnswer records an SSDP answer. It returns an error (and records nothing) when the answer
// must not be followed: an unusable LOCATION, or a loopback LOCATION from another machine.
func (r *Registry) HandleAnswer(now time.Time, answer Answer) error {
	if answer.Kind == ByebyeNotify {
		r.handleByebye(now, answer)
		return nil
	}
	base, err := managerapi.BaseURL(answer.Location)
	if err != nil {
		return err
	}
	source := answer.Source.Addr().Unmap()
	addr, err := netip.ParseAddr(base.Hostname())
	if err != nil {
		return fmt.Errorf("LOCATION %q: host is not an IP address", answer.Location)
	}
	if addr.IsLoopback() && !r.local[source] && !source.IsLoopback() {
		return fmt.Errorf("LOCATION %q is loopback on the machine %s: not reachable from here", answer.Location, source)
	}
	if addr.IsUnspecified() || addr.IsMulticast() || addr.IsLinkLocalUnicast() {
		return fmt.Errorf("LOCATION %q: unusable address", answer.Location)
	}
	if !addr.IsLoopback() && !r.onLink(addr) {
		return fmt.Errorf("LOCATION %q is not on this machine's networks", answer.Location)
	}
	// Only the address's own machine speaks for it: the answer came from that address, and all of
	// this machine's addresses (loopback included) are one machine. A third party's LOCATION is not
	// followed at all: it could point us at any host, or put another host's page behind a name.
	local := addr.IsLoopback() || r.local[addr]
	if addr != source && !(local && (r.local[source] || source.IsLoopback())) {
		// Not followed; remembered as its claim, which only its counterpart's can confirm.
		r.noteClaim(now, source, addr, base.Scheme, base.Port())
		return fmt.Errorf("LOCATION %q names another machine than %s, which sent it", answer.Location, source)
	}
	key := base.String()
	if _, ok := r.locations[key]; !ok && r.countReportedBy(source) >= maxLocationsPerSource {
		return fmt.Errorf("%s already announced %d addresses; ignoring %s", source, maxLocationsPerSource, key)
	}
	loc, err := r.track(now, base, false)
	if err != nil {
		return err
	}
	loc.lastAnnounced = now
	if len(loc.reporters) < maxReporters {
		loc.reporters[source] = true
	}
	if loc.failing || !loc.verified {
		// Announced again: check soon rather than after the back-off.
		loc.nextCheck = maxTime(now, loc.lastCheck.Add(minRecheckGap))
		loc.retryDelay = 0
	}
	return nil
}

func (r *Registry) countReportedBy(source netip.Addr) int {
	n := 0
	for _, loc := range r.locations {
		if loc.reporters[source] {
			n++
		}
	}
	return n
}

// AddKnown adds an address remembered from an earlier run, to be checked at once.
func (r *Registry) AddKnown(now time.Time, rawURL string) error {
	base, err := managerapi.BaseURL(rawURL)
	if err != nil {
		return err
	}
	_, err = r.track(now, base, true)
	return err
}

// AddManual adds an address the user gave by hand (a Manager that multicast cannot reach: over a
// VPN, in Docker or WSL2, on a routed subnet), to be checked at once, listed as added by hand, and
// never forgotten until RemoveManual. It is checked like any other; it needs no SSDP.
func (r *Registry) AddManual(now time.Time, rawURL string) error {
	base, err := managerapi.BaseURL(rawURL)
	if err != nil {
		return err
	}
	loc, err := r.track(now, base, true)
	if err != nil {
		return err
	}
	loc.manual = true
	loc.nextCheck, loc.retryDelay = now, 0
	return nil
}

// RemoveManual undoes AddManual: the address is dropped, unless its own machine announced it, when
// it stays as found by searching.
func (r *Registry) RemoveManual(rawURL string) error {
	base, err := managerapi.BaseURL(rawURL)
	if err != nil {
		return err
	}
	loc, ok := r.locations[base.String()]
	if !ok || !loc.manual {
		return fmt.Errorf("%s was not added by hand", base)
	}
	if len(loc.reporters) == 0 {
		delete(r.locations, base.String())
		return nil
	}
	loc.manual, loc.known = false, false
	return nil
}

func (r *Registry) track(now time.Time, base *url.URL, known bool) (*location, error) {
	key := base.String()
	if loc, ok := r.locations[key]; ok {
		loc.known = loc.known || known
		return loc, nil
	}
	if len(r.locations) >= maxLocations && !r.evictOne() {
		return nil, fmt.Errorf("already tracking %d addresses; ignoring %s", len(r.locations), key)
	}
	host := strings.ToLower(base.Hostname())
	addr, _ := netip.ParseAddr(host)
	loc := &location{
		base:          base,
		host:          host,
		addr:          addr,
		known:         known,
		reporters:     make(map[netip.Addr]bool),
		nextCheck:     now,
		lastAnnounced: now,
	}
	loc.local = r.isLocalHost(host, addr)
	r.locations[key] = loc
	if loc.isHostName() && r.names[host] == nil {
		r.names[host] = &nameLookup{}
	}
	return loc, nil
}

// Update forgets stale addresses, recomputes the Managers and returns what changed since the last
// Update.
func (r *Registry) Update(now time.Time) []Event {
	r.forgetStale(now)
	r.forgetNames()
	r.forgetClaims(now)
	managers, memberOf := r.computeManagers(now)
	current := make(map[string]Manager, len(managers))
	for _, m := range managers {
		current[m.ID] = m
	}
	var events []Event
	for id, m := range current {
		old, listed := r.listed[id]
		switch {
		case !listed:
			r.since[id] = now
			events = append(events, Event{Kind: ManagerAppeared, Manager: m, Time: now})
		case !managersEqual(old, m):
			events = append(events, Event{Kind: ManagerChanged, Manager: m, Time: now})
		}
	}
	for id, old := range r.listed {
		if _, ok := current[id]; !ok {
			old.Reachable = false
			delete(r.since, id)
			events = append(events, Event{Kind: ManagerGone, Manager: old, Time: now})
		}
	}
	r.listed, r.memberOf = current, memberOf
	r.applyVouches(now)
	slices.SortFunc(events, func(a, b Event) int {
		return cmp.Or(cmp.Compare(eventOrder(a.Kind), eventOrder(b.Kind)), compareManagers(a.Manager, b.Manager))
	})
	return events
}

func eventOrder(kind EventKind) int {
	return map[EventKind]int{ManagerGone: 0, ManagerChanged: 1, ManagerAppeared: 2}[kind]
}

// Managers returns the Managers as of the last Update, sorted by name.
func (r *Registry) Managers() []Manager {
	managers := make([]Manager, 0, len(r.listed))
	for _, m := range r.listed {
		m.Addresses = slices.Clone(m.Addresses)
		managers = append(managers, m)
	}
	slices.SortFunc(managers, compareManagers)
	return managers
}

func compareManagers(a, b Manager) int {
	return cmp.Or(
		cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)),
		cmp.Compare(a.Name, b.Name),
		compareHosts(a.Host, b.Host),
		cmp.Compare(a.URL, b.URL),
		cmp.Compare(a.ID, b.ID),
	)
}

// compareHosts orders addresses as addresses (10.0.0.2 before 10.0.0.10), then names.
func compareHosts(a, b string) int {
	aa, errA := netip.ParseAddr(a)
	ab, errB := netip.ParseAddr(b)
	if errA == nil && errB == nil {
		return aa.Compare(ab)
	}
	return cmp.Or(cmp.Compare(boolRank(errA != nil), boolRank(errB != nil)), cmp.Compare(a, b))
}

func managersEqual(a, b Manager) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Version == b.Version && a.URL == b.URL && a.Host == b.Host &&
		a.Ambiguous == b.Ambiguous && a.Local == b.Local && a.Manual == b.Manual && a.Reachable == b.Reachable && slices.Equal(a.Addresses, b.Addresses)
}

// compareForOpening orders a Manager's addresses for opening: host names (only the user gives
// those: the address they gave), then LAN IPv4, then IPv6, then loopback (listed only for a Manager
// on this machine); then by address, so the choice is stable. All of them are the Manager's own
// machine's.
func compareForOpening(a, b *location) int {
	return cmp.Or(
		cmp.Compare(addressRank(a), addressRank(b)),
		cmp.Compare(boolRank(!a.addr.IsValid()), boolRank(!b.addr.IsValid())),
		a.addr.Compare(b.addr),
		cmp.Compare(a.base.Port(), b.base.Port()),
		cmp.Compare(a.base.String(), b.base.String()),
	)
}

func addressRank(loc *location) int {
	switch {
	case loc.addr.IsValid() && loc.addr.IsLoopback(), loc.host == "localhost":
		return 3
	case loc.addr.Is4():
		return 1
	case loc.addr.Is6():
		return 2
	default:
		return 0
	}
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (r *Registry) sortedLocations() []*location {
	locs := make([]*location, 0, len(r.locations))
	for _, loc := range r.locations {
		locs = append(locs, loc)
	}
	slices.SortFunc(locs, func(a, b *location) int { return cmp.Compare(a.base.String(), b.base.String()) })
	return locs
}

// Listed returns how many Managers are listed as of the last Update.
func (r *Registry) Listed() int { return len(r.listed) }
