package managerapi

import (
	"encoding/json"
	"fmt"
)

// Version is the answer of GET /api/v3/version: the Manager's name and version.
type Version struct {
	Name         string `json:"name"`
	Version      string `json:"version"`
	ShortVersion string `json:"shortversion,omitempty"`
	Git          string `json:"git,omitempty"`
}

// DisplayVersion is the version to show a person: the short one when the Manager has it.
func (v Version) DisplayVersion() string {
	if v.ShortVersion != "" {
		return v.ShortVersion
	}
	return v.Version
}

// maxVersionField bounds each field of a version answer before cleaning: a real one is 90 bytes in
// all, so a longer field says the address is something else.
const maxVersionField = 200

// ParseVersion checks and decodes an /api/v3/version body. What the network says is shown in menus,
// notifications and terminals, so the fields are cleaned (no control or formatting characters: a
// bidi override could make "Studio Farm" of "mraF oidutS") and short. An answer that is not a
// Manager's matches ErrMalformed.
func ParseVersion(body []byte) (Version, error) {
	var v Version
	if err := json.Unmarshal(body, &v); err != nil {
		return Version{}, fmt.Errorf("%w: version answer is not the expected JSON: %v", ErrMalformed, err)
	}
	for _, field := range []string{v.Name, v.Version, v.ShortVersion, v.Git} {
		if len(field) > maxVersionField {
			return Version{}, fmt.Errorf("%w: version answer has an implausible field", ErrMalformed)
		}
	}
	v.Name = CleanText(v.Name, MaxManagerNameRunes)
	v.Version = CleanText(v.Version, MaxVersionRunes)
	v.ShortVersion = CleanText(v.ShortVersion, MaxVersionRunes)
	v.Git = CleanText(v.Git, MaxVersionRunes)
	if v.Name == "" || v.Version == "" {
		return Version{}, fmt.Errorf("%w: version answer lacks name or version", ErrMalformed)
	}
	return v, nil
}
