"""The audit log: who signed in, what they opened or exported, who changed an account.

It lives in its own SQLite file beside the warehouse (``access/audit.sqlite``), so a
refresh or a restore of the warehouse never touches it. The database itself refuses
UPDATE and DELETE on its rows, so a bug or a careless query in sendwatch cannot
rewrite history; only someone with the file and the sqlite3 shell could.

Passwords are never recorded: callers pass names, roles and what was done, nothing else.
"""

from __future__ import annotations

import csv
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sendwatch.exports import neutralise
from sendwatch.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

AUDIT_FILE_NAME = "audit.sqlite"
COLUMNS = ("id", "at", "username", "role", "action", "target", "outcome", "detail")
ACTIONS = frozenset(
    {
        "sign_in",
        "sign_in_failed",
        "sign_out",
        "view_school",
        "export",
        "forbidden",
        "user_added",
        "role_changed",
        "user_disabled",
        "user_enabled",
        "password_set",
    }
)
# A failed sign-in records whatever was typed as the username: bound what a stranger
# can make the log store.
MAX_VALUE_LENGTH = 500
BUSY_TIMEOUT_SECONDS = 10.0

_SCHEMA = """
create table if not exists events (
    id integer primary key autoincrement,
    at text not null,
    username text not null,
    role text not null,
    action text not null,
    target text not null default '',
    outcome text not null default 'ok',
    detail text not null default ''
);
create trigger if not exists events_no_update before update on events
begin
    select raise(abort, 'the audit log is append-only');
end;
create trigger if not exists events_no_delete before delete on events
begin
    select raise(abort, 'the audit log is append-only');
end;
"""


@contextmanager
def private_database(path: Path, schema: str) -> Iterator[sqlite3.Connection]:
    """Open (creating if need be) an SQLite file only sendwatch's own user can read.

    Shared with the account store. WAL and a busy timeout because several gunicorn
    workers read and write the same file; one connection per use, so no connection
    is ever shared between threads. Commits on success, rolls back on error.
    """
    _create_private(path)
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        connection.execute("pragma journal_mode = wal")
        connection.executescript(schema)
        with connection:
            yield connection
    finally:
        connection.close()


def _create_private(path: Path) -> None:
    """Make the folder (0o700) and an empty file (0o600) before SQLite opens it.

    SQLite gives its -wal and -shm files the database file's permissions, so they
    stay private too.
    """
    if not path.parent.is_dir():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def utc_now() -> str:
    """Now, in UTC, as ISO 8601 text: sorts as text and reads the same anywhere."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def audit_path(settings: Settings) -> Path:
    return settings.access_folder / AUDIT_FILE_NAME


def record(
    settings: Settings,
    *,
    username: str,
    role: str,
    action: str,
    target: str = "",
    outcome: str = "ok",
    detail: str = "",
) -> None:
    """Append one event. An unknown action is a programming error, so it raises."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}: one of {', '.join(sorted(ACTIONS))}")
    values = [_clip(value) for value in (username, role, action, target, outcome, detail)]
    with private_database(audit_path(settings), _SCHEMA) as connection:
        connection.execute(
            "insert into events (at, username, role, action, target, outcome, detail) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            [utc_now(), *values],
        )


def _clip(value: object) -> str:
    return str(value)[:MAX_VALUE_LENGTH]


def events(settings: Settings, limit: int | None = None) -> pd.DataFrame:
    """The events, newest first (by insertion order, which a clock change cannot upset)."""
    import pandas as pd  # here, not at import: the command line starts without it

    query = f"select {', '.join(COLUMNS)} from events order by id desc"
    parameters: list[int] = []
    if limit is not None:
        query += " limit ?"
        parameters.append(limit)
    with private_database(audit_path(settings), _SCHEMA) as connection:
        rows = connection.execute(query, parameters).fetchall()
    return pd.DataFrame(rows, columns=list(COLUMNS))


def write_csv(settings: Settings, out: Path) -> int:
    """Write the whole log, oldest first as it happened, safe to open in a spreadsheet.

    Usernames typed at a failed sign-in are a stranger's text, hence ``neutralise``.
    Returns the number of events written.
    """
    with private_database(audit_path(settings), _SCHEMA) as connection:
        rows = connection.execute(f"select {', '.join(COLUMNS)} from events order by id")
        out.parent.mkdir(parents=True, exist_ok=True)
        count = 0
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for row in rows:
                writer.writerow([neutralise(value) for value in row])
                count += 1
    return count
