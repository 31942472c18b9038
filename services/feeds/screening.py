"""Which screening an object stored at our TAXII door passed: this build's, or an older one's.

The door (services/feeds/door.py) screens what a partner POSTs before storing it, and stamps each entry
with the build that screened it. The peer-inbox worker then takes in what this very build screened
without validating it a second time (that would cost about as much as all the rest of taking it in),
while an entry an older door let in, before an upgrade, is validated again in full. A build is Puente's
own source and the libraries its validation rests on: any change to either is a new build.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from importlib import metadata
from pathlib import Path

import puente

# What STIX validation calls on besides Puente's own code (stix/validation.py, stix/properties.py).
_LIBRARIES = ("stix2", "stix2-patterns", "idna")


@cache
def this_build() -> str:
    """A digest of Puente's source files and of the versions of the libraries validation uses."""
    digest = hashlib.sha256()
    root = Path(puente.__file__).parent
    # puente/services and the other folders are links to the repository's top level: follow them.
    for folder, subfolders, files in os.walk(root, followlinks=True):
        subfolders.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                path = Path(folder, name)
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    for library in _LIBRARIES:
        digest.update(f"{library}=={metadata.version(library)}".encode())
    return digest.hexdigest()[:32]
