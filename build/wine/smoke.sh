#!/bin/sh
# make wine-smoke runs this under `unshare --net`: in a network namespace with only loopback, so nothing
# that Wine runs can reach a network (discovery cannot run under Wine 8 anyway: it rejects a WSAIoctl
# that Go's net package uses on UDP sockets, error 10045). In a fresh Wine prefix in a temporary
# directory, with no display, as a user whose profile folder has a space and letters beyond ASCII:
# flamenco-tray.exe, installed under that profile, must print its version and turn start at login on
# and off (the Run key read back with reg), then the Windows test binaries given as DIR:EXE arguments
# run in DIR, as go test runs them.
#
#	build/wine/smoke.sh WINE EXE DLL [DIR:TESTEXE]...
set -eu
wine=$1 exe=$2 dll=$3
shift 3
. "$(dirname "$0")/prefix.sh"

# The profile of "Zoë Müller-Ørsted": Wine sets a program's USERPROFILE, APPDATA, LOCALAPPDATA (where
# the log and Fyne's preferences go) and TEMP (the tests' directories) from these keys, as Windows
# does at logon, not from the Unix environment.
user='Zoë Müller-Ørsted'
profile="C:\\users\\$user"
mkdir -p "$WINEPREFIX/drive_c/users/$user/AppData/Local/Temp" "$WINEPREFIX/drive_c/users/$user/AppData/Roaming"
setenv() { "$wine" reg add "$1" /v "$2" /d "$3" /f >/dev/null; }
setenv 'HKCU\Volatile Environment' USERNAME "$user"
setenv 'HKCU\Volatile Environment' USERPROFILE "$profile"
setenv 'HKCU\Volatile Environment' HOMEPATH "\\users\\$user"
setenv 'HKCU\Volatile Environment' APPDATA "$profile\\AppData\\Roaming"
setenv 'HKCU\Volatile Environment' LOCALAPPDATA "$profile\\AppData\\Local"
setenv 'HKCU\Environment' TEMP "$profile\\AppData\\Local\\Temp"
setenv 'HKCU\Environment' TMP "$profile\\AppData\\Local\\Temp"

# Installed per user, as a studio's IT would: under %LocalAppData%\Programs, in a folder with a space.
installed="$profile\\AppData\\Local\\Programs\\Flamenco Tray\\flamenco-tray.exe"
mkdir -p "$WINEPREFIX/drive_c/users/$user/AppData/Local/Programs/Flamenco Tray"
cp "$exe" "$WINEPREFIX/drive_c/users/$user/AppData/Local/Programs/Flamenco Tray/flamenco-tray.exe"


# Each variable leads into the profile: the exe is found through it. (cmd prints in the ANSI code
# page, so it names only the variables.)
cat >"$WINEPREFIX/drive_c/profile.cmd" <<'EOF'
@if exist "%USERPROFILE%\AppData\Local\Programs\Flamenco Tray\flamenco-tray.exe" echo USERPROFILE
@if exist "%LOCALAPPDATA%\Programs\Flamenco Tray\flamenco-tray.exe" echo LOCALAPPDATA
@if exist "%APPDATA%\..\Local\Programs\Flamenco Tray\flamenco-tray.exe" echo APPDATA
@if exist "%TEMP%\..\Programs\Flamenco Tray\flamenco-tray.exe" echo TEMP
EOF
expect "the profile's variables lead to" "$("$wine" cmd /c 'C:\profile.cmd' | tr -d '\r' | tr '\n' ' ')" \
	"USERPROFILE LOCALAPPDATA APPDATA TEMP "

out=$("$wine" "$installed" version)
case $out in
"flamenco-tray "*) echo "wine: flamenco-tray.exe version: $out" ;;
*) echo "wine: flamenco-tray.exe version printed \"$out\", want \"flamenco-tray <version>\"" >&2; exit 1 ;;
esac

# The Run key's "Flamenco Tray" value as stored, "" when there is none.
run_key='HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run'
runValue() { regValue "$run_key" 'Flamenco Tray'; }
where="$run_key value \"Flamenco Tray\""
expect "autostart status" "$("$wine" "$installed" autostart status)" "off: no $where"
expect "autostart on" "$("$wine" "$installed" autostart on)" "on: $where starts $installed"
expect "Run key" "$(runValue)" "\"$installed\""
expect "autostart status" "$("$wine" "$installed" autostart status)" "on: $where starts $installed"
expect "autostart off" "$("$wine" "$installed" autostart off)" "off: no $where"
expect "Run key after off" "$(runValue)" ""

for t in "$@"; do
	dir=${t%%:*} test=$(realpath "${t#*:}")
	echo "wine: $dir: $(basename "$test")"
	# A test binary run by hand has no timeout: a hang fails here instead of stalling CI.
	(cd "$dir" && "$wine" "$test" -test.count=1 -test.timeout=5m)
done
