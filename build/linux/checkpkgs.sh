#!/bin/bash
# Checks the .deb and the .rpm (make deb rpm) without touching this machine's own system: the .deb is
# installed into, run from, and removed from a throw-away root with `dpkg --root`; the .rpm's files,
# dependencies and version are read back with `rpm -qp`, and it is installed, run and erased in a
# throw-away root of its own with `rpm --root`.
#
#	build/linux/checkpkgs.sh PACKAGE.deb PACKAGE.rpm APP_VERSION VERSION
set -euo pipefail
deb=$(realpath "$1") rpm=$(realpath "$2") app_version=$3 version=$4
fail() { echo "checkpkgs: $*" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
own_status=$(md5sum /var/lib/dpkg/status)

# The throw-away root has none of the libraries the package depends on: their absence is not checked.
log=$(dpkg --root="$root" --force-depends --force-not-root -i "$deb" 2>&1) || fail "dpkg -i: $log"
[ -x "$root/usr/bin/flamenco-tray" ] || fail "no /usr/bin/flamenco-tray after dpkg -i"
out=$("$root/usr/bin/flamenco-tray" version) || fail "the installed binary does not run: $out"
[ "$out" = "flamenco-tray $version" ] || fail "the installed binary says \"$out\", want \"flamenco-tray $version\""
entry=$root/usr/share/applications/org.flamenco.tray.desktop
report=$(desktop-file-validate "$entry" 2>&1) && [ -z "$report" ] || fail "$entry does not validate: $report"
grep -qxF "Exec=/usr/bin/flamenco-tray" "$entry" || fail "the entry's Exec is $(grep ^Exec= "$entry")"
[ -f "$root/usr/share/pixmaps/org.flamenco.tray.png" ] || fail "no icon"
autostart=$root/usr/share/flamenco-tray/autostart/org.flamenco.tray.desktop
report=$(desktop-file-validate "$autostart" 2>&1) && [ -z "$report" ] || fail "$autostart does not validate: $report"
[ ! -e "$root/etc/xdg/autostart/org.flamenco.tray.desktop" ] || fail "start at login for everyone is on by default"
status=$(dpkg --root="$root" -s flamenco-tray | sed -n 's/^Version: //p')
[ "$status" = "$app_version-1" ] || fail "dpkg lists version $status, want $app_version-1"
echo "== .deb: installed into a throw-away root, ran (\"$out\"), entries valid"

# IT sets the Managers; installing the package again (an upgrade of the same file) keeps them.
managers=$root/etc/flamenco-tray/managers
[ -f "$managers" ] || fail "no /etc/flamenco-tray/managers template"
grep -qv '^#' "$managers" && fail "the shipped /etc/flamenco-tray/managers sets a Manager: $(grep -v '^#' "$managers")"
echo 'http://flamenco.studio.lan:8080/' >>"$managers"
log=$(dpkg --root="$root" --force-depends --force-not-root -i "$deb" 2>&1) || fail "dpkg -i again: $log"
grep -qxF 'http://flamenco.studio.lan:8080/' "$managers" || fail "installing again lost IT's Managers: $(cat "$managers")"
echo "== .deb: installed again, IT's /etc/flamenco-tray/managers kept"

dpkg --root="$root" --force-not-root -r flamenco-tray >/dev/null
left=$(find "$root" -type f -not -path "$root/var/lib/dpkg/*")
[ "$left" = "$managers" ] || fail "left after dpkg -r: \"$left\", want IT's $managers only"
dpkg --root="$root" --force-not-root -P flamenco-tray >/dev/null
left=$(find "$root" -type f -not -path "$root/var/lib/dpkg/*")
[ -z "$left" ] || fail "left after dpkg -P: $left"
[ "$own_status" = "$(md5sum /var/lib/dpkg/status)" ] || fail "this machine's dpkg status changed"
echo "== .deb: removed (IT's Managers kept), purged (nothing left); this machine's packages untouched"

files=$(rpm -qp --list "$rpm" 2>/dev/null)
for f in /usr/bin/flamenco-tray /usr/share/applications/org.flamenco.tray.desktop /usr/share/pixmaps/org.flamenco.tray.png \
	/usr/share/flamenco-tray/autostart/org.flamenco.tray.desktop /etc/flamenco-tray/managers; do
	grep -qxF "$f" <<<"$files" || fail "the rpm has no $f: $files"
done
requires=$(rpm -qp --requires "$rpm" 2>/dev/null)
for r in 'libGL.so.1()(64bit)' 'libX11.so.6()(64bit)'; do
	grep -qxF "$r" <<<"$requires" || fail "the rpm does not require $r: $requires"
done
configs=$(rpm -qp --configfiles "$rpm" 2>/dev/null)
[ "$configs" = /etc/flamenco-tray/managers ] || fail "the rpm's configuration files are \"$configs\", want /etc/flamenco-tray/managers"
rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm" 2>/dev/null | grep -qx 'cn /etc/flamenco-tray/managers' ||
	fail "the rpm does not keep an edited /etc/flamenco-tray/managers (%config(noreplace))"
rpm_version=$(rpm -qp --qf '%{VERSION}-%{RELEASE}.%{ARCH}' "$rpm" 2>/dev/null)
[ "$rpm_version" = "$app_version-1.x86_64" ] || fail "the rpm is $rpm_version, want $app_version-1.x86_64"
echo "== .rpm: $rpm_version, its files and dependencies as expected"

# The .rpm in a throw-away root: rpm --root keeps its database at rpm's _dbpath inside it (Debian's
# rpm: ~/.rpmdb); nothing of this machine's rpm database changes.
rpm_root=$(mktemp -d)
rpm_db=$(rpm --eval '%{_dbpath}')
trap 'rm -rf "$root" "$rpm_root"' EXIT
# rpm_in ARGS... runs rpm in the throw-away root, printing what it says but Debian's note against
# using rpm at all; it fails as rpm does.
rpm_in() {
	local out rc=0
	out=$(rpm --root "$rpm_root" "$@" 2>&1) || rc=$?
	grep -v -e 'should not be used directly' -e 'assuming you know what you are doing' <<<"$out" || true
	return $rc
}
own_rpmdb=$(find "$rpm_db" -type f -exec md5sum {} + 2>/dev/null | sort)
rpm --root "$rpm_root" --initdb
# The throw-away root has none of the libraries the package depends on (--nodeps): their absence is
# not checked here.
log=$(rpm_in -i --nodeps "$rpm") || fail "rpm -i: $log"
[ -x "$rpm_root/usr/bin/flamenco-tray" ] || fail "no /usr/bin/flamenco-tray after rpm -i: $log"
out=$("$rpm_root/usr/bin/flamenco-tray" version) || fail "the binary the rpm installed does not run: $out"
[ "$out" = "flamenco-tray $version" ] || fail "the binary the rpm installed says \"$out\", want \"flamenco-tray $version\""
[ ! -e "$rpm_root/etc/xdg/autostart/org.flamenco.tray.desktop" ] || fail "the rpm turns start at login for everyone on"
echo 'http://flamenco.studio.lan:8080/' >>"$rpm_root/etc/flamenco-tray/managers"
log=$(rpm_in -U --replacepkgs --nodeps "$rpm") || fail "rpm -U: $log"
grep -qxF 'http://flamenco.studio.lan:8080/' "$rpm_root/etc/flamenco-tray/managers" ||
	fail "installing the rpm again lost IT's Managers: $log"
[ ! -e "$rpm_root/etc/flamenco-tray/managers.rpmnew" ] || fail "installing the rpm again left managers.rpmnew"
log=$(rpm_in -e flamenco-tray) || fail "rpm -e: $log"
left=$(find "$rpm_root" -type f -not -path "$rpm_root$rpm_db/*")
[ "$left" = "$rpm_root/etc/flamenco-tray/managers.rpmsave" ] ||
	fail "left after rpm -e: \"$left\", want IT's edited list kept as managers.rpmsave ($log)"
[ "$own_rpmdb" = "$(find "$rpm_db" -type f -exec md5sum {} + 2>/dev/null | sort)" ] ||
	fail "this machine's rpm database changed"
echo "== .rpm: installed into a throw-away root, ran (\"$out\"), installed again (IT's Managers kept), erased (kept as managers.rpmsave)"
