"""Keeping received files for a retention period the LA sets, and recording removals.

By default every file ever received is kept for ever. An LA that sets
``SENDWATCH_RETENTION_DAYS`` (or ``retention_days`` in ``sendwatch.toml``) can remove
files received longer ago than that with ``sendwatch retention --apply``; every file
removed is recorded, with its sha256 and size, in ``$SENDWATCH_HOME/retention.jsonl``.
Files are kept under ``archive/`` and ``quarantine/`` by the day they were received,
so the day folder says how old a file is.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sendwatch.settings import Settings

DAY_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Expired:
    path: str  # relative to SENDWATCH_HOME
    received_day: str
    bytes: int
    sha256: str


def expired(settings: Settings, today: date | None = None) -> list[Expired]:
    """Files received before the retention period, oldest first (none if unset)."""
    if settings.retention_days is None:
        return []
    cutoff = (today or datetime.now(UTC).date()) - timedelta(days=settings.retention_days)
    found = []
    for root in (settings.archive, settings.quarantine):
        if not root.exists():
            continue
        for day in sorted(p for p in root.iterdir() if DAY_FOLDER.match(p.name)):
            if date.fromisoformat(day.name) >= cutoff:
                continue
            for path in sorted(p for p in day.rglob("*") if p.is_file() or p.is_symlink()):
                found.append(_describe(settings, path, day.name))
    return found


def _describe(settings: Settings, path: Path, day: str) -> Expired:
    if path.is_symlink():  # a refused link: never followed
        return Expired(path.relative_to(settings.home).as_posix(), day, 0, "")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Expired(path.relative_to(settings.home).as_posix(), day, path.stat().st_size, digest)


def apply(settings: Settings, files: list[Expired]) -> Path:
    """Remove the files, recording each before it goes; then tidy empty folders."""
    log = settings.home / "retention.jsonl"
    removed_at = datetime.now(UTC).isoformat(timespec="seconds")
    with log.open("a", encoding="utf-8") as record:
        for item in files:
            record.write(json.dumps({**asdict(item), "removed_at": removed_at}) + "\n")
            record.flush()
            (settings.home / item.path).unlink(missing_ok=True)
    for root in (settings.archive, settings.quarantine):
        if root.exists():
            for folder in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
                    folder.rmdir()
    return log
