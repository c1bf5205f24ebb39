"""ICP fit: deterministic, explainable, normalised over the criteria the campaign sets."""

from __future__ import annotations

from agents.campaign import ICP
from agents.industries import contains_term, fold, guess_industry, label_for, synonyms
from agents.profile import CompanyProfile, Fact, NewsItem
from agents.scoring import FitScore, score_fit

SOURCE = "https://mueller-maschinenbau.de/"


def mueller() -> CompanyProfile:
    return CompanyProfile(
        domain="mueller-maschinenbau.de",
        name="Müller Maschinenbau",
        description="Müller Maschinenbau entwickelt Sondermaschinen und Montageanlagen für die Automobilindustrie.",
        industry="Mechanical engineering",
        country="DE",
        employees=120,
        facts=[Fact(kind="product", text="Retrofit bestehender Anlagen", source_url=SOURCE)],
        news=[NewsItem(title="Auf der Hannover Messe: Industrie 4.0 zum Anfassen", source_url=SOURCE)],
    )


FULL_ICP = ICP(
    industries=["Maschinenbau"],
    roles=["Geschäftsführer", "Head of Sales"],
    countries=["DE", "AT", "CH"],
    min_employees=50,
    max_employees=500,
    keywords=["Industrie 4.0", "Retrofit", "Blockchain"],
    threshold=60,
)


def test_a_matching_company_and_role_scores_high_with_a_reason_per_criterion() -> None:
    fit = score_fit(mueller(), FULL_ICP, contact_role="Geschäftsführerin")
    assert fit.score == 95  # keywords 2 of 3
    assert fit.is_fit(FULL_ICP.threshold)
    assert fit.reasons == [
        "+35 industry 'Mechanical engineering' matches 'Maschinenbau'",
        "+20 role 'Geschäftsführerin' matches 'Geschäftsführer'",
        "+15 country DE is wanted",
        "+15 120 employees within 50-500 employees",
        "+10 keywords found: Industrie 4.0, Retrofit (2/3)",
    ]


def test_roles_match_across_languages_and_unknowns_earn_half() -> None:
    assert score_fit(mueller(), FULL_ICP, contact_role="Managing Director").reasons[1].startswith("+20 role")
    assert score_fit(mueller(), FULL_ICP, contact_role="Vertriebsleiterin").reasons[1].startswith("+20 role")
    assert score_fit(mueller(), FULL_ICP, contact_role="Leiter Einkauf").reasons[1] == (
        "+0 role 'Leiter Einkauf' is not one of Geschäftsführer, Head of Sales"
    )
    unknown = score_fit(mueller().model_copy(update={"employees": None, "country": None}), FULL_ICP, contact_role=None)
    assert "+10 contact role unknown" in unknown.reasons
    assert "+8 country unknown" in unknown.reasons
    assert "+8 size unknown (wanted 50-500 employees)" in unknown.reasons


def test_a_poor_fit_scores_low_and_is_not_drafted() -> None:
    saas = CompanyProfile(
        domain="quillstone.example",
        description="Quillstone turns CRM activity into pipeline forecasts for B2B SaaS sales teams.",
        industry="Software",
        country="US",
        employees=35,
    )
    fit = score_fit(saas, FULL_ICP, contact_role="Head of Marketing")
    assert fit.score == 0
    assert not fit.is_fit(FULL_ICP.threshold)
    assert fit.reasons[0] == "+0 industry 'Software' is not one of Maschinenbau"


def test_industry_matches_through_synonyms_in_the_text() -> None:
    profile = CompanyProfile(domain="x.example", description="Wir sind Spezialist für Kontraktlogistik.")
    fit = score_fit(profile, ICP(industries=["Logistics"]), contact_role=None)
    assert fit.score == 100 and "mentions 'kontraktlogistik'" in fit.reasons[0]


def test_exclusions_by_domain_or_keyword_make_the_score_zero() -> None:
    icp = ICP(industries=["Maschinenbau"], exclusions=["mueller-maschinenbau.de"])
    by_domain = score_fit(mueller(), icp, contact_role=None)
    reason = "excluded: domain mueller-maschinenbau.de is on the exclusion list (mueller-maschinenbau.de)"
    assert by_domain == FitScore(score=0, reasons=[reason], excluded=True)
    assert not by_domain.is_fit(0)
    by_word = score_fit(mueller(), ICP(exclusions=["Automobilindustrie"]), contact_role=None)
    assert by_word.excluded and by_word.reasons == ["excluded: the profile mentions 'Automobilindustrie'"]
    # a competitor's domain named in the text does not exclude the company that names it
    named = mueller().model_copy(update={"description": "Partner von konkurrenz.de"})
    assert not score_fit(named, ICP(exclusions=["konkurrenz.de"]), contact_role=None).excluded


def test_an_icp_without_criteria_fits_everyone() -> None:
    fit = score_fit(CompanyProfile(domain="x.example"), ICP(), contact_role=None)
    assert fit.score == 100 and fit.reasons == ["the ICP sets no criteria: every company fits"]


def test_size_outside_the_range() -> None:
    fit = score_fit(mueller().model_copy(update={"employees": 5000}), ICP(max_employees=1000), contact_role=None)
    assert fit.score == 0 and fit.reasons == ["+0 5000 employees outside 0-1000 employees"]


def test_industry_vocabulary() -> None:
    assert fold("Müller Straße") == "mueller strasse"
    assert contains_term("Sondermaschinenbau in Ulm", "sondermaschinen")
    assert not contains_term("Maschinenbau", "bau")
    assert label_for("Maschinenbau") == "Mechanical engineering"
    assert label_for("Kosmetik") is None
    assert synonyms("Kosmetik") == ("Kosmetik",)
    assert guess_industry("Wir bauen Sondermaschinen und Montageanlagen für die Automobilindustrie.") == (
        "Mechanical engineering", "sondermaschinen"
    )
    assert guess_industry("Acme builds demand forecasting software for grocery retailers.") == ("Software", "software")
    assert guess_industry("Guten Tag.") is None
