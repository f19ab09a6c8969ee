#!/bin/bash
# make msi-check runs this under `unshare --net` (only loopback: nothing an installer runs can reach a
# network). First the MSI's tables, read back with msiinfo; then, in a fresh Wine prefix, what a
# studio's IT does with it, silently (/qn): install an older release, upgrade with AUTOSTART=1, upgrade
# with the Managers for everyone (MANAGERS), upgrade without saying either (both must stay), upgrade
# with AUTOSTART=0 MANAGERS=none (both gone), upgrade to this MSI with both again, refuse an older one,
# and uninstall. After each step: where the exe is and that it runs and prints its version, the one entry
# in Apps & features, the Start-menu shortcut and the machine-wide Run value. The older releases are
# this MSI's description built again with lower versions (build/windows/msi.sh).
#
#	build/windows/checkmsi.sh WINE DLL EXE ICON MSI VERSION FILE_VERSION EXE_VERSION
# VERSION is the MSI's (three numbers), FILE_VERSION the exe's version resource (four), EXE_VERSION
# what the exe prints (git describe).
set -euo pipefail
wine=$1 dll=$2 exe=$3 icon=$4 msi=$5 version=$6 file_version=$7 exe_version=$8
upgrade_code='{6C0F6E5B-3A43-4A8E-9D0B-5F3B2A1E7C42}'
run_key='HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\Run'
uninstall_key='HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\Uninstall'
managers_key='HKEY_LOCAL_MACHINE\Software\Flamenco Tray'

# table prints the rows of an MSI table without its three header lines, tab-separated.
table() { msiinfo export "$msi" "$1" | tr -d '\r' | tail -n +4; }
# has WHAT TABLE ROW fails unless TABLE has ROW exactly (a whole line; tabs between columns).
has() {
	if ! table "$2" | grep -qxF -- "$3"; then
		printf 'msi: %s: no row\n\t%s\nin %s:\n%s\n' "$1" "$3" "$2" "$(table "$2")" >&2
		exit 1
	fi
	printf 'msi: %s\n' "$1"
}
tab=$'\t'
has "version $version" Property "ProductVersion${tab}$version"
has "the upgrade code" Property "UpgradeCode${tab}$upgrade_code"
has "installed for every user of the machine" Property "ALLUSERS${tab}1"
has "the icon in Apps & features" Property "ARPPRODUCTICON${tab}FlamencoTray.ico"
has "the publisher" Property "Manufacturer${tab}Flamenco Tray"
has "no Change button in Apps & features (there is nothing to choose)" Property "ARPNOMODIFY${tab}1"
has "older versions replaced in place" Upgrade "$upgrade_code${tab}${tab}$version${tab}${tab}1${tab}${tab}WIX_UPGRADE_DETECTED"
has "the program folder" Directory "INSTALLDIR${tab}ProgramFiles64Folder${tab}Flamenco Tray"
has "the exe in it" File "$(table File | grep -F "${tab}Program${tab}flamenco-tray.exe${tab}" | head -1)"
table File | grep -q "${tab}Program${tab}flamenco-tray.exe${tab}$(stat -c %s "$exe")${tab}$file_version${tab}" ||
	{ echo "msi: the File table's flamenco-tray.exe is not $exe's size and version $file_version" >&2; exit 1; }
has "the Start-menu shortcut" Shortcut \
	"StartMenu${tab}ProgramMenuFolder${tab}Flamenco Tray${tab}StartMenuShortcut${tab}[INSTALLDIR]flamenco-tray.exe${tab}${tab}${tab}${tab}FlamencoTray.ico${tab}${tab}${tab}INSTALLDIR${tab}${tab}${tab}${tab}"
run_row=$(table Registry | grep -F "${tab}2${tab}Software\\Microsoft\\Windows\\CurrentVersion\\Run${tab}Flamenco Tray${tab}" || true)
has "the machine-wide Run value" Registry "$run_row"
[ "$(cut -f5 <<<"$run_row")" = '"[INSTALLDIR]flamenco-tray.exe"' ] ||
	{ echo "msi: the Run value is $(cut -f5 <<<"$run_row"), want the installed exe in quotes" >&2; exit 1; }
has "the Run value only with AUTOSTART=1" Component \
	"$(table Component | grep -F "StartAtLoginForEveryone${tab}" | cut -f1-4)${tab}AUTOSTART=\"1\"${tab}$(cut -f1 <<<"$run_row")"
has "an upgrade keeps it" InstallExecuteSequence "KeepStartAtLoginForEveryone${tab}NOT AUTOSTART AND AUTOSTART_FOUND${tab}51"
has "found by AppSearch" AppSearch "AUTOSTART_FOUND${tab}MachineRunValue"
has "the Managers for everyone" Registry "$(table Registry | grep -F "${tab}2${tab}Software\Flamenco Tray${tab}Managers${tab}[MANAGERS]${tab}ManagersForEveryone" || true)"
has "only when MANAGERS is said" Component "$(table Component | grep "^ManagersForEveryone${tab}" | cut -f1-4)${tab}MANAGERS AND MANAGERS<>\"none\"${tab}$(table Component | grep "^ManagersForEveryone${tab}" | cut -f6)"
has "an upgrade keeps them" InstallExecuteSequence "KeepManagersForEveryone${tab}NOT MANAGERS AND MANAGERS_FOUND${tab}52"
has "AUTOSTART and MANAGERS passed on by an elevated install" Property \
	"SecureCustomProperties${tab}WIX_DOWNGRADE_DETECTED;WIX_UPGRADE_DETECTED;AUTOSTART;AUTOSTART_FOUND;MANAGERS;MANAGERS_FOUND"

work=$(mktemp -d)
msi_dir=$(dirname "$0")
for v in 0.0.1 0.0.2 0.0.3 0.0.4; do
	"$msi_dir/msi.sh" "$v" "$file_version" "$exe" "$icon" "$work/flamenco-tray-$v.msi" >/dev/null
done
. "$(dirname "$0")/../wine/prefix.sh"
trap '"$wineserver" -k 2>/dev/null; rm -rf "$WINEPREFIX" "$work"' EXIT
cp "$work"/*.msi "$msi" "$WINEPREFIX/drive_c/"

# msiexec ARGS... runs msiexec silently, as docs/studio-it.md says (/qn /norestart), with a log, which it
# prints when msiexec fails.
msiexec() {
	if ! "$wine" msiexec "$@" /qn /norestart /l*v 'C:\msi.log'; then
		echo "wine: msiexec $* failed; its log:" >&2
		iconv -f UTF-16 -t UTF-8 "$WINEPREFIX/drive_c/msi.log" 2>/dev/null >&2 || cat "$WINEPREFIX/drive_c/msi.log" >&2
		exit 1
	fi
}
installed='C:\Program Files\Flamenco Tray\flamenco-tray.exe'
folder="$WINEPREFIX/drive_c/Program Files/Flamenco Tray"
# Wine puts a per-machine install's shortcuts in the user's Start menu, not the one shared by every
# user (its msi has "FIXME: set to AllUsers profile path if ALLUSERS is set"); Windows uses the shared
# one. Either counts here; the table above says which folder the MSI asks for.
shortcuts() {
	find "$WINEPREFIX/drive_c/ProgramData/Microsoft/Windows/Start Menu/Programs" \
		"$WINEPREFIX/drive_c/users" -name 'Flamenco Tray.lnk' 2>/dev/null | wc -l
}
# section KEY NAME prints, for each subkey of KEY whose NAME value is "Flamenco Tray", the values asked
# for after NAME, space-separated ("-" for a missing one), one subkey per line.
section() {
	local key=$1 name=$2
	shift 2
	"$wine" reg export "$key" 'C:\section.reg' /y >/dev/null 2>&1 || return 0
	iconv -f UTF-16 -t UTF-8 "$WINEPREFIX/drive_c/section.reg" | tr -d '\r' | awk -F'"' -v name="$name" -v want="$*" '
		function flush(   i, n, w, line) {
			if (value[name] == "Flamenco Tray") {
				n = split(want, w, " ")
				for (i = 1; i <= n; i++) line = line (i > 1 ? " " : "") (w[i] in value ? value[w[i]] : "-")
				print line
			}
			delete value
		}
		/^\[/ { flush() }
		/^"/ { value[$2] = $4 }
		END { flush() }'
}
# entries prints the Apps & features entries of Flamenco Tray: "version publisher" per line, and
# whether each product's icon (ARPPRODUCTICON, shown by Apps & features) is a file.
entries() {
	section "$uninstall_key" DisplayName DisplayVersion Publisher | sed 's/^/version /'
	section 'HKEY_CLASSES_ROOT\Installer\Products' ProductName ProductIcon | while read -r icon; do
		unix=$(sed 's/\\\\/\//g; s/^C:/drive_c/' <<<"$icon")
		[ -f "$WINEPREFIX/$unix" ] && echo "icon" || echo "no icon at $icon"
	done
}
installedVersion() { "$wine" "$installed" version | tr -d '\r'; }
# autostartStatus prints what the installed exe's "autostart status" says, up to the first colon.
autostartStatus() { "$wine" "$installed" autostart status | tr -d '\r' | cut -d: -f1; }

# step VERSION MSI WANT_RUN WANT_MANAGERS [PROPERTY=VALUE]... installs MSI over what is there and
# checks the result; WANT_RUN and WANT_MANAGERS are the machine-wide Run value and Managers wanted (""
# for none). The installed exe's "autostart status" must say which applies (the user has none).
step() {
	local v=$1 file=$2 want_run=$3 want_managers=$4
	shift 4
	local what="$v, ${*:-nothing said}"
	msiexec /i "C:\\$file" "$@"
	expect "$what: the exe" "$(installedVersion)" "flamenco-tray $exe_version"
	expect "$what: Apps & features" "$(entries | tr '\n' ' ')" "version $v Flamenco Tray icon "
	expect "$what: shortcuts" "$(shortcuts)" 1
	expect "$what: the machine-wide Run value" "$(regValue "$run_key" 'Flamenco Tray')" "$want_run"
	expect "$what: autostart status" "$(autostartStatus)" "$([ -n "$want_run" ] && echo 'on for everyone (set by your IT)' || echo off)"
	expect "$what: the Managers for everyone" "$(regValue "$managers_key" Managers)" "$want_managers"
}
on="\"$installed\""
farm='http://flamenco.studio.lan:8080/ http://10.20.0.5:8080/'
step 0.0.1 flamenco-tray-0.0.1.msi '' ''
step 0.0.2 flamenco-tray-0.0.2.msi "$on" "$farm" AUTOSTART=1 "MANAGERS=$farm"
step 0.0.3 flamenco-tray-0.0.3.msi "$on" "$farm"
step 0.0.4 flamenco-tray-0.0.4.msi '' '' AUTOSTART=0 MANAGERS=none
step "$version" "$(basename "$msi")" "$on" 'http://flamenco:8080/' AUTOSTART=1 MANAGERS=http://flamenco:8080/
# An older release over a newer one is refused, and the newer one stays.
if "$wine" msiexec /i 'C:\flamenco-tray-0.0.1.msi' /qn /norestart; then
	echo "wine: 0.0.1 installed over $version; want it refused" >&2
	exit 1
fi
expect "0.0.1 over $version: refused, Apps & features" "$(entries | tr '\n' ' ')" "version $version Flamenco Tray icon "

msiexec /x "C:\\$(basename "$msi")"
expect "uninstalled: Apps & features" "$(entries)" ""
expect "uninstalled: the program folder" "$(test -e "$folder" && echo is there || echo gone)" gone
expect "uninstalled: shortcuts" "$(shortcuts)" 0
expect "uninstalled: the machine-wide Run value" "$(regValue "$run_key" 'Flamenco Tray')" ""
expect "uninstalled: HKLM\\Software\\Flamenco Tray" \
	"$("$wine" reg query 'HKLM\Software\Flamenco Tray' >/dev/null 2>&1 && echo is there || echo gone)" gone
