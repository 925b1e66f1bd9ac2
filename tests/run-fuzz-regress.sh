#!/bin/bash
# tests/run-fuzz-regress.sh - replay every input the fuzzers ever found
# through the command line.
#
# tests/fuzz-regress/ holds what `make -C fuzz run` copied out of the
# fuzzers (and what was added by hand, named the same way):
#
#	convert-<kind>-<hash>	bytes for fuzz-convert: the file itself is
#				the input module
#	straight-<kind>-<hash>	the same, for fuzz-straight
#	name-<kind>-<hash>	a symbol name for fuzz-name: it is put into
#				tests/malformed/good.c's module as the name
#				of its first klp_reloc.h symbol
#
# Each input is converted with -o, once as the command line does it and
# once on the model's path alone (KLP_CONVERT_PATH=model), which must
# agree on the exit status and the bytes written.  Then it is converted
# with -o and in place, and must end with exit 0 or 1 within bounded
# time: no signal, no sanitizer or valgrind report
# (run with KLP_CONVERT set to the sanitizer build, as check.sh does, or
# KLP_VALGRIND=1), input unchanged on exit 1, no temporary file.  When it
# converts, converting the output again must find nothing to do and leave
# it byte-identical, the property fuzz-convert asserts.  A file named
# *.txt or README is documentation, not an input.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=malformed/subr.sh
. "$here/malformed/subr.sh"

inputs=$here/fuzz-regress
good=$workdir/good.ko
have_good=0
if build_elfmangle && build_module "$good" "$here/malformed/good.c"; then
	have_good=1
fi

n=0
# paths_agree NAME DIR: the command line (the straight path first, when
# it takes the module) and the model alone come to the same exit status
# and bytes, and leave nothing else behind; false after a FAIL.
paths_agree() {
	local name=$1 d=$2 path why left rc_cli
	listing "$d" >"$workdir/before"
	for path in cli model; do
		KLP_CONVERT_PATH=$([ $path = model ] && echo model) \
			run_tool "$d" -o $path.ko in.ko
		why=$(tool_died)
		left=$(temp_left "$workdir/before" "$d" | tr ' ' '\n' |
			grep -vx -E '(cli|model)\.ko|' | tr '\n' ' ')
		if [ -n "$why" ] || [ -n "$left" ]; then
			fail "$name" "$path: ${why:-files left behind: $left}" "$err_file"
			return 1
		fi
		[ $path = cli ] && rc_cli=$rc
	done
	if [ "$rc" != "$rc_cli" ]; then
		fail "$name" "the command line exits $rc_cli, the model alone $rc"
		return 1
	fi
	if [ "$rc" = 0 ] && ! cmp -s "$d/cli.ko" "$d/model.ko"; then
		fail "$name" "the command line and the model alone write different bytes"
		return 1
	fi
	rm -f "$d/cli.ko" "$d/model.ko"
}

# replay NAME DIR: DIR holds in.ko; run the tool on it and judge.
replay() {
	local name=$1 d=$2 mode why left
	cp "$d/in.ko" "$workdir/saved"
	paths_agree "$name" "$d" || return
	for mode in out inplace; do
		listing "$d" >"$workdir/before"
		if [ $mode = out ]; then
			run_tool "$d" -o out.ko in.ko
		else
			run_tool "$d" in.ko
		fi
		why=$(tool_died)
		if [ -n "$why" ]; then
			fail "$name" "$mode: $why" "$err_file"
			return
		fi
		case $rc in
		0)
			left=$(temp_left "$workdir/before" "$d" | sed 's/\(^\| \)out\.ko / /; s/^ *//')
			result=in.ko
			[ $mode = out ] && result=out.ko
			if [ $mode = out ] && ! cmp -s "$d/in.ko" "$workdir/saved"; then
				fail "$name" "-o changed the input"
				return
			fi
			if [ -n "$left" ]; then
				fail "$name" "$mode: files left behind: $left"
				return
			fi
			cp "$d/$result" "$workdir/converted"
			run_tool "$d" "$result"
			why=$(tool_died)
			if [ -n "$why" ] || [ "$rc" != 0 ]; then
				fail "$name" "$mode: converting the output again: exit $rc ${why:+($why)}" "$err_file"
				return
			fi
			if ! cmp -s "$d/$result" "$workdir/converted"; then
				fail "$name" "$mode: converting the output again changed it"
				return
			fi
			rm -f "$d/out.ko"
			# An in-place success replaced the input; done.
			[ $mode = inplace ] && break
			;;
		1)
			why=$(error_shape in.ko)
			if [ -n "$why" ]; then
				fail "$name" "$mode: $why" "$err_file"
				return
			fi
			if ! cmp -s "$d/in.ko" "$workdir/saved"; then
				fail "$name" "$mode: the input changed"
				return
			fi
			left=$(temp_left "$workdir/before" "$d")
			if [ -n "$left" ]; then
				fail "$name" "$mode: files left behind: $left"
				return
			fi
			;;
		*)
			fail "$name" "$mode: exit $rc, expected 0 or 1" "$err_file"
			return
			;;
		esac
	done
	pass "$name"
}

found=0
for f in "$inputs"/*; do
	[ -f "$f" ] || continue
	base=$(basename "$f")
	case $base in
	*.txt | README*) continue ;;
	esac
	found=1
	n=$((n + 1))
	d=$workdir/r$n
	mkdir "$d" || exit 1
	case $base in
	convert-* | straight-*)
		cp "$f" "$d/in.ko"
		replay "fuzz_regress_$base" "$d"
		;;
	name-*)
		if [ $have_good = 0 ]; then
			skip "fuzz_regress_$base" "cannot build the module to put the name in"
			continue
		fi
		cp "$good" "$d/in.ko"
		if ! "$elfmangle" "$d/in.ko" \
			"rename:.klp.sym.rela.vmlinux.vmlinux.vm_fn.0=@$f" 2>"$workdir/mangle.err"; then
			fail "fuzz_regress_$base" "cannot put the name into a module" "$workdir/mangle.err"
			continue
		fi
		replay "fuzz_regress_$base" "$d"
		;;
	*)
		fail "fuzz_regress_$base" "unknown kind of input (expected convert-*, straight-* or name-*)"
		;;
	esac
done
[ $found = 1 ] || skip fuzz_regress "no inputs in tests/fuzz-regress"

end_suite
