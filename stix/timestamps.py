"""TAXII/STIX timestamps: parsed to aware UTC datetimes, written with microseconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$")


def parse_timestamp(value: str) -> datetime:
    """Parse `YYYY-MM-DDTHH:MM:SS[.fraction]Z`; fractions beyond microseconds are cut. ValueError otherwise."""
    match = _TIMESTAMP.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a timestamp like 2026-01-05T12:00:00.000Z")
    year, month, day, hour, minute, second, fraction = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tzinfo=UTC)


def format_timestamp(moment: datetime) -> str:
    """Microsecond precision, as date_added and the X-TAXII-Date-Added headers are written."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
