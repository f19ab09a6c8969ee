package farmstandin

import (
	"encoding/base64"
	"net/http"
	"strings"
)

// A request to /socket.io/ that is not a websocket handshake (a reverse proxy without the websocket
// headers sends the GET without Upgrade and with "Connection: close") is refused as the Manager
// refuses it: golang-socketio's WebsocketTransport.HandleConnection calls gorilla/websocket's
// Upgrade, whose refusal writes nothing (it keeps quiet "to maintain backwards compatibility"), then
// answers http.Error(w, "Upgrade failed: "+err.Error(), 503). So the client sees 503 Service
// Unavailable, text/plain, with gorilla's reason (TestEventBusRefusesAPlainGETAsGolangSocketIO
// compares the stand-in's answers with the library's, captured in testdata/golang-socketio).

// upgradeFailure is why gorilla/websocket (v1.5.3, the Manager's) does not take r as a websocket
// handshake, in its words and its order of checks; "" when it would.
func upgradeFailure(r *http.Request) string {
	const badHandshake = "websocket: the client is not using the websocket protocol: "
	switch {
	case !hasToken(r.Header, "Connection", "upgrade"):
		return badHandshake + "'upgrade' token not found in 'Connection' header"
	case !hasToken(r.Header, "Upgrade", "websocket"):
		return badHandshake + "'websocket' token not found in 'Upgrade' header"
	case r.Method != http.MethodGet:
		return badHandshake + "request method is not GET"
	case !hasToken(r.Header, "Sec-Websocket-Version", "13"):
		return "websocket: unsupported version: 13 not found in 'Sec-Websocket-Version' header"
	}
	key, err := base64.StdEncoding.DecodeString(r.Header.Get("Sec-Websocket-Key"))
	if err != nil || len(key) != 16 {
		return "websocket: not a websocket handshake: 'Sec-WebSocket-Key' header must be Base64 encoded value of 16-byte in length"
	}
	return ""
}

// serveUpgradeFailed answers a failed handshake as golang-socketio does.
func serveUpgradeFailed(w http.ResponseWriter, reason string) {
	http.Error(w, "Upgrade failed: "+reason, http.StatusServiceUnavailable)
}

// hasToken says whether a comma-separated list in header name holds token, case-insensitively.
func hasToken(header http.Header, name, token string) bool {
	for _, value := range header.Values(name) {
		for t := range strings.SplitSeq(value, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
