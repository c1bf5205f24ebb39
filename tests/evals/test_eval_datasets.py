"""The companies and drafts datasets: the packaged data is consistent, malformed lines are clear errors."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from evals.datasets.companies_schema import COMPANIES_PATH, CompanyCase, load_companies
from evals.datasets.drafts_schema import DRAFTS_PATH, load_drafts
from evals.datasets.schema import DatasetError
from evals.scorers.text import norm_ident, norm_name, norm_text
from examples.server import SITES_DIR, load_manifest
from tests.evals.conftest import draft_row, write_jsonl

_TAG = re.compile(r"<[^>]+>")


def page_text(site: str, path: str) -> str:
    """Everything a page says (visible text and structured data), tags removed."""
    file = SITES_DIR / site / path.strip("/") / "index.html"
    return html.unescape(_TAG.sub(" ", file.read_text(encoding="utf-8")))


# --- the packaged truth ------------------------------------------------------------------------


def test_companies_cover_the_ten_example_sites() -> None:
    cases = load_companies()

    assert sorted(c.site or "" for c in cases) == sorted(load_manifest())
    assert all({"legal_name", "directors", "people", "news", "register_number"} <= set(c.stated_fields) for c in cases)


@pytest.mark.parametrize("case", load_companies(), ids=lambda c: c.id)
def test_every_expected_value_is_on_every_page_listed_as_its_source(case: CompanyCase) -> None:
    assert case.site is not None
    problems: list[str] = []

    def check(what: str, needle: str, sources: list[str], norm: Any = norm_text) -> None:
        for source in sources:
            if norm(needle) not in norm(page_text(case.site or "", source)):
                problems.append(f"{what} {needle!r} is not on {source}")

    for name in ("legal_name", "register_court", "location"):
        value = getattr(case, name)
        if value is not None:
            check(name, value.value, value.sources)
    for name in ("register_number", "vat_id"):
        value = getattr(case, name)
        if value is not None:
            check(name, value.value, value.sources, norm_ident)
    for director in case.directors:
        check("director", norm_name(director.value), director.sources)
    for person in case.people:
        check("person", norm_name(person.name), person.sources)
        if person.email:
            check("email", person.email, person.sources[:1])
        texts = " ".join(norm_text(page_text(case.site, s)) for s in person.sources)
        if person.roles and not any(norm_text(role) in texts for role in person.roles):
            problems.append(f"no role of {person.name} is on {person.sources}")
    for item in case.news:
        check("news", item.title, item.sources)
    assert problems == []


def test_drafts_have_at_least_twelve_cases_in_both_languages() -> None:
    cases = load_drafts()

    assert len(cases) >= 12
    languages = [c.expect.language for c in cases]
    assert languages.count("de") >= 6 and languages.count("en") >= 6
    assert sum(1 for c in cases if c.accepted) >= 5
    assert any(c.step > 1 for c in cases if c.expect.language == "de")
    assert any(c.step > 1 for c in cases if c.expect.language == "en")
    assert any(not c.facts for c in cases)
    for case in cases:  # every case builds a valid writer request
        request = case.request()
        assert request.spec.name == case.spec.name
        assert {f.id for f in request.profile.facts} == {f.id for f in case.facts}


# --- malformed files ----------------------------------------------------------------------------


def _company(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"id": "acme", "url": "https://acme.example/", "language": "en",
                           "legal_name": {"value": "Acme Ltd", "sources": ["/legal/"]}}
    row.update(overrides)
    return row


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"language": "fr"}, r":2: field 'language': Input should be 'de' or 'en'"),
        ({"legal_name": {"value": "Acme", "sources": ["legal"]}},
         r":2: field 'legal_name.sources': Value error, source 'legal' must be a page path starting with '/'"),
        ({"site": "acme"}, r":2: field '\(row\)': Value error, give exactly one of 'site'"),
        ({"url": "ftp://acme.example"}, r":2: field 'url': Value error, url must start with http"),
        ({"people": [{"name": "A", "email": "not an address"}]}, r":2: field 'people.0.email'"),
        ({"colour": "red"}, r":2: field 'colour': Extra inputs are not permitted"),
    ],
)
def test_malformed_company_rows_name_file_line_and_field(tmp_path: Path, bad: dict[str, Any], message: str) -> None:
    path = write_jsonl(tmp_path / "companies.jsonl", [_company(id="fine"), _company(**bad)])

    with pytest.raises(DatasetError, match=re.escape(str(path)) + message):
        load_companies(path)


def test_not_json_duplicates_and_empty_files(tmp_path: Path) -> None:
    path = tmp_path / "companies.jsonl"
    path.write_text('{"id": "a", "url": "https://a.example", "language": "en"}\n\n{"id": \n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"companies.jsonl:3: not valid JSON"):
        load_companies(path)

    write_jsonl(path, [_company(), _company()])
    with pytest.raises(DatasetError, match=r":2: field 'id': 'acme' already used on line 1"):
        load_companies(path)

    path.write_text("\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="no rows"):
        load_companies(path)
    with pytest.raises(DatasetError, match="cannot read dataset"):
        load_companies(tmp_path / "missing.jsonl")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"campaign": "nowhere.yaml"}, r":1: field 'campaign': .*nowhere.yaml: cannot read campaign file"),
        ({"step": 5, "previous": [{"step": 1, "subject": "s", "body": "b"}]},
         r":1: field 'step': campaign 'eval-leaddesk-en' has no step 5"),
        ({"step": 2}, r":1: field '\(row\)': Value error, step 2 is a follow-up"),
        ({"expect": {"language": "en", "grounded_facts": ["nope"]}},
         r":1: field '\(row\)': Value error, expect.grounded_facts names unknown fact\(s\) nope"),
        ({"expect": {"language": "en", "min_words": 90, "max_words": 20}},
         r":1: field 'expect': Value error, min_words 90 is above max_words 20"),
        ({"facts": [{"id": "x", "text": "t", "source_url": "file:///etc/passwd"}]}, r":1: field 'facts.0.source_url'"),
    ],
)
def test_malformed_draft_rows_name_file_line_and_field(tmp_path: Path, bad: dict[str, Any], message: str) -> None:
    path = write_jsonl(tmp_path / "drafts.jsonl", [draft_row(**bad)])

    with pytest.raises(DatasetError, match=message):
        load_drafts(path)


def test_a_campaign_path_is_relative_to_the_dataset_file(tmp_path: Path) -> None:
    campaign = Path(draft_row()["campaign"])
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.yaml").write_text(campaign.read_text(encoding="utf-8"), encoding="utf-8")
    path = write_jsonl(tmp_path / "drafts.jsonl", [draft_row(campaign="sub/c.yaml")])

    assert load_drafts(path)[0].spec.name == "eval-leaddesk-en"


def test_packaged_paths_exist() -> None:
    assert COMPANIES_PATH.is_file() and DRAFTS_PATH.is_file()
