"""The SSRF guard: every IP spelling Chromium accepts, every refused range, DNS, allow-list, cache."""

from __future__ import annotations

import ipaddress

import pytest

from tools.web_guard import InvalidHost, WebGuard, address_problem, normalise_host, parse_ip, parse_ipv4


class FakeDNS:
    """A resolver answering from a table; records every lookup."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.lookups: list[str] = []

    async def __call__(self, host: str) -> list[str]:
        self.lookups.append(host)
        if host not in self.table:
            raise OSError(f"no such host {host}")
        return self.table[host]


PUBLIC_DNS = {"example.com": ["93.184.215.14"], "dual.example": ["93.184.215.14", "2606:2800:21f:cb07::1"]}


def guard(table: dict[str, list[str]] | None = None, allowlist: list[str] | None = None) -> WebGuard:
    return WebGuard(resolver=FakeDNS({**PUBLIC_DNS, **(table or {})}), allowlist=allowlist or [])


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0177.0000.0000.0001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f.0.0.0x1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("169.254.169.254", "169.254.169.254"),
        ("2852039166", "169.254.169.254"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("0251.0376.0251.0376", "169.254.169.254"),
        ("0", "0.0.0.0"),
        ("10.1", "10.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("8.8.8.8", "8.8.8.8"),
    ],
)
def test_every_ipv4_spelling_is_read_like_chromium_reads_it(host: str, expected: str) -> None:
    assert parse_ipv4(host) == ipaddress.IPv4Address(expected)


@pytest.mark.parametrize("host", ["example.com", "127.0.0.1.nip.io", "0x7f000001.example", "localhost", "a1", "0x1g"])
def test_domain_names_are_not_ip_addresses(host: str) -> None:
    assert parse_ipv4(host) is None


@pytest.mark.parametrize("host", ["1.2.3.4.5", "256.0.0.1", "127.0.0.0x100", "4294967296", "08.0.0.1", "1..1"])
def test_hosts_that_end_in_a_number_but_are_no_address_are_invalid(host: str) -> None:
    with pytest.raises(InvalidHost):
        parse_ipv4(host)


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link_local"),
        ("100.64.0.1", "cgnat"),
        ("100.127.255.254", "cgnat"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("255.255.255.255", "private"),
        ("240.0.0.1", "private"),
        ("192.0.2.10", "private"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link_local"),
        ("fc00::1", "unique_local"),
        ("fd12:3456::1", "unique_local"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "embedded_loopback"),
        ("::ffff:169.254.169.254", "embedded_link_local"),
        ("64:ff9b::7f00:1", "embedded_loopback"),
        ("64:ff9b::a9fe:a9fe", "embedded_link_local"),
        ("2002:7f00:1::1", "embedded_loopback"),
        ("2002:a9fe:a9fe::1", "embedded_link_local"),
        ("2001:db8::1", "private"),
    ],
)
def test_every_non_public_range_is_refused(address: str, problem: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) == problem


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8", "1.1.1.1"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://127.0.0.1.:8080/admin",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]:80/",
        "http://[0:0:0:0:0:ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://100.100.100.200/latest/meta-data/",
        "http://0/",
        "http://%31%32%37%2e0.0.1/",
        "http://１２７.０.０.１/",
        "http://127。0。0。1/",
        "http://evil.example@127.0.0.1/",
        "http://127.0.0.1\\@example.com/",
        "HTTP://LOCALHOST.:80/",
        " http://127.0.0.1/",
        "http://12\t7.0.0.1/",
    ],
)
async def test_internal_urls_are_refused_in_every_spelling(url: str) -> None:
    decision = await guard({"localhost": ["127.0.0.1", "::1"]}).check(url)
    assert not decision.allowed, decision


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "scheme:file"),
        ("ftp://example.com/x", "scheme:ftp"),
        ("gopher://127.0.0.1:6379/_INFO", "scheme:gopher"),
        ("javascript:alert(1)", "scheme:javascript"),
        ("data:text/html,hi", "scheme:data"),
        ("//example.com/", "scheme:none"),
        ("http:///nohost", "no_host"),
        ("http://[::1/", "unparsable_url"),
        ("http://1.2.3.4.5/", "invalid_ip"),
        ("http://exa mple.com/", "invalid_host"),
    ],
)
async def test_other_schemes_and_broken_urls_are_refused_with_a_reason(url: str, reason: str) -> None:
    decision = await guard().check(url)
    assert not decision.allowed
    assert decision.reason == reason


async def test_public_hosts_pass_after_every_resolved_address_is_checked() -> None:
    web = guard()
    assert (await web.check("https://example.com/impressum")).allowed
    assert (await web.check("https://dual.example/")).allowed


async def test_a_hostname_resolving_to_an_internal_address_is_refused() -> None:
    web = guard({"metadata.evil.example": ["169.254.169.254"], "rebind.example": ["93.184.215.14", "10.0.0.5"]})
    first = await web.check("http://metadata.evil.example/")
    assert not first.allowed and first.reason == "resolves_to:link_local 169.254.169.254"
    # one bad address among good ones is enough to refuse
    mixed = await web.check("http://rebind.example/")
    assert not mixed.allowed and "10.0.0.5" in mixed.reason


async def test_unresolvable_hosts_are_refused_and_a_slow_resolver_times_out() -> None:
    assert (await guard().check("http://nx.example/")).reason == "dns:OSError"

    async def hang(_host: str) -> list[str]:
        import asyncio

        await asyncio.sleep(10)
        return []

    slow = WebGuard(resolver=hang, resolve_timeout_s=0.05)
    assert (await slow.check("http://slow.example/")).reason == "dns:TimeoutError"
    empty = WebGuard(resolver=FakeDNS({"empty.example": []}))
    assert (await empty.check("http://empty.example/")).reason == "dns:no_address"


async def test_decisions_are_cached_per_host() -> None:
    dns = FakeDNS(PUBLIC_DNS)
    web = WebGuard(resolver=dns)
    for path in ("/", "/a", "/b?x=1", "/impressum"):
        assert (await web.check(f"https://example.com{path}")).allowed
    assert dns.lookups == ["example.com"]
    expiring = WebGuard(resolver=dns, cache_ttl_s=0)
    await expiring.check("https://example.com/")
    await expiring.check("https://example.com/")
    assert dns.lookups.count("example.com") == 3


async def test_allowlist_names_hosts_ips_and_networks() -> None:
    dns = FakeDNS({"localhost": ["127.0.0.1"], "intranet.local": ["10.1.2.3"]})
    by_host = WebGuard(resolver=dns, allowlist=["LOCALHOST"])
    assert (await by_host.check("http://localhost:8000/")).reason == "allowlisted"
    # the allow-list names a host, not its address: the same server by IP is refused
    assert not (await by_host.check("http://127.0.0.1:8000/")).allowed
    assert not (await by_host.check("http://0x7f000001:8000/")).allowed
    by_ip = WebGuard(resolver=dns, allowlist=["127.0.0.1"])
    for spelling in ("127.0.0.1", "2130706433", "0x7f000001", "127.1"):
        assert (await by_ip.check(f"http://{spelling}:8000/")).allowed, spelling
    assert not (await by_ip.check("http://127.0.0.2/")).allowed
    by_net = WebGuard(resolver=dns, allowlist=["10.0.0.0/8"])
    assert (await by_net.check("http://intranet.local/")).allowed
    assert not (await by_net.check("http://169.254.169.254/")).allowed
    assert not WebGuard(allowlist=["", "  "]).allowlist


async def test_the_address_a_connection_went_to_can_be_checked() -> None:
    web = WebGuard(resolver=FakeDNS({}), allowlist=["127.0.0.1"])
    assert (await web.check_ip("127.0.0.1")).allowed
    assert not (await web.check_ip("10.0.0.1")).allowed
    assert (await web.check_ip("8.8.8.8")).allowed
    assert (await web.check_ip("not-an-ip")).reason == "invalid_ip"


def test_hosts_are_normalised_like_a_browser_does() -> None:
    assert normalise_host("%31%32%37.0.0.1") == "127.0.0.1"
    assert normalise_host("ＥＸＡＭＰＬＥ．com.") == "example.com"
    assert normalise_host("[::1]") == "::1"
    assert parse_ip("fe80::1%eth0") == ipaddress.IPv6Address("fe80::1")
    with pytest.raises(InvalidHost):
        parse_ip("::g")
