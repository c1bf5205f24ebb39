"""HTML mail → plain text, keeping paragraph breaks and marking quoted blocks with ``> ``.

HTML-only replies (Outlook, many mobile clients) quote the earlier mail in a
``<blockquote>`` or a ``gmail_quote`` div; writing those lines with a ``>`` prefix lets
``tools.email.quotes`` strip them like any plain-text quote.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset({
    "address", "article", "blockquote", "dd", "div", "dl", "dt", "footer", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table", "tr", "ul",
})
_PARAGRAPH_TAGS = frozenset({"blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "p", "pre", "table"})
_SKIP_TAGS = frozenset({"head", "script", "style", "title", "template"})
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote")
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._current: list[str] = []
        self._skip = 0
        self._containers: list[bool] = []  # for div/blockquote: does it open a quote?

    @property
    def _depth(self) -> int:
        return sum(self._containers)

    def _break(self, *, blank: bool = False) -> None:
        """End the current line; ``blank`` also leaves an empty line (paragraph end)."""
        text = _SPACES.sub(" ", "".join(self._current)).strip()
        had_text = bool(text)
        self._current = []
        prefix = "> " * self._depth
        if had_text:
            self.lines.append(prefix + text)
        if blank and self.lines and self.lines[-1].strip("> ") != "":
            self.lines.append(prefix.rstrip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
            return
        if tag == "br":
            self._br()
            return
        if tag in _BLOCK_TAGS:
            self._break(blank=tag in _PARAGRAPH_TAGS)
        if tag in {"div", "blockquote"}:
            classes = " ".join(value or "" for name, value in attrs if name in {"class", "id"})
            quoting = tag == "blockquote" or any(c in classes for c in _QUOTE_CLASSES)
            self._containers.append(quoting)

    def _br(self) -> None:
        # A <br> on an empty line is a paragraph break (<br><br>).
        if "".join(self._current).strip():
            self._break()
        else:
            self._break(blank=True)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._br()
        elif tag in _BLOCK_TAGS:
            self._break(blank=tag in _PARAGRAPH_TAGS)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
            return
        if tag in _BLOCK_TAGS:
            self._break(blank=tag in _PARAGRAPH_TAGS)
        if tag in {"div", "blockquote"} and self._containers:
            self._containers.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._current.append(data)

    def text(self) -> str:
        self._break()
        while self.lines and not self.lines[-1].strip("> "):
            self.lines.pop()
        joined = "\n".join(self.lines)
        return re.sub(r"\n{3,}", "\n\n", joined).strip()


def html_to_text(html: str) -> str:
    """Readable text of an HTML mail body: blocks become lines, quotes get ``> ``."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return parser.text()
