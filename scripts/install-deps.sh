#!/usr/bin/env bash
# install-deps.sh - install the Debian packages a make target needs, if missing.
#
#   scripts/install-deps.sh GROUP...     GROUP: build test cross kernel bench fuzz
#
# Does nothing for packages already installed.  Set KLP_NO_INSTALL=1 to only
# report what is missing (exit 1 if anything is).
set -euo pipefail

declare -A pkgs=(
	[build]="gcc make pkg-config libelf-dev"
	[test]="binutils elfutils clang lld libclang-rt-14-dev valgrind shellcheck strace e2fsprogs btrfs-progs xfsprogs"
	[cross]="gcc-aarch64-linux-gnu gcc-s390x-linux-gnu gcc-powerpc64le-linux-gnu gcc-riscv64-linux-gnu"
	[kernel]="qemu-system-x86 busybox-static cpio kmod dwarves xz-utils zstd gcc-12 make libelf-dev"
	[bench]="time binutils elfutils"
	[fuzz]="clang libclang-rt-14-dev"
	[lint]="cppcheck clang-tidy shellcheck"
)

want=()
for group in "$@"; do
	[[ -n ${pkgs[$group]+x} ]] || { echo "install-deps: unknown group '$group'" >&2; exit 2; }
	for p in ${pkgs[$group]}; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || want+=("$p")
	done
done
((${#want[@]})) || exit 0

# Deduplicate, keeping order.
mapfile -t want < <(printf '%s\n' "${want[@]}" | awk '!seen[$0]++')
if [[ ${KLP_NO_INSTALL:-0} == 1 ]]; then
	echo "install-deps: missing: ${want[*]} (KLP_NO_INSTALL=1)" >&2
	exit 1
fi
if [[ $(id -u) != 0 ]]; then
	sudo=sudo
	command -v sudo >/dev/null || { echo "install-deps: need root to install: ${want[*]}" >&2; exit 1; }
else
	sudo=
fi
echo "install-deps: installing ${want[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >&2
