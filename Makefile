# bucketd: the two everyday commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := build

GO ?= go
# Test peers are built once into a cache folder outside the repository and reused.
CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/bucketd
VERSITYGW_VERSION := v1.8.0
VERSITYGW := $(CACHE_DIR)/versitygw-$(VERSITYGW_VERSION)/versitygw
export BUCKETD_VERSITYGW := $(VERSITYGW)
# The Azure test peer, Azurite, pinned by its lock file; npm ci reruns only when the lock changes.
AZURITE_DIR := testsupport/azurite
AZURITE_STAMP := $(AZURITE_DIR)/node_modules/.package-lock.json
# The spec tools (openapi-typescript, @redocly/cli), pinned by gen/ts's lock file, and the Node
# tests' dependencies, pinned by theirs; each npm ci reruns only when its lock changes.
GEN_TS_DIR := gen/ts
GEN_TS_STAMP := $(GEN_TS_DIR)/node_modules/.package-lock.json
REDOCLY := $(GEN_TS_DIR)/node_modules/.bin/redocly
OPENAPI_TS := $(GEN_TS_DIR)/node_modules/.bin/openapi-typescript
# The console's sources and build tools (Preact, Vite, TypeScript), pinned by its lock file; make
# generate builds it into adapters/console/dist, which the binary embeds.
CONSOLE_DIR := adapters/console/web
CONSOLE_STAMP := $(CONSOLE_DIR)/node_modules/.package-lock.json
NODE_TESTS_DIR := cmd/bucketd/node
NODE_TESTS_STAMP := $(NODE_TESTS_DIR)/node_modules/.package-lock.json
# Redocly's CLI checks npm for a newer version of itself on every run; the answer changes nothing.
export REDOCLY_SUPPRESS_UPDATE_NOTICE := true

# cloud.google.com/go/storage links gRPC's DirectPath modules (xDS, RLS and what they import,
# about 150 packages) unless it is built with its disable_grpc_modules tag. bucketd reaches GCS
# over the JSON API only, so every build here leaves them out, for a smaller binary and resident
# set (see docs/performance.md). The tag reaches every go command make runs, and the binaries the
# tests and the bench build, through GOFLAGS.
export GOFLAGS := $(strip $(GOFLAGS) -tags=disable_grpc_modules)

.PHONY: generate check-generate build run test test-peers lint fmt fuzz bench

## generate: regenerate gen/ (Go server and client, TypeScript SDK, docs page) and testsupport/mocks
## from openapi.yaml and ports/, then build the console (type-checked against the SDK) into
## adapters/console/dist.
generate: $(GEN_TS_STAMP) $(CONSOLE_STAMP)
	$(GO) generate ./gen/... ./ports/...
	$(OPENAPI_TS) openapi.yaml --redocly .redocly.yaml --output $(GEN_TS_DIR)/schema.d.ts
	npm run --prefix $(CONSOLE_DIR) --silent build

# What make generate writes, all of it committed.
GENERATED := gen testsupport/mocks adapters/console/dist

## check-generate: fail when the committed generated code differs from what generate produces.
check-generate: generate
	@git diff --exit-code -- $(GENERATED) || { echo "generated code is stale: run make generate and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- $(GENERATED))" || { git status --short -- $(GENERATED); echo "untracked generated files: commit them"; exit 1; }

# What `bin/bucketd --version` prints; without git (a source archive) the binary says unknown.
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

## build: a static binary at bin/bucketd. A first build (empty Go caches) downloads the modules
## and compiles every package the binary links; it says so first and counts the packages as
## go build -v names them, passing every other line (downloads, errors) through.
build:
	@[ -e bin/bucketd ] || echo "build: first build of bin/bucketd: with empty Go caches it downloads the modules and \
	compiles about 800 packages, several minutes on 2 cores; later builds take seconds"
	@set -o pipefail; CGO_ENABLED=0 $(GO) build -v -trimpath -ldflags '$(LDFLAGS)' -o bin/bucketd ./cmd/bucketd 2>&1 | \
		awk '/^[A-Za-z0-9._~\/-]+$$/ { if (++n % 100 == 0) printf "build: %d packages compiled\n", n; next } { print }'
	@echo "build: bin/bucketd $$(bin/bucketd --version)"

## run: a development server on SQLite (./var), with a generated master key and a dev token.
run: build
	bin/bucketd serve --dev

## test: every test, with the race detector, against real SQLite, versitygw, Azurite, Chromium
## (the console's browser tests) and (when BUCKETD_TEST_POSTGRES_DSN is set) PostgreSQL.
test: test-peers
	@[ -n "$$BUCKETD_TEST_POSTGRES_DSN" ] || echo "NOTE: PostgreSQL tests NOT run: set BUCKETD_TEST_POSTGRES_DSN=postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	$(GO) test -race -count=1 -timeout 15m ./...

# FUZZ_TARGETS is every fuzz target as package:Name, found in the test files so that a new
# target is fuzzed without being listed here.
FUZZ_TARGETS = $(shell grep -rEo --include='*_test.go' --exclude-dir=node_modules '^func Fuzz[A-Za-z0-9_]+' . \
	| sed -E 's|^(.*)/[^/]+_test\.go:func |\1:|' | sort)
FUZZTIME ?= 20s

## fuzz: run every fuzz target for FUZZTIME (default 20s) each, one after another, starting from
## the seed corpora committed under each package's testdata/fuzz. A failing input is written
## there too, to be committed with the fix.
## Go 1.26's fuzz coordinator can end a run that found nothing with a bare "context deadline
## exceeded" when FUZZTIME runs out during an execution (golang/go#75804); such a run, with no
## failing input written and no other failure, counts as passed. Anything else fails.
fuzz:
	@test -n "$(FUZZ_TARGETS)" || { echo "no fuzz targets found"; exit 1; }
	@set -o pipefail; log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	for t in $(FUZZ_TARGETS); do \
		echo "fuzz: $${t#*:} in $${t%:*} for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) $${t%:*} 2>&1 | tee "$$log" && continue; \
		grep -q 'Failing input written' "$$log" && exit 1; \
		[ "$$(grep -A1 -- '^--- FAIL: ' "$$log" | tail -n 1)" = "    context deadline exceeded" ] || exit 1; \
		[ "$$(grep -c -- '^--- FAIL: ' "$$log")" = 1 ] || exit 1; \
		echo "fuzz: $${t#*:} hit Go 1.26's fuzztime-deadline race (golang/go#75804, fixed in Go 1.27) and found no failing input: counted as passed"; \
	done

# BENCH_DATABASE_URL is the PostgreSQL server the benchmark creates its own database on (and drops
# it afterwards); BENCH_FLAGS adds flags of cmd/bucketd-bench, e.g. --pprof-dir prof.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
BENCH_FLAGS ?=

## bench: the whole server under load against the machine's own baselines (pgbench, Echo+pgx
## handlers, bare Echo handlers; cmd/bucketd-bench), then the micro-benchmarks and the validation
## round trips per provider. About 7 minutes on 2 cores.
bench: build test-peers
	$(GO) run ./cmd/bucketd-bench --bucketd bin/bucketd --database-url '$(BENCH_DATABASE_URL)' $(BENCH_FLAGS)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 500ms ./domain/ ./adapters/aesgcm/ ./adapters/httpapi/
	$(GO) test -run '^$$' -bench BenchmarkValidateWallTime -benchtime 20x \
		./adapters/s3validator/ ./adapters/gcsvalidator/ ./adapters/azurevalidator/

## test-peers: build the S3 test peer (versitygw) into the cache, install the Azure one
## (Azurite) and the Node tests' dependencies from their lock files on first use. GCS's fake
## runs inside the tests.
test-peers: $(VERSITYGW) $(AZURITE_STAMP) $(NODE_TESTS_STAMP)

$(AZURITE_STAMP): $(AZURITE_DIR)/package-lock.json
	npm ci --prefix $(AZURITE_DIR) --no-audit --no-fund

$(GEN_TS_STAMP): $(GEN_TS_DIR)/package-lock.json
	npm ci --prefix $(GEN_TS_DIR) --no-audit --no-fund

$(CONSOLE_STAMP): $(CONSOLE_DIR)/package-lock.json
	npm ci --prefix $(CONSOLE_DIR) --no-audit --no-fund

$(NODE_TESTS_STAMP): $(NODE_TESTS_DIR)/package-lock.json
	npm ci --prefix $(NODE_TESTS_DIR) --no-audit --no-fund

$(VERSITYGW):
	@echo "building versitygw $(VERSITYGW_VERSION) into $(dir $@) (once; about 80 s on 2 cores)"
	GOBIN=$(dir $@) GOFLAGS=-buildvcs=false $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

# golangci-lint, pinned, built once into the cache folder like the test peers.
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := $(CACHE_DIR)/golangci-lint-$(GOLANGCI_LINT_VERSION)/golangci-lint

$(GOLANGCI_LINT):
	@echo "building golangci-lint $(GOLANGCI_LINT_VERSION) into $(dir $@) (once; about 3 minutes on 2 cores)"
	GOBIN=$(dir $@) GOFLAGS= $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

## lint: formatting, vet, staticcheck, errcheck and gosec (.golangci.yml), the dependency rule
## of every layer (.ci/layers, and .ci/layers-test proving each rule fails on a planted
## violation), no gRPC DirectPath modules in the binary, and openapi.yaml against
## .redocly.yaml's rules (errors fail; .redocly.lint-ignore.yaml lists the exceptions).
lint: $(GEN_TS_STAMP) $(GOLANGCI_LINT)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "run gofmt -w"; exit 1; }
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...
	.ci/layers
	.ci/layers-test
	@! $(GO) list -deps ./cmd/bucketd | grep -q '^google.golang.org/grpc/xds' || \
		{ echo "bucketd links gRPC's xDS modules: does cloud.google.com/go/storage still honour disable_grpc_modules?"; exit 1; }
	$(REDOCLY) lint --config .redocly.yaml openapi.yaml

fmt:
	gofmt -w $$(git ls-files '*.go')
