// Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: rust)
// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
//! kchan protocol 2: Kernel event channels: a notification ring mmap'ed into user space
//! (watch_queue), address-range invalidation events (ummunotify), and a kernel-to-user message
//! queue (kue).
//!
//! Structs are `#[repr(C)]` with the layouts of x86-64/arm64 Linux (size and offsets are asserted
//! at compile time); ioctl request numbers use the generic `_IOC` encoding. Constants keep their C
//! names.

#![no_std]
#![allow(non_upper_case_globals)]

pub mod watch_queue;
pub mod ummunotify;
pub mod kue;

// The hand-written device clients (std, default feature `client`); the generated
// modules above stay no_std.
#[cfg(feature = "client")]
extern crate std;
#[cfg(feature = "client")]
pub mod client;

/// The protocol version of the spec these modules were generated from.
pub const PROTOCOL_VERSION: u32 = 2;
