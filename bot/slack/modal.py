"""The `/incident new` modal: a form built from Puente's vocabularies, checked by the same parsers
as the typed command, and turned into that command so the core opens the ticket.

The form reads in the language of whoever opened it; that language rides in the modal's
private_metadata with the channel, so its errors and the answer to its submission read in it too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from puente import i18n
from puente.bot.commands import format_option
from puente.bot.slack.blocks import clip
from puente.i18n import _
from puente.services.errors import PuenteError
from puente.services.tickets.observables import parse_observables
from puente.services.vocabularies import countries, taxonomy, words

CALLBACK_ID = "puente.new"
ACTION = "value"

# A static select holds at most 100 options: the OAS member states (the community Puente serves),
# the territories of the Americas, and the partners outside it that Latin American CSIRTs work with
# most. Any other ISO code goes in the free-text field below the picker.
AMERICAS = sorted(countries.OAS_MEMBER_STATES + countries.AMERICAS_TERRITORIES, key=countries.country_name)
BEYOND = [
    "ES",
    "PT",
    "FR",
    "GB",
    "DE",
    "NL",
    "IT",
    "BE",
    "CH",
    "SE",
    "NO",
    "FI",
    "EE",
    "UA",
    "RU",
    "CN",
    "IN",
    "JP",
    "KR",
    "SG",
    "IL",
    "AU",
    "ZA",
    "NG",
]


@dataclass(frozen=True, slots=True)
class Opened:
    """What a modal remembers of where it was opened: the channel (None: a DM with the app) and the
    language its reader reads."""

    channel_id: str | None
    language: str

    def metadata(self) -> str:
        return json.dumps({"channel": self.channel_id, "language": self.language})

    @classmethod
    def from_metadata(cls, metadata: str | None, default: str) -> Opened:
        """The modal's metadata; a modal opened by an earlier Puente kept only the channel id there."""
        try:
            kept = json.loads(metadata or "{}")
        except ValueError:
            return cls(metadata, default)
        if not isinstance(kept, dict):
            return cls(metadata, default)
        return cls(kept.get("channel") or None, i18n.supported(kept.get("language")) or default)


@dataclass
class Submission:
    """Either the command line that opens the ticket, or the errors to show next to the fields."""

    command: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _text(clip(label, 75)), "value": value}


def _capital(word: str) -> str:
    return word[:1].upper() + word[1:]


def _severity_option(code: str) -> dict[str, Any]:
    word = _capital(words.severity(code))
    # Critical tickets page around the clock: the picker says so.
    label = _("{severity} (24/7)").format(severity=word) if code == taxonomy.Severity.CRITICAL else word
    return _option(label, code)


def _country_option(code: str) -> dict[str, Any]:
    return _option(f"{countries.country_name(code)} ({code})", code)


def _input(
    block_id: str, label: str, element: dict[str, Any], optional: bool = False, hint: str = ""
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": _text(label),
        "element": {**element, "action_id": ACTION},
        "optional": optional,
    }
    if hint:
        block["hint"] = _text(hint)
    return block


def new_ticket_view(opened: Opened) -> dict[str, Any]:
    """The modal, in `opened.language`; `opened` comes back on submission."""
    with i18n.language(opened.language):
        return _view(opened)


def _view(opened: Opened) -> dict[str, Any]:
    severity_options = [_severity_option(s.value) for s in taxonomy.Severity]
    tlp_options = [_option(t.label, t.value) for t in taxonomy.TLP]
    type_groups = [
        {
            "label": _text(clip(_capital(words.rsit_class(classification)), 75)),
            "options": [_option(_capital(words.rsit_kind(kind)), f"{classification}/{kind}") for kind in kinds],
        }
        for classification, kinds in taxonomy.RSIT.items()
    ]
    country_groups = [
        {"label": _text(_("The Americas")), "options": [_country_option(c) for c in AMERICAS]},
        {"label": _text(_("Beyond the Americas")), "options": [_country_option(c) for c in BEYOND]},
    ]
    medium = next(o for o in severity_options if o["value"] == "medium")
    amber = next(o for o in tlp_options if o["value"] == "amber")
    sector_options = [_option(_capital(words.sector(s)), s) for s in taxonomy.STIX_SECTORS]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": opened.metadata(),
        "title": _text(clip(_("New ticket"), 24)),
        "submit": _text(clip(_("Open ticket"), 24)),
        "close": _text(clip(_("Cancel"), 24)),
        "blocks": [
            _input("title", _("Title"), {"type": "plain_text_input", "max_length": 200}),
            _input("description", _("Description"), {"type": "plain_text_input", "multiline": True}, optional=True),
            _input(
                "severity",
                _("Severity"),
                {"type": "static_select", "options": severity_options, "initial_option": medium},
            ),
            _input("type", _("RSIT type"), {"type": "static_select", "option_groups": type_groups}, optional=True),
            _input(
                "countries",
                _("Affected countries"),
                {"type": "multi_static_select", "option_groups": country_groups},
                optional=True,
            ),
            _input(
                "other_countries",
                _("Other countries"),
                {"type": "plain_text_input"},
                optional=True,
                hint=_("ISO 3166 codes not in the list above, e.g. KE, EG"),
            ),
            _input(
                "sectors",
                _("Sectors"),
                {"type": "multi_static_select", "options": sector_options},
                optional=True,
            ),
            _input("tlp", "TLP", {"type": "static_select", "options": tlp_options, "initial_option": amber}),
            _input(
                "observables",
                _("Observables"),
                {"type": "plain_text_input", "multiline": True},
                optional=True,
                hint=_("One per line: IPs, CIDRs, domains, URLs, e-mails, hashes; defanged forms are fine."),
            ),
        ],
    }


def _value(values: dict[str, Any], block_id: str) -> str:
    state = values.get(block_id, {}).get(ACTION, {})
    if "selected_option" in state:
        return str((state["selected_option"] or {}).get("value") or "")
    return str(state.get("value") or "")


def _selected(values: dict[str, Any], block_id: str) -> list[str]:
    state = values.get(block_id, {}).get(ACTION, {})
    return [str(option["value"]) for option in state.get("selected_options") or []]


def new_ticket_command(values: dict[str, Any], language: str) -> Submission:
    """Check every field with the domain parsers; each refusal goes next to the field it concerns, in
    `language` (the form's)."""
    with i18n.language(language):
        return _submission(values)


def _submission(values: dict[str, Any]) -> Submission:
    submission = Submission()
    words = ["new"]

    def check(block_id: str, parse: Any) -> Any:
        try:
            return parse()
        except PuenteError as error:
            submission.errors[block_id] = clip(str(error), 2000)
            return None

    title = _value(values, "title").strip()
    if not title:
        submission.errors["title"] = _("Give the ticket a title, e.g. Phishing wave against ministries.")
    words.append(format_option("title", title))
    if description := _value(values, "description").strip():
        words.append(format_option("desc", description))
    if (severity := check("severity", lambda: taxonomy.severity(_value(values, "severity") or "medium"))) is not None:
        words.append(format_option("sev", severity.value))
    kind = _value(values, "type")
    if kind and (rsit := check("type", lambda: taxonomy.rsit_type(kind))) is not None:
        words.append(format_option("type", "/".join(rsit)))
    picked = check("countries", lambda: countries.country_codes(_selected(values, "countries")))
    others = check(
        "other_countries", lambda: countries.country_codes(re.split(r"[\s,;]+", _value(values, "other_countries")))
    )
    codes = list(dict.fromkeys((picked or []) + (others or [])))
    if codes:
        words.append(format_option("countries", ",".join(codes)))
    if sectors := check("sectors", lambda: taxonomy.sectors(_selected(values, "sectors"))):
        words.append(format_option("sectors", ",".join(sectors)))
    if (tlp := check("tlp", lambda: taxonomy.tlp(_value(values, "tlp") or "amber"))) is not None:
        words.append(format_option("tlp", tlp.value))
    observables = check("observables", lambda: parse_observables(_value(values, "observables").splitlines()))
    if observables:
        words.append(format_option("ioc", " ".join(o.value for o in observables)))
    if not submission.errors:
        submission.command = " ".join(words)
    return submission
