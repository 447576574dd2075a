"""What has arrived in the landing folder, grouped into deliveries."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sendwatch.contract.v1 import ENQUIRIES_FILE_PATTERN, parse_return_file_name


@dataclass(frozen=True)
class LandedFile:
    """One file in landing, identified by its bytes and when it arrived."""

    path: str  # relative to the landing folder
    file_name: str
    sha256: str
    received_at: str  # ISO 8601, UTC: the file's modification time

    @property
    def received(self) -> datetime:
        return datetime.fromisoformat(self.received_at)


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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def landed_files(landing: Path) -> list[LandedFile]:
    """Every file under ``landing`` (sub-folders too), oldest first."""
    files = []
    for path in landing.rglob("*"):
        if not path.is_file() or path.name.startswith("."):
            continue
        stamp = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).isoformat(timespec="seconds")
        files.append(
            LandedFile(path.relative_to(landing).as_posix(), path.name, sha256_of(path), stamp)
        )
    return sorted(files, key=lambda f: (f.received_at, f.path))


def group_deliveries(files: list[LandedFile]) -> list[Delivery]:
    """Group files into deliveries; a CSV pair belongs together when in one folder."""
    groups: dict[tuple[str, str, str], list[LandedFile]] = {}
    for landed in files:
        folder = str(Path(landed.path).parent)
        name = parse_return_file_name(landed.file_name)
        if name is not None:
            key = (folder, "return", f"{name.return_key}.{name.file_format}")
        elif ENQUIRIES_FILE_PATTERN.match(landed.file_name):
            key = (folder, "enquiries", landed.file_name)
        else:
            key = (folder, "unknown", landed.file_name)
        groups.setdefault(key, []).append(landed)
    deliveries = [
        Delivery(kind, label.rsplit(".", 1)[0] if kind == "return" else label, tuple(members))
        for (_, kind, label), members in groups.items()
    ]
    return sorted(deliveries, key=lambda d: (d.received_at, d.key))
