"""Published snapshots: what the dashboard and exports read.

A refresh builds a new warehouse file and, only after its gates pass, copies it
to ``published/`` and swaps the ``CURRENT`` pointer with an atomic rename.
Readers open the file the pointer names, read only; a reader holding the
previous snapshot keeps reading it undisturbed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from sendwatch.settings import Settings

KEEP_SNAPSHOTS = 3


def published_folder(settings: Settings) -> Path:
    return settings.home / "published"


def current_snapshot(settings: Settings) -> Path | None:
    """The snapshot now being served, or None before the first successful night."""
    pointer = published_folder(settings) / "CURRENT"
    if not pointer.exists():
        return None
    snapshot = published_folder(settings) / pointer.read_text(encoding="utf-8").strip()
    return snapshot if snapshot.exists() else None


def open_snapshot(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current snapshot."""
    snapshot = current_snapshot(settings)
    if snapshot is None:
        raise FileNotFoundError(
            f"nothing published yet in {published_folder(settings)}: run `sendwatch refresh`"
        )
    return duckdb.connect(str(snapshot), read_only=True)


def publish_snapshot(settings: Settings, built: Path, name: str) -> Path:
    """Copy ``built`` into published/ and point CURRENT at it, atomically."""
    folder = published_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    snapshot = folder / f"{name}.duckdb"
    partial = snapshot.with_suffix(".partial")
    shutil.copyfile(built, partial)
    os.replace(partial, snapshot)
    pointer = folder / "CURRENT.partial"
    pointer.write_text(snapshot.name + "\n", encoding="utf-8")
    os.replace(pointer, folder / "CURRENT")
    _prune(folder, keep=snapshot.name)
    return snapshot


def _prune(folder: Path, keep: str) -> None:
    """Drop old snapshots; open readers keep theirs (the file lives while open)."""
    snapshots = sorted(folder.glob("*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in snapshots[KEEP_SNAPSHOTS:]:
        if old.name != keep:
            old.unlink(missing_ok=True)
