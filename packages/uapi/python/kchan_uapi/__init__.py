# Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: py)
# SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
"""kchan protocol 2 for Python (ctypes): Kernel event channels: a notification ring mmap'ed
into user space (watch_queue), address-range invalidation events (ummunotify), and a
kernel-to-user message queue (kue).

Layouts are those of x86-64/arm64 Linux; ioctl numbers use the generic _IOC encoding.
"""

from . import watch_queue
from . import ummunotify
from . import kue
from .watch_queue import *  # noqa: F401,F403
from .ummunotify import *  # noqa: F401,F403
from .kue import *  # noqa: F401,F403

PROTOCOL_VERSION = 2
