package singleinstance

import "runtime"

// platformClaims: the session bus's name where there is a session bus, else the lock and socket.
func platformClaims(id string) ([]claim, error) {
	return []claim{newDBusClaim(id), newLockClaim(id, runtime.GOOS)}, nil
}
