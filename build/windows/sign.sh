#!/bin/bash
# Signs a Windows file (the exe or the MSI) with a studio's code-signing certificate, through
# osslsigncode (Authenticode, SHA-256), as make msi does when SIGN_PKCS12 is given. The password is
# read from a file, so that it is neither on a command line (ps shows those) nor in make's output. With
# a timestamp server (RFC 3161), the signature stays valid after the certificate expires.
#
#	build/windows/sign.sh PKCS12 PASSWORD_FILE TIMESTAMP_URL IN OUT      (TIMESTAMP_URL may be "")
set -euo pipefail
pkcs12=$1 password_file=$2 timestamp_url=$3 in=$4 out=$5
for f in "$pkcs12" "$password_file"; do
	[ -r "$f" ] || { echo "sign: cannot read $f" >&2; exit 1; }
done
tmp=$(mktemp "$(dirname "$out")/.signing.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# osslsigncode refuses to write over an existing file.
rm -f "$tmp"
if ! log=$(osslsigncode sign -pkcs12 "$pkcs12" -readpass "$password_file" -h sha256 \
	-n "Flamenco Tray" -i https://flamenco.blender.org/ ${timestamp_url:+-ts "$timestamp_url"} \
	-in "$in" -out "$tmp" 2>&1); then
	printf 'sign: osslsigncode could not sign %s with %s:\n%s\n' "$in" "$pkcs12" "$log" >&2
	exit 1
fi
mv "$tmp" "$out"
echo "signed $out"
