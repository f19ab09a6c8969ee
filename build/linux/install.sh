#!/bin/bash
# Installs the Linux package that `make package` wrote, or uninstalls it, under $DESTDIR$PREFIX:
# bin/flamenco-tray, share/applications/org.flamenco.tray.desktop (the desktop file ID is the app ID,
# as for the autostart entry) and the icon in the hicolor theme, where desktops look for it under
# ~/.local too (share/pixmaps, where the tarball has it, is searched in /usr/share only).
#
#	PREFIX=~/.local build/linux/install.sh install dist/flamenco-tray-0.1.0-linux-amd64.tar.xz
#	PREFIX=~/.local build/linux/install.sh uninstall
set -euo pipefail
binary=flamenco-tray
id=org.flamenco.tray

action=$1
prefix=${PREFIX:?PREFIX is not set}
prefix=${prefix%/}
case $prefix in
/*) ;;
*) echo "PREFIX must be an absolute path, not \"$prefix\"" >&2; exit 1 ;;
esac
root=${DESTDIR:-}$prefix

# execArg is the program of an Exec value, as internal/autostart writes it: quoted when it holds a
# character the Desktop Entry spec reserves (with \ before " ` $ \), % doubled, then escaped as a string.
execArg() {
	local arg=$1
	case $arg in
	*=*) echo "the program's path \"$arg\" contains \"=\", which a desktop entry cannot start: choose another PREFIX" >&2; return 1 ;;
	*[[:cntrl:]]*) echo "the program's path \"$arg\" contains a control character: choose another PREFIX" >&2; return 1 ;;
	*[[:space:]\"\'\\\>\<~\|\&\;\$\*\?\#\(\)\`]*)
		arg=${arg//\\/\\\\}; arg=${arg//\"/\\\"}; arg=${arg//\`/\\\`}; arg=${arg//\$/\\\$}
		arg="\"$arg\"" ;;
	esac
	arg=${arg//%/%%}
	printf '%s' "${arg//\\/\\\\}"
}

# Caches are refreshed where they exist, never created: a desktop reads the directories without
# them, and uninstalling then leaves nothing behind. Not when staging into DESTDIR.
refreshCaches() {
	[ -z "${DESTDIR:-}" ] || return 0
	if [ -f "$root/share/applications/mimeinfo.cache" ] && command -v update-desktop-database >/dev/null; then
		update-desktop-database -q "$root/share/applications" || true
	fi
	if [ -f "$root/share/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null; then
		gtk-update-icon-cache -q -t "$root/share/icons/hicolor" || true
	fi
}

case $action in
install)
	tarball=${2:?usage: install.sh install TARBALL}
	exec_value=$(execArg "$prefix/bin/$binary")
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	tar -xJf "$tarball" -C "$work"
	# fyne package puts the files under usr/local, or usr where the packaging machine has no /usr/local.
	exe=$(find "$work" -path "*/bin/$binary" -type f)
	[ -n "$exe" ] || { echo "$tarball: no bin/$binary in it" >&2; exit 1; }
	pkg=$(dirname "$(dirname "$exe")")
	icon=$pkg/share/pixmaps/$id.png
	[ -f "$icon" ] || { echo "$tarball: no share/pixmaps/$id.png in it" >&2; exit 1; }
	# The icon's size from its PNG header (width and height, big-endian, at bytes 16 and 20).
	read -r width height < <(od -An -tu1 -j16 -N8 "$icon" |
		awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}')
	[ "${width:-0}" -gt 0 ] && [ "${height:-0}" -gt 0 ] || { echo "$icon: not a PNG image" >&2; exit 1; }
	# Exec names the installed program by its path: ~/.local/bin is on PATH only in some sessions.
	while IFS= read -r line; do
		[ "$line" != "Exec=$binary" ] || line="Exec=$exec_value"
		printf '%s\n' "$line"
	done <"$pkg/share/applications/$id.desktop" >"$work/$id.desktop"
	grep -qxF "Exec=$exec_value" "$work/$id.desktop" || { echo "$tarball: its desktop entry has no Exec=$binary line" >&2; exit 1; }
	install -Dm755 "$pkg/bin/$binary" "$root/bin/$binary"
	install -Dm644 "$work/$id.desktop" "$root/share/applications/$id.desktop"
	install -Dm644 "$icon" "$root/share/icons/hicolor/${width}x${height}/apps/$id.png"
	refreshCaches
	echo "installed $root/bin/$binary"
	echo "installed $root/share/applications/$id.desktop"
	echo "installed $root/share/icons/hicolor/${width}x${height}/apps/$id.png"
	case ":$PATH:" in
	*":$prefix/bin:"*) ;;
	*) echo "note: $prefix/bin is not on PATH; the menu entry works anyway, and so does $prefix/bin/$binary" ;;
	esac
	;;
uninstall)
	shopt -s nullglob
	for f in "$root/bin/$binary" "$root/share/applications/$id.desktop" "$root"/share/icons/hicolor/*/apps/"$id.png"; do
		if [ -e "$f" ] || [ -L "$f" ]; then
			rm -f "$f"
			echo "removed $f"
		fi
	done
	refreshCaches
	;;
*)
	echo "usage: install.sh install TARBALL | uninstall" >&2
	exit 2
	;;
esac
