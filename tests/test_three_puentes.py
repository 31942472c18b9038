"""Three Puente deployments on loopback (CSIRT-CO, CERT-BR, CERT-AR), each `puente run` with its own
database, run one cross-border incident end to end, driven by analysts through `puente say`: CO shares it
with three IOCs, raises it, BR adds to it, CO asks BR for help, BR forwards the request to AR, CO warns
of a second incident. Every step is checked on each side's `show` and `list`."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

from tests.puente_pair import Instance, puente_trio
from tests.support import confirmation, wait_until

TIMEOUT = 60.0  # a loaded 2-core machine: conditions are awaited, this only bounds a hang


def _shows(csirt: Instance, reference: str, *texts: str) -> bool:
    try:
        shown = csirt.say("lead", f"/incident show {reference}")
    except AssertionError:  # not there yet
        return False
    return all(text in shown for text in texts)


def _field(shown: str, name: str) -> str:
    match = re.search(rf"^  {name}: (.*)$", shown, re.MULTILINE)
    assert match, f"no {name} in:\n{shown}"
    return match.group(1)


def test_one_incident_shared_updated_contributed_forwarded_and_warned_across_three_puentes(tmp_path: Path) -> None:
    with puente_trio(tmp_path) as csirts:
        co, br, ar = csirts["csirt-co"], csirts["cert-br"], csirts["cert-ar"]
        opened = co.say(
            "ana",
            "/incident new Botnet C2 across the region sev=high countries=CO,BR,AR tlp=amber pap=red"
            " type=malicious-code/c2-server sector=energy ioc=198.51.100.7,evil.example,203.0.113.9",
        )
        ref = re.search(r"Opened (INC-\d{4}-\d{4})", opened).group(1)  # type: ignore[union-attr]
        co.say("ana", f"/incident note {ref} Beaconing from two power utilities")
        preview = co.say("ana", f"/incident share {ref} to cert-br cert-ar")
        assert "Preview" in preview and "→ cert-br" in preview and "→ cert-ar" in preview
        co.say("ana", confirmation(co.say("ana", f"/incident share {ref} to cert-br cert-ar")))

        # 1. It arrives whole at both.
        for peer in (br, ar):
            wait_until(partial(_shows, peer, ref, "Botnet C2"), f"{peer.name} has the ticket", TIMEOUT)
            shown = peer.say("lead", f"/incident show {ref}")
            assert f"[csirt-co {ref}] Botnet C2 across the region" in shown
            assert _field(shown, "Severity") == "high" and _field(shown, "PAP") == "PAP:RED"
            assert _field(shown, "Type") == "malicious-code/c2-server" and _field(shown, "Sectors") == "energy"
            assert _field(shown, "Countries").startswith("CO (Colombia), BR (Brazil), AR (Argentina)")
            assert _field(shown, "Observables") == "3"
            assert "note by ana (csirt-co)" in shown and "Beaconing from two power utilities" in shown
            listed = peer.say("lead", "/incident list all")
            assert listed.startswith("1 all ticket") and f"[csirt-co {ref}]" in listed

        # 2. A later version follows by itself.
        co.say("ana", f"/incident update {ref} sev=critical")
        co.say("ana", f"/incident ioc {ref} bad-cdn.example")
        for peer in (br, ar):
            wait_until(
                partial(_shows, peer, ref, "Severity: critical", "Observables: 4"),
                f"{peer.name} has the new version",
                TIMEOUT,
            )
            history = peer.say("lead", f"/incident timeline {ref}")
            assert "csirt-co: severity high → critical" in history and "+1 observable" in history

        # 3. BR's contribution comes back to CO's one ticket, and reaches AR too, with its author.
        br_ref = re.search(r"^(INC-\d{4}-\d{4}): \[csirt-co", br.say("lead", f"/incident show {ref}"), re.M)
        assert br_ref is not None
        br.say("lead", f"/incident note {br_ref.group(1)} The C2 also answers from AS64500")
        br.say("ana", f"/incident ioc {br_ref.group(1)} 192.0.2.55")
        wait_until(lambda: _shows(co, ref, "note by lead (cert-br)", "192.0.2.55"), "CO has BR's contribution", TIMEOUT)
        assert co.say("ana", "/incident list all").startswith("1 all ticket")
        wait_until(lambda: _shows(ar, ref, "note by lead (cert-br)", "192.0.2.55"), "AR has it too", TIMEOUT)

        # 4. PAP:RED permits no takedown; at PAP:GREEN CO asks BR for help with text; BR forwards the request
        # to AR, where the text arrives too.
        refused = co.say_refused("ana", f"/incident assist {ref} cert-br block-host,takedown by=8h Take it down")
        assert f"{ref} is PAP:RED: block-host, takedown could be noticed by the adversary" in refused
        co.say("ana", f"/incident update {ref} pap=green")
        co.say("ana", f"/incident assist {ref} cert-br block-host,takedown by=8h Please take down 198.51.100.7")
        wait_until(lambda: br.request_state(ref) == "SENT", "BR has the request", TIMEOUT)
        shown = br.say("lead", f"/incident show {br_ref.group(1)}")
        assert "asked by csirt-co" in shown and "RFA from csirt-co: Please take down 198.51.100.7" in shown
        wait_until(lambda: "Please take down 198.51.100.7" in br.log.read_text(), "BR's page has the text", TIMEOUT)
        forwarded = br.say("lead", f"/incident forward {br_ref.group(1)} cert-ar The host is in Argentina")
        assert "forwarded csirt-co's request to cert-ar" in forwarded
        wait_until(lambda: ar.request_state(br_ref.group(1)) == "SENT", "AR has BR's request", TIMEOUT)
        listed = ar.say("lead", "/incident list all")
        assert listed.startswith("2 all tickets") and f"[cert-br {br_ref.group(1)}]" in listed
        ar_ref = re.search(rf"(INC-\d{{4}}-\d{{4}}) .*\[cert-br {br_ref.group(1)}\]", listed)
        assert ar_ref is not None
        shown = ar.say("lead", f"/incident show {ar_ref.group(1)}")
        assert f"asked by cert-br ({br_ref.group(1)}): block-host, takedown — SENT" in shown
        assert f"Forwarded from csirt-co {ref}: Please take down 198.51.100.7 The host is in Argentina" in shown
        assert _field(shown, "Observables") == "5"
        wait_until(lambda: co.request_state(ref) == "FORWARDED", "CO hears where it went", TIMEOUT)
        shown = co.say("ana", f"/incident show {ref}")
        assert "FORWARDED → cert-ar: SENT" in shown
        ar.say("lead", f"/incident ack {ar_ref.group(1)}")
        wait_until(
            lambda: _shows(co, ref, f"FORWARDED → cert-ar {ar_ref.group(1)}: ACKED"),  # type: ignore[union-attr]
            "CO sees the forwarded request's state",
            TIMEOUT,
        )

        # 5. An early warning about a second incident reaches AR's on-call at its severity.
        opened = co.say("ana", "/incident new Phishing kit against banks sev=medium countries=CO,AR")
        second = re.search(r"Opened (INC-\d{4}-\d{4})", opened).group(1)  # type: ignore[union-attr]
        preview = co.say("ana", f"/incident notify {second} Kit seen at two banks")
        assert "→ cert-ar (country AR; AR)" in preview and "cert-br" not in preview
        co.say("ana", confirmation(co.say("ana", f"/incident notify {second} Kit seen at two banks")))
        wait_until(
            lambda: "early warning: csirt-co (CSIRT-CO duty desk) warns of Phishing kit" in ar.log.read_text(),
            "AR's on-call is paged",
            TIMEOUT,
        )
        assert "3 all tickets" in ar.say("lead", "/incident list all")
        assert br.say("lead", "/incident list all").startswith("1 all ticket")
        assert co.say("ana", "/incident list all").startswith("2 all tickets")
