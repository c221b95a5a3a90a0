"""Refusing a file that will not fit in memory, before reading it.

The estimate comes from the file without loading it:

- text (CSV, TSV, ...): the uncompressed size (for ``.gz`` the ISIZE trailer, the uncompressed size modulo
  2**32) times the cells per byte of the first lines gives the number of cells; each costs about
  ``BYTES_PER_CELL`` (pandas' float64 frame, the float64 matrix and the float32 features, alive together);
- Parquet: rows x columns from the file's metadata, at the same cost per cell;
- ``.npz``: the exact size of every member from its ``.npy`` header, plus a float32 copy of the features.

Available memory is the kernel's ``MemAvailable`` (free memory plus reclaimable cache; ``SC_AVPHYS_PAGES``,
free memory only, where /proc is missing), capped by the cgroup's limit when one is set. Tests replace
``available_memory`` to simulate a small machine.
"""

from __future__ import annotations

import gzip
import os
import re
import struct
import zipfile
from pathlib import Path

import numpy as np

from trainers._errors import DataError

BYTES_PER_CELL = 20
_HEAD_BYTES = 64 * 1024
_FIELD_SEPARATORS = re.compile(r"[,\t;| ]+")


def check_memory(path: Path, suffix: str, compressed: bool) -> None:
    """Raise ``DataError`` when loading ``path`` clearly needs more memory than is available."""
    need = estimate_bytes(path, suffix, compressed)
    have = available_memory()
    if need is None or have is None or need <= have:
        return
    raise DataError(
        f"{path} needs about {format_bytes(need)} in memory but only {format_bytes(have)} is available; "
        "free some memory, or load a smaller sample of the data."
    )


def estimate_bytes(path: Path, suffix: str, compressed: bool) -> int | None:
    """The estimated peak memory of loading ``path``, or None when it cannot be told without reading it."""
    try:
        if suffix == ".npz":
            return _npz_bytes(path)
        if suffix == ".parquet":
            return _parquet_bytes(path)
        return _text_bytes(path, compressed)
    except Exception:  # a corrupt file (zlib, zip, struct, Arrow errors...) is for the loader to report
        return None


def available_memory() -> int | None:
    """Bytes this process can still allocate, or None when unknown."""
    candidates = []
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    candidates.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    if not candidates:
        try:
            candidates.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    for limit, usage in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            cap = Path(limit).read_text().strip()
            if cap != "max" and int(cap) < 2**60:
                candidates.append(max(int(cap) - int(Path(usage).read_text().strip()), 0))
            break
        except (OSError, ValueError):
            continue
    return min(candidates) if candidates else None


def format_bytes(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def _text_bytes(path: Path, compressed: bool) -> int | None:
    size = path.stat().st_size
    if compressed:
        with open(path, "rb") as handle:
            if handle.read(2) != b"\x1f\x8b":
                return None
            handle.seek(-4, os.SEEK_END)
            (uncompressed,) = struct.unpack("<I", handle.read(4))
        # Deflate grows incompressible data by at most ~0.03 % plus headers: an ISIZE clearly below the file's
        # size wrapped around 4 GiB. (A highly compressible file over 4 GiB cannot be told apart.)
        while uncompressed * 1.001 + 64 < size:
            uncompressed += 2**32
        with gzip.open(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES)
    else:
        uncompressed = size
        with open(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES)
    lines = head.splitlines()[:-1] if len(head) == _HEAD_BYTES else head.splitlines()
    lines = [line for line in lines if line.strip()]
    if not lines:
        return None
    cells = sum(len(_FIELD_SEPARATORS.split(line.decode("utf-8", "replace").strip())) for line in lines)
    used = sum(len(line) + 1 for line in lines)
    return int(uncompressed * cells / used * BYTES_PER_CELL)


def _parquet_bytes(path: Path) -> int | None:
    import pyarrow.parquet as pq

    meta = pq.read_metadata(path)
    return int(meta.num_rows) * int(meta.num_columns) * BYTES_PER_CELL


def _npz_bytes(path: Path) -> int:
    total = 0
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            with archive.open(member) as stream:
                version = np.lib.format.read_magic(stream)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
            count = int(np.prod(shape, dtype=np.int64))
            total += count * dtype.itemsize
            if member.startswith("x") and dtype != np.float32:
                total += count * 4  # the float32 features
    return total
