# DTail for Deno. `make` builds bin/, `make test` runs the suite, `make check` adds fmt/lint/types.
SHELL := /bin/bash
DENO := $(shell tools/ensure_deno.sh)
ifeq ($(DENO),)
$(error could not find or install Deno; see tools/ensure_deno.sh)
endif
PROGRAMS := dtail dcat dgrep dmap dtailhealth dserver
# One project-local Deno cache: the same for every HOME (tests change HOME), readable by the
# unprivileged users the tests start dserver as.
export DENO_DIR := $(CURDIR)/.tools/deno-dir
# The regexp V8 flags let a regex that backtracks too much finish on V8's linear engine
# (core/linear_engine.ts, LINEAR_V8_FLAGS); without them every regex runs on re2js. Deno loads the modules
# of statically analysable dynamic imports (SSH, the server, dmap, …) at start-up unless told
# otherwise; a serverless run should load only what it runs (docs/performance.md#start-up). The
# bin/ launchers run with these flags, and tools/dist.ts reads them from this line for dist/.
DENO_RUN_FLAGS := --v8-flags=--expose-gc,--max-semi-space-size=8,--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks --allow-read --allow-write --allow-env --allow-sys --allow-run --allow-net --allow-ffi --allow-import --no-prompt --frozen --cached-only --unstable-lazy-dynamic-imports

.PHONY: all bin deps system-deps run test check fmt lint typecheck bench docs clean

# `make run`: the main job, serverless on local files (override FILES and GREP).
FILES ?= tests/data/sample.log
GREP ?= ERROR|WARN

all: bin

deps: deno.lock
	@$(DENO) install --frozen --quiet
	@$(DENO) cache --frozen --quiet app/main.ts core/decompress_worker.ts core/mapr/map_worker.ts core/regex_worker.ts
	@chmod -R a+rX .tools

system-deps:
	@tools/ensure_system_tools.sh

# Launchers into the Deno sources, relocatable with the checkout; `make dist` builds the single
# files users install (docs/packaging.md).
bin: deps
	@tools/write_launchers.sh "$(DENO)" "$(DENO_RUN_FLAGS)" $(PROGRAMS)
	@echo "built bin/: $(PROGRAMS)"

run: bin
	bin/dgrep --files '$(FILES)' --grep '$(GREP)'

test: bin dist system-deps
	@if [ "$$(id -u)" = 0 ]; then tools/setup_test_users.sh; else echo "not root: tests that need test users are skipped"; fi
	@tools/run_tests.sh "$(DENO)" tests/ core/ cli/ server/ app/ ssh/ tools/

fmt:
	$(DENO) fmt

lint:
	$(DENO) lint

typecheck: deps
	$(DENO) check mod.ts app/ cli/ core/ server/ ssh/ tests/ tools/ $(wildcard bench/*.ts)

check: bin
	$(DENO) fmt --check
	$(DENO) lint
	$(MAKE) --no-print-directory typecheck
	$(MAKE) --no-print-directory test

# `make bench`: every part (bench/bench.ts, docs/performance.md), ours against cat/grep/gzip/zstd/awk
# and, when ../shared/go-dtail/bin (or GO_DTAIL_BIN) exists, the Go DTail, on two data shapes; each
# row with its target and PASS/MISS. BENCH_RUNS=N, BENCH_SHAPES=1 (app.log only), BENCH_<PART>=0
# skips a part (SERVERLESS, DIST, SSH, DMAP, RELOAD, RESUME, QUERY).
bench: bin dist system-deps
	$(DENO) run --allow-all --frozen bench/bench.ts

# `make bench-before [REV=<rev>]`: the serverless throughput cases of `make bench`, this checkout
# against REV (default HEAD~1) in one run (bench/before.ts). REV is built in a temporary git
# worktree that shares .tools/ (removed afterwards); BEFORE_DIR=<checkout with bin/> uses that
# checkout instead. Median wall and CPU (user+sys) time per side over BENCH_RUNS rounds (default
# 9); a row is **SLOWER** when now/before exceeds 1.05 in both. Appends to bench/results/history.md.
.PHONY: bench-before
REV ?= HEAD~1
bench-before: bin system-deps
	REV='$(REV)' BEFORE_DIR='$(BEFORE_DIR)' BENCH_RUNS='$(BENCH_RUNS)' \
	  $(DENO) run --allow-all --frozen bench/before.ts

# `make bench-dist`: only the dist/ part of `make bench` (bench/dist.ts; dist against bin/).
.PHONY: bench-dist
bench-dist: bin dist system-deps
	$(DENO) run --allow-all --frozen bench/dist.ts

# `make bench-ssh`: only the SSH part of `make bench` (bench/ssh.ts; real dservers on loopback).
.PHONY: bench-ssh demo
bench-ssh: bin dist system-deps
	$(DENO) run --allow-all --frozen bench/ssh.ts

# `make bench-jump`: only the fan-out through one jump host of `make bench-ssh` (bench/ssh_jump_fanout.ts;
# 1,000 server entries behind one OpenSSH sshd, the client's peak RSS).
.PHONY: bench-jump
bench-jump: bin system-deps
	$(DENO) run --allow-all --frozen bench/ssh_jump_fanout.ts

# `make bench-dmap`: only the MapReduce part of `make bench` (bench/dmap.ts; dmap, awk, dservers).
.PHONY: bench-dmap
bench-dmap: bin dist system-deps
	$(DENO) run --allow-all --frozen bench/dmap.ts

# `make bench-query`: only the query part of `make bench` (bench/query_beyond.ts; dmap on json and
# logfmt against jq, `dcat --since 10m` on a 1 GB log against awk). BENCH_QUERY_RUNS,
# BENCH_QUERY_MB, BENCH_QUERY_SINCE_MB, BENCH_QUERY_KEEP=1 (logs to bench/data/).
.PHONY: bench-query
bench-query: bin system-deps
	$(DENO) run --allow-all --frozen bench/query_beyond.ts

# `make bench-ssh-before BEFORE_DIR=<checkout with bin/>`: the SSH throughput cases, this checkout
# against that one, in one run (bench/ssh_before.ts; each side its own dserver and client).
.PHONY: bench-ssh-before
bench-ssh-before: bin system-deps
	BEFORE_DIR='$(BEFORE_DIR)' BENCH_RUNS='$(BENCH_RUNS)' $(DENO) run --allow-all --frozen bench/ssh_before.ts

# `make bench-reload`: only the interactive reload part of `make bench` (bench/reload.ts; `:reload`
# latency through a pty against 1 dserver and 200 connections).
.PHONY: bench-reload
bench-reload: bin system-deps
	$(DENO) run --allow-all --frozen bench/reload.ts

# `make bench-resume`: only the resume part of `make bench` (bench/resume.ts; dserver CPU time of
# following and resuming 1,000 files on one dserver).
.PHONY: bench-resume
bench-resume: bin system-deps
	$(DENO) run --allow-all --frozen bench/resume.ts

# `make demo`: dgrep and dtail over real SSH against a throwaway local dserver (tools/demo.sh).
demo: bin
	@tools/demo.sh

# `make fuzz`: random and mutated frames, patterns, globs, queries, log lines of every format, times,
# config files, AGGREGATE messages, server replies and gzip/zstd streams against the parsers, the
# client's session, the decoders and a live dserver for FUZZ_SECONDS
# (tests/fuzz/main.ts). A failure prints its seed and input; `make fuzz SEED=<seed>` replays it
# (FUZZ_ONLY=parsers or server: one part only).
.PHONY: fuzz
FUZZ_SECONDS ?= 60
fuzz: bin system-deps
	@if [ "$$(id -u)" = 0 ]; then tools/setup_test_users.sh; fi
	$(DENO) run $(DENO_RUN_FLAGS) tests/fuzz/main.ts --seconds $(FUZZ_SECONDS) \
	  $(if $(SEED),--seed $(SEED)) $(if $(FUZZ_ONLY),--only $(FUZZ_ONLY))

# Regenerates docs/flags.md from the flag table (tests fail when it is stale).
docs:
	$(DENO) run --allow-write=docs/flags.md tools/gen_flags_doc.ts

# `make dist`: dist/dtail (dcat, dgrep, dmap, dtailhealth link to it) and dist/dserver, single
# files that need only glibc (tools/dist.ts, docs/packaging.md); DENORT_BIN=<denort> compiles.
.PHONY: dist
dist: deps system-deps
	@$(DENO) run --allow-all --frozen tools/dist.ts

clean:
	rm -rf bin dist bench/data
