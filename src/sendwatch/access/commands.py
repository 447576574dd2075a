"""``sendwatch users``: manage the local accounts and read the audit log.

Whoever runs these commands already has the machine's files, so they act as the
administrator; each change is recorded in the audit log under their operating-system
user name. sendwatch's cli.py registers the group.
"""

from __future__ import annotations

import getpass
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from sendwatch.access import audit, roles
from sendwatch.access.users import User, UserError, UserStore
from sendwatch.errors import SendwatchError, SendwatchUsageError
from sendwatch.settings import Settings, load_settings

NOT_SHOWN_AGAIN = (
    "It will not be shown again: give it to its owner by a secure route, "
    "and ask them to keep it in a password manager."
)
TABLE_HEADINGS = ("username", "role", "urns", "disabled", "sign-in", "last sign-in")


@click.group()
def users() -> None:
    """Manage the accounts that may sign in to the dashboard, and read the audit log.

    Accounts and the audit log are kept in SENDWATCH_HOME/access, beside the warehouse.
    """


role_option = click.option(
    "--role", required=True, type=click.Choice(list(roles.ROLES)), help="What it may see."
)
urn_option = click.option(
    "--urn", "urns", multiple=True, metavar="URN", help="A school's URN (repeat for several)."
)


@users.command()
@click.argument("username")
@role_option
@urn_option
@click.option("--sso-only", is_flag=True, help="No password: sign in by single sign-on only.")
def add(username: str, role: str, urns: tuple[str, ...], sso_only: bool) -> None:
    """Create an account and print its generated password, once."""
    with _store() as (settings, store):
        if sso_only:
            store.add_sso_only(username, role, urns)
            password = None
        else:
            password = store.add(username, role, urns)
        user = _existing(store, username)
        _record(settings, "user_added", user, _describe(user))
    click.echo(f"Added {user.username} ({user.role}).")
    if password is not None:
        _show_password(user.username, password)


@users.command("set-role")
@click.argument("username")
@role_option
@urn_option
def set_role(username: str, role: str, urns: tuple[str, ...]) -> None:
    """Change what an account may see."""
    with _store() as (settings, store):
        store.set_role(username, role, urns)
        user = _existing(store, username)
        _record(settings, "role_changed", user, _describe(user))
    click.echo(f"{user.username} is now {_describe(user)}.")


@users.command("set-password")
@click.argument("username")
def set_password(username: str) -> None:
    """Give an account a new generated password and print it, once."""
    with _store() as (settings, store):
        password = store.set_password(username)
        user = _existing(store, username)
        _record(settings, "password_set", user, "generated")  # never the password itself
    _show_password(user.username, password)


@users.command()
@click.argument("username")
def disable(username: str) -> None:
    """Stop an account signing in (it is kept, with its history)."""
    with _store() as (settings, store):
        store.disable(username)
        user = _existing(store, username)
        _record(settings, "user_disabled", user)
    click.echo(f"{user.username} can no longer sign in.")


@users.command()
@click.argument("username")
def enable(username: str) -> None:
    """Let a disabled account sign in again."""
    with _store() as (settings, store):
        store.enable(username)
        user = _existing(store, username)
        _record(settings, "user_enabled", user)
    click.echo(f"{user.username} can sign in again.")


@users.command("list")
def list_users() -> None:
    """Every account: role, URNs, whether disabled, how it signs in, last sign-in."""
    with _store() as (_, store):
        accounts = store.list()
    if not accounts:
        click.echo("No accounts yet: add one with `sendwatch users add USERNAME --role ROLE`.")
        return
    for line in _table([TABLE_HEADINGS, *(_row(user) for user in accounts)]):
        click.echo(line)


@users.command("audit")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="CSV file to write.")
def audit_log(out: Path) -> None:
    """Write the audit log to a CSV file, oldest event first."""
    with _store() as (settings, _):
        count = audit.write_csv(settings, out)
        # Who took a copy of the log is itself worth knowing.
        audit.record(
            settings, username=_operator(), role=roles.ADMIN, action="export", target="audit log"
        )
    click.echo(f"Wrote {count} audit events to {out}")


@contextmanager
def _store() -> Iterator[tuple[Settings, UserStore]]:
    """The settings and the store; a mistake becomes one line and exit 2, not a traceback."""
    try:
        settings = load_settings()
    except (ValueError, FileNotFoundError) as error:
        raise SendwatchUsageError(f"the settings are wrong: {error}") from None
    try:
        yield settings, UserStore.for_settings(settings)
    except UserError as error:
        raise SendwatchUsageError(str(error)) from None
    except sqlite3.Error as error:
        raise SendwatchError(f"the account store could not be used: {error}") from None


def _existing(store: UserStore, username: str) -> User:
    user = store.get(username)
    if user is None:  # it was there a moment ago: another administrator removed it
        raise UserError(f"there is no account {username!r}")
    return user


def _record(settings: Settings, action: str, user: User, detail: str = "") -> None:
    audit.record(
        settings,
        username=_operator(),
        role=roles.ADMIN,
        action=action,
        target=user.username,
        detail=detail,
    )


def _operator() -> str:
    """The operating-system user running the command (a container may have no name)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _describe(user: User) -> str:
    urns = f" for URN {', '.join(sorted(user.urns))}" if user.urns else ""
    return f"{user.role}{urns}"


def _show_password(username: str, password: str) -> None:
    click.echo(f"Password for {username}: {password}")
    click.echo(NOT_SHOWN_AGAIN)


def _row(user: User) -> tuple[str, ...]:
    last = user.last_sign_in_at.isoformat(timespec="minutes") if user.last_sign_in_at else "never"
    return (
        user.username,
        user.role,
        ",".join(sorted(user.urns)) or "-",
        "yes" if user.disabled else "no",
        "password" if user.has_password else "sso-only",
        last,
    )


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """Left-aligned columns two spaces apart: plain enough to read or to grep."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
