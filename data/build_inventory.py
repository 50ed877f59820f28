#!/usr/bin/env python3
"""Build data/g40-2020.json from the text dump of the 2020 G40 Smart City report.

Usage:
    python3 data/build_inventory.py [SEED_TXT] [OUT_JSON]

SEED_TXT defaults to ../../shared/seeds/000_21ef57b37d755ccc.txt relative to this
script; OUT_JSON defaults to g40-2020.json next to this script.

Python 3.11, standard library only. The output is deterministic: running the script
twice on the same seed produces a byte-identical file. Everything that is *not*
read from the seed (provinces, coordinates, corrections, stage rules, ...) lives in
the clearly named dicts/lists below, each with a comment explaining why.

The script ends with a self-check that prints every place where the report
contradicts itself (and exits non-zero only if an *unexpected* inconsistency shows up).
"""

import hashlib
import itertools
import json
import os
import re
import sys
import unicodedata
from collections import Counter, OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SEED = os.path.join(HERE, "..", "..", "shared", "seeds", "000_21ef57b37d755ccc.txt")
DEFAULT_OUT = os.path.join(HERE, "g40-2020.json")

THEMES = ["governance", "economy", "mobility", "environment", "citizen", "living"]
THEME_NAMES = {
    "governance": "Smart Governance",
    "economy": "Smart Economy",
    "mobility": "Smart Mobility",
    "environment": "Smart Environment",
    "citizen": "Smart Citizen",
    "living": "Smart Living",
}
NAME_TO_THEME = {v: k for k, v in THEME_NAMES.items()}

# ---------------------------------------------------------------------------
# 1. Hand-curated facts that are NOT in the report text
# ---------------------------------------------------------------------------

# Province and an approximate WGS84 point for the city centre (main market square /
# town hall), 4 decimals, entered by hand from general geographic knowledge
# (accuracy a few hundred metres). For multi-core municipalities the point is the
# seat of the town hall: Haarlemmermeer -> Hoofddorp, Sittard-Geleen -> Sittard,
# Zaanstad -> Zaandam. Keyed by city slug.
CITY_FACTS = {
    "alkmaar":             ("Noord-Holland", 52.6322, 4.7497),
    "almelo":              ("Overijssel",    52.3570, 6.6630),
    "almere":              ("Flevoland",     52.3713, 5.2190),
    "alphen-aan-den-rijn": ("Zuid-Holland",  52.1290, 4.6578),
    "amersfoort":          ("Utrecht",       52.1557, 5.3876),
    "apeldoorn":           ("Gelderland",    52.2112, 5.9699),
    "arnhem":              ("Gelderland",    51.9800, 5.9111),
    "assen":               ("Drenthe",       52.9928, 6.5642),
    "breda":               ("Noord-Brabant", 51.5889, 4.7757),
    "delft":               ("Zuid-Holland",  52.0116, 4.3585),
    "deventer":            ("Overijssel",    52.2516, 6.1594),
    "dordrecht":           ("Zuid-Holland",  51.8133, 4.6690),
    "ede":                 ("Gelderland",    52.0400, 5.6650),
    "eindhoven":           ("Noord-Brabant", 51.4381, 5.4781),
    "emmen":               ("Drenthe",       52.7853, 6.8970),
    "enschede":            ("Overijssel",    52.2196, 6.8955),
    "gouda":               ("Zuid-Holland",  52.0117, 4.7107),
    "groningen":           ("Groningen",     53.2187, 6.5676),
    "haarlem":             ("Noord-Holland", 52.3811, 4.6368),
    "haarlemmermeer":      ("Noord-Holland", 52.3030, 4.6890),
    "heerlen":             ("Limburg",       50.8877, 5.9797),
    "helmond":             ("Noord-Brabant", 51.4790, 5.6575),
    "hengelo":             ("Overijssel",    52.2656, 6.7931),
    "hilversum":           ("Noord-Holland", 52.2238, 5.1760),
    "hoorn":               ("Noord-Holland", 52.6406, 5.0594),
    "leeuwarden":          ("Fryslân",       53.2012, 5.7999),
    "leiden":              ("Zuid-Holland",  52.1584, 4.4924),
    "lelystad":            ("Flevoland",     52.5184, 5.4717),
    "maastricht":          ("Limburg",       50.8513, 5.6909),
    "nijmegen":            ("Gelderland",    51.8474, 5.8627),
    "oss":                 ("Noord-Brabant", 51.7653, 5.5183),
    "roosendaal":          ("Noord-Brabant", 51.5308, 4.4653),
    "schiedam":            ("Zuid-Holland",  51.9170, 4.3990),
    "s-hertogenbosch":     ("Noord-Brabant", 51.6886, 5.3038),
    "sittard-geleen":      ("Limburg",       50.9985, 5.8695),
    "tilburg":             ("Noord-Brabant", 51.5555, 5.0913),
    "venlo":               ("Limburg",       51.3704, 6.1724),
    "zaanstad":            ("Noord-Holland", 52.4391, 4.8160),
    "zoetermeer":          ("Zuid-Holland",  52.0575, 4.4940),
    "zwolle":              ("Overijssel",    52.5125, 6.0925),
}

# ---------------------------------------------------------------------------
# 2. Hand-made corrections (each documented in data/README.md, "Discrepancies")
# ---------------------------------------------------------------------------

# The per-city table abbreviates; the dataset uses the full municipality name.
# ('s-Hertogenbosch is spelled as in the table; the chapter header prints
# "‘s - Hertogenbosch" / "‘s Hertogenbosch".)
NAME_CORRECTIONS = {
    "Alphen a/d Rijn": "Alphen aan den Rijn",
}

# Contact lines that the generic "Name, Name (Title)" parser would get wrong, or
# that the report itself spells inconsistently. Keyed by (city slug, role); the
# value replaces the parsed list completely.
CONTACT_CORRECTIONS = {
    # Chapter prints "Christian Braak (Wethouder)"; the report's own contact index
    # (Index contactpersonen per gemeente) prints "Christiaan Braak", which is the
    # correct spelling of the Alkmaar alderman's name.
    ("alkmaar", "bestuurlijk"): [("Christiaan Braak", "Wethouder")],
    # "Gea Davids, opgavemanager slimme stad": the part after the comma is her
    # job title, not a second person.
    ("dordrecht", "ambtelijk"): [("Gea Davids", "opgavemanager slimme stad")],
    # The dump prints an opening quote (U+2018) where the apostrophe of "’t" belongs.
    ("ede", "ambtelijk"): [("Kim van ’t Hoenderdaal", None)],
}

# Project titles that the PDF dump wraps over a blank line (the second half would
# otherwise be read as a description). Confirmed by the theme index, which prints
# the full title on one line.
TITLE_CORRECTIONS = {
    "40.12": "ontwikkelen programma van informatieproducten energietransitie",
}
# Lines that belong to a corrected title and must not become description text.
TITLE_CONTINUATION_LINES = {
    "40.12": ["energietransitie"],
}

# Literal clean-ups of report text inside descriptions: (ref, old, new).
DESCRIPTION_CORRECTIONS = [
    # The report prints the same sentence twice in a row.
    ("9.10",
     "Tijdens ‘Meetweken’ wordt bekeken hoe automobilisten en fietsers zich in de stad bewegen. "
     "Tijdens ‘Meetweken’ wordt bekeken hoe automobilisten en fietsers zich in de stad bewegen.",
     "Tijdens ‘Meetweken’ wordt bekeken hoe automobilisten en fietsers zich in de stad bewegen."),
]

# Lines that are extraction noise but do not follow a generic pattern.
EXTRA_NOISE_LINES = {
    # Banner printed on every page of the Zwolle insert (September 2020).
    "Dit is een inlegblad bijgevoegd in september 2020. Hierdoor sluit deze inventarisatie",
    "niet aan op de totalen elders in het boek",
    "Update september 2020",
    # Truncated call-out of the Zwolle insert (sentence is cut off in the dump).
    "Op Zwolle.nl/smartzwolle vindt u",
}

# Projects for which the report lists only a name. (city number, first k, last k,
# description). The description states where the project comes from instead of
# inventing content. Every project without description text that is NOT covered
# here makes the build fail.
NAME_ONLY_GROUPS = [
    (10, 10, 30,
     "Project van The Green Village (proeftuin op de campus van de TU Delft); het rapport noemt alleen "
     "de naam en verwijst voor een beschrijving naar https://www.thegreenvillage.org/."),
    (12, 12, 38,
     "Project uit het Smart City Dordrecht Innovatiefonds; het rapport noemt alleen de naam en verwijst "
     "voor een beschrijving naar https://www.smartcitydordrecht.nl/projecten-innovatiefonds."),
    (26, 4, 29,
     "Lopend project van de interactieve kaart van Smart City Leeuwarden (status ‘uitvoerend’); wegens "
     "het laat insturen van de lijst noemt het rapport alleen de naam."),
    (40, 9, 16,
     "Project gestart onder de Alliantie Smart Zwolle (zie 40.8); het rapport noemt alleen de naam."),
]
# The report prints this placeholder instead of a description ('s-Hertogenbosch 34.17, 34.18).
NO_INFO_PLACEHOLDER = "Geen nadere informatie aangeleverd."
NO_INFO_DESCRIPTION = "Het rapport noemt alleen de naam (‘Geen nadere informatie aangeleverd’)."

# Theme choice for projects that are missing from the theme index AND for which the
# per-city table has no free slot (Groningen 18.15-18.19 are listed in the chapter
# but not counted in the table or the index). Chosen by hand from the description,
# following how the index classifies comparable projects.
THEME_MANUAL = {
    "18.15": "mobility",     # counting cyclists, pedestrians, trucks, buses (cf. 30.3/11.4 style counts)
    "18.16": "environment",  # REVIVE: hydrogen refuse trucks, clean waste collection (cf. 12.35, 37.1)
    "18.17": "mobility",     # JIVE2: hydrogen buses + filling station, public transport (cf. 7.1 Trolleybus 2.0)
    "18.18": "environment",  # HECTOR: hydrogen refuse truck (same family as REVIVE)
    "18.19": "mobility",     # SURFLOGH: urban freight logistics with cargo bikes (cf. 36.7)
}

# Keywords used to choose among the free table slots when reconciling projects that
# are missing from the theme index (matched case-insensitively on title+description,
# as word prefixes). Only used when the table leaves more than one theme open.
THEME_KEYWORDS = {
    "governance": ["data", "dashboard", "monitor", "beleid", "platform", "organisatie", "register"],
    "economy": ["ondernemer", "economi", "bedrijf", "bedrijven", "werkgelegenheid", "retail", "winkel", "business"],
    "mobility": ["verkeer", "fiets", "mobiliteit", "parkeer", "bus", "vervoer", "vracht", "logistiek", "vri", "stoplicht"],
    "environment": ["lucht", "klimaat", "energie", "waterstof", "afval", "vuilnis", "duurza", "hitte", "co2", "groen"],
    "citizen": ["burger", "inwoner", "bewoner", "participatie", "leerling", "scholier"],
    "living": ["zorg", "welzijn", "wonen", "woning", "corona", "gezondheid", "ouderen"],
}

# Stage heuristic (the report has no stage column). Rules are tried in this order on
# "title + description" (lower-cased); the first rule with a matching regex wins;
# no match -> "running". Name-only projects are matched on their title only, except
# the Leeuwarden map projects, which the report explicitly calls 'lopend' (running).
STAGE_RULES = [
    ("stopped", [r"\bgestopt\b", r"\bstopgezet\b", r"\bbeëindigd\b", r"\bfailliet\b",
                 r"\bgecanceld\b", r"\bliep tot\b", r"^afronding\b"]),
    ("scaled", [r"\b(?:verder|is|zijn|breed) uitgerold\b", r"\bverder uit(?:te )?rollen\b", r"\bopgeschaald naar\b",
                r"\b(?:is|zijn|werd) opgeschaald\b", r"\bstadsbreed\b", r"\bstadsdekkend",
                r"\bgemeentebreed\b", r"\bsucces is aangetoond\b", r"\breeds geïmplementeerd\b",
                r"\bstapsgewijs geïmplementeerd\b", r"\bin heel\b", r"\bdoet heel\b",
                r"\balle verkeerslichten (?:in|op)\b", r"\bop grote schaal\b", r"\bdoorslaand succes\b"]),
    ("pilot", [r"\bpilot", r"\bproef", r"\bexperiment", r"\bgeëxperimenteerd", r"\bexperimenteer",
               r"\bgetest\b", r"\btest(?:en|s)?\b(?!-)", r"\btest(?:lab|straat)", r"\bliving ?lab",
               r"\bfieldlab\b", r"\bprototype\b", r"\bpoc\b", r"\blab\b", r"\been jaar lang\b",
               r"\bgedurende een jaar\b"]),
    ("idea", [r"\bidee\b", r"\bverkenning\b", r"\bverkent\b", r"\bverkennen\b", r"\bonderzoekt\b",
              r"\bonderzoek(?:en|t)?(?: we)? de mogelijkhe", r"\bdoet onderzoek naar\b",
              r"\bwordt (?:er )?gekeken naar\b", r"\bnader uit te zoeken\b", r"\bnog te nemen\b",
              r"\bde komende jaren\b", r"\bstarten\b", r"\bzal\b"]),
]


# Programmes / partnerships (national, international or inter-municipal) named in a
# city's chapter (Bijzonderheden + project titles + descriptions). One canonical
# spelling each; regexes are case-sensitive unless prefixed with (?i).
# Purely municipal programmes (Smart Zwolle, Datastad, ...) are left in `notes`.
PROGRAMMES = [
    # The smart-city City Deal "Een slimme stad, zo doe je dat" (bare "City Deal"
    # in the chapters); named thematic City Deals are listed separately below.
    ("City Deal", r"(?i)\bcity ?deal\b(?!\s*(?:–\s*)?(?:kennis|zicht|voedsel|veiligheid))"),
    ("City Deal Kennis Maken", r"(?i)\bcity ?deal kennis maken\b"),
    ("City Deal Zicht op Ondermijning", r"(?i)\bcity ?deal zicht op ondermijning\b"),
    ("City Deal Voedsel op de stedelijke agenda", r"(?i)\bcity ?deal – voedsel op de stedelijke agenda\b"),
    ("City Deal Veiligheid in de Stad", r"(?i)\bcity ?deal – veiligheid in de stad\b"),
    ("Talking Traffic", r"(?i)\btalking traffic\b"),
    ("Nationaal Smart City Living Lab", r"(?i)\bnationaal (?:programma )?smart city living lab\b"),
    ("SensRNet", r"\bSensRNet\b"),
    ("Interreg", r"(?i)\binterreg\b"),
    ("Horizon2020", r"(?i)\bhorizon ?2020\b"),
    ("Future City", r"\bFuture City\b"),
    ("Samoerai", r"\bSamoerai\b"),
    ("Samen Slimmer Standaardiseren", r"\bSamen Slimmer\s+Standaardiseren\b"),
    ("Impact Coalitie Safety en Security voor Smart Society", r"\bImpact Coalitie Safety en Security\b"),
    ("Proeftuin verantwoord datagebruik in de openbare ruimte", r"(?i)\bproeftuin verantwoord datagebruik\b"),
    ("Urban Data Center (CBS)", r"\bUrban Data Cent(?:er|re)\b"),
    ("Sensorenregister (Kadaster)", r"(?i)\bsensor(?:en)? ?register\b(?=[^\n]*\b(?:kadaster|landelijk))|\blandelijke sensoren ?register\b"),
    ("BrabantRing", r"(?i)\bbrabant ?ring\b"),
    ("BrabantStad", r"\bBrabantStad\b"),
    ("B5", r"\bB5\b"),
    ("Slimme en Gezonde Stad", r"\bSlimme en Gezonde Stad\b"),
    ("Programma Inbraakvrije Wijk", r"(?i)\bprogramma inbraakvrije wijk\b"),
    ("Global Goals", r"\bGlobal Goals\b"),
    ("Amsterdam Smart City", r"\bAmsterdam Smart City\b"),
    ("Amsterdam Economic Board", r"\bAmsterdam Economic Board\b"),
    ("Smart City Alliance", r"\bSmart City\s+Alliance\b"),
    ("BiodiverCities", r"\bBiodiverCities\b"),
    ("Hydrogen Valley", r"\b(?:Hydrogen|H2) Valley\b"),
    ("Snuffelfiets", r"(?i)\bsnuffelfiets"),
    ("Samen Meten (RIVM)", r"\bSamen Meten\b"),
    ("The Things Network", r"\bThe Things Network\b"),
    ("Beter Benutten", r"\bBeter Benutten\b"),
    ("Data- en Kennishub Gezond Stedelijk Leven", r"(?i)\bdata- en kennishub gezond stedelijk leven\b"),
]

# "focus": the report's "Primaire focus van projecten" element is a bar chart (its
# numbers are the per-theme counts, see theme_counts) and has no text of its own.
# As the human-readable focus we take, verbatim, the sentence(s) of the city's
# Bijzonderheden in which the report characterises the city's thematic focus.
# Value = list of sentence prefixes; the full sentence is cut from `notes`.
FOCUS_SENTENCES = {
    "alkmaar": ["Alkmaar heeft een thematische focus op energie."],
    "alphen-aan-den-rijn": ["Alphen aan den Rijn heeft oog voor haar bewoners"],
    "amersfoort": ["Amersfoort profileert zich als de Hoofdstad voor Water",
                   "Uit de inventarisatie blijkt dat de stad hoofdzakelijk"],
    "apeldoorn": ["Een vaak terugkerend onderwerp in projecten in Apeldoorn is de fiets."],
    "arnhem": ["De stad stelt hoge ambities"],
    "breda": ["Breda heeft een hoeveelheid projecten in Portfolio Digitalisering Breda"],
    "deventer": ["Voornaamste focus ligt bij Smart Mobility en Smart Environment."],
    "dordrecht": ["Daarnaast hebben de geïdentificeerde projecten in Dordrecht een zware focus",
                  "Waar de focus minder op ligt is bij Smart Citizens."],
    "emmen": ["Het opwekken en verspreiden van energie is een van de speerpunten van Emmen."],
    "groningen": ["Twee thema’s die Groningen gekozen heeft als kernfocus"],
    "haarlem": ["Haarlem werkt middels transitiepaden.",
                "Haarlem zet als een van de weinige steden in op state-of-the-art technology"],
    "helmond": ["Helmond heeft als speerpunt", "Dit hoeft niet per se technologisch te zijn",
                "Gezien de grote aanwezigheid van de automotive sector"],
    "hilversum": ["De burger staat centraal in de Smart City."],
    "hoorn": ["Hoorn zet in op het inventariseren van de beschikbare data"],
    "leeuwarden": ["De gemeente wilt haar krachten bundelen", "Daarbij staan de volgende doelen centraal"],
    "roosendaal": ["De Smart City Roosendaal kenmerkt zich door een hoge mate van focus"],
    "schiedam": ["Bewoners spelen in Schiedam een centrale rol."],
    "s-hertogenbosch": ["Den Bosch ontdekt de mogelijkheden van data middels haar programma Datastad."],
    "zaanstad": ["Zaanstad richt zich in de geïdentificeerde projecten hoofdzakelijk op energie."],
    "zwolle": ["Smart Zwolle richt zich in eerste instantie op twee thema's"],
}

# Chapters in which the dump has no Bijzonderheden text at all (the box is empty or
# lost in the PDF extraction). Listed so the build can assert it did not miss one.
CITIES_WITHOUT_NOTES = {"heerlen"}

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def slugify(name):
    s = unicodedata.normalize("NFKD", name)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = re.sub(r"[’‘'`´]", "", s).lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return s


def norm_name(s):
    """Normalise a city-name line for comparison ("‘s - Hertogenbosch" == "'s-Hertogenbosch")."""
    s = s.replace("‘", "'").replace("’", "'")
    s = re.sub(r"\s*-\s*", "-", s)
    s = re.sub(r"\s+", " ", s).strip().lower()
    return s


def clean_ws(s):
    return re.sub(r"\s+", " ", s.replace("\u00a0", " ")).strip()


def join_lines(lines):
    """Join wrapped lines: single spaces, keep hyphenated compounds together."""
    out = ""
    for ln in lines:
        ln = clean_ws(ln)
        if not ln:
            continue
        if not out:
            out = ln
        elif re.search(r"[A-Za-zÀ-ÿ0-9]-$", out) and re.match(r"[A-Za-zÀ-ÿ]", ln) \
                and not re.match(r"(?:en|of|tot)\b", ln):
            # "energie-" + "managementsysteem", "Zuid-" + "Holland"; but keep "sloop- en"
            out += ln
        else:
            out += " " + ln
    return clean_ws(out)


def join_paragraphs(paras):
    return "\n\n".join(p for p in (join_lines(p) for p in paras) if p)


def ref_key(ref):
    a, b = ref.split(".")
    return (int(a), int(b))


# ---------------------------------------------------------------------------
# Line classification
# ---------------------------------------------------------------------------

RE_TITLE = re.compile(r"^(\d{1,2})\.(\d{1,2})\s+(\S.*)$")
RE_RANGE = re.compile(r"^(\d{1,2})\.(\d{1,2})\s*[–-]\s*(\d{1,2})\.(\d{1,2})\s+(.*)$")
RE_PAGE_HEADER = re.compile(r"^Overzicht [sS]mart City projecten \d+/40.*$")
RE_PROJECTEN = re.compile(r"^Projecten \((\d+)\)$")
RE_PROJECTEN_VERVOLG = re.compile(r"^Projecten \(\d+\) \(vervolg\)$")
RE_LEGEND = re.compile(
    r"^(?:\d*\s*Smart (?:Living|Governance|Citizen|Environment|Economy|Mobility)\s*\d*\s*)+$")
RE_NUMBER = re.compile(r"^\d+$")
RE_URL = re.compile(r"^https?://\S+$")
NOISE_EXACT = {
    "Thema", "Naam en korte beschrijving", "ThemaNaam en korte beschrijving", "ThemaThemaNaam Naam",
    "Basisinformatie Analyse", "Legenda", "projecten:", "geïdentificeerde",
}
RE_AANTAL_SUFFIX = re.compile(r"\s*Aantal geïdentificeerde\s*$")


def classify(line):
    """Return (kind, payload) for a stripped line."""
    if not line:
        return ("blank", None)
    if line in EXTRA_NOISE_LINES or line in NOISE_EXACT:
        return ("noise", None)
    if RE_PAGE_HEADER.match(line) or RE_PROJECTEN_VERVOLG.match(line) or RE_LEGEND.match(line) \
            or RE_NUMBER.match(line):
        return ("noise", None)
    m = RE_PROJECTEN.match(line)
    if m:
        return ("projecten", int(m.group(1)))
    if line.startswith("Inwonertal (2020):"):
        return ("population", line)
    if line.startswith("Oppervlakte:"):
        return ("area", line)
    if line.startswith("Primaire focus van projecten") or line == "Contact" or line == "Validatie:":
        return ("stop", None)
    if line.startswith("Bijzonderheden"):
        return ("stop", None)
    if line.startswith("Aantal geïdentificeerde") or line == "Aantal":
        return ("aantal", None)
    m = re.match(r"^(Ambtelijk|Bestuurlijk) contactpersoon:\s*(.*)$", line)
    if m:
        return ("contact_label", (m.group(1).lower(), m.group(2)))
    m = RE_RANGE.match(line)
    if m:
        return ("range", tuple(int(x) for x in m.groups()[:4]))
    m = RE_TITLE.match(line)
    if m:
        return ("title", (int(m.group(1)), int(m.group(2)), m.group(3).strip()))
    if RE_URL.match(line):
        return ("url", line)
    return ("prose", line)


# ---------------------------------------------------------------------------
# Extraction
# ---------------------------------------------------------------------------


def find_line(lines, pattern, start=0, end=None):
    rx = re.compile(pattern)
    for i in range(start, len(lines) if end is None else end):
        if rx.search(lines[i]):
            return i
    raise ValueError("pattern not found: %r" % pattern)


def paragraph_after(lines, i):
    """Lines of the paragraph starting at index i (up to the next blank line)."""
    out = []
    while i < len(lines) and lines[i].strip():
        out.append(lines[i])
        i += 1
    return join_lines(out)


def extract_city_table(lines):
    head = find_line(lines, r"Smart City projecten naar 6 Smart City thema")
    tot = find_line(lines, r"^Totaal \d+ \d+ \d+ \d+ \d+ \d+ \d+\s*$", head)
    rows = []
    for ln in lines[head:tot]:
        m = re.match(r"^(.+?) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)\s*$", ln.strip())
        if m:
            rows.append((m.group(1), [int(x) for x in m.groups()[1:]]))
    totals = [int(x) for x in lines[tot].split()[1:]]
    upd = re.search(r"Laatste update: (\d+)-(\d+)-(\d+)", "\n".join(lines[tot:tot + 5]))
    updated = "20%02d-%02d-%02d" % (int(upd.group(3)), int(upd.group(2)), int(upd.group(1)))
    return rows, totals, updated, tot


def extract_theme_definitions(lines):
    start = find_line(lines, r"^Uitleg keuze van thema")
    anchors = OrderedDict([
        ("governance", r"Bij Smart Governance definieert de gemeente"),
        ("economy", r"^Het thema Smart Economy heeft betrekking"),
        # The mobility paragraph carries no theme name in the dump; it is the only
        # remaining paragraph of the six and is about infrastructure use.
        ("mobility", r"^Door gebruik van gegevens uit de stad"),
        ("environment", r"^Initiatieven die zich richten op het"),
        ("citizen", r"^Binnen Smart Citizen projecten staat de burger"),
        ("living", r"^Onder Smart Living vallen alle projecten"),
    ])
    out = []
    for slug, rx in anchors.items():
        i = find_line(lines, rx, start, start + 80)
        out.append({"slug": slug, "name": THEME_NAMES[slug], "definition": paragraph_after(lines, i)})
    return out


def extract_bottleneck_categories(lines):
    cats = [
        ("leiderschap", "Politiek & ambtelijk leiderschap", r"^Definitie Politiek en ambtelijk leiderschap"),
        ("ecosysteem", "Ecosysteem", r"^Definitie Ecosysteem"),
        ("digitale-technologie", "Digitale technologie", r"^Definitie Digitale technologie"),
        ("ethiek-regelgeving", "Ethiek & regelgeving", r"^Definitie Ethiek & Regelgeving"),
        ("data-cybersecurity", "Data & cyber security", r"^Definitie Data & cyber security"),
        ("financiering", "Financiering", r"^Definitie Financiering"),
    ]
    out = []
    for slug, name, rx in cats:
        i = find_line(lines, rx)
        j = i + 1
        while not lines[j].strip():
            j += 1
        out.append({"slug": slug, "name": name, "definition": paragraph_after(lines, j)})
    return out


def extract_index(lines, start):
    """Theme index -> ({ref: theme}, {theme: printed header count},
    [(line, theme) of pages whose header is missing], {ref: title as printed in the index})."""
    end = find_line(lines, r"Index contactpersonen per gemeente", start)
    hdr = re.compile(r"^(Smart \w+) \((\d+)\)( vervolg)?$")
    theme = THEMES[0]   # the first index page (Smart Governance) lost its header in the dump
    prev = None
    idx, header_counts, headerless = {}, {}, []
    titles = {}
    for i in range(start, end):
        ln = lines[i].strip()
        h = hdr.match(ln)
        if h:
            theme = NAME_TO_THEME[h.group(1)]
            header_counts.setdefault(theme, int(h.group(2)))
            prev = None
            continue
        m = RE_TITLE.match(ln)
        if not m:
            continue
        r = (int(m.group(1)), int(m.group(2)))
        if prev is not None and r < prev:
            # Numbering restarts without a header: a new theme page whose header was
            # lost in the dump (happens for Smart Mobility). Themes appear in the
            # fixed report order, so this is the next theme.
            theme = THEMES[THEMES.index(theme) + 1]
            headerless.append((i + 1, theme))
        prev = r
        ref = "%d.%d" % r
        if ref in idx:
            raise SystemExit("index lists %s twice" % ref)
        idx[ref] = theme
        titles[ref] = re.sub(r"\s+\d{2,3}$", "", m.group(3)).strip()
    return idx, header_counts, headerless, titles


def parse_contacts(text):
    """'Frans Brekelmans, Niek Hendriks' / 'Karin Dekker/Bob Bergsma (Wethouder)'."""
    text = clean_ws(text)
    title = None
    m = re.match(r"^(.*?)\s*\(([^)]*)\)\s*$", text)
    if m:
        text, title = m.group(1), m.group(2).strip()
    names = [clean_ws(n) for n in re.split(r"[,/]", text)]
    return [(n, title) for n in names if n]


def main():
    seed = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SEED
    out_path = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_OUT
    raw = open(seed, "rb").read()
    sha = hashlib.sha256(raw).hexdigest()
    lines = raw.decode("utf-8").split("\n")
    S = [l.strip() for l in lines]

    table_rows, table_totals, updated, table_end = extract_city_table(lines)
    if len(table_rows) != 40:
        raise SystemExit("expected 40 table rows, got %d" % len(table_rows))
    cities = []
    for n, (tname, counts) in enumerate(table_rows, 1):
        name = NAME_CORRECTIONS.get(tname, tname)
        cities.append({"number": n, "table_name": tname, "name": name, "slug": slugify(name),
                       "table": counts})
    by_num = {c["number"]: c for c in cities}
    name_lines = {}
    for c in cities:
        name_lines[norm_name(c["name"])] = c["number"]
        name_lines[norm_name(c["table_name"])] = c["number"]

    # --- pass 1: project title lines in the chapter stream (city numbers only go up)
    chap_start = find_line(lines, r"^Projecten \(\d+\)\s*$", table_end)
    title_lines = []          # (line index, city, k)
    cur = 0
    index_start = None
    for i in range(chap_start, len(S)):
        kind, p = classify(S[i])
        if kind in ("title", "range"):
            c = p[0]
            if c < cur:           # numbering falls back -> theme index starts here
                index_start = i
                break
            cur = c
            if kind == "title":
                title_lines.append((i, c, p[1]))
    assert index_start is not None

    # --- chapter boundaries: city N starts at the first chapter marker after the
    # last title line of city N-1 (markers: "Projecten (n)", contact labels,
    # "Bijzonderheden", or a line that is just the city name).
    last_title = {}
    first_title = {}
    for i, c, k in title_lines:
        last_title[c] = i
        first_title.setdefault(c, i)

    def is_marker(i):
        s = S[i]
        return (RE_PROJECTEN.match(s) or s.startswith("Ambtelijk contactpersoon:")
                or s.startswith("Bestuurlijk contactpersoon:") or s.startswith("Bijzonderheden")
                or norm_name(s) in name_lines)

    bounds = {}
    for n in range(1, 41):
        lo = chap_start if n == 1 else last_title[n - 1] + 1
        b = None
        for i in range(lo, first_title[n] + 1):
            if is_marker(i):
                b = i
                break
        if b is None:
            b = first_title[n]
        bounds[n] = b
    chapters = {n: (bounds[n], bounds[n + 1] if n < 40 else index_start) for n in range(1, 41)}

    # --- pass 2: walk each chapter with a small state machine
    projects = {}
    duplicates = []
    issues = []
    for n in range(1, 41):
        city = by_num[n]
        lo, hi = chapters[n]
        city.update({"population": None, "area": None, "stated": None, "projecten_header": None,
                     "contacts": {"ambtelijk": [], "bestuurlijk": []}, "notes_paras": [],
                     "dup_refs": [], "ranges": []})
        mode = None            # None | 'desc' | 'notes' | 'skip' | 'contact' | 'aantal'
        cur_proj = None
        contact_role = None
        contact_buf = []
        prev_blank = True
        skip_title_cont = []
        for i in range(lo, hi):
            line = S[i]
            # split "… City Deal Aantal geïdentificeerde" into prose + label
            tail_label = False
            if RE_AANTAL_SUFFIX.search(line) and not line.startswith("Aantal"):
                line = RE_AANTAL_SUFFIX.sub("", line)
                tail_label = True
            kind, p = classify(line)

            if mode == "contact":
                if kind == "blank":
                    if contact_buf:
                        city["contacts"][contact_role].extend(parse_contacts(" ".join(contact_buf)))
                        contact_buf, mode = [], None
                    prev_blank = True
                    continue
                if kind in ("prose",):
                    contact_buf.append(line)
                    prev_blank = False
                    continue
                # any other line ends the contact block
                if contact_buf:
                    city["contacts"][contact_role].extend(parse_contacts(" ".join(contact_buf)))
                contact_buf, mode = [], None

            if mode == "aantal":
                if kind == "noise" and RE_NUMBER.match(line) and city["stated"] is None:
                    city["stated"] = int(line)
                    mode = None
                    prev_blank = False
                    continue
                if kind in ("blank", "noise"):
                    prev_blank = kind == "blank"
                    continue
                mode = None

            if mode == "skip":
                if kind == "blank":
                    mode = None
                prev_blank = kind == "blank"
                continue

            if kind == "blank":
                prev_blank = True
                if mode == "notes":
                    mode = None
                elif mode == "desc" and cur_proj is not None:
                    cur_proj["paras"].append([])
                continue

            if kind == "noise":
                prev_blank = False
                continue
            if kind == "url" and (prev_blank or mode is None):
                prev_blank = False
                continue

            if kind == "title":
                c, k, title = p
                if c != n:
                    issues.append("line %d: title %d.%d inside chapter %d" % (i + 1, c, k, n))
                    continue
                ref = "%d.%d" % (c, k)
                if ref in projects:
                    city["dup_refs"].append(ref)
                    old = projects[ref]
                    # identical re-print of the same entry (9.13): swallow the repeat
                    cur_proj = {"ref": ref, "title": title, "paras": [[]], "dup_of": old}
                    duplicates.append(cur_proj)
                    mode = "desc"
                else:
                    cur_proj = {"ref": ref, "city": n, "title": title, "paras": [[]], "line": i + 1}
                    projects[ref] = cur_proj
                    mode = "desc"
                    skip_title_cont = list(TITLE_CONTINUATION_LINES.get(ref, []))
                prev_blank = False
                continue

            if kind == "range":
                city["ranges"].append((p, line))
                cur_proj, mode = None, "skip"
                prev_blank = False
                continue

            if kind == "contact_label":
                role, rest = p
                cur_proj = None
                if rest:
                    city["contacts"][role].extend(parse_contacts(rest))
                    mode = None
                else:
                    mode, contact_role, contact_buf = "contact", role, []
                prev_blank = False
                continue

            if kind == "population":
                city["population"] = int(re.sub(r"\D", "", line.split(":", 1)[1]))
                cur_proj, mode = None, None
                continue
            if kind == "area":
                a = re.search(r"([\d.]+,\d+|\d+)\s*km", line).group(1)
                city["area"] = float(a.replace(".", "").replace(",", "."))
                cur_proj, mode = None, None
                continue
            if kind == "projecten":
                city["projecten_header"] = p
                cur_proj, mode = None, None
                continue
            if kind == "aantal":
                cur_proj, mode = None, "aantal"
                continue
            if kind == "stop":
                cur_proj, mode = None, None
                continue

            # prose (or url continuing a paragraph)
            if norm_name(line) in name_lines:
                if name_lines[norm_name(line)] != n:
                    issues.append("line %d: name of city %d inside chapter %d" % (i + 1, name_lines[norm_name(line)], n))
                cur_proj, mode = None, None
                prev_blank = False
                continue
            if mode == "desc" and cur_proj is not None:
                if skip_title_cont and line == skip_title_cont[0]:
                    skip_title_cont.pop(0)
                else:
                    cur_proj["paras"][-1].append(line)
            else:
                if mode != "notes":
                    city["notes_paras"].append([])
                    mode = "notes"
                city["notes_paras"][-1].append(line)
            prev_blank = False
            if tail_label:
                cur_proj, mode = None, "aantal"
        if mode == "contact" and contact_buf:
            city["contacts"][contact_role].extend(parse_contacts(" ".join(contact_buf)))

    # a number printed twice is merged only if it is a literal re-print (same title
    # and text); anything else stops the build
    dup_report = []
    for d in duplicates:
        o = d["dup_of"]
        if clean_ws(d["title"]) != clean_ws(o["title"]) or join_paragraphs(d["paras"]) != join_paragraphs(o["paras"]):
            raise SystemExit("number %s printed twice with different content" % d["ref"])
        dup_report.append(d["ref"])

    # --- theme index
    index, index_headers, index_headerless, index_titles = extract_index(lines, index_start)

    # --- assemble projects
    def name_only_text(n, k):
        for c, a, b, text in NAME_ONLY_GROUPS:
            if c == n and a <= k <= b:
                return text
        return None

    out_projects = []
    for ref in sorted(projects, key=ref_key):
        p = projects[ref]
        n, k = ref_key(ref)
        title = clean_ws(p["title"])
        if ref in TITLE_CORRECTIONS:
            if not TITLE_CORRECTIONS[ref].startswith(title):
                raise SystemExit("title correction for %s no longer applies (parsed %r)" % (ref, title))
            title = TITLE_CORRECTIONS[ref]
        desc = join_paragraphs(p["paras"])
        for r, old, new in DESCRIPTION_CORRECTIONS:
            if r == ref:
                if old not in desc:
                    raise SystemExit("description correction for %s no longer applies" % ref)
                desc = desc.replace(old, new)
        origin = "report"
        no_text = name_only_text(n, k)
        if no_text is not None:
            if desc:
                raise SystemExit("%s is declared name-only but has text: %r" % (ref, desc))
            desc, origin = no_text, "name_only"
        elif desc == NO_INFO_PLACEHOLDER:
            desc, origin = NO_INFO_DESCRIPTION, "name_only"
        elif not desc:
            raise SystemExit("project %s has no description and is not declared name-only" % ref)
        out_projects.append({"source_ref": ref, "city": by_num[n]["slug"], "title": title,
                             "description": desc, "description_origin": origin,
                             "_n": n, "_k": k})

    # --- themes: index first, then reconcile with the per-city table
    recon_log = []
    for p in out_projects:
        if p["source_ref"] in index:
            p["theme"], p["theme_origin"] = index[p["source_ref"]], "index"
    for city in cities:
        n = city["number"]
        mine = [p for p in out_projects if p["_n"] == n]
        have = Counter(p["theme"] for p in mine if "theme" in p)
        free = {t: city["table"][j] - have[t] for j, t in enumerate(THEMES)}
        missing = [p for p in mine if "theme" not in p]
        if not missing:
            continue
        slots = []
        for t in THEMES:
            slots += [t] * max(0, free[t])
        if len(slots) == len(missing) and all(v >= 0 for v in free.values()):
            # choose the assignment of missing projects to the free slots that
            # maximises keyword hits (ties: first permutation in theme order)
            best, best_score = None, -1
            for perm in sorted(set(itertools.permutations(slots))):
                score = sum(keyword_score(p, t) for p, t in zip(missing, perm))
                if score > best_score:
                    best, best_score = perm, score
            for p, t in zip(missing, best):
                p["theme"], p["theme_origin"] = t, "reconciled"
                recon_log.append((p["source_ref"], t, "table slot" + ("" if len(set(slots)) == 1 else " (keywords)")))
        else:
            for p in missing:
                t = THEME_MANUAL.get(p["source_ref"])
                if t is None:
                    raise SystemExit("cannot reconcile %s: table has no matching free slot and no "
                                     "THEME_MANUAL entry" % p["source_ref"])
                p["theme"], p["theme_origin"] = t, "reconciled"
                recon_log.append((p["source_ref"], t, "manual (no table slot)"))

    # --- stages
    for p in out_projects:
        p["stage"] = derive_stage(p)

    # --- cities
    out_cities = []
    for city in cities:
        slug = city["slug"]
        province, lat, lon = CITY_FACTS[slug]
        contacts = []
        for role in ("ambtelijk", "bestuurlijk"):
            lst = CONTACT_CORRECTIONS.get((slug, role), city["contacts"][role])
            contacts += [{"role": role, "name": nm, "title": tt} for nm, tt in lst]
        notes = join_paragraphs([[clean_note_line(l) for l in para] for para in city["notes_paras"]]) or None
        focus = extract_focus(slug, notes)
        # programme names are searched in the Bijzonderheden, in every project title and
        # in the report's own descriptions (not in our name-only boilerplate)
        text_for_programmes = "\n".join(
            [notes or ""] + ["%s\n%s" % (p["title"], p["description"] if p["description_origin"] == "report" else "")
                             for p in out_projects if p["_n"] == city["number"]])
        programmes = find_programmes(text_for_programmes)
        out_cities.append(OrderedDict([
            ("slug", slug), ("name", city["name"]), ("province", province),
            ("population", city["population"]), ("area_km2", city["area"]),
            ("latitude", lat), ("longitude", lon), ("report_number", city["number"]),
            ("stated_project_count", city["stated"]),
            ("contacts", contacts), ("notes", notes), ("focus", focus), ("programmes", programmes),
            ("theme_counts", OrderedDict((t, city["table"][j]) for j, t in enumerate(THEMES))),
        ]))

    doc = OrderedDict()
    doc["source"] = OrderedDict([
        ("title", "G40 Smart City inventarisatie 2020 – Stedelijke overzichten Smart City projecten in G40"),
        ("publisher", "G40-stedennetwerk, themagroep Smart Cities (trekkers Apeldoorn en Zwolle); "
                      "onderzoek en rapport door Capgemini Invent in opdracht van het Ministerie van "
                      "Infrastructuur en Waterstaat"),
        ("year", 2020),
        ("updated", updated),
        ("provenance", "Extracted by data/build_inventory.py (Python 3, standard library) from a plain-text "
                       "dump of the report PDF (seed file %s, sha256 %s). Cities, contacts, notes, population, "
                       "area, stated counts and per-theme counts, project numbers, titles and descriptions, and "
                       "the theme index are parsed from that text; provinces and coordinates are hand-entered; "
                       "hand corrections, reconciled themes and the stage heuristic are documented in the script "
                       "and in data/README.md." % (os.path.basename(seed), sha)),
        ("licence", "The report states no licence or reuse terms for its content. The only rights notice in the "
                    "text is '© 2020 Capgemini Invent. All rights reserved.' in the 'Over Capgemini Invent' "
                    "back-page block. The report is a public report published by the G40 city network for "
                    "knowledge sharing (the foreword calls the overview a living document to be kept up to date "
                    "on the G40 website). This dataset reproduces its factual inventory with attribution; "
                    "confirm reuse of the verbatim descriptions with G40 / Capgemini Invent before "
                    "redistributing them outside the platform."),
    ])
    doc["themes"] = extract_theme_definitions(lines)
    doc["bottleneck_categories"] = extract_bottleneck_categories(lines)
    doc["cities"] = out_cities
    doc["projects"] = [OrderedDict((k, p[k]) for k in ("source_ref", "city", "title", "description",
                                                       "description_origin", "theme", "theme_origin", "stage"))
                       for p in out_projects]

    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")

    contact_index = extract_contact_index(lines, cities)
    ok = self_check(doc, cities, table_totals, index, index_headers, index_headerless, index_titles,
                    projects, recon_log, dup_report, issues, contact_index)
    print("wrote %s" % os.path.relpath(out_path))
    return 0 if ok else 1


def keyword_score(p, theme):
    text = (p["title"] + " " + p["description"]).lower()
    return sum(len(re.findall(r"\b" + re.escape(kw), text)) for kw in THEME_KEYWORDS[theme])


def derive_stage(p):
    if p["description_origin"] == "name_only":
        if p["_n"] == 26:      # Leeuwarden map list: report says these are 'lopend'
            return "running"
        text = p["title"].lower()
    else:
        text = (p["title"] + "\n" + p["description"]).lower()
    for stage, patterns in STAGE_RULES:
        for rx in patterns:
            if re.search(rx, text, flags=re.M):
                return stage
    return "running"


def clean_note_line(line):
    # chart numbers glued to the start of a sentence ("5Groningen is …")
    return re.sub(r"^\d+(?=[A-Z][a-z])", "", line)


def extract_focus(slug, notes):
    prefixes = FOCUS_SENTENCES.get(slug)
    if not prefixes:
        return None
    if not notes:
        raise SystemExit("focus defined for %s but no notes" % slug)
    flat = notes.replace("\n\n", " ")
    out = []
    for pre in prefixes:
        i = flat.find(pre)
        if i < 0:
            raise SystemExit("focus sentence %r not found in notes of %s" % (pre, slug))
        m = re.compile(r"(.+?[.!?])(?=\s+[A-Z‘'(]|\s*$)").match(flat, i)
        out.append(m.group(1) if m else flat[i:])
    return " ".join(out)


def find_programmes(text):
    found = []
    for name, rx in PROGRAMMES:
        if re.search(rx, text):
            found.append(name)
    return found


def norm_person(s):
    s = s.replace("‘", "'").replace("’", "'")
    s = re.sub(r"\s*/\s*", "/", s)
    return re.sub(r"\s+", " ", s).strip().lower()


def extract_contact_index(lines, cities):
    """{city number: 'bestuurlijk ambtelijk' text} from the contact index at the end."""
    start = find_line(lines, r"^\s*Index contactpersonen per gemeente")
    out = {}
    names = sorted(((c["table_name"], c["number"]) for c in cities), key=lambda x: -len(x[0]))
    for ln in lines[start + 1:]:
        ln = clean_ws(ln)
        if ln.startswith("O V E R"):
            break
        for nm, num in names:
            if ln.startswith(nm + " "):
                out[num] = ln[len(nm) + 1:]
                break
    return out


def self_check(doc, cities, table_totals, index, index_headers, index_headerless, index_titles,
               projects, recon_log, dup_report, issues, contact_index):
    ok = True
    P = doc["projects"]
    C = doc["cities"]
    print("=" * 72)
    print("SELF-CHECK")
    print("=" * 72)

    def expect(cond, msg):
        nonlocal ok
        if not cond:
            ok = False
            print("  UNEXPECTED: " + msg)

    for msg in issues:
        expect(False, msg)
    expect(len(C) == 40, "expected 40 cities, got %d" % len(C))
    expect(len({c["slug"] for c in C}) == 40, "city slugs not unique")
    expect(len({p["source_ref"] for p in P}) == len(P), "duplicate source_ref")
    # completeness: numbers are 1..max per city without gaps
    for c in C:
        ks = sorted(int(p["source_ref"].split(".")[1]) for p in P if p["city"] == c["slug"])
        expect(ks == list(range(1, len(ks) + 1)), "%s: project numbers have gaps %s" % (c["name"], ks))
    for c in C:
        for f in ("population", "area_km2", "stated_project_count"):
            expect(c[f] is not None, "%s: %s missing" % (c["name"], f))
        expect(any(x["role"] == "ambtelijk" for x in c["contacts"]), "%s: no ambtelijk contact" % c["name"])
        expect(any(x["role"] == "bestuurlijk" for x in c["contacts"]), "%s: no bestuurlijk contact" % c["name"])
        expect((c["notes"] is None) == (c["slug"] in CITIES_WITHOUT_NOTES), "%s: notes presence unexpected" % c["name"])
    # table internal consistency
    col = [sum(c["theme_counts"][t] for c in C) for t in THEMES]
    expect(col == table_totals[:6], "table columns %s != Totaal row %s" % (col, table_totals[:6]))
    for c, raw in zip(C, cities):
        expect(sum(raw["table"][:6]) == raw["table"][6], "%s: table row does not add up" % c["name"])

    print("cities: %d" % len(C))
    print("projects: %d (report table total: %d)" % (len(P), table_totals[6]))
    tc = Counter(p["theme"] for p in P)
    print("per-theme totals (dataset vs table):")
    for j, t in enumerate(THEMES):
        print("  %-12s %4d vs %4d%s" % (t, tc[t], table_totals[j], "" if tc[t] == table_totals[j] else "   MISMATCH"))
    print("theme_origin: %s" % dict(Counter(p["theme_origin"] for p in P)))
    print("description_origin: %s" % dict(Counter(p["description_origin"] for p in P)))
    print("stage: %s" % dict(sorted(Counter(p["stage"] for p in P).items())))

    print("\nper-city: listed projects vs table total vs stated count; per-theme vs table")
    match = 0
    mism = []
    for c, raw in zip(C, cities):
        mine = [p for p in P if p["city"] == c["slug"]]
        got = [sum(1 for p in mine if p["theme"] == t) for t in THEMES]
        want = [c["theme_counts"][t] for t in THEMES]
        line = []
        if len(mine) != raw["table"][6]:
            line.append("listed %d vs table %d" % (len(mine), raw["table"][6]))
        if len(mine) != c["stated_project_count"]:
            line.append("listed %d vs stated %d" % (len(mine), c["stated_project_count"]))
        if raw["projecten_header"] is not None and raw["projecten_header"] != c["stated_project_count"]:
            line.append("'Projecten (%d)' vs stated %d" % (raw["projecten_header"], c["stated_project_count"]))
        if got != want:
            line.append("themes %s vs table %s" % (got, want))
        if line:
            mism.append(c["name"])
            print("  %-22s %s" % (c["name"], "; ".join(line)))
        else:
            match += 1
    print("  -> %d of 40 cities match the table exactly (counts and all six themes)%s"
          % (match, "" if not mism else "; not matching: " + ", ".join(mism)))
    expect(mism == ["Groningen"], "expected only Groningen to differ from the table, got %s" % mism)

    print("\ntheme index (as printed in the dump):")
    print("  entries found: %d of %d projects; per theme %s" % (
        len(index), len(P), dict(Counter(index.values()))))
    print("  printed header counts: %s" % index_headers)
    for t in THEMES:
        n_idx = sum(1 for v in index.values() if v == t)
        h = index_headers.get(t)
        if h is not None and h != n_idx:
            print("  %-12s header says %d, entries listed %d, table %d" % (t, h, n_idx, table_totals[THEMES.index(t)]))
    first_gov = min((r for r, t in index.items() if t == "governance"), key=ref_key)
    if "governance" not in index_headers or ref_key(first_gov)[0] > 1:
        print("  first Smart Governance page is missing from the dump (governance entries start at %s)" % first_gov)
    for ln, t in index_headerless:
        print("  page without header starting at line %d -> %s" % (ln, t))
    # index titles vs chapter titles (catches misnumbered index entries)
    diffs = []
    for ref, it in sorted(index_titles.items(), key=lambda kv: ref_key(kv[0])):
        ct = next(p["title"] for p in P if p["source_ref"] == ref)
        a = re.sub(r"[^a-z0-9]", "", it.lower())
        b = re.sub(r"[^a-z0-9]", "", ct.lower())
        if not (a.startswith(b[:12]) or b.startswith(a[:12])):
            diffs.append("%s index '%s' vs chapter '%s'" % (ref, it, ct))
    print("  index titles compared with chapter titles: %d, differing: %d" % (len(index_titles), len(diffs)))
    for d in diffs:
        print("  title differs: " + d)

    print("\ncontact index ('Index contactpersonen per gemeente') vs chapter contact blocks:")
    for city, c in zip(cities, C):
        idx_line = contact_index.get(city["number"])
        chap = city["contacts"]     # as printed in the chapter (before CONTACT_CORRECTIONS)
        want = "%s %s" % (" / ".join(n for n, _ in chap["bestuurlijk"]), " / ".join(n for n, _ in chap["ambtelijk"]))
        if idx_line is None:
            print("  %-22s not in contact index" % c["name"])
        elif norm_person(idx_line) != norm_person(want):
            print("  %-22s index: %s | chapter: bestuurlijk %s; ambtelijk %s" % (
                c["name"], idx_line, " / ".join("%s%s" % (n, " (%s)" % t if t else "") for n, t in chap["bestuurlijk"]),
                " / ".join("%s%s" % (n, " (%s)" % t if t else "") for n, t in chap["ambtelijk"])))

    print("\nreconciled themes (%d):" % len(recon_log))
    for ref, t, how in sorted(recon_log, key=lambda x: ref_key(x[0])):
        print("  %-6s -> %-12s %s" % (ref, t, how))
    print("\nduplicate entries merged: %s" % (", ".join(sorted(set(dup_report), key=ref_key)) or "none"))
    print("=" * 72)
    print("self-check %s" % ("OK (only the known report discrepancies above)" if ok else "FAILED"))
    return ok


if __name__ == "__main__":
    sys.exit(main())
