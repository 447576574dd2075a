"""What has arrived in the landing folder, taken safely and grouped into deliveries.

A file is taken only when it is a regular file (never a link: its target may be
anywhere), its upload has finished (no partial-upload name, and its size and
modification time unchanged across a settle interval), and it did not change while
it was copied. Each file is read once: its bytes are hashed while they are copied
into the night's folder, and that copy is what is validated and, at publish, kept
in the archive or quarantine. So the bytes hashed, checked and kept are the same.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from sendwatch.contract.v1 import group_into_deliveries

# Names that upload tools and editors give files still being written or opened; they
# are left where they are until they get their real name.
PARTIAL_SUFFIXES = (".filepart", ".part", ".partial", ".tmp", ".crdownload", ".download")
PARTIAL_PREFIXES = ("~$", ".~lock.")
COPY_BLOCK = 1 << 20


@dataclass(frozen=True)
class LandedFile:
    """One file in landing, identified by its bytes and when it arrived."""

    path: str  # relative to the landing folder
    file_name: str
    sha256: str
    received_at: str  # ISO 8601, UTC: the file's modification time
    size: int = 0
    mtime_ns: int = 0  # with size: how to tell at publish that it has not changed since

    @property
    def received(self) -> datetime:
        return datetime.fromisoformat(self.received_at)


@dataclass(frozen=True)
class Refused:
    """Something in landing that is not a file sendwatch may read."""

    path: str
    reason: str


@dataclass
class Survey:
    """What discover found: files taken, entries refused, uploads still under way."""

    files: list[LandedFile] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Delivery:
    """Files that arrive together: a return (one workbook or a CSV pair), an enquiry
    file, or a file sendwatch does not recognise."""

    kind: str  # "return", "enquiries" or "unknown"
    key: str  # e.g. 900123_2025-26_autumn
    files: tuple[LandedFile, ...]

    @property
    def received_at(self) -> str:
        return max(f.received_at for f in self.files)

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "key": self.key, "files": [asdict(f) for f in self.files]}

    @classmethod
    def from_dict(cls, data: dict) -> Delivery:
        return cls(data["kind"], data["key"], tuple(LandedFile(**f) for f in data["files"]))


def is_partial_upload(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith(PARTIAL_SUFFIXES) or lowered.startswith(PARTIAL_PREFIXES)


def _entries(landing: Path, survey: Survey) -> dict[Path, os.stat_result]:
    """Regular files under ``landing`` by lstat; links and the like go to ``refused``."""
    found: dict[Path, os.stat_result] = {}
    for folder, folders, names in os.walk(landing, followlinks=False):
        base = Path(folder)
        for name in [*folders, *names]:
            path = base / name
            info = path.lstat()
            relative = path.relative_to(landing).as_posix()
            if stat.S_ISLNK(info.st_mode):
                survey.refused.append(Refused(relative, "a symbolic link"))
            elif stat.S_ISDIR(info.st_mode):
                continue
            elif not stat.S_ISREG(info.st_mode):
                survey.refused.append(Refused(relative, "not a regular file"))
            elif is_partial_upload(name):
                survey.waiting.append(relative)
            else:
                found[path] = info
    return found


def _unchanged(before: os.stat_result, after: os.stat_result) -> bool:
    return (before.st_ino, before.st_size, before.st_mtime_ns) == (
        after.st_ino,
        after.st_size,
        after.st_mtime_ns,
    )


def _still_to_settle(found: Iterable[os.stat_result], settle_seconds: float) -> float:
    """How long to wait before the files can be taken: until the most recently changed
    has stood unchanged for ``settle_seconds``, once for the whole folder.

    A change is a write or a change of metadata (ctime, which no copy tool can set back,
    unlike the modification time that `cp -p` and rsync preserve): files that arrived
    during the day have long settled, and the night does not wait for them.
    """
    newest = max(max(info.st_mtime, info.st_ctime) for info in found)
    return max(0.0, min(settle_seconds, newest + settle_seconds - time.time()))


def survey_landing(landing: Path, copies: Path, settle_seconds: float = 0.0) -> Survey:
    """Take every complete regular file under ``landing`` (copied into ``copies``,
    named by its sha256), oldest first."""
    survey = Survey()
    candidates = _entries(landing, survey)
    if candidates:
        time.sleep(_still_to_settle(candidates.values(), settle_seconds))
    copies.mkdir(parents=True, exist_ok=True)
    for path, before in sorted(candidates.items()):
        relative = path.relative_to(landing).as_posix()
        try:
            now = path.lstat()
        except FileNotFoundError:
            continue  # taken away while we looked
        landed = _take(path, relative, before, copies) if _unchanged(before, now) else None
        if landed is None:
            survey.waiting.append(relative)
        else:
            survey.files.append(landed)
    survey.files.sort(key=lambda f: (f.received_at, f.path))
    return survey


def _take(path: Path, relative: str, before: os.stat_result, copies: Path) -> LandedFile | None:
    """Copy one file into ``copies`` while hashing it; None if it changed meanwhile."""
    digest = hashlib.sha256()
    partial = copies / f".{os.getpid()}.partial"
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None  # replaced by a link, or gone, since we looked
    try:
        with os.fdopen(descriptor, "rb") as source, partial.open("wb") as target:
            if not _unchanged(before, os.fstat(source.fileno())):
                return None
            for block in iter(lambda: source.read(COPY_BLOCK), b""):
                digest.update(block)
                target.write(block)
            if not _unchanged(before, os.fstat(source.fileno())):
                return None  # still being written: next night
        sha256 = digest.hexdigest()
        os.replace(partial, copies / sha256)
    finally:
        partial.unlink(missing_ok=True)
    stamp = datetime.fromtimestamp(before.st_mtime, tz=UTC).isoformat(timespec="seconds")
    return LandedFile(relative, path.name, sha256, stamp, before.st_size, before.st_mtime_ns)


def still_as_taken(path: Path, landed: dict) -> bool:
    """The landing file is the one discover took (so moving it loses nothing)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return False
    return stat.S_ISREG(info.st_mode) and (info.st_size, info.st_mtime_ns) == (
        landed.get("size"),
        landed.get("mtime_ns"),
    )


def group_deliveries(files: list[LandedFile]) -> list[Delivery]:
    """Group files into deliveries; a CSV pair belongs together when in one folder."""
    groups = group_into_deliveries(files, lambda landed: PurePosixPath(landed.path))
    deliveries = [
        Delivery(kind, label.rsplit(".", 1)[0] if kind == "return" else label, tuple(members))
        for (_, kind, label), members in groups.items()
    ]
    return sorted(deliveries, key=lambda d: (d.received_at, d.key))
