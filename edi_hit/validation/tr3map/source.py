# Where pyx12's implementation-guide maps are, and what identifies their content.
#
# Strategy: the maps are data that ships inside the installed pyx12 package; edi-hit
# never copies them. They are found through importlib.resources (the package is
# imported, which is cheap: pyx12/__init__.py defines a version and nothing else),
# and a cache key is made of everything the compiled tables depend on: pyx12's
# version, the SHA-256 of each map file read, the table format of this compiler and
# the Python version (the cache is written with marshal).
from __future__ import annotations

import hashlib
import sys
from importlib import metadata, resources

from ...errors import EdiHitError

__all__ = ["MAP_FILES", "CONTROL_MAP", "MapSourceError", "map_dir", "read_map", "source_key"]

# Transaction set maps compiled (the sets edi-hit reads: 837P, 835, 999), by file name.
MAP_FILES = ("837.5010.X222.A1.xml", "835.5010.X221.A1.xml", "999.5010X231.A1.xml")
CONTROL_MAP = "x12.control.00501.xml"
SUPPORT_FILES = ("dataele.xml", "codes.xml", "maps.xml")
ALL_FILES = MAP_FILES + (CONTROL_MAP,) + SUPPORT_FILES


class MapSourceError(EdiHitError):
    """pyx12's map files cannot be found or read."""


def map_dir():
    """The map folder of the installed pyx12 (a Traversable)."""
    try:
        return resources.files("pyx12") / "map"
    except ModuleNotFoundError:
        raise MapSourceError("pyx12 is not installed: its implementation guide maps are "
                             "what the TR3 level reads") from None


def read_map(name: str) -> bytes:
    try:
        return (map_dir() / name).read_bytes()
    except OSError as exc:
        raise MapSourceError(f"cannot read pyx12's map file {name}: {exc}") from None


def pyx12_version() -> str:
    try:
        return metadata.version("pyx12")
    except metadata.PackageNotFoundError:  # pragma: no cover - installed without metadata
        return "unknown"


def source_key(format_version: int) -> tuple[str, dict[str, bytes]]:
    """(cache key, {file name: bytes}) for the current pyx12 installation."""
    blobs = {name: read_map(name) for name in ALL_FILES}
    h = hashlib.sha256()
    h.update(f"format {format_version}; pyx12 {pyx12_version()}; "
             f"python {sys.version_info[0]}.{sys.version_info[1]}\n".encode())
    for name in ALL_FILES:
        h.update(name.encode() + b" " + hashlib.sha256(blobs[name]).hexdigest().encode() + b"\n")
    return f"{pyx12_version()}-{h.hexdigest()[:20]}", blobs
