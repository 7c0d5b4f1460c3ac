#!/bin/bash
# Fuzz the trace file reader (tests/fuzz/fuzz_trace.c: libFuzzer, ASan, UBSan) for a bounded time,
# starting from the seed corpus; any crash, leak, sanitizer report or timeout fails the case.
# Skipped only where clang's libFuzzer runtime is missing (Debian: libclang-rt-14-dev).
. "$(dirname "$0")/../lib.sh"
fuzz_case trace 60
