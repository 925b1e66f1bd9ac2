#!/bin/bash
# tests/run-faults.sh - the tool under resource faults and odd file system
# situations: no permission to write, no space, a file size limit, a
# symlinked or read-only input, and being killed in the middle of a write.
#
# The promise under test: the tool ends with a correct output or a
# one-line error and exit 1; the input is byte-identical afterwards; no
# temporary file (<output>.XXXXXX next to the output) is left.  The one
# documented exception is SIGKILL, which no program can clean up after:
# there the input must be intact, and a temporary file may stay.
#
# The suite runs as root, which ignores permissions, so "not writable" is
# tested as the user nobody (setpriv(1)) and with read-only mounts; "disk
# full" with a tiny tmpfs, a full ext4 image and `ulimit -f`.  On ext4 and
# btrfs the tool allocates its output's blocks in one fallocate(2) call,
# on XFS and tmpfs not: strace(1) shows which, on images of each.  Tests
# that need mount(2) or setpriv skip when they cannot have them.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=malformed/subr.sh
. "$here/malformed/subr.sh"

good=$workdir/good.ko
if ! build_module "$good" "$here/malformed/good.c"; then
	fail faults_setup "cannot build tests/malformed/good.c"
	end_suite
fi
# Others (nobody) must be able to reach the files.
chmod 755 "$workdir"

mounts=()
# shellcheck disable=SC2016 # evaluated at exit
cleanup_hooks+=('for mp in "${mounts[@]}"; do umount "$mp" 2>/dev/null; done')

tn=0
# new_dir: a fresh directory for one test in $d, holding in.ko.
new_dir() {
	tn=$((tn + 1))
	d=$workdir/f$tn
	mkdir -p "$d" && chmod 755 "$d" && cp "$good" "$d/in.ko" &&
		cp "$good" "$workdir/f$tn.saved"
	saved=$workdir/f$tn.saved
	listing "$d" >"$workdir/f$tn.list"
	before=$workdir/f$tn.list
}

# refused NAME REGEX FILE DIR...: the last run refused cleanly: exit 1, the
# error names FILE and matches REGEX, FILE equals $saved, and each DIR
# holds what it held before ($before for the first; later DIRs must hold
# nothing new at all).
refused() {
	local name=$1 regex=$2 file=$3 dir why left
	shift 3
	why=$(tool_died)
	if [ -n "$why" ]; then
		fail "$name" "$why" "$err_file"
		return 1
	fi
	if [ "$rc" != 1 ]; then
		fail "$name" "exit $rc, expected 1" "$err_file"
		return 1
	fi
	why=$(error_shape "$(basename "$file")")
	if [ -n "$why" ] && [ -n "$(error_shape "$file")" ]; then
		fail "$name" "$why" "$err_file"
		return 1
	fi
	if ! grep -Eq -- "$regex" "$err_file"; then
		fail "$name" "no error line matches /$regex/" "$err_file"
		return 1
	fi
	if ! cmp -s "$file" "$saved"; then
		fail "$name" "the input changed"
		return 1
	fi
	for dir in "$@"; do
		left=$(temp_left "$before" "$dir")
		if [ -n "$left" ]; then
			fail "$name" "files left behind in $dir: $left"
			return 1
		fi
	done
	return 0
}

# as_nobody CMD...: run as the unprivileged user nobody.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}

# nobody runs a copy of the tool in the (world-readable) work directory:
# the checkout itself may sit where nobody cannot reach it, as a clone in
# a mode-0700 temporary directory does.
tool_nobody=$workdir/klp-convert-mini
cp "$tool" "$tool_nobody" && chmod 755 "$tool_nobody"

can_setpriv() {
	command -v setpriv >/dev/null && as_nobody true 2>/dev/null &&
		as_nobody test -x "$tool_nobody"
}

# mount_tmpfs DIR OPTIONS: mount a tmpfs, remembered for cleanup.
mount_tmpfs() {
	mkdir -p "$1" && mount -t tmpfs -o "$2" klp-test "$1" 2>/dev/null &&
		mounts+=("$1")
}

# Run the tool as nobody; same outputs as run_tool.
run_tool_nobody() {
	local dir=$1
	shift
	out_file=$workdir/last.out
	err_file=$workdir/last.err
	rc=0
	(cd "$dir" && exec timeout -k 5 "$tool_timeout" setpriv \
		--reuid=nobody --regid=nogroup --clear-groups -- \
		"${runner[@]}" "$tool_nobody" "$@") >"$out_file" 2>"$err_file" || rc=$?
}

# converted_ok NAME FILE: the last run succeeded, FILE is a converted
# module (a second run finds nothing to do and leaves it as it is).
converted_ok() {
	local name=$1 file=$2 why
	why=$(tool_died)
	if [ -n "$why" ] || [ "$rc" != 0 ]; then
		fail "$name" "exit $rc, expected 0 ${why:+($why)}" "$err_file"
		return 1
	fi
	if cmp -s "$file" "$saved"; then
		fail "$name" "$file was not converted"
		return 1
	fi
	cp "$file" "$workdir/second"
	run_tool "$(dirname "$file")" "$(basename "$file")"
	if [ "$rc" != 0 ] || ! cmp -s "$file" "$workdir/second"; then
		fail "$name" "$file does not read back as a converted module (exit $rc)" "$err_file"
		return 1
	fi
	return 0
}

# --- permissions ------------------------------------------------------------------

if can_setpriv; then
	# In place in a directory nobody cannot write: no temporary file can
	# be made, so nothing may change.
	new_dir
	run_tool_nobody "$d" in.ko
	refused in_place_in_unwritable_directory 'temporary file|Permission denied' "$d/in.ko" "$d" &&
		pass in_place_in_unwritable_directory

	new_dir
	mkdir "$d/out"
	listing "$d" >"$before"
	run_tool_nobody "$d" -o out/new.ko in.ko
	refused output_to_unwritable_directory 'temporary file|Permission denied' "$d/in.ko" "$d" "$d/out" &&
		pass output_to_unwritable_directory

	# An existing output the user may not replace, in a directory the
	# user may not write.
	new_dir
	mkdir "$d/out"
	cp "$good" "$d/out/old.ko"
	listing "$d" >"$before"
	listing "$d/out" >"$workdir/out.list"
	run_tool_nobody "$d" -o out/old.ko in.ko
	if refused existing_output_not_replaceable 'temporary file|Permission denied' "$d/in.ko" "$d"; then
		if ! cmp -s "$d/out/old.ko" "$good"; then
			fail existing_output_not_replaceable "the old output changed"
		elif [ -n "$(temp_left "$workdir/out.list" "$d/out")" ]; then
			fail existing_output_not_replaceable "files left behind in out/"
		else
			pass existing_output_not_replaceable
		fi
	fi

	new_dir
	chmod 000 "$d/in.ko"
	run_tool_nobody "$d" -o out.ko in.ko
	chmod 644 "$d/in.ko"
	refused input_not_readable 'cannot open|Permission denied' "$d/in.ko" "$d" &&
		pass input_not_readable

	# A read-only input in a directory the user owns: conversion in
	# place replaces the file by rename, as editors and compilers do,
	# and keeps its mode.
	new_dir
	chown nobody:nogroup "$d" "$d/in.ko"
	chmod 444 "$d/in.ko"
	run_tool_nobody "$d" in.ko
	if converted_ok read_only_input_converted_in_place "$d/in.ko"; then
		mode=$(stat -c %a "$d/in.ko")
		owner=$(stat -c %U "$d/in.ko")
		if [ "$mode" != 444 ]; then
			fail read_only_input_converted_in_place "mode is $mode, expected 444 as before"
		elif [ "$owner" != nobody ]; then
			fail read_only_input_converted_in_place "owner is $owner, expected nobody"
		elif [ -n "$(temp_left "$before" "$d")" ]; then
			fail read_only_input_converted_in_place "files left behind: $(temp_left "$before" "$d")"
		else
			pass read_only_input_converted_in_place
		fi
	fi
else
	for n in in_place_in_unwritable_directory output_to_unwritable_directory \
		existing_output_not_replaceable input_not_readable \
		read_only_input_converted_in_place; do
		skip "$n" "cannot run the tool as nobody with setpriv"
	done
fi

# Root converting someone else's module in place: the new file must keep
# the owner and group, as elfcompress does with fchown before fchmod.
new_dir
chown nobody:nogroup "$d/in.ko"
run_tool "$d" in.ko
if converted_ok owner_kept_in_place "$d/in.ko"; then
	owner=$(stat -c %U:%G "$d/in.ko")
	if [ "$owner" = nobody:nogroup ]; then
		pass owner_kept_in_place
	else
		fail owner_kept_in_place "owner is $owner, expected nobody:nogroup as before"
	fi
fi

# As root, the mode of the input stays.
new_dir
chmod 640 "$d/in.ko"
run_tool "$d" in.ko
if converted_ok mode_kept_in_place "$d/in.ko"; then
	mode=$(stat -c %a "$d/in.ko")
	if [ "$mode" = 640 ]; then
		pass mode_kept_in_place
	else
		fail mode_kept_in_place "mode is $mode, expected 640"
	fi
fi

# --- read-only file system -------------------------------------------------------------

new_dir
mp=$workdir/romount
if mount_tmpfs "$mp" size=1m; then
	cp "$good" "$mp/in.ko"
	if mount -o remount,ro "$mp" 2>/dev/null; then
		before=$workdir/ro.list
		listing "$mp" >"$before"
		run_tool "$mp" in.ko
		refused read_only_file_system 'temporary file|Read-only file system' "$mp/in.ko" "$mp" &&
			pass read_only_file_system
	else
		skip read_only_file_system "cannot remount a tmpfs read-only"
	fi
else
	skip read_only_file_system "cannot mount a tmpfs (not permitted here)"
fi

# --- no space ---------------------------------------------------------------------

# A tmpfs just big enough for the input, then filled up.
mp=$workdir/fullmount
if mount_tmpfs "$mp" size=64k; then
	cp "$good" "$mp/in.ko"
	cp "$good" "$workdir/full.saved"
	saved=$workdir/full.saved
	dd if=/dev/zero of="$mp/filler" bs=4k 2>/dev/null
	before=$workdir/full.list
	listing "$mp" >"$before"
	run_tool "$mp" in.ko
	refused disk_full_in_place 'No space left|cannot write' "$mp/in.ko" "$mp" &&
		pass disk_full_in_place
	run_tool "$mp" -o out.ko in.ko
	refused disk_full_to_output 'No space left|cannot write' "$mp/in.ko" "$mp" &&
		pass disk_full_to_output
else
	skip disk_full_in_place "cannot mount a tmpfs (not permitted here)"
	skip disk_full_to_output "cannot mount a tmpfs (not permitted here)"
fi

# ulimit -f always works: writing past it fails with EFBIG (the tool
# ignores SIGXFSZ).  One 1024-byte block is less than any output.
new_dir
rc=0
(cd "$d" && ulimit -f 1 && exec timeout -k 5 "$tool_timeout" \
	"${runner[@]}" "$tool" in.ko) >"$workdir/last.out" 2>"$workdir/last.err" || rc=$?
err_file=$workdir/last.err
refused file_size_limit_in_place 'File too large|cannot write' "$d/in.ko" "$d" &&
	pass file_size_limit_in_place

new_dir
rc=0
(cd "$d" && ulimit -f 1 && exec timeout -k 5 "$tool_timeout" \
	"${runner[@]}" "$tool" -o out.ko in.ko) >"$workdir/last.out" 2>"$workdir/last.err" || rc=$?
refused file_size_limit_to_output 'File too large|cannot write' "$d/in.ko" "$d" &&
	pass file_size_limit_to_output

# --- the output's blocks allocated before it is written -------------------------

# mount_image FS DIR SIZE: a fresh FS (ext4, btrfs or xfs) in a sparse
# image file, loop mounted and remembered for cleanup.  ext4 gets 4 KiB
# blocks and none reserved for root: the suite runs as root, and "full"
# must mean full.
mount_image() {
	local -a opts=(-q -f)
	[ "$1" != ext4 ] || opts=(-q -F -m 0 -b 4096)
	command -v "mkfs.$1" >/dev/null &&
		truncate -s "$3" "$2.img" &&
		"mkfs.$1" "${opts[@]}" "$2.img" >"$2.mkfs" 2>&1 &&
		mkdir -p "$2" && mount -o loop "$2.img" "$2" 2>/dev/null &&
		mounts+=("$2")
}

# run_traced DIR TRACE ARGS...: run_tool, with the fallocate(2) calls of
# the tool (and its threads) in TRACE.  Never under valgrind, whose own
# calls strace would show too.  LeakSanitizer cannot run under ptrace:
# the sanitizer rerun keeps its other checks.
run_traced() {
	local dir=$1 trace=$2
	shift 2
	out_file=$workdir/last.out
	err_file=$workdir/last.err
	rc=0
	(cd "$dir" && ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		exec timeout -k 5 "$tool_timeout" strace -f -qq \
		-e trace=fallocate -o "$trace" "$tool" "$@") \
		>"$out_file" 2>"$err_file" || rc=$?
}

# fallocated NAME TRACE WANT: TRACE holds WANT's lines, with strace's
# thread ids and the file descriptor taken out ("123 fallocate(3, ...)"
# reads "fallocate(FD, ...)").
fallocated() {
	local got
	got=$(sed 's/^[0-9]* *fallocate([0-9]*,/fallocate(FD,/' "$2")
	[ "$got" = "$3" ] && return 0
	fail "$1" "fallocate calls: '${got:-none}', expected '${3:-none}'" "$2"
	return 1
}

# allocation_test NAME FS AHEAD [model]: convert $alloc_in on a fresh FS
# (tmpfs or an image).  AHEAD=1: on the straight path, one
# fallocate(KEEP_SIZE) of the input's size when it starts and one from
# where it is to exactly the output's end once that is known; on the
# model's, one of exactly the output's size; and the file holds exactly
# its own blocks, nothing past its end.  AHEAD=0: no fallocate.  Either
# way the output passes --check and has the bytes of the first one
# written ($workdir/alloc.ref).
allocation_test() {
	local name=$1 fs=$2 ahead=$3 path=${4:-straight}
	local mp=$workdir/alloc-$2-${4:-straight} size blocks bs want="" off
	if [ "$fs" = tmpfs ]; then
		mount_tmpfs "$mp" size=4m || {
			skip "$name" "cannot mount a tmpfs (not permitted here)"
			return
		}
	elif ! mount_image "$fs" "$mp" 512M; then
		skip "$name" "cannot make and mount a $fs image (mkfs.$fs: scripts/install-deps.sh test; or not permitted here)"
		return
	fi
	rm -f "$mp/out.ko"
	cp "$alloc_in" "$mp/in.ko"
	saved=$alloc_in
	if [ "$path" = model ]; then
		KLP_CONVERT_PATH=model run_traced "$mp" "$workdir/alloc-$fs-$path.trace" \
			-o out.ko in.ko
	else
		run_traced "$mp" "$workdir/alloc-$fs-$path.trace" -o out.ko in.ko
	fi
	converted_ok "$name" "$mp/out.ko" || return
	size=$(stat -c %s "$mp/out.ko")
	blocks=$(( $(stat -c %b "$mp/out.ko") * $(stat -c %B "$mp/out.ko") ))
	bs=$(stat -f -c %S "$mp")
	if [ "$ahead" = 1 ] && [ "$path" = model ]; then
		want="fallocate(FD, FALLOC_FL_KEEP_SIZE, 0, $size) = 0"
	elif [ "$ahead" = 1 ]; then
		off=$(sed -n '2s/.*KEEP_SIZE, \([0-9]*\),.*/\1/p' "$workdir/alloc-$fs-$path.trace")
		want="fallocate(FD, FALLOC_FL_KEEP_SIZE, 0, $(stat -c %s "$alloc_in")) = 0
fallocate(FD, FALLOC_FL_KEEP_SIZE, ${off:-0}, $((size - ${off:-0}))) = 0"
	fi
	fallocated "$name" "$workdir/alloc-$fs-$path.trace" "$want" || return
	if [ "$ahead" = 1 ] && [ "$blocks" != $(( (size + bs - 1) / bs * bs )) ]; then
		fail "$name" "$blocks bytes of blocks for a $size-byte file"
	elif ! "$tool" --check -q "$mp/out.ko" >"$workdir/alloc-$fs-$path.check" 2>&1; then
		fail "$name" "--check refuses the output" "$workdir/alloc-$fs-$path.check"
	elif [ ! -e "$workdir/alloc.ref" ]; then
		cp "$mp/out.ko" "$workdir/alloc.ref" && pass "$name"
	elif ! cmp -s "$mp/out.ko" "$workdir/alloc.ref"; then
		fail "$name" "the output differs from the one written on the first file system"
	else
		pass "$name"
	fi
}

# Where the writes were measured to cost less with it (see preallocate()
# in elf-file.c), and where not: NAME FS AHEAD.  The input is the bench's
# 1 MB module (a 1.2 MB output, some 300 blocks), or good.ko without the
# generator.
allocation_cases=(
	"output_blocks_allocated_at_once_on_ext4 ext4 1"
	"output_blocks_allocated_at_once_on_btrfs btrfs 1"
	"output_blocks_allocated_at_once_on_ext4_by_the_model ext4 1 model"
	"output_blocks_not_allocated_ahead_on_xfs xfs 0"
	"output_blocks_not_allocated_ahead_on_tmpfs tmpfs 0"
)
alloc_in=$workdir/alloc-in.ko
allocgen=$workdir/alloc-gen
if ! { [ -f "$top/bench/gen-klp-object.c" ] &&
	"$CC" -O2 -o "$allocgen" "$top/bench/gen-klp-object.c" 2>/dev/null &&
	"$allocgen" -F 1000 -R 20 -K 2000 -O 8 -o "$alloc_in" -q; }; then
	cp "$good" "$alloc_in"
fi
for c in "${allocation_cases[@]}"; do
	read -r name fs ahead path <<<"$c"
	if command -v strace >/dev/null; then
		allocation_test "$name" "$fs" "$ahead" "$path"
	else
		skip "$name" "no strace (scripts/install-deps.sh test installs it)"
	fi
done

# A full ext4: the allocation fails, the writes then fail as they would
# have, and the refusal is the usual one.
full=$workdir/ext4full
if ! command -v strace >/dev/null; then
	skip disk_full_on_ext4_in_place "no strace (scripts/install-deps.sh test installs it)"
elif mount_image ext4 "$full" 16M; then
	cp "$good" "$full/in.ko"
	cp "$good" "$workdir/ext4full.saved"
	saved=$workdir/ext4full.saved
	# Filled, flushed (delayed allocation keeps a reserve until then),
	# and filled again.
	dd if=/dev/zero of="$full/filler" bs=64k 2>/dev/null
	dd if=/dev/zero of="$full/filler2" bs=1k 2>/dev/null
	sync -f "$full/filler2"
	dd if=/dev/zero of="$full/filler3" bs=1k 2>/dev/null
	before=$workdir/ext4full.list
	listing "$full" >"$before"
	run_traced "$full" "$workdir/ext4full.trace" in.ko
	if refused disk_full_on_ext4_in_place 'No space left|cannot write' "$full/in.ko" "$full"; then
		if grep -q '= -1 ENOSPC' "$workdir/ext4full.trace"; then
			pass disk_full_on_ext4_in_place
		else
			fail disk_full_on_ext4_in_place "no fallocate refused for want of space" "$workdir/ext4full.trace"
		fi
	fi
else
	skip disk_full_on_ext4_in_place "cannot make and mount an ext4 image (mkfs.ext4: scripts/install-deps.sh test; or not permitted here)"
fi

# From 2 MiB of input a thread writes beside the result check: its write
# failing for want of space is reported after the join, the same way.
wfull=$workdir/writerfull
if [ ! -x "$allocgen" ] ||
	! "$allocgen" -F 2500 -R 20 -K 2500 -O 8 -o "$workdir/wfull.ko" -q; then
	skip disk_full_while_the_writer_thread_writes "no bench/gen-klp-object.c to make a module of 2 MiB"
elif [ "$(stat -c %s "$workdir/wfull.ko")" -lt $((2 << 20)) ]; then
	fail disk_full_while_the_writer_thread_writes "the generated module is under 2 MiB"
elif mount_tmpfs "$wfull" size=3m; then
	cp "$workdir/wfull.ko" "$wfull/in.ko"
	saved=$workdir/wfull.ko
	before=$workdir/wfull.list
	listing "$wfull" >"$before"
	run_tool "$wfull" in.ko
	refused disk_full_while_the_writer_thread_writes 'No space left|cannot write' "$wfull/in.ko" "$wfull" &&
		pass disk_full_while_the_writer_thread_writes
else
	skip disk_full_while_the_writer_thread_writes "cannot mount a tmpfs (not permitted here)"
fi

# No write(2) crosses a 64 KiB boundary of the output (elf-file.c's
# OUT_WRITE_MAX: bigger writes get bigger folios, from memory a VM's host
# may have taken back), on both paths, with and without the writer
# thread; and on the straight path unthreaded every write starts on one,
# since its chunks end there.  strace shows each pwrite's size and offset.
# write_bounds NAME INPUT ALIGNED [model]
write_bounds() {
	local name=$1 in=$2 aligned=$3 path=${4:-straight} dir trace bad
	dir=$workdir/bounds-$name
	trace=$workdir/bounds-$name.trace
	mkdir -p "$dir" && cp "$in" "$dir/in.ko"
	rc=0
	(cd "$dir" && ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		KLP_CONVERT_PATH=$([ "$path" = model ] && echo model) \
		exec timeout -k 5 "$tool_timeout" strace -f -qq \
		-e trace=pwrite64 -o "$trace" "$tool" -o out.ko in.ko) \
		>"$workdir/last.out" 2>"$workdir/last.err" || rc=$?
	if [ "$rc" != 0 ] || [ ! -s "$dir/out.ko" ]; then
		fail "$name" "exit $rc, or no output" "$workdir/last.err"
		return
	fi
	# "pwrite64(4, "..."..., SIZE, OFFSET) = SIZE": the last two numbers
	bad=$(sed -n 's/.*, \([0-9]*\), \([0-9]*\)) = [0-9]*$/\1 \2/p' "$trace" |
		awk -v a="$aligned" '{ n++; if ($2 % 65536 + $1 > 65536 ||
			(a && $2 % 65536)) print; if ($1 == 65536) full++ }
		END { if (n < 2 || !full) print "only " n " writes, none of 64 KiB" }')
	if [ -n "$bad" ]; then
		fail "$name" "writes (size offset) out of bounds: $(echo "$bad" | head -n 3 | tr '\n' ';')" "$trace"
	else
		pass "$name"
	fi
}
bounds_tests="writes_within_64k_boundaries_straight_path
	writes_within_64k_boundaries_writer_thread
	writes_within_64k_boundaries_model"
if ! command -v strace >/dev/null; then
	for n in $bounds_tests; do
		skip "$n" "no strace (scripts/install-deps.sh test installs it)"
	done
elif [ "$(stat -c %s "$alloc_in")" -lt $((512 << 10)) ] || [ ! -s "$workdir/wfull.ko" ]; then
	for n in $bounds_tests; do
		skip "$n" "no bench/gen-klp-object.c to make modules of 1 and 2 MB"
	done
else
	write_bounds writes_within_64k_boundaries_straight_path "$alloc_in" 1
	write_bounds writes_within_64k_boundaries_writer_thread "$workdir/wfull.ko" 0
	write_bounds writes_within_64k_boundaries_model "$alloc_in" 0 model
fi

# --- where the output goes ---------------------------------------------------------

new_dir
mkdir "$d/isdir"
listing "$d" >"$before"
run_tool "$d" -o isdir in.ko
refused output_is_a_directory 'isdir|directory' "$d/in.ko" "$d" "$d/isdir" &&
	pass output_is_a_directory

new_dir
run_tool "$d" -o nodir/out.ko in.ko
refused output_directory_missing 'No such file|temporary file' "$d/in.ko" "$d" &&
	pass output_directory_missing

# A symlink as input: the file it points to is converted, the link stays
# a link, and no temporary file is left next to either.
new_dir
mkdir "$d/real"
mv "$d/in.ko" "$d/real/target.ko"
ln -s real/target.ko "$d/in.ko"
listing "$d" >"$before"
listing "$d/real" >"$workdir/real.list"
run_tool "$d" in.ko
if converted_ok symlink_input_converts_its_target "$d/real/target.ko"; then
	if [ ! -L "$d/in.ko" ] || [ "$(readlink "$d/in.ko")" != real/target.ko ]; then
		fail symlink_input_converts_its_target "in.ko is no longer the same symlink"
	elif [ -n "$(temp_left "$before" "$d")$(temp_left "$workdir/real.list" "$d/real")" ]; then
		fail symlink_input_converts_its_target "files left behind"
	else
		pass symlink_input_converts_its_target
	fi
fi

# -o naming the input itself, through a different spelling.
new_dir
run_tool "$d" -o ./in.ko in.ko
converted_ok output_is_the_input_spelled_differently "$d/in.ko" &&
	if [ -n "$(temp_left "$before" "$d")" ]; then
		fail output_is_the_input_spelled_differently "files left behind: $(temp_left "$before" "$d")"
	else
		pass output_is_the_input_spelled_differently
	fi

# --- memory -------------------------------------------------------------------------

# An address space too small for the input: refused, not killed.  The
# sanitizers and valgrind need more address space than any limit that
# would bite, so this runs with the plain build only.
big=$workdir/big.ko
gen=$workdir/gen-klp-object
if [ -f "$top/bench/gen-klp-object.c" ] &&
	"$CC" -O2 -o "$gen" "$top/bench/gen-klp-object.c" 2>/dev/null &&
	"$gen" -F 2000 -R 2000 -K 1000 -O 4 -o "$big" -q; then
	have_big=1
else
	# No generator: a module padded with a large .comment section.
	have_big=0
fi

if [ "${KLP_VALGRIND:-0}" = 1 ] || grep -qa __asan_init "$tool" 2>/dev/null; then
	skip address_space_limit "needs the tool without sanitizers or valgrind"
elif [ $have_big = 0 ]; then
	skip address_space_limit "no bench/gen-klp-object.c to make a big input"
else
	new_dir
	ln "$big" "$d/big.ko" 2>/dev/null || cp "$big" "$d/big.ko"
	listing "$d" >"$before"
	rc=0
	(cd "$d" && ulimit -v 100000 && exec timeout -k 5 "$tool_timeout" \
		"$tool" big.ko) >"$workdir/last.out" 2>"$workdir/last.err" || rc=$?
	err_file=$workdir/last.err
	saved=$big
	refused address_space_limit 'memory|cannot map|Cannot allocate' "$d/big.ko" "$d" &&
		pass address_space_limit
fi

# --- killed while writing -------------------------------------------------------------

# kill_mid_write NAME SIGNAL: convert the big input in place, send SIGNAL
# as soon as the temporary file appears, and check what is left.
kill_mid_write() {
	local name=$1 sig=$2 pid i tmp left
	new_dir
	rm -f "$d/in.ko"
	cp "$big" "$d/big.ko"
	saved=$big
	listing "$d" >"$before"
	(cd "$d" && exec "${runner[@]}" "$tool" big.ko) >/dev/null 2>"$workdir/kill.err" &
	pid=$!
	tmp=
	for ((i = 0; i < 2000; i++)); do
		tmp=$(find "$d" -maxdepth 1 -name 'big.ko.??????' -print -quit)
		[ -n "$tmp" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.005
	done
	if [ -z "$tmp" ]; then
		wait "$pid"
		skip "$name" "the write ended before the temporary file was seen"
		return
	fi
	kill -s "$sig" "$pid"
	rc=0
	wait "$pid" || rc=$?
	if ! cmp -s "$d/big.ko" "$big"; then
		fail "$name" "the input is damaged after SIG$sig (exit $rc)"
	elif [ "$sig" = KILL ]; then
		# Nothing can unlink after SIGKILL: the temporary file may stay,
		# and is harmless (the input is whole).  Documented, not failed.
		left=$(temp_left "$before" "$d")
		[ -z "$left" ] || echo "# SIGKILL left $left (expected: no handler runs)"
		pass "$name"
	elif [ -n "$(temp_left "$before" "$d")" ]; then
		fail "$name" "SIG$sig left $(temp_left "$before" "$d")"
	elif [ "$rc" -lt 128 ] && [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
		fail "$name" "exit $rc after SIG$sig"
	else
		pass "$name"
	fi
	rm -f "$d"/big.ko*
}

# Someone truncates the input while it is converted (a rebuild running at
# the same time).  Reading a truncated mapping raises SIGBUS; whatever
# happens, the tool must not die of a signal or leave its temporary file.
input_truncated_while_converting() {
	local name=input_truncated_while_converting pid i tmp left
	new_dir
	rm -f "$d/in.ko"
	cp "$big" "$d/big.ko"
	listing "$d" >"$before"
	(cd "$d" && exec "${runner[@]}" "$tool" big.ko) >/dev/null 2>"$workdir/trunc.err" &
	pid=$!
	tmp=
	for ((i = 0; i < 2000; i++)); do
		tmp=$(find "$d" -maxdepth 1 -name 'big.ko.??????' -print -quit)
		[ -n "$tmp" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.005
	done
	if [ -z "$tmp" ]; then
		wait "$pid"
		skip "$name" "the write ended before the temporary file was seen"
		return
	fi
	truncate -s 4096 "$d/big.ko"
	rc=0
	wait "$pid" || rc=$?
	left=$(temp_left "$before" "$d")
	if [ "$rc" -ge 128 ]; then
		fail "$name" "killed by signal $((rc - 128))${left:+, left $left}" "$workdir/trunc.err"
	elif [ -n "$left" ]; then
		fail "$name" "exit $rc, left $left" "$workdir/trunc.err"
	elif [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
		fail "$name" "exit $rc" "$workdir/trunc.err"
	else
		pass "$name"
	fi
	rm -f "$d"/big.ko*
}

# (stderr: bash reports each job that died of a signal, "Bus error")
if [ $have_big = 1 ]; then
	input_truncated_while_converting 2>/dev/null
	kill_mid_write sigkill_mid_write_leaves_input_intact KILL 2>/dev/null
	kill_mid_write sigterm_mid_write_leaves_no_temp_file TERM 2>/dev/null
	kill_mid_write sigint_mid_write_leaves_no_temp_file INT 2>/dev/null
	kill_mid_write sighup_mid_write_leaves_no_temp_file HUP 2>/dev/null
else
	for n in input_truncated_while_converting \
		sigkill_mid_write_leaves_input_intact sigterm_mid_write_leaves_no_temp_file \
		sigint_mid_write_leaves_no_temp_file sighup_mid_write_leaves_no_temp_file; do
		skip "$n" "no bench/gen-klp-object.c to make a big input"
	done
fi

end_suite
