# SPDX-License-Identifier: MIT
"""The Python half of langs.test.ts: kchan_uapi.client against the real devices.

Run in the VM (kchan.ko and kchan_test.ko loaded) with kchan_uapi on sys.path and its
_order helper built. Prints "ok <case>" or "FAIL <case>: <why>" per case and exits 1
if any case failed.
"""

import errno
import mmap
import os
import struct
import subprocess
import sys
import traceback

import kchan_uapi as k
from kchan_uapi.client import KueReader, Ummunotify, WatchQueue

PAGE = os.sysconf("SC_PAGE_SIZE")
MODULES = os.environ.get("KCHAN_VM_MODULES", "/run/kchan-vm/modules")


def kcmd(line):
    fd = os.open("/dev/kchan_test", os.O_RDWR)
    try:
        os.write(fd, line.encode())
        st = os.pread(fd, 512, 0).decode().split()
    finally:
        os.close(fd)
    return {kv.split("=")[0]: int(kv.split("=")[1]) for kv in st if "=" in kv}


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def check_kapi_payload(e):
    words = struct.unpack("<%dI" % (len(e.payload) // 4), e.payload)
    check(all(w == words[0] + i for i, w in enumerate(words)), "payload words %r" % (words[:4],))
    return words[0]


def wq_kapi_wrap():
    with WatchQueue(pages=1) as wq:
        wq.add_watch(k.WATCH_TYPE_KAPI, 1)
        seqs, wraps, last = [], 0, 0
        for _ in range(30):
            kcmd("wq post 3 1 63 3")
            for e in wq.read():
                check((e.type, e.subtype, e.id, e.slots) == (k.WATCH_TYPE_KAPI, 1, 1, 63),
                      "entry %r" % e)
                if e.index % wq.nslots < last % wq.nslots:
                    wraps += 1
                last = e.index
                seqs.append(check_kapi_payload(e))
        check(len(seqs) == 90, "%d entries, not 90" % len(seqs))
        check(all(s == seqs[0] + i for i, s in enumerate(seqs)), "sequence out of order")
        check(wraps >= 3, "only %d wraps" % wraps)


def wq_loss():
    with WatchQueue(pages=1) as wq:
        wq.add_watch(k.WATCH_TYPE_KAPI, 5)
        delivered = kcmd("wq burst 1000 2")["delivered"]
        check(delivered < 1000, "the burst fitted")
        first = wq.read()
        check(len(first) == delivered and not any(e.overrun for e in first),
              "%d entries (delivered %d)" % (len(first), delivered))
        seq = kcmd("wq post 3 2 3")["seq"] - 1
        nxt = wq.read()
        check(len(nxt) == 2, "%d entries after the loss" % len(nxt))
        loss, e = nxt
        check(loss.is_loss and loss.overrun and loss.lost == 1000 - delivered,
              "loss entry lost=%d, want %d" % (loss.lost, 1000 - delivered))
        check((e.type, e.subtype, e.id, e.overrun) == (k.WATCH_TYPE_KAPI, 2, 5, True), "entry %r" % e)
        check(check_kapi_payload(e) == seq, "seq")
        check(wq.lost == 1000 - delivered, "wq.lost %d" % wq.lost)


def wq_netdev():
    with WatchQueue(pages=1) as wq:
        wq.add_watch(k.WATCH_TYPE_NETDEV, 11)
        subprocess.run(["insmod", MODULES + "/dummy.ko", "numdummies=1"], check=True)
        try:
            subprocess.run(["ip", "link", "set", "dummy0", "up"], check=True)
            subprocess.run(["ip", "link", "set", "dummy0", "down"], check=True)
        finally:
            subprocess.run(["rmmod", "dummy"], check=True)
        got = []
        for e in wq.read():
            check(e.type == k.WATCH_TYPE_NETDEV and e.id == 11, "entry %r" % e)
            n = e.netdev()
            got.append("%d %s up=%d" % (e.subtype, n.name.decode(), n.flags & 1))
        want = ["%d dummy0 up=0" % k.WATCH_NETDEV_REGISTER, "%d dummy0 up=1" % k.WATCH_NETDEV_UP,
                "%d dummy0 up=0" % k.WATCH_NETDEV_DOWN, "%d dummy0 up=0" % k.WATCH_NETDEV_UNREGISTER]
        check(got == want, "got %r, want %r" % (got, want))


def pattern(i, size):
    b = bytearray((i + j) & 0xFF for j in range(size))
    if size >= 4:
        b[0:4] = struct.pack("<I", i)
    return bytes(b)


def kue_records():
    with KueReader(bufsize=65536) as a:
        st = kcmd("kue send 3 100")
        got = a.read()
        check([m.seq for m in got] == list(range(st["first"], st["last"] + 1)), "seqs %r" % got)
        check(all(m.payload == pattern(i, 100) for i, m in enumerate(got)), "payloads")
        # A reader opened now starts at the next message.
        with KueReader() as late:
            s2 = kcmd("kue msg late")
            check([(m.seq, m.payload) for m in late.read()] == [(s2["first"], b"late")], "late opener")
            check([m.payload for m in a.read()] == [b"late"], "first reader after late")
        # EFBIG: the cursor stays; a big enough buffer gets the record.
        s3 = kcmd("kue send 1 5000")
        try:
            a.read_once(64)
            raise AssertionError("a 64-byte read of a 5000-byte record did not fail")
        except OSError as e:
            check(e.errno == errno.EFBIG, "errno %d, not EFBIG" % e.errno)
        big = a.read_once(8192)
        check([(m.seq, m.payload) for m in big] == [(s3["first"], pattern(0, 5000))], "after EFBIG")
        check(a.read() == [], "queue not empty")


def ummunotify():
    with Ummunotify() as um:
        mm = mmap.mmap(-1, 4 * PAGE)
        mm.write(b"x" * (4 * PAGE))
        import ctypes

        view = ctypes.c_char.from_buffer(mm)
        addr = ctypes.addressof(view)
        del view
        um.register(addr, addr + 4 * PAGE, 77)
        check(not um.changed() and um.poll_invalidations() == [], "changed before any invalidation")
        gen0 = um.generation()
        mm.madvise(mmap.MADV_DONTNEED, PAGE, PAGE)
        check(um.changed() and um.generation() > gen0, "generation did not move")
        ev = um.poll_invalidations()
        check(len(ev) == 1 and ev[0].cookie == 77, "events %r" % ev)
        check(ev[0].has_hint and ev[0].hint_start <= addr + PAGE and ev[0].hint_end >= addr + 2 * PAGE,
              "hint %r" % ev[0])
        check(um.seen == um.generation() and not um.changed(), "seen %d" % um.seen)
        um.unregister(77)
        mm.close()


CASES = [wq_kapi_wrap, wq_loss, wq_netdev, kue_records, ummunotify]


def main():
    kcmd("wq reset")
    failed = 0
    for case in CASES:
        try:
            case()
            print("ok python %s" % case.__name__, flush=True)
        except Exception as e:  # noqa: BLE001 - report every case
            failed += 1
            print("FAIL python %s: %s" % (case.__name__, e), flush=True)
            traceback.print_exc()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
