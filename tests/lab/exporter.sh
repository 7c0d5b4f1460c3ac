# Guest job: hmm_exporter (HTTP and textfile at once, --per-process 2) around two runs of the
# workload generator (two processes, each with its pid in its totals), with bad HTTP traffic
# between them, so the host can check that the second scrape counts both runs exactly (the BPF
# side kept collecting), per process too, and validate every text with promtool.
# Arguments: workload options. Prints sections between markers for the host.
P=9435
mkdir -p /tmp/tf
# Least privilege: the exporter runs as an unprivileged user once attached (the textfile
# directory is that user's).
echo 'hmmexp:x:1000:1000::/tmp:/bin/sh' >>/etc/passwd
chown 1000:1000 /tmp/tf
hmm_exporter --user hmmexp --listen 127.0.0.1:$P --textfile /tmp/tf --interval 1 --per-process 2 \
	2>/tmp/ex.err &
ex=$!
i=0
while ! grep -q "serving http" /tmp/ex.err && [ $i -lt 600 ]; do
	kill -0 $ex 2>/dev/null || break
	sleep 0.1; i=$((i + 1))
done
scrape() { wget -q -O "$1" "http://127.0.0.1:$P/metrics"; }

hmm_workload -q "$@" >/tmp/t1
w1=$?
scrape /tmp/m1.prom
s1=$?

# Bad traffic: a stalled client held open throughout, malformed and wrong requests, 200 quick
# requests for an unknown path.
(printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n'; sleep 30) | nc 127.0.0.1 $P >/dev/null 2>&1 &
slow=$!
printf 'GARBAGE\r\n\r\n' | nc 127.0.0.1 $P >/dev/null 2>&1
bad_post=$(printf 'POST /metrics HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc' | nc 127.0.0.1 $P | head -n 1)
bad_ver=$(printf 'GET / HTTP/7.0\r\n\r\n' | nc 127.0.0.1 $P | head -n 1)
n404=0 i=0
while [ $i -lt 200 ]; do
	printf 'GET /nope HTTP/1.0\r\n\r\n' | nc 127.0.0.1 $P | head -n 1 | grep -q ' 404 ' && n404=$((n404 + 1))
	i=$((i + 1))
done

hmm_workload -q "$@" >/tmp/t2
w2=$?
sleep 3 # the textfile catches up (interval 1 s)
scrape /tmp/m2.prom
s2=$?
wget -S -O /dev/null "http://127.0.0.1:$P/metrics" 2>/tmp/hdr
cp /tmp/tf/hmm.prom /tmp/tf.prom
hmm_exporter --validate /tmp/m2.prom >/tmp/val 2>&1
vrc=$?
rss=$(awk '/VmRSS/ { print $2 }' /proc/$ex/status)
grep -E '^(Uid|Gid|CapPrm|CapEff|NoNewPrivs):' /proc/$ex/status | tr -s ' \t' ' ' >/tmp/creds
kill $slow 2>/dev/null
kill -TERM $ex
wait $ex
erc=$?

for s in t1 t2 m1.prom m2.prom tf.prom hdr ex.err val creds; do
	echo "SECTION-$s-BEGIN"; cat /tmp/$s; echo "SECTION-$s-END"
done
echo "RESULTS w1=$w1 w2=$w2 s1=$s1 s2=$s2 vrc=$vrc erc=$erc n404=$n404 rss_kb=$rss"
echo "BAD post=[$bad_post] version=[$bad_ver]"
[ $w1 -eq 0 ] && [ $w2 -eq 0 ] && [ $s1 -eq 0 ] && [ $s2 -eq 0 ] && [ $erc -eq 0 ]
