#!/usr/bin/env bash
# tests/kernel/run.sh - prove klp-convert-mini's output in real kernels.
#
# For each of Debian's Linux 6.1 and 6.12 (newest ABI apt knows): fetch the
# kernel and its headers into $KLP_CACHE, build samples/ with their own
# Makefiles (klp-convert-mini.mk runs the tool after the link), boot the
# kernel under qemu (TCG) with a busybox initramfs whose /init
# (guest-init.sh) runs every scenario, and judge the serial console.
#
# One line per check: "PASS: <kernel>: <what it proves>" or "FAIL: ...: why".
# Timings go to stderr.  Exit 1 if anything failed.
#
# Environment:
#   KLP_CONVERT      the tool (default: $KLP_TOPDIR/klp-convert-mini)
#   KLP_TOPDIR       the source tree (default: two levels up)
#   KLP_CACHE        package cache (default /var/cache/klp-convert-mini)
#   KLP_KERNELS      series to test (default "6.1 6.12")
#   KLP_SKIP_KERNEL  1: print one SKIP line and exit 0
#   KLP_KEEP         1: keep the work directory (kept anyway on failure)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KLP_TOPDIR=${KLP_TOPDIR:-$(cd "$here/../.." && pwd)}
KLP_CONVERT=${KLP_CONVERT:-$KLP_TOPDIR/klp-convert-mini}
# shellcheck source=lib.sh disable=SC1091 # lint lib.sh on its own
. "$here/lib.sh"

if [[ ${KLP_SKIP_KERNEL:-0} == 1 ]]; then
	echo "SKIP: kernel suite: KLP_SKIP_KERNEL=1"
	exit 0
fi

npass=0 nfail=0
pass() { echo "PASS: $1"; npass=$((npass + 1)); }
fail() { echo "FAIL: $1: $2"; nfail=$((nfail + 1)); }

t_start=$(klp_now)

# ---- preconditions: these fail loudly, they never skip -------------------
missing=$(klp_missing_packages | tr '\n' ' ')
if [[ -n $missing ]]; then
	fail "kernel suite host packages" "not installed: $missing(run: apt-get install $missing)"
	exit 1
fi
if [[ ! -x $KLP_CONVERT ]]; then
	fail "kernel suite tool" "KLP_CONVERT=$KLP_CONVERT is not an executable (run make first)"
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/klp-kernel.XXXXXX")
cleanup() {
	if [[ $nfail -gt 0 || ${KLP_KEEP:-0} == 1 ]]; then
		klp_log "work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

# elfpoke (tests/helpers) makes the hand-broken module of one scenario.
elfpoke=$work/elfpoke
# shellcheck disable=SC2046 # pkg-config prints a list of flags
if ! "${CC:-cc}" -std=gnu11 -O1 -o "$elfpoke" "$KLP_TOPDIR/tests/helpers/elfpoke.c" \
	$(pkg-config --cflags --libs libelf 2>/dev/null || echo -lelf) >"$work/elfpoke.log" 2>&1; then
	fail "kernel suite helper" "cannot build tests/helpers/elfpoke.c: $(head -n 3 "$work/elfpoke.log")"
	exit 1
fi

# ---- console helpers ------------------------------------------------------

# section LOG NAME: the console lines of scenario NAME.
section() {
	tr -d '\r' <"$1" | awk -v n="$2" '
		$0 == "@@KLP begin " n { on = 1; next }
		$0 == "@@KLP end " n { on = 0 }
		on'
}

# expect_lines TEXT LINE...: every LINE occurs in TEXT as a whole line, in
# this order.  Prints the first one missing.
expect_lines() {
	local text=$1 line i=0
	local -a have
	shift
	mapfile -t have <<<"$text"
	for line in "$@"; do
		while ((i < ${#have[@]})) && [[ ${have[i]} != "$line" ]]; do
			i=$((i + 1))
		done
		if ((i >= ${#have[@]})); then
			echo "missing (in order): '$line'"
			return 1
		fi
		i=$((i + 1))
	done
}

# expect_grep TEXT ERE...: every ERE matches some line of TEXT.
expect_grep() {
	local text=$1 re
	shift
	for re in "$@"; do
		grep -qE -- "$re" <<<"$text" || { echo "no line matches /$re/"; return 1; }
	done
}

# check KERNEL LOG SCENARIO NAME CHECK-COMMAND...: run the check on the
# scenario's console text and report; on failure show the section.
check() {
	local kernel=$1 log=$2 scen=$3 name=$4 text why line
	shift 4
	text=$(section "$log" "$scen")
	if [[ -z $text ]]; then
		fail "$kernel: $name" "no console output for scenario '$scen' (see $log)"
		return
	fi
	if why=$("$@" "$text"); then
		pass "$kernel: $name"
	else
		fail "$kernel: $name" "$why"
		while IFS= read -r line; do
			printf '    [%s] %s\n' "$scen" "$line"
		done <<<"$text" >&2
	fi
}

# The scenario checks: each takes the section text as its last argument.
ck_boot() {
	expect_lines "$1" "kernel $2" "\$ ls /sys/kernel/livepatch" "rc=0"
}

ck_vmlinux() {
	local text=$1 cmdline
	cmdline=$(sed -n 's|^/proc/cmdline: ||p' <<<"$text" | head -n 1)
	[[ -n $cmdline ]] || { echo "no /proc/cmdline line"; return 1; }
	expect_lines "$text" \
		"\$ insmod /klp/klp_cmdline.ko" "rc=0" \
		"/sys/kernel/livepatch/klp_cmdline/enabled: 1" \
		"/proc/cmdline: klp_cmdline: $cmdline" \
		"\$ rmmod klp_cmdline" "rc=0" \
		"/proc/cmdline: $cmdline"
}

ck_unconverted() {
	expect_lines "$1" "\$ insmod /klp/klp_cmdline.unconverted.ko" &&
		expect_grep "$1" '^rc=[1-9]' \
			'klp_cmdline: Unknown symbol \.klp\.sym\.rela\.vmlinux\.vmlinux\.saved_command_line\.0 \(err -2\)$'
}

ck_unannotated() {
	expect_lines "$1" "\$ insmod /klp/klp_unannotated.ko" &&
		expect_grep "$1" '^rc=[1-9]' \
			'klp_unannotated: Unknown symbol saved_command_line \(err -2\)$'
}

ck_target_first() {
	expect_lines "$1" \
		"\$ insmod /klp/klp_target.ko" "rc=0" \
		"/sys/module/klp_target/parameters/state: original calls=1 scaled=10" \
		"\$ insmod /klp/klp_target_patch.ko" "rc=0" \
		"/sys/kernel/livepatch/klp_target_patch/enabled: 1" \
		"/sys/module/klp_target/parameters/state: klp_target_patch calls=2 scaled=20" \
		"\$ rmmod klp_target_patch" "rc=0" \
		"/sys/module/klp_target/parameters/state: original calls=3 scaled=30"
}

ck_patch_first() {
	expect_lines "$1" \
		"\$ insmod /klp/klp_target_patch.ko" "rc=0" \
		"/sys/kernel/livepatch/klp_target_patch/enabled: 1" \
		"\$ insmod /klp/klp_target.ko" "rc=0" \
		"/sys/module/klp_target/parameters/state: klp_target_patch calls=1 scaled=10"
}

# 6.3+ clears a module's klp relocations when it goes away.
ck_reload_works() {
	expect_lines "$1" \
		"\$ rmmod klp_target" "rc=0" \
		"\$ insmod /klp/klp_target.ko" "rc=0" \
		"/sys/kernel/livepatch/klp_target_patch/enabled: 1" \
		"/sys/module/klp_target/parameters/state: klp_target_patch calls=1 scaled=10"
}

# 6.1 does not, so applying them again finds the old values.
ck_reload_refused() {
	expect_lines "$1" "\$ rmmod klp_target" "rc=0" "\$ insmod /klp/klp_target.ko" &&
		expect_grep "$1" '^rc=[1-9]' \
			'existing value is nonzero' \
			"livepatch: patch 'klp_target_patch' failed for module 'klp_target', refusing to load module 'klp_target'" \
			'^/sys/module/klp_target/parameters/state: \(absent\)$'
}

ck_position() {
	expect_lines "$1" \
		"\$ insmod /klp/klp_pos_target.ko" "rc=0" \
		"/sys/module/klp_pos_target/parameters/report: original a=1111 b=2222" \
		"\$ insmod /klp/klp_pos_patch.ko" "rc=0" \
		"/sys/kernel/livepatch/klp_pos_patch/enabled: 1" \
		"/sys/module/klp_pos_target/parameters/report: klp_pos_patch pos2=2222"
}

ck_position_ambiguous() {
	expect_lines "$1" "\$ insmod /klp/klp_pos_ambig.ko" &&
		expect_grep "$1" '^rc=[1-9]' \
			"livepatch: unresolvable ambiguity for symbol 'pos_value' in object 'klp_pos_target'" \
			'^/sys/kernel/livepatch/klp_pos_ambig/enabled: \(absent\)$'
}

ck_dotted() {
	expect_lines "$1" \
		"\$ insmod /klp/klp_dot_target.ko" "rc=0" \
		"/sys/module/klp_dot_target/parameters/hits: original hits=1" \
		"/sys/module/klp_dot_target/parameters/hits: original hits=2" \
		"\$ insmod /klp/klp_dot_patch.ko" "rc=0" \
		"/sys/kernel/livepatch/klp_dot_patch/enabled: 1" \
		"/sys/module/klp_dot_target/parameters/hits: klp_dot_patch hits.0=3"
}

# tool_error_re SYMBOL: the tool's --symvers refusal of SYMBOL.
tool_error_re() {
	echo "^klp-convert-mini: error: .*symbol '$1'.*not exported.*KLP_RELOC_SYMBOL\\("
}

# is_converted KO: no annotated symbol is left and a klp rela section exists.
is_converted() {
	! nm "$1" | grep -q '\.klp\.sym\.rela\.' &&
		readelf -SW "$1" | grep -q '\.klp\.rela\.'
}

# ---- --check's predictions against the kernel's own words -----------------
#
# Hand-broken copies of the converted samples, each breaking one rule whose
# kernel text is a message the kernel prints.  On the host, --check must
# refuse each with that rule alone and a single kernel text, in which "..."
# stands for what it cannot know (the module's name).  In the guest, loading
# the module (after its target, for the module-specific cases named mod_*)
# must fail with that very message.

# The cases: NAME RULE KO [OPS], OPS being elfpoke operations in which
# @SYM@ is the index of KO's first klp symbol, @SYMNAME@ its name with
# its object replaced by what follows it in the operand, and @LOC@ the
# file offset of the place its first klp relocation patches.
predict_cases=(
	"objname klp-object-name klp_cmdline.ko sym @SYM@ name @SYMNAME@vm-linux"
	"symname klp-symbol-name klp_cmdline.ko sym @SYM@ name .klp.sym.vmlinux.saved_command_line"
	"shndx klp-symbol-shndx klp_cmdline.ko sym @SYM@ shndx 0xfff1"
	"undef klp-symbol-undefined klp_cmdline.ko sym @SYM@ shndx 0"
	"secname klp-section-name klp_cmdline.ko shdr .klp.rela.vmlinux..text name .klp.rela..text"
	"reltype relocation-type klp_cmdline.ko rela .klp.rela.vmlinux..text 0 type 9"
	"mod_vmlinux vmlinux-from-module-section klp_target_patch.ko sym @SYM@ name @SYMNAME@vmlinux"
	"rel rel-relocations klp_cmdline.ko rela2rel .rela.text"
	"unconverted prefixed-symbol-left klp_cmdline.unconverted.ko"
	"nonzero nonzero-location klp_cmdline.ko raw @LOC@ 01"
	"unexported symbol-not-exported klp_unannotated.ko"
)

# ktext_ere TEXT: an ERE for the kernel line TEXT, "..." matching anything.
ktext_ere() {
	sed -e 's/[][\.*^$+?(){}|/]/\\&/g' -e 's/\\\.\\\.\\\./.*/g' <<<"$1"
}

# klp_loc KO: the file offset (0x...) of the place KO's first klp
# relocation patches: its section's offset plus the entry's r_offset.
klp_loc() {
	local rsec target roff toff
	rsec=$(readelf -SW "$1" | grep -o '\.klp\.rela\.[^ ]*' | head -n 1)
	target=${rsec#.klp.rela.*.}
	roff=$(readelf -rW "$1" | awk -v s="'$rsec'" '$3 == s { getline; getline; print $1; exit }')
	toff=$(readelf -SW "$1" | awk -v t="$target" '{ for (i = 1; i + 3 <= NF; i++) if ($i == t) { print $(i + 3); exit } }')
	[[ -n $rsec && -n $roff && -n $toff ]] && printf '0x%x\n' $((0x$toff + 0x$roff))
}

# predict_case DIR NAME RULE KO OPS...: make DIR/klp/predict_NAME.ko from
# KO and check --check's verdict; the kernel text goes to
# DIR/predict_NAME.ktext for judge.
predict_case() {
	local dir=$1 name=$2 rule=$3 base=$4 ko out rc=0 idx sym op ops=() opts=()
	shift 4
	ko=$dir/klp/predict_$name.ko out=$dir/predict_$name.out
	cp "$dir/klp/$base" "$ko"
	read -r idx sym < <(readelf -sW "$ko" | awk '$NF ~ /^\.klp\.sym\./ { sub(":", "", $1); print $1, $NF; exit }') || true
	for op in "$@"; do
		[[ $op == @LOC@ ]] && op=$(klp_loc "$ko")
		op=${op//@SYM@/$idx}
		# .klp.sym.<obj>.<rest>: the object replaced
		[[ $op == @SYMNAME@* ]] && op=.klp.sym.${op#@SYMNAME@}.$(cut -d. -f5- <<<"$sym")
		ops+=("$op")
	done
	rm -f "$dir/predict_$name.ktext"
	if [[ $# -gt 0 ]] && { [[ -z $idx ]] || ! "$elfpoke" "$ko" "${ops[@]}" >"$out" 2>&1; }; then
		fail "$k: --check: $name" "cannot make $ko: $(head -n 2 "$out")"
		return
	fi
	# symbol-not-exported needs to know what the kernel exports.
	if [[ $rule == symbol-not-exported ]]; then
		opts=(--symvers "$KLP_KDIR/Module.symvers")
	fi
	"$KLP_CONVERT" --check "${opts[@]}" "$ko" >"$out" 2>&1 || rc=$?
	# Each finding (the symbol, each relocation using it) names RULE and
	# the same kernel line: the load stops at the first.
	if [[ $rc -ne 1 || ! -s $out ]] || grep -vqF "[$rule] (kernel: \"" "$out" ||
		[[ $(sed 's/^.* (kernel: "\(.*\)")$/\1/' "$out" | sort -u | wc -l) -ne 1 ]]; then
		fail "$k: --check: $name" "exit $rc, want 1 and $rule errors with one kernel text, nothing else: $(head -n 3 "$out")"
		return
	fi
	sed -n '1s/^.* (kernel: "\(.*\)")$/\1/p' "$out" >"$dir/predict_$name.ktext"
	pass "$k: --check: $name: $rule, the kernel will say \"$(cat "$dir/predict_$name.ktext")\""
}

# ck_predict SERIES NAME KTEXT TEXT: kernel SERIES refused predict_NAME.ko
# with KTEXT.  A text that ends "(6.1: ALT)" is what later kernels print,
# 6.1 printing ALT instead ("..." again standing for the rest).
ck_predict() {
	local series=$1 name=$2 ktext=$3 text=$4 alt=
	[[ -n $ktext ]] || { echo "no kernel text from --check on the host"; return 1; }
	if [[ $ktext == *" (6.1: "*")" ]]; then
		alt=${ktext##* (6.1: }
		alt=${alt%)}
		ktext=${ktext%% (6.1: *}
		[[ $series == 6.1 ]] && ktext="...$alt"
	fi
	expect_lines "$text" "\$ insmod /klp/predict_$name.ko" &&
		expect_grep "$text" '^rc=[1-9]' "^dmesg: \\[[ 0-9.]*\\] (.*)?$(ktext_ere "$ktext")\$"
}

# ---- build: the samples, as a user builds them ----------------------------

# The livepatch sample directories, and the targets they need.
samples=(klp-cmdline klp-module/target klp-module/patch klp-position/target
	klp-position/patch klp-dotted/target klp-dotted/patch)

# build_kernel SERIES: fetch, build, check the build, pack the initramfs and
# start the boot in the background.  Sets boot_pid[SERIES].
declare -A boot_pid=() boot_t0=() krel_of=()
build_kernel() {
	local series=$1 k="linux-$1" dir src out t0 s ko kos=()
	t0=$(klp_now)
	if ! klp_fetch_kernel "$series"; then
		fail "$k: kernel packages" "cannot fetch Debian's linux-image/headers for $series (see above)"
		return
	fi
	klp_log "$k: $KLP_KREL ready in $(klp_since "$t0")s (download ${KLP_TIME_DOWNLOAD:-cached}, unpack ${KLP_TIME_UNPACK:-cached})"
	unset KLP_TIME_DOWNLOAD KLP_TIME_UNPACK
	krel_of[$series]=$KLP_KREL
	dir=$work/$series
	src=$dir/samples
	mkdir -p "$dir/klp"
	cp -r "$KLP_TOPDIR/samples" "$src"

	# The precondition of sample 1: the symbol really is not exported.
	if grep -qP '^0x[0-9a-f]+\tsaved_command_line\t' "$KLP_KDIR/Module.symvers"; then
		fail "$k: saved_command_line is not exported" "Module.symvers exports it"
	else
		pass "$k: saved_command_line is not exported (Module.symvers)"
	fi

	t0=$(klp_now)
	# klp_cmdline unconverted first (KLP_CONVERT=true), then the real build:
	# kbuild has nothing left to do and the fragment only converts.
	if ! klp_build_sample "$src/klp-cmdline" "$KLP_KDIR" KLP_CONVERT=true \
		>"$dir/build-unconverted.log" 2>&1; then
		fail "$k: samples build" "klp-cmdline (unconverted): see $dir/build-unconverted.log"
		return
	fi
	cp "$src/klp-cmdline/klp_cmdline.ko" "$dir/klp/klp_cmdline.unconverted.ko"
	for s in "${samples[@]}"; do
		if ! klp_build_sample "$src/$s" "$KLP_KDIR" >"$dir/build-${s//\//-}.log" 2>&1; then
			fail "$k: samples build" "$s: see $dir/build-${s//\//-}.log"
			sed 's/^/    /' "$dir/build-${s//\//-}.log" >&2
			return
		fi
		for ko in "$src/$s"/*.ko; do kos+=("$ko"); done
	done
	klp_log "$k: samples built in $(klp_since "$t0")s"
	pass "$k: every sample builds and converts through klp-convert-mini.mk"
	cp "${kos[@]}" "$dir/klp/"

	# The conversion left no prefixed symbol and made klp relocation sections.
	local bad=()
	for ko in "$dir"/klp/*_patch.ko "$dir"/klp/klp_pos_ambig.ko "$dir"/klp/klp_cmdline.ko; do
		is_converted "$ko" || bad+=("${ko##*/}")
	done
	if [[ ${#bad[@]} -eq 0 ]]; then
		pass "$k: converted modules hold .klp.rela sections and no .klp.sym.rela symbol"
	else
		fail "$k: converted modules hold .klp.rela sections and no .klp.sym.rela symbol" "${bad[*]}"
	fi

	# modpost's noise about annotated symbols is gone, a real one is not.
	if grep -q '\.klp\.sym\.rela\..*undefined!' "$dir"/build-*.log; then
		fail "$k: modpost warnings about annotated symbols are filtered" \
			"$(grep -h '\.klp\.sym\.rela\..*undefined!' "$dir"/build-*.log | head -n 1)"
	else
		pass "$k: modpost warnings about annotated symbols are filtered"
	fi

	# The unannotated sample must fail the build, say why, and leave no .ko.
	out=$dir/build-unannotated.log
	if klp_build_sample "$src/klp-unannotated" "$KLP_KDIR" >"$out" 2>&1; then
		fail "$k: unannotated livepatch fails the build" "make succeeded"
	elif ! grep -qE '^WARNING: modpost: "saved_command_line" \[.*klp_unannotated\.ko\] undefined!$' "$out"; then
		fail "$k: unannotated livepatch: modpost still warns about saved_command_line" "warning missing from $out"
	elif ! grep -qE "$(tool_error_re saved_command_line)" "$out"; then
		fail "$k: unannotated livepatch fails the build" "no klp-convert-mini error naming saved_command_line in $out"
		sed 's/^/    /' "$out" >&2
	elif [[ -e $src/klp-unannotated/klp_unannotated.ko ]]; then
		fail "$k: unannotated livepatch fails the build" "klp_unannotated.ko left in place"
	else
		pass "$k: unannotated livepatch fails the build naming saved_command_line and KLP_RELOC_SYMBOL, and leaves no .ko"
	fi

	# A misspelled, unexported symbol next to annotated ones: modpost only
	# warns (KBUILD_MODPOST_WARN=1), the post-link check fails the build.
	cp -r "$src/klp-cmdline" "$src/klp-typo"
	printf '%s\n' '/* run.sh: a misspelled symbol nobody exports */' \
		'extern int klp_cmdline_typo;' \
		'int *klp_cmdline_typo_ref = &klp_cmdline_typo;' >>"$src/klp-typo/klp_cmdline.c"
	out=$dir/build-typo.log
	if klp_build_sample "$src/klp-typo" "$KLP_KDIR" >"$out" 2>&1; then
		fail "$k: a misspelled symbol beside annotated ones fails the build" "make succeeded"
	elif ! grep -qE '^WARNING: modpost: "klp_cmdline_typo" .* undefined!$' "$out" ||
		! grep -qE "$(tool_error_re klp_cmdline_typo)" "$out"; then
		fail "$k: a misspelled symbol beside annotated ones fails the build" "modpost warning or tool error missing in $out"
		sed 's/^/    /' "$out" >&2
	else
		pass "$k: a misspelled symbol beside annotated ones fails the build, modpost's warning kept"
	fi

	# More than 10 annotations: modpost warns about the first 10 and then
	# says it "suppressed" the rest.  That line goes too, since --symvers
	# checks every module; a misspelled symbol among them still fails the
	# build, named by the tool whether or not modpost named it.
	cp -r "$src/klp-cmdline" "$src/klp-many"
	{
		echo '/* run.sh: twelve annotated symbols, more than modpost reports */'
		for s in 1 2 3 4 5 6 7 8 9 10 11 12; do
			echo "extern int klp_many_$s KLP_RELOC_SYMBOL(vmlinux, klp_many_$s, 0);"
		done
		echo 'int *klp_many_refs[] = { &klp_many_1, &klp_many_2, &klp_many_3,'
		echo '	&klp_many_4, &klp_many_5, &klp_many_6, &klp_many_7, &klp_many_8,'
		echo '	&klp_many_9, &klp_many_10, &klp_many_11, &klp_many_12 };'
	} >>"$src/klp-many/klp_cmdline.c"
	out=$dir/build-many.log
	if ! klp_build_sample "$src/klp-many" "$KLP_KDIR" >"$out" 2>&1 ||
		! is_converted "$src/klp-many/klp_cmdline.ko"; then
		fail "$k: twelve annotations: no modpost noise, not even 'suppressed'" "build failed: see $out"
		sed 's/^/    /' "$out" >&2
	elif grep -qE '^WARNING: modpost: (suppressed|"\.klp\.sym\.rela\.)' "$out"; then
		fail "$k: twelve annotations: no modpost noise, not even 'suppressed'" "modpost noise left in $out"
	else
		pass "$k: twelve annotations: no modpost noise, not even 'suppressed'"
	fi
	cp -r "$src/klp-many" "$src/klp-many-typo"
	printf '%s\n' '/* run.sh: a misspelled symbol nobody exports */' \
		'extern int klp_many_typo;' \
		'int *klp_many_typo_ref = &klp_many_typo;' >>"$src/klp-many-typo/klp_cmdline.c"
	out=$dir/build-many-typo.log
	if klp_build_sample "$src/klp-many-typo" "$KLP_KDIR" >"$out" 2>&1; then
		fail "$k: twelve annotations and a misspelled symbol fail the build" "make succeeded"
	elif ! grep -qE "$(tool_error_re klp_many_typo)" "$out" ||
		[[ -e $src/klp-many-typo/klp_cmdline.ko ]]; then
		fail "$k: twelve annotations and a misspelled symbol fail the build" "no tool error naming klp_many_typo, or the .ko left, in $out"
		sed 's/^/    /' "$out" >&2
	else
		pass "$k: twelve annotations and a misspelled symbol fail the build, naming it"
	fi

	# Two modules, the first one misspelled: the second is still converted,
	# the first is reported and removed, the build fails.  make again links
	# the first one anew and fails the same way.  (klp_pos_ambig.c includes
	# klp_pos_patch.c with KLP_POS 0.)
	cp -r "$src/klp-position/patch" "$src/klp-two"
	printf '%s\n' '/* run.sh: a misspelled symbol nobody exports */' \
		'#if KLP_POS == 2' 'extern int klp_pos_typo;' \
		'int *klp_pos_typo_ref = &klp_pos_typo;' '#endif' >>"$src/klp-two/klp_pos_patch.c"
	out=$dir/build-two.log
	local why=
	if klp_build_sample "$src/klp-two" "$KLP_KDIR" >"$out" 2>&1; then
		why="make succeeded"
	elif ! grep -qE "$(tool_error_re klp_pos_typo)" "$out" ||
		! grep -qx 'klp-convert-mini.mk: klp_pos_patch.ko: not converted; removed it' "$out"; then
		why="no tool error or no removal notice for klp_pos_patch.ko in $out"
	elif [[ -e $src/klp-two/klp_pos_patch.ko ]]; then
		why="klp_pos_patch.ko left in place"
	elif ! is_converted "$src/klp-two/klp_pos_ambig.ko"; then
		why="klp_pos_ambig.ko not converted"
	elif klp_build_sample "$src/klp-two" "$KLP_KDIR" >"$out.again" 2>&1; then
		why="make succeeded the second time"
	elif ! grep -qE '^  LD \[M\]  .*/klp_pos_patch\.ko$' "$out.again" ||
		! grep -qx 'klp-convert-mini.mk: klp_pos_patch.ko: not converted; removed it' "$out.again"; then
		why="the second make did not link klp_pos_patch.ko again and fail (see $out.again)"
	fi
	if [[ -n $why ]]; then
		fail "$k: a module that fails to convert is removed, the others converted" "$why"
		sed 's/^/    /' "$out" >&2
	else
		pass "$k: a module that fails to convert is removed, the others converted, make fails"
	fi

	# modules_install installs the converted module (xz-compressed on 6.12).
	local modroot=$dir/modroot mod
	out=$dir/modules-install.log
	if klp_build_sample "$src/klp-cmdline" "$KLP_KDIR" modules_install \
		INSTALL_MOD_PATH="$modroot" >"$out" 2>&1; then
		mod=$(find "$modroot/lib/modules/$KLP_KREL" -name 'klp_cmdline.ko*' | head -n 1)
		case $mod in
		*.ko.xz) xz -dc "$mod" >"$dir/installed.ko" ;;
		*.ko) cp "$mod" "$dir/installed.ko" ;;
		*) rm -f "$dir/installed.ko" ;;
		esac
	fi
	if [[ -s $dir/installed.ko ]] && is_converted "$dir/installed.ko"; then
		pass "$k: make modules_install installs the converted module"
	else
		fail "$k: make modules_install installs the converted module" "see $out"
	fi

	# As installed by `make install`, with the header and the fragment in
	# non-default places (INCLUDEDIR, DATADIR), the tool on PATH; nothing
	# passed but KDIR.
	if [[ $series == "${series_list%% *}" ]]; then
		local inst=$dir/prefix
		out=$dir/build-installed.log
		# -o: install the tree's files, never rebuild its tool here.
		make -C "$KLP_TOPDIR" -o klp-convert-mini install PREFIX="$inst" \
			INCLUDEDIR="$inst/include/klp-convert-mini" \
			DATADIR="$inst/lib/klp-convert-mini" >"$out" 2>&1
		ln -sf "$KLP_CONVERT" "$inst/bin/klp-convert-mini"
		cp -r "$src/klp-cmdline" "$src/klp-installed"
		make -C "$src/klp-installed" clean KDIR="$KLP_KDIR" \
			KLP_MK="$KLP_TOPDIR/klp-convert-mini.mk" >/dev/null 2>&1
		if PATH=$inst/bin:$PATH make -C "$src/klp-installed" KDIR="$KLP_KDIR" \
			KLP_MK="$inst/lib/klp-convert-mini/klp-convert-mini.mk" >>"$out" 2>&1 &&
			is_converted "$src/klp-installed/klp_cmdline.ko"; then
			pass "$k: installed fragment finds klp_reloc.h where make install put it, and the tool on PATH"
		else
			fail "$k: installed fragment finds klp_reloc.h where make install put it, and the tool on PATH" "see $out"
		fi
	fi

	# The unannotated module, unconverted (kbuild only), shows what the
	# kernel would have said.
	out=$dir/build-unannotated-kbuild.log
	if ! klp_build_sample "$src/klp-unannotated" "$KLP_KDIR" klp-build >"$out" 2>&1; then
		fail "$k: samples build" "klp-unannotated (klp-build): see $out"
		return
	fi
	cp "$src/klp-unannotated/klp_unannotated.ko" "$dir/klp/"

	local c
	for c in "${predict_cases[@]}"; do
		# shellcheck disable=SC2086 # a case is a list of words
		predict_case "$dir" $c
	done

	klp_make_initramfs "$dir/initramfs.cpio.gz" "$here/guest-init.sh" "$dir"/klp/*.ko
	klp_log "$k: booting $KLP_KREL"
	boot_t0[$series]=$(klp_now)
	klp_boot "$KLP_VMLINUZ" "$dir/initramfs.cpio.gz" "$dir/console.log" 300 &
	boot_pid[$series]=$!
}

# judge SERIES: wait for its boot and check the console.
judge() {
	local series=$1 k="linux-$1" log=$work/$1/console.log rc=0
	wait "${boot_pid[$series]}" || rc=$?
	klp_log "$k: boot and scenarios took $(klp_since "${boot_t0[$series]}")s (qemu exit $rc);" \
		"guest clock: $(tr -d '\r' <"$log" | sed -n 's/^\(uptime .*\)$/\1/p' | paste -sd, -)"
	if [[ $rc -eq 124 || $rc -eq 137 ]]; then
		fail "$k: guest finishes" "qemu timed out (see $log)"
	elif ! tr -d '\r' <"$log" | grep -qx '@@KLP done'; then
		fail "$k: guest finishes" "no '@@KLP done' on the console (see $log)"
		tail -n 30 "$log" >&2
	else
		pass "$k: guest runs every scenario and powers off"
	fi
	if klp_console_crashed "$log"; then
		fail "$k: no Oops, BUG, WARNING or panic" "$(grep -m1 -E 'Oops|BUG:|Kernel panic|Call Trace|WARNING: CPU' "$log")"
	else
		pass "$k: no Oops, BUG, WARNING or panic on the console"
	fi

	check "$k" "$log" boot "boots to /init with /sys/kernel/livepatch" \
		ck_boot_for "${krel_of[$series]}"
	check "$k" "$log" vmlinux "vmlinux: klp_cmdline patches /proc/cmdline using saved_command_line, and unloads" \
		ck_vmlinux
	check "$k" "$log" unconverted "unconverted livepatch is refused: Unknown symbol .klp.sym.rela..." \
		ck_unconverted
	check "$k" "$log" unannotated "unannotated livepatch is refused: Unknown symbol saved_command_line" \
		ck_unannotated
	check "$k" "$log" target-first "module: patch loaded after its target uses the target's static data and function" \
		ck_target_first
	check "$k" "$log" patch-first "module: patch loaded before its target is applied when the target loads" \
		ck_patch_first
	case $series in
	6.1)
		check "$k" "$log" target-reload "module: reloading the target under an enabled patch is refused (existing value is nonzero)" \
			ck_reload_refused ;;
	*)
		check "$k" "$log" target-reload "module: target unloaded and reloaded under an enabled patch is patched again" \
			ck_reload_works ;;
	esac
	check "$k" "$log" position "position: sympos 2 reaches pos_value of the second compilation unit" \
		ck_position
	check "$k" "$log" position-ambiguous "position: sympos 0 on a duplicated name is refused (unresolvable ambiguity)" \
		ck_position_ambiguous
	check "$k" "$log" dotted "dotted name: static local hits.0 resolved" \
		ck_dotted
	local c name
	for c in "${predict_cases[@]}"; do
		name=${c%% *}
		[[ -s $work/$series/predict_$name.ktext ]] || continue
		check "$k" "$log" "predict-$name" "--check's $name prediction: the kernel refuses the module with that message" \
			ck_predict "$series" "$name" "$(cat "$work/$series/predict_$name.ktext")"
	done
}

# ck_boot needs the release: curry it.
ck_boot_for() { ck_boot "$2" "$1"; }

series_list=${KLP_KERNELS:-6.1 6.12}
for series in $series_list; do
	build_kernel "$series"
done
for series in $series_list; do
	[[ -n ${boot_pid[$series]:-} ]] && judge "$series"
done

klp_log "kernel suite: ${npass} passed, ${nfail} failed in $(klp_since "$t_start")s"
[[ $nfail -eq 0 ]]
