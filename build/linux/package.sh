#!/bin/bash
# Builds the Linux package with Fyne's packaging tool: `fyne package -os linux --release` builds the
# binary (Fyne's release flags, its metadata compiled in, -X main.version through GOFLAGS) and writes a
# tar.xz of the binary, a .desktop entry, the icon and a Makefile for end users. It runs in a copy of the
# source because it adds a file to the main package while building and one to FyneApp.toml's Build
# afterwards. The tarball is kept only if desktop-file-validate has nothing to say about its entry.
#
#	build/linux/package.sh FYNE VERSION OUT.tar.xz
set -euo pipefail
fyne=$(realpath "$1")
version=$2
out=$3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The files `go build` sees here: tracked and untracked ones, not ignored ones (binaries, bin/, dist/).
mkdir "$work/src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar -c --null -T - | tar -x -C "$work/src"
else
	tar -c --exclude=./bin --exclude=./dist --exclude=./.git . | tar -x -C "$work/src"
fi

# fyne names the tarball after FyneApp.toml's Name and writes it in the current directory.
name=$(sed -n 's/^Name *= *"\(.*\)"/\1/p' FyneApp.toml)
(cd "$work/src" && GOFLAGS="-ldflags=-X=main.version=$version" "$fyne" package -os linux --release)
tarball="$work/src/$name.tar.xz"

mkdir "$work/entry"
tar -xJf "$tarball" -C "$work/entry" --wildcards '*/share/applications/*.desktop'
mapfile -t entries < <(find "$work/entry" -name '*.desktop')
if [ ${#entries[@]} != 1 ]; then
	echo "package.sh: expected one desktop entry in $tarball, found ${#entries[@]}" >&2
	exit 1
fi
# desktop-file-validate exits 0 on warnings and hints: any output fails the package too.
report=$(desktop-file-validate "${entries[0]}" 2>&1) || { echo "$report" >&2; exit 1; }
if [ -n "$report" ]; then
	echo "$report" >&2
	exit 1
fi

mkdir -p "$(dirname "$out")"
mv "$tarball" "$out"
echo "packaged $out"
