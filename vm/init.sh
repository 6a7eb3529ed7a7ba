#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# kchan VM guest init: PID 1 inside the initramfs built by vm/run.mjs.
#
# Consoles: the kernel logs to ttyS1 (the host saves it); this script and the
# command use ttyS0 (the host streams it); on arm64 ttyAMA0 and hvc0. Lines
# starting with "kchan-vm:" are the harness's own; the host hides them in
# `exec` mode.
#
# Shares: "hostroot" = host / (read-only 9p), "results" = a per-run host
# directory (read-write 9p) holding job.sh (written by the host) and, after the
# run, exitcode, taint, dmesg.txt and whatever the command wrote there.
#
# The command runs chrooted into an overlay of the host root (lower = 9p,
# upper = tmpfs), so it sees the host tree at the same paths and can write
# anywhere (vite caches, node_modules/.vite, ...); writes vanish at power-off.
# On arm64 an arm64 Debian root (kchan.lower, the 9p share "lower") lies
# above the host root, so the programs the command runs are arm64 ones.

/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

# kchan.tty: the console of init and the command (arm64: hvc0, a virtio
# console). kchan.lower: an arm64 userland (9p "lower") laid over the host root.
MODE=batch
TTY=ttyS0
LOWER=
STALL=
for arg in $(cat /proc/cmdline); do
	case $arg in
	kchan.mode=*) MODE=${arg#kchan.mode=} ;;
	kchan.stall=*) STALL=${arg#kchan.stall=} ;;
	kchan.tty=*) TTY=${arg#kchan.tty=} ;;
	kchan.lower=*) LOWER=${arg#kchan.lower=} ;;
	esac
done

# The boot modules first (until the console is ours, failures reach the
# kernel console): on arm64 the console itself is one of them.
for m in $(cat /mod/boot.order); do
	insmod "/mod/boot/$m.ko" || echo "kchan-vm: insmod $m failed"
done
# A virtio console port appears shortly after its driver loads, and its
# node may exist a moment before it opens (ENODEV: seen on arm64 with a
# 1.3 s boot): wait until it opens. (In a subshell: a failed redirection of
# a special builtin such as ':' ends the shell itself, and we are PID 1.)
i=0
while ! (: </dev/$TTY) 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
exec </dev/$TTY >/dev/$TTY 2>&1

say() { echo "kchan-vm: $*"; }

[ "$MODE" = shell ] || stty -onlcr 2>/dev/null

# Report rc to the host three ways (exitcode file, console marker,
# isa-debug-exit, x86 only) and power off. qemu exits with (rc << 1) | 1.
finish() {
	rc=$1
	if [ -n "$HAVE_RESULTS" ]; then
		echo "$rc" >/results/exitcode
		sync
	fi
	echo "KCHAN-VM-RESULT: rc=$rc"
	[ "$rc" -gt 127 ] && rc=127
	[ -c /dev/port ] && printf "\\$(printf %o "$rc")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	poweroff -f
}

say "kernel $(uname -r) $(uname -m), $(nproc) cpus, mode $MODE"

# One line per user thread: pid/tid, state, CPU ticks (user+system), wchan,
# name; then the kernel stack of each thread that is in D state or inside
# kchan. Succeeds if one was found.
dump_tasks() {
	dump_rc=1 # no thread in the kernel (yet)
	for t in /proc/[0-9]*/task/[0-9]*; do
		# Kernel threads have no executable.
		[ -e "${t%/task/*}/exe" ] || continue
		stat=$(cat "$t/stat" 2>/dev/null) || continue
		# comm may hold spaces: take the fields after the last ')'.
		rest=${stat##*) }
		set -- $rest
		st=$1
		ticks=$((${12} + ${13}))
		tid=${t##*/}
		pid=${t%/task/*}
		pid=${pid#/proc/}
		wchan=$(cat "$t/wchan" 2>/dev/null)
		echo "kchan-vm: task $pid/$tid $st ticks=$ticks wchan=${wchan:-0} $(cat "$t/comm" 2>/dev/null)"
		stack=$(cat "$t/stack" 2>/dev/null)
		case "$st $stack" in
		D*|*kchan*)
			dump_rc=0
			echo "$stack" | sed 's/^/kchan-vm:     /'
			;;
		esac
	done
	return $dump_rc
}

# kchan.stall=S: when the command prints nothing for S seconds, show every
# user thread twice, 5 s apart (ticks that grow: spinning in user space;
# a D state or a kchan frame: stuck in the kernel), then kill the command.
# /results/stall says so to the host.
watchdog() {
	last=-1
	still=0
	while sleep 10; do
		size=$(wc -c </tmp/cmd.out)
		if [ "$size" != "$last" ]; then
			last=$size
			still=0
			continue
		fi
		still=$((still + 10))
		[ "$still" -ge "$STALL" ] || continue
		say "stall: the command printed nothing for $still s; its threads:"
		k=0
		dump_tasks && k=1
		sleep 5
		say "stall: 5 s later:"
		dump_tasks && k=1
		echo "seconds=$still kernel=$k" >/results/stall
		say "stall: killing the command"
		kill -KILL -1
		return
	done
}

mount -t 9p -o trans=virtio,version=9p2000.L,rw,msize=512000 results /results &&
	HAVE_RESULTS=1 || { say "FATAL: cannot mount the results share"; finish 100; }
[ -f /results/job.sh ] || { say "FATAL: no job.sh in the results share"; finish 100; }

TAINT_BOOT=$(cat /proc/sys/kernel/tainted)
MODFAIL=
for m in $(cat /mod/kchan.order); do
	if ! insmod "/mod/kchan/$m.ko"; then
		say "insmod $m.ko failed"
		MODFAIL="$MODFAIL $m"
	fi
done
echo "${MODFAIL# }" >/results/modfail
TAINT_LOADED=$(cat /proc/sys/kernel/tainted)

mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /host ||
	{ say "FATAL: cannot mount the host root"; finish 100; }
mount -t tmpfs -o mode=0755 rw /rw
mkdir -p /rw/upper /rw/work
OVERLAY=1
LOWERDIRS=/host
if [ -n "$LOWER" ]; then
	mkdir -p /lower
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose lower /lower ||
		{ say "FATAL: cannot mount the arm64 userland"; finish 100; }
	LOWERDIRS=/lower:/host
fi
if ! mount -t overlay -o lowerdir=$LOWERDIRS,upperdir=/rw/upper,workdir=/rw/work overlay /newroot; then
	say "overlay mount failed, falling back to a read-only root with tmpfs /tmp"
	OVERLAY=0
	mount --bind /host /newroot
fi
R=/newroot
mount -t proc proc $R/proc
mount -t sysfs sys $R/sys
mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs -o mode=1777 shm $R/dev/shm
# With the overlay, /tmp is already writable (writes land in tmpfs) and the
# host's /tmp stays visible, so a checkout under /tmp (a CI clone) works.
# The read-only fallback needs a tmpfs there, which hides the host's /tmp.
[ $OVERLAY = 1 ] || mount -t tmpfs -o mode=1777 tmp $R/tmp
mount -t tmpfs -o mode=0755 run $R/run
mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null
mkdir -p $R/run/kchan-vm/results $R/run/kchan-vm/modules
mount --bind /results $R/run/kchan-vm/results
cp /mod/kchan/*.ko /mod/extra/*.ko $R/run/kchan-vm/modules/ 2>/dev/null
# A kernel whose modules the host does not have (the debug kernel): install
# the shipped extra modules (dummy) into the overlay so `modprobe dummy` works.
KVER=$(uname -r)
if [ $OVERLAY = 1 ] && [ ! -e $R/lib/modules/$KVER/modules.dep ]; then
	mkdir -p $R/lib/modules/$KVER/extra
	cp /mod/extra/*.ko $R/lib/modules/$KVER/extra/ 2>/dev/null
	chroot $R /sbin/depmod $KVER 2>/dev/null || say "depmod $KVER failed"
fi
hostname kchan-vm

# KCSAN (the kcsan kernel): known false positives in core kernel code,
# skipped with KCSAN's own report filter (a report whose racing access is in
# one of these functions):
#   ktime_get_mono_fast_ns  a seqcount_latch reader racing timekeeping_update,
#     which 6.1's KCSAN does not understand; upstream 5c1806c41ce0 ("kcsan,
#     seqlock: Support seqcount_latch_t", 6.13) quotes this very report.
#   virtqueue_* and vring_interrupt  reads of vring memory that the virtio
#     device (QEMU, outside the kernel) writes: KCSAN sees the value change
#     with no kernel writer and reports a "race at unknown origin" (seen in
#     virtqueue_get_buf_ctx_split, the used index).
# kchan calls none of these functions.
if [ -w $R/sys/kernel/debug/kcsan ]; then
	for f in ktime_get_mono_fast_ns vring_interrupt virtqueue_get_buf_ctx_split \
		virtqueue_get_buf_ctx_packed virtqueue_poll virtqueue_enable_cb \
		virtqueue_enable_cb_delayed virtqueue_enable_cb_prepare virtqueue_kick_prepare \
		virtqueue_disable_cb; do
		echo "!$f" >$R/sys/kernel/debug/kcsan || say "kcsan: cannot skip $f"
	done
fi
say "taint boot=$TAINT_BOOT loaded=$TAINT_LOADED overlay=$OVERLAY"
say "begin $(cut -d' ' -f1 /proc/uptime)"
RUN="env -i KCHAN_KERNEL=$(uname -r) KCHAN_VM_OVERLAY=$OVERLAY chroot $R /bin/sh /run/kchan-vm/results/job.sh"
if [ "$MODE" = shell ]; then
	# A new session opening ttyS0 makes it the controlling tty (job control).
	setsid -c $RUN <>/dev/ttyS0 >&0 2>&1
	rc=$?
else
	# Through a pipe, so the command's stdout is not a tty (no interactive
	# progress rendering); pipefail keeps the command's status. tee keeps a
	# copy whose growth the stall watchdog follows.
	mkdir -p /tmp
	: >/tmp/cmd.out
	WATCHDOG=
	if [ -n "$STALL" ]; then
		watchdog &
		WATCHDOG=$!
	fi
	set -o pipefail
	$RUN </dev/null 2>&1 | tee /tmp/cmd.out
	rc=$?
	set +o pipefail
	[ -n "$WATCHDOG" ] && kill $WATCHDOG 2>/dev/null
fi
say "end $(cut -d' ' -f1 /proc/uptime) rc=$rc"
# kmemleak (debug kernel): objects younger than 5 s are never reported, and a
# leak showed up only after the second scan, so wait, then scan twice. The
# host scans kmemleak.txt for "unreferenced object".
mkdir -p /sys/kernel/debug
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# gcov (the kcsan kernel, with kchan.ko built by `vm/run.mjs --gcov`): the
# modules' counters, under their host build paths, for the host to read.
if [ -d /sys/kernel/debug/gcov ]; then
	n=0
	for f in $(find /sys/kernel/debug/gcov -name '*.gcda'); do
		to=/results/gcov${f#/sys/kernel/debug/gcov}
		mkdir -p "${to%/*}" && cat "$f" >"$to" && n=$((n + 1))
	done
	[ $n = 0 ] || say "gcov: $n .gcda file(s) copied"
fi
if [ -w /sys/kernel/debug/kmemleak ]; then
	say "kmemleak: waiting 6 s, then scanning twice"
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >/results/kmemleak.txt
	say "kmemleak: $(grep -c 'unreferenced object' /results/kmemleak.txt) unreferenced object(s) $(cut -d' ' -f1 /proc/uptime)"
fi
TAINT_AFTER=$(cat /proc/sys/kernel/tainted)
say "taint after=$TAINT_AFTER"
echo "$TAINT_BOOT $TAINT_LOADED $TAINT_AFTER" >/results/taint
dmesg >/results/dmesg.txt
finish $rc
