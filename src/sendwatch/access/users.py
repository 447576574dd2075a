"""The local account store: usernames, roles, URNs and argon2 password hashes.

It is a small SQLite file beside the warehouse (``access/users.sqlite``), never inside
it, so no refresh, snapshot or export can carry an account or a hash. Accounts that
sign in only by single sign-on have no password hash at all.
"""

from __future__ import annotations

import builtins
import json
import re
import secrets
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sendwatch.access import roles
from sendwatch.access.audit import private_database, utc_now
from sendwatch.settings import Settings

USERS_FILE_NAME = "users.sqlite"
USERNAME_PATTERN = re.compile(r"^[a-z0-9._@-]{3,64}$")
URN_PATTERN = re.compile(r"^[0-9]{6,7}$")
# NCSC advice: length matters more than composition rules. The upper bound keeps a
# pasted essay from costing a hash.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

_SCHEMA = """
create table if not exists users (
    username text primary key,
    role text not null,
    urns text not null default '[]',
    password_hash text,
    disabled integer not null default 0,
    created_at text not null,
    updated_at text not null,
    last_sign_in_at text
);
"""
_PUBLIC_COLUMNS = "username, role, urns, password_hash is not null, disabled, last_sign_in_at"


class UserError(ValueError):
    """Something asked of the account store that cannot be: the message says what to do."""


@dataclass(frozen=True)
class User:
    """An account as the rest of sendwatch sees it: never its password hash."""

    username: str
    role: str
    urns: frozenset[str]
    disabled: bool
    has_password: bool
    last_sign_in_at: datetime | None

    def viewer(self, commissioners_see_schools: bool = False) -> roles.Viewer:
        """Who this account is when it asks: the LA's setting says whether a
        commissioner sees school-level figures."""
        sees_schools = commissioners_see_schools and self.role == roles.COMMISSIONER
        return roles.Viewer(self.username, self.role, self.urns, sees_schools)


def generate_password() -> str:
    """About 120 bits of randomness in 20 URL-safe characters, easy to paste."""
    return secrets.token_urlsafe(15)


class UserStore:
    """The accounts in one SQLite file. Each call opens its own connection."""

    def __init__(self, path: Path, hasher: PasswordHasher | None = None) -> None:
        self.path = path
        # Tests pass a cheap hasher; production uses argon2's recommended parameters.
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    @classmethod
    def for_settings(cls, settings: Settings, hasher: PasswordHasher | None = None) -> UserStore:
        return cls(settings.access_folder / USERS_FILE_NAME, hasher)

    def add(
        self, username: str, role: str, urns: Iterable[str] = (), password: str | None = None
    ) -> str:
        """Create an account; return its password (generated if none was given)."""
        password = _checked_password(password)
        self._insert(username, role, urns, password)
        return password

    def add_sso_only(self, username: str, role: str, urns: Iterable[str] = ()) -> None:
        """Create an account with no password: it can sign in by single sign-on only."""
        self._insert(username, role, urns, None)

    def _insert(self, username: str, role: str, urns: Iterable[str], password: str | None) -> None:
        name = _checked_username(username)
        urn_list = _checked_role(role, urns)
        password_hash = self.hasher.hash(password) if password is not None else None
        now = utc_now()
        try:
            with private_database(self.path, _SCHEMA) as connection:
                connection.execute(
                    "insert into users (username, role, urns, password_hash, disabled, "
                    "created_at, updated_at) values (?, ?, ?, ?, 0, ?, ?)",
                    [name, role, json.dumps(urn_list), password_hash, now, now],
                )
        except sqlite3.IntegrityError:
            raise UserError(
                f"there is already an account {name!r}: choose another username, "
                "or change that account with set-role or set-password"
            ) from None

    def set_role(self, username: str, role: str, urns: Iterable[str] = ()) -> None:
        urn_list = _checked_role(role, urns)
        self._update(username, "role = ?, urns = ?", [role, json.dumps(urn_list)])

    def set_password(self, username: str, password: str | None = None) -> str:
        """Replace the password (generated if none is given) and return it."""
        password = _checked_password(password)
        self._update(username, "password_hash = ?", [self.hasher.hash(password)])
        return password

    def disable(self, username: str) -> None:
        self._update(username, "disabled = 1", [])

    def enable(self, username: str) -> None:
        self._update(username, "disabled = 0", [])

    def _update(self, username: str, assignments: str, values: builtins.list[object]) -> None:
        name = _normalised(username)
        with private_database(self.path, _SCHEMA) as connection:
            changed = connection.execute(
                f"update users set {assignments}, updated_at = ? where username = ?",
                [*values, utc_now(), name],
            ).rowcount
        if not changed:
            raise UserError(f"there is no account {name!r}: see `sendwatch users list`")

    def list(self) -> builtins.list[User]:
        """Every account, by username, without hashes."""
        with private_database(self.path, _SCHEMA) as connection:
            rows = connection.execute(
                f"select {_PUBLIC_COLUMNS} from users order by username"
            ).fetchall()
        return [_user(row) for row in rows]

    def get(self, username: str) -> User | None:
        with private_database(self.path, _SCHEMA) as connection:
            row = connection.execute(
                f"select {_PUBLIC_COLUMNS} from users where username = ?", [_normalised(username)]
            ).fetchone()
        return _user(row) if row else None

    def authenticate(self, username: str, password: str) -> User | None:
        """The account if the password is right and the account may sign in, else None.

        Every refusal costs one argon2 verification, so the time taken does not tell
        a stranger whether the username exists.
        """
        name = _normalised(username)
        with private_database(self.path, _SCHEMA) as connection:
            row = connection.execute(
                "select password_hash, disabled from users where username = ?", [name]
            ).fetchone()
        stored: str | None = row[0] if row else None
        matches = self._verifies(stored or self._dummy(), password)
        if not matches or stored is None or row[1]:  # row[1]: the account is disabled
            return None
        with private_database(self.path, _SCHEMA) as connection:
            connection.execute(
                "update users set last_sign_in_at = ? where username = ?", [utc_now(), name]
            )
            if self.hasher.check_needs_rehash(stored):  # argon2's parameters were raised
                connection.execute(
                    "update users set password_hash = ? where username = ?",
                    [self.hasher.hash(password), name],
                )
        return self.get(name)

    def _verifies(self, stored: str, password: str) -> bool:
        if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
            return False
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def _dummy(self) -> str:
        """A hash of a random secret with this store's parameters, made once."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(32))
        return self._dummy_hash


def _user(row: tuple) -> User:
    username, role, urns, has_password, disabled, last_sign_in = row
    return User(
        username=username,
        role=role,
        urns=frozenset(json.loads(urns)),
        disabled=bool(disabled),
        has_password=bool(has_password),
        last_sign_in_at=datetime.fromisoformat(last_sign_in) if last_sign_in else None,
    )


def _normalised(username: str) -> str:
    return username.strip().lower()


def _checked_username(username: str) -> str:
    name = _normalised(username)
    if not USERNAME_PATTERN.match(name):
        raise UserError(
            f"the username {username!r} is not allowed: use 3 to 64 characters from "
            "a-z, 0-9 and . _ @ - (an email address works)"
        )
    return name


def _checked_role(role: str, urns: Iterable[str]) -> builtins.list[str]:
    """The URNs, checked against the role; sorted, so the stored text is stable."""
    if role not in roles.ROLES:
        raise UserError(f"there is no role {role!r}: choose one of {', '.join(roles.ROLES)}")
    urn_list = sorted({urn.strip() for urn in urns})
    bad = [urn for urn in urn_list if not URN_PATTERN.match(urn)]
    if bad:
        raise UserError(f"{', '.join(map(repr, bad))} is not a URN: a URN is 6 or 7 digits")
    if role == roles.SCHOOL and not urn_list:
        raise UserError("a school account needs the URN of its school: add --urn URN")
    if role != roles.SCHOOL and urn_list:
        raise UserError(f"only school accounts have URNs: the role {role!r} sees by its role")
    return urn_list


def _checked_password(password: str | None) -> str:
    if password is None:
        return generate_password()
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise UserError(
            f"a password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters "
            "long: leave it out and sendwatch will generate a strong one"
        )
    return password
