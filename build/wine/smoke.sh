#!/bin/sh
# make wine-smoke runs this under `unshare --net`: in a network namespace with only loopback, so nothing
# that Wine runs can reach a network (discovery cannot run under Wine 8 anyway: it rejects a WSAIoctl
# that Go's net package uses on UDP sockets, error 10045). In a fresh Wine prefix in a temporary
# directory, with no display: flamenco-tray.exe version must print its version, then the Windows test
# binaries given as DIR:EXE arguments run in DIR, as go test runs them.
#
#	build/wine/smoke.sh WINE EXE DLL [DIR:TESTEXE]...
set -eu
wine=$1 exe=$2 dll=$3
shift 3
ip link set lo up
WINEPREFIX=$(mktemp -d "${TMPDIR:-/tmp}/flamenco-tray-wine.XXXXXX")
export WINEPREFIX WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
unset DISPLAY WAYLAND_DISPLAY
trap '"$(dirname "$wine")/wineserver" -k 2>/dev/null; rm -rf "$WINEPREFIX"' EXIT

"$wine" wineboot -i >/dev/null 2>&1
# Wine 8 lacks bcryptprimitives.dll, which Go's runtime loads at start: the stand-in built from
# bcryptprimitives.c, native over Wine's (absent) builtin.
cp "$dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
export WINEDLLOVERRIDES='bcryptprimitives=n;mscoree,mshtml='

out=$("$wine" "$exe" version)
case $out in
"flamenco-tray "*) echo "wine: $exe version: $out" ;;
*) echo "wine: $exe version printed \"$out\", want \"flamenco-tray <version>\"" >&2; exit 1 ;;
esac

for t in "$@"; do
	dir=${t%%:*} test=$(realpath "${t#*:}")
	echo "wine: $dir: $(basename "$test")"
	(cd "$dir" && "$wine" "$test" -test.count=1)
done
