/*
 * glibc floor 2.28 (Node 20's own): libstdc++ from GCC >= 11 includes
 * <sys/single_threaded.h> when it exists and reads glibc's
 * __libc_single_threaded (GLIBC_2.32) to skip atomic reference counts in
 * single-threaded processes. This directory comes first on the addon's
 * include path, so libstdc++'s headers find this file instead: the flag
 * is a constant "not single-threaded", libstdc++ always uses the atomic
 * operations (what it did before glibc 2.32), and the addon does not
 * reference the symbol. A Node process is never single-threaded anyway
 * (libuv's pool and V8's platform threads). See docs/dependencies.md.
 */
#ifndef _SYS_SINGLE_THREADED_H
#define _SYS_SINGLE_THREADED_H

static const char __libc_single_threaded = 0;

#endif
