"""Handing memory back to the system after a large request.

Parsing and screening a 10 MB envelope takes a few hundred MB of small Python objects, freed as soon
as it is stored; but the C allocator keeps the freed pages in its per-thread arenas, so the process
would stay that large. After a large upload the garbage is collected and, where the C library is
glibc, `malloc_trim` returns the free pages, so memory goes back to its level.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def give_back() -> None:
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
