"""From HTML to what research needs: structured data first, then clean text.

``parse_page`` reads one page once: schema.org JSON-LD, OpenGraph and meta tags,
mailto:/tel: links (and lightly obfuscated addresses such as ``info(at)firma.de``),
links with their anchor text, the visible text with line breaks kept (for regexes such as
the Impressum parser), the hidden text (to detect instructions hidden in a page), and the
main content as clean text via trafilatura.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import lxml.html
import trafilatura
from lxml import etree

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "object", "head"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,24}")
_OBFUSCATED_AT = re.compile(r"\s*(?:\(at\)|\[at\]|\{at\}|\s\(?at\)?\s)\s*", re.IGNORECASE)
_OBFUSCATED_DOT = re.compile(r"\s*(?:\(dot\)|\[dot\]|\{dot\}|\(punkt\)|\[punkt\])\s*", re.IGNORECASE)
_PHONE_LABEL = re.compile(
    r"(?:\b(?:Tel(?:efon)?|Phone|Fon|Mobil|Mobile)\b\.?:?|\bT\s*[.:])[ \t]*(?P<num>\+?\(?\d[\d ()/.\-]{5,22}\d)",
    re.IGNORECASE,
)
_DATE_LIKE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2,4}$|^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Link:
    """A hyperlink: absolute URL (fragment removed) and its visible text."""

    url: str
    text: str


@dataclass
class PageData:
    """Everything read from one page."""

    url: str
    title: str | None = None
    lang: str | None = None
    main_text: str = ""
    visible_text: str = ""
    hidden_text: str = ""
    json_ld: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


def _parse(html: str) -> lxml.html.HtmlElement | None:
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _clean_space(text: str) -> str:
    return re.sub(r"[ \t\r\f\v\u00a0]+", " ", text).strip()


def _is_hidden(element: lxml.html.HtmlElement) -> bool:
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    return bool(_HIDDEN_STYLE.search(element.get("style") or ""))


def _collect_text(root: lxml.html.HtmlElement) -> tuple[str, str]:
    """(visible text, hidden text), each with a line break at block boundaries."""
    visible: list[str] = []
    hidden: list[str] = []

    def walk(element: Any, in_hidden: bool) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIP_TAGS:
            if element.tail:
                (hidden if in_hidden else visible).append(element.tail)
            return
        now_hidden = in_hidden or (bool(tag) and _is_hidden(element))
        sink = hidden if now_hidden else visible
        if tag in _BLOCK_TAGS:
            sink.append("\n")
        if tag and element.text:
            sink.append(element.text)
        for child in element:
            walk(child, now_hidden)
        if tag in _BLOCK_TAGS:
            sink.append("\n")
        if element.tail:
            (hidden if in_hidden else visible).append(element.tail)

    body = root.find("body")
    walk(body if body is not None else root, False)

    def join(parts: list[str]) -> str:
        lines = (_clean_space(line) for line in "".join(parts).split("\n"))
        return "\n".join(line for line in lines if line)

    return join(visible), join(hidden)


def _flatten_json_ld(data: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(data, list):
        for item in data:
            _flatten_json_ld(item, out)
    elif isinstance(data, dict):
        graph = data.get("@graph")
        if isinstance(graph, list):
            _flatten_json_ld(graph, out)
        if "@type" in data:
            out.append(data)


def json_ld_objects(root: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """Every typed JSON-LD object on the page (``@graph`` and lists flattened)."""
    found: list[dict[str, Any]] = []
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        _flatten_json_ld(data, found)
    return found


def ld_types(obj: dict[str, Any]) -> set[str]:
    """The schema.org type names of a JSON-LD object (``"schema:Person"`` → ``"Person"``)."""
    raw = obj.get("@type")
    names = raw if isinstance(raw, list) else [raw]
    return {str(n).rsplit(":", 1)[-1].rsplit("/", 1)[-1] for n in names if n}


def _meta(root: lxml.html.HtmlElement) -> dict[str, str]:
    meta: dict[str, str] = {}
    for tag in root.iter("meta"):
        key = (tag.get("property") or tag.get("name") or "").strip().lower()
        content = _clean_space(tag.get("content") or "")
        if key and content and key not in meta:
            meta[key] = content
    return meta


def absolute_url(href: str, base_url: str) -> str | None:
    """``href`` resolved against ``base_url`` without fragment; None for non-http(s) links."""
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        joined = urljoin(base_url, href)
        parts = urlsplit(joined)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def deobfuscate_email(text: str) -> str:
    """``info (at) firma (dot) de`` → ``info@firma.de``."""
    return _OBFUSCATED_DOT.sub(".", _OBFUSCATED_AT.sub("@", text))


def emails_in_text(text: str) -> list[str]:
    """Addresses written in text, including ``(at)``/``[at]`` spellings, lower-cased, in order."""
    found: list[str] = []
    for candidate in _EMAIL.findall(deobfuscate_email(text)):
        address = candidate.strip(".").lower()
        if address not in found and not address.endswith((".png", ".jpg", ".gif", ".svg", ".webp")):
            found.append(address)
    return found


def _contacts(root: lxml.html.HtmlElement, visible_text: str) -> tuple[list[str], list[str]]:
    emails: list[str] = []
    phones: list[str] = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        lower = href.lower()
        if lower.startswith("mailto:"):
            address = unquote(href[7:].split("?", 1)[0]).strip().lower()
            if _EMAIL.fullmatch(address) and address not in emails:
                emails.append(address)
        elif lower.startswith("tel:"):
            number = normalise_phone(unquote(href[4:]))
            if number and not same_number(number, phones):
                phones.append(number)
    for address in emails_in_text(visible_text):
        if address not in emails:
            emails.append(address)
    for match in _PHONE_LABEL.finditer(visible_text):
        number = normalise_phone(match.group("num"))
        if number and not same_number(number, phones):
            phones.append(number)
    return emails, phones


def phone_digits(number: str) -> str:
    """The digits of a phone number without leading zeros (national and international spellings then share a suffix)."""
    digits = re.sub(r"\D", "", number)
    return digits.lstrip("0")


def same_number(number: str, known: list[str]) -> bool:
    """True if ``number`` is one of ``known`` written differently (+49 711 … vs 0711 …)."""
    digits = phone_digits(number)
    return any(phone_digits(other).endswith(digits) or digits.endswith(phone_digits(other)) for other in known)


def normalise_phone(raw: str) -> str | None:
    """A phone number with single spaces; None when it has fewer than 6 digits."""
    text = _clean_space(re.sub(r"[^\d+()/.\- ]", " ", raw))
    if _DATE_LIKE.match(text):
        return None
    return text if sum(c.isdigit() for c in text) >= 6 else None


def _links(root: lxml.html.HtmlElement, base_url: str) -> list[Link]:
    """One Link per URL in document order; the texts of repeated links are joined with " | "."""
    texts: dict[str, list[str]] = {}
    for anchor in root.iter("a"):
        url = absolute_url(anchor.get("href") or "", base_url)
        if url is None:
            continue
        text = _clean_space(anchor.text_content()) or _clean_space(anchor.get("title") or "")
        known = texts.setdefault(url, [])
        if text and text not in known:
            known.append(text)
    return [Link(url, " | ".join(parts)[:200]) for url, parts in texts.items()]


def _topics(root: lxml.html.HtmlElement, limit: int = 20) -> list[str]:
    """Headings and short list items of the content (not navigation): what the page is about."""
    found: list[str] = []
    for element in root.iter("h1", "h2", "h3", "li"):
        if any(parent.tag in {"nav", "header", "footer"} for parent in element.iterancestors()) or _is_hidden(element):
            continue
        text = _clean_space(element.text_content())
        anchors = element.findall(".//a")
        if element.tag == "li" and len(anchors) == 1 and _clean_space(anchors[0].text_content()) == text:
            continue  # a list of links is navigation
        if 3 <= len(text) <= 100 and text not in found:
            found.append(text)
        if len(found) >= limit:
            break
    return found


def main_text(html: str, url: str) -> str:
    """The page's main content as plain text (trafilatura), or '' when it finds none."""
    text = trafilatura.extract(
        html, url=url, include_comments=False, include_tables=True, favor_recall=True, deduplicate=False
    )
    return text or ""


def parse_page(html: str, url: str) -> PageData:
    """Read everything research uses from one page's HTML. Never raises on bad HTML."""
    root = _parse(html)
    if root is None:
        return PageData(url=url)
    base = root.find(".//base")
    base_url = absolute_url(base.get("href") or "", url) if base is not None else None
    visible, hidden = _collect_text(root)
    emails, phones = _contacts(root, visible)
    title = root.find(".//title")
    return PageData(
        url=url,
        title=_clean_space(title.text_content()) if title is not None else None,
        lang=(root.get("lang") or "").split("-")[0].strip().lower() or None,
        main_text=main_text(html, url) or visible,
        visible_text=visible,
        hidden_text=hidden,
        json_ld=json_ld_objects(root),
        meta=_meta(root),
        emails=emails,
        phones=phones,
        links=_links(root, base_url or url),
        topics=_topics(root),
    )


def extract_links(html: str, base_url: str) -> list[Link]:
    """Every http(s) link on the page, absolute, de-duplicated, in document order."""
    root = _parse(html)
    return _links(root, base_url) if root is not None else []
