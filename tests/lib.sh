# shellcheck shell=bash
# tests/lib.sh - shared by the tests/run-*.sh suites of klp-convert-mini.
#
# In the manner of elfutils' tests/test-subr.sh: a private temporary
# directory removed on exit, fixtures built from source at test time, and
# comparisons that diff real output against the expectation written inline
# in the test.  Each test is a shell function run by run_test in a subshell
# of its own, inside a directory of its own, under `set -e`: the first
# failing command or assertion ends that test only, and the suite goes on.
# Every test prints exactly one line, as the contract's protocol demands:
#
#	PASS: name	FAIL: name: why	SKIP: name: why
#
# followed, for a failure, by its log indented with "#   ".
#
# Environment: KLP_CONVERT (the tool), KLP_TOPDIR (the repository),
# KLP_TEST_PREFIX (prepended to test names, "asan:" for the sanitizer
# rerun), KLP_TEST_BUILDDIR (helper programs; default tests/build),
# KLP_TEST_KEEP=1 (keep the temporary directory), KLP_TEST_TIMEOUT
# (seconds one tool run may take, default 60), CC, LD.

set -u
LC_ALL=C
export LC_ALL

top=${KLP_TOPDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
srcdir=$top/tests
KLP_CONVERT=${KLP_CONVERT:-$top/klp-convert-mini}
builddir=${KLP_TEST_BUILDDIR:-$srcdir/build}
test_prefix=${KLP_TEST_PREFIX:-}
CC=${CC:-cc}
LD=${LD:-ld}
# The tool prints this before every line; tests compare whole lines.
me=klp-convert-mini
# Sanitizer runs: a distinct exit code keeps an ASan report from passing
# for the tool's own "refused" exit 1.  (The tool wrapper also greps.)
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}

helpers="elfdump klpcheck elfpoke"

# build_helpers: compile the C helper programs into $builddir when they are
# missing or older than their source.
build_helpers() {
	local h libelf
	libelf=$(pkg-config --cflags --libs libelf 2>/dev/null) || libelf=-lelf
	mkdir -p "$builddir" || return 1
	for h in $helpers; do
		if [ "$builddir/$h" -nt "$srcdir/helpers/$h.c" ]; then
			continue
		fi
		# shellcheck disable=SC2086 # $libelf is a list of flags
		"$CC" -std=gnu11 -O1 -g -Wall -Wextra -Werror \
			-o "$builddir/$h" "$srcdir/helpers/$h.c" $libelf || return 1
	done
}

# Private directory for this suite; each test gets a subdirectory.
workdir=$(mktemp -d "${TMPDIR:-/tmp}/klp-tests.XXXXXX") || exit 1
if [ "${KLP_TEST_KEEP:-0}" = 1 ]; then
	echo "# keeping $workdir" >&2
else
	trap 'rm -rf "$workdir"' EXIT
fi
ntests=0
suite_failed=0

# run_test NAME FUNCTION [ARGS...]: run one test and print its line.
run_test() {
	local name=$test_prefix$1 rc
	shift
	ntests=$((ntests + 1))
	t=$workdir/t$ntests
	mkdir "$t" || exit 1
	(
		cd "$t" || exit 1
		trap '[ -s "$t.why" ] || echo "line $LINENO: $BASH_COMMAND (exit $?)" >"$t.why"' ERR
		set -eE
		"$@"
	) >"$t.log" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		echo "PASS: $name"
	elif [ $rc = 77 ]; then
		echo "SKIP: $name: $(cat "$t.why" 2>/dev/null)"
	else
		suite_failed=1
		[ -s "$t.why" ] || echo "exit $rc" >"$t.why"
		echo "FAIL: $name: $(head -n1 "$t.why")"
		sed 's/^/#   /' "$t.log" | head -n 60
	fi
}

# end_suite: the exit status of a suite script.
end_suite() {
	exit $suite_failed
}

# fail WHY: end the current test as failed.
fail() {
	[ -s "$t.why" ] || echo "$*" >"$t.why"
	exit 1
}

# skip WHY: end the current test as skipped.
skip() {
	echo "$*" >"$t.why"
	exit 77
}

# --- building fixtures ------------------------------------------------------

# build_ko OUT SRC... [-- CFLAGS...]: compile each C or assembly SRC with
# `cc -c` and link them with `ld -r` into OUT, as kbuild links a .ko.
# $CROSS selects a cross toolchain prefix (aarch64-linux-gnu- ...).
build_ko() {
	local out=$1 src objs=() flags=() cross=${CROSS:-}
	shift
	local srcs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		srcs+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	flags=("$@")
	local cc=$CC ld=$LD
	if [ -n "$cross" ]; then
		cc=${cross}gcc
		ld=${cross}ld
	fi
	for src in "${srcs[@]}"; do
		"$cc" -c -O2 -I"$top" -I"$srcdir/src" "${flags[@]}" \
			-o "${src%.*}.o" "$src" || fail "cannot compile $src"
		objs+=("${src%.*}.o")
	done
	"$ld" -r -o "$out" "${objs[@]}" || fail "cannot link $out"
	rm -f "${objs[@]}"
}

# --- running the tool ---------------------------------------------------------

# run_tool EXPECTED_EXIT ARGS...: run the tool; its stdout goes to $t.out,
# stderr to $t.err, and the directory listing before and after is kept for
# assert_no_temp.  A signal death or a sanitizer report always fails.
run_tool() {
	local want=$1 rc=0
	shift
	ls -A >"$t.before"
	# A hung tool fails its test instead of hanging the suite (and CI).
	# KLP_VALGRIND=1 (make check VALGRIND=1): under memcheck, where any
	# invalid access or leak exits 99.
	if [ "${KLP_VALGRIND:-0}" = 1 ]; then
		timeout -k 5 "${KLP_TEST_TIMEOUT:-300}" valgrind -q --error-exitcode=99 \
			--leak-check=full --errors-for-leak-kinds=definite,indirect \
			"$KLP_CONVERT" "$@" >"$t.out" 2>"$t.err" || rc=$?
		[ $rc != 99 ] || fail "valgrind report from klp-convert-mini $*"
	else
		timeout -k 5 "${KLP_TEST_TIMEOUT:-60}" "$KLP_CONVERT" "$@" >"$t.out" 2>"$t.err" || rc=$?
	fi
	ls -A >"$t.after"
	echo "\$ klp-convert-mini $* -> exit $rc"
	[ $rc != 124 ] || fail "klp-convert-mini $*: no result within ${KLP_TEST_TIMEOUT:-60}s"
	sed 's/^/  stdout: /' "$t.out"
	sed 's/^/  stderr: /' "$t.err"
	if grep -Eq 'Sanitizer|runtime error:' "$t.err"; then
		fail "sanitizer report from klp-convert-mini $*"
	fi
	[ $rc -lt 128 ] || fail "klp-convert-mini $* died of signal $((rc - 128))"
	[ "$rc" = "$want" ] || fail "klp-convert-mini $*: exit $rc, expected $want"
}

# tsan_exits STATUS ARGS...: the ThreadSanitizer build ($KLP_CONVERT_TSAN)
# run with ARGS exits STATUS with no report.  setarch -R: without address
# space randomization, which leaves ThreadSanitizer no room for its
# shadow memory on some kernels.
tsan_exits() {
	local want=$1 rc=0
	shift
	TSAN_OPTIONS=halt_on_error=1:exitcode=66 \
		timeout -k 5 "${KLP_TEST_TIMEOUT:-120}" \
		setarch "$(uname -m)" -R "$KLP_CONVERT_TSAN" "$@" 2>tsan.err ||
		rc=$?
	if [ "$rc" != "$want" ] || grep -q ThreadSanitizer tsan.err; then
		head -n 40 tsan.err
		fail "ThreadSanitizer run ($*): exit $rc, expected $want"
	fi
}

# tsan_converts_alike WANT OUT ARGS...: the ThreadSanitizer build run
# with ARGS exits 0 with no report, and leaves OUT byte-identical to WANT.
tsan_converts_alike() {
	local want=$1 out=$2
	shift 2
	tsan_exits 0 "$@"
	cmp "$want" "$out" || fail "the ThreadSanitizer build wrote other bytes"
}

# --- assertions -------------------------------------------------------------

# compare WHAT FILE: FILE must equal standard input (the expectation).
compare() {
	local what=$1 file=$2
	cat >"$t.expect"
	if ! diff -u "$t.expect" "$file" >"$t.diff"; then
		cat "$t.diff"
		fail "$what differs from the expectation"
	fi
}

# compare_out WHAT CMD...: CMD's standard output must equal standard input.
compare_out() {
	local what=$1
	shift
	"$@" >"$t.actual" || fail "$what: $* exited $?"
	compare "$what" "$t.actual"
}

# compare_files WHAT A B: two files must be equal (shown as a diff).
compare_files() {
	if ! diff -u "$2" "$3" >"$t.diff"; then
		cat "$t.diff"
		fail "$1 differs"
	fi
}

# save FILE...: keep a copy and the mtime, for assert_unchanged.
save() {
	local f
	mkdir -p "$t.save"
	for f in "$@"; do
		cp -p "$f" "$t.save/$f"
		stat -c %y "$f" >"$t.save/$f.mtime"
	done
}

# assert_unchanged FILE...: same bytes and same mtime as when saved.
assert_unchanged() {
	local f
	for f in "$@"; do
		cmp -s "$f" "$t.save/$f" || fail "$f was modified"
		[ "$(stat -c %y "$f")" = "$(cat "$t.save/$f.mtime")" ] ||
			fail "$f has a new mtime"
	done
}

# assert_no_temp [NEW...]: the last run_tool left no file behind in the
# directory other than the NEW files it was asked to write.
# shellcheck disable=SC2120 # NEW files are optional
assert_no_temp() {
	local n
	for n in "$@"; do
		grep -qxF -- "$n" "$t.before" || echo "$n" >>"$t.before"
	done
	sort -o "$t.before" "$t.before"
	sort -o "$t.after" "$t.after"
	if ! diff -u "$t.before" "$t.after" >"$t.diff"; then
		cat "$t.diff"
		fail "files left behind in the directory: $(comm -13 "$t.before" "$t.after" | tr '\n' ' ')"
	fi
}

# assert_grep ERE FILE: some line of FILE matches ERE.
assert_grep() {
	grep -Eq -- "$1" "$2" || fail "no line matches /$1/ in $(basename "$2")"
}

# assert_no_grep ERE FILE: no line of FILE matches ERE.
assert_no_grep() {
	! grep -Eq -- "$1" "$2" || fail "a line matches /$1/ in $(basename "$2")"
}

# assert_lines N FILE: FILE has exactly N lines.
assert_lines() {
	local n
	n=$(wc -l <"$2")
	[ "$n" = "$1" ] || fail "$(basename "$2") has $n lines, expected $1"
}

# assert_empty FILE
assert_empty() {
	[ ! -s "$1" ] || fail "$(basename "$1") is not empty: $(head -c 200 "$1")"
}

# --- looking at ELF files -------------------------------------------------------

# dump ARGS... FILE: the stable text dump (tests/helpers/elfdump.c).
dump() {
	"$builddir/elfdump" "$@"
}

# klpcheck FILE: the kernel's checks (tests/helpers/klpcheck.c) must pass.
klpcheck() {
	"$builddir/klpcheck" "$1" >"$t.klpcheck" || {
		cat "$t.klpcheck"
		fail "klpcheck: $(head -n1 "$t.klpcheck")"
	}
	cat "$t.klpcheck"
}

# elfpoke FILE OPS...: rewrite parts of an ELF file (tests/helpers/elfpoke.c).
elfpoke() {
	"$builddir/elfpoke" "$@" || fail "elfpoke $*"
}

# elflint FILE: eu-elflint --gnu-ld must find nothing wrong.  It knows
# neither SHN_LIVEPATCH nor SHF_RELA_LIVEPATCH, which the kernel defines for
# itself (include/uapi/linux/elf.h) inside the OS-specific ranges that
# elflint rejects for ELFOSABI_NONE.  Seen with elfutils 0.188 on a
# converted module, and dropped here, these two messages only, and only
# for klp names (klpcheck separately proves those names are what the
# kernel parses and that exactly the .klp.sym.* symbols are SHN_LIVEPATCH):
#   section [ 2] '.klp.rela.vmlinux..text' contains unknown flag(s) 0x100000
#   section [12] '.symtab': symbol 14 (.klp.sym.vmlinux.foo,0): invalid section index
elflint() {
	local f=$1 rc=0
	eu-elflint --gnu-ld "$f" >"$t.elflint.raw" 2>&1 || rc=$?
	filter_elflint <"$t.elflint.raw" >"$t.elflint" || true
	if [ -s "$t.elflint" ]; then
		cat "$t.elflint"
		fail "eu-elflint $f: $(head -n1 "$t.elflint")"
	fi
	# Exit 1 with only filtered messages is expected; anything else is not.
	[ $rc = 0 ] || [ $rc = 1 ] || fail "eu-elflint $f exited $rc"
}

filter_elflint() {
	grep -Ev -e '^No errors$' \
		-e "^section \[ *[0-9]+\] '\.klp\.rela\.[^']*' contains unknown flag\(s\) 0x100000$" \
		-e "^section \[ *[0-9]+\] '\.symtab': symbol [0-9]+ \(\.klp\.sym\.[^)]*\): invalid section index$"
}

# mask_strtab: hide string table sizes in a dump; where the tool puts its
# new strings is its own business, the names they spell are checked.
mask_strtab() {
	sed -E '/^\[[0-9]+\] [^ ]+ STRTAB /s/ size=[0-9]+/ size=*/'
}

# predict IN: the dump the converted IN must give (tests/predict.awk).
predict() {
	dump -h -S -s -r "$1" >"$t.in.dump" || fail "elfdump $1"
	awk -f "$srcdir/predict.awk" "$t.in.dump" | mask_strtab
}

# assert_converted IN OUT: OUT is exactly what the contract makes of IN
# (independent prediction), the kernel would accept it (klpcheck), and
# eu-elflint finds nothing else wrong.
assert_converted() {
	predict "$1" >"$t.predicted"
	dump -h -S -s -r "$2" | mask_strtab >"$t.actual.dump"
	compare "conversion of $(basename "$1") (vs tests/predict.awk)" \
		"$t.actual.dump" <"$t.predicted"
	klpcheck "$2" >/dev/null
	elflint "$2"
}

# Flags that make code look like a kernel module's for the host compiler:
# no PIC/PIE (the kernel cannot apply GOT relocations on x86_64), the
# kernel code model, no unwind tables, no stack protector calls.
case $(uname -m) in
x86_64) KCFLAGS="-fno-pic -fno-pie -mcmodel=kernel -mno-red-zone -fno-asynchronous-unwind-tables -fno-stack-protector" ;;
*) KCFLAGS="-fno-pic -fno-pie -fno-stack-protector" ;;
esac

# need_x86_64: skip a test whose source is x86_64 assembly.
need_x86_64() {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 assembly source"
}

# kbuild CFLAGS for build_ko, split into words.
kcflags() {
	# shellcheck disable=SC2086 # a list of flags
	printf '%s\n' $KCFLAGS
}

# build_kmod OUT SRC... [-- CFLAGS...]: build_ko with $KCFLAGS.
build_kmod() {
	local args=() flags=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	mapfile -t flags < <(kcflags)
	build_ko "${args[@]}" -- "${flags[@]}" "$@"
}

# sample SRC: copy a shared source from tests/src into the test directory.
sample() {
	cp "$srcdir/src/$1" .
}

# relocs FILE [SECTION...]: relocation lines without section and symbol
# indices, for short expectations ("RELSEC TARGET: OFF TYPE SYM ADDEND");
# the full predictions of assert_converted check the indices.
relocs() {
	local f=$1 args=()
	shift
	for s in "$@"; do
		args+=(-j "$s")
	done
	dump -r "${args[@]}" "$f" | sed -E 's/^\[[0-9]+\] //; s/ -> \[[0-9]+\]//; s/ \[[0-9]+\] / /'
}

# --- refusals ---------------------------------------------------------------

# re TEXT: TEXT as an ERE matching itself.
re() {
	printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'
}

# secidx FILE NAME: the index of section NAME.
secidx() {
	dump -S "$1" | awk -v n="$2" '$2 == n { print substr($1, 2, length($1) - 2); exit }' | grep . ||
		fail "no section $2 in $1"
}

# klp_sym_names FILE: the names of FILE's .klp.sym.* symbols, sorted.
klp_sym_names() {
	dump -s "$1" | grep -o '\.klp\.sym\.[^ ]*' | sort
}

# symidx FILE NAME: the .symtab index of symbol NAME.
symidx() {
	dump -s "$1" | awk -v n="$2" '$2 == n { print substr($1, 2, length($1) - 2); exit }' | grep . ||
		fail "no symbol $2 in $1"
}

# where FILE SYMNAME [N]: ERE for the contract's location of the Nth
# (default first) relocation against SYMNAME:
#   [IDX] SECNAME+0xOFF (FUNC+0xOFF)
# FUNC is the sized FUNC or OBJECT symbol that covers the offset.  Where
# none does (a table in a special section), the contract has nothing to
# put there, so " (...)" may be present or absent.
where() {
	local f=$1 sym=$2 n=${3:-1} line idx sec off func
	line=$(dump -r "$f" | awk -v s="$sym" '$(NF-1) == s || $NF == s' | sed -n "${n}p")
	[ -n "$line" ] || fail "no relocation against $sym in $f"
	idx=$(echo "$line" | sed -E 's/^.* -> \[([0-9]+)\] .*/\1/')
	sec=$(echo "$line" | sed -E 's/^.* -> \[[0-9]+\] ([^ ]+): .*/\1/')
	off=$(echo "$line" | sed -E 's/^.*: (0x[0-9a-f]+) .*/\1/')
	func=$(dump -s "$f" | awk -v sec="$idx($sec)" -v off=$((off)) '
		($5 == "FUNC" || $5 == "OBJECT") && $NF == "shndx=" sec {
			v = substr($3, 9); sz = substr($4, 6)
			# hex value to number, portably
			n = 0
			for (i = 1; i <= length(v); i++)
				n = n * 16 + index("0123456789abcdef", substr(v, i, 1)) - 1
			if (off >= n && off < n + sz) { printf "%s+0x%x\n", $2, off - n; exit }
		}')
	if [ -n "$func" ]; then
		printf '%s' "$(re "[$idx] $sec+$off ($func)")"
	else
		printf '%s( \\([^)]+\\))?' "$(re "[$idx] $sec+$off")"
	fi
}

# refused FILE N ERE...: the last run_tool (which checked exit 1) printed
# exactly N lines to stderr, each in the contract's error shape for FILE,
# nothing to stdout; each ERE matches one of the lines (anchored by the
# caller or not); FILE is byte-identical with its saved copy, same mtime;
# no file was left behind.
refused() {
	local f=$1 n=$2 x
	shift 2
	assert_lines "$n" "$t.err"
	if grep -Ev "^$me: error: $(re "$f"): .+" "$t.err" >"$t.bad"; then
		fail "not an error line for $f: $(head -n1 "$t.bad")"
	fi
	assert_empty "$t.out"
	for x in "$@"; do
		assert_grep "$x" "$t.err"
	done
	assert_unchanged "$f"
	assert_no_temp
}

# Standalone runs of a suite build the helpers too (a no-op when fresh).
if ! build_helpers >"$workdir/build.log" 2>&1; then
	echo "FAIL: ${test_prefix}build_test_helpers: $(head -n1 "$workdir/build.log")"
	exit 1
fi
