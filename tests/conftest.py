"""Shared fixtures: one generated BCP-scale sample for the whole session, and a small
published home with one account per role to sign in with."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from sendwatch.access import roles
from sendwatch.generate import GenerationSummary, generate

SAMPLE_SEED = 1
# Every test account's password (12 to 256 characters, as the account store asks).
PASSWORD = "a test password, long enough"
# Accounts are made with cheap hashes (the app re-hashes them at first sign-in).
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    """The default sample set (113 BCP-calibrated schools, six terms, seed 1)."""
    out = tmp_path_factory.mktemp("sample") / "sample"
    summary = generate(out, seed=SAMPLE_SEED)
    return out, summary


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sample of 12 schools over three terms, refreshed once by the real pipeline."""
    root = tmp_path_factory.mktemp("dashboard")
    generate(root / "sample", schools=12, seed=5, terms=3)
    shutil.copytree(root / "sample" / "landing", root / "home" / "landing")
    env = {
        **os.environ,
        "SENDWATCH_HOME": str(root / "home"),
        "SENDWATCH_REGISTER": str(root / "sample" / "register.csv"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "sendwatch.cli", "refresh"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    _add_accounts(env, root / "sample" / "register.csv")
    os.environ.update({k: env[k] for k in ("SENDWATCH_HOME", "SENDWATCH_REGISTER")})
    yield root
    for key in ("SENDWATCH_HOME", "SENDWATCH_REGISTER"):
        os.environ.pop(key, None)


def _accounts(register: Path) -> dict[str, roles.Viewer]:
    """One account per role, named after it; the school's is the register's first school."""
    import csv

    with register.open(encoding="utf-8", newline="") as file:
        first_urn = next(csv.DictReader(file))["urn"]
    return {
        role: roles.Viewer(role, role, frozenset({first_urn} if role == roles.SCHOOL else ()))
        for role in roles.ROLES
    }


def _add_accounts(env: dict[str, str], register: Path) -> None:
    from sendwatch.access.users import UserStore
    from sendwatch.settings import load_settings

    store = UserStore.for_settings(load_settings(env), hasher=CHEAP_HASHER)
    for viewer in _accounts(register).values():
        store.add(viewer.name, viewer.role, viewer.urns, password=PASSWORD)


@pytest.fixture(scope="session")
def accounts(published: Path) -> dict[str, roles.Viewer]:
    """The published home's accounts, by role: each signs in with PASSWORD."""
    return _accounts(published / "sample" / "register.csv")


@pytest.fixture(scope="session")
def password() -> str:
    """The password of every account ``published`` makes."""
    return PASSWORD
