"""Deterministic reading of a legal notice (German *Impressum*, §5 DDG; AT/CH/UK equivalents).

Regexes over the page's visible text with line breaks kept: legal name and form, postal
address, managing directors, register court and number, VAT id, and the country these
imply. A field that cannot be read reliably stays empty — nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LEGAL_FORMS = (
    "UG (haftungsbeschränkt) & Co. KG",
    "GmbH & Co. KGaA",
    "GmbH & Co. KG",
    "GmbH & Co. OHG",
    "AG & Co. KGaA",
    "AG & Co. KG",
    "UG (haftungsbeschränkt)",
    "Ges.m.b.H.",
    "GesmbH",
    "gGmbH",
    "GmbH",
    "KGaA",
    "PartG mbB",
    "PartG",
    "OHG",
    "GbR",
    "e. K.",
    "e.K.",
    "e.Kfm.",
    "e.V.",
    "eG",
    "AG",
    "SE",
    "KG",
    "OG",
    "Limited",
    "Ltd.",
    "Ltd",
    "LLP",
    "LLC",
    "Inc.",
    "Corp.",
    "plc",
    "S.A.",
    "B.V.",
    "N.V.",
    "S.à r.l.",
    "SARL",
    "S.r.l.",
    "SAS",
    "Sp. z o.o.",
)
_FORM_ALT = "|".join(re.escape(form) for form in LEGAL_FORMS)
_LEGAL_NAME = re.compile(
    rf"^(?:©\s*(?:\d{{4}}(?:\s*[-–]\s*\d{{4}})?)?\s*)?(?P<name>[^\n:|]{{1,100}}?(?<![\w.])(?P<form>{_FORM_ALT}))(?![\w])",
    re.MULTILINE,
)
_LABEL_LINE = re.compile(
    r"^(?:Registergericht|Amtsgericht|Handelsregister|Register|Sitz|Umsatzsteuer|USt|Geschäftsführ|Vertreten|"
    r"Verantwortlich|Inhaltlich|Copyright|Haftung|Quelle|Bildnachweis|Angaben)",
    re.IGNORECASE,
)
_DIRECTOR_LABEL = re.compile(
    r"(?P<label>Geschäftsführende[rn]?\s+Gesellschafter(?:in|innen)?|Vertretungsberechtigte[rn]?\s+Person(?:en)?|"
    r"Vertretungsberechtigte[rn]?\s+"
    r"Geschäftsführer(?:in|innen)?|Geschäftsführer(?:in|innen)?|Geschäftsführung|Vorstandsvorsitzende[rn]?|"
    r"Vorstand|Vorstände|Vertreten\s+durch|Inhaber(?:in)?|Managing\s+Directors?|Directors?|Geschäftsleitung|"
    r"Verwaltungsratspräsident(?:in)?|Verwaltungsrat|Officers|Chief\s+Executive\s+Officer|President)"
    r"\s*(?:\([^)]*\))?\s*(?P<sep>:|\bist\b|\bsind\b)?[ \t]*(?P<rest>[^\n]*)",
    re.IGNORECASE,
)
_ROLE_WORDS = re.compile(
    r"^(?:(?:den|die|der|durch|unsere[nr]?|the|our)\s+)*(?:Geschäftsführer(?:in|innen)?|Geschäftsführung|"
    r"Vorstand|Vorstände|Inhaber(?:in)?|Managing\s+Directors?|Directors?|Herrn?|Frau)\b[:\s]*",
    re.IGNORECASE,
)
_ARTICLES = re.compile(r"^(?:(?:den|die|der|durch|unsere[nr]?|the|our)\s+)*", re.IGNORECASE)
_EMBEDDED_ROLE = re.compile(
    r"\b(?P<role>Geschäftsführer(?:in)?|Vorstand|Inhaber(?:in)?|Managing\s+Director)\s+(?:Herrn?\s+|Frau\s+)?"
    r"(?P<name>.+)$"
)
_NAME = re.compile(
    r"^(?:(?:Dr\.|Prof\.|Dipl\.-[A-Za-zäöü]+\.?|Ing\.|Mag\.|DI|Dr\.-Ing\.|Sir)\s+)*"
    r"[A-ZÄÖÜ][a-zäöüßéèáàç]+(?:-[A-ZÄÖÜ][a-zäöüßéèáàç]+)?"
    r"(?:\s+(?:[A-ZÄÖÜ]\.|[A-ZÄÖÜ][a-zäöüßéèáàç]+(?:-[A-ZÄÖÜ][a-zäöüßéèáàç]+)?|von|van|de|der|zu|den|vom|ten))"
    r"{1,3}$"
)
_COURT = re.compile(
    r"(?P<kind>Amtsgericht|Handelsgericht|Landesgericht|Firmenbuchgericht)(?:s|es)?\s+"
    r"(?P<city>(?:Bad\s)?[A-ZÄÖÜ][\wäöüß]+(?:-[A-ZÄÖÜ][\wäöüß]+)?"
    r"(?:\s(?:am|an\sder|im|in\sder|i\.\s?Br\.|in|ob\sder)\s[A-ZÄÖÜ][\wäöüß.]+|\s\([A-ZÄÖÜ][\wäöüß.]+\))?)"
)
_REGISTER_NO = re.compile(
    r"\b(?P<kind>HRB|HRA|GnR|PR|VR|GsR)\s*(?:Nr\.?|No\.?)?\s*:?\s*(?P<num>\d{1,7}(?:\s?[A-Z]{1,2}\b)?)"
)
_FN = re.compile(r"\b(?:FN|Firmenbuchnummer)\s*:?\s*(?P<num>\d{1,7}\s?[a-z])\b")
_UK_COMPANY_NO = re.compile(
    r"(?:company\s+(?:registration\s+)?(?:number|no\.?)|registered\s+(?:number|no\.?)|"
    r"registration\s+(?:number|no\.?))\s*:?\s*(?P<num>(?:[A-Z]{2})?\d{6,8})\b",
    re.IGNORECASE,
)
_UK_REGISTERED = re.compile(r"registered\s+in\s+(?P<where>England(?:\s+(?:and|&)\s+Wales)?|Scotland|Northern Ireland)",
                            re.IGNORECASE)
_US_FILE_NO = re.compile(r"\bfile\s+(?:number|no\.?)\s*:?\s*(?P<num>\d{5,9})\b", re.IGNORECASE)
_US_CITY = re.compile(
    r"(?:^|,\s*)(?P<city>[A-Z][A-Za-z .'-]{1,40}),\s*(?P<state>[A-Z]{2})\s+(?P<zip>\d{5}(?:-\d{4})?)"
    r"(?:,\s*(?:USA|U\.S\.A\.|United States))?\.?\s*$"
)
_CH_REGISTER = re.compile(r"Handelsregister(?:amt)?\s+des\s+Kantons\s+[A-ZÄÖÜ][\wäöüß-]+")
_CH_UID = re.compile(r"\bCHE[- ]?\d{3}\.\d{3}\.\d{3}\b(?:\s?(?:MWST|TVA|IVA|HR))?")
_VAT = re.compile(
    r"\b(?P<id>DE\s?\d{3}\s?\d{3}\s?\d{3}|ATU\s?\d{8}|GB\s?\d{3}\s?\d{4}\s?\d{2}(?:\s?\d{3})?|"
    r"(?:FR|IT|NL|BE|LU|DK|PL|ES|CZ|SE|IE)[A-Z0-9]{8,12})\b"
)
_VAT_LABEL = re.compile(r"USt\.?-?\s?Id|Umsatzsteuer|VAT|UID|Steuernummer|MwSt", re.IGNORECASE)
_ZIP_CITY = re.compile(
    r"(?:^|[,·|]\s*|\s{2,})(?P<prefix>D-|DE-|A-|AT-|CH-)?(?P<zip>\d{4,5})\s+"
    r"(?P<city>[A-ZÄÖÜ][\wäöüß.]+(?:[ -][\wäöüß.()]+){0,3})\s*$"
)
_STREET = re.compile(
    r"^(?P<street>[A-ZÄÖÜ0-9][\wäöüß.\- ]{1,60}?\s\d{1,4}\s?[a-zA-Z]?(?:\s?[-–/]\s?\d{1,4}[a-z]?)?)"
    r"(?:\s*,\s*|\s*$)"
)
_UK_POSTCODE = re.compile(r"\b(?P<pc>[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})\b")
NOT_NAME_WORDS = frozenset(
    {
        "amtsgericht", "landesgericht", "handelsgericht", "registergericht", "handelsregister", "firmenbuch",
        "impressum", "kontakt", "telefon", "team", "unser", "unsere", "ihr", "ihre", "deutschland", "germany",
        "österreich", "schweiz", "verwaltungs", "holding", "gruppe", "group", "services", "solutions",
        "datenschutz", "haftung", "registered", "company", "limited", "street", "road", "über", "uns", "news",
        "aktuelles", "willkommen", "welcome", "our", "meet", "the", "leadership", "management", "karriere",
    }
)
_NOT_NAME_ENDINGS = ("straße", "strasse", "gericht", "gasse", "allee", "platz", "technik", "bau", "werk")
_COUNTRY_WORDS = {
    "deutschland": "DE", "germany": "DE", "österreich": "AT", "austria": "AT", "schweiz": "CH",
    "switzerland": "CH", "suisse": "CH", "united kingdom": "GB", "england": "GB", "uk": "GB",
}


@dataclass
class LegalNotice:
    """Fields read from a legal notice; ``None``/empty when not found."""

    legal_name: str | None = None
    legal_form: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    directors: list[str] = field(default_factory=list)
    director_roles: dict[str, str] = field(default_factory=dict)
    register_court: str | None = None
    register_number: str | None = None
    vat_id: str | None = None

    @property
    def address(self) -> str | None:
        """``street, postal_code city`` as far as known."""
        if self.country == "US":
            return ", ".join(p for p in (self.street, self.city, self.postal_code) if p) or None
        parts = (self.city, self.postal_code) if self.country == "GB" else (self.postal_code, self.city)
        place = " ".join(p for p in parts if p)
        joined = ", ".join(p for p in (self.street, place) if p)
        return joined or None

    def is_empty(self) -> bool:
        """True when nothing was found."""
        return not (self.legal_name or self.register_number or self.vat_id or self.directors or self.city)


def _legal_name(text: str) -> tuple[str | None, str | None]:
    for match in _LEGAL_NAME.finditer(text):
        name = match.group("name").strip(" ,;-–")
        line_start = text.rfind("\n", 0, match.start()) + 1
        line = text[line_start : text.find("\n", match.start()) if "\n" in text[match.start():] else len(text)]
        if _LABEL_LINE.match(line.strip()) or len(name) < 4 or name.lower().startswith(("die ", "der ", "the ")):
            continue
        if len(name.split()) > 10:
            continue
        return name, match.group("form")
    return None, None


def clean_person_name(raw: str) -> str | None:
    """A person's name without salutation or role words, or None if it does not look like one."""
    name = _ROLE_WORDS.sub("", raw.strip())
    name = re.sub(r"\s*\([^)]*\)", "", name)
    name = re.sub(r"\s+", " ", name).strip(" .,;:–-")
    if not _NAME.match(name):
        return None
    words = [w.lower().strip(".,") for w in name.split()]
    if any(w in NOT_NAME_WORDS or w.endswith(_NOT_NAME_ENDINGS) for w in words):
        return None
    return name


def _split_outside_parentheses(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for token in re.split(r"(\(|\)|,|;|/|\bund\b|\band\b|&|\|)", text):
        if token == "(":
            depth += 1
        elif token == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and token in {",", ";", "/", "und", "and", "&", "|"}:
            parts.append("".join(current))
            current = []
            continue
        current.append(token)
    parts.append("".join(current))
    return parts


def _label_role(label: str) -> str | None:
    """The role a director label states ("Geschäftsführer", "Vorstand"); None for "vertreten durch"."""
    text = re.sub(r"\s+", " ", label).strip()
    lower = text.lower()
    if lower.startswith(("vertreten", "vertretungsberechtigt", "officers")):
        return None
    if lower.startswith("managing director"):
        return "Managing Director"
    if lower.startswith("director"):
        return "Director"
    if lower == "vorstände":
        return "Vorstand"
    return text[0].upper() + text[1:]


def _named_people(text: str) -> list[tuple[str, str | None]]:
    """(name, role hint) for each person in a list such as "Dr. A B (CEO), C D und E F"."""
    found: list[tuple[str, str | None]] = []
    carried: str | None = None  # "Geschäftsführer: A, B" — B is a Geschäftsführer too
    for part in _split_outside_parentheses(text):
        paren = re.search(r"\(([^)]{2,60})\)", part)
        hint = paren.group(1).strip() if paren else None
        name = clean_person_name(part)
        if name is None:  # "diese vertreten durch den Geschäftsführer Jan Klein"
            embedded = _EMBEDDED_ROLE.search(part)
            name = clean_person_name(embedded.group("name")) if embedded else None
            if embedded and name:
                hint = hint or embedded.group("role")
        else:
            lead = _ROLE_WORDS.match(part.strip())
            role_word = _ARTICLES.sub("", lead.group(0)).strip(" :") if lead else ""
            if role_word and not re.fullmatch(r"Herrn?|Frau", role_word):
                carried = role_word
        hint = hint or carried
        if name and all(name != known for known, _ in found):
            found.append((name, hint))
    return found


def _directors(lines: list[str]) -> tuple[list[str], dict[str, str]]:
    found: list[str] = []
    roles: dict[str, str] = {}
    for index, line in enumerate(lines):
        for match in _DIRECTOR_LABEL.finditer(line):
            rest = match.group("rest").strip()
            if not rest and index + 1 < len(lines):
                rest = lines[index + 1]
                follow = 2
                # a list of names, one per line, ends at the first line that is not a name
                while index + follow < len(lines) and clean_person_name(lines[index + follow]) and follow < 6:
                    rest += ", " + lines[index + follow]
                    follow += 1
            elif not match.group("sep") and not match.group("label").lower().startswith("vertreten"):
                # "Geschäftsführer Jan Klein": only a name right after the label counts
                rest = re.split(r"\s*(?:,|;|\(|\bund\b|\band\b|&)", rest, maxsplit=1)[0]
            label_role = _label_role(match.group("label"))
            for name, hint in _named_people(rest):
                if name not in found:
                    found.append(name)
                role = label_role if label_role and not hint else (f"{label_role} ({hint})" if label_role else hint)
                if role and name not in roles:
                    roles[name] = role
    return found, roles


def _address(lines: list[str]) -> tuple[str | None, str | None, str | None, str | None]:
    for index, line in enumerate(lines):
        match = _ZIP_CITY.search(line)
        if not match:
            continue
        street_text = line[: match.start()].strip(" ,·|")
        if not street_text and index > 0:
            street_text = lines[index - 1]
        street_match = _STREET.match(street_text.strip())
        if street_match is None:
            continue
        prefix = (match.group("prefix") or "").rstrip("-")
        country = {"D": "DE", "DE": "DE", "A": "AT", "AT": "AT", "CH": "CH"}.get(prefix)
        if country is None and len(match.group("zip")) == 5:
            country = "DE"
        return street_match.group("street").strip(), match.group("zip"), match.group("city").strip(), country
    return None, None, None, None


def _us_address(text: str) -> tuple[str | None, str | None, str | None, str | None]:
    """"2100 Lakeshore Ridge Drive, Suite 300, Austin, TX 78741, USA" → street, "TX 78741", city, "US"."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        for prefix in re.finditer(r"(?:^|\s)(\d{1,6}\s+[A-Z])", sentence):
            candidate = sentence[prefix.start(1) :].rstrip(". ")
            match = _US_CITY.search(candidate)
            if match:
                street = candidate[: match.start()].strip(" ,") or None
                return street, f"{match.group('state')} {match.group('zip')}", match.group("city").strip(), "US"
    return None, None, None, None


def _register(text: str) -> tuple[str | None, str | None]:
    court_match = _COURT.search(text)
    court = f"{court_match.group('kind')} {court_match.group('city')}" if court_match else None
    canton = _CH_REGISTER.search(text)
    if court is None and canton:
        court = canton.group(0)
    number_match = _REGISTER_NO.search(text)
    if number_match:
        return court, f"{number_match.group('kind')} {number_match.group('num').strip()}"
    fn = _FN.search(text)
    if fn:
        return court, f"FN {fn.group('num').replace(' ', '')}"
    uk = _UK_COMPANY_NO.search(text)
    if uk:
        where = _UK_REGISTERED.search(text)
        registry = f"Companies House ({where.group('where')})" if where else "Companies House"
        return court or registry, uk.group("num")
    uid = _CH_UID.search(text)
    if uid and re.search(r"Handelsregister|Firmennummer|UID", text):
        return court, uid.group(0).split()[0]
    us = _US_FILE_NO.search(text)
    if us:
        return court, us.group("num")
    return court, None


def _vat(lines: list[str]) -> str | None:
    labelled = [line for line in lines if _VAT_LABEL.search(line)]
    for line in labelled + lines:
        match = _VAT.search(line)
        if match:
            return re.sub(r"\s", "", match.group("id"))
        uid = _CH_UID.search(line)
        if uid and line in labelled:
            return uid.group(0)
    return None


def _country(text: str, vat_id: str | None, zip_country: str | None) -> str | None:
    if vat_id:
        prefix = vat_id[:2].upper()
        return {"AT": "AT", "CH": "CH", "GB": "GB"}.get(prefix, prefix if prefix.isalpha() else None)
    for line in text.splitlines()[-60:]:
        country = _COUNTRY_WORDS.get(line.strip().lower())
        if country:
            return country
    if zip_country:
        return zip_country
    return "GB" if _UK_POSTCODE.search(text) and _UK_REGISTERED.search(text) else None


def parse_legal_notice(text: str) -> LegalNotice:
    """Read a legal notice's visible text (one line per block element)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    legal_name, legal_form = _legal_name(text)
    street, postal_code, city, zip_country = _address(lines)
    court, number = _register(text)
    vat_id = _vat(lines)
    directors, director_roles = _directors(lines)
    if city is None:
        street, postal_code, city, us_country = _us_address(text)
        zip_country = zip_country or us_country
    if city is None:
        uk = _UK_POSTCODE.search(text)
        if uk:
            index = next(i for i, line in enumerate(lines) if uk.group("pc") in line)
            postal_code = uk.group("pc")
            line = re.sub(r"^[A-Za-z ]{3,30}:\s*", "", lines[index])  # "Registered office: …"
            parts = [p.strip() for p in line.replace(postal_code, ",").split(",")]
            parts = [p for p in parts if p and p.lower() not in _COUNTRY_WORDS]
            if len(parts) > 1:
                city, street = parts[-1], ", ".join(parts[:-1])
            else:
                city = parts[0] if parts else None
                if index > 0 and re.match(r"^\d+[A-Za-z]?\s+[A-Z][\w .'-]{2,60}$", lines[index - 1]):
                    street = lines[index - 1]
    return LegalNotice(
        legal_name=legal_name,
        legal_form=legal_form,
        street=street,
        postal_code=postal_code,
        city=city,
        country=_country(text, vat_id, zip_country),
        directors=directors,
        director_roles=director_roles,
        register_court=court,
        register_number=number,
        vat_id=vat_id,
    )
