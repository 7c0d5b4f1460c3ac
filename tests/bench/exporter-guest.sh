# Guest job for tests/bench/exporter.sh. Arguments: SCRAPES SOAK_SECONDS.
# Starts hmm_exporter, fills every kind of histogram with the workload generator, then scrapes
# SCRAPES times back to back, each scrape reporting the previous render's duration; then a soak:
# the workload every 20 s and a scrape every second for SOAK_SECONDS, RSS sampled every 30 s.
N=${1:-200} SOAK=${2:-600}
P=9435
echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null
hmm_exporter --listen 127.0.0.1:$P 2>/tmp/ex.err &
ex=$!
i=0
while ! grep -q "serving http" /tmp/ex.err && [ $i -lt 600 ]; do
	kill -0 $ex 2>/dev/null || { cat /tmp/ex.err; echo "ERROR exporter did not start"; exit 1; }
	sleep 0.1; i=$((i + 1))
done
rss() { awk '/VmRSS/ { print $2 }' /proc/$ex/status; }
cpu() { awk '{ print $14 + $15 }' /proc/$ex/stat; } # utime + stime, clock ticks
work="-q -m 100 --reads 4 --writes 4 --snapshots 2 --migrate 2 --migrate-sys 2 --storm 20 --exclusive 1 --soft-dirty 1 --uffd-minor 4 --uffd-missing 4"
echo "BENCH rss_start $(rss)"
hmm_workload $work >/dev/null || echo "ERROR workload failed"
wget -q -O /tmp/m.prom "http://127.0.0.1:$P/metrics" || echo "ERROR scrape failed"
echo "BENCH lines $(grep -vc '^#' /tmp/m.prom) bytes $(wc -c </tmp/m.prom) hist_series $(grep -c '_count' /tmp/m.prom)"
echo "BENCH rss_filled $(rss)"
up() { cut -d' ' -f1 /proc/uptime; } # busybox date has no %N
c0=$(cpu) t0=$(up)
i=0
while [ $i -lt "$N" ]; do
	wget -q -O /tmp/s.prom "http://127.0.0.1:$P/metrics" || echo "ERROR scrape failed"
	echo "BENCH render $(sed -n 's/^hmm_exporter_render_duration_seconds //p' /tmp/s.prom)"
	i=$((i + 1))
done
t1=$(up) c1=$(cpu)
echo "BENCH scrapes $N wall_s $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') cpu_ticks $((c1 - c0)) hz $(getconf CLK_TCK 2>/dev/null || echo 100)"
echo "BENCH rss_scraped $(rss)"
start=$(date +%s) last=0
while [ $(($(date +%s) - start)) -lt "$SOAK" ]; do
	el=$(($(date +%s) - start))
	[ $((el % 20)) -eq 0 ] && hmm_workload $work >/dev/null
	[ $((el / 30)) -gt $last ] && { last=$((el / 30)); echo "BENCH soak $el $(rss)"; }
	wget -q -O /dev/null "http://127.0.0.1:$P/metrics" || echo "ERROR soak scrape failed"
	sleep 1
done
echo "BENCH rss_end $(rss)"
grep -q '^hmm_events_lost_total{cause="ringbuf"} 0$' /tmp/s.prom || echo "ERROR ring-buffer records were dropped"
kill -TERM $ex
wait $ex
