"""Errors of the web tools (browser, guard, robots, search, discovery).

Expected failures of a single page (timeout, 404, robots disallow, a refused address)
are not raised: they are recorded as data on the result (``PageResult.error``). These
exceptions are for failures the caller must handle as a whole.
"""

from __future__ import annotations


class ToolError(Exception):
    """Base class of failures raised by ``tools``."""


class BlockedURL(ToolError):
    """The SSRF guard refused a URL (scheme, address range, or unresolvable host)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"refused {url}: {reason}")
        self.url = url
        self.reason = reason


class BrowserUnavailable(ToolError):
    """Chromium could not be started (missing binary, launch failure) or is not running."""


class SearchError(ToolError):
    """A search provider failed (HTTP error, quota, unreadable answer)."""


class DiscoveryError(ToolError):
    """A listing page could not be read, so no companies could be discovered from it."""
