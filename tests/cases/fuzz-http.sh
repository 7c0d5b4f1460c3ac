#!/bin/bash
# Fuzz hmm_exporter's HTTP request handling (tests/fuzz/fuzz_http.c: tools/hmm_exporter/http.c on
# the real libmicrohttpd, one socketpair per input; libFuzzer, ASan, UBSan) for a bounded time,
# starting from the seed corpus; any crash, leak, sanitizer report, hang or wrong answer fails the
# case. Skipped only where clang's libFuzzer runtime is missing (libclang-rt-14-dev).
. "$(dirname "$0")/../lib.sh"
fuzz_case http 30
