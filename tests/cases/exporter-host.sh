#!/bin/bash
# hmm_exporter on this machine (the BPF programs load here but nothing attaches, so the metrics
# are zeros and probe states): the HTTP contract (Content-Type, gzip, /, 404, 405, HEAD), the
# output checked by our validator and by promtool, bad input (options, address in use, missing
# privileges, malformed requests, 1000 rapid connections, slow clients), the textfile mode read
# by a real node_exporter without node_textfile_scrape_error, --once and --help against the man
# page.
. "$(dirname "$0")/../lib.sh"
ex=$OUTPUT/hmm_exporter
[ -x "$ex" ] || { fail "$ex not built"; finish; }
command -v curl >/dev/null || skip "curl not installed"
[ "$(id -u)" -eq 0 ] || skip "needs root to load the BPF programs"
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# promcheck WHAT FILE: our validator and promtool on one rendered text.
promcheck() {
	local out
	out=$("$ex" --validate "$2" 2>&1)
	expect_status "$1: hmm_exporter --validate ($out)" $? 0
	if command -v promtool >/dev/null; then
		out=$(promtool check metrics <"$2" 2>&1)
		expect_status "$1: promtool check metrics ($out)" $? 0
	else
		echo "note: promtool not installed (make deps): not checked"
	fi
}

# start_exporter ARGS...: start in the background, wait for "serving", set $epid and $port.
start_exporter() {
	"$ex" "$@" 2>"$work/ex.err" &
	epid=$!
	pids+=("$epid")
	for _ in $(seq 100); do
		grep -q "serving http" "$work/ex.err" && break
		kill -0 "$epid" 2>/dev/null || break
		sleep 0.1
	done
	port=$(sed -n 's|.*serving http://127.0.0.1:\([0-9]*\)/metrics|\1|p' "$work/ex.err")
}

# ---- bad options --------------------------------------------------------------------------
bad_opt() { # EXPECTED_STATUS REGEX ARGS...
	local want=$1 re=$2 out rc
	shift 2
	out=$("$ex" "$@" 2>&1 </dev/null); rc=$?
	expect_status "hmm_exporter $*" $rc "$want"
	expect_match "hmm_exporter $* message" "$out" "$re"
}
bad_opt 2 "unknown option .--frobnicate." --frobnicate
bad_opt 2 "--interval: 'abc' is not a number" --interval abc
bad_opt 2 "--interval: 0 is out of range" -i 0
bad_opt 2 "expected ADDR:PORT" --listen nocolon
bad_opt 2 "not a numeric IPv4 or IPv6 address" --listen localhost:9435
bad_opt 2 "--listen port: 99999 is out of range" --listen 127.0.0.1:99999
bad_opt 2 "not a directory" --textfile /nonexistent/dir
bad_opt 2 "--per-process: 0 is out of range" --per-process 0
bad_opt 2 "--per-process: 1001 is out of range" --per-process 1001
bad_opt 2 "--per-process: 'x' is not a number" --per-process x
bad_opt 2 "unexpected argument 'extra'" extra
bad_opt 2 "--mode: 'x' is not one of" --mode x
bad_opt 2 "does not serve HTTP" --once --listen 127.0.0.1:0
echo "# TYPE x counter" >"$work/bad.prom"
bad_opt 1 "does not end in _total" --validate "$work/bad.prom"

# ---- --help against the man page ----------------------------------------------------------
help=$("$ex" --help); expect_status "--help" $? 0
man=$ROOT/man/man8/hmm_exporter.8
for o in $(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u); do
	grep -q -- "${o//-/\\\\-}" "$man" && echo "ok: $o in the man page" || fail "$o is in --help, not in $man"
done
for o in $(sed -n '/^\.SH OPTIONS/,/^\.SH METRICS/p' "$man" | grep -oE -- '\\-\\-[a-z][a-z\\-]+' | sed 's/\\//g' | sort -u); do
	grep -q -- "$o" <<<"$help" && echo "ok: $o in --help" || fail "$o is in the man page, not in --help"
done

# ---- missing privileges ---------------------------------------------------------------------
if command -v setpriv >/dev/null; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$ex" --listen 127.0.0.1:0 2>&1); rc=$?
	expect_status "unprivileged" $rc 3
	expect_match "unprivileged message" "$out" "root, or CAP_BPF|could not load|BTF"
fi

# ---- serving ------------------------------------------------------------------------------
start_exporter --listen 127.0.0.1:0
[ -n "$port" ] || { fail "exporter did not start: $(cat "$work/ex.err")"; finish; }
url=http://127.0.0.1:$port
echo "exporter pid $epid on port $port"

# Address in use: a second exporter on the same port.
out=$("$ex" --listen "127.0.0.1:$port" 2>&1); rc=$?
expect_status "address in use" $rc 1
expect_match "address in use message" "$out" "cannot listen on 127.0.0.1:$port: Address already in use"

hdr=$(curl -s -D - -o "$work/m1.prom" "$url/metrics" | tr -d '\r')
expect_match "GET /metrics status" "$hdr" "^HTTP/1.1 200"
expect_match "Content-Type" "$hdr" "^Content-Type: text/plain; version=0.0.4; charset=utf-8$"
promcheck "GET /metrics" "$work/m1.prom"
expect_eq "probe_info series" "$(grep -c '^hmm_exporter_probe_info{' "$work/m1.prom")" 14
expect_eq "HELP lines = TYPE lines" "$(grep -c '^# HELP' "$work/m1.prom")" "$(grep -c '^# TYPE' "$work/m1.prom")"
expect_match "no timestamps" "$(grep -v '^#' "$work/m1.prom" | awk 'NF != 2' | wc -l)" "^0$"

hdr=$(curl -s -D - -H 'Accept-Encoding: deflate, gzip;q=0.5' -o "$work/m.gz" "$url/metrics" | tr -d '\r')
expect_match "gzip when accepted" "$hdr" "^Content-Encoding: gzip$"
zcat "$work/m.gz" >"$work/m2.prom"
expect_status "gzip body decompresses" $? 0
promcheck "gzip body" "$work/m2.prom"
expect_eq "gzip body lines" "$(wc -l <"$work/m2.prom")" "$(wc -l <"$work/m1.prom")"
hdr=$(curl -s -D - -H 'Accept-Encoding: gzip;q=0, identity' -o /dev/null "$url/metrics" | tr -d '\r')
expect_eq "no gzip with q=0" "$(grep -ci '^content-encoding' <<<"$hdr")" 0
hdr=$(curl -s -D - -H 'Accept-Encoding: br;q=1.0, gzip;q=0, *;q=0.5' -o /dev/null "$url/metrics" | tr -d '\r')
expect_eq "no gzip when refused by name, even with *" "$(grep -ci '^content-encoding' <<<"$hdr")" 0
hdr=$(curl -s -D - -H 'Accept-Encoding: br, *;q=0.5' -o /dev/null "$url/metrics" | tr -d '\r')
expect_match "gzip through *" "$hdr" "[Cc]ontent-[Ee]ncoding: gzip"

expect_eq "HEAD /metrics" "$(curl -s -I -o /dev/null -w '%{http_code}' "$url/metrics")" 200
body=$(curl -s -w '\n%{http_code} %{content_type}' "$url/")
expect_match "GET / links to /metrics" "$body" '<a href="/metrics">'
expect_match "GET / is HTML" "$body" "^200 text/html"
expect_eq "unknown path" "$(curl -s -o /dev/null -w '%{http_code}' "$url/metricsx")" 404
expect_eq "query on unknown path" "$(curl -s -o /dev/null -w '%{http_code}' "$url/../etc/passwd")" 404
hdr=$(curl -s -D - -o /dev/null -X POST -d 'a=1' "$url/metrics" | tr -d '\r')
expect_match "POST" "$hdr" "^HTTP/1.1 405"
expect_match "POST: Allow" "$hdr" "^Allow: GET, HEAD$"
expect_eq "DELETE" "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$url/")" 405

# raw REQUEST: send bytes on a fresh connection, print the status line (or nothing).
raw() {
	exec 3<>"/dev/tcp/127.0.0.1/$port" || return
	printf '%b' "$1" >&3
	timeout 5 head -n 1 <&3 | tr -d '\r'
	exec 3>&- 3<&-
}
expect_match "bad HTTP version" "$(raw 'GET / HTTP/9.9\r\n\r\n')" "^HTTP/1.1 505"
# A header over libmicrohttpd's 32 KiB connection buffer: 431 (or a reset, when the server closes
# while the rest of the request is still arriving, which discards the answer).
out=$(raw "GET / HTTP/1.1\r\nHost: x\r\nX: $(head -c 40000 /dev/zero | tr '\0' a)\r\n\r\n" 2>/dev/null)
expect_match "huge header: 4xx or reset" "${out:-reset}" "^(HTTP/1.1 4[0-9][0-9]|reset)"
# RFC 9112: a target in absolute form is served (3.2.2); an HTTP/1.1 request without exactly one
# valid Host is a 400 (3.2); a %00 does not cut the path short.
expect_match "absolute form" "$(raw 'GET http://127.0.0.1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')" "^HTTP/1.1 200"
expect_match "absolute form, upper-case scheme, no path" "$(raw 'GET HTTP://x:1 HTTP/1.1\r\nHost: x\r\n\r\n')" "^HTTP/1.1 200"
expect_match "absolute form, unknown path" "$(raw 'GET http://x/metricsx HTTP/1.1\r\nHost: x\r\n\r\n')" "^HTTP/1.1 404"
expect_match "absolute form, empty authority" "$(raw 'GET http:///metrics HTTP/1.1\r\nHost: x\r\n\r\n')" "^HTTP/1.1 400"
expect_match "/metrics%00" "$(raw 'GET /metrics%00 HTTP/1.1\r\nHost: x\r\n\r\n')" "^HTTP/1.1 404"
expect_match "/%6detrics" "$(raw 'GET /%6detrics HTTP/1.1\r\nHost: x\r\n\r\n')" "^HTTP/1.1 200"
expect_match "HTTP/1.1 without Host" "$(raw 'GET /metrics HTTP/1.1\r\n\r\n')" "^HTTP/1.1 400"
expect_match "HEAD without Host" "$(raw 'HEAD / HTTP/1.1\r\n\r\n')" "^HTTP/1.1 400"
expect_match "two Hosts" "$(raw 'GET /metrics HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n')" "^HTTP/1.1 400"
expect_match "Host with a space" "$(raw 'GET /metrics HTTP/1.1\r\nHost: a b\r\n\r\n')" "^HTTP/1.1 400"
expect_match "Host [::1]:9435" "$(raw 'GET /metrics HTTP/1.1\r\nHost: [::1]:9435\r\n\r\n')" "^HTTP/1.1 200"
expect_match "HTTP/1.0 without Host" "$(raw 'GET /metrics HTTP/1.0\r\n\r\n')" "^HTTP/1.1 200"
raw 'GARBAGE\r\n\r\n' >/dev/null
raw '\x00\x01\x02\xff\r\n\r\n' >/dev/null
raw 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n' >/dev/null
expect_eq "serving after malformed requests" "$(curl -s -o /dev/null -w '%{http_code}' "$url/metrics")" 200

# 1000 rapid connections, opened and closed without a request, then 1000 short requests.
fds_before=$(ls /proc/$epid/fd | wc -l)
for _ in $(seq 1000); do
	exec 3<>"/dev/tcp/127.0.0.1/$port" && exec 3>&- 3<&-
done
ok=0
for _ in $(seq 1000); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/")" = 200 ] && ok=$((ok + 1))
done
expect_eq "1000 rapid requests answered" $ok 1000
kill -0 "$epid" 2>/dev/null && echo "ok: exporter alive" || fail "exporter died"

# Slow clients: 20 connections that send half a request and stall. Scrapes still work at once,
# and the server drops the stalled ones after its request timeout (5 s; tests/cases/exporter-crowd.sh
# has the crowds).
slow=()
for i in $(seq 20); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port"; printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n' >&3
	 start=$(date +%s); cat <&3 >/dev/null; echo $(($(date +%s) - start)) >"$work/slow.$i") &
	slow+=($!)
done
sleep 1
t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$url/metrics")
expect_match "scrape beside 20 stalled clients" "$t" "^200 0\\.[0-9]+$"
for p in "${slow[@]}"; do timeout 30 tail --pid="$p" -f /dev/null; done
expect_eq "stalled clients dropped within 8 s" \
	"$(cat "$work"/slow.* | awk '$1 <= 8' | wc -l)" 20
sleep 1
fds_after=$(ls /proc/$epid/fd | wc -l)
expect_eq "no file descriptors leaked" "$fds_after" "$fds_before"
expect_eq "serving after the abuse" "$(curl -s -o /dev/null -w '%{http_code}' "$url/metrics")" 200
echo "exporter RSS: $(awk '/VmRSS/ { print $2, $3 }' /proc/$epid/status)"

# SIGHUP, SIGUSR1 and SIGUSR2 are ignored (there is nothing to reload), as the man page says.
for sig in HUP USR1 USR2; do kill -s "$sig" "$epid"; done
sleep 0.5
kill -0 "$epid" 2>/dev/null && echo "ok: alive after SIGHUP, SIGUSR1 and SIGUSR2" ||
	fail "SIGHUP, SIGUSR1 or SIGUSR2 killed the exporter"
expect_eq "serving after SIGHUP, SIGUSR1 and SIGUSR2" "$(curl -s -o /dev/null -w '%{http_code}' "$url/metrics")" 200
grep -q '^\.SH SIGNALS' "$man" && echo "ok: the man page has SIGNALS" || fail "no SIGNALS in $man"

kill -TERM "$epid"; wait "$epid"; rc=$?
expect_status "SIGTERM" $rc 0

# ---- --once to stdout -----------------------------------------------------------------------
"$ex" --once --interval 1 >"$work/once.prom" 2>"$work/once.err"
expect_status "--once" $? 0
promcheck "--once" "$work/once.prom"
expect_eq "--once: build_info carries the one version" \
	"$(sed -n 's/^hmm_exporter_build_info{version="\([^"]*\)".*/\1/p' "$work/once.prom")" \
	"$("$ROOT/scripts/version.sh")"

# ---- write errors: named with the output and errno; no partial textfile ----------------------
out=$("$ex" --once --interval 1 2>&1 >/dev/full); rc=$?
expect_status "--once >/dev/full" $rc 1
expect_match "--once >/dev/full message" "$out" "cannot write the metrics to stdout: No space left on device"
# A full file system, on a tmpfs in a mount namespace of its own (gone when the command ends).
full=$work/full
mkdir -p "$full"
out=$(unshare -m bash -c '
	mount -t tmpfs -o size=64k hmmfull "$1" || exit 99
	echo old >"$1/hmm.prom"
	head -c 1M /dev/zero >"$1/fill" 2>/dev/null
	"$2" --once --interval 1 --textfile "$1" 2>&1
	echo "status $?"
	echo "files: $(ls -A "$1" | tr "\n" " ")"
	echo "hmm.prom: $(cat "$1/hmm.prom")"' _ "$full" "$ex")
if [ $? -eq 99 ]; then
	echo "note: cannot mount a tmpfs here: the full-disk case is not checked"
else
	expect_match "--textfile on a full file system: status" "$out" "^status 1$"
	expect_match "--textfile on a full file system: message" "$out" \
		"cannot write $full/hmm.prom: No space left on device"
	expect_match "--textfile on a full file system: no temporary file left" "$out" "^files: fill hmm.prom $"
	expect_match "--textfile on a full file system: hmm.prom as it was" "$out" "^hmm.prom: old$"
fi

# ---- --per-process: nothing attaches here, so only the other series, at zero -----------------
"$ex" --once --interval 1 --per-process 3 >"$work/pp.prom" 2>"$work/pp.err"
expect_status "--once --per-process 3" $? 0
promcheck "--per-process" "$work/pp.prom"
expect_eq "--per-process: families" "$(grep -c '^# TYPE hmm_process_.*_total counter$' "$work/pp.prom")" 9
expect_eq "--per-process: only other series" "$(grep '^hmm_process_' "$work/pp.prom" | grep -vc 'pid="other"')" 0
expect_match "--per-process: other" "$(cat "$work/pp.prom")" '^hmm_process_fault_calls_total\{pid="other"\} 0$'
expect_eq "no per-process families without it" "$(grep -c '^hmm_process_' "$work/once.prom")" 0

# ---- textfile mode, read by node_exporter ---------------------------------------------------
tf=$work/textfile
mkdir -p "$tf"
"$ex" --textfile "$tf" --interval 1 2>"$work/tf.err" &
tpid=$!; pids+=("$tpid")
sleep 3
[ -f "$tf/hmm.prom" ] && echo "ok: hmm.prom written" || fail "no $tf/hmm.prom: $(cat "$work/tf.err")"
expect_eq "hmm.prom mode" "$(stat -c %a "$tf/hmm.prom")" 644
expect_eq "no temporary files left" "$(ls -A "$tf" | grep -v '^hmm.prom$' | wc -l)" 0
promcheck "textfile" "$tf/hmm.prom"
expect_eq "textfile: no listening socket" "$(ss -ltnp 2>/dev/null | grep -c "pid=$tpid,")" 0
r1=$(sed -n 's/^hmm_exporter_renders_total //p' "$tf/hmm.prom"); sleep 2
r2=$(sed -n 's/^hmm_exporter_renders_total //p' "$tf/hmm.prom")
expect_ge "textfile rewritten every interval" $((r2 - r1)) 1
ne=$(command -v prometheus-node-exporter || command -v node_exporter)
if [ -n "$ne" ]; then
	nport=$((20000 + RANDOM % 20000))
	"$ne" --collector.disable-defaults --collector.textfile --collector.textfile.directory="$tf" \
		--web.listen-address="127.0.0.1:$nport" >"$work/ne.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do curl -s -o "$work/ne.prom" "http://127.0.0.1:$nport/metrics" && break; sleep 0.2; done
	expect_eq "node_exporter: node_textfile_scrape_error" "$(sed -n 's/^node_textfile_scrape_error //p' "$work/ne.prom")" 0
	expect_eq "node_exporter serves our probe_info" "$(grep -c '^hmm_exporter_probe_info{' "$work/ne.prom")" 14
	# (Families without samples, such as histograms nothing filled yet, are not passed on.)
	expect_match "node_exporter serves our counters" "$(cat "$work/ne.prom")" '^hmm_range_fault_calls_total\{result="ok"\} 0$'
else
	echo "note: prometheus-node-exporter not installed (make deps): not checked"
fi
kill -TERM "$tpid"; wait "$tpid"
expect_status "textfile mode SIGTERM" $? 0
finish
