"""ICP fit: a deterministic, explainable score (0-100) of a researched company and contact.

Each criterion the campaign's ICP sets contributes its weight: industry 35, role 20,
country 15, size 15, keywords 15. Scores are normalised over the criteria actually set,
so an ICP that only names industries still scores 0-100. A criterion the profile cannot
answer (size unknown, role unknown) earns half its weight and says so. An exclusion
(domain or keyword) makes the score 0. Every point has a reason.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from agents.campaign import ICP
from agents.industries import contains_term, fold, label_for, synonyms
from agents.profile import CompanyProfile

WEIGHTS = {"industry": 35, "role": 20, "country": 15, "size": 15, "keywords": 15}
ROLE_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("geschaeftsfuehrer", "geschaeftsfuehrerin", "geschaeftsfuehrung", "ceo", "chief executive", "managing director",
     "general manager", "inhaber", "inhaberin", "owner", "founder", "gruender", "vorstand", "president"),
    ("head of sales", "vertriebsleiter", "vertriebsleiterin", "leiter vertrieb", "leiterin vertrieb",
     "leitung vertrieb", "sales director", "vp sales", "chief sales officer", "cso", "verkaufsleiter", "sales manager"),
    ("einkauf", "einkaufsleiter", "leiter einkauf", "leiterin einkauf", "head of purchasing", "procurement",
     "purchasing", "buyer", "einkaeufer"),
    ("cto", "chief technology officer", "technischer leiter", "technische leiterin", "head of engineering",
     "leiter entwicklung", "leitung technik"),
    ("cfo", "chief financial officer", "kaufmaennischer leiter", "finanzleiter", "head of finance"),
    ("marketing", "head of marketing", "marketingleiter", "cmo", "chief marketing officer"),
    ("it-leiter", "head of it", "cio", "chief information officer", "leiter it"),
)


class FitScore(BaseModel):
    """A fit score with the reasons for every point; ``excluded`` means never draft."""

    score: int = Field(ge=0, le=100)
    reasons: list[str] = Field(default_factory=list)
    excluded: bool = False

    def is_fit(self, threshold: int) -> bool:
        """True when the lead may be drafted: not excluded and at or above ``threshold``."""
        return not self.excluded and self.score >= threshold


def _profile_text(profile: CompanyProfile) -> str:
    parts: list[str | None] = [
        profile.name, profile.legal_name, profile.description, profile.industry, profile.location,
        *(f.text for f in profile.facts), *(n.title for n in profile.news),
    ]
    return " \n ".join(p for p in parts if p)


def _role_group(role: str) -> int | None:
    folded = fold(role)
    for index, group in enumerate(ROLE_SYNONYMS):
        if any(contains_term(folded, term) for term in group):
            return index
    return None


def _roles_match(contact_role: str, wanted: str) -> bool:
    if contains_term(contact_role, wanted) or contains_term(wanted, contact_role):
        return True
    group = _role_group(wanted)
    return group is not None and group == _role_group(contact_role)


def _exclusion(profile: CompanyProfile, exclusions: Iterable[str], text: str) -> str | None:
    domain = fold(profile.domain)
    for raw in exclusions:
        term = fold(raw)
        if not term:
            continue
        if domain == term or domain.endswith("." + term):
            return f"excluded: domain {profile.domain} is on the exclusion list ({raw})"
        if "." not in term and contains_term(text, raw):  # a domain excludes that company only
            return f"excluded: the profile mentions {raw!r}"
    return None


def _industry(profile: CompanyProfile, wanted: list[str], text: str) -> tuple[float, str]:
    for term in wanted:
        label = label_for(term)
        if profile.industry and label and label_for(profile.industry) == label:
            return 1.0, f"industry {profile.industry!r} matches {term!r}"
        hit = next((w for w in synonyms(term) if contains_term(text, w)), None)
        if hit:
            return 1.0, f"industry {term!r}: the profile mentions {hit!r}"
    if not profile.industry and not profile.description:
        return 0.5, "industry unknown (no description found)"
    return 0.0, f"industry {profile.industry or 'unknown'!r} is not one of {', '.join(wanted)}"


def _role(contact_role: str | None, wanted: list[str]) -> tuple[float, str]:
    if not contact_role:
        return 0.5, "contact role unknown"
    match = next((w for w in wanted if _roles_match(contact_role, w)), None)
    if match:
        return 1.0, f"role {contact_role!r} matches {match!r}"
    return 0.0, f"role {contact_role!r} is not one of {', '.join(wanted)}"


def _country(profile: CompanyProfile, wanted: list[str]) -> tuple[float, str]:
    codes = {c.strip().upper() for c in wanted}
    if not profile.country:
        return 0.5, "country unknown"
    if profile.country.upper() in codes:
        return 1.0, f"country {profile.country} is wanted"
    return 0.0, f"country {profile.country} is not one of {', '.join(sorted(codes))}"


def _size(profile: CompanyProfile, low: int | None, high: int | None) -> tuple[float, str]:
    span = f"{low if low is not None else 0}-{high if high is not None else '∞'} employees"
    if profile.employees is None:
        return 0.5, f"size unknown (wanted {span})"
    if (low is None or profile.employees >= low) and (high is None or profile.employees <= high):
        return 1.0, f"{profile.employees} employees within {span}"
    return 0.0, f"{profile.employees} employees outside {span}"


def _keywords(text: str, wanted: list[str]) -> tuple[float, str]:
    found = [k for k in wanted if contains_term(text, k)]
    if not found:
        return 0.0, f"none of the keywords {', '.join(wanted)} found"
    return len(found) / len(wanted), f"keywords found: {', '.join(found)} ({len(found)}/{len(wanted)})"


def score_fit(profile: CompanyProfile, icp: ICP, *, contact_role: str | None) -> FitScore:
    """Score how well the company (and the contact's role) fits the ICP, with reasons."""
    text = _profile_text(profile)
    excluded = _exclusion(profile, icp.exclusions, text)
    if excluded:
        return FitScore(score=0, reasons=[excluded], excluded=True)
    parts: list[tuple[str, float, str]] = []
    if icp.industries:
        parts.append(("industry", *_industry(profile, icp.industries, text)))
    if icp.roles:
        parts.append(("role", *_role(contact_role, icp.roles)))
    if icp.countries:
        parts.append(("country", *_country(profile, icp.countries)))
    if icp.min_employees is not None or icp.max_employees is not None:
        parts.append(("size", *_size(profile, icp.min_employees, icp.max_employees)))
    if icp.keywords:
        parts.append(("keywords", *_keywords(text, icp.keywords)))
    if not parts:
        return FitScore(score=100, reasons=["the ICP sets no criteria: every company fits"])
    total = sum(WEIGHTS[name] for name, _, _ in parts)
    earned = sum(WEIGHTS[name] * share for name, share, _ in parts)
    reasons = [f"{round(WEIGHTS[name] * share * 100 / total):+d} {reason}" for name, share, reason in parts]
    return FitScore(score=round(earned * 100 / total), reasons=reasons)
