"""Filters as they travel in a page's address: read them, and write links to them."""

from __future__ import annotations

from urllib.parse import urlencode

from dashboards import data

FILTER_KEYS = ("term", "phase", "locality", "strength", "search", "show")


def filters_from(query: dict[str, str], viewer: data.Viewer) -> data.Filters:
    """Filters from a page's query string; the newest term with returns (that ``viewer``
    can see) when none is given."""
    term = query.get("term") or "|".join(data.default_term(viewer))
    academic_year, _, term_name = term.partition("|")
    return data.Filters(
        academic_year=academic_year,
        term=term_name or None,
        phase=query.get("phase") or None,
        locality=query.get("locality") or None,
        strength=query.get("strength") or None,
        search=(query.get("search") or "").strip() or None,
    )


def address(query: dict[str, str], path: str = "/", **changes: str | None) -> str:
    merged = {key: value for key, value in {**query, **changes}.items() if value}
    kept = {key: merged[key] for key in FILTER_KEYS if key in merged}
    return f"{path}?{urlencode(kept)}" if kept else path


def school_address(urn: str, filters: data.Filters) -> str:
    """A school's page for the term in view."""
    return address({"term": f"{filters.academic_year}|{filters.term}"}, f"/school/{urn}")
