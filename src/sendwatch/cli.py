"""The sendwatch command line."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sendwatch.errors import SendwatchError, SendwatchUsageError
from sendwatch.settings import Settings, load_settings

if TYPE_CHECKING:
    from sendwatch.access.roles import Viewer
    from sendwatch.generate import GenerationSummary


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """sendwatch: oversight of SEN support in mainstream schools, for local authorities.

    Settings come from SENDWATCH_HOME (default ./var) and SENDWATCH_REGISTER.
    """


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder to write.")
@click.option("--schools", type=click.IntRange(min=1), help="Number of schools.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same files.")
@click.option("--scale", type=click.Choice(["bcp", "england"]), default="bcp", show_default=True)
@click.option("--terms", type=click.IntRange(1, 6), default=6, show_default=True)
def generate(out: Path, schools: int | None, seed: int, scale: str, terms: int) -> None:
    """Write realistic sample returns, register, enquiries and ground truth."""
    summary = _generate_with_progress(out, schools, seed, scale, terms)
    click.echo(
        f"Wrote {summary.files} return files for {summary.schools} schools to {out}: "
        f"{summary.planted_flags} planted amber/red results over "
        f"{len(summary.checks_covered)} checks, {summary.rejected_returns} invalid returns, "
        f"{summary.enquiries} SENDIASS enquiries."
    )


def _generate_with_progress(
    out: Path, schools: int | None = None, seed: int = 1, scale: str = "bcp", terms: int = 6
) -> GenerationSummary:
    from sendwatch.generate import choose_sizes
    from sendwatch.generate import generate as run_generate

    count = len(choose_sizes(scale, schools))
    label = f"Simulating {count} schools"
    with click.progressbar(length=count, label=label, file=sys.stderr) as bar:
        return run_generate(out, schools, seed, scale, terms, progress=bar.update)


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Workbook to write.")
def template(out: Path) -> None:
    """Write a blank return workbook with drop-downs and instructions."""
    from sendwatch.contract.template import write_template

    write_template(out)
    click.echo(f"Wrote the blank return workbook {out}")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--register",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also check URNs against this register CSV.",
)
def validate(files: tuple[Path, ...], register: Path | None) -> None:
    """Check returns and SENDIASS files against the contract.

    Exit 0 if every file is valid, 1 if any is not, 2 for a usage error.
    """
    from sendwatch.contract.v1 import group_into_deliveries
    from sendwatch.problems import summarise
    from sendwatch.register import read_register_urns
    from sendwatch.validation import check_delivery

    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise SendwatchUsageError(f"no such file: {', '.join(missing)}")
    urns = read_register_urns(register) if register else None
    limits = load_settings().limits
    rejected = 0
    deliveries = group_into_deliveries(sorted(files), lambda path: path)
    for (_, kind, _), paths in deliveries.items():
        contents = {path.name: path for path in paths}
        result = check_delivery(kind, contents, date.today(), urns, limits)
        names = ", ".join(sorted(contents))
        if result.valid:
            count = len(getattr(result, "pupils", None) or getattr(result, "rows", []))
            click.echo(
                f"VALID    {names}: {count} {'enquiries' if kind == 'enquiries' else 'pupils'}"
            )
            continue
        rejected += 1
        problems = result.problems
        if len(problems) == 1:
            click.echo(f"REJECTED {problems[0]}")
            continue
        click.echo(f"REJECTED {names}: {len(problems)} problem(s)")
        for line in summarise(problems):
            click.echo(f"  - {line}")
    click.echo(f"{len(deliveries) - rejected} valid, {rejected} rejected.")
    sys.exit(1 if rejected else 0)


@cli.command()
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Rebuild a past night as it ran: judge as at the end of DATE (YYYY-MM-DD, in "
    "England) or at an ISO 8601 moment; files received later are left out.",
)
def refresh(as_of: str | None) -> None:
    """Run the nightly pipeline once, now (the same Airflow DAG the scheduler runs).

    Progress goes to stderr, the night's summary to stdout. Exit 0 if it published
    or found no new files, 1 if the night failed (the previous snapshot is still
    served), 2 if the settings or the register are wrong (nothing was started).
    """
    from sendwatch.pipeline.runtime import refresh as run_refresh

    moment = as_of_moment(as_of) if as_of else None
    settings = checked_settings()
    os.environ["SENDWATCH_PROGRESS"] = "1"
    click.echo(f"Refreshing from {settings.landing} ...", err=True)
    with _stdout_to_stderr():  # Airflow and library logs are not the summary
        result = run_refresh(settings, moment)
    _print_summary(result.summary)
    if not result.succeeded:
        failure = result.summary.get("failure") or {}
        raise SendwatchError(
            f"the refresh failed at {failure.get('step', 'an unknown step')}"
            + (f" (handling {failure['file']})" if failure.get("file") else "")
            + ": "
            f"{failure.get('error', result.state)}. The previous snapshot is still served."
        )


def as_of_moment(text: str) -> str:
    """An ISO 8601 moment from a date (its last moment in England) or a moment."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").date()
            moment = datetime.combine(day, time(23, 59, 59), ZoneInfo("Europe/London"))
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise SendwatchUsageError(f"--as-of {text!r} is not a date (YYYY-MM-DD)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Europe/London"))
    return moment.isoformat()


def valid_settings() -> Settings:
    """The settings, or one line saying what is wrong with them (exit 2)."""
    try:
        return load_settings()
    except (ValueError, FileNotFoundError) as error:
        raise SendwatchUsageError(f"the settings are wrong: {error}") from None


def checked_settings() -> Settings:
    """The settings and the register, checked before anything starts."""
    from sendwatch.register import RegisterError, read_register

    settings = valid_settings()
    if not settings.register.is_file():
        raise SendwatchUsageError(
            f"the register {settings.register} does not exist: set SENDWATCH_REGISTER"
        )
    try:
        read_register(settings.register)
    except RegisterError as error:
        raise SendwatchUsageError(f"the register is wrong: {error}") from None
    return settings


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send everything written to stdout (file descriptor 1) to stderr meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _print_summary(summary: dict) -> None:
    if summary.get("status") == "no_new_files":
        click.echo(f"Run {summary.get('run_id')}: no new files; the snapshot served is unchanged.")
        return
    click.echo(f"Run {summary.get('run_id')}: {summary.get('status')}")
    for outcome, count in sorted((summary.get("deliveries") or {}).items()):
        click.echo(f"  {outcome:18} {count}")
    if summary.get("published"):
        click.echo(f"  published          {summary['published']}")
    for rejected in (summary.get("rejected") or [])[:20]:
        click.echo(f"  REJECTED {', '.join(rejected['files'])}: {rejected['first_error']}")
    for refused in (summary.get("refused") or [])[:20]:
        click.echo(f"  REFUSED  {refused}")
    waiting = summary.get("waiting") or []
    if waiting:
        click.echo(f"  {len(waiting)} file(s) still arriving, left for the next night")


@cli.group()
def export() -> None:
    """Export tables from the published snapshot."""


ROLE_OPTION = click.option(
    "--role",
    type=click.Choice(["la_officer", "sendiass", "commissioner", "school", "admin"]),
    default="la_officer",
    show_default=True,
    help="Write what this role would download from the dashboard (its suppression too).",
)
URN_OPTION = click.option(
    "--urn", "urns", multiple=True, help="With --role school: the school's URN (repeatable)."
)


def export_viewer(role: str, urns: tuple[str, ...]) -> Viewer:
    """The viewer an export is written for: the OS user, in the role asked for."""
    import getpass

    from sendwatch.access.roles import COMMISSIONER, SCHOOL, Viewer

    if (role == SCHOOL) != bool(urns):
        raise SendwatchUsageError("--urn goes with --role school, which needs at least one")
    sees_schools = role == COMMISSIONER and load_settings().commissioners_see_schools
    return Viewer(getpass.getuser() or "unknown", role, frozenset(urns), sees_schools)


def write_export(viewer: Viewer, what: str, frame_for, out: Path, file_format: str) -> None:
    """Write an export through the dashboard's data layer, and record it in the audit log."""
    from sendwatch.access import audit
    from sendwatch.access.roles import may_open
    from sendwatch.exports import write_table

    if not may_open(viewer, f"{what}_export"):
        raise SendwatchUsageError(f"the {viewer.role} role may not export {what.replace('_', '-')}")
    sheet = "duty_checks" if what == "duties" else what
    rows = write_table(frame_for(viewer), out, file_format, sheet)
    audit.record(load_settings(), username=viewer.name, role=viewer.role, action="export",
                 target=f"sendwatch export {what} -> {out}")  # fmt: skip
    click.echo(f"Wrote {rows} rows to {out}")


@export.command("submissions")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="CSV file to write.")
@ROLE_OPTION
@URN_OPTION
def export_submissions(out: Path, role: str, urns: tuple[str, ...]) -> None:
    """One row per file received: outcome, whether in force, first error."""
    from dashboards import data

    write_export(export_viewer(role, urns), "submissions", data.submission_export, out, "csv")


@export.command("duties")
@click.option("--year", help="Academic year, e.g. 2025-26.")
@click.option("--term", type=click.Choice(["autumn", "spring", "summer"]))
@click.option("--format", "file_format", type=click.Choice(["csv", "xlsx"]), default="csv")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="File to write.")
@ROLE_OPTION
@URN_OPTION
def export_duties(
    year: str | None, term: str | None, file_format: str, out: Path, role: str,
    urns: tuple[str, ...],
) -> None:  # fmt: skip
    """Every duty check: status, numbers, bands, paragraph and evidence."""
    from dashboards import data

    filters = data.Filters(academic_year=year, term=term)
    write_export(
        export_viewer(role, urns), "duties", lambda v: data.duty_export(v, filters), out,
        file_format,
    )  # fmt: skip


@export.command("enquiries")
@click.option("--format", "file_format", type=click.Choice(["csv", "xlsx"]), default="csv")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="File to write.")
@ROLE_OPTION
def export_enquiries(file_format: str, out: Path, role: str) -> None:
    """Each school's SENDIASS enquiry rate, every term, with the funnel plot's limits."""
    from dashboards import data

    write_export(export_viewer(role, ()), "enquiries", data.enquiry_export, out, file_format)


@export.command("demand")
@click.option("--format", "file_format", type=click.Choice(["csv", "xlsx"]), default="csv")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="File to write.")
@ROLE_OPTION
def export_demand(file_format: str, out: Path, role: str) -> None:
    """The commissioning tables in one long table: pupils by need, specialists, provision
    over £6,000 a year, EHC requests, by term and place."""
    from dashboards import data

    write_export(export_viewer(role, ()), "demand", data.demand_export, out, file_format)


@export.command("early-warning")
@click.option("--format", "file_format", type=click.Choice(["csv", "xlsx"]), default="csv")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="File to write.")
@ROLE_OPTION
def export_early_warning(file_format: str, out: Path, role: str) -> None:
    """Each school's chance of a red must or should duty next term, with its reasons."""
    from dashboards import data

    write_export(export_viewer(role, ()), "early_warning", data.early_warning, out, file_format)


@export.command("backtest")
@click.option("--format", "file_format", type=click.Choice(["csv", "xlsx"]), default="csv")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="File to write.")
@ROLE_OPTION
def export_backtest(file_format: str, out: Path, role: str) -> None:
    """Every back-test of the early warning and the forecasts: per origin and overall,
    the actual, the model's figure and the baseline's."""
    from dashboards import data

    write_export(export_viewer(role, ()), "backtest", data.backtest_export, out, file_format)


@cli.command()
@click.option("--apply", "apply_it", is_flag=True, help="Remove the files (default: list them).")
def retention(apply_it: bool) -> None:
    """Remove received files older than SENDWATCH_RETENTION_DAYS, recording each.

    Without --apply, lists what would go. Unset, every file is kept for ever.
    """
    from sendwatch import retention as keeping

    settings = valid_settings()
    if settings.retention_days is None:
        click.echo("Every received file is kept for ever (SENDWATCH_RETENTION_DAYS is not set).")
        return
    files = keeping.expired(settings)
    for item in files:
        click.echo(f"{'REMOVE' if apply_it else 'WOULD REMOVE'} {item.path}")
    total = sum(item.bytes for item in files)
    click.echo(
        f"{len(files)} file(s), {total / 1024 / 1024:.1f} MB, received more than "
        f"{settings.retention_days} days ago."
    )
    if apply_it and files:
        log = keeping.apply(settings, files)
        click.echo(f"Removed; recorded in {log}.")


@cli.command()
@click.option("--port", type=int, default=8080, show_default=True)
def docs(port: int) -> None:
    """Build the dbt documentation site (offline) and serve it on localhost."""
    from sendwatch.pipeline.dbt_runner import generate_dbt_docs

    site = generate_dbt_docs(load_settings())
    click.echo(f"dbt docs in {site}; serving on http://127.0.0.1:{port} (Ctrl+C to stop)")
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        server.serve_forever()


@cli.command()
@click.option("--port", type=int, default=8050, show_default=True)
def serve(port: int) -> None:
    """Serve the dashboard on http://127.0.0.1:PORT over the published snapshot.

    People sign in (accounts: `sendwatch users`). This is plain http on this machine, so
    the session cookie is not marked Secure unless SENDWATCH_COOKIE_SECURE says otherwise;
    a deployment serves ``dashboards.app:server`` behind TLS.
    """
    os.environ.setdefault("SENDWATCH_COOKIE_SECURE", "false")  # read when the app is built
    settings = valid_settings()
    from dashboards.app import app
    from sendwatch.access.users import UserStore

    click.echo(f"sendwatch dashboard on http://127.0.0.1:{port} (Ctrl+C to stop)")
    if not settings.sign_in.sso_enabled and not UserStore.for_settings(settings).list():
        click.echo(
            "No accounts yet, so nobody can sign in: add one with "
            "`sendwatch users add NAME --role la_officer` (it prints the password)."
        )
    app.run(host="127.0.0.1", port=port, debug=False)


@cli.command()
def demo() -> None:
    """Make the sample data, run the nightly pipeline on it, serve the dashboard."""
    settings = load_settings()
    run_demo(settings)


DEMO_MARKER = ".sendwatch-demo"
DEMO_FOLDERS = ("landing", "archive", "quarantine", "warehouse", "published", "runs", "sample")


def _reset_demo_home(settings: Settings) -> None:
    """Start the demo afresh, but never over a real LA's data."""
    marker = settings.home / DEMO_MARKER
    if settings.warehouse.exists() and not marker.exists():
        raise SendwatchError(
            f"{settings.home} holds a warehouse the demo did not make; "
            "set SENDWATCH_HOME to an empty folder to run the demo"
        )
    for name in DEMO_FOLDERS:
        shutil.rmtree(settings.home / name, ignore_errors=True)
    settings.home.mkdir(parents=True, exist_ok=True)
    marker.touch()


def run_demo(settings: Settings) -> None:
    _reset_demo_home(settings)
    click.echo(f"Generating sample data in {settings.sample} ...")
    summary = _generate_with_progress(settings.sample)
    settings.ensure_folders()
    copied = 0
    for path in sorted((settings.sample / "landing").rglob("*")):
        if path.is_file():
            target = settings.landing / path.relative_to(settings.sample / "landing")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            copied += 1
    click.echo(f"{summary.schools} schools; {copied} files placed in {settings.landing}.")
    from sendwatch.pipeline.runtime import refresh as run_refresh

    click.echo("Running the nightly pipeline once (Airflow, Great Expectations, dbt) ...")
    result = run_refresh(settings)
    _print_summary(result.summary)
    if not result.succeeded:
        raise SendwatchError("the demo's refresh failed; see the summary above")
    click.echo(
        "Every return is judged against the 17 duty checks: `sendwatch export duties "
        "--out duties.csv` writes them out."
    )
    _demo_accounts(settings)
    click.echo("Open http://127.0.0.1:8050 and sign in with one of these.")
    serve.callback(port=8050)


# One account per role, so the demo shows what each role sees.
DEMO_ACCOUNTS = (
    ("officer", "la_officer"),
    ("sendiass", "sendiass"),
    ("commissioner", "commissioner"),
    ("school", "school"),
    ("admin", "admin"),
)


def _demo_accounts(settings: Settings) -> None:
    """Make the demo's accounts (the school one for the register's first school) and
    print their passwords, once; accounts kept from an earlier demo are left as they are."""
    from sendwatch.access import audit
    from sendwatch.access.users import UserStore
    from sendwatch.register import read_register

    store = UserStore.for_settings(settings)
    first_urn = read_register(settings.register)[0].urn
    made: list[tuple[str, str, str]] = []
    kept: list[str] = []
    for username, role in DEMO_ACCOUNTS:
        if store.get(username) is not None:
            kept.append(username)
            continue
        urns = [first_urn] if role == "school" else []
        made.append((username, role, store.add(username, role, urns)))
        audit.record(
            settings,
            username="sendwatch demo",
            role="admin",
            action="user_added",
            target=username,
            detail=f"{role} for URN {first_urn}" if urns else role,
        )
    if made:
        click.echo("Accounts for the demo, one per role (the passwords are not shown again):")
        for username, role, password in made:
            school = f" (URN {first_urn})" if role == "school" else ""
            click.echo(f"  {username:<13} {password}   {role}{school}")
    if kept:
        click.echo(
            f"The demo's accounts {', '.join(kept)} already exist, with the passwords shown "
            "when they were made; for a new one: `sendwatch users set-password NAME`."
        )


from sendwatch.access.commands import users  # noqa: E402  (it imports this module's errors)

cli.add_command(users)


def main() -> None:
    try:
        cli.main(prog_name="sendwatch")
    except KeyboardInterrupt:
        click.echo("sendwatch: interrupted", err=True)
        sys.exit(130)
    except OSError as error:  # a file we could not read or write: say which, no traceback
        click.secho(f"sendwatch: {error}", err=True, fg="red")
        sys.exit(2)


if __name__ == "__main__":
    main()
