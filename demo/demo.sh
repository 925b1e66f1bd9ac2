#!/usr/bin/env bash
# demo/demo.sh - klp-convert-mini in two minutes, from source to a patched
# kernel.  `make demo` runs it; on a fresh Debian 12 machine it installs what
# is missing (apt-get update, apt-get install) and fetches Debian's Linux 6.1
# into $KLP_CACHE (kept: the next run starts at once).
#
#   1. the livepatch source: a non-exported vmlinux symbol, with the macro
#   2. the build (kbuild, no conversion yet)
#   3. readelf before: an undefined symbol with an encoded name
#   4. the conversion (klp-convert-mini -v)
#   5. readelf after: a .klp.rela section and an SHN_LIVEPATCH symbol
#   6. Linux 6.1 under qemu: /proc/cmdline before and after insmod
#   7. the mistake it catches: the same patch without the macro
#
# KLP_DEMO_PAUSE=1 waits for Enter between steps (when stdin is a terminal).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KLP_TOPDIR=${KLP_TOPDIR:-$(cd "$here/.." && pwd)}
KLP_CONVERT=${KLP_CONVERT:-$KLP_TOPDIR/klp-convert-mini}
# shellcheck source=../tests/kernel/lib.sh disable=SC1091 # linted on its own
. "$KLP_TOPDIR/tests/kernel/lib.sh"

step=0
# section TITLE: a short numbered header.
section() {
	step=$((step + 1))
	if [[ ${KLP_DEMO_PAUSE:-0} == 1 && -t 0 && $step -gt 1 ]]; then
		read -r -p "$(klp_dimmed '[Enter]')" _
	fi
	printf '\n%s\n' "$(klp_bold "== $step. $1")"
}
# say TEXT: narration.
say() { printf '%s\n' "$(klp_note "$*")"; }
# prompt CMD...: print a command as typed, with the long paths shortened.
prompt() {
	local line="$*"
	line=${line//$KLP_KDIR/\$KDIR}
	line=${line//$KLP_TOPDIR\//}
	line=${line//$work\//}
	printf '%s\n' "$(klp_bold "\$ $line")"
}
# shown CMD...: prompt, then run it.
shown() {
	prompt "$@"
	"$@"
}
# quiet_make: drop kbuild's lines that say nothing here.
quiet_make() {
	sed -e '/^Skipping BTF generation/d' -e '/^make\[[0-9]*\]: \(Entering\|Leaving\)/d' \
		-e "s|$work/||g"
}

t0=$(klp_now)

# ---- 0. what the demo needs ------------------------------------------------
missing=$(klp_missing_packages | tr '\n' ' ')
if [[ -n $missing ]]; then
	say "installing: $missing"
	[[ $(id -u) == 0 ]] || klp_die "run as root to install: $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086 # a list of package names
	apt-get install -y -qq --no-install-recommends $missing
fi
[[ -x $KLP_CONVERT ]] || make -C "$KLP_TOPDIR" -s klp-convert-mini
say "fetching Debian's Linux 6.1 (cached in $KLP_CACHE)"
klp_fetch_kernel 6.1 || klp_die "cannot fetch the Linux 6.1 packages"
work=$(mktemp -d "${TMPDIR:-/tmp}/klp-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$KLP_TOPDIR/samples/klp-cmdline" "$KLP_TOPDIR/samples/klp-unannotated" "$work/"
cd "$work"
mk=(KLP_MK="$KLP_TOPDIR/klp-convert-mini.mk" KLP_CONVERT="$KLP_CONVERT")

# ---- 1. source ---------------------------------------------------------------
section "A livepatch for /proc/cmdline (samples/klp-cmdline)"
say "It needs saved_command_line, which vmlinux does not export:"
shown grep -cw saved_command_line "$KLP_KDIR/Module.symvers" || true
say "so it names the symbol with KLP_RELOC_SYMBOL() from klp_reloc.h:"
sed -n '/^#include "klp_reloc.h"/,/^}/p' klp-cmdline/klp_cmdline.c | grep -v '^ \*\|^/\*'

# ---- 2. build ------------------------------------------------------------------
section "Build (kbuild only: the klp-build target of klp-convert-mini.mk)"
shown cat klp-cmdline/Makefile
shown make --no-print-directory -C klp-cmdline KDIR="$KLP_KDIR" "${mk[@]}" klp-build 2>&1 | quiet_make

# ---- 3. before -----------------------------------------------------------------
section "Before: an undefined symbol whose name says where to find it"
shown readelf -sW klp-cmdline/klp_cmdline.ko | grep -E '^ +Num:|\.klp\.'
shown readelf -rW klp-cmdline/klp_cmdline.ko |
	awk '/^Relocation section/ { sec = $0 } /\.klp\./ { if (sec) print sec; sec = ""; print }'
say "The module loader would refuse this: \"Unknown symbol .klp.sym.rela...\"."

# ---- 4. convert ----------------------------------------------------------------
section "Convert (what 'make' runs after the link)"
shown "$KLP_CONVERT" -v --symvers "$KLP_KDIR/Module.symvers" klp-cmdline/klp_cmdline.ko

# ---- 5. after ------------------------------------------------------------------
section "After: a klp relocation section and a livepatch symbol"
shown readelf -SW klp-cmdline/klp_cmdline.ko | grep -E '^ +\[Nr\]|\.klp\.'
shown readelf -rW klp-cmdline/klp_cmdline.ko |
	awk '/^Relocation section/ { on = /\.klp\.rela\./ } on && NF'
shown readelf -sW klp-cmdline/klp_cmdline.ko | grep -E '^ +Num:|\.klp\.'
say "Section flag o = SHF_RELA_LIVEPATCH; symbol index 0xff20 = SHN_LIVEPATCH"
say "(readelf shows it as 'OS [0xff20]' or 'LOOS+0x20', depending on its version)."

# ---- 6. boot ---------------------------------------------------------------------
section "Linux $KLP_KREL under qemu: load the patch"
klp_make_initramfs "$work/initramfs.cpio.gz" "$here/demo-init.sh" klp-cmdline/klp_cmdline.ko
tb=$(klp_now)
rc=0
klp_boot "$KLP_VMLINUZ" "$work/initramfs.cpio.gz" - 120 >"$work/console.log" || rc=$?
tr -d '\r' <"$work/console.log" | sed -n 's/^| //p'
say "(boot and run: $(klp_since "$tb")s)"
if [[ $rc -ne 0 ]] || ! grep -q '@@DEMO done' "$work/console.log" || klp_console_crashed "$work/console.log"; then
	klp_die "the guest did not finish cleanly (qemu exit $rc); console: $(tail -n 20 "$work/console.log")"
fi

# ---- 7. the mistake --------------------------------------------------------------
section "The same patch without the macro (samples/klp-unannotated)"
say "saved_command_line comes from the plain declaration in <linux/init.h>:"
shown grep -n KBUILD_MODNAME klp-unannotated/klp_unannotated.c
rc=0
prompt make --no-print-directory -C klp-unannotated KDIR="$KLP_KDIR" "${mk[@]}"
make --no-print-directory -C klp-unannotated KDIR="$KLP_KDIR" "${mk[@]}" >"$work/unannotated.log" 2>&1 || rc=$?
quiet_make <"$work/unannotated.log"
demo_ok=1
if [[ $rc -eq 0 ]]; then
	say "(unexpected: the build succeeded; the kernel would refuse this module with \"Unknown symbol saved_command_line\")"
	demo_ok=0
else
	say "modpost only warns (the fragment sets KBUILD_MODPOST_WARN=1 for the annotated"
	say "symbols); klp-convert-mini --symvers fails the build before anyone loads the module."
fi

printf '\n%s\n' "$(klp_bold "Done in $(klp_since "$t0")s.")"
[[ $demo_ok == 1 ]] || klp_die "step 7 did not fail the build as it should"
