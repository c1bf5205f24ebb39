"""The demo content under examples/: sites served on 127.0.0.1, listing, campaign, contacts, replies."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from agents.campaign import load_campaign, parse_campaign
from agents.nodes.writer import draft_email
from agents.profile import CompanyProfile, Fact, NewsItem
from agents.routing import LABEL_ROUTES
from agents.writer_types import DraftRequest, PreviousMail, Recipient
from examples.sample_replies import SampleRepliesError, load_replies
from examples.server import (
    CONTACTS_CSV,
    DEMO_CAMPAIGN,
    EXAMPLES_DIR,
    SITES_DIR,
    ExampleSites,
    ExampleSitesError,
    load_manifest,
    start_example_sites,
)
from tools.crm.csv_io import import_contacts, parse_contacts_csv
from tools.crm.models import Company, Contact, LawfulBasis
from tools.discovery import companies_from_listing
from tools.domains import registrable_domain
from tools.extract import parse_page
from tools.impressum import parse_legal_notice
from tools.people import extract_people

REPLIES_DIR = EXAMPLES_DIR / "replies"
LEGAL_PAGES = ("impressum", "legal", "company-information", "company")
NEWS_PAGES = ("presse", "aktuelles", "news", "medien", "newsroom", "press")
TEAM_PAGES = ("team", "ansprechpartner", "leadership")
DATE = re.compile(
    r"\b\d{1,2}\.\d{1,2}\.20\d\d\b|\b\d{1,2} (January|February|March|April|May|June|July|August|September|"
    r"October|November|December) 20\d\d\b|\b(January|February|March|April|May|June|July|August|September|"
    r"October|November|December) \d{1,2}, 20\d\d\b"
)


class _Links(HTMLParser):
    """Collects href/src attribute values."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "href" and value:
                self.hrefs.append(value)
            elif name == "src" and value:
                self.srcs.append(value)


def links_of(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def fetch(url: str) -> tuple[int, str, str]:
    """Status, content type and text of a GET."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read().decode("utf-8")


def crawl(start: str) -> dict[str, str]:
    """Every page reachable from ``start`` through same-origin links (path → HTML)."""
    origin = f"{urlsplit(start).scheme}://{urlsplit(start).netloc}"
    pages: dict[str, str] = {}
    queue = ["/"]
    while queue:
        path = queue.pop()
        if path in pages:
            continue
        status, content_type, html = fetch(origin + path)
        assert status == 200 and content_type.startswith("text/html"), (origin + path, status, content_type)
        pages[path] = html
        for href in links_of(html).hrefs:
            target = urlsplit(urljoin(origin + path, href))
            if target.scheme == "http" and f"http://{target.netloc}" == origin and target.path not in pages:
                queue.append(target.path)
    return pages


@pytest.fixture(scope="module")
def sites() -> Iterator[ExampleSites]:
    with start_example_sites() as running:
        yield running


@pytest.fixture(scope="module")
def crawled(sites: ExampleSites) -> dict[str, dict[str, str]]:
    return {slug: crawl(url) for slug, url in sites.site_urls.items()}


def _page(pages: dict[str, str], names: tuple[str, ...]) -> tuple[str, str]:
    found = [(path, html) for path, html in pages.items() if path.strip("/") in names]
    assert len(found) == 1, f"expected one of {names}, found {[p for p, _ in found]}"
    return found[0]


def test_manifest_lists_ten_fictional_companies_six_german_four_english() -> None:
    manifest = load_manifest()
    folders = {p.name for p in SITES_DIR.iterdir() if p.is_dir()} - {"listing"}
    assert set(manifest) == folders
    assert len(manifest) == 10
    assert sorted(info.language for info in manifest.values()) == ["de"] * 6 + ["en"] * 4
    assert {info.country for info in manifest.values() if info.language == "de"} == {"DE", "AT", "CH"}
    assert {info.country for info in manifest.values() if info.language == "en"} == {"GB", "US"}
    assert all(info.domain.endswith(".example") for info in manifest.values())
    assert max(info.employees for info in manifest.values()) == 2500
    assert min(info.employees for info in manifest.values()) < 20


def test_each_site_has_its_own_origin_and_registrable_domain(sites: ExampleSites) -> None:
    domains = {registrable_domain(url) for url in sites.site_urls.values()}
    assert len(domains) == len(sites.site_urls) == 10
    assert registrable_domain(sites.listing_url) not in domains
    for slug, url in sites.site_urls.items():
        assert registrable_domain(url) == sites.local_domain(slug)


def test_every_page_on_disk_is_served_and_linked(sites: ExampleSites, crawled: dict[str, dict[str, str]]) -> None:
    for slug, pages in crawled.items():
        root = SITES_DIR / slug
        folders = [p.parent.relative_to(root).as_posix() for p in root.rglob("index.html")]
        on_disk = {"/" if folder == "." else f"/{folder}/" for folder in folders}
        assert set(pages) == on_disk, slug
        assert len(pages) >= 6, slug


def test_pages_are_complete_local_html(crawled: dict[str, dict[str, str]]) -> None:
    for slug, pages in crawled.items():
        for path, html in pages.items():
            assert '<meta charset="utf-8">' in html and "<title>" in html, (slug, path)
            found = links_of(html)
            external = [v for v in found.srcs + found.hrefs if re.match(r"(https?:)?//", v)]
            assert external == [], (slug, path, external)


def test_pages_carry_what_research_looks_for(sites: ExampleSites, crawled: dict[str, dict[str, str]]) -> None:
    for slug, pages in crawled.items():
        info = sites.sites[slug]
        base = sites.site_urls[slug]
        home = pages["/"]
        nav = {href for href in links_of(home).hrefs if href.startswith("/")}
        legal_path, legal_html = _page(pages, LEGAL_PAGES)
        news_path, news_html = _page(pages, NEWS_PAGES)
        team_path, team_html = _page(pages, TEAM_PAGES)
        assert {legal_path, news_path, team_path} <= nav, slug
        assert any(p.strip("/") in {"kontakt", "contact", "contact-us"} for p in nav), slug
        assert any(p.strip("/") in {"ueber-uns", "unternehmen", "about", "about-us"} for p in nav), slug

        notice = parse_legal_notice(parse_page(legal_html, base + legal_path.lstrip("/")).visible_text)
        assert notice.legal_name == info.name, slug
        assert notice.legal_form, slug
        if info.language == "de":
            assert "Impressum" in legal_html and notice.vat_id, slug
        else:
            assert re.search(r"(company|file) number", legal_html, re.IGNORECASE), slug

        assert len({m.group(0) for m in DATE.finditer(news_html)}) >= 2, slug
        team = parse_page(team_html, base + team_path.lstrip("/"))
        assert team.emails and all(e.endswith("@" + info.domain) for e in team.emails), slug


def test_structured_data_matches_the_manifest(sites: ExampleSites, crawled: dict[str, dict[str, str]]) -> None:
    with_json_ld = 0
    for slug, pages in crawled.items():
        page = parse_page(pages["/"], sites.site_urls[slug])
        for obj in page.json_ld:
            with_json_ld += 1
            assert obj["numberOfEmployees"]["value"] == sites.sites[slug].employees, slug
        if "og:site_name" in page.meta:
            assert page.meta.get("og:title"), slug
    assert with_json_ld >= 3


def test_one_site_hides_a_prompt_injection_in_both_languages(crawled: dict[str, dict[str, str]]) -> None:
    carriers = []
    for slug, pages in crawled.items():
        hidden = parse_page(pages["/"], "http://127.0.0.1/").hidden_text
        if "attacker@evil.example" in hidden:
            carriers.append(slug)
            assert "Ignore all previous instructions" in hidden
            assert "Ignoriere alle vorherigen Anweisungen" in hidden
    assert carriers == ["hofmeister"]


def test_one_site_disallows_intern_in_robots_txt(sites: ExampleSites, crawled: dict[str, dict[str, str]]) -> None:
    origin = sites.site_urls["weserfracht"]
    robots = RobotFileParser(origin + "robots.txt")
    robots.read()
    assert not robots.can_fetch("outreach-agents", origin + "intern/")
    assert robots.can_fetch("outreach-agents", origin + "team/")
    assert "/intern/" in crawled["weserfracht"]  # linked from the footer, so a crawler meets it
    with pytest.raises(urllib.error.HTTPError) as missing:
        fetch(sites.site_urls["falkenried"] + "robots.txt")
    assert missing.value.code == 404


def test_listing_links_all_sites_with_duplicates(sites: ExampleSites) -> None:
    status, content_type, html = fetch(sites.listing_url)
    assert status == 200 and content_type.startswith("text/html")
    assert "{{" not in html
    outbound = [
        urljoin(sites.listing_url, href)
        for href in links_of(html).hrefs
        if href.startswith("http") and registrable_domain(href) != registrable_domain(sites.listing_url)
    ]
    domains = [registrable_domain(url) for url in outbound]
    assert set(domains) == {sites.local_domain(slug) for slug in sites.sites}
    assert len(outbound) == len(set(domains)) + 2  # two duplicate links to dedupe
    assert set(sites.site_urls.values()) <= set(outbound)
    variants = sorted(urlsplit(url).path for url in set(outbound) - set(sites.site_urls.values()))
    assert variants[0] == "" and variants[1].startswith("/") and len(variants[1]) > 1  # bare origin, deep link
    assert fetch(sites.listing_url + "index.html")[2] == html
    discovered = companies_from_listing(html, sites.listing_url)
    assert sorted(c.name for c in discovered) == sorted(info.name for info in sites.sites.values())
    assert {c.website for c in discovered} == set(sites.site_urls.values())


def test_bad_listing_template_fails_before_any_server_starts(tmp_path: Path) -> None:
    base = tmp_path / "sites"
    shutil.copytree(SITES_DIR, base)
    listing = base / "listing" / "index.html"
    listing.write_text(listing.read_text(encoding="utf-8") + '<a href="{{origin:nosuchsite}}/">x</a>', encoding="utf-8")
    before = {t.name for t in threading.enumerate()}
    with pytest.raises(ExampleSitesError, match=r"unknown site.*nosuchsite"):
        start_example_sites(base)
    assert {t.name for t in threading.enumerate()} == before


def test_manifest_naming_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    base = tmp_path / "sites"
    shutil.copytree(SITES_DIR, base)
    shutil.rmtree(base / "almtal")
    with pytest.raises(ExampleSitesError, match="almtal"):
        load_manifest(base)


def test_stop_closes_the_ports() -> None:
    running = start_example_sites()
    url = running.site_urls["sihlberg"]
    assert fetch(url)[0] == 200
    running.stop()
    running.stop()
    with pytest.raises(urllib.error.URLError):
        fetch(url)


def test_demo_campaign_is_complete_and_takes_the_listing_url(sites: ExampleSites, tmp_path: Path) -> None:
    spec = load_campaign(DEMO_CAMPAIGN)
    assert spec.sources[0].kind == "listing" and spec.sources[0].url == "{listing_url}"
    assert spec.language == "auto"
    assert spec.sender.legal.missing_for_sending() == []
    assert spec.sender.legal.vat_id and spec.sender.legal.privacy_url
    assert [(s.step, s.delay_business_days) for s in spec.sequence] == [(1, 0), (2, 3), (3, 7)]
    assert all(set(s.templates) == {"de", "en"} for s in spec.sequence)
    assert {"DE", "AT", "CH", "GB"} <= set(spec.icp.countries)
    live = parse_campaign(sites.campaign_text(), source="demo")
    assert live.sources[0].url == sites.listing_url
    plain = tmp_path / "plain.yaml"
    plain.write_text(DEMO_CAMPAIGN.read_text(encoding="utf-8").replace("{listing_url}", "http://x.example/"))
    with pytest.raises(ExampleSitesError, match="placeholder"):
        sites.campaign_text(plain)


@pytest.mark.parametrize(
    ("language", "recipient", "news"),
    [
        ("de", Recipient(first_name="Markus", last_name="Brandl", salutation="Herr", country="DE", language="de"),
         NewsItem(title="Neue Fertigungshalle in Augsburg eröffnet", date="2026-11-12", source_url="http://h/presse/")),
        ("en", Recipient(first_name="Priya", last_name="Raman", salutation="Ms", country="GB", language="en"),
         NewsItem(title="New five-axis machining cell commissioned", date="2026-09-16", source_url="http://h/news/")),
    ],
)
async def test_demo_templates_draft_all_steps_without_a_guardrail_failure(
    language: str, recipient: Recipient, news: NewsItem
) -> None:
    spec = load_campaign(DEMO_CAMPAIGN)
    fact = Fact(kind="news", text=f"{news.date} – {news.title}", source_url=news.source_url)
    profile = CompanyProfile(domain="127.0.0.1:9", name="Beispiel Werke", language=language, news=[news], facts=[fact])
    previous: list[PreviousMail] = []
    for step in (1, 2, 3):
        request = DraftRequest(spec=spec, step=step, recipient=recipient, profile=profile, previous=previous)
        draft = await draft_email(request, strategy="template")
        assert draft.language == language
        assert not draft.flagged, (step, draft.flagged_reasons)
        assert "Beispiel Werke" in draft.subject
        if step == 1:
            assert news.title in draft.body and draft.claims[0].fact_id == fact.id
        previous.append(PreviousMail(step=step, subject=draft.subject, body=draft.body))


def _import(engine: Engine, path: Path) -> tuple[int, int, list[Contact], dict[str, Company]]:
    with Session(engine) as session:
        report = import_contacts(session, path=path)
        session.commit()
        contacts = list(session.exec(select(Contact)))
        companies = {str(c.id): c for c in session.exec(select(Company))}
    return report.created, len(report.errors), contacts, companies


def test_contacts_csv_imports_cleanly_with_mixed_lawful_bases(
    engine: Engine, crawled: dict[str, dict[str, str]]
) -> None:
    created, errors, contacts, companies = _import(engine, CONTACTS_CSV)
    assert errors == 0 and created == len(contacts) >= 15
    manifest = load_manifest()
    by_domain = {info.domain: info for info in manifest.values()}
    bases = {c.email: LawfulBasis(c.lawful_basis) for c in contacts}
    none = [c for c in contacts if bases[c.email] is LawfulBasis.none]
    assert len(none) == 1 and none[0].country == "DE"
    strict = [c for c in contacts if c.country in {"DE", "AT"} and bases[c.email] is not LawfulBasis.none]
    assert strict and all(bases[c.email] in {LawfulBasis.consent, LawfulBasis.existing_customer} for c in strict)
    assert all(c.basis_source and c.basis_date for c in strict)
    assert {c.country for c in contacts if bases[c.email] is LawfulBasis.legitimate_interest} == {"GB", "US"}
    assert {c.salutation for c in contacts} == {"Frau", "Herr"}
    for contact in contacts:
        company = companies[str(contact.company_id)]
        info = by_domain[company.domain]
        assert contact.email.endswith("@" + info.domain)
        _path, team_html = _page(crawled[info.slug], TEAM_PAGES)
        published = {p.email: p for p in extract_people(team_html)}
        assert contact.email in published, f"{contact.email} is not on the team page of {info.slug}"
        assert published[contact.email].role and contact.last_name in published[contact.email].name
    assert {c.domain for c in companies.values()} == set(by_domain)


def test_localised_contacts_point_at_the_running_sites(engine: Engine, sites: ExampleSites, tmp_path: Path) -> None:
    local = tmp_path / "contacts.csv"
    changed = sites.write_contacts_csv(local)
    rows, row_errors = parse_contacts_csv(local)
    assert row_errors == [] and changed == len(rows)
    _created, errors, contacts, companies = _import(engine, local)
    assert errors == 0
    assert {c.domain for c in companies.values()} == {registrable_domain(u) for u in sites.site_urls.values()}
    assert {c.website for c in companies.values()} == set(sites.site_urls.values())
    assert len(contacts) == len(rows)


def test_manifest_covers_every_reply_file() -> None:
    manifest = load_replies()
    assert {r.file for r in manifest.replies} == {p.name for p in REPLIES_DIR.glob("*.eml")}
    assert 8 <= len(manifest.replies) <= 10
    assert {r.label for r in manifest.replies} <= set(LABEL_ROUTES)
    required = {"interested", "question", "referral", "not_now", "out_of_office", "unsubscribe", "bounce", "auto_reply"}
    assert required <= {r.label for r in manifest.replies}
    assert {r.language for r in manifest.replies} == {"de", "en"}
    contacts = {row.email: row for row in parse_contacts_csv(CONTACTS_CSV)[0]}
    for reply in manifest.replies:
        assert reply.contact in contacts, reply.file
        assert contacts[reply.contact].contact["lawful_basis"] is not LawfulBasis.none, reply.file


def _parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def test_every_reply_parses_and_answers_the_rendered_message_id() -> None:
    manifest = load_replies()
    for index, reply in enumerate(manifest.replies):
        message_id = f"<outbox-{index:04d}@nordlicht-software.example>"
        message = _parse(reply.render(message_id))
        assert not message.defects and all(not p.defects for p in message.walk()), reply.file
        assert message["In-Reply-To"] == message_id and message_id in message["References"], reply.file
        assert manifest.sender in message["To"], reply.file
        assert message["Message-ID"] and message["Date"] and message["Subject"], reply.file
        assert b"{message_id}" not in reply.render(message_id)
        if reply.label in {"out_of_office", "auto_reply"}:
            assert message["Auto-Submitted"] in {"auto-replied", "auto-generated"}, reply.file
        if reply.label == "bounce":
            continue
        assert message["From"].addresses[0].addr_spec == reply.contact or message["Auto-Submitted"], reply.file
        body = message.get_body(preferencelist=("plain",))
        assert body is not None and len(body.get_content().split()) >= 20, reply.file


def test_bounce_is_a_delivery_status_report_for_the_contact() -> None:
    (bounce,) = [r for r in load_replies().replies if r.label == "bounce"]
    message = _parse(bounce.render("<outbox-1@nordlicht-software.example>"))
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    (status,) = [p for p in message.walk() if p.get_content_type() == "message/delivery-status"]
    blocks = [block for block in status.get_payload() if isinstance(block, Message)]
    recipient = [block for block in blocks if block.get("Final-Recipient")]
    assert recipient[0]["Final-Recipient"].split(";")[1].strip() == bounce.contact
    assert recipient[0]["Status"] == "5.1.1" and recipient[0]["Action"] == "failed"
    (returned,) = [p for p in message.walk() if p.get_content_type() == "text/rfc822-headers"]
    assert "Message-ID: <outbox-1@nordlicht-software.example>" in returned.get_content()


def test_render_refuses_a_malformed_message_id_and_load_reports_missing_files(tmp_path: Path) -> None:
    reply = load_replies().replies[0]
    for bad in ("outbox-1@host", "<no-at-sign>", "<a@b>\r\nBcc: x@y.example"):
        with pytest.raises(SampleRepliesError, match="not a Message-ID"):
            reply.render(bad)
    copy = tmp_path / "replies"
    shutil.copytree(REPLIES_DIR, copy)
    (copy / reply.file).unlink()
    with pytest.raises(SampleRepliesError, match=reply.file):
        load_replies(copy)


def test_server_entry_point_prints_urls_and_stops_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "examples.server", "--json"],
        cwd=EXAMPLES_DIR.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        urls = json.loads(process.stdout.readline())
        assert set(urls["sites"]) == set(load_manifest())
        assert fetch(urls["listing_url"])[0] == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
