package farm

import (
	"cmp"
	"os"
	"os/user"
	"strings"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// DefaultMetadataKey is the job metadata key that names who submitted a job, as a studio's custom
// job type sets it (see the README).
const DefaultMetadataKey = "user.name"

// Identity says which jobs are the user's: those whose metadata MetadataKey equals UserName, with
// case ignored.
type Identity struct {
	MetadataKey string
	UserName    string
}

// DefaultIdentity is the OS login under DefaultMetadataKey.
func DefaultIdentity() Identity {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return Identity{MetadataKey: DefaultMetadataKey, UserName: CleanUserName(cmp.Or(name, os.Getenv("USER"), os.Getenv("USERNAME")))}
}

// CleanUserName is the user part of a login: Windows' DOMAIN\user → user, spaces trimmed.
func CleanUserName(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimSpace(name)
}

// Normalized fills in the defaults: DefaultMetadataKey for an empty key, and the user part of the
// name.
func (id Identity) Normalized() Identity {
	id.MetadataKey = strings.TrimSpace(id.MetadataKey)
	if id.MetadataKey == "" {
		id.MetadataKey = DefaultMetadataKey
	}
	id.UserName = CleanUserName(id.UserName)
	return id
}

// Owns says whether j is the user's. No user name owns nothing. The job's value is cleaned like a
// login too, so a job type script that stored DOMAIN\user still matches.
func (id Identity) Owns(j managerapi.Job) bool {
	id = id.Normalized()
	if id.UserName == "" {
		return false
	}
	value, ok := j.Metadata[id.MetadataKey]
	return ok && strings.EqualFold(CleanUserName(value), id.UserName)
}

// Carries says whether j has the identity's metadata key at all.
func (id Identity) Carries(j managerapi.Job) bool {
	_, ok := j.Metadata[id.Normalized().MetadataKey]
	return ok
}
