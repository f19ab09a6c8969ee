// Package farmstandin is a test harness, not product code: a stand-in Flamenco Manager over a farm
// that tests change at will. It speaks as one of two generations, chosen by its version
// (WithVersion, SetVersion): 3.3 (jobs listed with POST /api/v3/jobs/query, no farm status) and 3.6+
// (every job, with its settings and metadata, from GET /api/v3/jobs; the query route gone), with
// 3.5's GET /api/v3/status and 3.8's job progress (steps_completed, steps_total) from those versions.
//
// Its management API (Workers, setstatus, jobs, status; handler.go, jobs_api.go), its Worker API
// (register, sign on, tasks, sign off; workerapi.go) and its event bus (Socket.IO over a websocket at
// /socket.io/; eventbus.go) serve one farm: a Worker process that registers is listed among its
// Workers, the jobs it runs are its jobs, and every change and check-in is told on the bus as the
// real Manager tells it. Workers change state, jobs move from queued to active to completed, failed
// or canceled, other users submit jobs, the Manager restarts (ids persist) or answers badly (slow,
// 500, huge, malformed, too old; its event bus dropped, refused, stalled, flooded), and keeps a log
// of what Workers and clients told it (events.go).
//
// Clients act on jobs with POST /api/v3/jobs/{id}/setstatus, which goes through the Manager's state
// machine as each generation does (pause from 3.6; jobstatus.go); JobStatusRequests lists what they
// asked. Jobs have last-rendered frames (lastrendered.go): RenderFrame is a Worker's upload (the
// captured JPEGs, the /last-rendered event to allLastRendered subscribers), GET
// /api/v3/jobs/{id}/last-rendered and /api/v3/jobs/last-rendered say where a frame is, and its three
// sizes are served under /job-files/ (Stats.Images counts them by job). A test makes the images
// misbehave with SetFrameImages (any bytes: a PNG, garbage, a huge body; nil for a 404) and
// StallImages (half the body, then nothing until released or the client leaves); SetMode does not
// touch them.
//
// Its answers and event frames are checked byte for byte against captures of real Managers
// (testdata/flamenco-api/3.3.1 and 3.8.5, and internal/farm/testdata/flamenco-api; conformance
// tests), so it cannot drift from the real thing. It keeps its own wire types, independent of
// internal/farm's and internal/managerapi's, so that a mistake in the client's reading of the API is
// not mirrored here.
package farmstandin

import (
	"crypto/rand"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"
)

// Farm is the state of a stand-in Manager: its Workers, jobs and tasks. Safe for concurrent use.
type Farm struct {
	mu            sync.Mutex
	name, git     string
	version       string
	now           func() time.Time
	workers       []*worker
	jobs          []*job // in submission order, as the Manager's table
	byID          map[string]*job
	queue         []*task // tasks waiting for a Worker, the first handed out first
	mode          Mode
	setStatusMode Mode
	stats         Stats
	events        []Event
	changed       chan struct{} // closed and replaced at every event
	hub           *eventHub     // the event bus (eventbus.go); its lock is taken after f.mu, never before
	farmState     string        // as last evaluated, to tell the bus of a change (busevents.go)
	workerUpdates int           // /workers updates so far: a Worker request that told none tells one

	frames          map[string]*lastFrame // last-rendered frames by job id (lastrendered.go)
	lastRenderedJob string                // the job of the farm's latest frame, "" before any
	imageStall      *imageStall           // while not nil, image requests wait for its release
	statusRequests  []JobStatusRequest    // POST /api/v3/jobs/{id}/setstatus, as handled (jobstatus.go)
}

// Option changes a Farm.
type Option func(*Farm)

// WithClock makes the Farm stamp times with now instead of time.Now (a fake clock's Now). Every time
// the Manager would read its clock it calls now once, so a test can hand out a sequence of times.
func WithClock(now func() time.Time) Option { return func(f *Farm) { f.now = now } }

// WithVersion makes the Manager report version v (default "3.3.1"), and answer as that version does:
// from "3.5" GET /api/v3/status and the farm status on the event bus, from "3.6" GET /api/v3/jobs
// instead of POST /api/v3/jobs/query, from "3.8" the jobs' progress.
func WithVersion(v string) Option { return func(f *Farm) { f.version = v } }

// WithGit makes the Manager report git as the commit it was built from (default "17b664f15", that of
// internal/farm's captures).
func WithGit(git string) Option { return func(f *Farm) { f.git = git } }

// SetVersion changes the version the Manager reports (an upgrade, done while it is down).
func (f *Farm) SetVersion(v string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version = v
}

// New returns an empty farm of a Manager named name.
func New(name string, opts ...Option) *Farm {
	f := &Farm{name: name, git: "17b664f15", version: "3.3.1", now: time.Now, byID: make(map[string]*job),
		changed: make(chan struct{}), hub: newEventHub()}
	for _, opt := range opts {
		opt(f)
	}
	f.farmState = f.evaluateFarmState()
	return f
}

type worker struct {
	ID                 string
	Secret             string // a registered Worker's, which it signs its requests with; "" for the others
	CanRestart         bool
	Name               string
	Status             string
	StatusChange       *statusChange
	LastSeen           time.Time
	Updated            time.Time // its database row's, which the event bus tells
	Version            string
	Address            string
	Platform           string
	SupportedTaskTypes []string
	Task               *task // the current or last task
}

type statusChange struct {
	Lazy   bool   `json:"is_lazy"`
	Status string `json:"status"`
}

type task struct {
	ID                         string
	Name                       string
	Index                      int // in its job, from 1
	Priority                   int
	Status                     string
	TaskType                   string
	Updated                    time.Time
	JobID                      string
	StepsCompleted, StepsTotal int
	Seconds                    int // how long its sleep command lasts
}

type job struct {
	ID                string
	Name              string
	Type              string
	Priority          int
	Status            string
	Activity          string
	Created, Updated  time.Time
	Metadata          map[string]string
	Settings          map[string]any
	SubmitterPlatform string
	StepsCompleted    int // Flamenco 3.8's progress, as told
	StepsTotal        int
	TaskSteps         int // the steps of its tasks, which a 3.8 Manager counts into StepsTotal at a requeue
}

// NewID returns a random UUID (version 4), as the Manager gives Workers and jobs.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// atLeast says whether version v is major.minor or later.
func atLeast(v string, major, minor int) bool {
	var haveMajor, haveMinor int
	if _, err := fmt.Sscanf(strings.TrimPrefix(v, "v"), "%d.%d", &haveMajor, &haveMinor); err != nil {
		return false
	}
	return haveMajor > major || haveMajor == major && haveMinor >= minor
}

// The features of a version, each where the captures show it (the README of testdata/flamenco-api).
func hasFarmStatus(v string) bool { return atLeast(v, 3, 5) } // GET /api/v3/status, /status events
func listsAllJobs(v string) bool  { return atLeast(v, 3, 6) } // GET /api/v3/jobs; no query route
func hasProgress(v string) bool   { return atLeast(v, 3, 8) } // steps_completed, steps_total

// Mode is how the Manager answers the farm API: normally, or one of the ways a Manager fails.
type Mode string

// The ways a stand-in can answer the farm API (/api/v3/version and the Worker API always answer
// normally, as the Manager stays listed and its Workers keep working).
const (
	Normal    Mode = ""
	Slow      Mode = "slow"      // never answers until the client gives up
	Failing   Mode = "500"       // 500 with the Manager's error body
	Huge      Mode = "huge"      // a 16 MB answer
	Malformed Mode = "malformed" // JSON cut off in the middle
	TooOld    Mode = "too-old"   // 404 for every farm endpoint, as a Manager without them
)

// SetMode makes the farm API answer as mode from the next request on.
func (f *Farm) SetMode(mode Mode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode = mode
}

// SetStatusAnswers makes POST /api/v3/worker-mgt/workers/{id}/setstatus alone answer as mode (Failing,
// Slow, …) while the rest of the farm API answers as SetMode says: a Manager that lists a Worker but
// does not take a request to change its status.
func (f *Farm) SetStatusAnswers(mode Mode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setStatusMode = mode
}

// Stats counts what the stand-in answered, for tests and the benchmark.
type Stats struct {
	Requests      int            // farm API requests (everything under /api/v3/ but the version and the Worker API), counted as they arrive
	Bytes         int64          // body bytes of those answers, counted once each is written
	LargestAnswer int64          // body bytes of the largest of those answers
	ByRoute       map[string]int // requests per route ("POST /api/v3/jobs/query", "GET /api/v3/jobs")
	Unfiltered    int            // job lists without a status_in or metadata filter (every GET /api/v3/jobs)
	LargestQuery  int            // most jobs returned by one query or list
	// AllRequests counts every HTTP request as it arrives, whatever it asks: the farm API, the
	// version, the Worker API, the event bus's upgrades (taken or refused), the pages; AllByRoute by
	// the route pattern it matched ("GET /api/v3/jobs/{id}", "GET /socket.io/"; "GET (no route)").
	AllRequests int
	AllByRoute  map[string]int
	// Images counts the requests for a last-rendered frame's files (GET /job-files/…), by the job id
	// the path names, as they arrive: stalled, refused (404) and conditional ones included.
	Images map[string]int
}

// Stats returns a copy of the counts so far.
func (f *Farm) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	s.ByRoute = maps.Clone(f.stats.ByRoute)
	if s.ByRoute == nil {
		s.ByRoute = map[string]int{}
	}
	s.AllByRoute = maps.Clone(f.stats.AllByRoute)
	if s.AllByRoute == nil {
		s.AllByRoute = map[string]int{}
	}
	s.Images = maps.Clone(f.stats.Images)
	if s.Images == nil {
		s.Images = map[string]int{}
	}
	return s
}

// ResetStats sets the counts to zero.
func (f *Farm) ResetStats() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats = Stats{}
}

func (f *Farm) countRequest(route string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stats.ByRoute == nil {
		f.stats.ByRoute = make(map[string]int)
	}
	f.stats.Requests++
	f.stats.ByRoute[route]++
}

func (f *Farm) countAnyRequest(route string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stats.AllByRoute == nil {
		f.stats.AllByRoute = make(map[string]int)
	}
	f.stats.AllRequests++
	f.stats.AllByRoute[route]++
}

func (f *Farm) countBytes(n int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats.Bytes += n
	f.stats.LargestAnswer = max(f.stats.LargestAnswer, n)
}

// countJobList counts a list of n jobs answered; unfiltered when it had no filter. f.mu held.
func (f *Farm) countJobList(n int, unfiltered bool) {
	if unfiltered {
		f.stats.Unfiltered++
	}
	f.stats.LargestQuery = max(f.stats.LargestQuery, n)
}
