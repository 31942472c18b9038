"""Personal data in ticket text: what is found (e-mail, phone, CPF, DNI, RUT, CURP, cédula), and how rarely
ordinary IOC text trips the detector (a corpus of IOC lines, its false-positive rate printed and bounded)."""

from __future__ import annotations

import hashlib
import ipaddress
import random

import pytest

from puente.i18n import language
from puente.services.handling import personal
from puente.services.handling.personal import find

VICTIM = (
    "Victim: Maria Souza, CPF 529.982.247-25, cel +55 11 98765-4321, maria.souza@gmail.com. Her colleague in"
    " Buenos Aires, DNI 30.123.456; in Santiago, RUT 12.345.678-5; in Mexico, CURP HEGG560427MVZRRL04; in"
    " Bogotá, C.C. 1.020.304.050, celular 3001234567."
)


def test_a_finding_reads_in_the_readers_words() -> None:
    (email,) = find("write to ana@correo.example", "note 2")
    assert str(email) == "e-mail address ana@correo.example (note 2)"
    with language("es"):
        assert str(email) == "dirección de correo electrónico ana@correo.example (nota 2)"
    (cpf,) = find("CPF 529.982.247-25", "request")
    with language("pt"):
        assert str(cpf) == "CPF (BR) 529.982.247-25 (texto da solicitação)"


def test_every_identifier_in_a_victims_description_is_found() -> None:
    found = {(f.kind, f.value) for f in find(VICTIM, "description")}
    assert found == {
        (personal.CPF, "529.982.247-25"),
        (personal.PHONE, "+55 11 98765-4321"),
        (personal.EMAIL, "maria.souza@gmail.com"),
        (personal.DNI, "30.123.456"),
        (personal.RUT, "12.345.678-5"),
        (personal.CURP, "HEGG560427MVZRRL04"),
        (personal.CEDULA, "1.020.304.050"),
        (personal.PHONE, "3001234567"),
    }
    assert str(find("ana[@]mail[.]example", "note 1")[0]) == "e-mail address ana@mail.example (note 1)"


@pytest.mark.parametrize(
    "text",
    [
        "CPF 529.982.247-26",  # a wrong check digit
        "111.111.111-11",  # a CPF of one repeated digit
        "RUT 12.345.678-9",
        "CURP HEGG560427MVZRRL05",
        "http://user@evil.gov.br:8080/x",  # a URL's user is not an address
        "phone 12",
    ],
)
def test_numbers_that_only_look_like_identifiers_are_not_found(text: str) -> None:
    assert find(text, "description") == []


def test_check_digits() -> None:
    assert personal.cpf_valid("52998224725") and not personal.cpf_valid("52998224724")
    assert personal.rut_valid("7.654.321-6") and personal.rut_valid("11.111.111-1")
    assert not personal.rut_valid("7.654.321-K") and not personal.rut_valid("123-4")
    assert personal.curp_valid("HEGG560427MVZRRL04") and not personal.curp_valid("HEGG560427MVZRRL0X")


def _ioc_lines(count: int, seed: int = 16) -> list[str]:
    """IOC text as analysts paste it: hashes, addresses, URLs and domains (plain and defanged), ports, ASNs,
    CVEs, timestamps, paths and versions, one or a few to a line."""
    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 10)))

    def domain() -> str:
        return f"{word()}.{rng.choice(['com', 'net', 'org', 'gov.br', 'com.ar', 'cl', 'mx', 'co', 'example'])}"

    def ipv4() -> str:
        return str(ipaddress.IPv4Address(rng.getrandbits(32)))

    def item() -> str:
        kind = rng.randrange(16)
        data = str(rng.random()).encode()
        if kind == 0:
            return hashlib.md5(data).hexdigest()
        if kind == 1:
            return hashlib.sha1(data).hexdigest()
        if kind == 2:
            return hashlib.sha256(data).hexdigest()
        if kind == 3:
            return ipv4()
        if kind == 4:
            return f"{ipv4()}:{rng.randint(1, 65535)}"
        if kind == 5:
            return str(ipaddress.IPv6Address(rng.getrandbits(128)))
        if kind == 6:
            path = "/".join(word() if rng.random() < 0.6 else str(rng.randint(0, 10**12)) for _ in range(3))
            return f"http{'s' if rng.random() < 0.5 else ''}://{domain()}/{path}?id={rng.randint(0, 10**9)}&q=a+b"
        if kind == 7:
            return f"hxxp://{domain().replace('.', '[.]')}/{word()}.php"
        if kind == 8:
            return domain()
        if kind == 9:
            return f"AS{rng.randint(1, 400000)}"
        if kind == 10:
            return f"CVE-{rng.randint(1999, 2026)}-{rng.randint(1000, 99999)}"
        if kind == 11:
            return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"
        if kind == 12:
            return f"C:\\Users\\Public\\{word()}.exe"
        if kind == 13:
            return f"{word()} {rng.randint(1, 20)}.{rng.randint(0, 999)}.{rng.randint(0, 9999)}"
        if kind == 14:
            return f"{ipv4()}/{rng.randint(8, 32)}"
        return f"{rng.randint(10**6, 10**12)}"

    return [" ".join(item() for _ in range(rng.randint(1, 4))) for _ in range(count)]


def test_ordinary_ioc_text_rarely_trips_the_detector() -> None:
    lines = _ioc_lines(5000)
    tripped = [line for line in lines if find(line, "description")]
    rate = len(tripped) / len(lines)
    print(f"personal-data false positives on {len(lines)} IOC lines: {len(tripped)} ({rate:.3%})", tripped[:5])
    assert rate < 0.005
