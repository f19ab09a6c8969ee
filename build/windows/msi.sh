#!/bin/bash
# WORK IN PROGRESS (issue 19): see the top of build/windows/flamenco-tray.wxs.
# Builds the MSI from build/windows/flamenco-tray.wxs with msitools' wixl, then adds the one row wixl
# cannot write: the Condition that installs the machine-wide Run key when AUTOSTART=1.
#
#	build/windows/msi.sh VERSION OUT.msi      (run from the repository, after make windows)
set -euo pipefail
version=$1 out=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$out")"
wixl -a x64 -D Version="$version" -o "$work/package.msi" build/windows/flamenco-tray.wxs
printf 'Feature_\tLevel\tCondition\ns38\ti2\tS255\nCondition\tFeature_\tLevel\nStartAtLoginForEveryone\t1\tAUTOSTART="1" OR Installed\n' \
	>"$work/Condition.idt"
(cd "$work" && msibuild package.msi -i Condition.idt)
mv "$work/package.msi" "$out"
echo "built $out"
