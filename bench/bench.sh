#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/bench.sh - how fast klp-convert-mini converts big cumulative
# livepatches, against the floor (cp of the same file), a second
# reference (objcopy of the same file) and the least a converter writing
# its output from user space must do (write-floor: read the input once,
# write the output's size once), and the least a converter of these
# objects must do (bare-convert: the same transformation without any
# check or model).
#
# For each size it generates a livepatch-like object with gen-klp-object,
# checks it (readelf, eu-readelf, eu-elflint --gnu-ld, ld -r), runs every
# command once to warm up and then BENCH_RUNS times (default 5) interleaved,
# and takes the median wall time and peak RSS.  Every tool run writes a
# fresh output (-o); the first one is checked by klp-verify and by counting
# with readelf, the others must be byte-identical to it (or pass klp-verify
# too).  Then it prints a table and PASS/FAIL lines for the targets.
#
# Exit status: 0 when every output was right (targets missed only print
# FAIL lines), 1 when an output was wrong or a command failed, 2 on usage
# errors.  Generated files live in a temporary directory removed at exit.
#
# Environment: KLP_CONVERT (the tool; default $KLP_TOPDIR/klp-convert-mini),
# KLP_TOPDIR (repo root; default the parent of this directory), CC,
# BENCH_RUNS, BENCH_SIZES (comma-separated), BENCH_TOOL_ARGS (extra tool
# options, split on blanks), TMPDIR.
set -euo pipefail

prog=bench.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
topdir=${KLP_TOPDIR:-$(dirname "$here")}
tool=${KLP_CONVERT:-$topdir/klp-convert-mini}
runs=${BENCH_RUNS:-5}
sizes=${BENCH_SIZES:-small,medium,large,huge}
lint=1
keep=0
refs_only=0

usage() {
	cat <<EOF
usage: $prog [--sizes LIST] [--runs N] [--no-lint] [--refs-only] [--keep]
Benchmark klp-convert-mini (\$KLP_CONVERT) against cp and objcopy.
  --sizes LIST  comma-separated, from: small medium large huge
                (default $sizes); also F:R:K:O[:D] for a custom size
  --runs N      measured runs per command, median taken (default $runs)
  --no-lint     skip readelf/eu-elflint/ld -r checks of the generated inputs
  --refs-only   measure only cp and objcopy (no tool needed)
  --keep        keep the temporary directory
Sizes (F functions x R relocations, K klp symbols in O objects, D relocations
in a non-allocated .debug_info that must stay):
  small 10x20 K=50 O=3 D=20, medium 1000x20 K=2000 O=8,
  large 20000x20 K=20000 O=8, huge 100000x20 K=50000 O=8 (200,009 sections)
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	--sizes) [ $# -ge 2 ] || { usage >&2; exit 2; }; sizes=$2; shift 2 ;;
	--sizes=*) sizes=${1#*=}; shift ;;
	--runs) [ $# -ge 2 ] || { usage >&2; exit 2; }; runs=$2; shift 2 ;;
	--runs=*) runs=${1#*=}; shift ;;
	--no-lint) lint=0; shift ;;
	--refs-only) refs_only=1; shift ;;
	--keep) keep=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "$prog: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
case $runs in
''|*[!0-9]*|0) echo "$prog: --runs wants a positive number" >&2; exit 2 ;;
esac

size_params() {		# NAME -> "F R K O D"
	case $1 in
	small) echo "10 20 50 3 20" ;;
	medium) echo "1000 20 2000 8 0" ;;
	large) echo "20000 20 20000 8 0" ;;
	huge) echo "100000 20 50000 8 0" ;;
	*:*:*:*:*) echo "${1//:/ }" ;;
	*:*:*:*) echo "${1//:/ } 0" ;;
	*) return 1 ;;
	esac
}
IFS=, read -r -a size_list <<<"$sizes"
for s in "${size_list[@]}"; do
	size_params "$s" >/dev/null || {
		echo "$prog: unknown size '$s'" >&2
		exit 2
	}
done

tool_args=()
if [ -n "${BENCH_TOOL_ARGS:-}" ]; then
	read -r -a tool_args <<<"$BENCH_TOOL_ARGS"
fi

if [ "$refs_only" = 0 ]; then
	case $tool in
	*/*) ;;
	*) tool=$(command -v "$tool" || echo "$tool") ;;
	esac
	if [ ! -x "$tool" ]; then
		echo "$prog: $tool: not found or not executable; build it with make" \
			"or set KLP_CONVERT (--refs-only measures cp and objcopy alone)" >&2
		exit 1
	fi
fi
for cmd in objcopy readelf cmp awk sort; do
	command -v "$cmd" >/dev/null || {
		echo "$prog: $cmd is needed" >&2
		exit 1
	}
done
lint_skip=
if [ "$lint" = 1 ]; then
	for cmd in eu-readelf eu-elflint ld; do
		command -v "$cmd" >/dev/null || lint_skip+=" $cmd"
	done
	if [ -n "$lint_skip" ]; then
		lint=0
		lint_skip="SKIP: input checks: not installed:$lint_skip (elfutils, binutils)"
	fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/klp-bench.XXXXXX")
cleanup() {
	if [ "$keep" = 1 ]; then
		echo "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

# ---- build the helpers ----
cc=${CC:-cc}
read -r -a libelf <<<"$(pkg-config --cflags --libs libelf 2>/dev/null || echo -lelf)"
mkdir "$tmp/bin"
for p in gen-klp-object klp-verify bench-run write-floor bare-convert; do
	"$cc" -std=c11 -O2 -Wall -Wextra -pthread -o "$tmp/bin/$p" "$here/$p.c" "${libelf[@]}" || {
		echo "$prog: cannot build $p" >&2
		exit 1
	}
done
bin=$tmp/bin

wrong=0			# outputs wrong or commands failed
err() {
	echo "FAIL: $*"
	wrong=1
}

# ---- what is measured ----
echo "klp-convert-mini benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr)," \
	"$(nproc) CPUs, $runs runs per command (median), warm page cache"
if [ "$refs_only" = 0 ]; then
	echo "tool:    $tool${tool_args[*]:+ ${tool_args[*]}}" \
		"$("$tool" --version 2>/dev/null | head -n1 || true)"
fi
echo "cp:      $(cp --version | head -n1)"
echo "objcopy: $(objcopy --version | head -n1)"
[ "$refs_only" = 1 ] ||
	echo "floor:   bench/write-floor: map the input, write the tool's output size from it in 128 KiB writes (blocks allocated ahead on ext4 and btrfs)"
[ "$refs_only" = 1 ] ||
	echo "bare:    bench/bare-convert: the same conversion, no checks, no model, two threads (its output checked by klp-verify)"
have_check=0
if [ "$refs_only" = 0 ] && "$tool" --help 2>&1 | grep -q -- '--check'; then
	have_check=1
	echo "the tool has --check: every checked output is also run through it"
fi
[ -z "$lint_skip" ] || echo "$lint_skip"
echo

# measure NAME OUT CMD...: run CMD once, append "WALL_NS RSS_KIB CPU_NS" to NAME.t
measure() {
	local name=$1 out=$2 ns kb cpu
	shift 2
	rm -f "$out"
	if ! "$bin/bench-run" "$tmp/res" "$@" >"$tmp/cmd.log" 2>&1; then
		err "$name: '$*' failed: $(head -c 2000 "$tmp/cmd.log")"
		return 1
	fi
	read -r ns kb _ cpu <"$tmp/res"
	echo "$ns $kb $cpu" >>"$tmp/$name.t"
}

median() {		# FILE COLUMN
	sort -n -k"$2,$2" "$1" | awk -v c="$2" '{ v[NR] = $c }
		END { if (NR % 2) print v[(NR + 1) / 2];
		      else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# readelf_counts FILE: "converted-symbols relocs-in-.klp.rela sections"
readelf_counts() {
	local syms relocs
	syms=$(readelf -sW "$1" | grep -c -E ' (OS \[0xff20\]|LOOS\+0x20|\[0xff20\]) \.klp\.sym\.' || true)
	relocs=$(readelf -SW "$1" | awk '
		function hex(s,  i, v) {
			v = 0
			for (i = 1; i <= length(s); i++)
				v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		{ for (i = 1; i <= NF; i++)
			if ($i ~ /^\.klp\.rela\./) { n += hex($(i + 4)) / 24; break } }
		END { printf "%d\n", n }')
	echo "$syms $relocs"
}

# lint_input FILE EXTENDED: the generated object must be sound.
lint_input() {
	local f=$1 ext=$2 notes=()
	# readelf -r reads the symbol table again for every relocation section,
	# minutes for the big sizes: only the small ones get it.
	local r=-r
	[ "${exp[sections]}" -lt 10000 ] || r=
	readelf -hSsW $r "$f" >"$tmp/lint.log" 2>&1 || { err "readelf rejects $f"; return; }
	if grep -q -i -E 'warning|error' "$tmp/lint.log"; then
		err "readelf warns about $f: $(grep -i -m3 -E 'warning|error' "$tmp/lint.log")"
		return
	fi
	eu-readelf -hSs "$f" >"$tmp/lint.log" 2>&1 || { err "eu-readelf rejects $f"; return; }
	if eu-elflint --gnu-ld "$f" >"$tmp/lint.log" 2>&1; then
		notes+=("eu-elflint clean")
	elif [ "$ext" = 1 ] &&
		! grep -v -E "COMMON symbols are nonsense|function in COMMON section is nonsense" \
			"$tmp/lint.log" | grep -q .; then
		# eu-elflint compares the index it found through SHN_XINDEX with
		# SHN_COMMON (0xfff2), so the symbols of the real section 0xfff2
		# look like local COMMON symbols; readelf shows them in [65522].
		notes+=("eu-elflint clean but for $(wc -l <"$tmp/lint.log") known false positives (symbols of section 65522 = SHN_COMMON reached via SHN_XINDEX)")
	else
		err "eu-elflint --gnu-ld $f: $(head -n5 "$tmp/lint.log")"
		return
	fi
	if ld -r -o "$tmp/lint-ld.o" "$f" >"$tmp/lint.log" 2>&1; then
		notes+=("ld -r ok")
	else
		err "ld -r $f: $(head -n5 "$tmp/lint.log")"
	fi
	rm -f "$tmp/lint-ld.o"
	local all="readelf ok, eu-readelf ok" n
	for n in "${notes[@]}"; do
		all+=", $n"
	done
	echo "  input checks: $all"
}

# check_output IN OUT LABEL: klp-verify, readelf counts, --check
check_output() {
	local in=$1 out=$2 label=$3 line key val ok=1 rs rr
	if ! "$bin/klp-verify" "$in" "$out" >"$tmp/verify.log" 2>&1; then
		err "$label: klp-verify finds the output wrong:"
		{ grep -m5 FAIL "$tmp/verify.log" || tail -n3 "$tmp/verify.log"; } |
			sed 's/^klp-verify: FAIL: /    /'
		grep 'problems in all' "$tmp/verify.log" | sed 's/^klp-verify: /    /' || true
		return 1
	fi
	line=$(tail -n1 "$tmp/verify.log")
	for kv in $line; do
		key=${kv%%=*}
		val=${kv#*=}
		case $key in
		sections) key=sections_after ;;
		unused_bytes) unused=$val; continue ;;
		esac
		if [ "${exp[$key]:-}" != "$val" ]; then
			err "$label: $key is $val, the generator made ${exp[$key]:-?}"
			ok=0
		fi
	done
	read -r rs rr <<<"$(readelf_counts "$out")"
	if [ "$rs" != "${exp[klp_syms]}" ] || [ "$rr" != "${exp[klp_relocs]}" ]; then
		err "$label: readelf counts $rs SHN_LIVEPATCH .klp.sym. symbols and $rr" \
			".klp.rela relocations, the generator made ${exp[klp_syms]} and ${exp[klp_relocs]}"
		ok=0
	fi
	if [ "$have_check" = 1 ]; then
		if ! "$tool" --check "$out" >"$tmp/check.log" 2>&1; then
			err "$label: $tool --check rejects its own output: $(head -n3 "$tmp/check.log")"
			ok=0
		fi
	fi
	[ "$ok" = 1 ]
}

declare -A exp
unused=-1		# set by check_output
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# The price of starting the tool at all (exec, dynamic linking), which
# every tool time below includes: reported beside them, and taken out of
# the per-relocation times that judge linear growth.
startup_ns=-1
if [ "$refs_only" = 0 ]; then
	rm -f "$tmp/startup.t"
	for ((r = 1; r <= runs * 3; r++)); do
		measure startup "$tmp/unused" "$tool" --version || break
	done
	[ -s "$tmp/startup.t" ] && startup_ns=$(median "$tmp/startup.t" 1)
fi
results=()		# "size file relocs tool_ns cp_ns objcopy_ns tool_kb cp_kb objcopy_kb"
t_start=$SECONDS

for size in "${size_list[@]}"; do
	read -r F R K O D <<<"$(size_params "$size")"
	in=$tmp/$size.ko
	echo "== $size: F=$F R=$R K=$K O=$O D=$D"
	"$bin/gen-klp-object" -F "$F" -R "$R" -K "$K" -O "$O" -D "$D" -o "$in" >"$tmp/expect" || {
		err "$size: gen-klp-object failed"
		continue
	}
	exp=()
	while IFS='=' read -r key val; do
		exp[$key]=$val
	done <"$tmp/expect"
	echo "  generated ${exp[file_size]} bytes:" \
		"${exp[sections]} sections, ${exp[symbols]} symbols, ${exp[relocs]} relocations," \
		"${exp[klp_relocs]} of them against ${exp[klp_syms]} klp symbols ->" \
		"${exp[klp_rela_sections]} .klp.rela sections"
	if [ "$lint" = 1 ]; then
		lint_input "$in" "${exp[extended_numbering]}"
	fi

	rm -f "$tmp"/*.t
	failed=0
	out_size=-1
	have_bare=0
	# warm-up: every command once; the tool's output is the one checked
	if [ "$refs_only" = 0 ]; then
		measure tool "$tmp/out.first" "$tool" "${tool_args[@]}" -o "$tmp/out.first" "$in" || failed=1
		if [ "$failed" = 0 ]; then
			out_size=$(stat -c %s "$tmp/out.first")
			check_output "$in" "$tmp/out.first" "$size" && echo "  output checked:" \
				"klp-verify ok, readelf counts ok$([ "$have_check" = 1 ] && echo ", --check ok")," \
				"$out_size bytes, $unused of them covered by no header or section"
			measure floor "$tmp/out.floor" "$bin/write-floor" "$in" "$tmp/out.floor" "$out_size" || failed=1
			# a reference only: a layout it does not know (exit 1)
			# leaves this size without one, anything else is wrong
			rc=0
			"$bin/bare-convert" "$in" "$tmp/out.bare" 2>"$tmp/bare.log" || rc=$?
			case $rc in
			0)	have_bare=1
				if ! "$bin/klp-verify" "$in" "$tmp/out.bare" >"$tmp/verify.log" 2>&1; then
					err "$size: bare-convert's output fails klp-verify: $(head -c 2000 "$tmp/verify.log")"
					failed=1
				fi ;;
			1)	echo "  note: no bare-convert reference: $(head -c 500 "$tmp/bare.log")" ;;
			*)	err "$size: bare-convert failed (status $rc): $(head -c 2000 "$tmp/bare.log")"
				failed=1 ;;
			esac
		fi
	fi
	measure cp "$tmp/out.cp" cp "$in" "$tmp/out.cp" || failed=1
	measure objcopy "$tmp/out.objcopy" objcopy "$in" "$tmp/out.objcopy" || failed=1
	rm -f "$tmp"/*.t "$tmp/out.cp" "$tmp/out.objcopy" "$tmp/out.floor" "$tmp/out.bare"
	# Small files are cheap and noisy: three times the runs.  Outputs are
	# removed once checked, so that no command runs beside another's
	# dirty page cache being written back.
	n=$runs
	[ "${exp[file_size]}" -ge 4194304 ] || n=$((runs * 3))
	for ((r = 1; r <= n && failed == 0; r++)); do
		if [ "$refs_only" = 0 ]; then
			measure tool "$tmp/out.tool" "$tool" "${tool_args[@]}" -o "$tmp/out.tool" "$in" || { failed=1; break; }
			# the start-up in this size's rounds (a reference):
			# right after the tool, as warm as it
			measure startup "$tmp/unused" "$tool" --version || { failed=1; break; }
			if ! cmp -s "$tmp/out.first" "$tmp/out.tool"; then
				echo "  note: run $r output differs from the first (not deterministic)"
				check_output "$in" "$tmp/out.tool" "$size run $r" || true
			fi
			rm -f "$tmp/out.tool"
		fi
		measure cp "$tmp/out.cp" cp "$in" "$tmp/out.cp" || { failed=1; break; }
		cmp -s "$in" "$tmp/out.cp" || err "$size: cp output differs"
		rm -f "$tmp/out.cp"
		# after cp, so that cp still follows the tool and the tool
		# objcopy, as in earlier rounds
		if [ "$refs_only" = 0 ]; then
			measure floor "$tmp/out.floor" "$bin/write-floor" "$in" "$tmp/out.floor" "$out_size" || { failed=1; break; }
			if [ "$have_bare" = 1 ]; then
				measure bare "$tmp/out.bare" "$bin/bare-convert" "$in" "$tmp/out.bare" || { failed=1; break; }
			fi
			rm -f "$tmp/out.floor" "$tmp/out.bare"
		fi
		measure objcopy "$tmp/out.objcopy" objcopy "$in" "$tmp/out.objcopy" || { failed=1; break; }
		rm -f "$tmp/out.objcopy"
	done
	rm -f "$tmp"/out.*
	if [ "$failed" = 1 ]; then
		rm -f "$in"
		continue
	fi
	tns=-1 tkb=-1 tcpu=-1 fns=-1 bns=-1 sns=-1 scpu=-1
	if [ "$refs_only" = 0 ]; then
		tns=$(median "$tmp/tool.t" 1)
		tkb=$(median "$tmp/tool.t" 2)
		tcpu=$(median "$tmp/tool.t" 3)
		fns=$(median "$tmp/floor.t" 1)
		sns=$(median "$tmp/startup.t" 1)
		scpu=$(median "$tmp/startup.t" 3)
		if [ "$have_bare" = 1 ]; then
			bns=$(median "$tmp/bare.t" 1)
		fi
	fi
	# size file relocs | wall: tool cp objcopy | RSS: tool cp objcopy | CPU: ...
	row="$size ${exp[file_size]} ${exp[relocs]} $tns $(median "$tmp/cp.t" 1)"
	row+=" $(median "$tmp/objcopy.t" 1) $tkb $(median "$tmp/cp.t" 2)"
	row+=" $(median "$tmp/objcopy.t" 2) $tcpu $(median "$tmp/cp.t" 3)"
	row+=" $(median "$tmp/objcopy.t" 3) $n $out_size $fns $bns $sns $scpu"
	results+=("$row")
	rm -f "$in"
done

# ---- tables ----
# row: 1 size 2 file 3 relocs 4-6 wall ns tool cp objcopy 7-9 RSS KiB
#      10-12 CPU ns 13 runs 14 tool output size 15 write-floor wall ns
#      16 bare-convert wall ns 17-18 the tool's start-up in this size's
#      rounds, wall and CPU ns
echo
printf '%s\n' "${results[@]}" | awk '
function ms(ns) { return ns < 0 ? "-" : sprintf("%.2f", ns / 1e6) }
function mib(kb) { return kb < 0 ? "-" : sprintf("%.1f", kb / 1024) }
function human(b) {
	return b >= 1048576 ? sprintf("%.1fM", b / 1048576) : sprintf("%.1fK", b / 1024)
}
function ratio(a, b) { return a < 0 || b <= 0 ? "-" : sprintf("%.2f", a / b) }
function per(ns, n) { return ns < 0 ? "-" : sprintf("%.1f", ns / n) }
NF { row[++n] = $0 }
END {
	print "Wall time (median), tool peak RSS:"
	fmt = "%-7s %7s %8s %4s %9s %8s %10s %8s %8s %7s %12s %10s %9s %8s %7s %8s %6s\n"
	printf fmt, "size", "file", "relocs", "runs", "tool ms", "cp ms", "objcopy ms",
		"floor ms", "bare ms", "tool/cp", "tool/objcopy", "tool/floor",
		"tool/bare", "ns/reloc", "RSS MiB", "RSS/file", "out/in"
	for (i = 1; i <= n; i++) {
		split(row[i], f, " ")
		printf fmt, f[1], human(f[2]), f[3], f[13], ms(f[4]), ms(f[5]), ms(f[6]),
			ms(f[15]), ms(f[16]), ratio(f[4], f[5]), ratio(f[4], f[6]),
			ratio(f[4], f[15]), ratio(f[4], f[16]), per(f[4], f[3]), mib(f[7]),
			f[7] < 0 ? "-" : sprintf("%.2f", f[7] * 1024 / f[2]),
			f[14] < 0 ? "-" : sprintf("%.2f", f[14] / f[2])
	}
	print ""
	print "CPU time, user + system (median; less disturbed by a busy machine), reference RSS:"
	fmt = "%-7s %12s %10s %15s %11s %16s %12s %10s %15s\n"
	printf fmt, "size", "tool CPU ms", "cp CPU ms", "objcopy CPU ms", "tool/cp CPU",
		"tool/objcopy CPU", "CPU ns/reloc", "cp RSS MiB", "objcopy RSS MiB"
	for (i = 1; i <= n; i++) {
		split(row[i], f, " ")
		printf fmt, f[1], ms(f[10]), ms(f[11]), ms(f[12]), ratio(f[10], f[11]),
			ratio(f[10], f[12]), per(f[10], f[3]), mib(f[8]), mib(f[9])
	}
}'
if [ "$startup_ns" -ge 0 ]; then
	printf '%s\n' "${results[@]}" | awk -v st="$startup_ns" '
	NF && $4 >= 0 {
		at = at sprintf(" %s %.2f ms (CPU %.2f),", $1, $17 / 1e6, $18 / 1e6)
		per = per sprintf(" %s %.1f ns,", $1, ($4 - st) / $3)
		cpu = cpu sprintf(" %s %.1f ns,", $1, ($10 - $18) / $3) }
	END { sub(/,$/, "", at); sub(/,$/, "", per); sub(/,$/, "", cpu)
	      printf "start-up of the tool (--version, median), part of every tool time above: %.2f ms;\n", st / 1e6
	      printf "  per relocation without it:%s\n", per
	      printf "  the start-up in each size'"'"'s rounds:%s\n", at
	      printf "  CPU per relocation without the start-up'"'"'s CPU in its rounds:%s\n", cpu }'
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load average at the start $load_start, at the end $load_end ($(nproc) CPUs)"
if awk -v l="${load_end%% *}" -v c="$(nproc)" 'BEGIN { exit !(l > c) }'; then
	echo "note: the machine was busy; wall times (and small sizes most) are noisy," \
		"the CPU table is the steadier one"
fi
echo

# ---- targets (judged on wall time, CPU time shown beside) ----
# Linear growth is judged on the time per relocation once the start-up
# (measured once, before all sizes) is taken out: a fixed cost per run
# says nothing about how the work grows, yet it is a third of the medium
# time.  Printed beside it as references: the ratio with each size's own
# start-up (measured in its rounds, right after the tool) out, the plain
# ratio, and the same on CPU time (all threads, the start-up's CPU out:
# how the work grows apart from what a second CPU takes off the big
# sizes' wall time).  The verdict stays where it was.
if [ "$refs_only" = 1 ]; then
	echo "SKIP: targets: --refs-only"
elif [ "${#results[@]}" -eq 0 ]; then
	echo "SKIP: targets: no size completed"
else
	printf '%s\n' "${results[@]}" | awk -v st="$startup_ns" '
	function line(ok, name, why) {
		if (ok) printf "PASS: %s (%s)\n", name, why
		else printf "FAIL: %s: %s\n", name, why
	}
	NF { size[NR] = $1; file[$1] = $2; rel[$1] = $3; t[$1] = $4; cp[$1] = $5
	     oc[$1] = $6; rss[$1] = $7 * 1024; tc[$1] = $10; cpc[$1] = $11
	     occ[$1] = $12; fl[$1] = $15; bare[$1] = $16
	     su[$1] = $17 > 0 ? $17 : 0; suc[$1] = $18 > 0 ? $18 : 0; n = NR }
	# range(NAME, VALUE): the lowest and highest VALUE under NAME
	function range(k, v) {
		if (!(k in lo) || v < lo[k]) lo[k] = v
		if (!(k in hi) || v > hi[k]) hi[k] = v
	}
	function show(k) {
		return sprintf("%.1f..%.1f ns, %.2fx", lo[k], hi[k],
			       lo[k] > 0 ? hi[k] / lo[k] : 0)
	}
	END {
		used = ""; fixed = st > 0 ? st : 0
		for (i = 1; i <= n; i++) {
			s = size[i]
			if (s != "medium" && s != "large" && s != "huge") continue
			range("own", (t[s] - su[s]) / rel[s])
			range("once", (t[s] - fixed) / rel[s])
			range("plain", t[s] / rel[s])
			range("cpu", (tc[s] - suc[s]) / rel[s])
			range("cpu_plain", tc[s] / rel[s])
			used = used " " s
		}
		if (split(used, u, " ") >= 2) {
			line(lo["once"] > 0 && hi["once"] < 2 * lo["once"],
			     "time per relocation varies < 2x from medium to huge",
			     sprintf("%s over%s without the %.2f ms start-up", show("once"), used, fixed / 1e6))
			printf "  reference: with each size'"'"'s own start-up out: %s; with the start-up in: %s\n",
			       show("own"), show("plain")
			printf "  reference: CPU time, all threads, the start-up'"'"'s CPU out: %s; with it: %s\n",
			       show("cpu"), show("cpu_plain")
		} else {
			print "SKIP: time per relocation varies < 2x from medium to huge: needs two of those sizes"
		}
		if ("huge" in t) {
			line(t["huge"] <= 3 * cp["huge"], "huge: tool <= 3x cp",
			     sprintf("%.1f ms vs cp %.1f ms, %.2fx; CPU %.1f ms vs %.1f ms, %.2fx",
				     t["huge"] / 1e6, cp["huge"] / 1e6, t["huge"] / cp["huge"],
				     tc["huge"] / 1e6, cpc["huge"] / 1e6,
				     cpc["huge"] > 0 ? tc["huge"] / cpc["huge"] : 0))
			if (fl["huge"] > 0)
				printf "  reference: writing the output'"'"'s bytes from user space (write-floor) takes %.1f ms, %.2fx cp;\n  3x cp is %.2fx that floor, the tool takes %.2fx it\n",
				       fl["huge"] / 1e6, fl["huge"] / cp["huge"],
				       3 * cp["huge"] / fl["huge"], t["huge"] / fl["huge"]
			if (bare["huge"] > 0)
				printf "  reference: the same conversion with no checks and no model (bare-convert) takes %.1f ms, %.2fx cp;\n  the tool takes %.2fx it\n",
				       bare["huge"] / 1e6, bare["huge"] / cp["huge"],
				       t["huge"] / bare["huge"]
			line(rss["huge"] <= 2 * file["huge"], "huge: peak RSS <= 2x file size",
			     sprintf("%.1f MiB for %.1f MiB, %.2fx", rss["huge"] / 1048576,
				     file["huge"] / 1048576, rss["huge"] / file["huge"]))
		} else {
			print "SKIP: huge: tool <= 3x cp: huge not run"
			print "SKIP: huge: peak RSS <= 2x file size: huge not run"
		}
		for (i = 1; i <= n; i++) {
			s = size[i]
			line(t[s] < oc[s], s ": tool faster than objcopy",
			     sprintf("%.2f ms vs %.2f ms; CPU %.2f ms vs %.2f ms",
				     t[s] / 1e6, oc[s] / 1e6, tc[s] / 1e6, occ[s] / 1e6))
		}
	}'
fi
echo "bench took $((SECONDS - t_start)) s"
if [ "$wrong" = 1 ]; then
	echo "bench: an output was wrong or a command failed (see FAIL lines above)"
	exit 1
fi
echo "bench: all outputs correct"
