#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM (node vm/run.mjs stress): fuzz, load and leak
# checks, or the module unload/reload run. The host puts kchan_fuzz,
# kchan_load and kchan_stress.ko into the results share ($KCHAN_VM_RESULTS).
# Usage: guest.sh main|unload   (env: KCHAN_FUZZ_SEED, KCHAN_FUZZ_CALLS,
#        KCHAN_STRESS_SCALE = 1 full, lower for a quick run: divides counts)
set -u
R=$KCHAN_VM_RESULTS
MODE=${1:-main}
SCALE=${KCHAN_STRESS_SCALE:-1}
CALLS=${KCHAN_FUZZ_CALLS:-100000}
SEED=${KCHAN_FUZZ_SEED:-}
fails=0

step() {
	name=$1
	shift
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo "=== $name: $*"
	"$@"
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "=== $name: rc=$rc ($(awk "BEGIN{printf \"%.1f\", $t1-$t0}") s)"
	echo "$name rc=$rc s=$(awk "BEGIN{printf \"%.1f\", $t1-$t0}")" >>"$R/steps.txt"
	[ $rc -eq 0 ] || fails=$((fails + 1))
}

slab() { awk '/^SUnreclaim/{print $2}' /proc/meminfo; }

chmod +x "$R/kchan_fuzz" "$R/kchan_load"
if [ "$MODE" = unload ]; then
	step unload "$R/kchan_load" unload --rounds $((10 / SCALE > 0 ? 10 / SCALE : 1))
	# Module init with each allocation failing in turn: only where the
	# kernel has fault injection (the kcsan kernel), and not in the quick
	# run of pnpm test (1.5-3.5 min there) unless KCHAN_INIT_FAULTS=1 (the
	# coverage run sets it); the full stress always runs it.
	if [ $fails = 0 ] && [ -e /proc/self/fail-nth ] &&
		{ [ "$SCALE" = 1 ] || [ "${KCHAN_INIT_FAULTS:-}" = 1 ]; }; then
		step init-faults "$R/kchan_load" init-faults
	fi
	exit $fails
fi

insmod "$R/kchan_stress.ko" || { echo "insmod kchan_stress.ko failed"; exit 1; }
echo "cpus $(nproc), SUnreclaim $(slab) kB at start"
[ -n "$SEED" ] || SEED=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
step fuzz-threads "$R/kchan_fuzz" --seed "$SEED" --calls "$CALLS" --threads 4
step fuzz-single "$R/kchan_fuzz" --seed "$((SEED + 1))" --calls "$((CALLS / 5))" --threads 1
step wq-one-ring "$R/kchan_load" wq --rings 1 --rounds $((20 / SCALE)) --per-cpu 500 --procs 3
step wq-many-rings "$R/kchan_load" wq --rings 16 --rounds $((10 / SCALE)) --per-cpu 300 --procs 3
# A small memory bound, so the steady reader falls behind and loses messages.
LIMIT=/sys/module/kchan/parameters/kue_limit_bytes
OLD_LIMIT=$(cat $LIMIT)
echo 65536 >$LIMIT
step kue-readers "$R/kchan_load" kue --readers 8 --rounds $((20 / SCALE)) --per-cpu 300
echo "$OLD_LIMIT" >$LIMIT
step ummu-threads "$R/kchan_load" ummu --threads 4 --iters $((2000 / SCALE))
# Under KASAN the quarantine holds freed objects in slab: kmemleak (run by
# init.sh at the end) is the leak verdict there, SUnreclaim only a sanity bound.
TOL=512
[ -e /sys/kernel/debug/kmemleak ] && TOL=65536
step cycles "$R/kchan_load" cycles --n $((10000 / SCALE)) --regions $((100000 / SCALE)) --slab-tolerance $TOL
rmmod kchan_stress || { echo "rmmod kchan_stress failed"; fails=$((fails + 1)); }
echo "SUnreclaim $(slab) kB at end; $fails step(s) failed"
exit $fails
