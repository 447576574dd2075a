"""Fictional school names, URNs and localities.

No real school may ever appear as failing a duty, so names are built from
invented place-name parts and URNs come from the 9xxxxx range, far above the
URNs GIAS has issued (under 160000 at the time of writing).
"""

from __future__ import annotations

import random

FICTIONAL_URN_START = 900001

STEMS = (
    "Abb", "Brin", "Cobb", "Dorr", "Eld", "Fenn", "Gorr", "Hask", "Ibb", "Jorr", "Kell",
    "Lumm", "Morr", "Nebb", "Orl", "Pask", "Quarr", "Rudd", "Skarr", "Tull", "Umb", "Varr",
    "Wisk", "Yarr", "Zenn", "Bexx", "Crill", "Drabb", "Ferr", "Grisk",
)  # fmt: skip
ENDINGS = (
    "ington", "worth", "wick", "combe", "stead", "thorpe", "ley", "mere", "holt", "stow",
    "den", "bury", "cott", "well", "ham", "ford", "by", "hurst", "wold", "minster",
)  # fmt: skip
QUALIFIERS = ("", "North ", "South ", "East ", "West ", "Upper ", "Lower ", "Great ", "Little ")
KINDS = {
    "primary": (
        "Primary School", "Infant School", "Junior School", "Church of England Primary School",
        "Community Primary School", "Primary Academy", "Catholic Primary School",
    ),
    "secondary": ("Academy", "High School", "School", "Community College", "Grammar School"),
    "all_through": ("All-Through School", "All-Through Academy"),
}  # fmt: skip
LOCALITIES = ("Northcliff", "Eastmere", "Southdown", "Westbrook", "Harbourside", "Heathfield")


def fictional_urn(index: int) -> str:
    return str(FICTIONAL_URN_START + index)


def school_names(phases: list[str], rng: random.Random) -> list[str]:
    """One distinct fictional name per school, in order."""
    places = [q + s + e for q in QUALIFIERS for s in STEMS for e in ENDINGS]
    rng.shuffle(places)
    used: set[str] = set()
    names = []
    for index, phase in enumerate(phases):
        kinds = KINDS[phase]
        place = places[index % len(places)]
        name = f"{place} {kinds[(index // len(places) + rng.randrange(len(kinds))) % len(kinds)]}"
        while name in used:
            name = f"{places[rng.randrange(len(places))]} {kinds[rng.randrange(len(kinds))]}"
        used.add(name)
        names.append(name)
    return names


def slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-").replace("--", "-")
