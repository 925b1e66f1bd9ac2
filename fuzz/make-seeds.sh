#!/bin/bash
# make-seeds.sh - build the seed corpora of the fuzzers from C sources.
#
#   fuzz/make-seeds.sh OUTDIR [TOOL]
#
# OUTDIR/convert/: the modules of fuzz/seeds/*.c, compiled with `cc -c` and
# linked with `ld -r` for x86_64 and, where the cross compilers are
# installed, aarch64, s390x, powerpc64le and riscv64, with flags close
# enough to kbuild's that the relocation types are ones the kernel's
# loaders accept.  With TOOL (klp-convert-mini), the converted result of
# each is added too, so the fuzzer starts from both sides of the tool.
# Two small modules from bench/gen-klp-object.c join them, as written and
# as ld -r links them again.
# OUTDIR/name/: symbol names for fuzz-name, valid and invalid, and every
# prefixed name found in the seed modules.
#
# Nothing here is committed: the corpus is rebuilt by `make -C fuzz seeds`.
set -u
LC_ALL=C
export LC_ALL

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 OUTDIR [TOOL]" >&2
	exit 2
fi
out=$1
tool=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
mkdir -p "$out/convert" "$out/name" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/klp-seeds.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

common="-O2 -fno-asynchronous-unwind-tables -fno-stack-protector -fno-common"
# arch  compiler-prefix  flags
arches="
x86_64	-	-fno-pic -fno-pie -mcmodel=kernel -mno-red-zone
aarch64	aarch64-linux-gnu-	-fno-pic -fno-pie -mgeneral-regs-only
s390x	s390x-linux-gnu-	-fPIC -fno-optimize-sibling-calls
ppc64le	powerpc64le-linux-gnu-	-mcmodel=medium -mprofile-kernel -fno-pie
riscv64	riscv64-linux-gnu-	-fno-pic -fno-pie -mcmodel=medany -mno-relax
"

built=0
while IFS=$'\t' read -r arch prefix flags; do
	[ -n "$arch" ] || continue
	[ "$prefix" = - ] && prefix=
	if [ -z "$prefix" ] && [ "$(uname -m)" != "$arch" ]; then
		continue
	fi
	cc=${prefix}gcc
	ld=${prefix}ld
	[ -z "$prefix" ] && cc=${CC:-cc} && ld=${LD:-ld}
	if ! command -v "$cc" >/dev/null || ! command -v "$ld" >/dev/null; then
		echo "make-seeds: no $cc, no $arch seeds" >&2
		continue
	fi
	for src in "$here"/seeds/*.c; do
		name=$(basename "$src" .c)
		ko=$out/convert/$arch-$name.ko
		# shellcheck disable=SC2086 # flag lists
		if ! "$cc" -c $common $flags -I"$top" -o "$tmp/$name.o" "$src" ||
		   ! "$ld" -r -o "$ko" "$tmp/$name.o"; then
			echo "make-seeds: cannot build $arch $name" >&2
			continue
		fi
		built=$((built + 1))
		if [ -n "$tool" ]; then
			if "$tool" -q -o "$out/convert/$arch-$name.converted.ko" "$ko" 2>/dev/null; then
				built=$((built + 1))
			else
				echo "make-seeds: note: $arch-$name is refused by the tool" >&2
			fi
		fi
	done
done <<<"$arches"

# The bench's generated modules, small: the layout gen-klp-object writes
# (relocation sections beside their targets, in offset order) and, linked
# again with ld -r, GNU ld's (relocation sections after .strtab, which the
# straight path sorts by offset).
gen=$tmp/gen-klp-object
if [ "$(uname -m)" = x86_64 ] &&
	${CC:-cc} -std=c11 -O2 -o "$gen" "$top/bench/gen-klp-object.c" 2>/dev/null; then
	# name  -F -R -K -O -U -D
	while read -r name f r k o u dbg; do
		ko=$out/convert/gen-$name.ko
		relinked=$out/convert/gen-$name.ld-r.ko
		"$gen" -q -F "$f" -R "$r" -K "$k" -O "$o" -U "$u" -D "$dbg" \
			-o "$ko" </dev/null || continue
		built=$((built + 1))
		${LD:-ld} -r -o "$relinked" "$ko" </dev/null 2>/dev/null || relinked=
		for m in "$ko" $relinked; do
			[ "$m" = "$ko" ] || built=$((built + 1))
			if [ -n "$tool" ] && "$tool" -q -o "${m%.ko}.converted.ko" \
				"$m" </dev/null 2>/dev/null; then
				built=$((built + 1))
			fi
		done
	done <<'GEN'
tiny	1 3 2 2 1 0
small	3 6 5 3 2 4
GEN
else
	echo "make-seeds: no generated seeds (x86_64 and gen-klp-object only)" >&2
fi

# Names: every prefixed symbol of the seeds, and hand-picked corners.
n=0
for ko in "$out"/convert/*.ko; do
	[ -e "$ko" ] || continue
	nm "$ko" 2>/dev/null | sed -n 's/^ *U \(\.klp\.sym\.rela\..*\)$/\1/p'
done | sort -u | while IFS= read -r sym; do
	n=$((n + 1))
	printf '%s' "$sym" >"$out/name/seed-$n"
done
i=0
while IFS= read -r sym; do
	i=$((i + 1))
	printf '%s' "$sym" >"$out/name/corner-$i"
done <<'NAMES'
.klp.sym.rela.vmlinux.vmlinux.foo.0
.klp.sym.rela.vmlinux.vmlinux.foo,0
.klp.sym.rela.mod.mod.foo.isra.0.12
.klp.sym.rela.mod.mod.foo.isra.0,12
.klp.sym.rela.vmlinux.mod.bar.3
.klp.sym.rela.a.b.c.18446744073709551615
.klp.sym.rela.a.b.c.18446744073709551616
.klp.sym.rela..b.c.0
.klp.sym.rela.a..c.0
.klp.sym.rela.a.b..0
.klp.sym.rela.a.b.c.
.klp.sym.rela.a.b.c.x
.klp.sym.rela.a-b.c.d.0
.klp.sym.rela.a.b.c,d.0
.klp.sym.rela.a.b.c
.klp.sym.rela.
.klp.sym.a.b,0
NAMES
echo "make-seeds: $built modules in $out/convert, $(find "$out/name" -type f | wc -l) names in $out/name"
[ "$built" -gt 0 ]
