"""The `/incident new` modal: a form built from Puente's vocabularies, checked by the same parsers
as the typed command, and turned into that command so the core opens the ticket."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from puente.bot.commands import format_option
from puente.bot.slack.blocks import clip
from puente.services.errors import PuenteError
from puente.services.tickets.observables import parse_observables
from puente.services.vocabularies import countries, taxonomy

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
SEVERITY_HINT = {"low": "Low", "medium": "Medium", "high": "High", "critical": "Critical (24/7)"}


@dataclass
class Submission:
    """Either the command line that opens the ticket, or the errors to show next to the fields."""

    command: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _text(clip(label, 75)), "value": value}


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


def new_ticket_view(channel_id: str | None) -> dict[str, Any]:
    """The modal; `channel_id` (where /incident new was typed) comes back on submission."""
    severity_options = [_option(SEVERITY_HINT[s.value], s.value) for s in taxonomy.Severity]
    tlp_options = [_option(t.label, t.value) for t in taxonomy.TLP]
    type_groups = [
        {
            "label": _text(clip(classification, 75)),
            "options": [_option(kind, f"{classification}/{kind}") for kind in kinds],
        }
        for classification, kinds in taxonomy.RSIT.items()
    ]
    country_groups = [
        {"label": _text("The Americas"), "options": [_country_option(c) for c in AMERICAS]},
        {"label": _text("Beyond the Americas"), "options": [_country_option(c) for c in BEYOND]},
    ]
    medium = next(o for o in severity_options if o["value"] == "medium")
    amber = next(o for o in tlp_options if o["value"] == "amber")
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": channel_id or "",
        "title": _text("New ticket"),
        "submit": _text("Open ticket"),
        "close": _text("Cancel"),
        "blocks": [
            _input("title", "Title", {"type": "plain_text_input", "max_length": 200}),
            _input("description", "Description", {"type": "plain_text_input", "multiline": True}, optional=True),
            _input(
                "severity", "Severity", {"type": "static_select", "options": severity_options, "initial_option": medium}
            ),
            _input("type", "RSIT type", {"type": "static_select", "option_groups": type_groups}, optional=True),
            _input(
                "countries",
                "Affected countries",
                {"type": "multi_static_select", "option_groups": country_groups},
                optional=True,
            ),
            _input(
                "other_countries",
                "Other countries",
                {"type": "plain_text_input"},
                optional=True,
                hint="ISO 3166 codes not in the list above, e.g. KE, EG",
            ),
            _input(
                "sectors",
                "Sectors",
                {"type": "multi_static_select", "options": [_option(s, s) for s in taxonomy.STIX_SECTORS]},
                optional=True,
            ),
            _input("tlp", "TLP", {"type": "static_select", "options": tlp_options, "initial_option": amber}),
            _input(
                "observables",
                "Observables",
                {"type": "plain_text_input", "multiline": True},
                optional=True,
                hint="One per line: IPs, CIDRs, domains, URLs, e-mails, hashes; defanged forms are fine.",
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


def new_ticket_command(values: dict[str, Any]) -> Submission:
    """Check every field with the domain parsers; each refusal goes next to the field it concerns."""
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
        submission.errors["title"] = "Give the ticket a title, e.g. Phishing wave against ministries."
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
