# shellcheck shell=bash
# lib.sh - shared kernel machinery for tests/kernel/run.sh and demo/demo.sh:
# fetch a Debian kernel + headers, build modules against it, pack a busybox
# initramfs, boot it under qemu (TCG) and read back the serial console.
#
# Source it; it defines functions and a few variables and runs nothing.
#
#   klp_fetch_kernel SERIES    SERIES is 6.1 or 6.12.  Picks the newest ABI that
#                              apt knows, downloads image + headers + common +
#                              kbuild with `apt-get download`, unpacks them with
#                              dpkg -x under $KLP_CACHE (never installs them) and
#                              sets KLP_KREL, KLP_KDIR, KLP_VMLINUZ.
#   klp_make_initramfs OUT INIT FILE...
#                              newc+gzip cpio: static busybox, INIT as /init,
#                              each FILE under /klp/.
#   klp_boot VMLINUZ INITRD LOG [TIMEOUT]
#                              boot under qemu-system-x86_64 -accel tcg, console
#                              on ttyS0 into LOG (- for stdout); returns
#                              qemu's/timeout's status (124: timed out).
#   klp_console_crashed LOG    true if LOG shows an Oops, BUG, panic or trace.
#   klp_build_sample DIR KDIR [MAKE ARGS...]
#                              build one sample as a user would: its own
#                              Makefile, with KLP_MK pointing at this tree's
#                              klp-convert-mini.mk and KLP_CONVERT at the tool.

KLP_CACHE=${KLP_CACHE:-/var/cache/klp-convert-mini}

# Colour only for a terminal.
if [[ -t 1 ]]; then
	klp_c_bold=$'\e[1m' klp_c_dim=$'\e[2m' klp_c_red=$'\e[31m' klp_c_cyan=$'\e[36m' klp_c_off=$'\e[0m'
else
	klp_c_bold='' klp_c_dim='' klp_c_red='' klp_c_cyan='' klp_c_off=''
fi

# klp_bold TEXT, klp_dimmed TEXT, klp_note TEXT: TEXT styled (on a
# terminal), no newline.
klp_bold() { printf '%s%s%s' "$klp_c_bold" "$*" "$klp_c_off"; }
klp_dimmed() { printf '%s%s%s' "$klp_c_dim" "$*" "$klp_c_off"; }
klp_note() { printf '%s%s%s' "$klp_c_cyan" "$*" "$klp_c_off"; }

klp_log() { printf '%s%s%s\n' "$klp_c_dim" "$*" "$klp_c_off" >&2; }
klp_die() { printf '%serror:%s %s\n' "$klp_c_red" "$klp_c_off" "$*" >&2; exit 1; }

# klp_now: seconds since the epoch with a fraction, for timings.
klp_now() { date +%s.%N; }
# klp_since T0: seconds elapsed since T0, one decimal.
klp_since() { awk -v a="$1" -v b="$(klp_now)" 'BEGIN { printf "%.1f", b - a }'; }

# The host tools this file needs, by the Debian package that ships them.
# gcc-12 is the compiler Debian built both kernels with; 6.12's module build
# runs pahole (dwarves); binutils for readelf/nm.
KLP_HOST_PACKAGES=(qemu-system-x86 busybox-static cpio gzip xz-utils
	gcc-12 make libelf-dev dwarves binutils)

# klp_missing_packages: print the KLP_HOST_PACKAGES that are not installed.
klp_missing_packages() {
	local p
	for p in "${KLP_HOST_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

# klp_apt_updated: run `apt-get update` once per process.
klp_apt_updated=0
klp_apt_update() {
	[[ $klp_apt_updated == 1 ]] && return 0
	klp_log "apt-get update"
	apt-get update -qq >&2 || return 1
	klp_apt_updated=1
}

# klp_newest_image SERIES: name of the newest linux-image package of SERIES
# in apt's lists (6.1 -> linux-image-6.1.0-NN-amd64,
# 6.12 -> linux-image-6.12.NNN+deb12-amd64).  Only the newest ABI stays on the
# mirror, so the number is never hard-coded.
klp_newest_image() {
	local re
	case $1 in
	6.1) re='^linux-image-6\.1\.0-[0-9]+-amd64$' ;;
	6.12) re='^linux-image-6\.12\.[0-9]+\+deb12-amd64$' ;;
	*) klp_die "unknown kernel series '$1' (6.1 or 6.12)" ;;
	esac
	apt-cache pkgnames linux-image-"$1" 2>/dev/null | grep -E "$re" | sort -V | tail -n 1
}

# klp_kernel_debs IMAGE: the packages to download for IMAGE, as name=version:
# the image, its headers, and the headers' -common and kbuild dependencies.
klp_kernel_debs() {
	local image=$1 krel headers version dep
	krel=${image#linux-image-}
	headers=linux-headers-$krel
	version=$(apt-cache show "$image" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1)
	[[ -n $version ]] || return 1
	echo "$image=$version"
	echo "$headers=$version"
	# Depends: linux-headers-X-common (= V), linux-kbuild-6.1 (>= V), ...
	apt-cache show "$headers=$version" 2>/dev/null | sed -n 's/^Depends: //p' | head -n 1 |
		tr ',' '\n' | sed 's/^ *//' |
		while read -r dep; do
			case $dep in
			linux-headers-*-common* | linux-kbuild-*)
				echo "${dep%% *}=$version" ;;
			esac
		done
}

# klp_unpack_kernel DEBDIR ROOT: unpack the downloaded debs under ROOT.
# Headers, common and kbuild whole (their relative symlinks need the
# usr/src + usr/lib layout); of the image only /boot, which holds vmlinuz.
# None of the image's modules (.ko, .ko.xz on 6.12) is needed: the serial
# console, initramfs support and livepatch are built into both kernels.
klp_unpack_kernel() {
	local debdir=$1 root=$2 deb
	mkdir -p "$root"
	for deb in "$debdir"/*.deb; do
		case ${deb##*/} in
		linux-image-*)
			dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" ./boot ;;
		*)
			dpkg -x "$deb" "$root" ;;
		esac
	done
}

# klp_fix_headers KDIR ROOT: the headers' Makefile includes the -common tree
# by its absolute installed path (/usr/src/...); point it at ROOT's copy.
klp_fix_headers() {
	local kdir=$1 root=$2
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$kdir/Makefile"
	grep -q "^include $root/usr/src/" "$kdir/Makefile" ||
		klp_die "$kdir/Makefile: cannot find the include of the -common tree"
}

# klp_fetch_kernel SERIES: see the file header.  A release that is already
# unpacked is reused; when apt cannot be reached, the newest unpacked release
# of SERIES in the cache is used.  A lock keeps concurrent runs (tests and
# demo) from unpacking into the same place.
klp_fetch_kernel() {
	local fd rc=0
	mkdir -p "$KLP_CACHE"
	exec {fd}>>"$KLP_CACHE/.lock"
	flock "$fd"
	klp_fetch_kernel_locked "$1" || rc=$?
	exec {fd}>&-
	return "$rc"
}

klp_fetch_kernel_locked() {
	local series=$1 image krel dir debs t0 old
	image=$(klp_newest_image "$series")
	if [[ -z $image ]]; then
		klp_apt_update || true
		image=$(klp_newest_image "$series")
	fi
	if [[ -z $image ]]; then
		# No apt lists: fall back to the cache.
		krel=$(find "$KLP_CACHE" -maxdepth 2 -name .complete -path "*/${series}[.-]*" 2>/dev/null |
			sed 's|/.complete$||; s|.*/||' | sort -V | tail -n 1)
		[[ -n $krel ]] || { klp_log "no linux-image-$series package in apt's lists"; return 1; }
		klp_log "apt knows no $series kernel; using cached $krel"
	else
		krel=${image#linux-image-}
	fi
	dir=$KLP_CACHE/$krel
	if [[ ! -e $dir/.complete ]]; then
		t0=$(klp_now)
		rm -rf "$dir"
		mkdir -p "$dir/debs"
		mapfile -t debs < <(klp_kernel_debs "$image")
		if [[ ${#debs[@]} -lt 4 ]]; then
			klp_log "cannot work out the packages of $image (got: ${debs[*]:-none})"
			return 1
		fi
		klp_log "downloading ${debs[*]}"
		if ! (cd "$dir/debs" && apt-get download -q -o APT::Sandbox::User=root "${debs[@]}" >&2); then
			# Stale lists name an ABI the mirror no longer has.
			klp_apt_update || return 1
			image=$(klp_newest_image "$series")
			[[ -n $image && ${image#linux-image-} != "$krel" ]] || return 1
			rm -rf "$dir"
			klp_fetch_kernel_locked "$series"
			return
		fi
		KLP_TIME_DOWNLOAD=$(klp_since "$t0")
		t0=$(klp_now)
		klp_unpack_kernel "$dir/debs" "$dir/root"
		klp_fix_headers "$dir/root/usr/src/linux-headers-$krel" "$dir/root"
		rm -rf "$dir/debs"
		KLP_TIME_UNPACK=$(klp_since "$t0")
		touch "$dir/.complete"
		klp_log "$krel: download ${KLP_TIME_DOWNLOAD}s, unpack ${KLP_TIME_UNPACK}s"
		# The mirror keeps only the newest ABI: older ones of SERIES go too.
		for old in "$KLP_CACHE/${series}".[0-9]*; do
			[[ -d $old && $old != "$dir" ]] || continue
			case ${old##*/} in
			6.1.0-* | 6.12.*) klp_log "removing old $old"; rm -rf "$old" ;;
			esac
		done
	fi
	# shellcheck disable=SC2034 # for the caller
	KLP_KREL=$krel
	KLP_KDIR=$dir/root/usr/src/linux-headers-$krel
	KLP_VMLINUZ=$dir/root/boot/vmlinuz-$krel
	[[ -f $KLP_VMLINUZ && -f $KLP_KDIR/Module.symvers ]] ||
		{ klp_log "$dir is incomplete"; return 1; }
}

# klp_make_initramfs OUT INIT FILE...: see the file header.
klp_make_initramfs() {
	local out=$1 init=$2 tree busybox
	shift 2
	busybox=$(command -v busybox) || klp_die "busybox not found (package busybox-static)"
	# A dynamic executable names its interpreter; the initramfs has no libc.
	! readelf -lW "$busybox" 2>/dev/null | grep -q 'Requesting program interpreter' ||
		klp_die "$busybox is not statically linked (install busybox-static)"
	tree=$(mktemp -d)
	mkdir -p "$tree"/{bin,dev,proc,sys,tmp,klp}
	cp "$busybox" "$tree/bin/busybox"
	ln -s busybox "$tree/bin/sh"
	install -m 0755 "$init" "$tree/init"
	[[ $# -gt 0 ]] && cp "$@" "$tree/klp/"
	(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$out"
	rm -rf "$tree"
}

# klp_boot VMLINUZ INITRD LOG [TIMEOUT]: see the file header.  TCG only:
# /dev/kvm may exist but is not usable here.  -no-reboot turns the reboot
# after a panic (panic=-1, oops=panic) into an exit.
klp_boot() {
	local kernel=$1 initrd=$2 log=$3 limit=${4:-180} out=/dev/stdout
	local -a qemu
	command -v qemu-system-x86_64 >/dev/null || klp_die "qemu-system-x86_64 not found (package qemu-system-x86)"
	qemu=(qemu-system-x86_64 -accel tcg -m 512 -smp 1
		-no-reboot -monitor none -serial stdio -nic none -display none
		-kernel "$kernel" -initrd "$initrd"
		-append "console=ttyS0 panic=-1 oops=panic quiet loglevel=4 rdinit=/init")
	# LOG "-": the console goes to stdout.
	[[ $log == - ]] || out=$log
	timeout -k 5 "$limit" "${qemu[@]}" </dev/null 2>/dev/null >"$out"
}

# klp_console_crashed LOG: the kernel crashed or warned somewhere in LOG.
klp_console_crashed() {
	grep -Eq 'Oops|BUG:|Kernel panic|Call Trace|WARNING: CPU' "$1"
}

# klp_build_sample DIR KDIR [MAKE ARGS...]: see the file header.  Needs
# KLP_TOPDIR and KLP_CONVERT.
klp_build_sample() {
	local dir=$1 kdir=$2
	shift 2
	make -C "$dir" KDIR="$kdir" KLP_MK="$KLP_TOPDIR/klp-convert-mini.mk" \
		KLP_CONVERT="$KLP_CONVERT" "$@"
}
