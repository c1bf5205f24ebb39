"""The model's part of research: one structured call on fenced page text, every value grounded."""

from __future__ import annotations

from agents.llm import LLMUnavailable, StructuredOutputError
from agents.research_llm import (
    MAX_CHARS_TOTAL,
    PageText,
    ResearchSummary,
    find_source,
    ground,
    page_blocks,
    summarise,
)
from agents.testing import ScriptedLLM

HOME = PageText(
    url="https://mueller.example/",
    kind="home",
    text="Müller Maschinenbau entwickelt Sondermaschinen für die Automobilindustrie.\n"
    "Mit über 120 Mitarbeitern in Stuttgart. Produkte: Montageanlagen, Prüfstände.",
)
ABOUT = PageText(url="https://mueller.example/ueber-uns", kind="about", text="Ein  Familienunternehmen aus\nStuttgart.")


def test_values_found_on_a_page_are_kept_with_that_page_as_source() -> None:
    findings = ground(
        ResearchSummary(
            description="Müller Maschinenbau entwickelt Sondermaschinen für die Automobilindustrie.",
            industry="Maschinenbau",
            industry_evidence="„Sondermaschinen“",
            products=["Montageanlagen", "montageanlagen", "Prüfstände"],
            location="STUTTGART",
            employees_text="über 120 Mitarbeitern",
        ),
        [HOME, ABOUT],
    )
    assert findings.rejected == []
    assert findings.description is not None and findings.description.source_url == HOME.url
    assert findings.industry is not None and findings.industry.value == "Mechanical engineering"
    assert [p.value for p in findings.products] == ["Montageanlagen", "Prüfstände"]
    assert findings.location is not None and findings.location.value == "STUTTGART"
    assert find_source("familienunternehmen aus stuttgart", [HOME, ABOUT]) == ABOUT.url


def test_invented_values_are_rejected_and_reported() -> None:
    findings = ground(
        ResearchSummary(
            description="Marktführer für Windkraftanlagen in ganz Europa.",
            industry="Energy & utilities",
            industry_evidence="Sondermaschinen",
            products=["Turbinen"],
            location="München",
            employees_text="5000 employees",
        ),
        [HOME, ABOUT],
    )
    assert (findings.description, findings.industry, findings.location, findings.employees_text) == (None,) * 4
    assert findings.products == []
    assert [r.split(":")[0] for r in findings.rejected] == [
        "description", "location", "employees_text", "product", "industry"
    ]
    assert "does not mention 'Energy & utilities'" in findings.rejected[-1]


def test_industry_needs_evidence_or_its_own_words_on_the_page() -> None:
    none = ground(ResearchSummary(industry="Raumfahrt", industry_evidence=None), [HOME])
    assert none.industry is None and "no evidence" in none.rejected[0]
    unknown = ground(ResearchSummary(industry="Quantenphysik", industry_evidence="Sondermaschinen"), [HOME])
    assert unknown.industry is None and "neither a known label" in unknown.rejected[0]
    on_page = ground(ResearchSummary(industry="Automobilindustrie", industry_evidence=None), [HOME])
    assert on_page.industry is not None and on_page.industry.value == "Automotive"
    assert on_page.industry.source_url == HOME.url


def test_page_blocks_are_fenced_and_bounded() -> None:
    long_pages = [PageText(url=f"https://x.example/{i}", kind="other", text="wort " * 2000) for i in range(6)]
    blocks = page_blocks(long_pages)
    assert blocks.count("<untrusted_page") == blocks.count("</untrusted_page>") >= 3
    assert len(blocks) < MAX_CHARS_TOTAL + 6 * 120


async def test_one_structured_call_with_fenced_pages_and_no_tools() -> None:
    llm = ScriptedLLM(
        [ResearchSummary(description="Mit über 120 Mitarbeitern in Stuttgart.", products=["Prüfstände"])]
    )
    findings = await summarise(llm, domain="mueller.example", pages=[HOME, ABOUT])
    llm.assert_complete()
    assert findings.calls == 1 and findings.error is None
    assert findings.description is not None and findings.description.source_url == HOME.url
    (call,) = llm.calls
    assert call.kind == "structured" and call.schema is ResearchSummary
    assert set(ResearchSummary.model_fields) == {
        "description", "industry", "industry_evidence", "products", "location", "employees_text"
    }
    assert call.context is not None and (call.context.prompt_id, call.context.agent) == ("research", "research")
    system, user = call.messages
    assert system["role"] == "system" and "DATA" in system["content"] and "never send" in system["content"].lower()
    assert user["content"].count('<untrusted_page url="https://mueller.example/') == 2
    assert "Mechanical engineering" in user["content"]  # the label vocabulary is offered


async def test_model_failures_become_data() -> None:
    for error in (
        StructuredOutputError("no valid JSON", attempts=3, last_output="{"),
        LLMUnavailable("endpoint down"),
    ):
        llm = ScriptedLLM([error])
        findings = await summarise(llm, domain="mueller.example", pages=[HOME])
        llm.assert_complete()
        assert findings.error is not None and type(error).__name__ in findings.error
        assert findings.description is None
