# The compiled tables, once per process and once per pyx12 installation on disk.
#
# Strategy: compiling the maps takes a few hundred milliseconds; loading the
# compiled tables takes a few. So the tables are kept in a user cache folder
# ($EDI_HIT_CACHE_DIR, else $XDG_CACHE_HOME/edi-hit, else ~/.cache/edi-hit), in a
# file named by the source key (pyx12 version + hashes of the map files + table
# format + Python version): a new pyx12 or a changed map file gets a new file, never
# a stale one. marshal holds only plain values and runs no code on load. Anything
# wrong with the cache (no home folder, read-only disk, a truncated or foreign
# file) only costs a recompile: the cache is an optimisation, never a dependency.
# Writes go to a temporary file renamed into place, so parallel workers never read
# half a file.
from __future__ import annotations

import marshal
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from .compile import FORMAT, compile_tables
from .source import source_key

__all__ = ["load_tables", "cache_dir"]


def cache_dir() -> Path | None:
    explicit = os.environ.get("EDI_HIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "edi-hit"
    try:
        return Path.home() / ".cache" / "edi-hit"
    except RuntimeError:  # no home folder
        return None


def _read(path: Path, key: str) -> dict | None:
    try:
        with open(path, "rb") as fh:
            tables = marshal.load(fh)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if isinstance(tables, dict) and tables.get("format") == FORMAT and tables.get("key") == key:
        return tables
    return None


def _write(path: Path, tables: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                marshal.dump(tables, fh)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass   # a cache we cannot write is a cache we do without


@lru_cache(maxsize=1)
def load_tables() -> dict:
    """The compiled tables for the installed pyx12 (from the cache when it is warm)."""
    key, blobs = source_key(FORMAT)
    folder = cache_dir()
    path = folder / f"tr3-tables-{key}.marshal" if folder else None
    if path is not None:
        tables = _read(path, key)
        if tables is not None:
            return tables
    tables = compile_tables(key, blobs)
    if path is not None:
        _write(path, tables)
    return tables
