# sshshare — `make help` lists the targets.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -s -w -X main.version=$(VERSION)
GO      ?= go
# The newest Go release the module proxy serves here, with the standard
# library's security fixes that go1.26.8 lacks; go.mod's language version
# stays 1.26. The go command fetches it on first use (about 76 MB).
GOTOOLCHAIN ?= go1.27.3
export GOTOOLCHAIN
PREFIX  ?= $(HOME)/.local
# staticcheck must be built by the Go that builds the code (one built by
# an older Go cannot read a newer standard library), so lint keeps its own,
# per toolchain, under bin/.
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK ?= $(CURDIR)/bin/tools/$(GOTOOLCHAIN)/staticcheck

.DEFAULT_GOAL := help
.PHONY: help build install test lint bench demo cross fuzz clean

help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z]+:.*## / {printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# No cgo: ssh starts sshshare for every connection (more than once when
# it is also the KnownHostsCommand), and a static binary starts about a
# millisecond sooner than one that loads libc.
build: ## Build bin/sshshare with the version injected.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/sshshare ./cmd/sshshare

install: ## Install sshshare into $(PREFIX)/bin (default ~/.local/bin).
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/sshshare ./cmd/sshshare
	install -d $(PREFIX)/bin
	install -m 0755 bin/sshshare $(PREFIX)/bin/sshshare

test: ## Run every unit and integration test with the race detector.
	$(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -race -count=1 -tags sshshare_nextproto ./share/control/... ./share/invoke/...

lint: ## go vet, staticcheck, gofmt and go mod tidy checks.
	$(GO) vet ./...
	@test -x "$(STATICCHECK)" || GOBIN="$(dir $(STATICCHECK))" $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(STATICCHECK) ./...
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) mod tidy -diff

bench: ## sshshare's two doors vs ControlMaster vs plain ssh on a local sshd; prints tables, writes docs/benchmarks.md.
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./integration/bench -args -docs "$(CURDIR)/docs/benchmarks.md"

demo: build ## The main job on a throwaway local sshd: cold and warm ssh through both doors, ControlMaster beside them.
	$(GO) run ./integration/demo -sshshare "$(CURDIR)/bin/sshshare"

cross: ## Build for darwin/amd64, darwin/arm64 and windows/amd64.
	GOOS=darwin  GOARCH=amd64 $(GO) build -o /dev/null ./...
	GOOS=darwin  GOARCH=arm64 $(GO) build -o /dev/null ./...
	GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./...

FUZZTIME ?= 60s

fuzz: ## Fuzz every parser of untrusted bytes for FUZZTIME (default a minute) each.
	$(GO) test -run '^$$' -fuzz '^FuzzExpand$$' -fuzztime $(FUZZTIME) ./tokens
	$(GO) test -run '^$$' -fuzz '^FuzzReadHello$$' -fuzztime $(FUZZTIME) ./share/control
	$(GO) test -run '^$$' -fuzz '^FuzzReadReply$$' -fuzztime $(FUZZTIME) ./share/control
	$(GO) test -run '^$$' -fuzz '^FuzzParseKexInit$$' -fuzztime $(FUZZTIME) ./share
	$(GO) test -run '^$$' -fuzz '^FuzzSocksRequest$$' -fuzztime $(FUZZTIME) ./share
	$(GO) test -run '^$$' -fuzz '^FuzzParseSSHG$$' -fuzztime $(FUZZTIME) ./share/upstream
	$(GO) test -run '^$$' -fuzz '^FuzzReadMessage$$' -fuzztime $(FUZZTIME) ./share/mux

clean: ## Remove built binaries.
	rm -rf bin dist
