"""Two CSIRTs become peers in one exchange of tokens (`peers invite` / `join` / `accept`), then talk."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from puente.cli.main import main
from tests.puente_pair import Instance
from tests.support import confirmation, wait_until


def token_in(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("puente-peering:"))


def test_invite_join_accept_makes_two_puentes_peers_both_ways(tmp_path: Path) -> None:
    co = Instance("CSIRT-CO", "CO", "cert-br", tmp_path / "co")
    br = Instance("CERT-BR", "BR", "csirt-co", tmp_path / "br")
    for instance in (co, br):
        instance.directory.mkdir(parents=True)
        instance.cli("db", "upgrade")
        instance.cli("users", "add", "ana", "--role", "analyst")
    invitation = tmp_path / "invitation.txt"
    invitation.write_text(
        token_in(
            co.cli("peers", "invite", "cert-br", "--countries", "BR", "--domains", "gov.br", "--contact", "CO desk")
        )
    )
    joined = br.cli("peers", "join", f"@{invitation}", "--contact", "CERT.br desk")
    assert "csirt-co (CO) is now our peer and partner" in joined
    answer = tmp_path / "answer.txt"
    answer.write_text(token_in(joined))
    assert "cert-br is now our peer and partner" in co.cli("peers", "accept", f"@{answer}")

    assert "cert-br\tBR" in co.cli("peers", "list") and "CERT.br desk" in co.cli("peers", "list")
    assert "csirt-co\tCO" in br.cli("peers", "list") and "CO desk" in br.cli("peers", "list")
    try:
        co.start()
        br.start()
        assert co.cli("peers", "test", "cert-br").splitlines()[-1] == "all good"
        assert br.cli("peers", "test", "csirt-co").splitlines()[-1] == "all good"
        # What the tokens set up carries a shared ticket: the domain suffix given at invitation routes it.
        opened = co.say("ana", "/incident new Phishing kit on gov host countries=CO tlp=green ioc=http://x.gov.br/a")
        reference = opened.split()[1].rstrip(".")
        assert "cert-br" in co.say("ana", f"/incident share {reference}")
        co.say("ana", confirmation(co.say("ana", f"/incident share {reference}")))
        wait_until(lambda: "Phishing kit on gov host" in br.say("ana", "/incident list all"), "CERT-BR has the ticket")
    finally:
        co.stop()
        br.stop()


@pytest.mark.parametrize(
    ("command", "token", "message"),
    [
        ("join", "puente-peering:!!!", "That is not a Puente peering token"),
        ("accept", "hello", "That is not a Puente peering token"),
    ],
)
def test_a_bad_token_is_one_clear_line(cli_env: dict[str, str], command: str, token: str, message: str) -> None:
    assert CliRunner().invoke(main, ["db", "upgrade"], env=cli_env).exit_code == 0
    result = CliRunner().invoke(main, ["peers", command, token], env=cli_env)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_an_invitation_is_not_an_answer(tmp_path: Path) -> None:
    co = Instance("CSIRT-CO", "CO", "cert-br", tmp_path / "co")
    co.directory.mkdir(parents=True)
    co.cli("db", "upgrade")
    invitation = token_in(co.cli("peers", "invite", "cert-br", "--countries", "BR"))
    result = CliRunner().invoke(main, ["peers", "accept", invitation], env=co.env)
    assert result.exit_code == 1
    assert "This is an invite token: it goes to `puente peers join`." in result.output
