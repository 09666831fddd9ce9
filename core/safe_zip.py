"""Opening an uploaded zip (image folders, .docx) without trusting it: entry count, declared sizes, compression
method and ratio are all checked from the directory BEFORE anything is decompressed, and members are read through
a bounded stream so a size that lies cannot make a read grow past its limit."""
from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from core.errors import UserError

# bzip2/lzma are legal in zips but never needed here, and bzip2 shrinks 1 GiB of zeros to a few hundred bytes
METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
RATIO_FLOOR = 1024 * 1024  # members smaller than this may compress as well as they like


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int
    max_entry_bytes: int
    max_total_bytes: int
    max_ratio: float = 100.0


def _declared_entries(data: bytes) -> int | None:
    """The entry count from the end-of-central-directory record, before ZipFile builds one object per entry."""
    end = zipfile._EndRecData(io.BytesIO(data))  # the stdlib's own parser of that record; no public equivalent
    return None if end is None else end[zipfile._ECD_ENTRIES_TOTAL]


def open_checked(data: bytes, limits: ZipLimits, bad_key: str = "zip.bad", **params) -> zipfile.ZipFile:
    """A ZipFile whose every entry passed the limits; UserError naming the first entry that did not.

    bad_key/params: the caller's own message for 'not a zip at all' (a .docx that is not one, say)."""
    try:
        count = _declared_entries(data)
    except (OSError, ValueError, EOFError):
        count = None  # ZipFile below says what is wrong
    if count is not None and count > limits.max_entries:
        raise UserError("zip.too_many", "too many entries", limit=limits.max_entries)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise UserError(bad_key, f"not a readable zip file: {exc}", **params) from exc
    infos = zf.infolist()
    if len(infos) > limits.max_entries:  # a zip64 record can hide the real count from the check above
        raise UserError("zip.too_many", "too many entries", limit=limits.max_entries)
    total = 0
    for info in infos:
        name = info.filename[:80]
        if info.compress_type not in METHODS:
            raise UserError("zip.method", f"compression method {info.compress_type} not allowed", name=name,
                            allowed=", ".join(METHODS.values()))
        if info.file_size > limits.max_entry_bytes:
            raise UserError("zip.entry_too_big", "entry too big", name=name, limit_mb=limits.max_entry_bytes // 2**20)
        total += info.file_size
        if total > limits.max_total_bytes:
            raise UserError("zip.total_too_big", "zip holds too much", limit_mb=limits.max_total_bytes // 2**20)
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise UserError("zip.ratio", "suspicious compression ratio", name=name, limit=int(limits.max_ratio))
    return zf


CHUNK = 1024 * 1024  # inflate this much at a time: zipfile's read() asks zlib for up to 2 GiB in one call


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, budgets=(), bad_key: str = "zip.bad",
                **params) -> bytes:
    """One member, inflated CHUNK bytes at a time and counted as it inflates: more than `limit` bytes, or more
    than any of `budgets` (core.uploads.Budget, shared by all members of one upload) has left, stops the read
    with a UserError, whatever the header declared. A member whose data does not match its header (bad CRC,
    truncated or corrupt deflate data) is UserError(bad_key, **params)."""
    name = info.filename[:80]
    parts, size = [], 0
    try:
        with zf.open(info) as f:
            while chunk := f.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UserError("zip.entry_too_big", "entry too big", name=name, limit_mb=limit // 2**20)
                for budget in budgets:
                    budget.spend(len(chunk))
                parts.append(chunk)
    except UserError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise UserError(bad_key, f"{name}: {exc}", **params) from exc
    return b"".join(parts)


def unsafe_name(name: str) -> bool:
    """Absolute paths, drive letters and '..' parts: nothing here extracts to disk, but such names are hostile."""
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or (len(name) > 1 and name[1] == ":")
