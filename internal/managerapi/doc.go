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
// (engineio.go is the dialect, eventbus.go the connection), not github.com/graarh/golang-socketio,
// the 2017 library the Manager serves with. Measured against one server replaying the Manager's
// frames, golang-socketio's client handles each message in a goroutine of its own: 4,700 to 4,900
// of a 5,000-event burst arrived after a later event (a job's end before its start), and a slow
// consumer cost a goroutine and a frame per event without bound. An unknown packet, a noop or a
// binary frame closed its connection; a cut event was dropped without a word; its Dial takes no
// context and returns before the handshake; it reads frames of any size and pings every 30 s
// however soon its caller must notice a vanished Manager. Here the caller of Next reads the frames in order, only when asked (a
// slow consumer slows the Manager's writes), every step is bounded, malformed frames are logged and
// skipped, and the client pings at the pace its caller asks (eventbus_test.go has each case).
package managerapi
