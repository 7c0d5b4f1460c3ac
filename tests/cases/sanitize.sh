#!/bin/bash
# The unit tests and the host cases again, with everything built with ASan and UBSan
# (SANITIZE=1, into $OUTPUT/san): any memory error, leak or undefined behaviour fails them.
# Leaves out what boots the lab (static binaries only), the fuzzers (sanitized already),
# valgrind (it cannot run sanitized binaries), and what runs no binary built here: the package
# (it builds its own) and the Prometheus rules (promtool only).
. "$(dirname "$0")/../lib.sh"
[ -n "${HMMSCOPE_SANITIZED:-}" ] && skip "already the sanitized run"
san=$(realpath -m "$OUTPUT/san")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
make -s -C "$ROOT" SANITIZE=1 OUTPUT="$san" all >"$log" 2>&1 || {
	tail -30 "$log"
	fail "the SANITIZE=1 build failed"
	finish
}
cases=()
for c in "$ROOT"/tests/cases/*.sh; do
	n=$(basename "$c" .sh)
	case "$n" in lab-* | runner-* | fuzz-* | valgrind | sanitize | package | prometheus-rules) continue ;; esac
	cases+=("$n")
done
for u in "$san"/tests/unit/test_*; do
	[ -x "$u" ] && [ "${u%.d}" = "$u" ] && cases+=("unit/$(basename "$u")")
done
echo "sanitized: ${cases[*]}"
HMMSCOPE_SANITIZED=1 OUTPUT="$san" "$ROOT/tests/run-tests.sh" "${cases[@]}"
expect_status "the unit and host suites under ASan and UBSan" $? 0
finish
