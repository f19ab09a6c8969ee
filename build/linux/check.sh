#!/bin/bash
# Checks the Linux package that `make package` wrote: the binary, the desktop entry and the icon are in
# the tarball, the entry validates and starts the tray, the binary prints the version, and `make install`
# then `make uninstall` (PREFIX, and DESTDIR) put the files in place and take every one of them away.
#
#	build/linux/check.sh dist/flamenco-tray-0.1.0-linux-amd64.tar.xz VERSION
set -euo pipefail
tarball=$1
version=$2
make=${MAKE:-make}
binary=flamenco-tray
id=org.flamenco.tray

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "package-check: $*" >&2; exit 1; }

# validate FILE: desktop-file-validate has nothing to say (it exits 0 on warnings).
validate() {
	local report
	report=$(desktop-file-validate "$1" 2>&1) || fail "$1 does not validate: $report"
	[ -z "$report" ] || fail "$1: $report"
}

# checkVersion PROGRAM: `PROGRAM version` prints this VERSION.
checkVersion() {
	local got
	got=$("$1" version) || fail "$1 version failed"
	[ "$got" = "$binary $version" ] || fail "$1 version printed \"$got\", want \"$binary $version\""
}

# noFilesUnder DIR: nothing but directories is left.
noFilesUnder() {
	local left
	left=$(find "$1" ! -type d)
	[ -z "$left" ] || fail "left behind after uninstall: $left"
}

echo "== $tarball ($(stat -c %s "$tarball") bytes)"
tar -tvJf "$tarball"
listing=$(tar -tvJf "$tarball")
# fyne package's layout: <name>/usr/local/... (usr/... where the packaging machine has no /usr/local).
grep -Eq "^-rwx.* $binary/usr/(local/)?bin/$binary\$" <<<"$listing" || fail "no executable bin/$binary"
grep -Eq "^-.* $binary/usr/(local/)?share/applications/$id\.desktop\$" <<<"$listing" || fail "no share/applications/$id.desktop"
grep -Eq "^-.* $binary/usr/(local/)?share/pixmaps/$id\.png\$" <<<"$listing" || fail "no share/pixmaps/$id.png"

mkdir "$work/pkg"
tar -xJf "$tarball" -C "$work/pkg"
exe=$(find "$work/pkg" -path "*/bin/$binary" -type f)
[ -n "$exe" ] || fail "$tarball: no bin/$binary in it"
pkg=$(dirname "$(dirname "$exe")")
entry=$pkg/share/applications/$id.desktop
validate "$entry"
grep -qx "Exec=$binary" "$entry" || fail "$entry: no Exec=$binary line"
grep -qx "Type=Application" "$entry" || fail "$entry: not Type=Application"
grep -qx "Icon=$id" "$entry" || fail "$entry: no Icon=$id line"
! grep -Eq '^(NoDisplay|Hidden)=true' "$entry" || fail "$entry: hidden from menus"
checkVersion "$pkg/bin/$binary"
echo "== packaged entry validates; $binary version: $binary $version"

# A user install into a PREFIX with a space, which Exec must quote.
prefix="$work/home with space/.local"
mkdir -p "$work/home with space"
"$make" --no-print-directory -o "$tarball" install PREFIX="$prefix"
icon=$(find "$prefix/share/icons/hicolor" -path "*/apps/$id.png")
[ -x "$prefix/bin/$binary" ] || fail "no executable $prefix/bin/$binary"
cmp -s "$icon" "$pkg/share/pixmaps/$id.png" || fail "installed icon $icon differs from the packaged one"
validate "$prefix/share/applications/$id.desktop"
grep -qxF "Exec=\"$prefix/bin/$binary\"" "$prefix/share/applications/$id.desktop" ||
	fail "installed entry's Exec is $(grep ^Exec= "$prefix/share/applications/$id.desktop"), want the quoted path of $prefix/bin/$binary"
checkVersion "$prefix/bin/$binary"
"$make" --no-print-directory uninstall PREFIX="$prefix"
noFilesUnder "$work/home with space"
echo "== make install/uninstall PREFIX=\"$prefix\": installed, validated, ran, all removed"

# A staged install: files under DESTDIR, Exec naming the final path.
"$make" --no-print-directory -o "$tarball" install DESTDIR="$work/stage" PREFIX=/usr/local
grep -qxF "Exec=/usr/local/bin/$binary" "$work/stage/usr/local/share/applications/$id.desktop" ||
	fail "staged entry's Exec does not name /usr/local/bin/$binary"
checkVersion "$work/stage/usr/local/bin/$binary"
"$make" --no-print-directory uninstall DESTDIR="$work/stage" PREFIX=/usr/local
noFilesUnder "$work/stage"
echo "== make install/uninstall DESTDIR=… PREFIX=/usr/local: installed, ran, all removed"
