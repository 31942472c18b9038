"""A Colombian requester who reads Puente in Spanish and a Brazilian responder who reads it in Portuguese
run a request for assistance end to end over TAXII: each reads the other's protocol messages (actions,
states, message types) in their own language, and the other's free text as written, labelled with the
language it was written in."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import select

from puente.storage.assistance import AssistanceMessage
from tests.puente_pair import puente_pair
from tests.support import wait_until


def test_a_spanish_requester_and_a_portuguese_responder_each_read_the_request_in_their_language(
    tmp_path: Path,
) -> None:
    with puente_pair(tmp_path) as (co, br):
        for user in ("ana", "lead"):
            co.cli("users", "set", user, "--lang", "es")
            br.cli("users", "set", user, "--lang", "pt")

        opened = co.say("ana", "/incident nuevo Botnet C2 alojada en Brasil sev=alta países=CO,BR tlp=ámbar pap=verde")
        reference = re.search(r"(INC-\d{4}-\d{4}) abierto\.", opened).group(1)  # type: ignore[union-attr]
        asked = co.say(
            "ana", f"/incident asistencia {reference} cert-br block-host,takedown plazo=8h Por favor den de baja el C2"
        )
        assert "solicitud de asistencia enviada a cert-br (alta:" in asked
        assert "Acciones: bloquear host, dar de baja" in asked

        wait_until(lambda: br.request_state(reference) == "SENT", "CERT-BR has the request")
        shown = br.say("lead", f"/incident ver {reference}")
        assert f"pedido por csirt-co ({reference}): bloquear host, derrubar — ENVIADA" in shown
        assert "PEDIDO DE ASSISTÊNCIA de csirt-co: [es] Por favor den de baja el C2" in shown
        assert "Gravidade: alta" in shown
        paged = (
            f"para {reference}: pedido de assistência: csirt-co (CSIRT-CO duty desk) nos pede bloquear host, derrubar"
        )
        wait_until(lambda: paged in br.log.read_text(), "CERT-BR's lead is paged, in Portuguese")
        page = next(line for line in br.log.read_text().splitlines() if paged in line)
        assert page.startswith("[para lead] Alerta P") and '"[es] Por favor den de baja el C2"' in page

        acked = br.say("lead", f"/incident ciente {reference}")
        assert "Confirmado" in acked and "a cadeia foi interrompida" in acked
        wait_until(lambda: co.request_state(reference) == "ACKED", "CSIRT-CO has the ACK")
        shown = co.say("ana", f"/incident ver {reference}")
        # The ACK's own text is the acknowledger's, in their language and labelled with it.
        assert "— RECIBIDA" in shown and "ACUSE DE RECIBO de cert-br: [pt] Recebido por lead." in shown

        br.say("lead", f"/incident aceitar {reference} estamos nisso")
        br.say("ana", f"/incident resultado {reference} feito C2 derrubado pelo provedor")
        wait_until(lambda: co.request_state(reference) == "COMPLETED", "CSIRT-CO has the result")
        shown = co.say("ana", f"/incident ver {reference}")
        assert f"pedida a cert-br ({reference}): bloquear host, dar de baja — COMPLETADA" in shown
        assert "RESULTADO de cert-br: [pt] C2 derrubado pelo provedor" in shown
        assert "ACEPTACIÓN de cert-br: [pt] estamos nisso" in shown
        told = "cert-br envió RESULTADO: [pt] C2 derrubado pelo provedor — ahora COMPLETADA"
        wait_until(lambda: told in co.log.read_text(), "the ticket's owner is told of the result, in Spanish")

        # Each side's timeline and deliveries read in its reader's words, the other's free text labelled.
        ours = co.say("ana", f"/incident timeline {reference}")
        # The deadline (8 h from now) in Spanish words, whatever the day the test runs on.
        asked_line = "· ana · asistencia solicitada: se pidió a cert-br: bloquear host, dar de baja antes de"
        assert re.search(rf"{re.escape(asked_line)} (lun|mar|mié|jue|vie|sáb|dom), \d+ [a-z]+ \d{{4}}, ", ours), ours
        assert f"· RESULTADO recibido: {told}" in ours
        assert f"· bandeja de salida · entregado: SOLICITUD DE ASISTENCIA {reference} entregado a cert-br" in ours
        assert f"📤 SOLICITUD DE ASISTENCIA {reference} → cert-br: entregado: " in shown
        theirs = br.say("lead", f"/incident timeline {reference}")
        asked_of_us = (
            f"· solicitação de assistência recebida: csirt-co nos pede: bloquear host, derrubar, sobre seu {reference}"
        )
        assert asked_of_us in theirs and '"[es] Por favor den de baja el C2"' in theirs
        assert "· lead · ACEITE enviado: ACEITE para csirt-co: estamos nisso" in theirs

        # The language travels as STIX `lang` on each note: each side records the other's.
        for instance, language in ((co, "pt"), (br, "es")):
            runtime = instance.runtime()
            with runtime.unit_of_work() as ctx:
                received = ctx.session.exec(select(AssistanceMessage).where(AssistanceMessage.direction == "in"))
                assert {m.language for m in received if m.text} == {language}
            runtime.engine.dispose()
