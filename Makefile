# ArtifactAPI. `make run` serves on :8000 with the embedded default;
# `make test` runs the whole suite (CI runs the same through .ci/run).
GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build ui ui-test run test e2e fuzz faults lint fmt bench bench-scaleout provider clean

STATICCHECK_VERSION := v0.8.2

build: ui
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/artifactapi ./cmd/artifactapi

# The web UI (ui/): installed from its lockfile and built into
# internal/webui/dist, which the binary embeds. Skipped when nothing in ui/
# changed since the last build.
ui: internal/webui/dist/index.html
internal/webui/dist/index.html: ui/package-lock.json $(shell find ui/src ui/index.html ui/vite.config.ts ui/tsconfig.json -type f 2>/dev/null)
	cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build
	touch internal/webui/dist/.gitkeep internal/webui/dist/index.html

# The UI's component tests (Vitest) and its end-to-end tests in Debian's
# Chromium against the built binary (scripts/install-clients.sh installs it).
ui-test: build
	cd ui && npx vitest run
	cd ui && ARTIFACTAPI_BIN=$(CURDIR)/bin/artifactapi node e2e/run.mjs

run: build
	./bin/artifactapi

# The whole suite, with PostgreSQL, Redis and an S3 server up (see
# scripts/with-services.sh) and the real clients installed; every backend
# runs the conformance suites and every client test must run, not skip.
test: ui
	scripts/install-clients.sh
	ARTIFACTAPI_REQUIRE_CLIENTS=1 scripts/with-services.sh $(GO) test -race -count=1 -timeout 15m ./...
	cd terraform-provider-artifactapi && TF_ACC=1 TF_ACC_TERRAFORM_PATH=$(CURDIR)/bin/tofu $(GO) test -count=1 -timeout 15m ./...
	$(MAKE) ui-test

# The end-to-end tests alone: real clients against the built binary.
e2e:
	scripts/install-clients.sh
	ARTIFACTAPI_REQUIRE_CLIENTS=1 scripts/with-services.sh $(GO) test -count=1 -timeout 15m ./e2e/

# The fault suite: the built binary through upstream faults, crashes, a
# full disk and real outages of its own PostgreSQL, Redis and S3 server
# (needs root: it mounts a tmpfs and runs PostgreSQL as postgres).
faults: build
	scripts/versitygw.sh
	$(GO) run ./faults -bin bin/artifactapi

# Every fuzz target for FUZZTIME each (CI runs them briefly).
FUZZTIME ?= 30s
fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

# The Terraform provider, and a CLI config that makes tofu/terraform use it
# (export TF_CLI_CONFIG_FILE=$(CURDIR)/bin/dev.tfrc).
provider:
	cd terraform-provider-artifactapi && $(GO) build -o ../bin/terraform-provider-artifactapi .
	printf 'provider_installation {\n  dev_overrides {\n    "artifactapi/artifactapi" = "%s"\n  }\n  direct {}\n}\n' "$(CURDIR)/bin" > bin/dev.tfrc

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd terraform-provider-artifactapi && $(GO) vet ./...
	@[ -x bin/staticcheck ] && bin/staticcheck -version | grep -q "$(STATICCHECK_VERSION:v%=%)" || GOBIN=$(CURDIR)/bin $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	bin/staticcheck ./...
	cd terraform-provider-artifactapi && ../bin/staticcheck ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

# Go benchmarks, then the side-by-side run against nginx proxy_cache (nginx
# from Debian's packages, installed when missing), written to BENCHMARKS.md.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./internal/server/ ./internal/events/ ./internal/fetch/ ./internal/meta/sqlite/ ./internal/format/npm/ ./internal/format/types/ ./internal/format/helm/
	scripts/install-nginx.sh
	scripts/install-clients.sh
	$(GO) build -o bin/bench ./bench
	# Both runs' files are removed after the second: a removal of tens of
	# thousands of files slows the file creations of the next minute.
	work=$$(mktemp -d) && ./bin/bench -bin bin/artifactapi -work $$work/embedded -out BENCHMARKS.md && \
		scripts/with-services.sh ./bin/bench -bin bin/artifactapi -scaleout -work $$work/scaleout -out BENCHMARKS.md -append; \
		status=$$?; rm -rf $$work; exit $$status

# The same load run with the proxy on PostgreSQL + Redis + S3 (versitygw).
bench-scaleout: build
	scripts/install-nginx.sh
	scripts/install-clients.sh
	$(GO) build -o bin/bench ./bench
	scripts/with-services.sh ./bin/bench -bin bin/artifactapi -scaleout

clean:
	rm -rf bin
