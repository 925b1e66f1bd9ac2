#!/bin/sh
# shellcheck shell=sh
# guest-init.sh - /init of the test initramfs (busybox sh, PID 1).
#
# Runs every kernel scenario in one boot and prints what happened between
# markers on the serial console; run.sh on the host reads the console and
# decides PASS or FAIL.  Each scenario is
#
#	@@KLP begin NAME
#	$ command            (each command, then its output and "rc=N")
#	dmesg: ...           (the kernel's messages during the scenario)
#	@@KLP end NAME
#
# The modules are in /klp.  It never asserts itself: it shows.

export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev 2>/dev/null
# Kernel messages reach the console only through `end` (dmesg), so they never
# split a line of ours.  An Oops or panic still prints: both raise the
# console level themselves.
dmesg -n 1

LP=/sys/kernel/livepatch

begin() {
	dmesg -c >/dev/null
	echo "@@KLP begin $1"
}

end() {
	dmesg -c | sed 's/^/dmesg: /'
	echo "@@KLP end $1"
}

# run CMD...: show the command, its output and its exit status.
run() {
	echo "\$ $*"
	"$@" 2>&1
	echo "rc=$?"
}

# show FILE: print FILE's content after its name.
show() {
	if [ -e "$1" ]; then
		echo "$1: $(cat "$1")"
	else
		echo "$1: (absent)"
	fi
}

# settle NAME: wait (up to 30 s) until patch NAME's transition is over.
settle() {
	i=0
	while [ -d "$LP/$1" ] && [ "$(cat "$LP/$1/transition")" != 0 ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "settled $1: transition=$(cat "$LP/$1/transition" 2>/dev/null || echo absent) after $((i / 10)).$((i % 10))s"
}

# unpatch NAME: disable patch NAME, wait until the kernel frees it, unload.
unpatch() {
	if [ -d "$LP/$1" ]; then
		echo 0 >"$LP/$1/enabled"
		i=0
		while [ -d "$LP/$1" ] && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	run rmmod "$1"
}

begin boot
echo "kernel $(uname -r)"
echo "uptime at /init: $(cut -d' ' -f1 /proc/uptime)s"
show /proc/cmdline
run ls $LP
end boot

# --- vmlinux: /proc/cmdline through saved_command_line ---------------------
begin vmlinux
show /proc/cmdline
run insmod /klp/klp_cmdline.ko
settle klp_cmdline
show $LP/klp_cmdline/enabled
show /proc/cmdline
unpatch klp_cmdline
show /proc/cmdline
end vmlinux

# --- the module loader refuses what was not converted ----------------------
begin unconverted
run insmod /klp/klp_cmdline.unconverted.ko
show /proc/cmdline
end unconverted

begin unannotated
run insmod /klp/klp_unannotated.ko
show /proc/cmdline
end unannotated

# --- module-specific: target loaded first ----------------------------------
begin target-first
run insmod /klp/klp_target.ko
show /sys/module/klp_target/parameters/state
run insmod /klp/klp_target_patch.ko
settle klp_target_patch
show $LP/klp_target_patch/enabled
show /sys/module/klp_target/parameters/state
unpatch klp_target_patch
show /sys/module/klp_target/parameters/state
run rmmod klp_target
end target-first

# --- module-specific: livepatch first, the target later --------------------
begin patch-first
run insmod /klp/klp_target_patch.ko
settle klp_target_patch
show $LP/klp_target_patch/enabled
run insmod /klp/klp_target.ko
settle klp_target_patch
show /sys/module/klp_target/parameters/state
end patch-first

# --- module-specific: the target goes away and comes back ------------------
begin target-reload
run rmmod klp_target
run insmod /klp/klp_target.ko
settle klp_target_patch
show $LP/klp_target_patch/enabled
show /sys/module/klp_target/parameters/state
end target-reload
[ -d /sys/module/klp_target ] && rmmod klp_target
unpatch klp_target_patch >/dev/null

# --- position: the second of two same-named statics -------------------------
begin position
run insmod /klp/klp_pos_target.ko
show /sys/module/klp_pos_target/parameters/report
run insmod /klp/klp_pos_patch.ko
settle klp_pos_patch
show $LP/klp_pos_patch/enabled
show /sys/module/klp_pos_target/parameters/report
unpatch klp_pos_patch
end position

begin position-ambiguous
run insmod /klp/klp_pos_ambig.ko
show $LP/klp_pos_ambig/enabled
show /sys/module/klp_pos_target/parameters/report
run rmmod klp_pos_target
end position-ambiguous

# --- a symbol with a dot in its name ----------------------------------------
begin dotted
run insmod /klp/klp_dot_target.ko
show /sys/module/klp_dot_target/parameters/hits
show /sys/module/klp_dot_target/parameters/hits
run insmod /klp/klp_dot_patch.ko
settle klp_dot_patch
show $LP/klp_dot_patch/enabled
show /sys/module/klp_dot_target/parameters/hits
unpatch klp_dot_patch
run rmmod klp_dot_target
end dotted

# --- --check's predictions: each hand-broken module is refused ------------
# (mod_*: a module-specific patch, its target loaded first)
for ko in /klp/predict_*.ko; do
	[ -e "$ko" ] || continue
	n=${ko#/klp/predict_}
	n=${n%.ko}
	begin "predict-$n"
	case $n in mod_*) run insmod /klp/klp_target.ko ;; esac
	run insmod "$ko"
	end "predict-$n"
	# One the kernel took after all must not spoil the next case.
	unpatch klp_cmdline >/dev/null 2>&1
	unpatch klp_target_patch >/dev/null 2>&1
	rmmod klp_target 2>/dev/null
done

begin final
echo "uptime at the end: $(cut -d' ' -f1 /proc/uptime)s"
show /proc/sys/kernel/tainted
run lsmod
end final

echo "@@KLP done"
poweroff -f
