# shellcheck shell=bash
# tests/malformed/subr.sh - shared by run-malformed.sh, run-faults.sh and
# run-fuzz-regress.sh: the tool's promise for any input, as assertions.
#
#	for any input file the tool ends, within bounded time and memory,
#	with either a correct output or a one-line error and a non-zero
#	exit; the input is byte-identical afterwards and no temporary file
#	(<output>.XXXXXX, next to the output) is left behind.
#
# Each test prints one line, PASS: name, FAIL: name: why, or SKIP: name:
# why, the failure followed by the evidence indented with "#   ".
#
# Environment: KLP_CONVERT (the tool), KLP_TOPDIR, KLP_TEST_PREFIX (added
# before test names, "asan:" when check.sh reruns with the sanitizer
# build), KLP_VALGRIND=1 (run the tool under valgrind memcheck; any error
# or definite/indirect leak is exit 99), KLP_TEST_KEEP=1, CC, LD.

set -u
LC_ALL=C
export LC_ALL

subr_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=${KLP_TOPDIR:-$(cd "$subr_dir/../.." && pwd)}
tool=${KLP_CONVERT:-$top/klp-convert-mini}
test_prefix=${KLP_TEST_PREFIX:-}
CC=${CC:-cc}
LD=${LD:-ld}
# Seconds one run of the tool may take before it counts as a hang.
tool_timeout=${KLP_TOOL_TIMEOUT:-10}

# A sanitizer report must not pass for the tool's own exit 1.
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}

runner=()
# Valgrind cannot run a sanitizer build (check.sh's asan: rerun): those
# runs rely on the sanitizers instead.
if [ "${KLP_VALGRIND:-0}" = 1 ] && grep -qa __asan_init "$tool" 2>/dev/null; then
	KLP_VALGRIND=0
fi
if [ "${KLP_VALGRIND:-0}" = 1 ]; then
	# shellcheck disable=SC2054 # the commas belong to one option
	runner=(valgrind -q --error-exitcode=99 --leak-check=full
		--errors-for-leak-kinds=definite,indirect)
	tool_timeout=$((tool_timeout * 4))
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/klp-malformed.XXXXXX") || exit 1
cleanup_hooks=()
subr_cleanup() {
	local h
	for h in "${cleanup_hooks[@]}"; do
		eval "$h"
	done
	if [ "${KLP_TEST_KEEP:-0}" = 1 ]; then
		echo "# kept $workdir" >&2
	else
		rm -rf "$workdir"
	fi
}
trap subr_cleanup EXIT
suite_failed=0

# --- the protocol -------------------------------------------------------------

pass() {
	echo "PASS: $test_prefix$1"
}

# fail NAME WHY [LOG]: the test failed; LOG's first lines are shown.
fail() {
	suite_failed=1
	echo "FAIL: $test_prefix$1: $2"
	if [ $# -ge 3 ] && [ -s "$3" ]; then
		head -n 20 "$3" | sed 's/^/#   /'
	fi
}

skip() {
	echo "SKIP: $test_prefix$1: $2"
}

end_suite() {
	exit "$suite_failed"
}

# --- building ---------------------------------------------------------------

elfmangle=$workdir/elfmangle

# build_elfmangle: compile the field editor once per suite.
build_elfmangle() {
	[ -x "$elfmangle" ] ||
		"$CC" -std=gnu11 -O1 -Wall -Wextra -o "$elfmangle" \
			"$subr_dir/elfmangle.c"
}

# kflags ARCH: compiler flags that make code look like a kernel module's
# (no PIC, the kernel code model), so relocation types are ones the
# kernel's loader accepts.
kflags() {
	local common="-O2 -fno-asynchronous-unwind-tables -fno-stack-protector -fno-common"
	case $1 in
	x86_64) echo "$common -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone" ;;
	s390x) echo "$common -fPIC" ;;
	*) echo "$common -fno-pic -fno-pie" ;;
	esac
}

# build_module OUT SRC [ARCH]: cc -c + ld -r, for the host or, with ARCH,
# with the cross toolchain ARCH-linux-gnu-.  Return 1 when it cannot.
build_module() {
	local out=$1 src=$2 arch=${3:-$(uname -m)} cc=$CC ld=$LD
	if [ "$arch" != "$(uname -m)" ]; then
		cc=$arch-linux-gnu-gcc
		ld=$arch-linux-gnu-ld
		command -v "$cc" >/dev/null && command -v "$ld" >/dev/null ||
			return 1
	fi
	# shellcheck disable=SC2046 # a list of flags
	"$cc" -c $(kflags "$arch") -I"$top" -o "$out.o" "$src" &&
		"$ld" -r -o "$out" "$out.o" && rm -f "$out.o"
}

# --- running the tool -------------------------------------------------------

# run_tool DIR ARGS...: run the tool inside DIR, bounded in time; its
# stdout goes to $out_file, stderr to $err_file, the exit status to $rc
# (124 or 137 when timeout(1) had to end it).
run_tool() {
	local dir=$1
	shift
	out_file=$workdir/last.out
	err_file=$workdir/last.err
	rc=0
	(cd "$dir" && exec timeout -k 5 "$tool_timeout" \
		"${runner[@]}" "$tool" "$@") >"$out_file" 2>"$err_file" || rc=$?
}

# tool_died: why the last run counts as a crash, or nothing.  Exit status
# 124 and 137 are timeout(1)'s; 86/87 the sanitizers' (above); 99
# valgrind's; >= 128 a signal.
tool_died() {
	if grep -Eq 'Sanitizer|runtime error:|^==[0-9]+== ' "$err_file"; then
		echo "sanitizer or valgrind report (exit $rc)"
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "did not end within ${tool_timeout}s"
	elif [ "$rc" -ge 128 ]; then
		echo "killed by signal $((rc - 128))"
	elif [ "$rc" = 86 ] || [ "$rc" = 87 ] || [ "$rc" = 99 ]; then
		echo "sanitizer or valgrind exit status $rc"
	fi
}

# error_shape FILE: every line of the last stderr is an error about FILE
# in the contract's shape; print what is wrong, or nothing.
error_shape() {
	local file=$1 bad
	if [ ! -s "$err_file" ]; then
		echo "no error message"
		return
	fi
	bad=$(grep -cvF "klp-convert-mini: error: $file: " "$err_file")
	if [ "$bad" != 0 ]; then
		echo "$bad stderr line(s) not of the shape 'klp-convert-mini: error: $file: ...'"
	fi
}

# listing DIR: the names in DIR, one a line, sorted.
listing() {
	(cd "$1" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | sort)
}

# temp_left BEFORE_LISTING DIR: names in DIR not in BEFORE_LISTING.
temp_left() {
	listing "$2" | comm -13 "$1" - | tr '\n' ' '
}
