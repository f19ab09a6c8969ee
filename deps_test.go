package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The program links none of the test harness (internal/testkit) and no testing package: what ships
// is only product code.
func TestProgramLinksNoHarness(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go command to list the program's packages")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps .: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 100 {
		t.Fatalf("go list -deps . listed %d packages; expected Fyne's and ours", len(deps))
	}
	for _, pkg := range deps {
		if strings.Contains(pkg, "/internal/testkit") || pkg == "testing" || strings.HasPrefix(pkg, "testing/") ||
			pkg == "net/http/httptest" {
			t.Errorf("the program links %s", pkg)
		}
	}
}
