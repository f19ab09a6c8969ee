package main

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// The README and docs/ link to each other's files and sections, and the program links to them (the
// menu's help link). Every such link must land: a file that exists, and a heading of that file that
// makes the anchor, by GitHub's rules. Nothing is fetched: an external link only has to parse.
func TestDocLinksLand(t *testing.T) {
	docs, err := filepath.Glob("docs/*.md")
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs/*.md found (%v)", err)
	}
	for _, problem := range checkDocLinks(".", append([]string{"README.md"}, docs...)) {
		t.Error(problem)
	}
}

// The checker itself finds each kind of broken link, and nothing in code or code blocks.
func TestDocLinkCheckerFindsBrokenLinks(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", "# Tool\n\n![shot](docs/shot.png) [guide](docs/guide.md#lend-this-computer-while-youre-away)\n"+
		"[gone](docs/gone.md) [no such](docs/guide.md#nowhere)\n")
	write("docs/shot.png", "")
	write("docs/guide.md", "# Guide\n\n## Same\n\n## Same\n\n## Lend this computer while you're away\n\n"+
		"## `make test` and more\n\n"+
		"[second](#same-1) [third](#same-2) [code heading](#make-test-and-more)\n"+
		"[across\nlines](../README.md#tool) `[in code](missing.md)` [web](https://example.com/a#b)\n"+
		"[bad web](http://[::1) [mail](mailto:someone@example.com) ![img](missing.png)\n\n"+
		"```sh\n[fenced](missing.md)\n```\n")
	write("app/help.go", "package app\n\nconst a = \"https://github.com/flamenco-tray/flamenco-tray/blob/main/docs/guide.md#same\"\n"+
		"const b = \"https://github.com/flamenco-tray/flamenco-tray#usage\"\n")

	got := checkDocLinks(root, []string{"README.md", "docs/guide.md"})
	want := []string{
		"README.md:4: docs/gone.md: no such file",
		"README.md:4: docs/guide.md#nowhere: no heading of docs/guide.md makes this anchor",
		"docs/guide.md:11: #same-2: no heading of docs/guide.md makes this anchor",
		"docs/guide.md:14: http://[::1: does not parse",
		"docs/guide.md:14: mailto:someone@example.com: only http and https links are allowed",
		"docs/guide.md:14: missing.png: no such file",
		"app/help.go:4: https://github.com/flamenco-tray/flamenco-tray#usage: no heading of README.md makes this anchor",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// repoURL is where the repository's files are on the web; the program links to docs there.
const repoURL = "https://github.com/flamenco-tray/flamenco-tray"

var (
	mdLink   = regexp.MustCompile(`!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^\s<>()]*)>?(?:\s+"[^"]*")?\s*\)`)
	mdHead   = regexp.MustCompile(`(?m)^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$`)
	codeURL  = regexp.MustCompile(regexp.QuoteMeta(repoURL) + "[^\\s\"'`)]*")
	lineAnch = regexp.MustCompile(`^L\d+(-L\d+)?$`)
)

// checkDocLinks checks every link and image of the Markdown files (paths relative to root), then
// every link into this repository written in the Go code under root, and returns one line per
// problem: "file:line: target: why".
func checkDocLinks(root string, markdown []string) []string {
	c := linkChecker{root: root, anchors: map[string]map[string]bool{}}
	for _, name := range markdown {
		text, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			c.report(name, 0, name, "cannot be read")
			continue
		}
		prose := blankCode(string(text))
		for _, m := range mdLink.FindAllStringSubmatchIndex(prose, -1) {
			line := 1 + strings.Count(prose[:m[0]], "\n")
			c.checkTarget(name, line, prose[m[2]:m[3]])
		}
	}
	c.checkCode()
	return c.problems
}

type linkChecker struct {
	root     string
	anchors  map[string]map[string]bool // by file, slash-separated from root
	problems []string
}

func (c *linkChecker) report(from string, line int, target, why string) {
	c.problems = append(c.problems, fmt.Sprintf("%s:%d: %s: %s", from, line, target, why))
}

// checkTarget checks one link written in from (slash-separated, relative to root).
func (c *linkChecker) checkTarget(from string, line int, target string) {
	u, err := url.Parse(target)
	switch {
	case err != nil:
		c.report(from, line, target, "does not parse")
	case u.Scheme == "http" || u.Scheme == "https":
		if u.Host == "" {
			c.report(from, line, target, "has no host")
		} else if file, ok := repoFile(u); ok {
			c.checkFile(from, line, target, file, u.Fragment)
		}
	case u.Scheme != "":
		c.report(from, line, target, "only http and https links are allowed")
	case u.Path == "":
		c.checkFile(from, line, target, from, u.Fragment)
	default:
		file := path.Join(path.Dir(from), u.Path)
		if strings.HasPrefix(u.Path, "/") {
			file = strings.TrimPrefix(u.Path, "/")
		}
		if file == ".." || strings.HasPrefix(file, "../") {
			c.report(from, line, target, "leaves the repository")
			return
		}
		c.checkFile(from, line, target, file, u.Fragment)
	}
}

// repoFile maps a link to this repository on GitHub to the file it shows: the README for the
// repository's page, the path for a file of the main branch.
func repoFile(u *url.URL) (string, bool) {
	rest, ok := strings.CutPrefix(u.Host+u.Path, strings.TrimPrefix(repoURL, "https://"))
	switch {
	case !ok:
		return "", false
	case rest == "" || rest == "/":
		return "README.md", true
	}
	for _, prefix := range []string{"/blob/main/", "/tree/main/"} {
		if file, ok := strings.CutPrefix(rest, prefix); ok {
			return strings.TrimSuffix(file, "/"), true
		}
	}
	return "", false // issues, pull requests and the like: not files
}

// checkFile checks that file exists and, when anchor is set, that a heading of it makes the anchor.
func (c *linkChecker) checkFile(from string, line int, target, file, anchor string) {
	if _, err := os.Stat(filepath.Join(c.root, filepath.FromSlash(file))); err != nil {
		c.report(from, line, target, "no such file")
		return
	}
	if anchor == "" || (!strings.HasSuffix(file, ".md") && lineAnch.MatchString(anchor)) {
		return
	}
	if !c.headingAnchors(file)[anchor] {
		c.report(from, line, target, "no heading of "+file+" makes this anchor")
	}
}

// headingAnchors returns the anchors GitHub makes of file's headings: none for a file that is not
// Markdown.
func (c *linkChecker) headingAnchors(file string) map[string]bool {
	if anchors, ok := c.anchors[file]; ok {
		return anchors
	}
	anchors := map[string]bool{}
	c.anchors[file] = anchors
	if !strings.HasSuffix(file, ".md") {
		return anchors
	}
	text, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(file)))
	if err != nil {
		return anchors
	}
	seen := map[string]int{}
	for _, m := range mdHead.FindAllStringSubmatch(blankFences(string(text)), -1) {
		slug := headingSlug(m[1])
		if n := seen[slug]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			anchors[slug] = true
		}
		seen[slug]++
	}
	return anchors
}

// headingSlug is GitHub's anchor for a heading: the text of its links, lowercase, spaces to '-',
// every other character that is not a letter, digit, '-' or '_' dropped.
func headingSlug(heading string) string {
	heading = mdLink.ReplaceAllStringFunc(heading, func(link string) string {
		return link[strings.Index(link, "[")+1 : strings.LastIndex(link, "](")]
	})
	var slug strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			slug.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			slug.WriteRune(r)
		}
	}
	return slug.String()
}

// checkCode checks the links into this repository written in the Go code under root (this file's
// own constant excepted: it is the repository itself).
func (c *linkChecker) checkCode() {
	root := os.DirFS(c.root)
	_ = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			c.report(name, 0, name, "cannot be read")
			return nil
		case d.IsDir() && name != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" ||
			name == "bin" || name == "dist"):
			return fs.SkipDir
		case d.IsDir() || !strings.HasSuffix(name, ".go") || name == "docs_test.go":
			return nil
		}
		text, err := fs.ReadFile(root, name)
		if err != nil {
			c.report(name, 0, name, "cannot be read")
			return nil
		}
		for i, line := range strings.Split(string(text), "\n") {
			for _, target := range codeURL.FindAllString(line, -1) {
				c.checkTarget(name, i+1, target)
			}
		}
		return nil
	})
}

// blankCode blanks fenced code blocks and code spans, keeping every newline so that offsets still
// give line numbers: links are not looked for in code.
func blankCode(text string) string {
	b := []byte(blankFences(text))
	for i := 0; i < len(b); {
		if b[i] != '`' {
			i++
			continue
		}
		run := backtickRun(b, i)
		end := i + run
		for end < len(b) && (b[end] != '`' || backtickRun(b, end) != run) {
			if b[end] == '`' {
				end += backtickRun(b, end)
			} else {
				end++
			}
		}
		if end >= len(b) { // an unclosed run is literal backticks
			i += run
			continue
		}
		blank(b[i : end+run])
		i = end + run
	}
	return string(b)
}

func backtickRun(b []byte, i int) int {
	n := 0
	for i+n < len(b) && b[i+n] == '`' {
		n++
	}
	return n
}

// blankFences blanks the lines of fenced code blocks (``` or ~~~, indented or not).
func blankFences(text string) string {
	lines := strings.SplitAfter(text, "\n")
	fence := ""
	for i, line := range lines {
		trimmed := strings.TrimLeft(line, " \t")
		switch {
		case fence == "" && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")):
			fence = trimmed[:3]
		case fence != "" && strings.HasPrefix(trimmed, fence):
			fence = ""
		case fence == "":
			continue
		}
		b := []byte(line)
		blank(b)
		lines[i] = string(b)
	}
	return strings.Join(lines, "")
}

// blank turns every byte but a newline into a space.
func blank(b []byte) {
	for i := range b {
		if b[i] != '\n' {
			b[i] = ' '
		}
	}
}
