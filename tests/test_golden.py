"""Golden texts in each language Puente speaks: a request for assistance as its requester reads it, the
page it raises at the responder, and the responder's `show` of the ticket. Each is compared whole with
tests/data/golden/NAME.LANG.txt, so a change of wording is a change of those files, read in review.

PUENTE_WRITE_GOLDEN=1 writes the files from what Puente says now (then read them before committing).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from puente.services.clock import ManualClock
from puente.services.users import service as users
from puente.settings import LANGUAGES
from tests.test_assistance import Csirt, csirt_pair

GOLDEN = Path(__file__).parent / "data" / "golden"


def _matches(name: str, language: str, said: str) -> None:
    path = GOLDEN / f"{name}.{language}.txt"
    if os.environ.get("PUENTE_WRITE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(said + "\n", encoding="utf-8")
    assert said + "\n" == path.read_text(encoding="utf-8"), f"{path.name} no longer says what Puente says"


def _speaks(csirt: Csirt, language: str) -> None:
    with csirt.runtime.unit_of_work(actor_name="operator") as ctx:
        for person in ("ana", "lead"):
            users.change(ctx, person, language=language, timezone="America/Bogota")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_request_its_page_and_show_read_the_same_as_last_time_in_each_language(
    language: str, sqlite_url: str, sqlite_template: Path, clock: ManualClock, tmp_path: Path
) -> None:
    with csirt_pair(sqlite_url, sqlite_template, clock, tmp_path) as (co, br):
        _speaks(co, language)
        _speaks(br, language)
        co.say(
            "ana",
            "new Botnet C2 hosted in Brazil sev=high countries=CO,BR tlp=amber pap=green type=malicious-code/c2-server",
        )
        asked = co.say("ana", "assist INC-2026-0001 cert-br block-host,takedown by=8h Please take down 198.51.100.7")
        co.exchange()
        br.exchange()
        [page] = [notice for notice in br.notices.printed if "/incident ack P" in notice]
        shown = br.say("lead", "show INC-2026-0001")
    _matches("request", language, asked)
    _matches("page", language, page)
    _matches("show", language, shown)
