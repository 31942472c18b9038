"""Handing memory back to the system after a large request.

Parsing and screening a 10 MB envelope takes a few hundred MB of small Python objects, freed as soon
as it is stored. Two things would still keep the process about that much larger:
- the caches of what checking read (timestamps, pattern shapes): bounded, but each entry keeps a
  string of the upload alive, and a few thousand survivors scattered among the freed objects pin
  dozens of the small-object allocator's 1 MiB arenas, which go back to the system only when empty
  (bench/upload_memory.py: 32 more arenas after a 10 MB upload with these entries, 9 to 13 without);
- the C allocator, which keeps freed pages in its per-thread arenas.
So after a large upload those caches are emptied, the garbage is collected and, where the C library
is glibc, `malloc_trim` returns the free pages. What remains (about 25 MB after 10 MB uploads, not
growing with more) is memory in use: the database connections' page and statement caches, and the
arenas a few long-lived objects made during the upload keep.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache
from typing import Any

from puente.stix.validation import forget_what_was_read


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def give_back() -> None:
    forget_what_was_read()
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
