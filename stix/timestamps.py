"""STIX and TAXII timestamps: the one place they are parsed, written and compared.

STIX 2.1 (section 3.2) writes a timestamp as `YYYY-MM-DDTHH:MM:SS[.s+]Z` in UTC, with any number
of fractional digits: producers write seconds, milliseconds (OpenCTI, ATT&CK), microseconds
(stix2, MISP) or nanoseconds (Go's RFC3339Nano). The same instant therefore has several texts, and
texts of different precisions do not sort as times (`…00.500Z` < `…00Z`). So:

- `parse_timestamp` gives an aware UTC datetime (digits beyond microseconds are cut: datetime stops there);
- `instant` gives the exact instant in nanoseconds, what every comparison of two texts uses;
- `format_timestamp` writes Puente's own timestamps, always with microseconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

_FORM = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z")
# What STIX 2.1 requires of `created` and `modified`: at least milliseconds.
_MILLISECONDS = re.compile(r".*\.\d{3,}Z")
_EXAMPLE = "2026-01-05T12:00:00.000Z"
_EPOCH_DAY = datetime(1970, 1, 1).toordinal()


def _parts(text: str) -> tuple[datetime, int]:
    """The instant to the microsecond and the nanoseconds beyond it; ValueError if not a STIX timestamp."""
    found = _FORM.fullmatch(text) if type(text) is str else None
    if found is None:
        raise ValueError(f"{text!r} is not a STIX timestamp like {_EXAMPLE}")
    year, month, day, hour, minute, second, fraction = found.groups()
    digits = (fraction or "")[:9].ljust(9, "0")
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC)
    except ValueError as error:
        raise ValueError(f"{text!r} is not a STIX timestamp: {error}") from None
    return moment.replace(microsecond=int(digits[:6])), int(digits[6:])


@lru_cache(maxsize=16384)
def parse_timestamp(text: str) -> datetime:
    """An aware UTC datetime; fractions beyond microseconds are cut. ValueError if not a STIX timestamp."""
    return _parts(text)[0]


@lru_cache(maxsize=16384)
def instant(text: str) -> int:
    """The exact instant in nanoseconds since 1970: what comparing two timestamps compares."""
    found = _FORM.fullmatch(text) if type(text) is str else None
    if found is None:
        raise ValueError(f"{text!r} is not a STIX timestamp like {_EXAMPLE}")
    date, hour, minute, second, fraction = text[:10], int(found[4]), int(found[5]), int(found[6]), found[7]
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{text!r} is not a STIX timestamp: no such time of day")
    try:
        day = _day(date)
    except ValueError as error:
        raise ValueError(f"{text!r} is not a STIX timestamp: {error}") from None
    seconds = (day * 24 + hour) * 3600 + minute * 60 + second
    return seconds * 1_000_000_000 + int((fraction or "")[:9].ljust(9, "0"))


@lru_cache(maxsize=4096)
def _day(date: str) -> int:
    """Days since 1970 of a YYYY-MM-DD date (a few dates serve a whole bundle: computed once each)."""
    return datetime.strptime(date, "%Y-%m-%d").toordinal() - _EPOCH_DAY


def is_timestamp(text: object) -> bool:
    try:
        _parts(text)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def has_milliseconds(text: str) -> bool:
    """Whether a timestamp is precise to the millisecond, as `created` and `modified` must be."""
    return _MILLISECONDS.fullmatch(text) is not None


def newer(candidate: str, than: str | None) -> bool:
    """Whether `candidate` is a later instant than `than` (anything is newer than nothing)."""
    return than is None or instant(candidate) > instant(than)


def newest(texts: list[str]) -> str | None:
    """The latest of some timestamps, as written; None for none."""
    return max(texts, key=instant) if texts else None


@lru_cache(maxsize=65536)
def format_timestamp(moment: datetime) -> str:
    """Puente's own timestamps: UTC with microseconds, so that no stored time is rounded away."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def forget_cached() -> None:
    """Empty the caches of timestamps read and written. Each entry keeps a string of what was read alive:
    after a large upload these few survivors, scattered among the freed objects, would keep whole arenas
    of Python's allocator (1 MiB each) from going back to the system."""
    for cached in (parse_timestamp, instant, _day, format_timestamp):
        cached.cache_clear()
