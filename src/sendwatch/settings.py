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
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR_NAME = "sample"


@dataclass(frozen=True)
class Limits:
    """Bounds on what one delivered file may make sendwatch do.

    A return is a few hundred rows of a few dozen columns and a few hundred KB; these
    defaults leave ample room for the largest school while keeping one file's cost
    (time and memory) small whatever the file claims about itself. Each can be set
    by an environment variable ``SENDWATCH_<NAME>`` or in ``sendwatch.toml``.
    """

    max_file_mb: float = 20.0  # a file larger than this is not read at all
    max_inflated_mb: float = 50.0  # any one part of a workbook, once decompressed
    max_ratio: int = 200  # decompressed / compressed size of a workbook part over 1 MB
    max_rows: int = 10_000  # rows per sheet or CSV file
    max_columns: int = 200  # columns per sheet or CSV file
    settle_seconds: float = 5.0  # a file must stay unchanged this long before it is taken

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def max_inflated_bytes(self) -> int:
        return int(self.max_inflated_mb * 1024 * 1024)


@dataclass(frozen=True)
class Settings:
    """Where sendwatch keeps its files. Build it with :func:`load_settings`."""

    home: Path
    register: Path
    limits: Limits = field(default_factory=Limits)
    retention_days: int | None = None  # None: every received file is kept for ever

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
    retention = env.get("SENDWATCH_RETENTION_DAYS") or from_file.get("retention_days")
    if retention is not None and not str(retention).isdigit():
        raise ValueError(f"retention_days must be a whole number of days, not {retention!r}")
    return Settings(
        home=home,
        register=register,
        limits=_limits(env, from_file),
        retention_days=int(retention) if retention is not None else None,
    )


def _limits(env: dict[str, str], from_file: dict[str, str]) -> Limits:
    values: dict[str, float | int] = {}
    for limit in fields(Limits):
        raw = env.get(f"SENDWATCH_{limit.name.upper()}") or from_file.get(limit.name)
        if raw is None:
            continue
        try:
            number = float(raw) if limit.type == "float" else int(raw)
        except ValueError:
            raise ValueError(f"the setting {limit.name} must be a number, not {raw!r}") from None
        if number < 0:
            raise ValueError(f"the setting {limit.name} cannot be negative")
        values[limit.name] = number
    return Limits(**values)
