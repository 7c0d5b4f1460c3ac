#!/bin/bash
# hmm_exporter in the lab, on both lab kernels (tests/lab/exporter.sh): the exporter serves HTTP
# and writes its textfile while the workload generator runs twice, with bad HTTP traffic in
# between (a stalled client, a malformed request, POST, a bad HTTP version, 200 requests for an
# unknown path). Checked here:
#  - the first scrape equals the first run's totals exactly, the second scrape the sum of both
#    runs (the BPF side kept collecting through the bad traffic): hmm_range_fault calls (by
#    result and through the histogram's _count and +Inf), pages, chains, migrations to the device
#    and pages moved, CPU-fault migrations back, MIGRATE invalidations, userfaults; nothing lost;
#  - every fault series is attributed to driver test_hmm; the 12 attach points 6.x has attached;
#  - per process (--per-process 2): each run's process has its own labelled series (pid and comm
#    from its totals) with exactly its calls, pages, migrations and pages moved, and the labelled
#    series plus pid="other" add up to the unlabelled totals in every family;
#  - the textfile written in the guest equals the second scrape's counters, and a real
#    node_exporter serves it without node_textfile_scrape_error;
#  - every text passes our validator and promtool check metrics (on the host);
#  - Content-Type, 405/505 answers, 200 x 404, exit status 0 on SIGTERM, RSS under 15 MB.
. "$(dirname "$0")/../lib.sh"

M=100
WORK=(-m $M --reads 3 --writes 2 --snapshots 1 --migrate 2 --uffd-minor 3 --uffd-missing 2)

sec() { sed -n "/^SECTION-$2-BEGIN/,/^SECTION-$2-END/p" "$1" | sed '1d;$d'; }
# val FILE SERIES: the value of one series (exact name and labels).
val() { awk -v s="$2" 'index($0, s " ") == 1 { print $NF }' "$1"; }
# sumre FILE REGEX: the sum of the values of the series matching REGEX (from line start).
sumre() { awk -v r="^$2" '$0 ~ r { s += $NF } END { printf "%d\n", s }' "$1"; }

# expected T1 [T2]: the exporter's figures for one or two workload runs.
expect_counts() { # WHAT METRICS TOTALS...
	local what=$1 m=$2 calls=0 pages=0 todev=0 moved=0 cpuf=0 minor=0 missing=0 t
	shift 2
	for t in "$@"; do
		calls=$((calls + $(kv "$t" read.range_fault_calls_min) + $(kv "$t" write.range_fault_calls_min) +
			$(kv "$t" snapshot.range_fault_calls_min)))
		pages=$((pages + $(kv "$t" read.pages) + $(kv "$t" write.pages) + $(kv "$t" snapshot.pages)))
		todev=$((todev + $(kv "$t" migrate.setup_calls_to_device)))
		moved=$((moved + $(kv "$t" migrate.to_device_cpages)))
		cpuf=$((cpuf + $(kv "$t" migrate.cpu_faults)))
		minor=$((minor + $(kv "$t" uffd_minor.faults)))
		missing=$((missing + $(kv "$t" uffd_missing.faults)))
	done
	expect_eq "$what: hmm_range_fault_calls_total{result=ok}" "$(val "$m" 'hmm_range_fault_calls_total{result="ok"}')" $calls
	expect_eq "$what: hmm_range_fault_calls_total, all results" "$(sumre "$m" 'hmm_range_fault_calls_total')" $calls
	expect_eq "$what: fault histogram _count" "$(sumre "$m" 'hmm_range_fault_duration_seconds_count')" $calls
	expect_eq "$what: fault histogram +Inf" "$(sumre "$m" 'hmm_range_fault_duration_seconds_bucket\{.*le="\+Inf"\}')" $calls
	expect_eq "$what: fault series not by test_hmm" \
		"$(grep '^hmm_range_fault_duration_seconds_count' "$m" | grep -vc 'driver="test_hmm"')" 0
	expect_eq "$what: hmm_range_fault_pages_total" "$(val "$m" hmm_range_fault_pages_total)" $pages
	expect_eq "$what: hmm_fault_chains_total" "$(val "$m" hmm_fault_chains_total)" $calls
	expect_eq "$what: chain histogram _count" "$(sumre "$m" 'hmm_fault_chain_duration_seconds_count')" $calls
	expect_eq "$what: hmm_fault_chain_retries_total" "$(val "$m" hmm_fault_chain_retries_total)" 0
	expect_eq "$what: migrations to device" "$(val "$m" 'hmm_migrations_total{direction="to_device"}')" $todev
	expect_eq "$what: migrate histogram to device" \
		"$(sumre "$m" 'hmm_migrate_duration_seconds_count\{.*direction="to_device"')" $todev
	expect_eq "$what: pages moved to device" \
		"$(val "$m" 'hmm_migrate_pages_total{direction="to_device",outcome="moved"}')" $moved
	expect_eq "$what: pages stayed" "$(sumre "$m" 'hmm_migrate_pages_total\{.*outcome="stayed"')" 0
	expect_eq "$what: CPU-fault migrations" \
		"$(val "$m" 'hmm_migrations_cpu_fault_total{direction="to_system"}')" $cpuf
	expect_eq "$what: MIGRATE invalidations" "$(val "$m" 'hmm_invalidations_total{event="migrate"}')" \
		$((todev + cpuf))
	expect_eq "$what: userfaults minor" "$(val "$m" 'hmm_userfaults_total{reason="minor"}')" $minor
	expect_eq "$what: userfaults missing" "$(val "$m" 'hmm_userfaults_total{reason="missing"}')" $missing
	expect_eq "$what: userfault histogram _count" "$(sumre "$m" 'hmm_userfault_duration_seconds_count')" \
		$((minor + missing))
	expect_eq "$what: events lost" "$(sumre "$m" 'hmm_events_lost_total')" 0
}

# fsum FILE REGEX: like sumre, for float values.
fsum() { awk -v r="^$2" '$0 ~ r { s += $NF } END { printf "%.9f\n", s }' "$1"; }

# expect_procs WHAT METRICS TOTALS...: one labelled series set per workload run, exact; and
# labelled + other = the unlabelled totals, family by family.
expect_procs() {
	local what=$1 m=$2 t p l calls pages
	shift 2
	expect_eq "$what: labelled processes" \
		"$(grep '^hmm_process_fault_calls_total{' "$m" | grep -vc 'pid="other"')" $#
	for t in "$@"; do
		p=$(kv "$t" pid)
		l="{pid=\"$p\",comm=\"hmm_workload\""
		calls=$(($(kv "$t" read.range_fault_calls_min) + $(kv "$t" write.range_fault_calls_min) +
			$(kv "$t" snapshot.range_fault_calls_min)))
		pages=$(($(kv "$t" read.pages) + $(kv "$t" write.pages) + $(kv "$t" snapshot.pages)))
		expect_eq "$what: pid $p fault calls" "$(val "$m" "hmm_process_fault_calls_total$l}")" $calls
		expect_eq "$what: pid $p fault pages" "$(val "$m" "hmm_process_fault_pages_total$l}")" $pages
		expect_eq "$what: pid $p -EBUSY" "$(val "$m" "hmm_process_fault_ebusy_total$l}")" 0
		expect_eq "$what: pid $p migrations to device" \
			"$(val "$m" "hmm_process_migrations_total$l,direction=\"to_device\"}")" \
			"$(kv "$t" migrate.setup_calls_to_device)"
		expect_eq "$what: pid $p pages moved to device" \
			"$(val "$m" "hmm_process_migrate_pages_total$l,direction=\"to_device\"}")" \
			"$(kv "$t" migrate.to_device_cpages)"
		expect_eq "$what: pid $p migrations to system (CPU faults)" \
			"$(val "$m" "hmm_process_migrations_total$l,direction=\"to_system\"}")" \
			"$(kv "$t" migrate.cpu_faults)"
		expect_eq "$what: pid $p pages moved to system (one per CPU fault)" \
			"$(val "$m" "hmm_process_migrate_pages_total$l,direction=\"to_system\"}")" \
			"$(kv "$t" migrate.cpu_faults)"
		expect_ge "$what: pid $p MIGRATE invalidations among its invalidations" \
			$(($(val "$m" "hmm_process_invalidations_total$l}") - $(kv "$t" migrate.setup_calls_to_device) -
			   $(kv "$t" migrate.cpu_faults))) 0
		expect_eq "$what: pid $p fault and migration time" \
			"$(awk -v l="$l" 'index($0, "hmm_process_fault_seconds_total" l "}") == 1 ||
			   index($0, "hmm_process_migrate_seconds_total" l "}") == 1 { n += ($NF > 0) }
			   END { print n + 0 }' "$m")" 2
	done
	expect_eq "$what: sum of process fault calls" "$(sumre "$m" 'hmm_process_fault_calls_total')" \
		"$(sumre "$m" 'hmm_range_fault_calls_total')"
	expect_eq "$what: sum of process -EBUSY" "$(sumre "$m" 'hmm_process_fault_ebusy_total')" \
		"$(val "$m" 'hmm_range_fault_calls_total{result="ebusy"}')"
	expect_eq "$what: sum of process fault pages" "$(sumre "$m" 'hmm_process_fault_pages_total')" \
		"$(val "$m" hmm_range_fault_pages_total)"
	for dir in to_device to_system; do
		expect_eq "$what: sum of process migrations $dir" \
			"$(sumre "$m" "hmm_process_migrations_total\\{.*direction=\"$dir\"")" \
			"$(val "$m" "hmm_migrations_total{direction=\"$dir\"}")"
		expect_eq "$what: sum of process pages moved $dir" \
			"$(sumre "$m" "hmm_process_migrate_pages_total\\{.*direction=\"$dir\"")" \
			"$(val "$m" "hmm_migrate_pages_total{direction=\"$dir\",outcome=\"moved\"}")"
	done
	expect_eq "$what: sum of process invalidations" "$(sumre "$m" 'hmm_process_invalidations_total')" \
		"$(sumre "$m" 'hmm_invalidations_total')"
	# Seconds: the same nanoseconds summed in another order and printed as doubles.
	expect_close "$what: sum of process fault seconds" "$(fsum "$m" 'hmm_process_fault_seconds_total')" \
		"$(fsum "$m" 'hmm_range_fault_duration_seconds_sum')"
	expect_close "$what: sum of process migrate seconds" "$(fsum "$m" 'hmm_process_migrate_seconds_total')" \
		"$(fsum "$m" 'hmm_migrate_duration_seconds_sum')"
	expect_close "$what: sum of process invalidate seconds" \
		"$(fsum "$m" 'hmm_process_invalidate_seconds_total')" \
		"$(fsum "$m" 'hmm_invalidate_(end_)?duration_seconds_sum')"
}

# expect_close WHAT GOT WANT: equal within 1e-6 relative (and 1e-9 absolute).
expect_close() {
	if awk -v a="$2" -v b="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b;
		exit !(d <= 1e-9 + 1e-6 * m) }'; then
		echo "ok: $1 = $2 (~ $3)"
	else
		fail "$1: got $2, want $3"
	fi
}

promcheck() { # WHAT FILE
	local out
	out=$("$OUTPUT/hmm_exporter" --validate "$2" 2>&1)
	expect_status "$1: hmm_exporter --validate ($out)" $? 0
	if command -v promtool >/dev/null; then
		out=$(promtool check metrics <"$2" 2>&1)
		expect_status "$1: promtool check metrics ($out)" $? 0
	else
		fail "promtool not installed: run 'make deps'"
	fi
}

for v in ${LAB_ONLY:-6.1 6.12}; do
	echo "== lab kernel $v"
	lab_ready "$v"
	d=$(mktemp -d)
	"$LAB/run.sh" -q -k "$v" -t 600 -i "$OUTPUT/lab/initramfs.cpio.gz" -l "$d/log" \
		"$ROOT/tests/lab/exporter.sh" "${WORK[@]}"
	expect_status "$v: exporter job" $? 0
	tr -d '\r' <"$d/log" >"$d/txt"
	for s in t1 t2 m1.prom m2.prom tf.prom hdr ex.err creds; do sec "$d/txt" "$s" >"$d/$s"; done
	grep -E '^(RESULTS|BAD)' "$d/txt"
	r=$(grep '^RESULTS' "$d/txt")
	expect_eq "$v: workload runs" "$(kv "$d/t1" result) $(kv "$d/t2" result)" "ok ok"
	expect_match "$v: exporter exit status on SIGTERM" "$r" " erc=0 "
	expect_match "$v: in-guest --validate" "$r" " vrc=0 "
	expect_match "$v: 200 requests for an unknown path answered 404" "$r" " n404=200 "
	rss=$(sed -n 's/.* rss_kb=\([0-9]*\).*/\1/p' <<<"$r")
	expect_ge "$v: exporter RSS under 15 MB (kB below 15360)" $((15360 - rss)) 1
	expect_match "$v: POST" "$(grep '^BAD' "$d/txt")" "post=\[HTTP/1.1 405"
	expect_match "$v: bad HTTP version" "$(grep '^BAD' "$d/txt")" "version=\[HTTP/1.1 505"
	expect_match "$v: Content-Type" "$(cat "$d/hdr")" "Content-Type: text/plain; version=0.0.4; charset=utf-8"
	# --user: serving and counting as an unprivileged user, with no capabilities left.
	expect_eq "$v: the exporter's credentials while serving" "$(tr '\n' ';' <"$d/creds")" \
		"Uid: 1000 1000 1000 1000;Gid: 1000 1000 1000 1000;CapPrm: 0000000000000000;CapEff: 0000000000000000;NoNewPrivs: 1;"
	expect_eq "$v: attach points attached" \
		"$(grep -c '^hmm_exporter_probe_info{.*state="attached"' "$d/m2.prom")" 12

	promcheck "$v: first scrape" "$d/m1.prom"
	promcheck "$v: second scrape" "$d/m2.prom"
	promcheck "$v: textfile" "$d/tf.prom"
	expect_counts "$v: first scrape (run 1)" "$d/m1.prom" "$d/t1"
	expect_counts "$v: second scrape (runs 1+2, after bad traffic)" "$d/m2.prom" "$d/t1" "$d/t2"
	expect_counts "$v: textfile (runs 1+2)" "$d/tf.prom" "$d/t1" "$d/t2"
	expect_procs "$v: first scrape, per process" "$d/m1.prom" "$d/t1"
	expect_procs "$v: second scrape, per process" "$d/m2.prom" "$d/t1" "$d/t2"
	expect_procs "$v: textfile, per process" "$d/tf.prom" "$d/t1" "$d/t2"
	# The guest's textfile, live data, through a real node_exporter's textfile collector.
	ne=$(command -v prometheus-node-exporter || command -v node_exporter)
	if [ -n "$ne" ]; then
		mkdir -p "$d/tfdir" && cp "$d/tf.prom" "$d/tfdir/hmm.prom"
		nport=$((20000 + RANDOM % 20000))
		"$ne" --collector.disable-defaults --collector.textfile \
			--collector.textfile.directory="$d/tfdir" --web.listen-address="127.0.0.1:$nport" \
			>"$d/ne.log" 2>&1 &
		nepid=$!
		for _ in $(seq 50); do curl -s -o "$d/ne.prom" "http://127.0.0.1:$nport/metrics" && break; sleep 0.2; done
		kill "$nepid"; wait "$nepid" 2>/dev/null
		expect_eq "$v: node_exporter: node_textfile_scrape_error" \
			"$(val "$d/ne.prom" node_textfile_scrape_error)" 0
		expect_eq "$v: node_exporter passes the fault histogram on" \
			"$(sumre "$d/ne.prom" 'hmm_range_fault_duration_seconds_count')" \
			"$(sumre "$d/tf.prom" 'hmm_range_fault_duration_seconds_count')"
	else
		fail "prometheus-node-exporter not installed: run 'make deps'"
	fi
	echo "$v: render time of the previous snapshot: $(val "$d/m2.prom" hmm_exporter_render_duration_seconds) s (TCG)"
	rm -rf "$d"
done
finish
