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
// The event-bus client is a small Engine.IO 3 / Socket.IO 2 client on github.com/coder/websocket
// (engineio.go is the dialect, eventbus.go the connection), not github.com/graarh/golang-socketio, the
// 2017 library the Manager serves with. Chosen by test (libchoice_test.go runs both against one
// server replaying the Manager's frames): golang-socketio's client handles every incoming message in
// a goroutine of its own, so a burst of job updates is delivered out of order (4,700 to 4,900 of a
// 5,000-event burst arrived after a later event: a job's end before its start) and a slow consumer
// costs a goroutine and a buffered frame per event, without bound (5,000 goroutines for 5,000
// events); an unknown packet type or a binary frame closes its whole connection, and an event whose
// JSON does not parse is dropped without a word; its Dial takes no context and has no timeout,
// returns before the Engine.IO handshake, and its reads have no size limit (a 2 MiB frame is
// delivered); it pings every 30 s whatever the Manager asks. coder/websocket is maintained, takes a
// context everywhere and bounds what it reads. Here one goroutine (the caller of Next) reads the
// frames in order, only when asked, so a slow consumer slows the Manager's writes instead of filling
// memory; malformed frames are logged and skipped. Both are also checked against the captured
// transcripts (eventbus_test.go).
package managerapi
