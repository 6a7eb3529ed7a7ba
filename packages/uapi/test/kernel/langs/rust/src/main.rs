// SPDX-License-Identifier: MIT
//! The Rust half of langs.test.ts: kchan_uapi::client against the real devices (in the VM, with
//! kchan.ko and kchan_test.ko loaded). Prints "ok rust <case>" or "FAIL rust <case>: <why>"
//! per case and exits 1 if any failed.

use std::ffi::{c_int, c_long, c_void};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::process::{exit, Command};

use kchan_uapi::client::{c_name, page_size, Entry, KueReader, Ummunotify, WatchQueue};
use kchan_uapi::watch_queue::*;

extern "C" {
    fn mmap(addr: *mut c_void, len: usize, prot: c_int, flags: c_int, fd: c_int, off: c_long) -> *mut c_void;
    fn munmap(addr: *mut c_void, len: usize) -> c_int;
    fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
}

type R = Result<(), String>;

macro_rules! check {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

fn kcmd(line: &str) -> std::collections::HashMap<String, i64> {
    let mut f = OpenOptions::new().read(true).write(true).open("/dev/kchan_test").expect("open /dev/kchan_test");
    f.write_all(line.as_bytes()).unwrap_or_else(|e| panic!("kchan_test '{line}': {e}"));
    let mut buf = [0u8; 512];
    let n = f.read_at(&mut buf, 0).expect("read /dev/kchan_test");
    String::from_utf8_lossy(&buf[..n])
        .split_whitespace()
        .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.parse().unwrap_or(-1))))
        .collect()
}

fn sh(args: &[&str]) -> R {
    let st = Command::new(args[0]).args(&args[1..]).status().map_err(|e| format!("{}: {e}", args[0]))?;
    check!(st.success(), "{args:?}: {st}");
    Ok(())
}

fn kapi_seq(e: &Entry) -> Result<u32, String> {
    let w: Vec<u32> = e.payload().chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
    check!(w.iter().enumerate().all(|(i, &x)| x == w[0].wrapping_add(i as u32)), "payload words {:?}", &w[..4.min(w.len())]);
    Ok(w[0])
}

fn wq_kapi_wrap() -> R {
    let mut wq = WatchQueue::open(1).map_err(|e| e.to_string())?;
    wq.add_watch(WATCH_TYPE_KAPI, 1).map_err(|e| e.to_string())?;
    let nslots = (page_size() / 8) as u32;
    let (mut seqs, mut wraps, mut last) = (Vec::new(), 0, 0u32);
    for _ in 0..30 {
        kcmd("wq post 3 1 63 3");
        for e in wq.read().map_err(|e| e.to_string())? {
            check!((e.r#type, e.subtype, e.id(), e.slots()) == (WATCH_TYPE_KAPI, 1, 1, 63), "entry {e:?}");
            if e.index % nslots < last % nslots {
                wraps += 1;
            }
            last = e.index;
            seqs.push(kapi_seq(&e)?);
        }
    }
    check!(seqs.len() == 90, "{} entries, not 90", seqs.len());
    check!(seqs.iter().enumerate().all(|(i, &s)| s == seqs[0] + i as u32), "sequence out of order");
    check!(wraps >= 3, "only {wraps} wraps");
    Ok(())
}

fn wq_loss() -> R {
    let mut wq = WatchQueue::open(1).map_err(|e| e.to_string())?;
    wq.add_watch(WATCH_TYPE_KAPI, 5).map_err(|e| e.to_string())?;
    let delivered = kcmd("wq burst 1000 2")["delivered"] as u64;
    check!(delivered < 1000, "the burst fitted");
    let first = wq.read().map_err(|e| e.to_string())?;
    check!(first.len() as u64 == delivered && first.iter().all(|e| !e.overrun()), "{} entries (delivered {delivered})", first.len());
    let seq = (kcmd("wq post 3 2 3")["seq"] - 1) as u32;
    let next = wq.read().map_err(|e| e.to_string())?;
    check!(next.len() == 2, "{} entries after the loss", next.len());
    check!(next[0].is_loss() && next[0].overrun() && next[0].lost() == 1000 - delivered, "loss entry lost={}, want {}", next[0].lost(), 1000 - delivered);
    let e = &next[1];
    check!((e.r#type, e.subtype, e.id(), e.overrun()) == (WATCH_TYPE_KAPI, 2, 5, true), "entry {e:?}");
    check!(kapi_seq(e)? == seq, "seq");
    check!(wq.lost == 1000 - delivered, "wq.lost {}", wq.lost);
    Ok(())
}

fn wq_netdev() -> R {
    let modules = std::env::var("KCHAN_VM_MODULES").unwrap_or_else(|_| "/run/kchan-vm/modules".into());
    let mut wq = WatchQueue::open(1).map_err(|e| e.to_string())?;
    wq.add_watch(WATCH_TYPE_NETDEV, 11).map_err(|e| e.to_string())?;
    sh(&["insmod", &format!("{modules}/dummy.ko"), "numdummies=1"])?;
    let r = sh(&["ip", "link", "set", "dummy0", "up"]).and_then(|_| sh(&["ip", "link", "set", "dummy0", "down"]));
    sh(&["rmmod", "dummy"])?;
    r?;
    let mut got = Vec::new();
    for e in wq.read().map_err(|e| e.to_string())? {
        check!(e.r#type == WATCH_TYPE_NETDEV && e.id() == 11, "entry {e:?}");
        let n = e.netdev();
        got.push(format!("{} {} up={}", e.subtype, c_name(&n.name), n.flags & 1));
    }
    let want: Vec<String> = [(WATCH_NETDEV_REGISTER, 0), (WATCH_NETDEV_UP, 1), (WATCH_NETDEV_DOWN, 0), (WATCH_NETDEV_UNREGISTER, 0)]
        .iter()
        .map(|(s, up)| format!("{s} dummy0 up={up}"))
        .collect();
    check!(got == want, "got {got:?}, want {want:?}");
    Ok(())
}

fn pattern(i: u32, size: usize) -> Vec<u8> {
    let mut b: Vec<u8> = (0..size).map(|j| (i as usize + j) as u8).collect();
    if size >= 4 {
        b[..4].copy_from_slice(&i.to_le_bytes());
    }
    b
}

fn kue_records() -> R {
    let err = |e: std::io::Error| e.to_string();
    let mut a = KueReader::open_path("/dev/kue", 65536).map_err(err)?;
    let st = kcmd("kue send 3 100");
    let got = a.read().map_err(err)?;
    let seqs: Vec<u64> = got.iter().map(|m| m.seq).collect();
    check!(seqs == (st["first"] as u64..=st["last"] as u64).collect::<Vec<_>>(), "seqs {seqs:?}");
    check!(got.iter().enumerate().all(|(i, m)| m.payload == pattern(i as u32, 100)), "payloads");
    {
        let mut late = KueReader::open().map_err(err)?;
        let s2 = kcmd("kue msg late");
        let l: Vec<(u64, Vec<u8>)> = late.read().map_err(err)?.into_iter().map(|m| (m.seq, m.payload)).collect();
        check!(l == vec![(s2["first"] as u64, b"late".to_vec())], "late opener got {l:?}");
        let p: Vec<Vec<u8>> = a.read().map_err(err)?.into_iter().map(|m| m.payload).collect();
        check!(p == vec![b"late".to_vec()], "first reader after late: {p:?}");
    }
    let s3 = kcmd("kue send 1 5000");
    match a.read_once(64) {
        Err(e) => check!(e.raw_os_error() == Some(27), "{e}, not EFBIG"),
        Ok(m) => return Err(format!("a 64-byte read of a 5000-byte record gave {m:?}")),
    }
    let big: Vec<(u64, Vec<u8>)> = a.read_once(8192).map_err(err)?.into_iter().map(|m| (m.seq, m.payload)).collect();
    check!(big == vec![(s3["first"] as u64, pattern(0, 5000))], "after EFBIG: {} records", big.len());
    check!(a.read().map_err(err)?.is_empty(), "queue not empty");
    Ok(())
}

fn ummunotify() -> R {
    let err = |e: std::io::Error| e.to_string();
    let page = page_size();
    let mut um = Ummunotify::open().map_err(err)?;
    // SAFETY: a private anonymous mapping of our own, unmapped below.
    let addr = unsafe { mmap(std::ptr::null_mut(), 4 * page, 3, 0x22, -1, 0) };
    check!(addr as isize != -1, "mmap failed");
    unsafe { std::ptr::write_bytes(addr.cast::<u8>(), b'x', 4 * page) };
    let a = addr as u64;
    let r = (|| -> R {
        um.register(a, a + 4 * page as u64, 77).map_err(err)?;
        check!(!um.changed() && um.poll_invalidations().map_err(err)?.is_empty(), "changed before any invalidation");
        let gen0 = um.generation();
        // SAFETY: page 1 of our mapping; MADV_DONTNEED = 4.
        check!(unsafe { madvise(addr.cast::<u8>().add(page).cast(), page, 4) } == 0, "madvise failed");
        check!(um.changed() && um.generation() > gen0, "generation did not move");
        let ev = um.poll_invalidations().map_err(err)?;
        check!(ev.len() == 1 && ev[0].cookie == 77, "events {ev:?}");
        check!(ev[0].has_hint() && ev[0].hint_start <= a + page as u64 && ev[0].hint_end >= a + 2 * page as u64, "hint {:?}", ev[0]);
        check!(um.seen == um.generation() && !um.changed(), "seen {}", um.seen);
        um.unregister(77).map_err(err)
    })();
    unsafe { munmap(addr, 4 * page) };
    r
}

fn main() {
    kcmd("wq reset");
    let cases: [(&str, fn() -> R); 5] = [
        ("wq_kapi_wrap", wq_kapi_wrap),
        ("wq_loss", wq_loss),
        ("wq_netdev", wq_netdev),
        ("kue_records", kue_records),
        ("ummunotify", ummunotify),
    ];
    let mut failed = 0;
    for (name, f) in cases {
        match f() {
            Ok(()) => println!("ok rust {name}"),
            Err(e) => {
                failed += 1;
                println!("FAIL rust {name}: {e}");
            }
        }
    }
    exit(if failed > 0 { 1 } else { 0 });
}
