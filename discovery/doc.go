// Package discovery finds, verifies and advertises Flamenco Managers over SSDP.
//
// What Managers do on the wire (read from Flamenco 3.3's source and captured packets, see testdata/):
//
//   - Every Manager advertises the service type urn:flamenco:manager:0 with the SAME device UUID
//     (aa80bc5f-…), so SSDP alone can tell neither two Managers apart nor two LOCATIONs of one Manager.
//     Identity comes from HTTP: GET /api/v3/version answers JSON with "name" and "version".
//   - A Manager advertises one LOCATION per address it has, loopback included
//     (http://127.0.0.1:8080/upnp/description.xml and http://[::1]:8080/… reach every peer too): for a
//     remote Manager those point at the wrong machine and are dropped.
//   - A Manager never sends ssdp:byebye, so a Manager that stops is noticed only by checking it.
//   - The Manager's responder (gossdp's server) answers M-SEARCHes one at a time, sleeping a random
//     0..MX seconds before each answer; every searcher on the LAN shares it. Searching often, or with a
//     large MX, slows discovery down for every Worker.
//
// Roles, one file each: Server (server.go) is the advertiser Flamenco's Manager uses, plus the byebye
// it forgets; what it reaches inside gossdp for that is in gossdp_internals.go alone. Browser
// (browser.go, its loop in browsing.go) is continuous discovery for the tray: its search socket
// (search.go) sends few M-SEARCHes with MX 1 on every multicast interface and reads the answers, the
// answer inbox (answerinbox.go) bounds what a flood costs, Prober (verify.go) verifies LOCATIONs over
// HTTP, and Registry follows addresses (registry.go), tracks their liveness (registry_liveness.go)
// and tells which are one Manager with an ID that stays (registry_identity.go, registry_claims.go),
// with the time passed in. The Browser looks host names up through its Resolver (resolve.go); a
// Manager's watcher vouches for it (vouch.go). Subscribers get the Browser's events through
// internal/hub. Advertiser (advertise.go) advertises a Manager running on this machine, unless it
// advertises itself (localsearch.go).
package discovery

import "time"

const (
	// ServiceType is the SSDP search target (ST) and notification type (NT) of a Flamenco Manager.
	ServiceType = "urn:flamenco:manager:0"
	// DeviceUUID is the device id every Flamenco Manager uses in its USN.
	DeviceUUID = "aa80bc5f-d0af-46b8-8630-23bd7e80ec4d"
	// MulticastAddress is the IPv4 SSDP group and port.
	MulticastAddress = "239.255.255.250:1900"
	// DescriptionPath is the path Flamenco puts in its LOCATIONs.
	DescriptionPath = "/upnp/description.xml"
	// AdvertisementMaxAge is the max-age Flamenco's Manager advertises with.
	AdvertisementMaxAge = 3600 * time.Second
	// DefaultLocalManagerURL is where a Manager on this machine listens by default.
	DefaultLocalManagerURL = "http://localhost:8080/"
)

// ssdpPort is the UDP port of the SSDP multicast group.
const ssdpPort = 1900
