"""Observable detection: typed automatically, defanged forms accepted, bad values refused precisely."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puente.services.errors import InvalidInput
from puente.services.tickets.observables import ObservableKind, parse_observable, parse_observables, refang

labels = st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True)
domains = st.builds(
    lambda parts, tld: ".".join([*parts, tld]),
    st.lists(labels, min_size=1, max_size=3),
    st.sampled_from(["com", "example", "br", "gov.co", "org"]),
)


def defang(value: str) -> str:
    return value.replace(".", "[.]").replace("http", "hxxp", 1)


@given(st.ip_addresses(v=4))
def test_ipv4_addresses_and_their_defanged_forms(address: ipaddress.IPv4Address) -> None:
    for text in (str(address), defang(str(address))):
        found = parse_observable(text)
        assert found.kind == ObservableKind.IPV4
        assert found.value == str(address)


@given(st.ip_addresses(v=6))
def test_ipv6_addresses(address: ipaddress.IPv6Address) -> None:
    found = parse_observable(address.exploded)
    assert found.kind == ObservableKind.IPV6
    assert found.value == str(address)


@given(st.ip_addresses(v=4), st.integers(min_value=8, max_value=31))
def test_cidr_blocks_are_kept_as_networks(address: ipaddress.IPv4Address, prefix: int) -> None:
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    found = parse_observable(f"{address}/{prefix}")
    assert found.kind == ObservableKind.IPV4
    assert found.value == str(network)


@given(domains)
def test_domains_urls_and_emails(domain: str) -> None:
    assert parse_observable(defang(domain)) == parse_observable(domain)
    assert parse_observable(domain).kind == ObservableKind.DOMAIN
    url = f"http://{domain}/login?next=1"
    assert parse_observable(defang(url)).value == url
    assert parse_observable(defang(url)).kind == ObservableKind.URL
    email = f"abuse@{domain}"
    assert parse_observable(email.replace("@", "[at]")).value == email
    assert parse_observable(email).kind == ObservableKind.EMAIL


@given(st.sampled_from([(32, ObservableKind.MD5), (40, ObservableKind.SHA1), (64, ObservableKind.SHA256)]), st.data())
def test_hashes_by_length(spec: tuple[int, ObservableKind], data: st.DataObject) -> None:
    length, kind = spec
    digest = data.draw(st.from_regex(rf"[0-9a-fA-F]{{{length}}}", fullmatch=True))
    found = parse_observable(digest)
    assert found.kind == kind
    assert found.value == digest.lower()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.2.3.999", "Malformed IP address"),
        ("abc123", "Malformed hash"),
        ("d41d8cd98f00b204e9800998ecf8427", "31 hex digits"),
        ("not an ioc", "Cannot tell what"),
        ("user@@example", "Malformed e-mail"),
    ],
)
def test_bad_values_get_a_specific_message(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_observables([text])


def test_several_in_one_go_without_repeats() -> None:
    found = parse_observables(["1.2.3[.]4, evil[.]example 1.2.3.4", "hxxps://evil[.]example/x"])
    assert [(o.kind.value, o.value) for o in found] == [
        ("ipv4-addr", "1.2.3.4"),
        ("domain-name", "evil.example"),
        ("url", "https://evil.example/x"),
    ]


def test_refang_leaves_clean_values_alone() -> None:
    assert refang("https://example.org/a.b") == "https://example.org/a.b"


def test_brackets_are_kept_around_an_ipv6_host_and_encoded_elsewhere() -> None:
    assert parse_observable("https://a.example/[x]").value == "https://a.example/%5Bx%5D"
    assert parse_observable("http://[2001:db8::1]:8080/a").value == "http://[2001:db8::1]:8080/a"
