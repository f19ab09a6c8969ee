#!/bin/bash
# make msi runs this: the MSI of Flamenco Tray from build/windows/flamenco-tray.wxs, built by msitools'
# wixl, then the rows wixl cannot write, added with msibuild's SQL:
#   - the condition that installs the machine-wide Run value only when AUTOSTART="1" (wixl has no
#     Component Condition element);
#   - the same for the Managers set for every user: only when MANAGERS is said and is not "none";
#   - the set-property actions that keep start at login for everyone, and the Managers, across an
#     upgrade that does not say AUTOSTART or MANAGERS: wixl's <Custom After="AppSearch"> lands at the end of the sequence and moves
#     RemoveExistingProducts after InstallFinalize, so the rows are written here, at 51, right after
#     AppSearch (50) has looked for the Run value;
#   - the exe's file version in the File table (wixl leaves it empty: Windows Installer would then
#     treat the exe as an unversioned file when deciding whether to replace it);
#   - AUTOSTART and MANAGERS in SecureCustomProperties, so that an install started by a user and elevated by UAC
#     still passes it to the part of msiexec that installs (wixl has no Secure attribute).
#
#	build/windows/msi.sh VERSION FILE_VERSION EXE ICON OUT.msi      (run from the repository)
# VERSION is the product's (three numbers), FILE_VERSION the exe's version resource (four).
set -euo pipefail
version=$1 file_version=$2 exe=$3 icon=$4 out=$5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$out")" "$work/bin/windows"
# wixl resolves Source= against the current directory: the exe and icon asked for, under the names the
# description uses.
cp "$exe" "$work/flamenco-tray.exe"
cp "$icon" "$work/bin/windows/flamenco-tray.ico"
wxs=$(realpath build/windows/flamenco-tray.wxs)
(cd "$work" && wixl -a x64 -D Version="$version" -o package.msi "$wxs")

keep='NOT AUTOSTART AND AUTOSTART_FOUND'
keep_managers='NOT MANAGERS AND MANAGERS_FOUND'
secure=$(msiinfo export "$work/package.msi" Property | sed -n 's/^SecureCustomProperties\t//p' | tr -d '\r')
msibuild "$work/package.msi" \
	-q "UPDATE \`Component\` SET \`Condition\` = 'AUTOSTART=\"1\"' WHERE \`Component\` = 'StartAtLoginForEveryone'" \
	-q "INSERT INTO \`CustomAction\` (\`Action\`, \`Type\`, \`Source\`, \`Target\`) VALUES ('KeepStartAtLoginForEveryone', 51, 'AUTOSTART', '1')" \
	-q "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('KeepStartAtLoginForEveryone', '$keep', 51)" \
	-q "INSERT INTO \`InstallUISequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('KeepStartAtLoginForEveryone', '$keep', 51)" \
	-q "UPDATE \`Component\` SET \`Condition\` = 'MANAGERS AND MANAGERS<>\"none\"' WHERE \`Component\` = 'ManagersForEveryone'" \
	-q "INSERT INTO \`CustomAction\` (\`Action\`, \`Type\`, \`Source\`, \`Target\`) VALUES ('KeepManagersForEveryone', 51, 'MANAGERS', '[MANAGERS_FOUND]')" \
	-q "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('KeepManagersForEveryone', '$keep_managers', 52)" \
	-q "INSERT INTO \`InstallUISequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('KeepManagersForEveryone', '$keep_managers', 52)" \
	-q "UPDATE \`File\` SET \`Version\` = '$file_version' WHERE \`File\` = 'FlamencoTrayExe'" \
	-q "UPDATE \`Property\` SET \`Value\` = '${secure:+$secure;}AUTOSTART;AUTOSTART_FOUND;MANAGERS;MANAGERS_FOUND' WHERE \`Property\` = 'SecureCustomProperties'"
mv "$work/package.msi" "$out"
echo "built $out"
