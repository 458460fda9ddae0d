#!/usr/bin/env bash
# Runs the test suite and ends with a plain "tests: N passed, N failed" line for CI readers.
set -uo pipefail
deno_bin="$1"
shift
log=$(mktemp)
# Every temporary file of the run (the tests', their dservers' and clients') goes under one
# directory that is removed when the run ends, however a test ended: some write hundreds of MB.
scratch=$(mktemp -d /tmp/dtail-tests.XXXXXX)
chmod 1777 "$scratch"
trap 'rm -f "$log"; rm -rf "$scratch"' EXIT
export TMPDIR="$scratch"
# The V8 flags of every Deno process that runs our code (Makefile, LINEAR_V8_FLAGS in core/linear_engine.ts).
v8_flags=--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks
NO_COLOR=1 "$deno_bin" test --v8-flags="$v8_flags" --allow-all --frozen --no-check "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -n 1)
passed=$(sed -E 's/.*\| ([0-9]+) passed.*/\1/' <<<"$summary")
failed=$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$summary")
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"
