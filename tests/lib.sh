# Helpers for tests/cases/*.sh: assertions that say what they expected and what they got.
# shellcheck shell=bash
set -uo pipefail
ROOT=${HMMSCOPE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
OUTPUT=${OUTPUT:-$ROOT/build}
LAB=$ROOT/tests/vm
# LAB_ONLY="6.1": run the lab cases on one kernel (both by default).
T_FAILS=0

fail() { echo "FAIL: $*"; T_FAILS=$((T_FAILS + 1)); }
skip() { echo "SKIP: $*"; exit 77; }
finish() { [ "$T_FAILS" -eq 0 ] && echo "all assertions held" && exit 0; echo "$T_FAILS assertion(s) failed"; exit 1; }

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
	if [ "$2" == "$3" ]; then echo "ok: $1 = $3"; else fail "$1: expected '$3', got '$2'"; fi
}
# expect_ge WHAT ACTUAL MIN
expect_ge() {
	if [[ $2 =~ ^-?[0-9]+$ ]] && [ "$2" -ge "$3" ]; then echo "ok: $1 = $2 >= $3"
	else fail "$1: expected >= $3, got '$2'"; fi
}
# expect_match WHAT TEXT REGEX
expect_match() {
	if grep -Eq -- "$3" <<<"$2"; then echo "ok: $1 matches /$3/"
	else fail "$1: expected /$3/ in: $(head -c 400 <<<"$2")"; fi
}
# expect_status WHAT ACTUAL EXPECTED
expect_status() { expect_eq "$1 exit status" "$2" "$3"; }

# kv FILE KEY: the value of a `key=value` line (the workload generator's totals format).
kv() { sed -n "s/^$2=//p" "$1" | tr -d '\r' | tail -n 1; }

# lab_ready VERSION: skip unless the lab kernel and image exist (make check builds both).
lab_ready() {
	local kdir before=$T_FAILS
	kdir=$("$LAB/labinfo.sh" kernel "$1")
	[ -f "$kdir/bzImage" ] || fail "lab kernel $1 not built ($kdir): run 'make lab'"
	[ -f "$OUTPUT/lab/initramfs.cpio.gz" ] || fail "lab image not built: run 'make lab'"
	[ "$T_FAILS" -eq "$before" ] || finish
}
