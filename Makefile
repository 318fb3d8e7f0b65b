# The concert discovery system. `make start` runs it, `make test` tests it;
# both do their own set-up on a fresh machine with a Rust toolchain.

CARGO ?= cargo
DIR ?=
# Compose v2 (`docker compose`) when it is there, else the v1 `docker-compose`.
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)

.PHONY: all setup token build start test test-mongo start-docker stop-docker seed generate bench lint fmt clean diagram fuzz
# make generate: where and how big (the default is a tenth of the exercise's step 2).
OUT ?= var/generated
BANDS ?= 2000000
VENUES ?= 10000
CONCERTS ?= 20000000
SEED ?= 42
# make bench: extra options for the bench tool (see `bench --help`).
BENCH_ARGS ?=


all: setup

# Set-up: a .env to edit (with a random IMPORT_TOKEN), and the release binaries.
setup: token build

.env:
	cp .env.example .env

# The imports need IMPORT_TOKEN, the writes through the API a token of WRITE_TOKENS:
# each is made when .env has none.
token: .env
	scripts/tokens.sh .env

build:
	$(CARGO) build --release --workspace --bins

# Builds (release) and runs the supervisor: it starts the four processes,
# restarts any that dies, imports the demo data when the stores are empty, and
# prints the URLs. Ctrl-C stops everything (exit status 0).
start: setup
	target/release/supervisor

# Every test; end-to-end tests start the real binaries, so they are built first.
test:
	CARGO=$(CARGO) scripts/test.sh

# The same tests with MongoDB too: a throwaway MongoDB in Docker, the store
# conformance suites and the end-to-end test run against it, then it is removed.
test-mongo:
	CARGO=$(CARGO) COMPOSE="$(COMPOSE)" scripts/test-mongo.sh

# The whole system in Docker: the gateway, the three services, one MongoDB per
# service, and a one-shot import of the demo data. Only the gateway is published.
start-docker: token
	$(COMPOSE) up --build --detach
	@echo "starting: the API will be at http://localhost:$${GATEWAY_PUBLISHED_PORT:-3000}/concerts?bandIds=1,2 once healthy"
	@echo "follow it with: $(COMPOSE) ps; $(COMPOSE) logs -f seed"

# Stops and removes the containers; the databases stay in their volumes
# (`$(COMPOSE) down -v` deletes them too).
stop-docker:
	$(COMPOSE) down

# Imports DIR/bands.json, venues.json, concerts.json into the running system.
seed:
	@test -n "$(DIR)" || { echo "usage: make seed DIR=<folder with bands.json, venues.json, concerts.json>"; exit 2; }
	$(CARGO) run --quiet --release --bin seed -- --dir "$(DIR)"

# Writes a synthetic OUT/bands.json, venues.json, concerts.json; the same SEED
# and sizes give the same bytes. 2M/10k/20M takes about 10 s and 1.2 GB of disk.
generate:
	$(CARGO) run --quiet --release --bin generate -- --out "$(OUT)" \
		--bands $(BANDS) --venues $(VENUES) --concerts $(CONCERTS) --seed $(SEED)

# Load benchmark of the running system (start it with `make start` in another
# terminal). For a generated set: make bench BENCH_ARGS="--data var/generated".
bench:
	$(CARGO) run --quiet --release --bin bench -- $(BENCH_ARGS)

# Runs each fuzz target for FUZZ_SECONDS (60) and prints its runs and execs/s;
# a crash fails it and says how to keep the input (scripts/fuzz.sh, docs/testing.md).
fuzz:
	CARGO=$(CARGO) scripts/fuzz.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
	rm -rf var

# The architecture diagram, from its Graphviz source.
diagram: images/architecture.png

images/architecture.png: images/architecture.dot
	dot -Tpng -Gdpi=110 $< -o $@
