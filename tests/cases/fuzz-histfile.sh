#!/bin/bash
# Fuzz the histogram file reader and merge (tests/fuzz/fuzz_histfile.c: libFuzzer, ASan, UBSan) for
# a bounded time, starting from the seed corpus; any crash, leak, sanitizer report or timeout
# fails the case. Skipped only where clang's libFuzzer runtime is missing (libclang-rt-14-dev).
. "$(dirname "$0")/../lib.sh"
fuzz_case histfile 30
