"""The five roles and what each may open. Defined here once; the data layer, the
dashboard's navigation, the export routes and the command line all ask this module."""

from __future__ import annotations

from dataclasses import dataclass, field

LA_OFFICER = "la_officer"
SENDIASS = "sendiass"
COMMISSIONER = "commissioner"
SCHOOL = "school"
ADMIN = "admin"

ROLES: dict[str, str] = {
    LA_OFFICER: "LA SEND officer: every school, every figure, unsuppressed",
    SENDIASS: "SENDIASS: enquiry patterns and school duty flags, small numbers suppressed",
    COMMISSIONER: "Commissioner: figures by locality, phase and need, small numbers suppressed",
    SCHOOL: "School: its own school only, to see what the LA sees and correct its data",
    ADMIN: "Administrator: users, the register, settings and refresh status; no pupil data",
}


class AccessDenied(PermissionError):
    """The viewer may not see what was asked for: a 403 in the dashboard, exit 2 on the
    command line. The message says what was refused, never any of its data."""


@dataclass(frozen=True)
class Viewer:
    """Who is asking: an account's name, its role and, for a school, its URNs."""

    name: str
    role: str
    urns: frozenset[str] = field(default_factory=frozenset)
    # a commissioner the LA lets see school-level figures (suppressed), by the setting
    # commissioners_see_schools; no other role is changed by it
    sees_schools: bool = False

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}: one of {', '.join(ROLES)}")


# Which roles may open each page of the dashboard (by the page's module name) and
# each route that is not a page. The one place this is decided: the dashboard's
# navigation, its request guard and the data layer all read it.
EVERYONE_SIGNED_IN = frozenset(ROLES)
PAGES: dict[str, frozenset[str]] = {
    "overview": frozenset({LA_OFFICER, SENDIASS}),
    "school": frozenset({LA_OFFICER, SENDIASS, SCHOOL}),
    "check": frozenset({LA_OFFICER, SENDIASS}),
    "data_status": frozenset({LA_OFFICER}),
    "context": frozenset({LA_OFFICER, SENDIASS, COMMISSIONER, SCHOOL}),
    "sendiass": frozenset({LA_OFFICER, SENDIASS}),
    "commissioning": frozenset({LA_OFFICER, COMMISSIONER}),
    "early_warning": frozenset({LA_OFFICER}),
    "admin": frozenset({ADMIN}),
}
ROUTES: dict[str, frozenset[str]] = {
    "data_docs": frozenset({LA_OFFICER}),  # Great Expectations shows failing values
    "dbt_docs": frozenset({LA_OFFICER, ADMIN}),
    # the duty checks download (/export/duties.*, `sendwatch export duties`)
    "duties_export": frozenset({LA_OFFICER, SENDIASS, SCHOOL}),
    # files received, with why any was rejected (`sendwatch export submissions`)
    "submissions_export": frozenset({LA_OFFICER, SCHOOL}),
    # each school's SENDIASS enquiry rate and funnel limits (`sendwatch export enquiries`)
    "enquiries_export": frozenset({LA_OFFICER, SENDIASS}),
    # the demand tables, by need, specialist, high-cost provision, EHC requests
    "demand_export": frozenset({LA_OFFICER, COMMISSIONER}),
    # each school's chance of a red duty next term, with its reasons
    "early_warning_export": frozenset({LA_OFFICER}),
    # every back-test: the forecasts' (and, for the LA, the early warning's)
    "backtest_export": frozenset({LA_OFFICER, COMMISSIONER}),
}
# What a commissioner whom the LA lets see school-level figures may open besides.
COMMISSIONER_SCHOOL_LEVEL = frozenset({"overview", "school", "check", "duties_export"})
# Roles that see small numbers as they are: the LA's own officers, and a school
# looking at its own figures. Everyone else sees DfE's symbols (c, low, x, z).
UNSUPPRESSED = frozenset({LA_OFFICER, SCHOOL})


def may_open(viewer: Viewer | None, name: str) -> bool:
    """Whether ``viewer`` may open the page or route called ``name`` (never if unknown)."""
    if viewer is None:
        return False
    if viewer.role == COMMISSIONER and viewer.sees_schools and name in COMMISSIONER_SCHOOL_LEVEL:
        return True
    return viewer.role in PAGES.get(name, ROUTES.get(name, frozenset()))


def may_see_school(viewer: Viewer | None, urn: str) -> bool:
    """Whether ``viewer`` may see anything of the school ``urn``: a school account only
    its own; administrators no school at all (no pupil-level data)."""
    if viewer is None or viewer.role == ADMIN:
        return False
    return viewer.role != SCHOOL or urn in viewer.urns


def suppressed(viewer: Viewer) -> bool:
    """Whether small numbers are withheld from ``viewer`` (DfE's disclosure control)."""
    return viewer.role not in UNSUPPRESSED


def home_page(viewer: Viewer) -> str:
    """Where a role lands after signing in."""
    if viewer.role == SCHOOL:
        return f"/school/{min(viewer.urns)}"
    return {SENDIASS: "/sendiass", COMMISSIONER: "/commissioning", ADMIN: "/admin"}.get(
        viewer.role, "/"
    )
