# Flamenco Tray. `make run` starts the app, `make test` runs every test; both install what they need.
SHELL := /bin/bash
GO ?= go
BINARY := flamenco-tray
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

# Debian packages: iproute2 and util-linux (unshare) for the test namespaces, gcc for -race.
DEB_PACKAGES := iproute2 util-linux gcc libc6-dev

.PHONY: all build run test bench fuzz deps modules vet clean

all: build

deps:
	@missing=(); \
	command -v ip >/dev/null || missing+=(iproute2); \
	command -v unshare >/dev/null || missing+=(util-linux); \
	command -v gcc >/dev/null || missing+=(gcc libc6-dev); \
	if [ $${#missing[@]} -gt 0 ]; then \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			echo "Installing $${missing[*]} with apt-get"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $${missing[*]}; \
		else \
			echo "Please install: $${missing[*]} (Debian/Ubuntu: sudo apt-get install $(DEB_PACKAGES))"; exit 1; \
		fi; \
	fi
	@command -v $(GO) >/dev/null || { echo "Go is not installed: see https://go.dev/doc/install (Go 1.26 or newer)"; exit 1; }

# Modules are fetched before any test enters its network-less namespace.
modules:
	$(GO) mod download

build: deps modules
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BINARY) .

run: build
	./$(BINARY)

vet: modules
	$(GO) vet ./...

# Tests that open sockets re-run their test binary under `unshare --net` (root needed) and refuse to
# open an SSDP socket anywhere traffic could leave the machine.
test: deps modules vet
	@if [ "$$(id -u)" != 0 ]; then echo "make test needs root: the tests create network namespaces (try: sudo make test)"; exit 1; fi
	$(GO) test -race -count=1 -timeout 15m ./...
	$(GO) test -run '^$$' -fuzz FuzzParseAnswer -fuzztime 10s ./discovery
	$(GO) test -run '^$$' -fuzz FuzzParseVersion -fuzztime 10s ./discovery

# Figures for the closing notes: time to the first verified Manager against the seed's way, and how
# many M-SEARCHes go out. Runs in namespaces like the tests.
bench: deps modules
	$(GO) test -run '^$$' -bench BenchmarkDiscovery -benchtime 1x -count 1 -timeout 20m ./discovery

fuzz: deps modules
	$(GO) test -run '^$$' -fuzz FuzzParseAnswer -fuzztime 5m ./discovery
	$(GO) test -run '^$$' -fuzz FuzzParseVersion -fuzztime 5m ./discovery

clean:
	rm -f $(BINARY)
