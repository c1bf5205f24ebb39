"""A small industry vocabulary (German and English) shared by research and the ICP fit score.

Research guesses a label from words on the site; scoring matches a campaign's ICP
industries ("Maschinenbau", "logistics") against a profile through the same synonyms.
Matching folds case and umlauts and anchors words at their start ("Sondermaschinen"
contains "maschinen", but "bau" does not match inside "Maschinenbau").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

INDUSTRIES: dict[str, tuple[str, ...]] = {
    "Mechanical engineering": (
        "maschinenbau", "sondermaschinen", "sondermaschinenbau", "anlagenbau", "werkzeugmaschinen", "montageanlagen",
        "pruefstaende", "mechanical engineering", "machine building", "machinery", "industrial machines",
    ),
    "Manufacturing": (
        "manufacturing", "precision engineering", "machining", "contract manufacturing", "lohnfertigung",
        "auftragsfertigung", "fertigungsbetrieb", "zulieferteile",
    ),
    "Automation": (
        "automatisierung", "automatisierungstechnik", "automation", "robotik", "robotics", "steuerungstechnik",
        "industrie 4.0", "antriebstechnik", "pneumatik", "hydraulik", "foerdertechnik",
    ),
    "Software": (
        "software", "saas", "softwareentwicklung", "it-dienstleister", "cloud-plattform", "digitalisierung",
        "analytics",
    ),
    "Logistics": (
        "logistik", "kontraktlogistik", "logistics", "spedition", "lagerlogistik", "warehousing", "fulfillment",
        "intralogistik", "logistikdienstleister", "freight",
    ),
    "Automotive": ("automobilindustrie", "automobilhersteller", "automotive", "fahrzeugbau", "kfz-zulieferer"),
    "Retail": ("einzelhandel", "retail", "retailer", "onlinehaendler", "e-commerce", "grocery", "lebensmittelhandel"),
    "Consulting": ("unternehmensberatung", "beratung", "consulting", "consultancy", "berater"),
    "Energy & utilities": ("energie", "energy", "stadtwerke", "utilities", "photovoltaik", "solar", "windkraft"),
    "Healthcare": (
        "medizintechnik", "medizinprodukte", "chirurgische instrumente", "medical devices", "surgical instruments",
        "healthcare", "gesundheitswesen", "pharma", "klinik",
    ),
    "Construction": ("bauunternehmen", "hochbau", "tiefbau", "construction", "bauwesen", "baustoffe"),
    "Food & beverage": (
        "lebensmittelindustrie", "lebensmittelhersteller", "food", "beverage", "getraenke", "backwaren",
    ),
    "Chemicals & plastics": ("chemie", "chemical", "chemicals", "kunststofftechnik", "kunststoff", "plastics"),
    "Electronics": ("elektronik", "electronics", "elektrotechnik", "sensorik", "sensors", "halbleiter", "messtechnik"),
    "Metalworking": (
        "metallbearbeitung", "praezisionsteile", "cnc", "zerspanung", "blechbearbeitung", "oberflaechentechnik",
    ),
    "Financial services": (
        "bankhaus", "kreditinstitut", "versicherung", "finanzdienstleister", "insurance", "financial services",
        "fintech",
    ),
    "Marketing & media": ("werbeagentur", "marketingagentur", "agentur", "advertising", "media agency", "verlag"),
    "Education": ("weiterbildung", "schulungen", "akademie", "education", "training provider", "e-learning"),
    "Real estate": ("immobilien", "real estate", "property management", "hausverwaltung"),
    "Telecommunications": ("telekommunikation", "telecommunications", "telecom", "glasfaser", "mobilfunk"),
    "Hospitality": ("hotellerie", "gastronomie", "hospitality", "hotel", "restaurant"),
    "Packaging": ("verpackungsmaschinen", "verpackung", "packaging"),
    "Laser technology": ("lasertechnik", "laser technology", "laserschneiden", "laser"),
}


def fold(text: str) -> str:
    """Lower-case, umlauts spelled out (ä → ae, ß → ss), accents dropped, spaces collapsed."""
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=512)
def _term_pattern(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])" + re.escape(fold(term)))


def contains_term(text: str, term: str) -> bool:
    """True if ``term`` occurs in ``text`` at a word start (both folded)."""
    return bool(term.strip()) and bool(_term_pattern(term).search(fold(text)))


def synonyms(term: str) -> tuple[str, ...]:
    """The label and synonyms of the industry ``term`` names (itself when unknown)."""
    folded = fold(term)
    for label, words in INDUSTRIES.items():
        if folded == fold(label) or folded in words:
            return (label, *words)
    return (term,)


def label_for(term: str) -> str | None:
    """The vocabulary label ``term`` is, or is a synonym of."""
    folded = fold(term)
    for label, words in INDUSTRIES.items():
        if folded == fold(label) or folded in words:
            return label
    return None


_FOR = re.compile(r"\b(?:fuer|for|serving)\b")


def _weighted_parts(folded: str) -> list[tuple[str, float]]:
    """Sentence parts with weights: what follows "für"/"for" names customers, not the company's trade."""
    parts: list[tuple[str, float]] = []
    for sentence in re.split(r"[.!?\n]+", folded):
        match = _FOR.search(sentence)
        if match is None:
            parts.append((sentence, 1.0))
        else:
            parts.extend(((sentence[: match.start()], 1.0), (sentence[match.start() :], 0.25)))
    return parts


def guess_industry(text: str) -> tuple[str, str] | None:
    """(label, the word that decided) for the industry most mentioned in ``text``; None if none.

    Words after "für"/"for" count a quarter: "Software für Einzelhändler" is software.
    """
    parts = _weighted_parts(fold(text))
    best: tuple[float, str, str] | None = None
    for label, words in INDUSTRIES.items():
        scores = [(sum(weight * len(_term_pattern(w).findall(part)) for part, weight in parts), w) for w in words]
        total = sum(score for score, _ in scores)
        if total and (best is None or total > best[0]):
            best = (total, label, max(scores)[1])
    return (best[1], best[2]) if best else None
