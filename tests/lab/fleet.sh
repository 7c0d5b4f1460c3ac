# Guest job for the fleet test (tests/cases/lab-fleet.sh): hmm_exporter on the guest's address
# (QEMU's port forward connects to 10.0.2.15), then, once the host says its Prometheus is
# scraping (/out/go), the workload generator twice, 3 s apart, so counters grow across scrapes;
# the totals go to /out/t1 and /out/t2. Then, if the host writes /out/storm (the workload options
# of an invalidation storm), the storm runs and its totals go to /out/storm-totals; the guest
# serves until the host creates /out/stop.
# Beside the exporter, `hmmtrace hist` counts the same and writes /out/host.hist.
# Arguments: workload options.
hmm_exporter --listen 0.0.0.0:9435 2>/tmp/ex.err &
ex=$!
i=0
while ! grep -q "serving http" /tmp/ex.err && [ $i -lt 600 ]; do
	kill -0 $ex 2>/dev/null || break
	sleep 0.1; i=$((i + 1))
done
cat /tmp/ex.err
# The offline path beside it: this host's histogram file, for `hmmtrace hist merge` on the host.
hmmtrace hist -o /out/host.hist 2>/tmp/hist.err &
hist=$!
i=0
while ! grep -q "counting system-wide" /tmp/hist.err && [ $i -lt 600 ]; do
	kill -0 $hist 2>/dev/null || break
	sleep 0.1; i=$((i + 1))
done
touch /out/ready
i=0
while [ ! -e /out/go ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
hmm_workload -q "$@" >/tmp/t1
w1=$?
sleep 3
hmm_workload -q "$@" >/tmp/t2
w2=$?
kill -INT $hist
wait $hist
hrc=$?
cat /tmp/hist.err
cp /tmp/t1 /out/t1.tmp && mv /out/t1.tmp /out/t1
cp /tmp/t2 /out/t2.tmp && mv /out/t2.tmp /out/t2
i=0
while [ ! -e /out/stop ] && [ ! -e /out/storm ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
w3=0
if [ -e /out/storm ]; then
	hmm_workload -q $(cat /out/storm) >/tmp/storm
	w3=$?
	cp /tmp/storm /out/storm-totals.tmp && mv /out/storm-totals.tmp /out/storm-totals
fi
i=0
while [ ! -e /out/stop ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $ex
wait $ex
erc=$?
echo "FLEET w1=$w1 w2=$w2 w3=$w3 erc=$erc hrc=$hrc"
[ $w1 -eq 0 ] && [ $w2 -eq 0 ] && [ $w3 -eq 0 ] && [ $erc -eq 0 ] && [ $hrc -eq 0 ]
