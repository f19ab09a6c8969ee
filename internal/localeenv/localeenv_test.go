package localeenv

import "testing"

func TestNeedsLanguage(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{"LANG": "C.UTF-8"}, true},
		{map[string]string{"LANG": "C.utf8"}, true},
		{map[string]string{"LANG": "POSIX.UTF-8"}, true},
		{map[string]string{"LANG": "C"}, false},     // go-locale knows plain C
		{map[string]string{"LANG": "POSIX"}, false}, // and plain POSIX
		{map[string]string{"LANG": "de_DE.UTF-8"}, false},
		{map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "fr"}, false},
		{map[string]string{"LC_ALL": "en_GB.UTF-8", "LANG": "C.UTF-8"}, false},
		{map[string]string{"LC_MESSAGES": "C.UTF-8", "LANG": "en_US.UTF-8"}, true},
		{map[string]string{}, false},
	} {
		if got := needsLanguage(func(name string) string { return tc.env[name] }); got != tc.want {
			t.Errorf("needsLanguage(%v) = %v, want %v", tc.env, got, tc.want)
		}
	}
}
