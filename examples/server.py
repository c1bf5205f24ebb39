"""Serve the example company websites and their exhibitor listing on 127.0.0.1 (for ``make demo``).

Each company site gets its own port: research dedupes companies by registrable domain, and
for a loopback host that domain is ``127.0.0.1:<port>``, so one shared port would turn ten
companies into one. The listing page (``sites/listing/index.html``) is a template in which
``{{origin:<slug>}}`` becomes ``http://127.0.0.1:<port>`` of that company's site.

The sites' own pages, ``contacts.csv`` and the sample replies use each company's fictional
public domain (``sites/sites.yaml``); ``ExampleSites.write_contacts_csv`` rewrites the
contacts to the local sites so that research and the CRM agree on the company.

Run ``python -m examples.server`` to serve everything by hand until Ctrl-C.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import TracebackType

import yaml

from tools.local_sites import LocalSite, RouteHandler, serve_site

EXAMPLES_DIR = Path(__file__).resolve().parent
SITES_DIR = EXAMPLES_DIR / "sites"
DEMO_CAMPAIGN = EXAMPLES_DIR / "campaigns" / "demo.yaml"
CONTACTS_CSV = EXAMPLES_DIR / "contacts.csv"
LISTING = "listing"
LISTING_URL_PLACEHOLDER = "{listing_url}"
_ORIGIN = re.compile(r"\{\{origin:([^}]*)\}\}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class ExampleSitesError(ValueError):
    """The example content is inconsistent (manifest, folders, listing template, campaign)."""


@dataclass(frozen=True)
class SiteInfo:
    """One example company as ``sites/sites.yaml`` describes it."""

    slug: str
    name: str
    domain: str
    country: str
    language: str
    industry: str
    employees: int
    notes: str = ""


def load_manifest(sites_dir: Path = SITES_DIR) -> dict[str, SiteInfo]:
    """Read ``sites.yaml`` and check that every listed site has a folder with an ``index.html``."""
    path = sites_dir / "sites.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ExampleSitesError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ExampleSitesError(f"{path}: not valid YAML: {exc}") from exc
    entries = data.get("sites") if isinstance(data, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise ExampleSitesError(f"{path}: needs a non-empty 'sites' mapping")
    sites: dict[str, SiteInfo] = {}
    for slug, entry in entries.items():
        if not isinstance(slug, str) or not _SLUG.fullmatch(slug) or slug == LISTING:
            raise ExampleSitesError(f"{path}: bad site slug {slug!r}")
        if not isinstance(entry, dict):
            raise ExampleSitesError(f"{path}: site {slug!r} must be a mapping")
        try:
            sites[slug] = SiteInfo(slug=slug, **entry)
        except TypeError as exc:
            raise ExampleSitesError(f"{path}: site {slug!r}: {exc}") from exc
        if not (sites_dir / slug / "index.html").is_file():
            raise ExampleSitesError(f"{path}: site {slug!r} has no {slug}/index.html")
    return sites


def render_listing(template: str, origins: Mapping[str, str]) -> str:
    """Replace every ``{{origin:<slug>}}`` with that site's origin; unknown slugs are an error."""
    unknown = sorted({slug for slug in _ORIGIN.findall(template) if slug not in origins})
    if unknown:
        raise ExampleSitesError(f"listing template names unknown site(s): {', '.join(unknown)}")
    return _ORIGIN.sub(lambda match: origins[match.group(1)], template)


def _page_route(body: bytes) -> RouteHandler:
    def route(handler: BaseHTTPRequestHandler, _site: LocalSite) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    return route


@dataclass
class ExampleSites:
    """The running example sites; stop them with ``stop()`` or by leaving the ``with`` block.

    ``site_urls`` maps slug to ``http://127.0.0.1:<port>/``; ``servers`` holds each running
    ``LocalSite`` by slug plus ``"listing"`` (their ``requests`` show what a crawler fetched).
    """

    listing_url: str
    site_urls: dict[str, str]
    sites: dict[str, SiteInfo]
    servers: dict[str, LocalSite]
    _stacks: list[ExitStack] = field(repr=False)

    def __enter__(self) -> ExampleSites:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Shut every server down (safe to call twice).

        In parallel: each server takes up to its 0.5 s poll interval to notice the shutdown.
        """
        stacks, self._stacks = self._stacks, []
        workers = [threading.Thread(target=stack.close, name="example-site-stop") for stack in stacks]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    def local_domain(self, slug: str) -> str:
        """The registrable domain research gives the site of ``slug``: ``127.0.0.1:<port>``."""
        site = self.servers[slug]
        return f"{site.host}:{site.port}"

    def slug_for_domain(self, domain: str) -> str | None:
        """The slug of the example company whose public domain is ``domain``."""
        domain = domain.strip().lower().removeprefix("www.")
        return next((info.slug for info in self.sites.values() if info.domain == domain), None)

    def campaign_text(self, path: Path = DEMO_CAMPAIGN) -> str:
        """The campaign YAML with ``{listing_url}`` replaced by the running listing's URL."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ExampleSitesError(f"{path}: cannot read: {exc.strerror}") from exc
        if LISTING_URL_PLACEHOLDER not in text:
            raise ExampleSitesError(f"{path}: has no {LISTING_URL_PLACEHOLDER} placeholder to fill")
        return text.replace(LISTING_URL_PLACEHOLDER, self.listing_url)

    def write_contacts_csv(self, dst: Path, src: Path = CONTACTS_CSV) -> int:
        """Copy the contacts CSV, pointing each example company at its local site; returns rows changed.

        ``company_domain`` becomes ``127.0.0.1:<port>`` and ``website`` the site's URL, so a
        contact imported from the file belongs to the same company that research creates
        from the listing. Rows of other companies are copied as they are.
        """
        try:
            text = src.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ExampleSitesError(f"{src}: cannot read: {exc.strerror}") from exc
        reader = csv.DictReader(text.splitlines())
        fields = list(reader.fieldnames or [])
        if "company_domain" not in fields or "website" not in fields:
            raise ExampleSitesError(f"{src}: needs 'company_domain' and 'website' columns")
        rows = list(reader)
        changed = 0
        for row in rows:
            slug = self.slug_for_domain(row.get("company_domain") or (row.get("email") or "").rpartition("@")[2])
            if slug is not None:
                row["company_domain"] = self.local_domain(slug)
                row["website"] = self.site_urls[slug]
                changed += 1
        dst.parent.mkdir(parents=True, exist_ok=True)
        with dst.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        return changed


def start_example_sites(base_dir: Path | None = None) -> ExampleSites:
    """Serve every example site on its own 127.0.0.1 port, then the listing that links to them.

    ``base_dir`` is the folder holding ``sites.yaml``, one folder per site and ``listing/``
    (default: ``examples/sites``). Bad content raises ``ExampleSitesError`` before any
    server starts.
    """
    sites_dir = base_dir or SITES_DIR
    sites = load_manifest(sites_dir)
    template_path = sites_dir / LISTING / "index.html"
    try:
        template = template_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExampleSitesError(f"{template_path}: cannot read: {exc.strerror}") from exc
    render_listing(template, {slug: "" for slug in sites})  # fail before starting anything
    running = ExampleSites(listing_url="", site_urls={}, sites=sites, servers={}, _stacks=[])

    def serve(name: str, root: Path, routes: Mapping[str, RouteHandler] | None = None) -> LocalSite:
        stack = ExitStack()
        running._stacks.append(stack)
        site = stack.enter_context(serve_site(root, routes=routes))
        running.servers[name] = site
        return site

    try:
        for slug in sites:
            running.site_urls[slug] = serve(slug, sites_dir / slug).url("/")
        page = render_listing(template, {slug: running.servers[slug].base_url for slug in sites}).encode()
        route = _page_route(page)
        running.listing_url = serve(LISTING, sites_dir / LISTING, {"/": route, "/index.html": route}).url("/")
    except BaseException:
        running.stop()
        raise
    return running


def _describe(running: ExampleSites) -> Iterator[str]:
    yield f"Listing (Ausstellerverzeichnis): {running.listing_url}"
    for slug, url in running.site_urls.items():
        info = running.sites[slug]
        yield f"  {url:<28} {info.name} ({info.country}, {info.employees} employees)"
    yield "Press Ctrl-C to stop."


def main(argv: list[str] | None = None) -> int:
    """Serve the example sites until Ctrl-C, printing their URLs (``--json`` for scripts)."""
    parser = argparse.ArgumentParser(prog="python -m examples.server", description="Serve the example sites locally.")
    parser.add_argument("--json", action="store_true", help="print the URLs as one JSON object")
    args = parser.parse_args(argv)
    with start_example_sites() as running:
        if args.json:
            print(json.dumps({"listing_url": running.listing_url, "sites": running.site_urls}), flush=True)
        else:
            print("\n".join(_describe(running)), flush=True)
        with suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
