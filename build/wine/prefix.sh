# Sourced by build/wine/smoke.sh and build/windows/checkmsi.sh, which run under `unshare --net`: a fresh
# Wine prefix in a temporary directory, removed (and its wineserver ended) when the script exits, with no
# display and only loopback.
#
#	wine=WINE dll=DLL; . build/wine/prefix.sh
# sets WINEPREFIX and wineserver; DLL is the stand-in bcryptprimitives.dll (see below).
ip link set lo up
# Wine reads its arguments and the prefix's file names in the locale's character set.
export LC_ALL=C.UTF-8
WINEPREFIX=$(mktemp -d "${TMPDIR:-/tmp}/flamenco-tray-wine.XXXXXX")
wineserver=$(dirname "$wine")/wineserver
export WINEPREFIX WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
unset DISPLAY WAYLAND_DISPLAY
trap '"$wineserver" -k 2>/dev/null; rm -rf "$WINEPREFIX"' EXIT

if ! boot=$("$wine" wineboot -i 2>&1); then
	printf 'wine: wineboot -i failed:\n%s\n' "$boot" >&2
	exit 1
fi
# Wine 8 lacks bcryptprimitives.dll, which Go's runtime loads at start: the stand-in built from
# bcryptprimitives.c, native over Wine's (absent) builtin.
cp "$dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
export WINEDLLOVERRIDES='bcryptprimitives=n;mscoree,mshtml='

# expect WHAT GOT WANT fails the script when GOT is not WANT.
expect() {
	if [ "$2" != "$3" ]; then
		printf 'wine: %s: got\n\t%s\nwant\n\t%s\n' "$1" "$2" "$3" >&2
		exit 1
	fi
	printf 'wine: %s: %s\n' "$1" "$2"
}

# regValue KEY NAME prints value NAME of KEY as stored ("" when there is none), for a string value. reg
# export, not reg query: reg query writes to a pipe in the OEM code page, which lacks letters like Ø.
regValue() {
	"$wine" reg export "$1" 'C:\value.reg' /y >/dev/null 2>&1 || return 0
	iconv -f UTF-16 -t UTF-8 "$WINEPREFIX/drive_c/value.reg" | tr -d '\r' |
		sed -n "s/^\"$2\"=\"\(.*\)\"\$/\1/p" | sed 's/\\\(.\)/\1/g'
}
