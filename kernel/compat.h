/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kchan: small helpers hiding API differences between the kernels kchan
 * supports (Debian's 6.1 and 6.12).
 */
#ifndef _KCHAN_COMPAT_H
#define _KCHAN_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>

/* vm_flags became read-only with accessors in 6.3. */
static inline void kchan_vm_flags_set(struct vm_area_struct *vma,
				      vm_flags_t set)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, set);
#else
	vma->vm_flags |= set;
#endif
}

static inline void kchan_vm_flags_clear(struct vm_area_struct *vma,
					vm_flags_t clear)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, clear);
#else
	vma->vm_flags &= ~clear;
#endif
}

#endif /* _KCHAN_COMPAT_H */
