"""One settings object for every part of sendwatch.

Values come, highest priority first, from environment variables, then from an
optional ``sendwatch.toml`` (named by ``SENDWATCH_CONFIG``, or found in
``SENDWATCH_HOME``), then from defaults. Relative paths are resolved against
the project root, never against the current directory, so the pipeline, the
dashboard and the tests agree whichever folder they are started from.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR_NAME = "sample"


@dataclass(frozen=True)
class Settings:
    """Where sendwatch keeps its files. Build it with :func:`load_settings`."""

    home: Path
    register: Path

    @property
    def landing(self) -> Path:
        """New returns, register updates and SENDIASS files arrive here."""
        return self.home / "landing"

    @property
    def archive(self) -> Path:
        """Processed files that loaded (or were duplicates), kept byte for byte."""
        return self.home / "archive"

    @property
    def quarantine(self) -> Path:
        """Rejected files, kept byte for byte beside a report."""
        return self.home / "quarantine"

    @property
    def warehouse(self) -> Path:
        """The DuckDB working warehouse the pipeline writes."""
        return self.home / "warehouse" / "sendwatch.duckdb"

    @property
    def sample(self) -> Path:
        """Generated sample data for the demo."""
        return self.home / SAMPLE_DIR_NAME

    def ensure_folders(self) -> None:
        for folder in (self.landing, self.archive, self.quarantine, self.warehouse.parent):
            folder.mkdir(parents=True, exist_ok=True)


def _resolve(value: str | os.PathLike[str], base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def _read_toml(env: dict[str, str], home_hint: Path) -> dict[str, str]:
    explicit = env.get("SENDWATCH_CONFIG")
    candidate = Path(explicit) if explicit else home_hint / "sendwatch.toml"
    if not candidate.is_file():
        if explicit:
            raise FileNotFoundError(f"SENDWATCH_CONFIG names {candidate}, which does not exist")
        return {}
    with candidate.open("rb") as handle:
        data = tomllib.load(handle)
    return {str(key): str(value) for key, value in data.get("sendwatch", data).items()}


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the settings from ``env`` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    home_hint = _resolve(env.get("SENDWATCH_HOME", "var"), PROJECT_ROOT)
    from_file = _read_toml(env, home_hint)

    home = _resolve(env.get("SENDWATCH_HOME") or from_file.get("home", "var"), PROJECT_ROOT)
    register_value = env.get("SENDWATCH_REGISTER") or from_file.get("register")
    register = (
        _resolve(register_value, PROJECT_ROOT)
        if register_value
        else home / SAMPLE_DIR_NAME / "register.csv"
    )
    return Settings(home=home, register=register)
