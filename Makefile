# Flamenco Tray. `make run` starts the app, `make test` runs every test; both install what they need.
SHELL := /bin/bash
GO ?= go
BINARY := flamenco-tray
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# FyneApp.toml's version (three numbers) and build number, for the Windows version resource.
APP_VERSION := $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
APP_BUILD := $(shell sed -n 's/^Build *= *\([0-9]*\)/\1/p' FyneApp.toml)
comma := ,

# Debian packages. Build: a C compiler and the X11/OpenGL headers Fyne's cgo driver needs (also -race).
# Tests: iproute2 and util-linux (unshare) for the network namespaces, Xvfb and dbus for the tray test,
# desktop-file-utils to validate the autostart entry.
BUILD_PACKAGES := gcc libc6-dev pkg-config libgl1-mesa-dev xorg-dev
TEST_PACKAGES := iproute2 util-linux xvfb dbus x11-utils desktop-file-utils
# Windows cross-builds and cross-vet: mingw-w64's C compiler (its -win32 flavour only, half the download
# of gcc-mingw-w64-x86-64) and, through it, binutils-mingw-w64-x86-64's windres for the icon and version.
CROSS_PACKAGES := gcc-mingw-w64-x86-64-win32
MINGW_CC := x86_64-w64-mingw32-gcc
# Wine for the smoke test of the Windows build (Debian 12: Wine 8, 105 MB without recommends).
WINE_PACKAGES := --no-install-recommends wine64
WINE := /usr/lib/wine/wine64
WINE_TEST_PACKAGES := internal/cli internal/idle internal/lending app discovery internal/autostart internal/singleinstance internal/rotatinglog internal/farm internal/localworker internal/machineconfig internal/settings internal/atomicfile
# The MSI is built on Linux by msitools' wixl from build/windows/flamenco-tray.wxs, and read back with
# msiinfo (msitools), for 64-bit Windows.
MSI_PACKAGES := --no-install-recommends wixl msitools
MSI = dist/$(BINARY)-$(APP_VERSION)-windows-amd64.msi
# A studio's code-signing certificate (a .pfx/.p12 file and a file holding its password), with which
# make msi signs the exe it packs and the MSI; with a timestamp server's URL (RFC 3161) when given.
SIGN_PKCS12 ?=
SIGN_PASSWORD_FILE ?=
SIGN_TIMESTAMP_URL ?=
MSI_EXE = $(if $(SIGN_PKCS12),bin/windows/signed/$(BINARY).exe,$(BINARY).exe)
sign = build/windows/sign.sh "$(SIGN_PKCS12)" "$(SIGN_PASSWORD_FILE)" "$(SIGN_TIMESTAMP_URL)" $(1) $(2)
# wine-test-exe is the Windows test binary of package $(1).
wine-test-exe = bin/windows/tests/$(notdir $(1)).test.exe
# Fyne's packaging tool, for macOS bundles and the Linux package. `make package` installs it into bin/
# under its version, so the pinned one runs whatever fyne is on PATH.
FYNE_TOOLS := fyne.io/tools/cmd/fyne@v1.7.4
FYNE := bin/tools/fyne-$(lastword $(subst @, ,$(FYNE_TOOLS)))/fyne
# nfpm packs the .deb and the .rpm: one maintained Go tool for both formats, no rpmbuild or
# dpkg-buildpackage tree, pinned here like fyne (v2.45.2: the newest this Go and proxy accept).
NFPM_TOOL := github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
NFPM := bin/tools/nfpm-$(lastword $(subst @, ,$(NFPM_TOOL)))/nfpm
DEB = dist/$(BINARY)_$(APP_VERSION)_$(LINUX_ARCH).deb
RPM = dist/$(BINARY)-$(APP_VERSION).$(patsubst amd64,x86_64,$(patsubst arm64,aarch64,$(LINUX_ARCH))).rpm
# The studio repositories of docs/studio-it.md, checked with the tools that make and read them.
REPO_PACKAGES := --no-install-recommends dpkg-dev createrepo-c dnf python3
# The Linux package (xz for its tar.xz, desktop-file-validate for its entry), what it is built from,
# and where `make install` puts it: ~/.local for this user, PREFIX=/usr/local (as root) for everyone.
PACKAGE_PACKAGES := xz-utils desktop-file-utils rpm
# The architecture from uname where go is not on PATH (sudo's secure_path), for `sudo make install`.
LINUX_ARCH := $(or $(shell $(GO) env GOARCH 2>/dev/null),$(patsubst x86_64,amd64,$(patsubst aarch64,arm64,$(shell uname -m))))
LINUX_PACKAGE := dist/$(BINARY)-$(APP_VERSION)-linux-$(LINUX_ARCH).tar.xz
LINUX_PACKAGE_SOURCES := go.mod go.sum FyneApp.toml build/linux/package.sh $(wildcard assets/*.png) \
	$(shell find . \( -path ./bin -o -path ./dist -o -path ./.git \) -prune -o -name '*.go' -print)
PREFIX ?= $(HOME)/.local
DESTDIR ?=
CHECK_MAKE := $(MAKE)
MACOS_APP := Flamenco Tray.app
# The screenshots of the README and docs/: Xfce's panel (its systray plugin hosts StatusNotifierItems),
# window manager and notification daemon, xdotool to click, ImageMagick to paint the desktop and take the
# pictures, optipng to shrink them.
SCREENSHOT_PACKAGES := --no-install-recommends xfce4-panel xfwm4 xfce4-notifyd xdotool imagemagick optipng
# Packages that type-check for macOS without Apple's SDK: with CGO_ENABLED=0, Fyne's glfw driver (app/,
# the main package, internal/testkit/minimaltray) does not build for darwin, so those are vetted for Windows only.
DARWIN_VET_PACKAGES := ./assets ./discovery ./internal/hub ./internal/idle ./internal/lending ./internal/testkit/testio ./internal/testkit/fakeclock ./internal/autostart ./internal/singleinstance ./internal/farm ./internal/managerapi ./internal/testkit/farmstandin ./internal/localeenv ./internal/localworker ./internal/rotatinglog ./internal/testkit/ostest ./internal/machineconfig ./internal/atomicfile ./internal/clock

# install-missing installs the Debian packages named in $(1) whose check command $(2) fails.
define install-missing
	@if ! ( $(2) ) >/dev/null 2>&1; then \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			echo "Installing $(1) with apt-get"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); \
		else \
			echo "Missing build or test dependencies. On Debian/Ubuntu: sudo apt-get install $(1)"; \
			echo "(Fedora: gcc libX11-devel libXcursor-devel libXrandr-devel libXinerama-devel libXi-devel libXxf86vm-devel mesa-libGL-devel iproute xorg-x11-server-Xvfb dbus-daemon)"; \
			exit 1; \
		fi; \
	fi
endef

.PHONY: all build run test bench soak fuzz deps test-deps cross-deps modules vet cross-vet windows wine-deps wine-smoke msi msi-check msi-signing-check packages macos macos-bundle-check \
	package-deps package install uninstall package-check deb rpm linux-packages-check linux-repos-check screenshots clean

all: build

deps:
	@command -v $(GO) >/dev/null || { echo "Go is not installed: see https://go.dev/doc/install (Go 1.26 or newer)"; exit 1; }
	$(call install-missing,$(BUILD_PACKAGES),command -v gcc && pkg-config --exists gl x11 xrandr xcursor xinerama xi xxf86vm)

test-deps: deps
	$(call install-missing,$(TEST_PACKAGES),command -v ip && command -v unshare && command -v Xvfb && command -v dbus-daemon && command -v xwininfo && command -v desktop-file-validate)

# Modules are fetched before any test enters its network-less namespace.
modules:
	$(GO) mod download

build: deps modules
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BINARY) .

run: build
	./$(BINARY)

vet: modules
	$(GO) vet ./...

cross-deps:
	$(call install-missing,$(CROSS_PACKAGES),command -v $(MINGW_CC) && command -v x86_64-w64-mingw32-windres)

# The tests and code of every package for Windows (cgo with mingw-w64, as Fyne needs), and what builds
# without Apple's SDK for macOS. Linux-only test harnesses are build-tagged and left out there.
cross-vet: cross-deps modules
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=$(MINGW_CC) $(GO) vet ./...
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) vet $(DARWIN_VET_PACKAGES)

# flamenco-tray.exe for 64-bit Windows: cgo with mingw-w64, a GUI program (no console window; the
# command line attaches to the console it is typed in, see console_windows.go), with the icon and the
# version information of build/windows/flamenco-tray.rc linked in from rsrc_windows_amd64.syso.
windows: cross-deps modules
	@mkdir -p bin/windows
	$(GO) run build/windows/mkico.go assets/icon.png bin/windows/flamenco-tray.ico
	x86_64-w64-mingw32-windres -O coff -i build/windows/flamenco-tray.rc -o rsrc_windows_amd64.syso \
		-DICON_FILE='\"bin/windows/flamenco-tray.ico\"' -DFILE_VERSION=$(subst .,$(comma),$(APP_VERSION)),$(APP_BUILD) \
		-DVERSION_STRING='\"$(APP_VERSION)\"' -DPRODUCT_VERSION='\"$(VERSION)\"'
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=$(MINGW_CC) $(GO) build -ldflags "$(LDFLAGS) -H=windowsgui" -o $(BINARY).exe .

# flamenco-tray.exe and the Windows builds of the tests that need no Linux harness, run under Wine in a
# network namespace with only loopback (build/wine/smoke.sh), as a user whose profile folder has a space
# and letters beyond ASCII: `version` must print, `autostart on`/`status`/`off` must set and clear the
# Run key. Debian 12's Wine 8 needs the stand-in bcryptprimitives.dll of build/wine/.
wine-smoke: wine-deps windows
	@mkdir -p bin/windows/tests
	$(foreach p,$(WINE_TEST_PACKAGES),GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=$(MINGW_CC) $(GO) test -c -o $(call wine-test-exe,$(p)) ./$(p) &&) true
	unshare --net -- build/wine/smoke.sh $(WINE) ./$(BINARY).exe bin/windows/bcryptprimitives.dll \
		$(foreach p,$(WINE_TEST_PACKAGES),$(p):$(call wine-test-exe,$(p)))

# Wine, and the stand-in bcryptprimitives.dll Debian 12's Wine 8 needs for Go programs (build/wine/).
wine-deps: test-deps cross-deps
	$(call install-missing,$(WINE_PACKAGES),test -x $(WINE))
	@if [ "$$(id -u)" != 0 ]; then echo "Wine runs in a network namespace of its own, which needs root (try: sudo make $(MAKECMDGOALS))"; exit 1; fi
	@mkdir -p bin/windows
	$(MINGW_CC) -shared -O2 -s -o bin/windows/bcryptprimitives.dll build/wine/bcryptprimitives.c -ladvapi32

# dist/flamenco-tray-<version>-windows-amd64.msi: flamenco-tray.exe under Program Files\Flamenco Tray,
# a Start-menu shortcut, an entry in Apps & features; upgrades in place; AUTOSTART=1 turns start at
# login on for every user of the machine (build/windows/msi.sh). With SIGN_PKCS12 and SIGN_PASSWORD_FILE,
# a signed copy of the exe (bin/windows/signed/) goes into the MSI, and the MSI is signed.
msi: windows
	$(call install-missing,$(MSI_PACKAGES) $(if $(SIGN_PKCS12),osslsigncode),command -v wixl && command -v msiinfo && command -v msibuild $(if $(SIGN_PKCS12),&& command -v osslsigncode))
	@if [ -n "$(SIGN_PKCS12)" ] && [ -z "$(SIGN_PASSWORD_FILE)" ]; then echo "SIGN_PKCS12 needs SIGN_PASSWORD_FILE: a file holding the certificate's password"; exit 1; fi
	$(if $(SIGN_PKCS12),@mkdir -p $(dir $(MSI_EXE)))
	$(if $(SIGN_PKCS12),$(call sign,$(BINARY).exe,$(MSI_EXE)))
	build/windows/msi.sh $(APP_VERSION) $(APP_VERSION).$(APP_BUILD) $(MSI_EXE) bin/windows/flamenco-tray.ico $(MSI)
	$(if $(SIGN_PKCS12),$(call sign,$(MSI),$(MSI)))

# make msi with a throw-away certificate authority and code-signing certificate: both signatures must
# verify against that authority, the exe's taken out of the MSI (build/windows/checksigning.sh).
msi-signing-check: msi
	$(call install-missing,osslsigncode,command -v osslsigncode)
	MAKE="$(CHECK_MAKE)" build/windows/checksigning.sh

# The MSI's tables read back, then installed, upgraded with AUTOSTART=1, upgraded again and uninstalled
# silently under Wine, in a throw-away prefix in a network namespace with only loopback
# (build/windows/checkmsi.sh).
msi-check: wine-deps msi
	unshare --net -- build/windows/checkmsi.sh $(WINE) bin/windows/bcryptprimitives.dll $(BINARY).exe \
		bin/windows/flamenco-tray.ico $(MSI) $(APP_VERSION) $(APP_VERSION).$(APP_BUILD) $(VERSION)

# Every package a studio rolls out: the .deb, the .rpm and the MSI, in dist/.
packages: deb rpm msi

# Flamenco Tray.app for macOS (Intel and Apple silicon in one binary), on a Mac with Xcode's command line
# tools: Fyne's driver needs Apple's SDK through cgo. `fyne package` adds one to FyneApp.toml's Build,
# as it always does. No Dock icon: build/darwin/lsuielement.sh. Signing is left to the studio.
macos: modules
	@[ "$$(uname -s)" = Darwin ] || { echo "make macos runs on a Mac: Fyne's driver needs Apple's SDK through cgo (see docs/contributors.md)"; exit 1; }
	GOFLAGS=-ldflags=-X=main.version=$(VERSION) $(GO) run $(FYNE_TOOLS) package -os darwin --release
	build/darwin/lsuielement.sh "$(MACOS_APP)/Contents/Info.plist"

# What of `make macos` runs off a Mac: `fyne package -os darwin` wraps a stand-in executable (in a copy
# of the metadata, as it rewrites FyneApp.toml), and LSUIElement lands in the Info.plist it writes.
macos-bundle-check: modules
	@rm -rf bin/darwin && mkdir -p bin/darwin/src/assets
	cp go.mod FyneApp.toml main.go bin/darwin/src/ && cp assets/icon.png bin/darwin/src/assets/
	echo 'stand-in, not a Mach-O binary' > bin/darwin/src/$(BINARY)
	cd bin/darwin/src && $(GO) run $(FYNE_TOOLS) package -os darwin --executable "$$PWD/$(BINARY)"
	build/darwin/lsuielement.sh "bin/darwin/src/$(MACOS_APP)/Contents/Info.plist"
	grep -q '<string>org.flamenco.tray</string>' "bin/darwin/src/$(MACOS_APP)/Contents/Info.plist"

package-deps: deps
	$(call install-missing,$(PACKAGE_PACKAGES),command -v xz && command -v desktop-file-validate && command -v rpm)

$(FYNE):
	GOBIN=$(CURDIR)/$(@D) $(GO) install $(FYNE_TOOLS)

$(NFPM):
	GOBIN=$(CURDIR)/$(@D) $(GO) install $(NFPM_TOOL)

# dist/flamenco-tray_<version>_<arch>.deb and dist/flamenco-tray-<version>.<arch>.rpm, from the Linux
# package: /usr/bin, the desktop entry and icon in /usr/share, start at login for everyone shipped off.
deb: package $(NFPM)
	build/linux/nfpm.sh $(NFPM) deb $(LINUX_PACKAGE) $(APP_VERSION) $(LINUX_ARCH) $(DEB)

rpm: package $(NFPM)
	build/linux/nfpm.sh $(NFPM) rpm $(LINUX_PACKAGE) $(APP_VERSION) $(LINUX_ARCH) $(RPM)

# The .deb and the .rpm installed, run and removed in throw-away roots; the .rpm read back (build/linux/checkpkgs.sh).
linux-packages-check: package-deps deb rpm
	build/linux/checkpkgs.sh $(DEB) $(RPM) $(APP_VERSION) $(VERSION)

# The apt and dnf repositories of docs/studio-it.md, made from the .deb and .rpm, served on loopback in
# a network namespace of their own, and read by apt and dnf with throw-away state (build/linux/checkrepos.sh).
linux-repos-check: deb rpm
	$(call install-missing,$(REPO_PACKAGES),command -v dpkg-scanpackages && command -v createrepo_c && command -v dnf && command -v python3)
	@if [ "$$(id -u)" != 0 ]; then echo "make linux-repos-check needs root: it serves the repositories in a network namespace of its own"; exit 1; fi
	unshare --net -- build/linux/checkrepos.sh $(DEB) $(RPM) $(APP_VERSION)

# The Linux package, dist/flamenco-tray-<FyneApp.toml's Version>-linux-<arch>.tar.xz, made by
# `fyne package -os linux --release` (build/linux/package.sh): the binary (printing `git describe` as
# its version), org.flamenco.tray.desktop, the icon, and Fyne's Makefile for installing from the tarball.
package: package-deps modules $(FYNE)
	build/linux/package.sh $(FYNE) $(VERSION) $(LINUX_PACKAGE)

# install packages first only when the tarball is missing or older than the source, so that
# `sudo make install` after `make package` builds nothing as root.
$(LINUX_PACKAGE): $(LINUX_PACKAGE_SOURCES)
	$(MAKE) package

install: $(LINUX_PACKAGE)
	@if [ "$$(id -u)" = 0 ] && [ "$(origin PREFIX)" = file ]; then \
		echo "note: installing for root only, in $(PREFIX); for every user: sudo make install PREFIX=/usr/local"; \
	fi
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" build/linux/install.sh install $(LINUX_PACKAGE)

uninstall:
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" build/linux/install.sh uninstall

# The package freshly built, its parts listed and checked, the binary run for its version, and
# `make install` / `make uninstall` into temporary directories (build/linux/check.sh).
# (Through another name than $(MAKE), which would run the check under `make -n` too.)
package-check: test-deps package
	MAKE="$(CHECK_MAKE)" build/linux/check.sh $(LINUX_PACKAGE) $(VERSION)

# Tests that open sockets re-run their test binary under `unshare --net` (root needed) and refuse to
# open an SSDP socket anywhere traffic could leave the machine.
# The fuzz steps have execution-count budgets (about 10 s each here), not time budgets: Go 1.26's
# fuzz coordinator can race its own -fuzztime deadline on a loaded machine and fail with "context
# deadline exceeded" and no input (golang/go#75804, fixed in Go 1.27). A real finding still fails and
# writes its reproducer under testdata/fuzz. `make fuzz` keeps long time budgets.
test: test-deps modules vet cross-vet wine-smoke macos-bundle-check package-check linux-packages-check linux-repos-check msi-check msi-signing-check
	@if [ "$$(id -u)" != 0 ]; then echo "make test needs root: it installs what the tests need and runs every test, the SSDP ones in network namespaces (try: sudo make test; as an ordinary user, go test ./... runs the rest and skips those)"; exit 1; fi
	FLAMENCO_TRAY_REQUIRE_ISOLATION=1 $(GO) test -race -count=1 -timeout 15m ./...
	$(GO) test -run '^$$' -fuzz FuzzParseAnswer -fuzztime 150000x ./discovery
	$(GO) test -run '^$$' -fuzz FuzzParseVersion -fuzztime 130000x ./internal/managerapi
	$(GO) test -run '^$$' -fuzz FuzzBaseURL -fuzztime 60000x ./internal/managerapi
	$(GO) test -run '^$$' -fuzz FuzzParseFrame -fuzztime 130000x ./internal/managerapi

# Figures for the closing notes: time to the first verified Manager against the seed's way, how many
# M-SEARCHes go out, what 1, 50 and 200 live trays cost a Manager with 1,000 jobs and 200 Workers
# (requests, bytes and event-bus frames a second per tray, the Manager's goroutines and heap per
# tray), what one tray costs a busy farm, all included, directly and behind a proxy that refuses
# websockets or cuts them after 5 s (BenchmarkTraysOnAManager/busy-farm, about 6 minutes), and what
# one polling tray costs it (internal/farm). Runs in namespaces like the tests.
bench: test-deps modules
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 -timeout 30m . ./discovery ./internal/farm

# The soak of issue 4 on the real clock: browser and advertiser for 10 minutes, Managers coming and going.
soak: test-deps modules
	FLAMENCO_TRAY_SOAK=10m $(GO) test -run '^TestSoak$$' -count 1 -v -timeout 20m ./discovery

fuzz: test-deps modules
	$(GO) test -run '^$$' -fuzz FuzzParseAnswer -fuzztime 5m ./discovery
	$(GO) test -run '^$$' -fuzz FuzzParseVersion -fuzztime 5m ./internal/managerapi
	$(GO) test -run '^$$' -fuzz FuzzBaseURL -fuzztime 5m ./internal/managerapi
	$(GO) test -run '^$$' -fuzz FuzzParseFrame -fuzztime 5m ./internal/managerapi

# docs/screenshots/*.png of the real tray in a real panel (xfce4-panel and xfwm4 on Xvfb at 1280x800),
# finding stand-in Managers in network namespaces (screenshots_test.go). Not part of `make test`.
screenshots: test-deps modules
	$(call install-missing,$(SCREENSHOT_PACKAGES),command -v xfce4-panel && command -v xfwm4 && ls /usr/lib/*/xfce4/notifyd/xfce4-notifyd && command -v xdotool && command -v import && command -v optipng)
	@if [ "$$(id -u)" != 0 ]; then echo "make screenshots needs root: it runs in network namespaces (try: sudo make screenshots)"; exit 1; fi
	$(GO) test -tags screenshots -run '^TestScreenshots$$' -count=1 -v -timeout 5m .

clean:
	rm -f $(BINARY) $(BINARY).exe rsrc_windows_amd64.syso
	rm -rf bin/windows bin/darwin bin/tools dist
