#!/bin/bash
# The workload generator rejects bad input with a message naming the option (exit 2), and says
# what to do when the test_hmm device is missing (this machine has none).
. "$(dirname "$0")/../lib.sh"
w=$OUTPUT/tests/hmm_workload

check() { # WHAT EXPECTED-STATUS REGEX ARGS...
	local what=$1 want=$2 re=$3 out rc
	shift 3
	out=$("$w" "$@" 2>&1); rc=$?
	expect_status "$what" $rc "$want"
	expect_match "$what" "$out" "$re"
}
check "garbage count" 2 "reads.*abc" --reads abc
check "negative count" 2 "reads" --reads -3
check "count out of range" 2 "reads" --reads 99999999999
check "zero pages" 2 "pages" -m 0 --reads 1
check "too many pages" 2 "pages" -m 65537 --reads 1
check "unknown option" 2 "frobnicate" --frobnicate
check "missing value" 2 "needs a value" --reads
check "no operation" 2 "no operation" -m 8
check "stray argument" 2 "extra" --reads 1 extra
check "--thrash without B" 2 "--thrash: expected A,B" --thrash 5
check "--thrash, B not a number" 2 "--thrash: invalid value 'x'" --thrash 5,x
check "--thrash, three numbers" 2 "--thrash: invalid value '2,1'" --thrash 5,2,1
check "--pin without --migrate" 2 "--pin holds pages back from --migrate" --pin 3 --reads 1
check "--pin over a pipe's 16" 2 "--pin: invalid value '17'" --pin 17 --migrate 1
check "--pin over the pages" 2 "--pin: more pages than each operation has" -m 2 --pin 3 --migrate 1
check "missing device" 2 "/nonexistent/hmm: No such file or directory.*CONFIG_TEST_HMM" \
	-D /nonexistent/hmm --reads 1
[ -e /dev/hmm_dmirror0 ] ||
	check "no test_hmm here" 2 "/dev/hmm_dmirror0: No such file or directory" --reads 1
out=$("$w" --help); rc=$?
expect_status "--help" $rc 0
expect_match "--help documents --wait-signal" "$out" "--wait-signal"
expect_match "--help documents --thrash" "$out" "--thrash A,B"
expect_match "--help documents --pin" "$out" "--pin K"
expect_match "--help documents --hold" "$out" "--hold .*keep the device open until"
check "--hold takes no value" 2 "option '--hold' takes no value" --hold=1 --reads 1
check "--quiet=1: a known flag given a value" 2 "option '--quiet' takes no value" --quiet=1 --reads 1
finish
