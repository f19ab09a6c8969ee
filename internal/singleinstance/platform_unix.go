//go:build unix && !linux

package singleinstance

// platformClaims: macOS and the BSDs have no session bus to rely on; the lock and socket decide.
func platformClaims(id string) []claim {
	return []claim{newLockClaim(id)}
}
