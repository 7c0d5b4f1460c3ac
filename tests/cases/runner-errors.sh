#!/bin/bash
# The lab runner's failure paths: missing kernel, missing job script, bad options, a guest that
# hangs, a guest that panics. Each must exit non-zero with a message that says what went wrong.
. "$(dirname "$0")/../lib.sh"
run=$LAB/run.sh
job=$(mktemp)
trap 'rm -f "$job"' EXIT
echo 'echo hello from the guest' >"$job"

out=$("$run" -k /nonexistent/bzImage "$job" 2>&1); rc=$?
expect_status "missing kernel" $rc 2
expect_match "missing kernel" "$out" "kernel '/nonexistent/bzImage' not found"

out=$("$run" -k 6.1 /nonexistent/job.sh 2>&1); rc=$?
expect_status "missing script" $rc 2
expect_match "missing script" "$out" "job script '/nonexistent/job.sh' not found"

out=$("$run" -k 4.19 "$job" 2>&1); rc=$?
expect_status "unknown kernel series" $rc 2
expect_match "unknown kernel series" "$out" "unknown lab kernel '4.19'"

out=$("$run" --timeout abc "$job" 2>&1); rc=$?
expect_status "bad timeout" $rc 2
expect_match "bad timeout" "$out" "expected a positive integer, got 'abc'"

out=$("$run" --fwd 9000:9000 "$job" 2>&1); rc=$?
expect_status "forward without a namespace" $rc 2
expect_match "forward without a namespace" "$out" "needs --netns"

lab_ready 6.1
out=$("$run" -q -k 6.1 -t 120 "$job" 2>&1); rc=$?
expect_status "a job that succeeds" $rc 0

printf 'echo about to fail\nexit 7\n' >"$job"
out=$("$run" -q -k 6.1 -t 120 "$job" 2>&1); rc=$?
expect_status "a job's own status" $rc 7

echo 'sleep 600' >"$job"
out=$("$run" -q -k 6.1 -t 25 "$job" 2>&1); rc=$?
expect_status "a hanging guest" $rc 124
expect_match "a hanging guest" "$out" "did not finish within 25 s"
expect_match "a hanging guest shows the console" "$out" "last console lines"

# No init in the initramfs: the kernel panics trying to mount a root it does not have.
out=$("$run" -q -k 6.1 -t 120 --append rdinit=/nonexistent "$job" 2>&1); rc=$?
expect_status "a panicking guest" $rc 125
expect_match "a panicking guest" "$out" "kernel panicked"
finish
