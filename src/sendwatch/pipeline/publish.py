"""Publishing a night: snapshots, the journal, and keeping every file received.

A night publishes in two halves with one commit point between them:

1. *prepare*: write a copy of the night's warehouse into ``published/``
   (not yet served), then write ``runs/<run>/journal.json``: the snapshot's name and,
   for every file, where its bytes go and its report. Writing the journal (an atomic
   rename) is the commit point: before it, nothing anyone reads has changed, and a
   rerun starts the night again; after it, the night *will* be published.
2. *finish* (:func:`finish`): copy the night's Data Docs beside the snapshot
   (``published/data_docs/<snapshot>/``), point ``CURRENT`` at the snapshot, install
   the same snapshot as the working warehouse, copy each file's bytes to its place in
   ``archive/`` or ``quarantine/`` with its report, remove it from landing, then write
   ``published.json``. Every action is idempotent, so a retried or restarted night
   (and every new night, before anything else: :func:`recover`) simply finishes an
   unfinished journal.

Readers open the file ``CURRENT`` names, read only; a reader holding the previous
snapshot keeps reading it undisturbed.

Every file ever received is kept, byte for byte, under a path no other file can
take: ``<archive|quarantine>/<day received>/<time received>-<delivery id>/<landing
path>`` (the delivery id is a hash of the delivery's names and bytes).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from sendwatch.pipeline import failpoints, gates
from sendwatch.pipeline.landing import still_as_taken
from sendwatch.problems import Problem, summarise
from sendwatch.settings import Settings
from sendwatch.snapshots import current_snapshot, published_folder

KEEP_SNAPSHOTS = 3
DATA_DOCS = "data_docs"  # published/data_docs/<snapshot name>/: the night's Data Docs
JOURNAL = "journal.json"
PUBLISHED = "published.json"
BATCHES = "batches"  # runs/<run>/batches/: each batch's checked rows and outcomes


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically: readers see the old file or the new one, never half."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    os.replace(partial, path)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# --- the files -----------------------------------------------------------------------


def stored_path(rejected: bool, received_at: str, submission_id: str, landing_path: str) -> str:
    """Where a received file is kept, relative to SENDWATCH_HOME; unique per delivery."""
    received = datetime.fromisoformat(received_at)
    root = "quarantine" if rejected else "archive"
    return f"{root}/{received:%Y-%m-%d}/{received:%H%M%S}-{submission_id[:12]}/{landing_path}"


def write_report(target: Path, outcome: dict[str, Any]) -> None:
    """The school's report beside a rejected file (and the same as JSON)."""
    problems = [Problem(**{k: v for k, v in p.items() if k not in ("place", "advice")})
                for p in outcome["problems"]]  # fmt: skip
    lines = [
        f"sendwatch could not accept {', '.join(f['file_name'] for f in outcome['files'])}.",
        f"Received {outcome['received_at']}. Nothing from it was loaded: please correct and",
        "send the whole return again. The file is kept here exactly as it arrived.",
        "",
        *(f"- {line}" for line in summarise(problems)),
        "",
    ]
    target.with_name(target.name + ".report.txt").write_text("\n".join(lines), encoding="utf-8")
    write_json(target.with_name(target.name + ".report.json"), outcome)


def journal_moves(outcomes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per file: its bytes (by sha256), where it came from, where it goes."""
    moves = []
    for outcome in outcomes:
        report = outcome if outcome["outcome"] == "rejected" else None
        for landed in outcome["files"]:
            moves.append({**landed, "target": landed["stored_path"], "report": report})
    return moves


def _keep(settings: Settings, copies: Path, move: dict[str, Any]) -> None:
    """Put one file's bytes (the night's copy) in its place, then clear it from landing."""
    target = settings.home / move["target"]
    target.parent.mkdir(parents=True, exist_ok=True)
    source = settings.landing / move["path"]
    copy = copies / move["sha256"]
    if copy.exists():
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(copy, partial)
        os.replace(partial, target)
        if still_as_taken(source, move):
            source.unlink()
    elif still_as_taken(source, move):  # the night's copy is gone: move the original
        os.replace(source, target)
    if move["report"] is not None:
        write_report(target, move["report"])


def _refuse(settings: Settings, entry: dict[str, Any]) -> None:
    """Move a link or other non-file out of landing, never following it, with a report."""
    source = settings.landing / entry["path"]
    target = settings.home / entry["target"]
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink() or source.exists():
        os.replace(source, target)  # renames the link itself, not what it points to
    write_report(target, entry["report"])


# --- snapshots -----------------------------------------------------------------------


def write_snapshot(settings: Settings, built: Path, name: str) -> Path:
    """A copy of ``built`` in published/, not yet served."""
    folder = published_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    snapshot = folder / f"{name}.duckdb"
    partial = folder / f"{name}.partial"
    partial.unlink(missing_ok=True)
    # Through ``built``'s own database: dbt, in this process, may still hold it open,
    # with the night's last changes in its write-ahead log only. The checkpoint puts
    # them in the file, whose bytes are then copied as they are: a byte copy, not a
    # rewrite of every row (COPY FROM DATABASE took 6.6 s of an England night). The
    # free blocks a night's rebuilds leave (about a third more) go with it, and the
    # next night's rebuilds reuse them: the file does not grow night by night.
    with duckdb.connect(str(built)) as connection:
        connection.execute("force checkpoint")
        shutil.copyfile(built, partial)
    os.replace(partial, snapshot)
    return snapshot


def publish_snapshot(settings: Settings, built: Path, name: str) -> Path:
    """Write ``built`` as a snapshot and serve it at once (no files to keep: the
    nightly publish goes through the journal instead)."""
    snapshot = write_snapshot(settings, built, name)
    _serve(settings, snapshot.name)
    prune(settings)
    return snapshot


def _serve(settings: Settings, name: str) -> None:
    folder = published_folder(settings)
    pointer = folder / "CURRENT.partial"
    pointer.write_text(name + "\n", encoding="utf-8")
    os.replace(pointer, folder / "CURRENT")


def _place_data_docs(settings: Settings, folder: Path, snapshot: Path) -> None:
    """The night's Data Docs beside its snapshot, under the snapshot's name. Copied
    whole, then renamed into place: a killed copy is started again, a finished one kept."""
    site = gates.data_docs_index(folder).parent
    target = published_folder(settings) / DATA_DOCS / snapshot.stem
    if target.exists() or not (site / "index.html").exists():
        return  # placed already, or the night built none (a night from before them)
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(site, partial)
    os.replace(partial, target)


def _install_warehouse(settings: Settings, snapshot: Path) -> None:
    """The working warehouse becomes what was just published: the same file, linked,
    not a copy (a copy costs a read and a write of every year kept). Nothing writes to
    either: readers open the snapshot read-only, and the next build works on its own
    copy. Where the two folders are on different file systems, a copy after all."""
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    partial = settings.warehouse.with_name(settings.warehouse.name + ".partial")
    partial.unlink(missing_ok=True)  # left by a publish killed here
    try:
        os.link(snapshot, partial)
    except OSError:
        shutil.copyfile(snapshot, partial)
    os.replace(partial, settings.warehouse)


def prune(settings: Settings) -> None:
    """Drop old snapshots and any half-written copy; open readers keep theirs (the
    file lives while open)."""
    folder = published_folder(settings)
    current = current_snapshot(settings)
    for partial in folder.glob("*.partial"):
        partial.unlink(missing_ok=True)
    snapshots = sorted(folder.glob("*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in snapshots[KEEP_SNAPSHOTS:]:
        if current is None or old.name != current.name:
            old.unlink(missing_ok=True)
    docs = folder / DATA_DOCS
    for site in docs.iterdir() if docs.is_dir() else ():  # a snapshot's go with it
        if site.name.endswith(".partial") or not (folder / f"{site.name}.duckdb").exists():
            shutil.rmtree(site, ignore_errors=True)


# --- the journal -----------------------------------------------------------------------


def commit(folder: Path, journal: dict[str, Any]) -> None:
    """Write the journal: from here on, the night will be published."""
    write_json(folder / JOURNAL, journal)


def finish(settings: Settings, folder: Path) -> dict[str, Any]:
    """Carry out a committed journal, or what is left of it. Idempotent."""
    journal = read_json(folder / JOURNAL)
    snapshot = published_folder(settings) / journal["snapshot"]
    _place_data_docs(settings, folder, snapshot)
    _serve(settings, snapshot.name)
    failpoints.hit("after_current_swap")
    _install_warehouse(settings, snapshot)
    failpoints.hit("after_warehouse_swap")
    copies = folder / "files"
    for number, move in enumerate(journal["moves"]):
        _keep(settings, copies, move)
        if number == 0:
            failpoints.hit("mid_move")
    for entry in journal["refused"]:
        _refuse(settings, entry)
    failpoints.hit("after_moves")
    # Every file is in its place and the snapshot holds the warehouse
    drop_working_copies(folder)
    prune(settings)
    published = {"snapshot": snapshot.name, "at": journal["published_at"]}
    write_json(folder / PUBLISHED, published)
    return published


def drop_working_copies(folder: Path) -> None:
    """A night's working copies: the files' bytes, each batch's checked pupil rows and
    the working warehouses. Once the night is published, or abandoned, they would only
    double the disk used, and outlive any retention period the LA sets."""
    for working in ("files", BATCHES):
        shutil.rmtree(folder / working, ignore_errors=True)
    for working in ("warehouse.duckdb", "staged.duckdb"):
        (folder / working).unlink(missing_ok=True)


def abandoned(settings: Settings, current: Path) -> list[Path]:
    """Run folders, other than ``current``, of nights that failed or were killed before
    their commit point: what they received is still in landing for a later night."""
    return [
        folder
        for folder in _run_folders(settings)
        if folder != current and not (folder / JOURNAL).exists()
    ]


def unfinished(settings: Settings) -> list[Path]:
    """Run folders whose journal was written but not carried out to the end."""
    return [
        folder
        for folder in _run_folders(settings)
        if (folder / JOURNAL).exists() and not (folder / PUBLISHED).exists()
    ]


def _run_folders(settings: Settings) -> list[Path]:
    runs = settings.home / "runs"
    return sorted(path for path in runs.iterdir() if path.is_dir()) if runs.exists() else []
