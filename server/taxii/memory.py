"""Handing memory back to the system after a large upload.

Parsing and screening a 10 MB envelope takes a few hundred MB of small Python objects, freed as soon
as it is stored. What would still keep the process larger afterwards, and what is done about it
(bench/upload_memory.py, three 10 MB uploads with the workers running, each left out in turn):
- the caches of what checking read (timestamps, pattern shapes): bounded, but each entry keeps a
  string of the upload alive, scattered among the freed objects (44 to 50 MB kept). Emptied.
- glibc's allocator, which by default slides its thresholds up after a large block is freed: the
  next 10 MB body is carved from a thread's arena instead of being mapped on its own, and that arena
  keeps up to twice as much free at its top, which `malloc_trim` does not reach (7 to 15 MB kept,
  growing). `fix_allocator_thresholds` holds them where glibc starts them, at start-up.
- the pooled SQLite connections' page and statement caches, filled by the upload, and what they
  pin around them (14 to 28 MB kept, growing): the connections are replaced (storage/engine.py).
Then the garbage is collected and `malloc_trim` returns the free pages in the middle of the arenas.
All of this once the upload's request is over (server/taxii/objects.py), so nothing of it is still
referenced. With Python's objects allocated by glibc, as `puente run` does (cli/main.py), the server
is then back within about a megabyte of its level.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache
from typing import Any

from puente.services.context import Runtime
from puente.stix.validation import forget_what_was_read

# mallopt parameters (glibc's malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# glibc's own starting value for both: a block this large is mapped on its own (and unmapped when
# freed), and an arena gives back free memory at its top beyond this much. A few more system calls
# for large blocks, which Puente makes rarely (bodies, long lists), against arenas that stay small.
_THRESHOLD = 128 * 1024


@cache
def _glibc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    # malloc_trim is glibc's alone; other C libraries (musl) neither slide thresholds nor need trimming.
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def fix_allocator_thresholds() -> None:
    """Hold glibc's thresholds at their starting values: setting them ends their sliding, for all threads."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, _THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, _THRESHOLD)


def give_back(runtime: Runtime) -> None:
    """After a large upload, once nothing of it is referenced any more: free caches, collect, trim."""
    forget_what_was_read()
    runtime.release_connection_caches()
    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
