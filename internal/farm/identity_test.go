package farm

import (
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

func TestCleanUserName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`STUDIO\alice`:  "alice",
		`alice`:         "alice",
		` Bob `:         "Bob",
		`A\B\carol`:     "carol",
		`STUDIO\`:       "",
		``:              "",
		`dave@studio`:   "dave@studio",
		`.\local-admin`: "local-admin",
	} {
		if got := CleanUserName(in); got != want {
			t.Errorf("CleanUserName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIdentityOwns(t *testing.T) {
	t.Parallel()
	job := func(metadata map[string]string) managerapi.Job { return managerapi.Job{ID: "j", Metadata: metadata} }
	alice := Identity{UserName: "alice"}
	for _, tc := range []struct {
		name string
		id   Identity
		job  managerapi.Job
		want bool
	}{
		{"default key", alice, job(map[string]string{"user.name": "alice"}), true},
		{"case ignored", alice, job(map[string]string{"user.name": "Alice"}), true},
		{"Windows login in Settings", Identity{UserName: `STUDIO\Alice`}, job(map[string]string{"user.name": "alice"}), true},
		{"Windows login in the job", alice, job(map[string]string{"user.name": `STUDIO\alice`}), true},
		{"someone else", alice, job(map[string]string{"user.name": "bob"}), false},
		{"prefix is not a match", alice, job(map[string]string{"user.name": "alice2"}), false},
		{"no metadata (3.3.1's add-on)", alice, job(nil), false},
		{"other key", Identity{MetadataKey: "artist", UserName: "alice"}, job(map[string]string{"artist": "ALICE", "user.name": "bob"}), true},
		{"other key absent", Identity{MetadataKey: "artist", UserName: "alice"}, job(map[string]string{"user.name": "alice"}), false},
		{"no user name owns nothing", Identity{}, job(map[string]string{"user.name": ""}), false},
	} {
		if got := tc.id.Owns(tc.job); got != tc.want {
			t.Errorf("%s: Owns = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !alice.Carries(job(map[string]string{"user.name": "bob"})) || alice.Carries(job(map[string]string{"project": "x"})) {
		t.Error("Carries: wrong for the default key")
	}
}

func TestDefaultIdentityIsTheLogin(t *testing.T) {
	id := DefaultIdentity()
	if id.MetadataKey != DefaultMetadataKey || id.UserName == "" {
		t.Errorf("DefaultIdentity() = %+v", id)
	}
}
