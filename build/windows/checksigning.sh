#!/bin/bash
# make msi-signing-check runs this: make msi as a studio would with its own certificate (SIGN_PKCS12,
# SIGN_PASSWORD_FILE), here a throw-away authority and code-signing certificate made with openssl, whose
# password has a space and a letter beyond ASCII. The MSI's signature and that of the exe inside it
# (taken out with msiextract) must verify against that authority, and a wrong password must fail
# make msi with osslsigncode's reason.
set -euo pipefail
make=${MAKE:-make}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
quiet() { "$@" >/dev/null 2>&1; }
quiet openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" -days 2 \
	-subj "/CN=Flamenco Tray test studio root" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign"
quiet openssl req -newkey rsa:2048 -nodes -keyout "$work/signing.key" -out "$work/signing.csr" \
	-subj "/CN=Flamenco Tray test studio code signing"
printf 'extendedKeyUsage=codeSigning\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n' >"$work/ext"
quiet openssl x509 -req -in "$work/signing.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
	-out "$work/signing.pem" -days 2 -extfile "$work/ext"
echo 'studio pässword' >"$work/password"
openssl pkcs12 -export -inkey "$work/signing.key" -in "$work/signing.pem" -certfile "$work/ca.pem" \
	-out "$work/studio.pfx" -passout "file:$work/password"

msi=$work/dist/flamenco-tray-signed.msi
"$make" --no-print-directory msi SIGN_PKCS12="$work/studio.pfx" SIGN_PASSWORD_FILE="$work/password" MSI="$msi" >"$work/make.log" 2>&1 ||
	{ cat "$work/make.log" >&2; echo "signing: make msi with a certificate failed" >&2; exit 1; }
verify() {
	if ! out=$(osslsigncode verify -CAfile "$work/ca.pem" -in "$1" 2>&1); then
		printf 'signing: %s does not verify:\n%s\n' "$2" "$out" >&2
		exit 1
	fi
	grep -q "Signer's certificate:" <<<"$out" && grep -q "Flamenco Tray test studio code signing" <<<"$out" ||
		{ printf 'signing: %s is not signed by the test certificate:\n%s\n' "$2" "$out" >&2; exit 1; }
	echo "signing: $2 verifies"
}
verify "$msi" "the MSI"
mkdir "$work/extracted"
(cd "$work/extracted" && msiextract "$msi" >/dev/null)
exe=$(find "$work/extracted" -name flamenco-tray.exe)
[ -n "$exe" ] || { echo "signing: no flamenco-tray.exe in the MSI" >&2; exit 1; }
verify "$exe" "the exe in the MSI"

echo 'not the password' >"$work/wrong"
if "$make" --no-print-directory msi SIGN_PKCS12="$work/studio.pfx" SIGN_PASSWORD_FILE="$work/wrong" \
	MSI="$work/dist/wrong.msi" >"$work/wrong.log" 2>&1; then
	echo "signing: make msi signed with a wrong password" >&2
	exit 1
fi
grep -q "Wrong password" "$work/wrong.log" ||
	{ cat "$work/wrong.log" >&2; echo "signing: make msi with a wrong password did not say so" >&2; exit 1; }
echo "signing: a wrong password fails make msi with: $(grep -m1 "Wrong password" "$work/wrong.log")"
