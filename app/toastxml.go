package app

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strings"
)

// The toast's texts are cut to what a toast shows (2 lines of title, 4 of body) and more, so that the
// PowerShell command that carries them stays far below Windows' 32,767 characters.
const (
	maxToastTitle = 200
	maxToastBody  = 800
)

// toast is a Windows toast notification's XML (the ToastGeneric template).
type toast struct {
	XMLName xml.Name     `xml:"toast"`
	Binding toastBinding `xml:"visual>binding"`
}

type toastBinding struct {
	Template string       `xml:"template,attr"`
	Texts    []string     `xml:"text"`
	Images   []toastImage `xml:"image"`
}

type toastImage struct {
	Placement string `xml:"placement,attr,omitempty"`
	Src       string `xml:"src,attr"`
}

// toastXML is the toast for a notification: title, body, the app's icon and the frame (each "" for
// none). The frame is an inline image, shown whole; a hero image would be cropped to 2:1.
func toastXML(title, body, iconPath, framePath string) string {
	b := toastBinding{Template: "ToastGeneric", Texts: []string{cutRunes(title, maxToastTitle), cutRunes(body, maxToastBody)}}
	if iconPath != "" {
		b.Images = append(b.Images, toastImage{Placement: "appLogoOverride", Src: fileURI(iconPath)})
	}
	if framePath != "" {
		b.Images = append(b.Images, toastImage{Src: fileURI(framePath)})
	}
	out, _ := xml.Marshal(toast{Binding: b}) // only strings, which it escapes: it cannot fail
	return string(out)
}

// fileURI is the file: URI of a Windows path (C:\Users\…) with forward slashes, escaping only what
// a URI would read otherwise (space, #, %, ?): letters beyond ASCII stay as they are, as IRIs have
// them and Windows' Uri takes them, rather than trusting Windows to read %-escapes as UTF-8.
func fileURI(path string) string {
	var b strings.Builder
	b.WriteString("file:///")
	for _, r := range strings.ReplaceAll(path, `\`, "/") {
		switch r {
		case ' ', '#', '%', '?':
			fmt.Fprintf(&b, "%%%02X", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// toastScript is a PowerShell command that shows toastXML as appID's toast. What varies goes in
// base64: the command is ASCII whatever the title says, and no quote or $ in it can be read as
// PowerShell (which takes “ ” „ for " too). Any error stops it, with exit code 1.
func toastScript(toastXML, appID string) string {
	decode := func(s string) string {
		return "[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('" + base64.StdEncoding.EncodeToString([]byte(s)) + "'))"
	}
	return strings.Join([]string{
		"$ErrorActionPreference = 'Stop'",
		"[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] | Out-Null",
		"[Windows.Data.Xml.Dom.XmlDocument, Windows.Data.Xml.Dom.XmlDocument, ContentType = WindowsRuntime] | Out-Null",
		"$xml = New-Object Windows.Data.Xml.Dom.XmlDocument",
		"$xml.LoadXml(" + decode(toastXML) + ")",
		"$toast = [Windows.UI.Notifications.ToastNotification]::new($xml)",
		"[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier(" + decode(appID) + ").Show($toast)",
	}, "; ")
}

// cutRunes cuts s to n characters, ending it with "…" when cut.
func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
