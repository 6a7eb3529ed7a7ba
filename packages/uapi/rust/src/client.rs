// SPDX-License-Identifier: MIT
//! Device clients (feature `client`, std only): a watch_queue ring reader, a kue reader and an
//! ummunotify client with the generation fast path.
//!
//! The few libc calls std does not wrap (`ioctl`, `mmap`, `munmap`, `poll`) are declared here;
//! the crate has no dependencies. Errors are `std::io::Error`s carrying the errno
//! (`raw_os_error()`); a ring that breaks the protocol gives `ErrorKind::InvalidData`.
//!
//! Memory order follows the header's contract: the ring head is loaded with `Acquire` (pairs
//! with the kernel's `smp_store_release()` of head), the tail stored with `Release` (pairs with
//! its `smp_load_acquire()` of tail), and ummunotify's generation counter is loaded with
//! `Acquire`.

use std::ffi::{c_int, c_long, c_short, c_ulong, c_void};
use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::vec::Vec;
use std::{format, ptr};

use crate::kue::{KueMsgHdr, KUE_DEVICE_PATH, KUE_MAX_MSG_SIZE, KUE_MSG_FLAG_LOST, KUE_RECORD_ALIGN};
use crate::ummunotify::{
    UmmunotifyEvent, UmmunotifyRegisterIoctl, UMMUNOTIFY_DEVICE_PATH, UMMUNOTIFY_EVENT_FLAG_HINT,
    UMMUNOTIFY_EVENT_TYPE_INVAL, UMMUNOTIFY_EVENT_TYPE_LAST, UMMUNOTIFY_GENERATION_OFFSET,
    UMMUNOTIFY_REGISTER_REGION, UMMUNOTIFY_UNREGISTER_REGION,
};
use crate::watch_queue::*;

mod sys {
    use super::*;

    #[repr(C)]
    pub struct PollFd {
        pub fd: c_int,
        pub events: c_short,
        pub revents: c_short,
    }

    extern "C" {
        pub fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
        pub fn mmap(addr: *mut c_void, len: usize, prot: c_int, flags: c_int, fd: c_int, off: c_long) -> *mut c_void;
        pub fn munmap(addr: *mut c_void, len: usize) -> c_int;
        pub fn poll(fds: *mut PollFd, nfds: c_ulong, timeout: c_int) -> c_int;
        pub fn sysconf(name: c_int) -> c_long;
    }

    pub const PROT_READ: c_int = 1;
    pub const PROT_WRITE: c_int = 2;
    pub const MAP_SHARED: c_int = 1;
    pub const O_NONBLOCK: c_int = 0o4000;
    pub const POLLIN: c_short = 1;
    pub const SC_PAGESIZE: c_int = 30;
    pub const EFBIG: i32 = 27;
}

/// The system page size.
pub fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    unsafe { sys::sysconf(sys::SC_PAGESIZE) as usize }
}

fn cvt(ret: c_int) -> io::Result<c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn ioctl_ptr<T>(fd: RawFd, request: c_ulong, arg: *mut T) -> io::Result<c_int> {
    // SAFETY: request's _IOC size is size_of::<T>() (the generated constants), arg is valid.
    cvt(unsafe { sys::ioctl(fd, request, arg) })
}

fn wait_readable(fd: RawFd, timeout_ms: i32) -> io::Result<bool> {
    let mut p = sys::PollFd { fd, events: sys::POLLIN, revents: 0 };
    loop {
        // SAFETY: one valid pollfd.
        let r = unsafe { sys::poll(&mut p, 1, timeout_ms) };
        if r >= 0 {
            return Ok(r > 0);
        }
        let e = io::Error::last_os_error();
        if e.kind() != ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// A shared mapping of a device, unmapped on drop.
struct Mapping {
    addr: *mut u8,
    len: usize,
}

impl Mapping {
    fn new(fd: RawFd, len: usize, prot: c_int) -> io::Result<Self> {
        // SAFETY: a fresh mapping chosen by the kernel; checked for MAP_FAILED.
        let addr = unsafe { sys::mmap(ptr::null_mut(), len, prot, sys::MAP_SHARED, fd, 0) };
        if addr as isize == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping { addr: addr.cast(), len })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: our own mapping; nothing borrows it past drop.
        unsafe { sys::munmap(self.addr.cast(), self.len) };
    }
}

fn open(path: &str, write: bool) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(write)
        .custom_flags(if write { 0 } else { sys::O_NONBLOCK })
        .open(path)
}

// ------------------------------------------------------------------------- watch_queue

/// One ring entry: the header fields and the entry's bytes (header included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub r#type: u32,
    pub subtype: u32,
    pub info: u32,
    /// The free-running slot index of the entry.
    pub index: u32,
    pub data: Vec<u8>,
}

impl Entry {
    pub fn id(&self) -> u32 {
        (self.info & WATCH_INFO_ID) >> WATCH_INFO_ID__SHIFT
    }
    pub fn slots(&self) -> u32 {
        (self.info & WATCH_INFO_LENGTH) >> WATCH_INFO_LENGTH__SHIFT
    }
    pub fn overrun(&self) -> bool {
        self.info & WATCH_INFO_OVERRUN != 0
    }
    pub fn type_flags(&self) -> u32 {
        (self.info & WATCH_INFO_TYPE_FLAGS) >> WATCH_INFO_TYPE_FLAGS__SHIFT
    }
    pub fn is_loss(&self) -> bool {
        self.r#type == WATCH_TYPE_META && self.subtype == WATCH_META_LOSS_NOTIFICATION
    }
    /// Notifications lost just before this entry (loss entries; 0 otherwise).
    pub fn lost(&self) -> u64 {
        if !self.is_loss() || self.data.len() < 16 {
            return 0;
        }
        u64::from_le_bytes(self.data[8..16].try_into().unwrap())
    }
    /// The bytes after the one-slot header.
    pub fn payload(&self) -> &[u8] {
        &self.data[WATCH_QUEUE_SLOT_SIZE as usize..]
    }
    /// The entry as a netdev notification (zero-padded if shorter).
    pub fn netdev(&self) -> WatchNetdevNotification {
        read_padded(&self.data)
    }
    /// The entry as a module notification (zero-padded if shorter).
    pub fn module(&self) -> WatchModuleNotification {
        read_padded(&self.data)
    }
}

fn read_padded<T: Copy + Default>(data: &[u8]) -> T {
    let mut v = T::default();
    let n = data.len().min(core::mem::size_of::<T>());
    // SAFETY: T is a plain #[repr(C)] uapi struct of integers; n bytes fit in both.
    unsafe { ptr::copy_nonoverlapping(data.as_ptr(), (&mut v as *mut T).cast::<u8>(), n) };
    v
}

/// NUL-padded name field as a string.
pub fn c_name(bytes: &[u8]) -> std::string::String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    std::string::String::from_utf8_lossy(&bytes[..end]).into_owned()
}

fn corrupt(msg: std::string::String) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, msg)
}

/// Read the entries in [tail, head) of a ring of `nslots` slots at `ring`.
/// Returns them (skip entries left out) and the new tail.
///
/// # Safety
/// `ring` must point to `nslots * 8` readable bytes.
pub unsafe fn scan_ring(ring: *const u8, nslots: u32, mut tail: u32, head: u32) -> io::Result<(Vec<Entry>, u32)> {
    let mask = nslots - 1;
    let mut out = Vec::new();
    while tail != head {
        let left = head.wrapping_sub(tail);
        if left > nslots {
            return Err(corrupt(format!("head {head} is {left} slots past tail {tail}")));
        }
        let slot = tail & mask;
        let at = ring.add(slot as usize * 8);
        let word = u32::from_le_bytes(ptr::read(at.cast::<[u8; 4]>()));
        let info = u32::from_le_bytes(ptr::read(at.add(4).cast::<[u8; 4]>()));
        let len = (info & WATCH_INFO_LENGTH) >> WATCH_INFO_LENGTH__SHIFT;
        if len == 0 || len > left || slot + len > nslots {
            return Err(corrupt(format!("malformed entry of {len} slots at slot {slot} (head {head}, tail {tail})")));
        }
        let r#type = word & WATCH_NOTIFICATION_TYPE__MASK;
        let subtype = word >> WATCH_NOTIFICATION_SUBTYPE__SHIFT;
        if !(r#type == WATCH_TYPE_META && subtype == WATCH_META_SKIP_NOTIFICATION) {
            let data = std::slice::from_raw_parts(at, len as usize * 8).to_vec();
            out.push(Entry { r#type, subtype, info, index: tail, data });
        }
        tail = tail.wrapping_add(len);
    }
    Ok((out, tail))
}

const META_HEAD: usize = core::mem::offset_of!(WatchQueueMeta, head);
const META_TAIL: usize = core::mem::offset_of!(WatchQueueMeta, tail);
const META_MASK: usize = core::mem::offset_of!(WatchQueueMeta, mask);

/// A `/dev/watch_queue` fd with its ring mapped read-write.
pub struct WatchQueue {
    map: Mapping,
    file: File,
    nslots: u32,
    tail: u32,
    /// Notifications lost in all (sum of the loss entries read).
    pub lost: u64,
}

impl WatchQueue {
    /// Open the device and size and map a ring of `pages` pages.
    pub fn open(pages: u32) -> io::Result<Self> {
        Self::open_path(WATCH_QUEUE_DEVICE_PATH, pages)
    }

    pub fn open_path(path: &str, pages: u32) -> io::Result<Self> {
        let file = open(path, true)?;
        // SAFETY: SET_SIZE takes the page count by value.
        cvt(unsafe { sys::ioctl(file.as_raw_fd(), IOC_WATCH_QUEUE_SET_SIZE, pages as c_ulong) })?;
        let len = pages as usize * page_size();
        let map = Mapping::new(file.as_raw_fd(), len, sys::PROT_READ | sys::PROT_WRITE)?;
        let nslots = (len / WATCH_QUEUE_SLOT_SIZE as usize) as u32;
        // SAFETY: the meta entry is inside the mapping.
        let (mask, tail) = unsafe {
            (ptr::read_volatile(map.addr.add(META_MASK).cast::<u32>()), ptr::read_volatile(map.addr.add(META_TAIL).cast::<u32>()))
        };
        if mask != nslots - 1 {
            return Err(corrupt(format!("ring mask {mask} does not match a mapping of {nslots} slots")));
        }
        Ok(WatchQueue { map, file, nslots, tail, lost: 0 })
    }

    pub fn add_watch(&self, r#type: u32, id: u32) -> io::Result<()> {
        let mut w = WatchQueueWatch { r#type, id, ..WatchQueueWatch::ZERO };
        ioctl_ptr(self.file.as_raw_fd(), IOC_WATCH_QUEUE_ADD_WATCH, &mut w).map(|_| ())
    }

    pub fn remove_watch(&self, id: u32) -> io::Result<()> {
        let mut v = id;
        ioctl_ptr(self.file.as_raw_fd(), IOC_WATCH_QUEUE_REMOVE_WATCH, &mut v).map(|_| ())
    }

    fn head(&self) -> &AtomicU32 {
        // SAFETY: aligned u32 inside the mapping, which lives as long as self.
        unsafe { &*(self.map.addr.add(META_HEAD) as *const AtomicU32) }
    }

    fn tail_word(&self) -> &AtomicU32 {
        // SAFETY: as head().
        unsafe { &*(self.map.addr.add(META_TAIL) as *const AtomicU32) }
    }

    /// Consume every published entry (skip entries excluded), then publish the tail once.
    pub fn read(&mut self) -> io::Result<Vec<Entry>> {
        // Pairs with smp_store_release(&meta->head) in kchan_wq_post_locked().
        let head = self.head().load(Ordering::Acquire);
        // SAFETY: the mapping holds nslots slots.
        let (entries, tail) = unsafe { scan_ring(self.map.addr, self.nslots, self.tail, head)? };
        if tail != self.tail {
            self.tail = tail;
            // Pairs with smp_load_acquire(&meta->tail) in the kernel: done with the slots.
            self.tail_word().store(tail, Ordering::Release);
        }
        self.lost += entries.iter().map(Entry::lost).sum::<u64>();
        Ok(entries)
    }

    /// Wait up to `timeout_ms` (-1: forever) for an entry; true if one is there.
    pub fn wait(&self, timeout_ms: i32) -> io::Result<bool> {
        if self.head().load(Ordering::Acquire) != self.tail {
            return Ok(true);
        }
        wait_readable(self.file.as_raw_fd(), timeout_ms)
    }
}

impl AsRawFd for WatchQueue {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

// ------------------------------------------------------------------------- kue

/// One kue message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KueMessage {
    pub seq: u64,
    pub flags: u32,
    pub lost: u32,
    pub payload: Vec<u8>,
}

const KUE_HDR: usize = core::mem::size_of::<KueMsgHdr>();

/// Decode the whole records one read() returned.
pub fn decode_kue_records(buf: &[u8]) -> io::Result<Vec<KueMessage>> {
    let mut out = Vec::new();
    let mut off = 0usize;
    let align = KUE_RECORD_ALIGN as usize;
    while off < buf.len() {
        if buf.len() - off < KUE_HDR {
            return Err(corrupt(format!("truncated kue record header at {off}")));
        }
        let h = &buf[off..off + KUE_HDR];
        let size = u64::from_le_bytes(h[0..8].try_into().unwrap());
        let seq = u64::from_le_bytes(h[8..16].try_into().unwrap());
        let flags = u32::from_le_bytes(h[16..20].try_into().unwrap());
        let lost = u32::from_le_bytes(h[20..24].try_into().unwrap());
        let start = off + KUE_HDR;
        if size > (buf.len() - start) as u64 {
            return Err(corrupt(format!("kue record of {size} bytes at {off} runs past {}", buf.len())));
        }
        let end = start + size as usize;
        out.push(KueMessage { seq, flags, lost, payload: buf[start..end].to_vec() });
        off = (end + align - 1) & !(align - 1);
    }
    Ok(out)
}

/// A non-blocking `/dev/kue` reader. It sees the messages sent after it opened.
pub struct KueReader {
    file: File,
    buf: Vec<u8>,
    /// Messages lost in all (from KUE_MSG_FLAG_LOST records).
    pub lost: u64,
}

impl KueReader {
    pub fn open() -> io::Result<Self> {
        Self::open_path(KUE_DEVICE_PATH, 4096)
    }

    pub fn open_path(path: &str, bufsize: usize) -> io::Result<Self> {
        Ok(KueReader { file: open(path, false)?, buf: std::vec![0; bufsize.max(KUE_HDR)], lost: 0 })
    }

    /// One read(2) into a `size`-byte buffer: whole records, empty on EAGAIN. A record that does
    /// not fit gives EFBIG (`raw_os_error() == Some(27)`) and leaves the cursor where it was.
    pub fn read_once(&mut self, size: usize) -> io::Result<Vec<KueMessage>> {
        if self.buf.len() < size {
            self.buf.resize(size, 0);
        }
        let n = match self.file.read(&mut self.buf[..size]) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let msgs = decode_kue_records(&self.buf[..n])?;
        self.lost += msgs.iter().filter(|m| m.flags & KUE_MSG_FLAG_LOST != 0).map(|m| u64::from(m.lost)).sum::<u64>();
        Ok(msgs)
    }

    /// Like read_once() with the reader's buffer, doubling it on EFBIG up to the largest record.
    pub fn read(&mut self) -> io::Result<Vec<KueMessage>> {
        let max = KUE_HDR + KUE_MAX_MSG_SIZE as usize;
        loop {
            let size = self.buf.len();
            match self.read_once(size) {
                Err(e) if e.raw_os_error() == Some(sys::EFBIG) && size < max => {
                    self.buf.resize((size * 2).min(max), 0);
                }
                r => return r,
            }
        }
    }

    pub fn wait(&self, timeout_ms: i32) -> io::Result<bool> {
        wait_readable(self.file.as_raw_fd(), timeout_ms)
    }
}

impl AsRawFd for KueReader {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

// ------------------------------------------------------------------------- ummunotify

/// One INVAL event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invalidation {
    pub cookie: u64,
    pub flags: u32,
    pub hint_start: u64,
    pub hint_end: u64,
}

impl Invalidation {
    pub fn has_hint(&self) -> bool {
        self.flags & UMMUNOTIFY_EVENT_FLAG_HINT != 0
    }
}

const EVENT: usize = core::mem::size_of::<UmmunotifyEvent>();

/// Decode the events of one read(): the INVALs, and the LAST counter if the read ended with one.
pub fn decode_ummunotify_events(buf: &[u8]) -> (Vec<Invalidation>, Option<u64>) {
    let mut inval = Vec::new();
    let mut last = None;
    for ev in buf.chunks_exact(EVENT) {
        let r#type = u32::from_le_bytes(ev[0..4].try_into().unwrap());
        let flags = u32::from_le_bytes(ev[4..8].try_into().unwrap());
        let hint_start = u64::from_le_bytes(ev[8..16].try_into().unwrap());
        let hint_end = u64::from_le_bytes(ev[16..24].try_into().unwrap());
        let counter = u64::from_le_bytes(ev[24..32].try_into().unwrap());
        if r#type == UMMUNOTIFY_EVENT_TYPE_LAST {
            last = Some(counter);
        } else if r#type == UMMUNOTIFY_EVENT_TYPE_INVAL {
            inval.push(Invalidation { cookie: counter, flags, hint_start, hint_end });
        }
    }
    (inval, last)
}

/// A `/dev/ummunotify` fd with its read-only generation page mapped.
pub struct Ummunotify {
    map: Mapping,
    file: File,
    buf: Vec<u8>,
    /// The generation counter the reader's view is current for.
    pub seen: u64,
}

impl Ummunotify {
    pub fn open() -> io::Result<Self> {
        Self::open_path(UMMUNOTIFY_DEVICE_PATH)
    }

    pub fn open_path(path: &str) -> io::Result<Self> {
        let file = open(path, false)?;
        let map = Mapping::new(file.as_raw_fd(), page_size(), sys::PROT_READ)?;
        let mut u = Ummunotify { map, file, buf: std::vec![0; 64 * EVENT], seen: 0 };
        u.seen = u.generation();
        Ok(u)
    }

    /// The generation counter (acquire: the events it counts were queued before it moved).
    pub fn generation(&self) -> u64 {
        // SAFETY: an aligned u64 in the read-only page, which lives as long as self.
        let g = unsafe { &*(self.map.addr.add(UMMUNOTIFY_GENERATION_OFFSET as usize) as *const AtomicU64) };
        g.load(Ordering::Acquire)
    }

    /// The fast path: false when no invalidation hit any region since the last read_events().
    pub fn changed(&self) -> bool {
        self.generation() != self.seen
    }

    pub fn register(&self, start: u64, end: u64, cookie: u64) -> io::Result<()> {
        let mut r = UmmunotifyRegisterIoctl { start, end, user_cookie: cookie, ..UmmunotifyRegisterIoctl::ZERO };
        ioctl_ptr(self.file.as_raw_fd(), UMMUNOTIFY_REGISTER_REGION, &mut r).map(|_| ())
    }

    pub fn unregister(&self, cookie: u64) -> io::Result<()> {
        let mut c = cookie;
        ioctl_ptr(self.file.as_raw_fd(), UMMUNOTIFY_UNREGISTER_REGION, &mut c).map(|_| ())
    }

    /// Read until the LAST event (or until nothing is pending); its counter becomes `seen`.
    pub fn read_events(&mut self) -> io::Result<Vec<Invalidation>> {
        let gen = self.generation();
        let mut all = Vec::new();
        loop {
            let n = match self.file.read(&mut self.buf) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    // Nothing pending: what gen counts was queued before gen moved, and read.
                    self.seen = self.seen.max(gen);
                    return Ok(all);
                }
                Err(e) => return Err(e),
            };
            let (inval, last) = decode_ummunotify_events(&self.buf[..n]);
            all.extend(inval);
            if let Some(counter) = last {
                self.seen = counter;
                return Ok(all);
            }
        }
    }

    /// No syscall when the generation is unchanged; else read_events().
    pub fn poll_invalidations(&mut self) -> io::Result<Vec<Invalidation>> {
        if !self.changed() {
            return Ok(Vec::new());
        }
        self.read_events()
    }

    pub fn wait(&self, timeout_ms: i32) -> io::Result<bool> {
        wait_readable(self.file.as_raw_fd(), timeout_ms)
    }
}

impl AsRawFd for Ummunotify {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    fn hdr(r#type: u32, subtype: u32, slots: u32, id: u32, flags: u32) -> u64 {
        let word = r#type | (subtype << 24);
        let info = (slots << WATCH_INFO_LENGTH__SHIFT) | (id << WATCH_INFO_ID__SHIFT) | flags;
        u64::from(word) | (u64::from(info) << 32)
    }

    #[test]
    fn scans_entries_skips_padding_and_wraps() {
        // 8 slots: meta (3, a skip entry) at 0, entries written from slot 5.
        let mut ring = vec![0u64; 8];
        ring[0] = hdr(WATCH_TYPE_META, WATCH_META_SKIP_NOTIFICATION, 3, 0, 0);
        ring[5] = hdr(WATCH_TYPE_KAPI, 7, 2, 4, 0);
        ring[6] = 0xdead_beef;
        ring[7] = hdr(WATCH_TYPE_META, WATCH_META_SKIP_NOTIFICATION, 1, 0, 0);
        ring[3] = hdr(WATCH_TYPE_META, WATCH_META_LOSS_NOTIFICATION, 2, 0, WATCH_INFO_OVERRUN);
        ring[4] = 42;
        let (entries, tail) = unsafe { scan_ring(ring.as_ptr().cast(), 8, 5, 13).unwrap() };
        assert_eq!(tail, 13);
        assert_eq!(entries.len(), 2);
        assert_eq!((entries[0].r#type, entries[0].subtype, entries[0].id(), entries[0].index), (WATCH_TYPE_KAPI, 7, 4, 5));
        assert_eq!(entries[0].payload(), &0xdead_beefu64.to_le_bytes());
        assert!(entries[1].is_loss() && entries[1].overrun());
        assert_eq!(entries[1].lost(), 42);
    }

    #[test]
    fn rejects_malformed_entries() {
        let mut ring = vec![0u64; 8];
        // length 0
        assert!(unsafe { scan_ring(ring.as_ptr().cast(), 8, 3, 4) }.is_err());
        // past head
        ring[3] = hdr(WATCH_TYPE_KAPI, 0, 3, 0, 0);
        assert!(unsafe { scan_ring(ring.as_ptr().cast(), 8, 3, 5) }.is_err());
        // across the end
        ring[6] = hdr(WATCH_TYPE_KAPI, 0, 3, 0, 0);
        assert!(unsafe { scan_ring(ring.as_ptr().cast(), 8, 6, 10) }.is_err());
        // head more than a ring ahead
        assert!(unsafe { scan_ring(ring.as_ptr().cast(), 8, 3, 12) }.is_err());
    }

    #[test]
    fn decodes_padded_kue_records() {
        let mut buf = vec![];
        for (seq, p, flags, lost) in [(1u64, &b"abc"[..], 0u32, 0u32), (5, &b"12345678"[..], KUE_MSG_FLAG_LOST, 3)] {
            buf.extend_from_slice(&(p.len() as u64).to_le_bytes());
            buf.extend_from_slice(&seq.to_le_bytes());
            buf.extend_from_slice(&flags.to_le_bytes());
            buf.extend_from_slice(&lost.to_le_bytes());
            buf.extend_from_slice(p);
            while buf.len() % 8 != 0 {
                buf.push(0);
            }
        }
        let m = decode_kue_records(&buf).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].seq, &m[0].payload[..]), (1, &b"abc"[..]));
        assert_eq!((m[1].seq, m[1].lost, &m[1].payload[..]), (5, 3, &b"12345678"[..]));
        assert!(decode_kue_records(&buf[..40]).is_err() && decode_kue_records(&buf[..60]).is_err());
    }

    #[test]
    fn decodes_ummunotify_events_until_last() {
        let mut buf = vec![];
        for (t, f, c) in [(UMMUNOTIFY_EVENT_TYPE_INVAL, UMMUNOTIFY_EVENT_FLAG_HINT, 9u64), (UMMUNOTIFY_EVENT_TYPE_LAST, 0, 17)] {
            buf.extend_from_slice(&t.to_le_bytes());
            buf.extend_from_slice(&f.to_le_bytes());
            buf.extend_from_slice(&0x1000u64.to_le_bytes());
            buf.extend_from_slice(&0x2000u64.to_le_bytes());
            buf.extend_from_slice(&c.to_le_bytes());
        }
        let (inval, last) = decode_ummunotify_events(&buf);
        assert_eq!(last, Some(17));
        assert_eq!(inval, vec![Invalidation { cookie: 9, flags: 1, hint_start: 0x1000, hint_end: 0x2000 }]);
        assert_eq!(decode_ummunotify_events(&buf[..EVENT]).1, None);
    }
}
