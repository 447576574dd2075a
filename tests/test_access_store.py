"""The account store, the audit log and `sendwatch users`, on real SQLite files."""

from __future__ import annotations

import csv
import getpass
import sqlite3
import stat
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from sendwatch.access import audit, roles
from sendwatch.access.commands import users
from sendwatch.access.users import UserError, UserStore
from sendwatch.settings import Settings, load_settings

PASSWORD = "correct horse battery staple"


def cheap_hasher(time_cost: int = 1) -> PasswordHasher:
    """Argon2 at its cheapest, so the tests take milliseconds, not seconds."""
    return PasswordHasher(time_cost=time_cost, memory_cost=8, parallelism=1)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings({"SENDWATCH_HOME": str(tmp_path / "home")})


@pytest.fixture
def store(settings: Settings) -> UserStore:
    return UserStore.for_settings(settings, cheap_hasher())


def stored_bytes(settings: Settings) -> bytes:
    """Every byte of the access folder: the database and its WAL, where fresh rows sit."""
    return b"".join(path.read_bytes() for path in sorted(settings.access_folder.iterdir()))


def test_right_password_signs_in_and_wrong_one_does_not(store: UserStore) -> None:
    store.add("officer@la.gov.uk", roles.LA_OFFICER, password=PASSWORD)

    user = store.authenticate("Officer@LA.gov.uk", PASSWORD)

    assert user is not None and user.username == "officer@la.gov.uk"
    assert user.last_sign_in_at is not None
    assert user.viewer() == roles.Viewer("officer@la.gov.uk", roles.LA_OFFICER)
    assert store.authenticate("officer@la.gov.uk", PASSWORD + "!") is None
    assert store.authenticate("officer@la.gov.uk", "") is None


def test_disabled_account_cannot_sign_in_until_enabled(store: UserStore) -> None:
    store.add("sendiass1", roles.SENDIASS, password=PASSWORD)
    store.disable("sendiass1")

    assert store.authenticate("sendiass1", PASSWORD) is None
    assert store.get("sendiass1").disabled  # type: ignore[union-attr]
    store.enable("sendiass1")
    assert store.authenticate("sendiass1", PASSWORD) is not None


def test_unknown_user_is_refused_after_a_real_verification(settings: Settings) -> None:
    verified: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            verified.append(str(hash))
            return super().verify(hash, password)

    store = UserStore.for_settings(
        settings, CountingHasher(time_cost=1, memory_cost=8, parallelism=1)
    )

    assert store.authenticate("nobody", PASSWORD) is None
    assert len(verified) == 1 and verified[0].startswith("$argon2")  # costs as a real one


def test_sso_only_account_cannot_sign_in_with_a_password(store: UserStore) -> None:
    store.add_sso_only("commissioner1", roles.COMMISSIONER)

    assert store.get("commissioner1").has_password is False  # type: ignore[union-attr]
    assert store.authenticate("commissioner1", PASSWORD) is None
    assert store.authenticate("commissioner1", "") is None


def test_school_account_needs_a_urn_and_keeps_its_urns(store: UserStore) -> None:
    with pytest.raises(UserError, match="needs the URN of its school"):
        store.add("head", roles.SCHOOL)
    with pytest.raises(UserError, match="'12345' is not a URN"):
        store.add("head", roles.SCHOOL, urns=["12345"])
    with pytest.raises(UserError, match="only school accounts have URNs"):
        store.add("head", roles.LA_OFFICER, urns=["123456"])

    store.add("head", roles.SCHOOL, urns=["123456", "1234567"], password=PASSWORD)

    viewer = store.authenticate("head", PASSWORD).viewer()  # type: ignore[union-attr]
    assert viewer.role == roles.SCHOOL and viewer.urns == {"123456", "1234567"}


def test_mistakes_are_refused_with_a_sentence_saying_what_to_do(store: UserStore) -> None:
    with pytest.raises(UserError, match="there is no role 'superuser': choose one of la_officer"):
        store.add("someone", "superuser")
    with pytest.raises(UserError, match="username 'a b' is not allowed"):
        store.add("a b", roles.ADMIN)
    with pytest.raises(UserError, match="12 to 256 characters"):
        store.add("someone", roles.ADMIN, password="short")
    store.add("someone", roles.ADMIN)
    with pytest.raises(UserError, match="already an account 'someone'"):
        store.add("Someone", roles.ADMIN)
    with pytest.raises(UserError, match="no account 'ghost'"):
        store.set_role("ghost", roles.ADMIN)
    assert store.get("ghost") is None


def test_generated_password_works_and_only_its_hash_is_stored(
    store: UserStore, settings: Settings
) -> None:
    password = store.add("officer", roles.LA_OFFICER)
    changed = store.set_password("officer")

    assert len(password) >= 20 and changed != password
    assert store.authenticate("officer", password) is None
    assert store.authenticate("officer", changed) is not None
    on_disk = stored_bytes(settings)
    assert b"$argon2id$" in on_disk
    assert password.encode() not in on_disk and changed.encode() not in on_disk


def test_files_are_private_to_their_owner(store: UserStore, settings: Settings) -> None:
    store.add("officer", roles.LA_OFFICER)
    audit.record(settings, username="officer", role=roles.LA_OFFICER, action="sign_in")

    assert stat.S_IMODE(settings.access_folder.stat().st_mode) == 0o700
    for name in ("users.sqlite", "audit.sqlite"):
        assert stat.S_IMODE((settings.access_folder / name).stat().st_mode) == 0o600
    assert settings.warehouse.parent not in settings.access_folder.parents


def test_weaker_hash_is_upgraded_at_sign_in(settings: Settings) -> None:
    UserStore.for_settings(settings, cheap_hasher(time_cost=1)).add(
        "officer", roles.LA_OFFICER, password=PASSWORD
    )
    stronger = UserStore.for_settings(settings, cheap_hasher(time_cost=2))

    assert stronger.authenticate("officer", PASSWORD) is not None

    with sqlite3.connect(settings.access_folder / "users.sqlite") as connection:
        (stored,) = connection.execute("select password_hash from users").fetchone()
    assert ",t=2," in stored
    assert stronger.authenticate("officer", PASSWORD) is not None


def test_list_never_carries_a_hash(store: UserStore) -> None:
    store.add("b-officer", roles.LA_OFFICER)
    store.add("a-head", roles.SCHOOL, urns=["123456"])

    listed = store.list()

    assert [user.username for user in listed] == ["a-head", "b-officer"]
    assert "$argon2" not in repr(listed)


def test_audit_log_refuses_update_and_delete(settings: Settings) -> None:
    audit.record(settings, username="officer", role=roles.LA_OFFICER, action="sign_in")
    path = settings.access_folder / "audit.sqlite"

    connection = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("update events set outcome = 'forged'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("delete from events")
    finally:
        connection.close()
    assert audit.events(settings)["outcome"].tolist() == ["ok"]


def test_events_come_newest_first(settings: Settings) -> None:
    for action in ("sign_in", "view_school", "sign_out"):
        audit.record(settings, username="officer", role=roles.LA_OFFICER, action=action)

    assert audit.events(settings)["action"].tolist() == ["sign_out", "view_school", "sign_in"]
    assert audit.events(settings, limit=1)["action"].tolist() == ["sign_out"]
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(settings, username="x", role=roles.ADMIN, action="signed_in")


def test_audit_csv_neutralises_formulas(settings: Settings, tmp_path: Path) -> None:
    audit.record(
        settings, username="=cmd|' /C calc'!A0", role="", action="sign_in_failed", outcome="no"
    )
    out = tmp_path / "audit.csv"

    assert audit.write_csv(settings, out) == 1

    with out.open(encoding="utf-8", newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert row["username"] == "'=cmd|' /C calc'!A0"
    assert row["action"] == "sign_in_failed"


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SENDWATCH_HOME", str(tmp_path / "cli-home"))
    monkeypatch.delenv("SENDWATCH_CONFIG", raising=False)
    return load_settings()


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(users, list(args))
    return result.exit_code, result.output


def test_users_commands_manage_accounts_and_audit_each_change(
    cli_home: Settings, tmp_path: Path
) -> None:
    code, output = invoke("add", "head@school.org", "--role", "school", "--urn", "123456")
    assert code == 0, output
    password = output.split("Password for head@school.org: ")[1].split()[0]
    assert output.count(password) == 1 and "will not be shown again" in output
    store = UserStore.for_settings(cli_home)
    assert store.authenticate("head@school.org", password).urns == {"123456"}  # type: ignore[union-attr]

    code, output = invoke("set-password", "head@school.org")
    new_password = output.split("Password for head@school.org: ")[1].split()[0]
    assert code == 0 and output.count(new_password) == 1 and new_password != password

    assert invoke("set-role", "head@school.org", "--role", "school", "--urn", "654321")[0] == 0
    assert invoke("disable", "head@school.org")[0] == 0
    assert store.authenticate("head@school.org", new_password) is None
    assert invoke("add", "sso.person", "--role", "commissioner", "--sso-only")[0] == 0

    code, listing = invoke("list")
    assert code == 0 and "$argon2" not in listing and new_password not in listing
    lines = listing.splitlines()
    assert lines[0].split() == [
        "username",
        "role",
        "urns",
        "disabled",
        "sign-in",
        "last",
        "sign-in",
    ]
    assert lines[1].split()[:5] == ["head@school.org", "school", "654321", "yes", "password"]
    assert lines[2].split() == ["sso.person", "commissioner", "-", "no", "sso-only", "never"]

    out = tmp_path / "audit.csv"
    code, output = invoke("audit", "--out", str(out))
    assert code == 0 and "Wrote 5 audit events" in output
    text = out.read_text(encoding="utf-8")
    assert password not in text and new_password not in text
    log = audit.events(cli_home)
    assert log["action"].tolist() == [
        "export",
        "user_added",
        "user_disabled",
        "role_changed",
        "password_set",
        "user_added",
    ]
    assert set(log["username"]) == {getpass.getuser()} and set(log["role"]) == {"admin"}


def test_users_commands_turn_mistakes_into_one_line_and_exit_2(cli_home: Settings) -> None:
    code, output = invoke("add", "head", "--role", "school")
    assert code == 2 and "needs the URN of its school" in output and "Traceback" not in output

    code, output = invoke("add", "someone", "--role", "superuser")
    assert code == 2 and "'superuser' is not one of" in output

    code, output = invoke("disable", "ghost")
    assert code == 2 and "there is no account 'ghost'" in output

    assert "No accounts yet" in invoke("list")[1]
    assert audit.events(cli_home).empty
