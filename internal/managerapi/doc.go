// Package managerapi is the one client of a Flamenco Manager's API: its REST API v3 (the version,
// Workers, jobs, farm status) and its live event bus (Socket.IO over Engine.IO 3), with one URL
// normaliser (BaseURL), one set of size and time limits, and text from the Manager (job, Worker and
// Manager names) cleaned where it is decoded. It has no Fyne import and no state beyond a connection.
package managerapi
