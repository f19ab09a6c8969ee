#!/bin/bash
# Packs the .deb or the .rpm from the Linux package `make package` built: its binary, desktop entry
# (Exec made the installed path) and icon are staged, then nfpm packs them as build/linux/nfpm.yaml says.
#
#	build/linux/nfpm.sh NFPM deb|rpm PACKAGE.tar.xz APP_VERSION GOARCH OUT
set -euo pipefail
nfpm=$1 format=$2 tarball=$3 app_version=$4 goarch=$5 out=$6

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/tar" "$stage/files"
tar -xJf "$tarball" -C "$stage/tar"
root=$stage/tar/flamenco-tray/usr/local
cp "$root/bin/flamenco-tray" "$root/share/pixmaps/org.flamenco.tray.png" "$stage/files/"
# Fyne's entry says Exec=flamenco-tray; the packaged one names where the package puts it.
sed 's|^Exec=.*|Exec=/usr/bin/flamenco-tray|' "$root/share/applications/org.flamenco.tray.desktop" \
	>"$stage/files/org.flamenco.tray.desktop"

cp build/linux/org.flamenco.tray-autostart.desktop build/linux/managers "$stage/files/"

mkdir -p "$(dirname "$out")"
config=$(realpath build/linux/nfpm.yaml) nfpm=$(realpath "$nfpm") out=$(realpath -m "$out")
cd "$stage/files"
APP_VERSION=$app_version GOARCH=$goarch "$nfpm" package --config "$config" --packager "$format" --target "$out"
