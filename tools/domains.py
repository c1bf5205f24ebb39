"""Registrable domains (eTLD+1) from URLs, hosts and email addresses — offline.

Uses tldextract's bundled Public Suffix List snapshot; it never downloads.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

FREEMAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "web.de",
        "t-online.de", "yahoo.com", "yahoo.de", "outlook.com", "outlook.de", "hotmail.com",
        "hotmail.de", "live.com", "live.de", "icloud.com", "me.com", "posteo.de", "mail.de",
        "freenet.de", "aol.com", "aon.at", "bluewin.ch", "proton.me", "protonmail.com",
    }
)


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def host_of(value: str) -> str:
    """The host of a URL, a bare host, or the domain of an email address (lower-case)."""
    value = value.strip().lower()
    if "@" in value and "://" not in value:
        return value.rpartition("@")[2]
    if "://" not in value:
        value = "http://" + value
    return (urlsplit(value).hostname or "").rstrip(".")


def registrable_domain(value: str) -> str:
    """eTLD+1 of a URL, host or address ("https://www.shop.example.co.uk/x" → "example.co.uk").

    IP addresses and single-label hosts (localhost) are returned as they are, with the port
    kept for loopback hosts so local test sites on different ports stay distinct.
    """
    raw = value.strip().lower()
    host = host_of(raw)
    parts = _extractor()(host)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    port = urlsplit(raw if "://" in raw else "http://" + raw).port
    return f"{host}:{port}" if port else host


def is_freemail(email_or_domain: str) -> bool:
    """True for consumer mail providers, whose domain says nothing about the employer."""
    return host_of(email_or_domain) in FREEMAIL_DOMAINS
