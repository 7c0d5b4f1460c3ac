#!/bin/bash
# Golden outputs: every renderer of the tools (report, dump, export, heatmap, hist, hmmtop -b
# replay) on the fixed recordings of tests/golden/run.sh, and every --help, byte for byte against
# tests/golden/expected. A deliberate change to an output is made with
#   GOLDEN_UPDATE=1 tests/run-tests.sh golden
# and the changed files are reviewed in the commit that changes them.
. "$(dirname "$0")/../lib.sh"

want=$ROOT/tests/golden/expected
got=$(mktemp -d)
trap 'rm -rf "$got"' EXIT
"$ROOT/tests/golden/run.sh" "$got"
expect_status "golden outputs made" $? 0
if [ -n "${GOLDEN_UPDATE:-}" ]; then
	rm -rf "$want" && cp -r "$got" "$want" && echo "updated $want"
fi
expect_eq "golden files" "$(cd "$got" && ls | sort | tr '\n' ' ')" "$(cd "$want" && ls | sort | tr '\n' ' ')"
for f in "$want"/*; do
	n=$(basename "$f")
	[ -f "$got/$n" ] || continue
	if cmp -s "$f" "$got/$n"; then
		echo "ok: $n"
	else
		fail "$n differs from tests/golden/expected/$n:"
		diff -u "$f" "$got/$n" | head -n 40
	fi
done
finish
