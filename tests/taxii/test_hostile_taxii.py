"""TAXII 2.1 MUSTs a hostile or careless partner leans on (issue 12, item 8), through a real client.

DELETE needs the right to read as well as write (an inbox is write-only: 403); a status resource
leaves out its empty lists; discovery names API roots as https or relative URLs unless the operator
asks for http in a lab.
"""

from __future__ import annotations

from taxii2client.v21 import Server

from puente.services.context import Runtime
from tests.hostile import incident, open_door
from tests.taxii.conftest import PEER_IDENTITY, RunningServer, add_partner


def test_delete_in_an_inbox_the_partner_cannot_read_is_forbidden_and_deletes_nothing(runtime: Runtime) -> None:
    door = open_door(runtime)
    own = incident("cert-br")
    assert door.post("cert-br", [own]).status_code == 202
    deleted = door.client.delete(
        f"/taxii2/api/collections/{door.inbox['cert-br']}/objects/{own['id']}/",
        headers={"Accept": "application/taxii+json;version=2.1", "Authorization": door.auth["cert-br"]},
    )
    assert deleted.status_code == 403 and "may write to collection cert-br-inbox but not read it" in deleted.text
    assert door.post("cert-br", [own]).json()["successes"][0]["message"] == "this version was already present"


def test_a_status_leaves_out_its_empty_lists(runtime: Runtime) -> None:
    door = open_door(runtime)
    good = door.post("cert-br", [incident("cert-br")]).json()
    assert good["success_count"] == 1 and "failures" not in good and "pendings" not in good
    bad = door.post("cert-br", [{"type": "incident"}]).json()
    assert bad["failure_count"] == 1 and "successes" not in bad
    again = door.client.get(
        f"/taxii2/api/status/{bad['id']}/",
        headers={"Accept": "application/taxii+json;version=2.1", "Authorization": door.auth["cert-br"]},
    ).json()
    assert again == bad


def _advertised(runtime: Runtime, **settings: object) -> tuple[str, str]:
    for name, value in settings.items():
        setattr(runtime.settings, name, value)
    door = open_door(runtime)
    answer = door.client.get(
        "/taxii2/", headers={"Accept": "application/taxii+json;version=2.1", "Authorization": door.auth["cert-br"]}
    ).json()
    assert answer["default"] in answer["api_roots"]
    return answer["default"], door.auth["cert-br"]


def test_discovery_names_a_relative_api_root_unless_served_over_https(sqlite_runtime: Runtime) -> None:
    assert _advertised(sqlite_runtime, base_url="http://taxii.csirt.example")[0] == "api/"


def test_discovery_names_the_https_api_root_in_full(sqlite_runtime: Runtime) -> None:
    root = _advertised(sqlite_runtime, base_url="https://taxii.csirt.example")[0]
    assert root == "https://taxii.csirt.example/taxii2/api/"


def test_an_operator_may_advertise_http_for_a_lab(sqlite_runtime: Runtime) -> None:
    root = _advertised(sqlite_runtime, base_url="http://10.0.0.5:8080", taxii_http_api_roots=True)[0]
    assert root == "http://10.0.0.5:8080/taxii2/api/"


def test_taxii2_client_follows_a_relative_api_root(taxii_server: RunningServer) -> None:
    issued = add_partner(taxii_server.runtime, "cert-br", peer="cert-br", identity=PEER_IDENTITY)
    server = Server(taxii_server.discovery, user=issued.user, password=issued.password)
    assert server.default is not None and server.default.url == taxii_server.api_root
    assert {c.alias for c in server.default.collections} >= {"public", "cert-br-inbox"}
