#!/bin/bash
# make linux-repos-check runs this under `unshare --net` (only loopback): the studio repositories of
# docs/studio-it.md, made exactly as it says (a flat apt repository indexed by dpkg-scanpackages, a dnf
# one by createrepo_c), served over HTTP on loopback, and read through its repository lines by apt
# and dnf with throw-away state (nothing of this machine's own apt or rpm database is used or changed):
# each must offer flamenco-tray at the package's version, and apt must fetch the very .deb.
#
#	build/linux/checkrepos.sh PACKAGE.deb PACKAGE.rpm APP_VERSION
set -euo pipefail
deb=$(realpath "$1") rpm=$(realpath "$2") app_version=$3
fail() { echo "checkrepos: $*" >&2; exit 1; }
ip link set lo up
work=$(mktemp -d)
server=
trap '[ -z "$server" ] || kill "$server"; rm -rf "$work"' EXIT

mkdir -p "$work/srv/apt" "$work/srv/rpm"
# docs/studio-it.md's commands, with its paths.
(cd "$work/srv/apt" && cp "$deb" . && dpkg-scanpackages --multiversion . >Packages 2>/dev/null && gzip -kf Packages)
(cd "$work/srv/rpm" && cp "$rpm" . && createrepo_c . >/dev/null)
python3 -m http.server --bind 127.0.0.1 --directory "$work/srv" 8080 >"$work/http.log" 2>&1 &
server=$!
for _ in $(seq 50); do
	(exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break
	sleep 0.1
done

# apt, as a workstation with docs/studio-it.md's sources line would.
a=$work/apt
mkdir -p "$a/lists/partial" "$a/archives/partial" "$a/sources.list.d" "$a/download"
touch "$a/status"
echo 'deb [trusted=yes] http://127.0.0.1:8080/apt ./' >"$a/sources.list.d/flamenco-tray.list"
apt_opts=(-o Dir::State::Lists="$a/lists" -o Dir::State::status="$a/status" -o Dir::Cache="$a"
	-o Dir::Cache::archives="$a/archives" -o Dir::Etc::SourceList=/dev/null
	-o Dir::Etc::SourceParts="$a/sources.list.d" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
log=$(apt-get "${apt_opts[@]}" update 2>&1) || fail "apt-get update: $log"
candidate=$(apt-cache "${apt_opts[@]}" policy flamenco-tray | sed -n 's/^ *Candidate: //p')
[ "$candidate" = "$app_version-1" ] || fail "apt offers flamenco-tray $candidate, want $app_version-1"
echo "checkrepos: apt offers flamenco-tray $candidate"
log=$(cd "$a/download" && apt-get "${apt_opts[@]}" download flamenco-tray 2>&1) || fail "apt-get download: $log"
cmp -s "$a/download/"*.deb "$deb" || fail "apt fetched another file than $deb"
echo "checkrepos: apt fetches $(basename "$deb")"

# dnf, with docs/studio-it.md's .repo file, into a throw-away install root.
d=$work/dnf
mkdir -p "$d/yum.repos.d" "$d/root"
printf '[flamenco-tray]\nname=Flamenco Tray\nbaseurl=http://127.0.0.1:8080/rpm\ngpgcheck=0\n' >"$d/yum.repos.d/flamenco-tray.repo"
dnf_opts=(-q --installroot="$d/root" --setopt=reposdir="$d/yum.repos.d" --setopt=cachedir="$d/cache"
	--releasever=9 --repo=flamenco-tray)
got=$(dnf "${dnf_opts[@]}" repoquery --qf '%{name} %{version} %{arch}' flamenco-tray 2>&1) || fail "dnf repoquery: $got"
[ "$got" = "flamenco-tray $app_version x86_64" ] || fail "dnf offers \"$got\", want \"flamenco-tray $app_version x86_64\""
echo "checkrepos: dnf offers $got"
requires=$(dnf "${dnf_opts[@]}" repoquery --requires flamenco-tray 2>&1) || fail "dnf repoquery --requires: $requires"
grep -qxF 'libGL.so.1()(64bit)' <<<"$requires" || fail "dnf lists no libGL.so.1()(64bit) among: $requires"
echo "checkrepos: dnf lists its requirements: $(tr '\n' ' ' <<<"$requires")"
