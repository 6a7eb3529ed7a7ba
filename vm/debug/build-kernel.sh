#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build the kchan debug kernel (KASAN, lockdep, kmemleak, ...) from Debian's
# linux-source-6.1 into OUT (an empty directory; vm/lib/debugkernel.mjs renames
# it into the cache afterwards). Result:
#   OUT/bzImage OUT/System.map OUT/kernelrelease OUT/config
#   OUT/modules/dummy.ko            (the only in-tree module)
#   OUT/tree/                       trimmed tree for out-of-tree module builds
# Usage: build-kernel.sh OUT FRAGMENT [JOBS]
set -eu
OUT=$1
FRAG=$2
JOBS=${3:-2}
SRC_TAR=/usr/src/linux-source-6.1.tar.xz
[ -f "$SRC_TAR" ] || { echo "missing $SRC_TAR: apt-get install linux-source-6.1" >&2; exit 2; }
for t in bison flex bc make gcc; do
	command -v $t >/dev/null || { echo "missing $t: apt-get install -y build-essential bc bison flex libssl-dev libelf-dev dwarves cpio xz-utils" >&2; exit 2; }
done
[ -f /usr/include/libelf.h ] || { echo "missing libelf-dev" >&2; exit 2; }

mkdir -p "$OUT"
cd "$OUT"
echo "debug-kernel: untar $SRC_TAR"
tar xf "$SRC_TAR"
S=$OUT/linux-source-6.1
cd "$S"
make -s tinyconfig
scripts/kconfig/merge_config.sh -m .config "$FRAG" >/dev/null
make -s olddefconfig
# Every line of the fragment must survive olddefconfig.
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) grep -qx -- "$line" .config || { echo "debug-kernel: lost: $line" >&2; bad=1; } ;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }; sym=${sym%% *}
		if grep -q "^$sym=" .config; then echo "debug-kernel: lost: $line" >&2; bad=1; fi ;;
	esac
done <"$FRAG"
[ $bad = 0 ] || exit 3
echo "debug-kernel: make -j$JOBS bzImage modules_prepare"
make -s -j"$JOBS" bzImage modules_prepare
make -s -j"$JOBS" modules
make -s kernelrelease >"$OUT/kernelrelease"

cp arch/x86/boot/bzImage System.map "$OUT/"
cp .config "$OUT/config"
mkdir -p "$OUT/modules"
find . -name '*.ko' -exec cp {} "$OUT/modules/" \;

# Trimmed module-build tree (like Debian's linux-headers file set).
T=$OUT/tree
mkdir -p "$T/arch/x86" "$T/tools/objtool"
cp -a Makefile .config Module.symvers "$T/"
cp -a include scripts "$T/"
cp -a arch/x86/Makefile* "$T/arch/x86/"
cp -a arch/x86/include "$T/arch/x86/"
[ -d arch/x86/scripts ] && cp -a arch/x86/scripts "$T/arch/x86/"
cp -a tools/objtool/objtool "$T/tools/objtool/"
find "$T/scripts" -name '*.o' -delete -o -name '*.cmd' -delete 2>/dev/null || true
cd "$OUT"
rm -rf "$S"
echo "debug-kernel: built $(cat "$OUT/kernelrelease") in $OUT"
