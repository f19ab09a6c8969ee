// Package managerapi is the one client of a Flamenco Manager's API: its REST API v3 (the version,
// Workers, jobs, farm status) and its live event bus (Socket.IO over Engine.IO 3), with one URL
// normaliser (BaseURL), one set of size and time limits, and text from the Manager (job, Worker and
// Manager names) cleaned where it is decoded. It has no Fyne import and no state beyond a connection.
//
// Two generations of the jobs API: before 3.6 jobs are listed with POST /api/v3/jobs/query (filters),
// from 3.6 on with GET /api/v3/jobs (every job, unfiltered; AllJobs reads it as a stream). Each
// answers the other's route with 400 {"message":"method not allowed"}, which matches
// ErrNoSuchEndpoint: callers tell the generations apart by what the Manager answers, never by its
// version string.
//
// The event-bus client (eventbus.go, engineio.go) is a small Engine.IO 3 client on
// github.com/coder/websocket, not github.com/graarh/golang-socketio, the 2017 library the Manager
// serves with. Chosen by test (library_choice_test.go, against the same server replaying the
// Manager's frames): golang-socketio's client handles every incoming message in a goroutine of its
// own, so a burst of job updates arrives out of order (4,600 to 4,900 of 5,000 in a burst, with
// some 900 to 1,300 goroutines more at the peak), which would report a job's end before its start;
// an unknown packet type closes its whole connection, and an event whose JSON does not parse is
// dropped without a word; its Dial has no context or handshake timeout, its frames no size limit.
// coder/websocket is maintained, takes a context everywhere and bounds what it reads; the dialect
// itself is the few lines of engineio.go, read in order by one goroutine, with malformed frames
// logged and skipped. Both speak to the captured transcripts (bus_test.go).
package managerapi
