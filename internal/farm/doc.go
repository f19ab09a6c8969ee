// Package farm speaks Flamenco Manager's REST API v3 (as of Flamenco 3.3.1) and keeps, per Manager,
// what the tray's menu and the `status` command show: the farm state, Workers and jobs by status, and
// the user's own jobs, with a notice when one of them ends. It has no Fyne import.
//
// Facts of the API this package relies on (checked on a real 3.3.1 Manager; captures in
// testdata/flamenco-api):
//   - No authentication on the management API.
//   - GET /api/v3/worker-mgt/workers → {"workers":[{id, name, status, status_change?, last_seen,
//     version, can_restart}]}; GET …/workers/{id} adds ip_address, platform, supported_task_types and
//     task. POST …/workers/{id}/setstatus {"status", "is_lazy"} → 204 without a body; the change
//     shows as status_change until the Worker applies it.
//   - POST /api/v3/jobs/query {status_in, metadata, order_by, limit, offset} → {"jobs":[…]}, no total.
//     The metadata filter puts each key in a JSON path ($.key) and compares the value with = (with
//     LIKE when it has a %): a dotted key must be sent quoted ("\"user.name\""), or it matches
//     nothing. An order_by column the Manager does not know answers 500 {"code":500,"message":"error
//     querying for jobs"}.
//   - GET /api/v3/status (farm status) exists from 3.5 on; 3.3.1 answers 404 {"message":"Not Found"}.
//     Without it, ComputeFarmState applies 3.5's rules to the Workers and jobs.
//   - An unfiltered job query is 370 KB with 1,000 jobs: the Watcher never sends one.
//
// The Watcher follows the Manager's event bus (Socket.IO; managerapi.EventBus) and reads over HTTP
// what the bus does not tell; where the bus cannot be had it polls (Planner).
package farm
