"""Reading what the nightly pipeline published: the snapshot ``published/CURRENT``
names, and the folder of a night's run.

Readers (the dashboard, the exports) use this module and import nothing from
``sendwatch.pipeline``: the pipeline writes snapshots, readers read them.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from sendwatch.settings import Settings


def run_folder(settings: Settings, run_id: str) -> Path:
    """Where a night keeps its working files, manifest, results and summary."""
    return settings.home / "runs" / re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id)


def published_folder(settings: Settings) -> Path:
    return settings.home / "published"


def current_snapshot(settings: Settings) -> Path | None:
    """The snapshot now being served, or None before the first successful night."""
    pointer = published_folder(settings) / "CURRENT"
    if not pointer.exists():
        return None
    snapshot = published_folder(settings) / pointer.read_text(encoding="utf-8").strip()
    return snapshot if snapshot.exists() else None


def published_data_docs(settings: Settings) -> Path | None:
    """The index.html of the Great Expectations Data Docs published with the current
    snapshot (``published/data_docs/<snapshot>/``), or None where there are none."""
    snapshot = current_snapshot(settings)
    if snapshot is None:
        return None
    index = published_folder(settings) / "data_docs" / snapshot.stem / "index.html"
    return index if index.exists() else None


def dbt_docs_folder(settings: Settings) -> Path:
    """Where ``sendwatch docs`` builds the dbt documentation site."""
    return settings.home / "docs"


def dbt_docs_site(settings: Settings) -> Path | None:
    """The dbt docs site's index.html, if ``sendwatch docs`` has built it."""
    index = dbt_docs_folder(settings) / "dbt_target" / "index.html"
    return index if index.exists() else None


def open_snapshot(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current snapshot."""
    snapshot = current_snapshot(settings)
    if snapshot is None:
        raise FileNotFoundError(
            f"nothing published yet in {published_folder(settings)}: run `sendwatch refresh`"
        )
    return duckdb.connect(str(snapshot), read_only=True)
