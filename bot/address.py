"""A delivery address from one chat message, in linear time, for the countries a European shop ships to.

libpostal would parse more of the world but needs a 2 GB model download at install time, which a
self-hosted shop (and this project's offline install) cannot assume; usaddress/pyap cover only
North America and the UK. European addresses in a chat are regular enough for a token scan:
"street and number, postal code city[, country]" in any order of commas, country defaulting to the
shopper's. Anything that does not parse is asked again, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

COUNTRIES = {
    "AT": "Austria", "BE": "Belgium", "CH": "Switzerland", "CZ": "Czechia", "DE": "Germany", "DK": "Denmark", "ES": "Spain",
    "FI": "Finland", "FR": "France", "GB": "United Kingdom", "IE": "Ireland", "IT": "Italy", "LU": "Luxembourg",
    "NL": "Netherlands", "NO": "Norway", "PL": "Poland", "PT": "Portugal", "SE": "Sweden", "US": "United States",
}
NAMES = {name.lower(): code for code, name in COUNTRIES.items()}
NAMES.update({"deutschland": "DE", "österreich": "AT", "belgië": "BE", "belgique": "BE", "schweiz": "CH", "suisse": "CH",
              "nederland": "NL", "the netherlands": "NL", "holland": "NL", "españa": "ES", "italia": "IT", "uk": "GB",
              "england": "GB", "great britain": "GB", "usa": "US", "united states of america": "US", "sverige": "SE",
              "danmark": "DK", "norge": "NO", "polska": "PL", "suomi": "FI", "éire": "IE"})
FOUR_DIGITS = frozenset({"AT", "BE", "CH", "DK", "LU", "NO"})
FIVE_DIGITS = frozenset({"DE", "FR", "IT", "ES", "FI", "US"})
# Large cities of the countries above, as shoppers write them: when an address names no country, a large city
# whose country's postal codes look like the one given decides ("Hauptstraße 5, 10115 Berlin" from a Spanish
# account is in Germany). Names a town elsewhere shares are left out (Bergen is also in the Netherlands).
CITIES = {
    "DE": "berlin hamburg münchen munich muenchen köln koeln cologne frankfurt stuttgart düsseldorf duesseldorf leipzig dortmund "
          "essen bremen dresden hannover nürnberg nuernberg duisburg bochum wuppertal bielefeld bonn münster mannheim karlsruhe "
          "augsburg wiesbaden freiburg mainz kiel lübeck rostock potsdam heidelberg regensburg",
    "AT": "wien vienna graz linz salzburg innsbruck klagenfurt villach wels",
    "CH": "zürich zurich genève geneva genf basel bern lausanne luzern lugano winterthur st. gallen",
    "BE": "brussel bruxelles brussels antwerpen anvers antwerp gent gand ghent brugge bruges liège luik charleroi namur leuven",
    "NL": "amsterdam rotterdam den haag 's-gravenhage utrecht eindhoven groningen tilburg almere breda nijmegen haarlem arnhem "
          "maastricht leiden delft zwolle",
    "LU": "luxembourg luxemburg esch-sur-alzette",
    "FR": "paris marseille lyon toulouse nice nantes strasbourg montpellier bordeaux lille rennes reims toulon grenoble dijon "
          "angers nîmes nimes",
    "IT": "roma rome milano milan napoli naples torino turin palermo genova bologna firenze florence bari catania venezia venice "
          "verona padova trieste",
    "ES": "madrid barcelona valencia sevilla seville zaragoza málaga malaga murcia palma bilbao alicante córdoba cordoba "
          "valladolid vigo gijón granada",
    "PT": "lisboa lisbon porto braga coimbra faro funchal",
    "PL": "warszawa warsaw kraków krakow łódź lodz wrocław wroclaw poznań poznan gdańsk gdansk szczecin lublin katowice",
    "CZ": "praha prague brno ostrava plzeň plzen",
    "SE": "stockholm göteborg gothenburg malmö malmo uppsala västerås örebro linköping",
    "DK": "københavn kobenhavn copenhagen aarhus århus odense aalborg",
    "NO": "oslo trondheim stavanger",
    "FI": "helsinki espoo tampere vantaa oulu turku",
    "IE": "dublin cork galway limerick",
}
CITY_COUNTRY = {city: code for code, names in CITIES.items() for city in names.split()}
CITY_COUNTRY.update({"den haag": "NL", "st. gallen": "CH", "frankfurt am main": "DE"})


@dataclass(frozen=True)
class ParsedAddress:
    line: str
    postal_code: str
    city: str
    country: str

    def shown(self) -> str:
        return f"{self.line}, {self.postal_code} {self.city}, {COUNTRIES.get(self.country, self.country)}"

    def to_dict(self) -> dict[str, str]:
        return {"line": self.line, "postal_code": self.postal_code, "city": self.city, "country": self.country}


def _country(part: str) -> str | None:
    p = part.strip().strip(".").lower()
    if len(p) == 2 and p.upper() in COUNTRIES:
        return p.upper()
    return NAMES.get(p)


def postal_countries(postal: str) -> frozenset[str]:
    """The countries whose postal codes look like `postal` (as `_is_postal` found it)."""
    compact = postal.replace(" ", "")
    if len(compact) == 6 and compact[:4].isdigit() and compact[4:].isalpha():
        return frozenset({"NL"})
    if len(compact) == 6 and compact[2] == "-":
        return frozenset({"PL"})
    if len(compact) == 8 and compact[4] == "-":
        return frozenset({"PT"})
    if " " in postal:
        return frozenset({"SE", "CZ"})
    if len(compact) == 4:
        return FOUR_DIGITS | {"NL"}  # a Dutch code without its letters
    return FIVE_DIGITS | {"SE", "CZ"}  # Swedish and Czech codes written without their space


def resolve_country(postal: str, city: str, default_country: str | None) -> str | None:
    """The country of an address that names none: a large city's when its country's codes look like this
    one, else the shopper's when the code fits it, else the only country it fits."""
    fits = postal_countries(postal)
    named = CITY_COUNTRY.get(city.strip().lower())
    if named in fits:
        return named
    if default_country in fits:
        return default_country
    if len(fits) == 1:
        return next(iter(fits))
    return None


def _is_postal(tokens: list[str], i: int, country: str | None) -> int:
    """How many tokens from i form a postal code (0: none)."""
    t = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    if t.isdigit() and len(t) == 4 and nxt.isalpha() and len(nxt) == 2 and nxt.isupper() and country in (None, "NL"):
        return 2  # 1015 CJ (Netherlands)
    if len(t) == 6 and t[:4].isdigit() and t[4:].isalpha() and t[4:].isupper():
        return 1  # 1015CJ
    if len(t) == 6 and t[:2].isdigit() and t[2] == "-" and t[3:].isdigit():
        return 1  # 00-950 (Poland)
    if len(t) == 8 and t[:4].isdigit() and t[4] == "-" and t[5:].isdigit():
        return 1  # 1000-001 (Portugal)
    if t.isdigit() and len(t) == 3 and nxt.isdigit() and len(nxt) == 2:
        return 2  # 114 55 (Sweden, Czechia)
    if t.isdigit() and len(t) in (4, 5):
        if country in FOUR_DIGITS and len(t) != 4 or country in FIVE_DIGITS and len(t) != 5:
            return 0
        return 1
    return 0


# Words a shopper puts before an address ("no wait, make it …", "actually the new address is …"):
# never the start of a street line.
LEAD_IN = frozenset("no nope wait sorry oops actually make it it's its is the my new address should be change "
                    "to please use instead i mean meant correction ok okay yes yeah rather deliver send ship "
                    "there here that this one".split())


def strip_lead_in(text: str) -> str:
    """The text from its first word that is not a conversational lead-in."""
    words = text.split()
    i = 0
    while i < len(words) and words[i].strip(",.:;!-").lower() in LEAD_IN:
        i += 1
    return " ".join(words[i:])


TRAILING = frozenset("instead please pls then thanks thank you rather".split())
NOT_A_STREET = frozenset("number nr no house order item items size quantity".split())


def _house_number(token: str) -> bool:
    """"7", "12a", "12-14": digits first, at most 4 of them (a 5-digit number is a postal code)."""
    digits = len(token) - len(token.lstrip("0123456789"))
    rest = token[digits:]
    return 0 < digits <= 4 and (rest == "" or (len(rest) == 1 and rest.isalpha()) or (rest[:1] == "-" and rest[1:].isdigit()))


def street_line(text: str) -> str | None:
    """A street and house number alone ("no, Hauptstraße 7 instead", "12 High Street"), else None.

    How a shopper corrects only the street of an address that is being confirmed.
    """
    if len(text) > 120 or "," in strip_lead_in(text).rstrip(",.!"):
        return None
    words = [w.strip(".!?") for w in strip_lead_in(text).split()]
    while words and words[-1].lower() in TRAILING:
        words.pop()
    if not 2 <= len(words) <= 6 or not any(c.isalpha() for c in words[0] + words[-1]):
        return None
    if not (_house_number(words[-1]) or _house_number(words[0])) or words[0].lower() in NOT_A_STREET:
        return None
    return " ".join(words)


def parse_address(text: str, default_country: str | None = None) -> ParsedAddress | None:
    """"Meir 1, 2000 Antwerpen, BE" -> Meir 1 / 2000 / Antwerpen / BE; None when it is not an address.

    A lead-in ("no wait, make it Meir 1, …") is dropped first.
    """
    if len(text) > 300:
        return None
    text = strip_lead_in(text)
    parts = [p.strip() for p in text.replace("\n", ",").replace(";", ",").split(",") if p.strip()]
    if not parts or len(parts) > 6:
        return None
    country = None
    if len(parts) > 1 and (c := _country(parts[-1])):
        country, parts = c, parts[:-1]
    toks_flat: list[str] = []
    for p in parts:
        toks_flat.extend(p.split())
        toks_flat.append(",")
    toks_flat = toks_flat[:-1]
    for i in range(len(toks_flat)):
        if toks_flat[i] == ",":
            continue
        n = _is_postal(toks_flat, i, country)
        if not n or i == 0:
            continue
        before = [t for t in toks_flat[:i] if t != ","]
        after: list[str] = []
        for t in toks_flat[i + n:]:
            if t == ",":
                if after:
                    break
                continue
            after.append(t)
        if not after and i >= 2 and toks_flat[i - 1] != ",":
            continue
        line = " ".join(before).strip()
        city = " ".join(after).strip()
        if not city or not line or not any(c.isalpha() for c in line) or not any(c.isalpha() for c in city):
            continue
        if any(c.isdigit() for c in city) or len(city) > 60 or len(line) > 120:
            continue
        postal = " ".join(toks_flat[i:i + n])
        resolved = country or resolve_country(postal, city, default_country)
        if resolved is None:  # "…, 10115 Berlin" would do; a guess could send the parcel abroad
            return None
        return ParsedAddress(line.rstrip(","), postal, city, resolved)
    return None
