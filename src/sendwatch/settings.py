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


TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0"})
MIN_SECRET_KEY_LENGTH = 32


@dataclass(frozen=True)
class SignIn:
    """How people sign in to the dashboard, and the single sign-on provider, if any.

    Each field is set by ``SENDWATCH_<KEY>`` or ``<key>`` in ``sendwatch.toml``, where the
    key is the field's name except for ``idle_minutes`` (``SENDWATCH_SESSION_IDLE_MINUTES``).
    Secrets are left out of the repr, so a logged Settings never shows them.
    """

    # Signs the session cookie. Unset: generated once and kept in access/secret_key,
    # so every worker and every restart shares it.
    secret_key: str | None = field(default=None, repr=False)
    # Cookies only over https. Plain http on 127.0.0.1 (`sendwatch serve`) sets
    # SENDWATCH_COOKIE_SECURE=false; a deployment behind TLS leaves it true.
    cookie_secure: bool = True
    # A session ends after this long without a request (fractions allowed).
    idle_minutes: float = field(default=30.0, metadata={"key": "session_idle_minutes"})
    # Where sign-in attempts are counted: memory:// counts per worker; several
    # workers share a count with e.g. redis://host:6379 (needs the redis package).
    rate_limit_storage: str = field(default="memory://", repr=False)
    # Reverse proxies in front of sendwatch whose X-Forwarded-* headers are believed:
    # 0 when people reach sendwatch directly, 1 behind the LA's one TLS proxy.
    trusted_proxies: int = 0
    # OpenID Connect single sign-on: on when the issuer and client id are set.
    oidc_issuer: str | None = None  # <issuer>/.well-known/openid-configuration is read
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = field(default=None, repr=False)
    oidc_name: str = "your organisation"  # the button reads "Sign in with <name>"
    oidc_groups_claim: str = "groups"
    # role=group[,group];... e.g. "la_officer=send-officers;admin=sendwatch-admins",
    # kept as (group, role) pairs.
    oidc_role_groups: tuple[tuple[str, str], ...] = ()
    oidc_urns_claim: str = "urns"  # a school account's URNs

    @property
    def sso_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def oidc_metadata_url(self) -> str:
        return f"{(self.oidc_issuer or '').rstrip('/')}/.well-known/openid-configuration"


@dataclass(frozen=True)
class Settings:
    """Where sendwatch keeps its files. Build it with :func:`load_settings`."""

    home: Path
    register: Path
    limits: Limits = field(default_factory=Limits)
    retention_days: int | None = None  # None: every received file is kept for ever
    # whether commissioners also see school-level figures (suppressed), not only
    # aggregates: SENDWATCH_COMMISSIONERS_SEE_SCHOOLS
    commissioners_see_schools: bool = False
    sign_in: SignIn = field(default_factory=SignIn)
    # who is told when a night fails (sendwatch.pipeline.notify): email addresses
    # (SENDWATCH_NOTIFY_EMAIL, comma-separated; Airflow's smtp_default connection sends)
    # and a webhook (SENDWATCH_NOTIFY_WEBHOOK, posted JSON); none: the task log only
    notify_email: tuple[str, ...] = ()
    notify_webhook: str | None = field(default=None, repr=False)  # may hold a token
    # deliveries a night checks in one task (SENDWATCH_VALIDATION_BATCH): the DAG maps a
    # task over the batches, which an executor with several workers runs at once. A task
    # costs 1-5 s to start and a delivery ~15 ms to check: 1,000 keep that overhead small
    # and an England night (24,000 returns) still in 25 tasks to spread
    validation_batch: int = 1000
    # processes one such task checks its batch in (SENDWATCH_VALIDATION_PROCESSES): every
    # core by default, for `sendwatch refresh`, which runs the mapped tasks one at a time;
    # 1 where the executor already runs several tasks at once (docker-compose.yml)
    validation_processes: int = field(default_factory=lambda: os.cpu_count() or 1)

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
    def access_folder(self) -> Path:
        """Accounts and the audit log: beside the warehouse, never in it or published."""
        return self.home / "access"

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
        commissioners_see_schools=_yes_or_no(
            "commissioners_see_schools",
            str(
                env.get("SENDWATCH_COMMISSIONERS_SEE_SCHOOLS")
                or from_file.get("commissioners_see_schools", "false")
            ).strip(),
        ),
        sign_in=_sign_in(env, from_file),
        notify_email=tuple(
            address.strip()
            for address in str(
                env.get("SENDWATCH_NOTIFY_EMAIL") or from_file.get("notify_email", "")
            ).split(",")
            if address.strip()
        ),
        notify_webhook=env.get("SENDWATCH_NOTIFY_WEBHOOK") or from_file.get("notify_webhook"),
        validation_batch=_whole_number("validation_batch", env, from_file, 1000),
        validation_processes=_whole_number(
            "validation_processes", env, from_file, os.cpu_count() or 1
        ),
    )


def _whole_number(key: str, env: dict[str, str], from_file: dict[str, str], default: int) -> int:
    """A setting that is a whole number of at least 1 (SENDWATCH_<KEY> or ``key``)."""
    raw = str(env.get(f"SENDWATCH_{key.upper()}") or from_file.get(key, default))
    return int(_positive(key, raw.strip(), int))


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


def _sign_in(env: dict[str, str], from_file: dict[str, str]) -> SignIn:
    values: dict[str, object] = {}
    for setting in fields(SignIn):
        key = setting.metadata.get("key", setting.name)
        raw = env.get(f"SENDWATCH_{key.upper()}") or from_file.get(key)
        if raw is None or not str(raw).strip():
            continue
        raw = str(raw).strip()
        if setting.type == "bool":
            values[setting.name] = _yes_or_no(key, raw)
        elif setting.type == "float":
            values[setting.name] = _positive(key, raw, float)
        elif setting.type == "int":
            values[setting.name] = _positive(key, raw, int, allow_zero=True)
        elif setting.name == "oidc_role_groups":
            values[setting.name] = _role_groups(raw)
        else:
            values[setting.name] = raw
    sign_in = SignIn(**values)
    if sign_in.secret_key is not None and len(sign_in.secret_key) < MIN_SECRET_KEY_LENGTH:
        raise ValueError(
            f"the setting secret_key must be at least {MIN_SECRET_KEY_LENGTH} characters: "
            "leave it unset and sendwatch will generate one"
        )
    if bool(sign_in.oidc_issuer) != bool(sign_in.oidc_client_id):
        raise ValueError("single sign-on needs both oidc_issuer and oidc_client_id")
    return sign_in


def _yes_or_no(key: str, raw: str) -> bool:
    word = raw.lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise ValueError(f"the setting {key} must be true or false, not {raw!r}")
    return word in TRUE_WORDS


def _positive(key: str, raw: str, kind: type, allow_zero: bool = False) -> float | int:
    try:
        number = kind(raw)
    except ValueError:
        raise ValueError(f"the setting {key} must be a number, not {raw!r}") from None
    if number < 0 or (number == 0 and not allow_zero):
        least = "0 or more" if allow_zero else "more than 0"
        raise ValueError(f"the setting {key} must be {least}, not {raw!r}")
    return number


def _role_groups(raw: str) -> tuple[tuple[str, str], ...]:
    """'role=group[,group];...' as (group, role) pairs, each role checked."""
    from sendwatch.access.roles import ROLES  # roles imports nothing of sendwatch

    pairs: list[tuple[str, str]] = []
    for part in filter(None, (piece.strip() for piece in raw.split(";"))):
        role, equals, groups = (text.strip() for text in part.partition("="))
        if not equals or role not in ROLES or not groups:
            known = ", ".join(ROLES)
            raise ValueError(f"oidc_role_groups: {part!r} should be role=group; roles: {known}")
        pairs.extend((group.strip(), role) for group in groups.split(",") if group.strip())
    return tuple(pairs)
