# SPDX-License-Identifier: MIT
"""Stdlib-only clients for the kchan devices: a watch_queue ring reader, a kue
reader and an ummunotify client with the generation fast path.

Memory order. The ring's head is loaded with acquire ordering and its tail stored
with release ordering, and ummunotify's generation counters are loaded with acquire
ordering, by three C functions in ``_order.c`` (a shared object built with the
package) called through ctypes; see docs/python.md. Entries are read with
``ctypes.string_at`` between that acquire and that release.

Errors are ``OSError`` with ``errno`` set, as the os module raises them; a ring
that breaks the protocol raises ``RingError``.
"""

import ctypes
import errno
import glob
import os
import select
import struct

from . import kue as _kue
from . import ummunotify as _um
from . import watch_queue as _wq

__all__ = [
    "RingError",
    "scan_ring",
    "decode_kue_records",
    "decode_ummunotify_events",
    "Entry",
    "WatchQueue",
    "KueMessage",
    "KueReader",
    "UmmunotifyEvent",
    "Ummunotify",
    "load_acquire_u32",
    "store_release_u32",
    "load_acquire_u64",
]

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

# ---------------------------------------------------------------- libc, order

_libc = ctypes.CDLL(None, use_errno=True)
_mmap = _libc.mmap
_mmap.restype = ctypes.c_void_p
_mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
_munmap = _libc.munmap
_munmap.restype = ctypes.c_int
_munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_MAP_FAILED = ctypes.c_void_p(-1).value
_PROT_READ = 1
_PROT_WRITE = 2
_MAP_SHARED = 1


def _find_order_lib():
    here = os.path.dirname(os.path.abspath(__file__))
    override = os.environ.get("KCHAN_UAPI_ORDER_LIB")
    paths = [override] if override else sorted(glob.glob(os.path.join(here, "_order*.so")))
    if not paths:
        raise ImportError(
            "kchan_uapi.client needs its compiled helper _order*.so next to client.py: install the "
            "kchan-uapi wheel, or build it in place with `cc -O2 -shared -fPIC -o %s %s`"
            % (os.path.join(here, "_order.so"), os.path.join(here, "_order.c"))
        )
    lib = ctypes.CDLL(paths[0])
    lib.kchan_load_acquire_u32.restype = ctypes.c_uint32
    lib.kchan_load_acquire_u32.argtypes = [ctypes.c_void_p]
    lib.kchan_store_release_u32.restype = None
    lib.kchan_store_release_u32.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    lib.kchan_load_acquire_u64.restype = ctypes.c_uint64
    lib.kchan_load_acquire_u64.argtypes = [ctypes.c_void_p]
    return lib


_order = _find_order_lib()
load_acquire_u32 = _order.kchan_load_acquire_u32
store_release_u32 = _order.kchan_store_release_u32
load_acquire_u64 = _order.kchan_load_acquire_u64


def _oserror(path=None):
    e = ctypes.get_errno()
    return OSError(e, os.strerror(e), path) if path else OSError(e, os.strerror(e))


class _Mapping:
    """A MAP_SHARED mapping of a device, by address (so read-only pages work too)."""

    def __init__(self, fd, length, prot, offset=0, path=None):
        addr = _mmap(None, length, prot, _MAP_SHARED, fd, offset)
        if addr is None or addr == _MAP_FAILED:
            raise _oserror(path)
        self.addr = addr
        self.length = length

    def close(self):
        if self.addr is not None:
            _munmap(self.addr, self.length)
            self.addr = None


def _wait_readable(fd, timeout):
    """poll() for input; True if readable. EPOLLERR/EPOLLHUP count as readable."""
    p = select.poll()
    p.register(fd, select.POLLIN)
    ev = p.poll(None if timeout is None else int(timeout * 1000))
    return bool(ev)


# ---------------------------------------------------------------- watch_queue


class RingError(Exception):
    """The ring broke the protocol (an entry of length 0, past head, or across the end)."""


_HDR = struct.Struct("<II")
_META_HEAD = _wq.WatchQueueMeta.head.offset
_META_TAIL = _wq.WatchQueueMeta.tail.offset
_META_MASK = _wq.WatchQueueMeta.mask.offset
_LOST = _wq.WatchQueueLossNotification.lost.offset


class Entry:
    """One ring entry: header fields and the whole entry's bytes (header included)."""

    __slots__ = ("type", "subtype", "info", "index", "data")

    def __init__(self, type_, subtype, info, index, data):
        self.type = type_
        self.subtype = subtype
        self.info = info
        self.index = index
        self.data = data

    @property
    def id(self):
        return (self.info & _wq.WATCH_INFO_ID) >> _wq.WATCH_INFO_ID__SHIFT

    @property
    def slots(self):
        return (self.info & _wq.WATCH_INFO_LENGTH) >> _wq.WATCH_INFO_LENGTH__SHIFT

    @property
    def overrun(self):
        return bool(self.info & _wq.WATCH_INFO_OVERRUN)

    @property
    def type_flags(self):
        return (self.info & _wq.WATCH_INFO_TYPE_FLAGS) >> _wq.WATCH_INFO_TYPE_FLAGS__SHIFT

    @property
    def is_loss(self):
        return self.type == _wq.WATCH_TYPE_META and self.subtype == _wq.WATCH_META_LOSS_NOTIFICATION

    @property
    def lost(self):
        """Notifications lost just before this entry (loss entries only, else 0)."""
        if not self.is_loss or len(self.data) < _LOST + 8:
            return 0
        return struct.unpack_from("<Q", self.data, _LOST)[0]

    @property
    def payload(self):
        """The bytes after the one-slot header."""
        return self.data[_wq.WATCH_QUEUE_SLOT_SIZE:]

    def netdev(self):
        """This entry as a WatchNetdevNotification (type NETDEV)."""
        return _wq.WatchNetdevNotification.from_buffer_copy(self.data.ljust(32, b"\0")[:32])

    def module(self):
        """This entry as a WatchModuleNotification (type MODULE)."""
        return _wq.WatchModuleNotification.from_buffer_copy(self.data.ljust(64, b"\0")[:64])

    def __repr__(self):
        return "Entry(type=%d, subtype=%d, id=%d, slots=%d, index=%d)" % (
            self.type, self.subtype, self.id, self.slots, self.index)


def scan_ring(base, nslots, tail, head):
    """Read the entries in [tail, head) of a ring of ``nslots`` slots at address ``base``.

    Returns (entries without skip entries, new tail). Raises RingError for an entry of
    length 0, one past head, one across the end, or head more than a ring ahead.
    """
    mask = nslots - 1
    out = []
    while tail != head:
        left = (head - tail) & 0xFFFFFFFF
        if left > nslots:
            raise RingError("head %d is %d slots past tail %d" % (head, left, tail))
        slot = tail & mask
        off = base + slot * _wq.WATCH_QUEUE_SLOT_SIZE
        word, info = _HDR.unpack(ctypes.string_at(off, 8))
        length = (info & _wq.WATCH_INFO_LENGTH) >> _wq.WATCH_INFO_LENGTH__SHIFT
        if length == 0 or length > left or slot + length > nslots:
            raise RingError("malformed entry of %d slots at slot %d (head %d, tail %d)"
                            % (length, slot, head, tail))
        type_ = word & _wq.WATCH_NOTIFICATION_TYPE__MASK
        subtype = word >> _wq.WATCH_NOTIFICATION_SUBTYPE__SHIFT
        if not (type_ == _wq.WATCH_TYPE_META and subtype == _wq.WATCH_META_SKIP_NOTIFICATION):
            out.append(Entry(type_, subtype, info, tail,
                             ctypes.string_at(off, length * _wq.WATCH_QUEUE_SLOT_SIZE)))
        tail = (tail + length) & 0xFFFFFFFF
    return out, tail


class _Device:
    """An open kchan device: its fd and, once mapped, its mapping.

    ``close()`` unmaps and closes the fd (idempotent); ``with`` closes too.
    """

    fd = -1
    _map = None

    def wait(self, timeout=None):
        """Wait until the fd is readable (True) or the timeout passes (False)."""
        return _wait_readable(self.fd, timeout)

    def close(self):
        if self._map is not None:
            self._map.close()
            self._map = None
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class WatchQueue(_Device):
    """A /dev/watch_queue fd with its ring mapped read-write.

    ``read()`` returns the entries between the reader's tail and the head (skip
    entries left out) and then publishes the new tail once.
    """

    def __init__(self, pages=1, path=_wq.WATCH_QUEUE_DEVICE_PATH):
        self.fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        self._map = None
        try:
            import fcntl

            fcntl.ioctl(self.fd, _wq.IOC_WATCH_QUEUE_SET_SIZE, pages)
            self._map = _Mapping(self.fd, pages * PAGE_SIZE, _PROT_READ | _PROT_WRITE, 0, path)
        except BaseException:
            self.close()
            raise
        self.nslots = pages * PAGE_SIZE // _wq.WATCH_QUEUE_SLOT_SIZE
        self._mask = self.nslots - 1
        mask = ctypes.c_uint32.from_address(self._map.addr + _META_MASK).value
        if mask != self._mask:
            self.close()
            raise RingError("ring mask %d does not match a mapping of %d slots" % (mask, self.nslots))
        # Our own copy of tail: the reader is the only writer of the mapped one.
        self._tail = ctypes.c_uint32.from_address(self._map.addr + _META_TAIL).value
        self.lost = 0

    def fileno(self):
        return self.fd

    def add_watch(self, type_, id_):
        import fcntl

        fcntl.ioctl(self.fd, _wq.IOC_WATCH_QUEUE_ADD_WATCH, _wq.WatchQueueWatch(type=type_, id=id_))

    def remove_watch(self, id_):
        import fcntl

        fcntl.ioctl(self.fd, _wq.IOC_WATCH_QUEUE_REMOVE_WATCH, ctypes.c_uint32(id_))

    def read(self):
        """Consume every published entry; returns them (skip entries excluded)."""
        if self._map is None or self._map.addr is None:
            raise OSError(errno.EBADF, "watch queue is closed")
        base = self._map.addr
        # Pairs with smp_store_release(&meta->head) in kchan_wq_post_locked().
        head = load_acquire_u32(base + _META_HEAD)
        out, tail = scan_ring(base, self.nslots, self._tail, head)
        if tail != self._tail:
            self._tail = tail
            # Pairs with smp_load_acquire(&meta->tail) in the kernel: we are
            # done with the slots below tail.
            store_release_u32(base + _META_TAIL, tail)
        for e in out:
            if e.is_loss:
                self.lost += e.lost
        return out

    def wait(self, timeout=None):
        """Wait until an entry is published (True) or the timeout passes (False)."""
        if self._map is not None and self._map.addr is not None:
            if load_acquire_u32(self._map.addr + _META_HEAD) != self._tail:
                return True
        return super().wait(timeout)


# ---------------------------------------------------------------- kue

_KUE_HDR = struct.Struct("<QQII")
assert _KUE_HDR.size == ctypes.sizeof(_kue.KueMsgHdr)
_KUE_MAX_RECORD = _KUE_HDR.size + _kue.KUE_MAX_MSG_SIZE


class KueMessage:
    __slots__ = ("seq", "flags", "lost", "payload")

    def __init__(self, seq, flags, lost, payload):
        self.seq = seq
        self.flags = flags
        self.lost = lost
        self.payload = payload

    def __repr__(self):
        return "KueMessage(seq=%d, lost=%d, %d bytes)" % (self.seq, self.lost, len(self.payload))


def decode_kue_records(buf, n):
    """Decode the whole records in buf[:n] as one read() returned them."""
    out = []
    off = 0
    while off < n:
        if n - off < _KUE_HDR.size:
            raise ValueError("truncated kue record header at %d" % off)
        size, seq, flags, lost = _KUE_HDR.unpack_from(buf, off)
        end = off + _KUE_HDR.size + size
        if end > n:
            raise ValueError("kue record of %d bytes at %d runs past %d" % (size, off, n))
        out.append(KueMessage(seq, flags, lost, bytes(buf[off + _KUE_HDR.size:end])))
        off = (end + _kue.KUE_RECORD_ALIGN - 1) & ~(_kue.KUE_RECORD_ALIGN - 1)
    return out


class KueReader(_Device):
    """A non-blocking /dev/kue reader. Messages sent before the open are not seen."""

    def __init__(self, path="/dev/kue", bufsize=4096):
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        self.bufsize = bufsize
        self.lost = 0

    def fileno(self):
        return self.fd

    def read_once(self, size=None):
        """One read(2) of ``size`` bytes: the whole records, [] on EAGAIN.

        Raises OSError(EFBIG) when the first record does not fit; the cursor
        stays where it was.
        """
        buf = bytearray(size or self.bufsize)
        try:
            n = os.readv(self.fd, [buf])
        except BlockingIOError:
            return []
        msgs = decode_kue_records(buf, n)
        for m in msgs:
            if m.flags & _kue.KUE_MSG_FLAG_LOST:
                self.lost += m.lost
        return msgs

    def read(self):
        """Like read_once(), but grows the buffer (up to the largest record) on EFBIG."""
        while True:
            try:
                return self.read_once()
            except OSError as e:
                if e.errno != errno.EFBIG or self.bufsize >= _KUE_MAX_RECORD:
                    raise
                self.bufsize = min(self.bufsize * 2, _KUE_MAX_RECORD)


# ---------------------------------------------------------------- ummunotify

_UM_EVENT = struct.Struct("<IIQQQ")
assert _UM_EVENT.size == ctypes.sizeof(_um.UmmunotifyEvent)


class UmmunotifyEvent:
    __slots__ = ("cookie", "flags", "hint_start", "hint_end")

    def __init__(self, cookie, flags, hint_start, hint_end):
        self.cookie = cookie
        self.flags = flags
        self.hint_start = hint_start
        self.hint_end = hint_end

    @property
    def has_hint(self):
        return bool(self.flags & _um.UMMUNOTIFY_EVENT_FLAG_HINT)

    def __repr__(self):
        return "UmmunotifyEvent(cookie=%d, hint=%#x..%#x)" % (self.cookie, self.hint_start, self.hint_end)


def decode_ummunotify_events(buf, n):
    """Decode one read()'s events: (INVAL events, the LAST counter or None)."""
    events, last = [], None
    for off in range(0, n - n % _UM_EVENT.size, _UM_EVENT.size):
        type_, flags, hs, he, cc = _UM_EVENT.unpack_from(buf, off)
        if type_ == _um.UMMUNOTIFY_EVENT_TYPE_LAST:
            last = cc
        elif type_ == _um.UMMUNOTIFY_EVENT_TYPE_INVAL:
            events.append(UmmunotifyEvent(cc, flags, hs, he))
    return events, last


class Ummunotify(_Device):
    """A /dev/ummunotify fd with its read-only generation page mapped.

    ``changed()`` is the fast path: one acquire load, no syscall. ``read_events()``
    reads until the LAST event and remembers its counter.
    """

    def __init__(self, path=_um.UMMUNOTIFY_DEVICE_PATH, batch=64):
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        self._map = None
        try:
            self._map = _Mapping(self.fd, PAGE_SIZE, _PROT_READ, 0, path)
        except BaseException:
            self.close()
            raise
        self._batch = max(2, batch)
        self.seen = self.generation()

    def fileno(self):
        return self.fd

    def generation(self):
        """The generation counter (acquire: pairs with the kernel's increment after queueing)."""
        return load_acquire_u64(self._map.addr + _um.UMMUNOTIFY_GENERATION_OFFSET)

    def changed(self):
        """False if no invalidation hit any region since the last read_events()."""
        return self.generation() != self.seen

    def register(self, start, end, cookie):
        import fcntl

        fcntl.ioctl(self.fd, _um.UMMUNOTIFY_REGISTER_REGION,
                    _um.UmmunotifyRegisterIoctl(start=start, end=end, user_cookie=cookie))

    def unregister(self, cookie):
        import fcntl

        fcntl.ioctl(self.fd, _um.UMMUNOTIFY_UNREGISTER_REGION, ctypes.c_uint64(cookie))

    def read_events(self):
        """Read until LAST (or nothing is pending); returns the INVAL events.

        Each read() returns whole events; the LAST event, whose counter becomes
        ``seen``, is the one that tells the reader it has everything.
        """
        events = []
        size = self._batch * _UM_EVENT.size
        gen = self.generation()
        while True:
            buf = bytearray(size)
            try:
                n = os.readv(self.fd, [buf])
            except BlockingIOError:
                # Nothing pending: every invalidation counted in gen was queued
                # before gen was incremented, and has been read.
                self.seen = max(self.seen, gen)
                return events
            inval, last = decode_ummunotify_events(buf, n)
            events.extend(inval)
            if last is not None:
                self.seen = last
                return events

    def poll_invalidations(self):
        """The fast path: [] without a syscall when the generation is unchanged."""
        if not self.changed():
            return []
        return self.read_events()


