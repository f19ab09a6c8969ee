// Package localworker runs a real Flamenco Worker (flamenco-worker) on this machine for one Manager
// and supervises it: "Run a Worker here" in the tray's menu and the `worker` command. It has no Fyne
// import.
//
// Facts of the Worker this package relies on (Flamenco 3.3.1; see the captured log in
// internal/farm/testdata/flamenco-api/worker-log.txt):
//   - It reads flamenco-worker.yaml from its working directory: manager_url, worker_name,
//     restart_exit_code (and task_types, which this package leaves to the Worker's default).
//   - It keeps its credentials (flamenco-worker-credentials.yaml: worker_id, worker_secret) and its
//     database in $FLAMENCO_HOME. Each Manager gets its own directory, used as both, so credentials
//     never collide between Managers; the Worker's id at the Manager is read from that file.
//   - It logs to stdout, in colour even into a pipe.
//   - It exits 0 after the Manager set it offline, 1 after SIGINT or SIGTERM (it signs off first and
//     forces its own exit after 20 s, with code -2), and restart_exit_code when the Manager asks it
//     to restart: it is relaunched then.
//   - An idle awake Worker asks the Manager for a task every 20 s (±10 %), a busy one asks whether it
//     may keep running every 10 s, an asleep one checks every 3 s: a status change requested through
//     the API reaches it within about 22 s.
//
// Stopping follows the issue: POST …/workers/{id}/setstatus {"status":"offline"} (is_lazy for
// "after this task"), then SIGINT if it did not exit within OfflineGrace (or at once when the API
// does not take the request), then a kill KillAfter later. On Windows, where a child without a
// console cannot get SIGINT, the interrupt is CTRL_BREAK_EVENT to its process group when this
// program has a console to share, else the kill.
package localworker
