// Package testkit holds the test harness, one folder per tool: network namespaces (netns), stand-in
// Managers for SSDP (standin) and for the REST API and event bus (farmstandin), a Worker's SSDP search
// (ssdpworker), a reverse proxy in front of one, as nginx with or without its websocket headers
// (proxystandin), a stand-in Worker (workerstandin), a test desktop panel and notification daemon
// (trayhost), a fake clock (fakeclock), the smallest Fyne tray for the idle benchmark (minimaltray), OS
// helpers for tests (ostest), a command's output buffer and waits (testio) and a Worker Supervisor as
// the Lender sees it (fakeworker).
//
// Nothing here is linked into the program: TestProgramLinksNoHarness in the main package checks
// `go list -deps .` for this tree and for the testing package.
package testkit
