package app

import (
	"encoding/base64"
	"encoding/xml"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// The toast carries the title and body as given, whatever XML or PowerShell would make of their
// characters, the app's icon as its logo and the frame inline, both as file: URIs.
func TestToastXML(t *testing.T) {
	t.Parallel()
	title := `Job "failed" <now> & 'then'`
	body := "“shot-010” on $farm `tick` \x01 — 3.8.5"
	icon := `C:\Users\Zoë O'Neil\AppData\Local\flamenco-tray\notification-icon.png`
	frame := `C:\Users\Zoë O'Neil\AppData\Local\flamenco-tray\frames\frame-1#2?%.jpg`
	got := toastXML(title, body, icon, frame)
	var parsed toast
	if err := xml.Unmarshal([]byte(got), &parsed); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	// \x01 has no place in XML: it becomes U+FFFD, the rest stays.
	wantTexts := []string{title, strings.Replace(body, "\x01", "\uFFFD", 1)}
	if !slices.Equal(parsed.Binding.Texts, wantTexts) || parsed.Binding.Template != "ToastGeneric" {
		t.Errorf("texts %q in %s, want %q", parsed.Binding.Texts, got, wantTexts)
	}
	wantImages := []toastImage{
		{Placement: "appLogoOverride", Src: "file:///C:/Users/Zoë%20O'Neil/AppData/Local/flamenco-tray/notification-icon.png"},
		{Src: "file:///C:/Users/Zoë%20O'Neil/AppData/Local/flamenco-tray/frames/frame-1%232%3F%25.jpg"},
	}
	if !slices.Equal(parsed.Binding.Images, wantImages) {
		t.Errorf("images %+v, want %+v", parsed.Binding.Images, wantImages)
	}
	if !strings.HasPrefix(got, "<toast><visual><binding ") {
		t.Errorf("toast XML %s", got)
	}
}

func TestToastXMLWithoutImagesAndLong(t *testing.T) {
	t.Parallel()
	got := toastXML(strings.Repeat("é", 1000), "body", "", "")
	var parsed toast
	if err := xml.Unmarshal([]byte(got), &parsed); err != nil {
		t.Fatal(err)
	}
	if len(parsed.Binding.Images) != 0 {
		t.Errorf("images %+v, want none", parsed.Binding.Images)
	}
	if title := parsed.Binding.Texts[0]; utf8.RuneCountInString(title) != maxToastTitle || !strings.HasSuffix(title, "é…") {
		t.Errorf("title of %d characters ending %q", utf8.RuneCountInString(title), title[len(title)-8:])
	}
}

// The PowerShell command is ASCII with no double quote or $ from what it shows; the toast and the
// app id come back whole from its base64.
func TestToastScript(t *testing.T) {
	t.Parallel()
	toastXML := toastXML("Job “done” $HOME `x` '", "body ‘single’ „low“", `C:\a b\icon.png`, "")
	script := toastScript(toastXML, "org.flamenco.tray")
	for i, r := range script {
		if r >= utf8.RuneSelf || r == '"' || r == '`' {
			t.Fatalf("character %q at %d of %s", r, i, script)
		}
	}
	if got := strings.Count(script, "$"); got != 6 { // $ErrorActionPreference, $xml ×3, $toast ×2
		t.Errorf("%d $ in %s", got, script)
	}
	var decoded []string
	for _, m := range regexp.MustCompile(`FromBase64String\('([A-Za-z0-9+/=]*)'\)`).FindAllStringSubmatch(script, -1) {
		data, err := base64.StdEncoding.DecodeString(m[1])
		if err != nil {
			t.Fatal(err)
		}
		decoded = append(decoded, string(data))
	}
	if !slices.Equal(decoded, []string{toastXML, "org.flamenco.tray"}) {
		t.Errorf("the script carries %q", decoded)
	}
}
