#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# tests/check.sh - run every test suite of klp-convert-mini; `make check`.
#
# Builds the helper programs (tests/helpers/*.c) into tests/build, runs
# each offline suite tests/run-*.sh, runs them again with the sanitizer
# build of the tool when KLP_CONVERT_SAN names one (test names prefixed
# "asan:"), then the kernel suite tests/kernel/run.sh when it exists.
# The offline suites run KLP_CHECK_JOBS (default: nproc) at a time.
# Every suite prints one PASS:/FAIL:/SKIP: line per test; this script
# counts them and ends with the contract's line:
#
#	N passed, N failed[, N skipped]
#
# and exits 1 if anything failed.  A suite that exits non-zero without a
# FAIL: line of its own (a crash of the script) counts as a failure.
#
# Environment: KLP_CONVERT, KLP_TOPDIR, KLP_CONVERT_SAN (from make),
# KLP_SKIP_CROSS=1, KLP_SKIP_KERNEL=1 (see the suites), KLP_TEST_KEEP=1.

set -u
here=$(cd "$(dirname "$0")" && pwd)
KLP_TOPDIR=${KLP_TOPDIR:-$(dirname "$here")}
KLP_CONVERT=${KLP_CONVERT:-$KLP_TOPDIR/klp-convert-mini}
export KLP_TOPDIR KLP_CONVERT
export LC_ALL=C

tmp=$(mktemp -d "${TMPDIR:-/tmp}/klp-check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log
: >"$log"

# Every suite script, in name order; the kernel suite runs last, alone.
suites=$(cd "$here" && ls run-*.sh)

# The offline suites run two at a time (the machines have two cores) and
# their lines are printed in a fixed order once all are done.
jobs=${KLP_CHECK_JOBS:-$(nproc 2>/dev/null || echo 2)}
n=0
order=()

# start_suite LABEL SCRIPT [ENV=VALUE...]: run one suite in the background.
start_suite() {
	local label=$1 script=$2
	shift 2
	n=$((n + 1))
	order+=("$n:$label")
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	(
		env "$@" bash "$script" >"$tmp/$n.out" 2>&1
		echo $? >"$tmp/$n.rc"
	) &
}

# finish_suites: print each suite's lines in order, and a FAIL line for a
# suite that exited non-zero without reporting a failure (a crash).
finish_suites() {
	local entry i label rc
	wait
	for entry in "${order[@]}"; do
		i=${entry%%:*}
		label=${entry#*:}
		cat "$tmp/$i.out"
		rc=$(cat "$tmp/$i.rc" 2>/dev/null || echo lost)
		if [ "$rc" != 0 ] && ! grep -q '^FAIL: ' "$tmp/$i.out"; then
			echo "FAIL: $label: suite exited $rc without a test failure" | tee -a "$tmp/$i.out"
		fi
		cat "$tmp/$i.out" >>"$log"
	done
	order=()
}

# The helper programs, once, before the suites need them.
# shellcheck source=lib.sh
if ! (. "$here/lib.sh" && build_helpers); then
	echo "FAIL: build_test_helpers: cannot compile tests/helpers/*.c" | tee -a "$log"
fi

for s in $suites; do
	start_suite "$s" "$here/$s"
done
if [ -n "${KLP_CONVERT_SAN:-}" ]; then
	for s in $suites; do
		start_suite "asan:$s" "$here/$s" KLP_CONVERT="$KLP_CONVERT_SAN" KLP_TEST_PREFIX=asan:
	done
fi
finish_suites

# The kernel suite belongs to another helper; not there yet, nothing to run.
# Its lines are shown as they come: it boots kernels and takes a while.
if [ -f "$here/kernel/run.sh" ]; then
	bash "$here/kernel/run.sh" 2>&1 | tee "$tmp/kernel.out"
	rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ] && ! grep -q '^FAIL: ' "$tmp/kernel.out"; then
		echo "FAIL: kernel/run.sh: suite exited $rc without a test failure" | tee -a "$tmp/kernel.out"
	fi
	cat "$tmp/kernel.out" >>"$log"
fi

passed=$(grep -c '^PASS: ' "$log")
failed=$(grep -c '^FAIL: ' "$log")
skipped=$(grep -c '^SKIP: ' "$log")
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
