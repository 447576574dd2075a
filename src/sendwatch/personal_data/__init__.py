"""Finding personal data in what schools and SENDIASS send, without repeating it.

Returns must not identify children (contract: no names, dates of birth, UPNs,
addresses or free text about a child). Each detector says only *what kind* of
personal data a value looks like; callers report the place and the kind, never the
value, so nothing found here reaches a report, the warehouse or the dashboard.

Names are matched against the U.S. Census Bureau's 1990 lists of given names and
surnames (public domain; see ``scripts/make_name_lists.py``): a given name next to a
surname (in one cell, in a reference such as ``Oliver_Smith_2015``, or in two cells
side by side) is a name. A single word is not, because many given names are also
ordinary words ("May", "Grace", "Summer").
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).parent

NAME = "a name"
DATE_OF_BIRTH = "a date of birth"
NHS_NUMBER = "an NHS number"
UPN = "a Unique Pupil Number (UPN)"
POSTCODE = "a UK postcode"
EMAIL = "an email address"
PHONE = "a phone number"
HEADING = "a heading for personal data (a name, date of birth, UPN, contact details or address)"

# Header words that name personal data. Matched against whole words of the
# normalised header, so "school_name" matches but "pupil_ref" does not.
HEADER_WORDS = frozenset(
    {
        "name",
        "names",
        "forename",
        "forenames",
        "firstname",
        "surname",
        "lastname",
        "fullname",
        "dob",
        "birth",
        "birthday",
        "upn",
        "address",
        "postcode",
        "nhs",
        "email",
        "phone",
        "telephone",
        "mobile",
    }
)
HEADER_JOINED = frozenset({"dateofbirth", "postcode", "firstname", "lastname", "surname"})

UPN_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]\d{11}[A-Za-z\d](?![A-Za-z0-9])")
POSTCODE_ALONE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\s*\d[ABD-HJLNP-UW-Z]{2}$", re.IGNORECASE)
POSTCODE_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{1,2}\d[A-Z\d]?[\s_-]+\d[ABD-HJLNP-UW-Z]{2}(?![A-Za-z0-9])",
    re.IGNORECASE,
)
EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
TEN_DIGITS = re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")
PHONE_CANDIDATE = re.compile(r"(?<![\d+])(?:\+44|0)[\d\s()-]{8,16}\d")
DATE_IN_TEXT = (
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)(?P<s>[-_/.]?)(?P<m>\d\d)(?P=s)(?P<d>\d\d)(?!\d)"),
    re.compile(r"(?<!\d)(?P<d>\d\d)(?P<s>[-_/.]?)(?P<m>\d\d)(?P=s)(?P<y>(?:19|20)\d\d)(?!\d)"),
)
SINGLE_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
CHILD_AGE_YEARS = (1, 25)  # a date this many years ago is a plausible child's birth date


@cache
def _names(file_name: str) -> frozenset[str]:
    return frozenset((HERE / file_name).read_text(encoding="ascii").split())


def given_names() -> frozenset[str]:
    return _names("given_names.txt")


def surnames() -> frozenset[str]:
    return _names("surnames.txt")


def header_names_personal_data(normalised_header: str) -> bool:
    """A column heading such as ``first_name``, ``DOB`` or ``Home Address``."""
    words = set(normalised_header.split("_"))
    joined = normalised_header.replace("_", "")
    return bool(words & HEADER_WORDS) or joined in HEADER_JOINED


def words_of(text: str) -> list[str]:
    """Alphabetic words as written; ``OliverSmith`` and ``oliver_smith`` give two."""
    return WORD.findall(text)


def reference_words(text: str) -> list[str]:
    """Words of a reference: in each part (split at ``_``, ``-``, spaces ...) only the
    letters before its first digit, so ``HartleyAmelia09042016`` gives two words but a
    random code such as ``ada9dea1`` gives one."""
    words: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", text):
        leading = re.match(r"[A-Za-z]+", part)
        if leading:
            words.extend(words_of(leading[0]))
    return words


def is_given_name(word: str) -> bool:
    return word.lower() in given_names()


def is_surname(word: str) -> bool:
    return word.lower() in surnames()


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def has_name(words: list[str], capitalised: bool = False) -> bool:
    """A given name beside a surname, in either order ("Oliver Smith", "Smith, Oliver").

    Words of fewer than three letters never count (the lists hold "In" and "An"); in
    running text (``capitalised``) both words must start with a capital, as names do,
    so "fill in" or "held in" is not a name.
    """
    given, family = given_names(), surnames()
    for first, second in itertools.pairwise(words):
        if len(first) < 3 or len(second) < 3:
            continue
        if capitalised and not (_capitalised(first) and _capitalised(second)):
            continue
        one, two = first.lower(), second.lower()
        if (one in given and two in family) or (one in family and two in given):
            return True
    return False


def _plausible_birth_date(text: str, today: date) -> bool:
    low, high = today.year - CHILD_AGE_YEARS[1], today.year - CHILD_AGE_YEARS[0]
    for pattern in DATE_IN_TEXT:
        for match in pattern.finditer(text):
            try:
                found = date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                continue
            if low <= found.year <= high:
                return True
    return False


def nhs_number_valid(digits: str) -> bool:
    """The NHS number's modulus-11 check digit."""
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _phone(text: str) -> bool:
    for match in PHONE_CANDIDATE.finditer(text):
        digits = re.sub(r"\D", "", match[0])
        national = digits[2:] if match[0].startswith("+44") else digits[1:]
        if match[0].startswith("+44") and national.startswith("0"):
            national = national[1:]  # +44 (0)1202 ...
        if len(national) in (9, 10) and national[0] in "12378":
            return True
    return False


def _identifiers(text: str, phones: bool = True) -> str | None:
    """Kinds that are recognisable on their own, wherever they appear (phone numbers
    not in references, whose digit runs look like them)."""
    stripped = text.strip()
    if UPN_IN_TEXT.search(stripped):
        return UPN
    if EMAIL_IN_TEXT.search(stripped):
        return EMAIL
    if any(nhs_number_valid(re.sub(r"\D", "", m[0])) for m in TEN_DIGITS.finditer(stripped)):
        return NHS_NUMBER
    if POSTCODE_ALONE.match(stripped) or POSTCODE_IN_TEXT.search(stripped):
        return POSTCODE
    if phones and _phone(stripped):
        return PHONE
    return None


def in_text(text: str, today: date) -> str | None:
    """What personal data a free-text cell holds, if any (its kind, never the value)."""
    found = _identifiers(text)
    if found:
        return found
    if has_name(words_of(text), capitalised=True):
        return NAME
    return None


def in_heading(normalised_header: str) -> str | None:
    """A heading, already lower-cased: a name in it counts whatever its case."""
    found = _identifiers(normalised_header.replace("_", " "))
    if found:
        return found
    return NAME if has_name(words_of(normalised_header)) else None


def in_reference(text: str, today: date) -> str | None:
    """A pupil or enquiry reference: names and birth dates hide in these
    (``Oliver_Smith_2015-03-14``)."""
    found = _identifiers(text, phones=False)
    if found:
        return found
    if has_name(reference_words(text)):
        return NAME
    if _plausible_birth_date(text, today):
        return DATE_OF_BIRTH
    return None


def in_url(text: str, today: date) -> str | None:
    """A web address: the school's own host is fine, but not an email address, a phone
    number or a child's name in its path or query."""
    decoded = unquote(text)
    if EMAIL_IN_TEXT.search(decoded):
        return EMAIL
    try:
        parts = urlsplit(decoded)
    except ValueError:
        return None
    rest = f"{parts.path} {parts.query} {parts.fragment}"
    return _identifiers(rest) or (NAME if has_name(words_of(rest)) else None)


def in_number(value: int | float) -> str | None:
    """A number cell: an NHS number typed where a figure belongs."""
    if isinstance(value, float) and not value.is_integer():
        return None
    digits = str(int(value))
    return NHS_NUMBER if nhs_number_valid(digits) else None


def names_across_cells(cells: list[object]) -> list[int]:
    """Indexes of cells where a given name sits beside a surname in the next cell."""
    found: list[int] = []
    for index, (first, second) in enumerate(itertools.pairwise(cells)):
        if not (isinstance(first, str) and isinstance(second, str)):
            continue
        if not (SINGLE_WORD.fullmatch(first.strip()) and SINGLE_WORD.fullmatch(second.strip())):
            continue
        if has_name([first.strip(), second.strip()], capitalised=True):
            found.append(index)
    return found
