/*
 * Shadows glibc's <sys/single_threaded.h> (first on the include path, see
 * binding.gyp) so the addon never references __libc_single_threaded, a
 * GLIBC_2.32 symbol: libstdc++'s ext/atomicity.h includes this header when
 * __has_include finds it and then reads ::__libc_single_threaded to skip
 * atomic reference counting in single-threaded processes. Here it reads a
 * constant "not single-threaded" instead, so libstdc++ always uses the
 * atomic path: correct everywhere, and the prebuilds keep Node 20's own
 * glibc 2.28 floor. Why and how it is checked: docs/dependencies.md.
 */
#ifndef KCHAN_COMPAT_SYS_SINGLE_THREADED_H_
#define KCHAN_COMPAT_SYS_SINGLE_THREADED_H_

static const char kchan_libc_single_threaded = 0;
#define __libc_single_threaded kchan_libc_single_threaded

#endif /* KCHAN_COMPAT_SYS_SINGLE_THREADED_H_ */
