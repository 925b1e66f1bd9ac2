#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# tests/check.sh - run every test suite of klp-convert-mini; `make check`.
#
# Builds the helper programs (tests/helpers/*.c) into tests/build, runs
# each offline suite tests/run-*.sh, runs them again with the sanitizer
# build of the tool when KLP_CONVERT_SAN names one (test names prefixed
# "asan:"), then the kernel suite tests/kernel/run.sh when it exists.
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

log=$(mktemp "${TMPDIR:-/tmp}/klp-check.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT

suites="run-harness.sh run-cli.sh run-convert.sh run-refuse.sh run-invalid.sh run-cross.sh"

# run_suite LABEL SCRIPT [ENV=VALUE...]: run one suite, copy its lines to
# stdout and to the log.
run_suite() {
	local label=$1 script=$2 rc out
	shift 2
	out=$(mktemp "${TMPDIR:-/tmp}/klp-suite.XXXXXX") || exit 1
	env "$@" bash "$script" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ] && ! grep -q '^FAIL: ' "$out"; then
		echo "FAIL: $label: suite exited $rc without a test failure" | tee -a "$out"
	fi
	cat "$out" >>"$log"
	rm -f "$out"
}

# The helper programs, once, before the suites need them.
# shellcheck source=lib.sh
if ! (. "$here/lib.sh" && build_helpers); then
	echo "FAIL: build_test_helpers: cannot compile tests/helpers/*.c" | tee -a "$log"
fi

for s in $suites; do
	[ -f "$here/$s" ] || continue
	run_suite "$s" "$here/$s"
done

if [ -n "${KLP_CONVERT_SAN:-}" ]; then
	for s in $suites; do
		[ -f "$here/$s" ] || continue
		run_suite "asan:$s" "$here/$s" KLP_CONVERT="$KLP_CONVERT_SAN" KLP_TEST_PREFIX=asan:
	done
fi

# The kernel suite belongs to another helper; not there yet, nothing to run.
if [ -f "$here/kernel/run.sh" ]; then
	run_suite kernel/run.sh "$here/kernel/run.sh"
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
