"""One timestamp codec (stix.timestamps): texts of any precision parse, compare and write as instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import stix2.utils
from hypothesis import given
from hypothesis import strategies as st

from puente.services.context import Runtime
from puente.services.exchange import importer
from puente.services.users import service as users
from puente.stix.timestamps import format_timestamp, instant, newer, newest, parse_timestamp
from puente.stix.validation import InvalidStix, check_object
from puente.storage.models import Role
from tests.support import acting_as

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Seconds, milliseconds, microseconds, nanoseconds, and the odd precisions producers also write.
PRECISIONS = st.sampled_from([0, 1, 3, 5, 6, 7, 9])
nanoseconds = st.integers(
    min_value=int((datetime(1990, 1, 1, tzinfo=UTC) - EPOCH).total_seconds()) * 10**9,
    max_value=int((datetime(2090, 1, 1, tzinfo=UTC) - EPOCH).total_seconds()) * 10**9,
)


def written(ns: int, digits: int) -> tuple[str, int]:
    """The instant `ns` written with `digits` fractional digits, and the instant that text stands for."""
    seconds, fraction = divmod(ns, 10**9)
    text = (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    kept = fraction // 10 ** (9 - digits) if digits else 0
    if digits:
        text += "." + f"{kept:0{digits}d}"
    return text + "Z", seconds * 10**9 + kept * 10 ** (9 - digits)


@given(nanoseconds, PRECISIONS, nanoseconds, PRECISIONS)
def test_timestamps_of_mixed_precision_compare_as_the_instants_they_write(a: int, pa: int, b: int, pb: int) -> None:
    text_a, at_a = written(a, pa)
    text_b, at_b = written(b, pb)
    assert instant(text_a) == at_a and instant(text_b) == at_b
    assert newer(text_a, text_b) == (at_a > at_b)
    assert newest([text_a, text_b]) in {t for t, at in ((text_a, at_a), (text_b, at_b)) if at == max(at_a, at_b)}
    assert (parse_timestamp(text_a) < parse_timestamp(text_b)) == (at_a // 1000 < at_b // 1000)


@given(nanoseconds, PRECISIONS)
def test_parsing_agrees_with_stix2_and_writing_keeps_every_microsecond(ns: int, digits: int) -> None:
    text, at = written(ns, digits)
    moment = parse_timestamp(text)
    if digits <= 6:  # stix2 (Python's datetime) reads up to microseconds
        assert moment == stix2.utils.parse_into_datetime(text)
    assert instant(format_timestamp(moment)) == at - at % 1000
    assert parse_timestamp(format_timestamp(moment)) == moment


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-05T12:00:00", "2026-01-05 12:00:00Z", "2026-01-05T12:00:00+00:00", "2026-02-30T00:00:00Z", "",
        "nope", "0000-01-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T23:59:60Z",
        "2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z", "2026-1-01T00:00:00Z",
    ],
)  # fmt: skip
def test_what_is_not_a_stix_timestamp_is_refused(text: str) -> None:
    """By both readings alike: what is stored is checked with the (cached) instant validation read."""
    with pytest.raises(ValueError, match="not a STIX timestamp"):
        instant(text)
    with pytest.raises(ValueError, match="not a STIX timestamp"):
        parse_timestamp(text)


def test_the_half_second_is_later_than_the_whole_second_although_it_sorts_before_it() -> None:
    assert "2026-01-05T12:00:00.500Z" < "2026-01-05T12:00:00Z"  # as strings: the bug this codec ends
    assert newer("2026-01-05T12:00:00.500Z", "2026-01-05T12:00:00Z")
    assert not newer("2026-01-05T12:00:00.000Z", "2026-01-05T12:00:00Z")  # one instant, two texts


def _incident(modified: str, name: str) -> dict:
    return {
        "type": "incident",
        "spec_version": "2.1",
        "id": "incident--6d1c3ea0-8a0a-4b8f-9a36-2f5d0bca1c55",
        "created_by_ref": "identity--0f9a1d7e-9a2c-4c1b-8f6e-0d1b2c3d4e5f",
        "created": "2026-01-05T12:00:00.000Z",
        "modified": modified,
        "name": name,
    }


def test_a_later_version_with_a_finer_fraction_refreshes_the_ticket(sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
    # As text ".0005Z" sorts before ".000Z"; as instants it is half a millisecond later.
    versions = [("2026-01-05T12:00:00.000Z", "first"), ("2026-01-05T12:00:00.0005Z", "second")]
    for modified, name in versions:
        with acting_as(sqlite_runtime, "ana") as ctx:
            ticket = importer.import_content(ctx, _incident(modified, name)).ticket
    assert ticket.title == "second"
    with acting_as(sqlite_runtime, "ana") as ctx:  # an older version, written at microseconds, changes nothing
        assert importer.import_content(ctx, _incident("2026-01-05T12:00:00.000400Z", "stale")).ticket.title == "second"


@pytest.mark.parametrize(
    ("prop", "value", "accepted"),
    [
        ("valid_until", "2026-01-05T12:00:00.5Z", True),  # later than valid_from, though it sorts before it
        ("valid_until", "2026-01-05T12:00:00Z", False),  # the same instant as valid_from
        ("valid_until", "2026-01-05T11:59:59.999999999Z", False),
        ("created", "2026-01-05T12:00:00.123456789Z", True),  # STIX allows any fraction; stix2 stops at µs
        ("created", "2026-01-05T12:00:00Z", False),  # created and modified MUST be precise to the millisecond
    ],
)
def test_indicator_times_are_checked_as_instants(prop: str, value: str, accepted: bool) -> None:
    indicator = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--33fe3b22-0201-47cf-85d0-97c02164528d",
        "created": "2026-01-05T12:00:00.000Z",
        "modified": "2026-01-05T12:00:00.123456789Z",
        "pattern": "[ipv4-addr:value = '10.0.0.1']",
        "pattern_type": "stix",
        "valid_from": "2026-01-05T12:00:00.000Z",
        prop: value,
    }
    if accepted:
        assert check_object(indicator) is indicator
    else:
        with pytest.raises(InvalidStix, match=f"{indicator['id']}: '{prop}'"):
            check_object(indicator)
