#!/usr/bin/env bash
# Install what kchan needs on a Debian 12 machine with Node 20 (idempotent):
# QEMU and Debian's 6.1 and 6.12 kernels + headers for the VM, a compiler
# for the module and the addon, rustc for the layout proof, pnpm at the
# pinned version, and the workspace's dependencies; Debian's 6.1 kernel
# source and its build dependencies for the debug (KASAN/lockdep/kmemleak)
# kernel of the stress floor; Debian's setuptools/wheel/venv/pip for the
# offline kchan-uapi wheel of the release check. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*" >&2; }

# INITRD=No skips the host initramfs hooks of the kernel packages: the guest
# boots with kchan's own initramfs, and the hooks cost a minute and a half.
APT_PKGS=(qemu-system-x86 linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	busybox-static cpio xz-utils kmod make gcc g++ libc6-dev python3
	linux-source-6.1 bc bison flex libssl-dev libelf-dev dwarves
	python3-setuptools python3-wheel python3-venv python3-pip)
missing=()
for p in "${APT_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
export PATH="$HOME/.cargo/bin:$PATH"
command -v rustc >/dev/null 2>&1 || missing+=(rustc)
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "kchan setup: missing ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
		exit 1
	fi
	log "apt: installing ${missing[*]}"
	apt-get update -qq
	INITRD=No DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# linux-arm64 prebuild (cross-compiled) and its test run under qemu-user
# (pnpm test:arm64): Debian's arm64 architecture, the cross compiler,
# qemu-aarch64-static and the arm64 libc/libstdc++ the arm64 Node runs on.
# qemu-system-arm boots Debian's arm64 kernel for vm/arm64.mjs, whose
# image and headers it fetches itself (apt-get download, unpacked in a cache);
# mmdebstrap and arch-test make the arm64 userland the kernel suites run on
# in that guest (vm/lib/arm64.mjs, cached).
ARM64_PKGS=(g++-aarch64-linux-gnu qemu-user-static qemu-system-arm libc6:arm64 libstdc++6:arm64
	mmdebstrap arch-test)
missing=()
for p in "${ARM64_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "kchan setup: missing ${missing[*]}; run as root (dpkg --add-architecture arm64 first)" >&2
		exit 1
	fi
	log "apt: arm64 architecture and ${missing[*]}"
	dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# pnpm at the version pinned in package.json's packageManager field.
PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
	log "installing pnpm $PNPM_VERSION"
	npm install -g --no-audit --no-fund "pnpm@$PNPM_VERSION" >/dev/null
fi

log "pnpm install"
pnpm install --frozen-lockfile
