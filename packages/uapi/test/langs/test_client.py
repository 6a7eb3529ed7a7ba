# SPDX-License-Identifier: MIT
"""Host tests of kchan_uapi.client's pure parts (no device): the ring scanner over a
ctypes buffer, kue record and ummunotify event decoding, the order helper."""

import ctypes
import struct
import unittest

import kchan_uapi as k
from kchan_uapi import client as c


def hdr(type_, subtype, slots, id_=0, flags=0):
    info = (slots << k.WATCH_INFO_LENGTH__SHIFT) | (id_ << k.WATCH_INFO_ID__SHIFT) | flags
    return type_ | (subtype << 24) | (info << 32)


class Ring(unittest.TestCase):
    def ring(self, slots):
        self.buf = (ctypes.c_uint64 * 8)(*slots)
        return ctypes.addressof(self.buf)

    def test_entries_skips_and_loss(self):
        ring = [0] * 8
        ring[0] = hdr(k.WATCH_TYPE_META, k.WATCH_META_SKIP_NOTIFICATION, 3)
        ring[5] = hdr(k.WATCH_TYPE_KAPI, 7, 2, 4)
        ring[6] = 0xDEADBEEF
        ring[7] = hdr(k.WATCH_TYPE_META, k.WATCH_META_SKIP_NOTIFICATION, 1)
        ring[3] = hdr(k.WATCH_TYPE_META, k.WATCH_META_LOSS_NOTIFICATION, 2, 0, k.WATCH_INFO_OVERRUN)
        ring[4] = 42
        entries, tail = c.scan_ring(self.ring(ring), 8, 5, 13)
        self.assertEqual(tail, 13)
        self.assertEqual([(e.type, e.subtype, e.id, e.index) for e in entries],
                         [(k.WATCH_TYPE_KAPI, 7, 4, 5), (k.WATCH_TYPE_META, k.WATCH_META_LOSS_NOTIFICATION, 0, 11)])
        self.assertEqual(entries[0].payload, struct.pack("<Q", 0xDEADBEEF))
        self.assertTrue(entries[1].is_loss and entries[1].overrun)
        self.assertEqual(entries[1].lost, 42)

    def test_free_running_indices_wrap_at_2_32(self):
        ring = [hdr(k.WATCH_TYPE_KAPI, 1, 1)] * 8
        entries, tail = c.scan_ring(self.ring(ring), 8, 0xFFFFFFFE, 2)
        self.assertEqual((len(entries), tail), (4, 2))

    def test_malformed(self):
        ring = [0] * 8
        with self.assertRaises(c.RingError):
            c.scan_ring(self.ring(ring), 8, 3, 4)  # length 0
        ring[3] = hdr(k.WATCH_TYPE_KAPI, 0, 3)
        with self.assertRaises(c.RingError):
            c.scan_ring(self.ring(ring), 8, 3, 5)  # past head
        ring[6] = hdr(k.WATCH_TYPE_KAPI, 0, 3)
        with self.assertRaises(c.RingError):
            c.scan_ring(self.ring(ring), 8, 6, 10)  # across the end
        with self.assertRaises(c.RingError):
            c.scan_ring(self.ring(ring), 8, 3, 12)  # more than a ring ahead

    def test_order_helper(self):
        w = (ctypes.c_uint32 * 2)(7, 0)
        c.store_release_u32(ctypes.addressof(w) + 4, 9)
        self.assertEqual((c.load_acquire_u32(ctypes.addressof(w)), w[1]), (7, 9))
        q = ctypes.c_uint64(1 << 40)
        self.assertEqual(c.load_acquire_u64(ctypes.addressof(q)), 1 << 40)


class Decoders(unittest.TestCase):
    def test_kue_records(self):
        buf = bytearray()
        for seq, p, flags, lost in [(1, b"abc", 0, 0), (5, b"12345678", k.KUE_MSG_FLAG_LOST, 3)]:
            buf += struct.pack("<QQII", len(p), seq, flags, lost) + p
            buf += b"\0" * (-len(buf) % 8)
        m = c.decode_kue_records(buf, len(buf))
        self.assertEqual([(x.seq, x.lost, x.payload) for x in m], [(1, 0, b"abc"), (5, 3, b"12345678")])
        for n in (40, 60):
            with self.assertRaises(ValueError):
                c.decode_kue_records(buf, n)

    def test_ummunotify_events(self):
        buf = struct.pack("<IIQQQ", k.UMMUNOTIFY_EVENT_TYPE_INVAL, k.UMMUNOTIFY_EVENT_FLAG_HINT, 0x1000, 0x2000, 9)
        buf += struct.pack("<IIQQQ", k.UMMUNOTIFY_EVENT_TYPE_LAST, 0, 0, 0, 17)
        ev, last = c.decode_ummunotify_events(buf, len(buf))
        self.assertEqual(last, 17)
        self.assertEqual([(e.cookie, e.has_hint, e.hint_start, e.hint_end) for e in ev], [(9, True, 0x1000, 0x2000)])
        self.assertEqual(c.decode_ummunotify_events(buf, 32)[1], None)


if __name__ == "__main__":
    unittest.main()
