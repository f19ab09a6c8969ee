package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// testingImportedBy lists the dependencies allowed to link the testing package, and why: nothing of
// this project's own code or harness may.
var testingImportedBy = map[string]string{
	// xgb (the pure-Go X client the idle time is read with on X11) keeps its goroutine-leak test
	// helpers in testingTools.go, a non-test file of package xgb, in v1.0.0 and v1.1.1 alike.
	"github.com/jezek/xgb": "upstream's testingTools.go is not a _test file",
}

// The program links none of the test harness (internal/testkit), and the testing package only
// where a dependency's own mistake brings it in (testingImportedBy).
func TestProgramLinksNoHarness(t *testing.T) {
	lines := listImports(t, "-deps", ".")
	if len(lines) < 100 {
		t.Fatalf("go list -deps . listed %d packages; expected Fyne's and ours", len(lines))
	}
	for _, line := range lines {
		pkg, imports, _ := strings.Cut(line, "\t")
		if strings.Contains(pkg, "/internal/testkit") || pkg == "net/http/httptest" || strings.HasPrefix(pkg, "testing/") {
			t.Errorf("the program links %s", pkg)
		}
		if _, allowed := testingImportedBy[pkg]; !allowed && slices.Contains(strings.Fields(imports), "testing") {
			t.Errorf("the program links the testing package through %s", pkg)
		}
	}
}

// Only discovery speaks SSDP through gossdp, and the harness's Worker-style searcher
// (internal/testkit/ssdpworker) in tests: every socket gossdp opens then passes one guard of the
// test's namespace (docs/architecture.md).
func TestOnlyDiscoveryAndTheHarnessImportGossdp(t *testing.T) {
	const module = "github.com/flamenco-tray/flamenco-tray/"
	importers := 0
	for _, line := range listImports(t, "-test", "./...") {
		pkg, imports, _ := strings.Cut(line, "\t")
		if !slices.Contains(strings.Fields(imports), "github.com/fromkeith/gossdp") {
			continue
		}
		importers++
		// A test variant is listed as "pkg [pkg.test]"; it counts as pkg.
		name, _, _ := strings.Cut(pkg, " ")
		if name != module+"discovery" && !strings.HasPrefix(name, module+"internal/testkit/") {
			t.Errorf("%s imports gossdp; only discovery and internal/testkit may", pkg)
		}
	}
	if importers == 0 {
		t.Error("no package imports gossdp: the listing is wrong")
	}
}

// listImports runs go list with args: a line per package, its import path, a tab, and its imports.
func listImports(t *testing.T, args ...string) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go command to list the packages")
	}
	args = append([]string{"list", "-f", "{{.ImportPath}}\t{{join .Imports \" \"}}"}, args...)
	out, err := exec.Command(goTool, args...).Output()
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}
