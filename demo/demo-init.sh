#!/bin/sh
# shellcheck shell=sh
# demo-init.sh - /init of the demo's initramfs (busybox sh, PID 1).
# Shows /proc/cmdline, loads the converted klp_cmdline.ko, shows it again.
# Lines meant for the audience start with "| "; demo.sh prints only those.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
dmesg -n 1

say() { echo "| $*"; }
# cmd CMD...: show a command as typed at a prompt, then its output.
cmd() {
	say "# $*"
	"$@" 2>&1 | sed 's/^/| /'
}

say "Linux $(uname -r) is up (qemu, no KVM)"
cmd cat /proc/cmdline
cmd insmod /klp/klp_cmdline.ko
i=0
while [ "$(cat /sys/kernel/livepatch/klp_cmdline/transition 2>/dev/null)" != 0 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
cmd cat /sys/kernel/livepatch/klp_cmdline/enabled
cmd cat /proc/cmdline
dmesg | grep -E 'livepatch|klp_cmdline' | sed 's/^/| dmesg: /'
echo "@@DEMO done"
poweroff -f
