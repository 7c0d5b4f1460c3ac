#!/bin/bash
# hmmtop in the lab, on both lab kernels (tests/lab/top.sh):
#  - live: `hmmtop -b -n 3` while the workload generator runs with known counts. The generator's
#    process has a row; the cumulative FAULTS column equals its hmm_range_fault calls exactly, and
#    rate x interval summed over the 3 intervals gives its counts back (to the rounding of the
#    printed rates: live intervals are measured, not exact); nothing lost, every attach point the
#    kernel has live.
#  - replayed lab recordings (`hmmtrace record`, -d 0.2): intervals are exactly 0.2 s of recorded
#    time, so the per-interval rates are counts / 0.2 s and their sums equal the generator's
#    totals exactly; the driver rows are named from the file; on an invalidation storm, hmmtop's
#    -EBUSY, longest chain and calls equal `hmmtrace report`'s.
#  - the full-screen view on the storm recording in tmux: the generator's row, its retry causes in
#    the detail pane, the driver grouping and the pid filter.
. "$(dirname "$0")/../lib.sh"

DELAY=4
WORK="-m 100 --reads 4 --writes 3 --migrate 2"
STORM="-m 256 --storm 60"
TOP=$OUTPUT/hmmtop
HT=$OUTPUT/hmmtrace

section() { sed -n "/^$2-BEGIN/,/^$2-END/p" "$1" | sed '1d;$d'; }

# sum_col FILE PID COLUMN: sum over the intervals of batch output FILE of the row's COLUMN (a
# rate) x the interval's length, rounded ("12.3k" and "1.00M" forms included)
sum_col() {
	awk -v pid="$2" -v col="$3" '
	function num(s) { if (s ~ /k$/) return substr(s, 1, length(s) - 1) * 1e3
			  if (s ~ /M$/) return substr(s, 1, length(s) - 1) * 1e6
			  return s + 0 }
	/^hmmtop (live|replay)/ { match($0, /of [0-9.]+s/); el = substr($0, RSTART + 3, RLENGTH - 4) + 0 }
	$1 == "PID" { for (i = 1; i <= NF; i++) idx[$i] = i }
	$1 == pid { sum += num($(idx[col])) * el }
	END { printf "%.0f\n", sum }' "$1"
}
# last_col FILE KEY COLUMN: COLUMN of the row whose PID (or, for drivers, NAME) is KEY, in the
# last interval
last_col() {
	awk -v key="$2" -v col="$3" '
	$1 == "PID" { for (i = 1; i <= NF; i++) idx[$i] = i }
	$1 == key || ($1 == "-" && $2 == key) { v = $(idx[col]) } END { print v }' "$1"
}
# close WHAT ACTUAL EXPECTED: equal within 2% (+1), the rounding of 3-digit rates
close() {
	local d=$(($2 - $3))
	d=${d#-}
	if [ "$d" -le $(($3 / 50 + 1)) ]; then echo "ok: $1 = $2 (expected $3)"
	else fail "$1: expected $3 (within 2%), got '$2'"; fi
}

check_live() {
	local v=$1 log=$2 t=$3 top=$3.top pid calls todev cpuf moved
	section "$log" WORKLOAD-TOTALS >"$t"
	section "$log" TOP >"$top"
	cat "$top"
	pid=$(kv "$t" pid)
	expect_eq "$v: live: workload result" "$(kv "$t" result)" ok
	expect_eq "$v: live: the workload ended inside hmmtop's 3 intervals" \
		"$(sed -n 's/^WORKLOAD-ENDED-FIRST=//p' "$log")" 1
	expect_eq "$v: live: intervals printed" "$(grep -c '^hmmtop live' "$top")" 3
	# Not live: only what this kernel lacks (6.x: the two 7.x attach points).
	expect_eq "$v: live: nothing lost, everything live (every interval)" \
		"$(grep -c "^lost 0 events; not live: $(lab_absent "$v")\$" "$top")" 3
	expect_match "$v: live: the workload's row" "$(grep -E "^ +$pid " "$top")" "^ +$pid hmm_workload "
	calls=$(($(kv "$t" read.range_fault_calls_min) + $(kv "$t" write.range_fault_calls_min)))
	todev=$(kv "$t" migrate.setup_calls_to_device)
	cpuf=$(kv "$t" migrate.cpu_faults)
	moved=$(($(kv "$t" migrate.to_device_cpages) + cpuf))
	expect_eq "$v: live: FAULTS (cumulative) = its hmm_range_fault calls" "$(last_col "$top" "$pid" FAULTS)" $calls
	close "$v: live: sum of FLT/s x interval" "$(sum_col "$top" "$pid" FLT/s)" $calls
	close "$v: live: sum of TODEV/s x interval" "$(sum_col "$top" "$pid" TODEV/s)" $todev
	close "$v: live: sum of TOSYS/s x interval (CPU-fault migrations)" "$(sum_col "$top" "$pid" TOSYS/s)" $cpuf
	close "$v: live: sum of MOVED/s x interval" "$(sum_col "$top" "$pid" MOVED/s)" $moved
	expect_eq "$v: live: sum of STAYED/s x interval" "$(sum_col "$top" "$pid" STAYED/s)" 0
	expect_eq "$v: live: -EBUSY (nothing invalidates its ranges meanwhile)" "$(sum_col "$top" "$pid" EBUSY/s)" 0
	expect_eq "$v: live: intervals with faults but no P50" "$(awk -v pid="$pid" \
		'$1 == "PID" { for (i = 1; i <= NF; i++) idx[$i] = i }
		 $1 == pid && $(idx["FLT/s"]) != "0" && $(idx["P50"]) == "-" { n++ } END { print n + 0 }' "$top")" 0
}

check_replay() {
	local v=$1 out=$2 t=$2/totals r=$2/replay.txt pid calls todev cpuf moved
	pid=$(kv "$t" pid)
	"$TOP" -b -r "$out/workload.hmmtrace" --speed 0 -d 0.2 >"$r" 2>"$out/replay.err"
	expect_status "$v: replay: hmmtop -b -r" $? 0
	expect_eq "$v: replay: warnings" "$(cat "$out/replay.err")" ""
	expect_ge "$v: replay: intervals" "$(grep -c '^hmmtop replay' "$r")" 1
	expect_eq "$v: replay: intervals of exactly 0.2 s" "$(grep '^hmmtop replay' "$r" | grep -vc 'of 0.200s')" 0
	expect_eq "$v: replay: nothing lost, everything live" "$(grep '^lost' "$r" | sort -u)" \
		"lost 0 events; not live: $(lab_absent "$v")"
	calls=$(($(kv "$t" read.range_fault_calls_min) + $(kv "$t" write.range_fault_calls_min)))
	todev=$(kv "$t" migrate.setup_calls_to_device)
	cpuf=$(kv "$t" migrate.cpu_faults)
	moved=$(($(kv "$t" migrate.to_device_cpages) + cpuf))
	expect_eq "$v: replay: FAULTS (cumulative)" "$(last_col "$r" "$pid" FAULTS)" $calls
	expect_eq "$v: replay: sum of per-interval FLT/s" "$(sum_col "$r" "$pid" FLT/s)" $calls
	expect_eq "$v: replay: sum of per-interval TODEV/s" "$(sum_col "$r" "$pid" TODEV/s)" $todev
	expect_eq "$v: replay: sum of per-interval TOSYS/s" "$(sum_col "$r" "$pid" TOSYS/s)" $cpuf
	expect_eq "$v: replay: sum of per-interval MOVED/s" "$(sum_col "$r" "$pid" MOVED/s)" $moved
	"$TOP" -b -r "$out/workload.hmmtrace" --speed 0 -g driver >"$r.drv"
	expect_eq "$v: replay: driver row test_hmm (named from the file): FAULTS" \
		"$(last_col "$r.drv" test_hmm FAULTS)" $calls

	# The storm against hmmtrace report on the same file.
	local s=$out/storm.txt j=$out/storm.json spid
	spid=$(kv "$out/storm-totals" pid)
	"$TOP" -b -r "$out/storm.hmmtrace" --speed 0 >"$s"
	expect_status "$v: storm: hmmtop -b -r" $? 0
	"$HT" report -i "$out/storm.hmmtrace" --json >"$j"
	expect_status "$v: storm: hmmtrace report -i" $? 0
	# The storm provokes -EBUSY most of the time, not always (it races the device's faults).
	[ "$(jq .retry_chains.ebusy "$j")" -gt 0 ] ||
		echo "note: $v: the storm provoked no -EBUSY this time: retry causes are not checked"
	expect_eq "$v: storm: sum of EBUSY/s = report's -EBUSY" "$(sum_col "$s" "$spid" EBUSY/s)" "$(jq .retry_chains.ebusy "$j")"
	expect_eq "$v: storm: FAULTS = report's calls" "$(last_col "$s" "$spid" FAULTS)" "$(jq .faults.calls "$j")"
	expect_eq "$v: storm: CHAIN = report's longest chain" "$(last_col "$s" "$spid" CHAIN)" \
		"$(jq '.retry_chains.longest[0].attempts // 1' "$j")"
	check_tmux "$v" "$out" "$spid" "$(jq .faults.calls "$j")" "$(jq .retry_chains.ebusy "$j")"

	# hmmtop --stacks live around the same storm: the stacks it learnt (those -EBUSY causes
	# named), none that could not be stored.
	local k
	k=$(grep '^hmmtop: cause stacks' "$out/top-stacks.err")
	expect_match "$v: hmmtop --stacks live: its summary" "$k" '^hmmtop: cause stacks [0-9]+, stack_drops 0 '
	grep -q '^hmmtop: cause stacks 0,' <<<"$k" &&
		echo "note: $v: hmmtop --stacks: the storm provoked no -EBUSY this time"
	expect_status "$v: hmmtop --stacks live" "$(sed -n 's/^hmmtop --stacks exit=//p' "$log.txt")" 0
}

# The full-screen view on the storm recording, in tmux.
check_tmux() {
	local v=$1 out=$2 pid=$3 calls=$4 ebusy=$5 sock=$2/tmux.sock i
	command -v tmux >/dev/null || { echo "tmux not installed: full-screen checks skipped"; return; }
	T() { tmux -S "$sock" -f /dev/null "$@"; }
	see() { # WHAT REGEX
		for ((i = 0; i < 50; i++)); do T capture-pane -p | grep -Eq -- "$2" && break; sleep 0.1; done
		if T capture-pane -p | grep -Eq -- "$2"; then echo "ok: $1"
		else fail "$1: /$2/ not on screen:"; T capture-pane -p | sed 's/^/   | /'; fi
	}
	# 140 columns: the whole table (134 since STALLS and RTRIP/s), FAULTS last
	T new-session -d -x 140 -y 40 "$TOP -r $out/storm.hmmtrace --speed 0; sleep 300"
	see "$v: tmux: end of the recording" '\[END OF RECORDING\]'
	see "$v: tmux: the generator's row" "^ +$pid hmm_workload .* $calls\$"
	T send-keys Home
	see "$v: tmux: its detail" "pid $pid hmm_workload, since start: $calls faults, $ebusy -EBUSY"
	see "$v: tmux: its retry causes" "recent -EBUSY causes \\($ebusy seen\\)"
	if [ "$ebusy" -gt 0 ]; then
		see "$v: tmux: a cause" "try [0-9]+: (clear|protection_vma|unmap) by $pid hmm_workload"
		# recorded with --stacks: the invalidation's kernel stack under its cause
		see "$v: tmux: a cause's kernel stack" '\| +#[0-9]+ [a-z_0-9.]+ < [a-z_0-9.]+ < '
	fi
	T send-keys g
	see "$v: tmux: the driver row" "^ +- test_hmm .* $calls\$"
	T send-keys g p 1 Enter
	see "$v: tmux: filtered to a pid with no row" '\(no row for this pid\)'
	T send-keys p Enter q
	T kill-server 2>/dev/null
}

for v in ${LAB_ONLY:-6.1 6.12}; do
	echo "== lab kernel $v"
	lab_ready "$v"
	log=$(mktemp) t=$(mktemp) out=$(mktemp -d)
	"$LAB/run.sh" -q -k "$v" -t 600 -i "$OUTPUT/lab/initramfs.cpio.gz" -o "$out" -l "$log" \
		"$ROOT/tests/lab/top.sh" $DELAY "$WORK" "$STORM"
	expect_status "$v: lab job (hmmtop -b live, two recordings)" $? 0
	tr -d '\r' <"$log" >"$log.txt"
	check_live "$v" "$log.txt" "$t"
	check_replay "$v" "$out"
	rm -rf "$log" "$log.txt" "$t" "$t.top" "$out"
done
finish
