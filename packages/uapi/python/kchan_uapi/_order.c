// SPDX-License-Identifier: MIT
/*
 * kchan_uapi._order: the two memory-order primitives Python cannot express.
 *
 * The client module calls these through ctypes on addresses inside the
 * device mappings. They are compiled into a plain shared object (it does
 * not include Python.h and is never imported as a module).
 *
 * kchan_load_acquire_u32() pairs with the kernel's smp_store_release() of
 * the ring head (kchan_wq_post_locked()); kchan_store_release_u32() pairs
 * with the kernel's smp_load_acquire() of the ring tail. The u64 acquire
 * load reads ummunotify's generation counter and slots.
 *
 * A call into this object is opaque to the compiler that built CPython, so
 * neither it nor the CPU moves the interpreter's later reads of the ring
 * before the acquire, or its earlier reads after the release.
 */
#include <stdint.h>

uint32_t kchan_load_acquire_u32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

void kchan_store_release_u32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

uint64_t kchan_load_acquire_u64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
