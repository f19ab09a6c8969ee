#!/bin/sh
# Adds LSUIElement (true) to the Info.plist that `fyne package -os darwin` writes: Flamenco Tray lives in
# the menu bar only, and without it macOS shows it in the Dock and the app switcher. Fyne's packaging
# metadata (FyneApp.toml) has no key for it, and its Info.plist template no place for one.
#
#	build/darwin/lsuielement.sh "Flamenco Tray.app/Contents/Info.plist"
set -eu
plist=$1
if ! grep -q '<key>LSUIElement</key>' "$plist"; then
	perl -0pi -e 's|\n</dict>\n</plist>|\n\t<key>LSUIElement</key>\n\t<true/>\n</dict>\n</plist>|' "$plist"
fi
if ! grep -A1 '<key>LSUIElement</key>' "$plist" | grep -q '<true/>'; then
	echo "$plist: LSUIElement not set (no closing </dict></plist> where Fyne's template has it?)" >&2
	exit 1
fi
if command -v plutil >/dev/null; then
	plutil -lint "$plist"
fi
