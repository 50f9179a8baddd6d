# Developer and CI entry points. Works on a fresh Debian machine with Node 20:
# `make check` installs npm packages and local services (nats-server,
# PostgreSQL) as needed, then lints, type-checks and tests.
SHELL := /bin/bash
.DEFAULT_GOAL := check

.PHONY: deps services test lint typecheck up bench check

# npm ci rewrites node_modules/.package-lock.json, so it doubles as the stamp:
# reinstall only when package-lock.json is newer or node_modules is missing.
NPM_STAMP := node_modules/.package-lock.json

deps: $(NPM_STAMP)

$(NPM_STAMP): package-lock.json
	npm ci
	@touch $@

services:
	scripts/ensure-services.sh

# `services` also installs Debian's Chromium, for the browser tests (test/web,
# test/web-messaging): playwright-core cannot download a browser here.
# The cluster suites run several router processes each: one file at a time, after the
# rest, so that their timings measure Parley and not another file's load.
test: deps services
	npx vitest run --exclude 'test/cluster/**'
	npx vitest run test/cluster --no-file-parallelism

lint: deps
	npx eslint .

typecheck: deps
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p web/app/tsconfig.json --noEmit
	npx tsc -p web/widget/tsconfig.json --noEmit

# `up` only needs NATS. Run by `node` itself, not through npx or the tsx CLI (each a
# parent process that forwards signals): Ctrl-C reaches one process, which stops cleanly.
up: deps web
	scripts/ensure-services.sh nats
	node bin/parley.js up

# e.g. make bench BENCH=routing (prints one JSON object on its last line)
bench: deps
	npx tsx bench/run.ts $(BENCH)

check: lint typecheck test

.PHONY: build image

# dist/: the run-time code compiled to JavaScript (tsconfig.build.json), what the image
# and `node bin/parley.js` run without tsx. Cleaned first: a deleted source leaves no file.
build: deps
	rm -rf dist
	npm run build
	$(MAKE) --no-print-directory web

# The web app (web/app, docs/desktop.md), served by the gateway at /app/, and the
# web-messaging widget (web/widget, docs/channels.md), served at /web/v1/widget.js:
# each rebuilt only when one of its files is newer than its build.
WEB_APP := dist/web/app/index.html
WEB_WIDGET := dist/web/widget.js
.PHONY: web
web: $(WEB_APP) $(WEB_WIDGET)
$(WEB_APP): $(NPM_STAMP) $(shell find web/app -type f) src/channels/capabilities.ts src/channels/sms-segments.ts
	npm run build:app
$(WEB_WIDGET): $(NPM_STAMP) $(shell find web/widget -type f)
	npm run build:widget

# The container image (Dockerfile), with docker or podman. No engine runs on CI machines:
# test/build/dockerfile.test.ts replays the Dockerfile's steps there instead.
IMAGE ?= ghcr.io/parley/parley
IMAGE_TAG ?= $(shell node -p "require('./package.json').version")
CONTAINER_ENGINE ?= $(shell command -v docker || command -v podman)

image:
	@if [ -z "$(CONTAINER_ENGINE)" ] || ! $(CONTAINER_ENGINE) info >/dev/null 2>&1; then \
	  echo "make image: no container engine runs here (docker or podman; set CONTAINER_ENGINE)" >&2; exit 1; fi
	$(CONTAINER_ENGINE) build --tag $(IMAGE):$(IMAGE_TAG) .
