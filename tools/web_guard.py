"""The SSRF guard: which URLs the research browser may request.

Only http and https. A host that is, or resolves to, an address outside the public
internet is refused: loopback, private, link-local (169.254.0.0/16 — cloud metadata),
CGNAT (100.64.0.0/10), multicast, unspecified, reserved, IPv6 ULA and link-local, and
IPv6 forms that embed such an IPv4 address (mapped, NAT64, 6to4). Hosts are read the way
Chromium reads them (WHATWG URL rules), so ``http://2130706433/``, ``http://0x7f000001/``,
``http://0177.0.0.1/`` and ``http://127.1/`` are all 127.0.0.1 and refused.

Hostnames are resolved and *every* address must be public. Decisions are cached per host
for a few minutes: the browser asks once per request, so the check must be cheap.
``allowlist`` exempts named hosts, IPs or networks (local development and tests only).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from tools.errors import BlockedURL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], Awaitable[list[str]]]

ALLOWED_SCHEMES = frozenset({"http", "https"})
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_STRIP_CHARS = "".join(chr(c) for c in range(0x21))  # C0 controls and space, as WHATWG trims


class InvalidHost(ValueError):
    """A host that looks like an IP address but is not a valid one (Chromium rejects it too)."""


@dataclass(frozen=True)
class GuardDecision:
    """Whether a URL may be requested, and why (``reason`` is a short machine-readable code)."""

    url: str
    allowed: bool
    reason: str
    host: str = ""


def _ends_in_number(host: str) -> bool:
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    if last.isascii() and last.isdigit():
        return True
    return bool(re.fullmatch(r"0[xX][0-9a-fA-F]*", last))


def _ipv4_number(part: str) -> int:
    if part.startswith(("0x", "0X")):
        digits, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if digits == "":
        return 0
    if not digits.isascii():
        raise InvalidHost(f"not an IPv4 number: {part!r}")
    try:
        return int(digits, base)
    except ValueError as exc:
        raise InvalidHost(f"not an IPv4 number: {part!r}") from exc


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a URL host denotes under WHATWG rules, or None for a domain name.

    Accepts every spelling Chromium accepts: ``2130706433``, ``0x7f000001``, ``0177.0.0.1``,
    ``127.1``, ``0x7f.1``. Raises InvalidHost when the host ends in a number but is not a
    valid address (e.g. ``1.2.3.4.5``, ``256.0.0.1``).
    """
    if not host or not _ends_in_number(host):
        return None
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4 or any(p == "" for p in parts):
        raise InvalidHost(f"not a valid IPv4 address: {host!r}")
    numbers = [_ipv4_number(p) for p in parts]
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise InvalidHost(f"IPv4 address out of range: {host!r}")
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number * 256 ** (3 - index)
    return ipaddress.IPv4Address(value)


def normalise_host(host: str) -> str:
    """Lower-case, percent-decoded, NFKC-folded host without brackets or trailing dot."""
    host = unquote(host).translate(_DOTS)
    host = unicodedata.normalize("NFKC", host).strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host.rstrip(".") if host not in {".", ""} else host


def parse_ip(host: str) -> IPAddress | None:
    """The IP address a (normalised) URL host denotes, or None when it is a domain name."""
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError as exc:
            raise InvalidHost(f"not a valid IPv6 address: {host!r}") from exc
    return parse_ipv4(host)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why this address must not be contacted (e.g. ``"loopback"``), or None if it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            inner = address_problem(embedded)
            return f"embedded_{inner}" if inner else None
        if ip in ipaddress.IPv6Network("fc00::/7"):
            return "unique_local"
    checks: tuple[tuple[bool, str], ...] = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link_local"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "cgnat"),
        (ip.is_multicast, "multicast"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "not_global"),
    )
    return next((reason for hit, reason in checks if hit), None)


async def system_resolver(host: str) -> list[str]:
    """Every address the system resolver returns for ``host``."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Allowlist:
    """Hosts, IPs and networks exempt from the guard (``Settings.url_allowlist``)."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.hosts: set[str] = set()
        self.networks: list[IPNetwork] = []
        for raw in entries:
            entry = normalise_host(raw)
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry)

    def __bool__(self) -> bool:
        return bool(self.hosts or self.networks)

    def allows_host(self, host: str) -> bool:
        """True if this (normalised) host name is listed."""
        return host in self.hosts

    def allows_ip(self, ip: IPAddress) -> bool:
        """True if this address lies in a listed IP or network."""
        return any(ip.version == net.version and ip in net for net in self.networks)


class WebGuard:
    """Decides per URL; host decisions are cached for ``cache_ttl_s`` seconds."""

    def __init__(
        self,
        *,
        allowlist: Iterable[str] = (),
        resolver: Resolver | None = None,
        resolve_timeout_s: float = 5.0,
        cache_ttl_s: float = 300.0,
    ) -> None:
        self.allowlist = Allowlist(allowlist)
        self._resolve = resolver or system_resolver
        self._resolve_timeout_s = resolve_timeout_s
        self._cache_ttl_s = cache_ttl_s
        self._cache: dict[str, tuple[float, bool, str]] = {}

    async def check(self, url: str) -> GuardDecision:
        """Decide whether ``url`` may be requested. Never raises for bad input."""
        cleaned = re.sub(r"[\t\n\r]", "", url.strip(_STRIP_CHARS)).replace("\\", "/")
        try:
            parts = urlsplit(cleaned)
            scheme = parts.scheme.lower()
            raw_host = parts.hostname or ""
        except ValueError:
            return GuardDecision(url, False, "unparsable_url")
        if scheme not in ALLOWED_SCHEMES:
            return GuardDecision(url, False, f"scheme:{scheme or 'none'}")
        host = normalise_host(raw_host)
        if not host:
            return GuardDecision(url, False, "no_host")
        allowed, reason = await self._check_host(host)
        return GuardDecision(url, allowed, reason, host)

    async def check_ip(self, address: str) -> GuardDecision:
        """Decide for an address a connection actually went to (e.g. a response's server IP)."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return GuardDecision(address, False, "invalid_ip")
        if self.allowlist.allows_ip(ip):
            return GuardDecision(address, True, "allowlisted", address)
        problem = address_problem(ip)
        return GuardDecision(address, problem is None, f"ip:{problem} {ip}" if problem else "public", address)

    async def connect_addresses(self, host: str) -> list[str]:
        """The addresses a connection to ``host`` may use, resolved now (never from the cache).

        Called when a connection is opened, so a name that resolved to a public address at
        ``check`` time and to an internal one now (DNS rebinding) is refused. Raises BlockedURL.
        """
        name = normalise_host(host)
        try:
            literal = parse_ip(name)
        except InvalidHost as exc:
            raise BlockedURL(host, "invalid_ip") from exc
        if literal is not None:
            if not self.allowlist.allows_ip(literal) and address_problem(literal):
                raise BlockedURL(host, f"ip:{address_problem(literal)} {literal}")
            return [str(literal)]
        try:
            addresses = await asyncio.wait_for(self._resolve(name), self._resolve_timeout_s)
        except (OSError, TimeoutError, UnicodeError) as exc:
            raise BlockedURL(host, f"dns:{type(exc).__name__}") from exc
        if not addresses:
            raise BlockedURL(host, "dns:no_address")
        if self.allowlist.allows_host(name):
            return addresses
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            problem = None if self.allowlist.allows_ip(ip) else address_problem(ip)
            if problem:
                raise BlockedURL(host, f"resolves_to:{problem} {ip}")
        return addresses

    async def _check_host(self, host: str) -> tuple[bool, str]:
        now = time.monotonic()
        cached = self._cache.get(host)
        if cached is not None and cached[0] > now:
            return cached[1], cached[2]
        allowed, reason = await self._decide(host)
        self._cache[host] = (now + self._cache_ttl_s, allowed, reason)
        return allowed, reason

    async def _decide(self, host: str) -> tuple[bool, str]:
        if self.allowlist.allows_host(host):
            return True, "allowlisted"
        try:
            literal = parse_ip(host)
        except InvalidHost:
            return False, "invalid_ip"
        if literal is not None:
            if self.allowlist.allows_ip(literal):
                return True, "allowlisted"
            problem = address_problem(literal)
            return (False, f"ip:{problem} {literal}") if problem else (True, "public")
        if not _valid_hostname(host):
            return False, "invalid_host"
        try:
            addresses = await asyncio.wait_for(self._resolve(host), self._resolve_timeout_s)
        except (OSError, TimeoutError, UnicodeError) as exc:
            return False, f"dns:{type(exc).__name__}"
        if not addresses:
            return False, "dns:no_address"
        for address in addresses:
            try:
                ip = ipaddress.ip_address(address.split("%", 1)[0])
            except ValueError:
                return False, f"dns:bad_address {address}"
            if self.allowlist.allows_ip(ip):
                continue
            problem = address_problem(ip)
            if problem:
                return False, f"resolves_to:{problem} {ip}"
        return True, "public"


def _valid_hostname(host: str) -> bool:
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return bool(re.fullmatch(r"[a-z0-9._-]+", ascii_host))
