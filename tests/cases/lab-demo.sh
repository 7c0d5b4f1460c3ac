#!/bin/bash
# make demo: what it builds and what it shows.
#  - `make -n demo` builds one lab kernel (DEMO_KERNEL) and no other series' source or hmm-tests;
#  - the demo's guest job (tests/lab/demo.sh) on its own image, run as make demo runs it, on each
#    lab kernel (LAB_ONLY): the report's retry chains with causes, migrations with moved and
#    stayed, top owners, an hmmtop screen with the workload's rows, the three files on the host
#    (heatmap SVG, Chrome trace JSON, the recording, which the host's hmmtrace reads), their host
#    paths and how to open them, and three lines to try next.
. "$(dirname "$0")/../lib.sh"

plan=$(make -n -C "$ROOT" OUTPUT="$OUTPUT" demo 2>&1)
expect_eq "make -n demo: kernels built" "$(grep -o 'build-kernel.sh [0-9.]*' <<<"$plan" | sort -u | tr '\n' ' ')" \
	"build-kernel.sh 6.1 "
expect_eq "make -n demo: other series' sources or hmm-tests" \
	"$(grep -cE 'build-hmm-tests|labinfo.sh extract|/lab/initramfs\.cpio\.gz' <<<"$plan")" 0
make -s -C "$ROOT" OUTPUT="$OUTPUT" "$OUTPUT/lab/demo-initramfs.cpio.gz" || { fail "demo image"; finish; }

for v in ${LAB_ONLY:-6.1}; do
	echo "== lab kernel $v"
	lab_ready "$v"
	out=$(mktemp -d) log=$(mktemp)
	"$LAB/run.sh" -q -k "$v" -t 900 -i "$OUTPUT/lab/demo-initramfs.cpio.gz" -o "$out" -l "$log" \
		"$ROOT/tests/lab/demo.sh" "$out"
	expect_status "$v: demo job" $? 0
	text=$(tr -d '\r' <"$log")
	expect_match "$v: retry chains" "$text" '^-EBUSY retry chains: [1-9][0-9]* chains'
	expect_match "$v: a chain's cause" "$text" '^      caused by [a-z_]+ +x[0-9]+ +by [0-9]+ hmm_workload'
	expect_match "$v: migrations with moved and stayed" "$text" 'DIRECTION +DRIVER +COUNT .* MOVED +STAYED'
	expect_match "$v: migrations of test_hmm" "$text" '^  to_device +test_hmm +[1-9]'
	expect_match "$v: top owners" "$text" '^top owner processes by time'
	expect_eq "$v: top owners: the two generators" \
		"$(sed -n '/^top owner processes/,/^$/p' <<<"$text" | grep -c ' hmm_workload ')" 2
	expect_match "$v: an hmmtop screen" "$text" '^hmmtop replay /out/demo.hmmtrace, .*interval 1 of'
	expect_ge "$v: hmmtop rows of the generators" "$(grep -cE '^ +[0-9]+ hmm_workload +[0-9.]+ ' <<<"$text")" 2
	for f in demo-heatmap.svg demo-trace.json demo.hmmtrace; do
		expect_match "$v: the host path of $f" "$text" "^  $out/$f "
	done
	expect_match "$v: how to open the trace" "$text" 'ui\.perfetto\.dev'
	expect_match "$v: how to open the heatmap" "$text" 'demo-heatmap.svg +.*web browser'
	expect_eq "$v: three lines to try next" \
		"$(sed -n '/^=== next, on a machine/,/^HMMSCOPE-RESULT/p' <<<"$text" | grep -c '^  sudo ')" 3
	expect_match "$v: heatmap is an SVG" "$(head -c 300 "$out/demo-heatmap.svg")" '<svg '
	expect_eq "$v: trace is Chrome trace-event JSON" \
		"$(jq -r '.traceEvents | type' "$out/demo-trace.json" 2>&1)" array
	"$OUTPUT/hmmtrace" report -i "$out/demo.hmmtrace" --json >"$out/report.json"
	expect_status "$v: the host reads the recording" $? 0
	expect_eq "$v: the recording lost nothing" "$(jq .lost "$out/report.json")" 0
	rm -rf "$out" "$log"
done
finish
