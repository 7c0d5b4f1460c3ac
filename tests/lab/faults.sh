# Guest job for the fault and load tests (tests/cases/lab-faults.sh); results go to /out.
#  1. a ring buffer too small for a burst: record -b 4 around a migration-heavy workload;
#  2. record killed with SIGKILL at pseudo-random points, five times;
#  3. a full disk: record onto a 256 KiB tmpfs;
#  4. the traced process vanishing: record --owner PID, PID killed mid-trace; stat -- COMMAND
#     whose command is killed;
#  5. many processes at once: four generators under one system-wide record.
echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null

# wait_line FILE TEXT: until TEXT shows up in FILE (at most 60 s).
wait_line() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
}

# 1. overflow: a 4 KiB ring buffer cannot hold a burst of migrations' and faults' records.
hmmtrace record -b 4 -o /out/small.hmmtrace -- hmm_workload -q -m 512 --reads 20 --migrate 20 \
	--migrate-sys 10 >/out/small-totals 2>/out/small.err
echo "overflow record exit=$?"

# 2. SIGKILL at pseudo-random points (seeded: the same points every run), while events flow.
# The workload is stopped (SIGSTOP) just before the kill and resumed once record is gone:
# removing a fentry trampoline while another vCPU runs the patched function can oops under QEMU
# TCG (cross-vCPU text_poke_bp, "int3" at the function's first bytes); on hardware it is safe.
# Attaching likewise happens before the workload starts.
seed=7
for k in 1 2 3 4 5; do
	seed=$(((seed * 1103515245 + 12345) % 2147483648))
	ms=$((200 + seed % 1800))
	hmmtrace record --flush-ms 100 -o /out/killed-$k.hmmtrace 2>/out/killed-$k.err &
	r=$!
	wait_line /out/killed-$k.err "hmmtrace: recording"
	hmm_workload -q -m 128 --reads 200 --migrate 50 >/dev/null &
	w=$!
	usleep $((ms * 1000))
	kill -STOP $w
	kill -KILL $r
	wait $r
	echo "killed $k after ${ms}ms: status $?"
	kill -CONT $w
	kill $w 2>/dev/null
	wait $w
done

# 3. a full disk.
mkdir -p /mnt/small && mount -t tmpfs -o size=256k small /mnt/small
hmmtrace record --flush-ms 100 -o /mnt/small/full.hmmtrace -- hmm_workload -q -m 256 --reads 400 \
	--migrate 100 >/dev/null 2>/out/full.err
echo "full-disk record exit=$?"
cp /mnt/small/full.hmmtrace /out/full.hmmtrace
umount /mnt/small

# 4. the traced process vanishing mid-trace (it waits for SIGUSR1 so record attaches first).
hmm_workload -q -W -m 64 --reads 100000 >/dev/null &
w=$!
hmmtrace record -d 4 --owner $w -o /out/vanish.hmmtrace 2>/out/vanish.err &
r=$!
wait_line /out/vanish.err "hmmtrace: recording"
kill -USR1 $w
sleep 1
kill -KILL $w
wait $r
echo "vanish record exit=$?"
hmmtrace stat -- sh -c 'echo $$ >/tmp/stat-cmd.pid; exec hmm_workload -q -m 64 --reads 100000' \
	>/out/stat-killed.txt 2>/out/stat-killed.err &
s=$!
wait_line /tmp/stat-cmd.pid .
sleep 2
kill -KILL "$(cat /tmp/stat-cmd.pid)"
wait $s
echo "stat-killed exit=$?"

# 5. many processes: four generators with known counts under one system-wide record.
hmmtrace record -o /out/many.hmmtrace 2>/out/many.err &
r=$!
wait_line /out/many.err "hmmtrace: recording"
# On one device: on 6.1+ a generator's close evicts every process's pages from it, in the middle
# of another's migration, so each holds the device open (--hold) until all four are done.
pids=
for i in 1 2 3 4; do
	hmm_workload -q --hold -m 100 --reads $((i * 3)) --migrate $i >/out/many-$i.totals \
		2>/out/many-$i.err &
	pids="$pids $!"
done
for i in 1 2 3 4; do
	wait_line /out/many-$i.err "holding the device"
done
# shellcheck disable=SC2086 # one pid each
kill -USR1 $pids
wait $pids
sleep 1
kill -INT $r
wait $r
echo "many record exit=$?"
