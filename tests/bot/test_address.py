"""Addresses from one chat message: the country when the shopper names none."""

from __future__ import annotations

import pytest

from bot.address import parse_address, postal_countries, resolve_country


@pytest.mark.parametrize(("text", "default", "country"), [
    ("Hauptstrasse 5, 10115 Berlin", "NL", "DE"),        # a Dutch account, a German address: the city decides
    ("Hauptstrasse 5, 10115 Berlin", "DE", "DE"),
    ("Rue de Rivoli 1, 75001 Paris", "NL", "FR"),
    ("Hauptstrasse 5, 10115 Berlin", "ES", "DE"),        # Spanish codes have five digits too: the city decides
    ("Dorpsstraat 3, 1861 Bergen", "NL", "NL"),          # the Dutch Bergen, not the Norwegian one
    ("Bahnhofstraße 1, 53545 Linz", "DE", "DE"),          # Linz am Rhein: an Austrian Linz would have four digits
    ("Stephansplatz 1, 1010 Wien", "DE", "AT"),          # four digits cannot be German
    ("Damrak 1, 1012 LG Amsterdam", "BE", "NL"),         # only the Netherlands writes codes like 1012 LG
    ("Nowy Świat 5, 00-950 Smallville", "DE", "PL"),
    ("Meir 1, 2000 Antwerpen", "BE", "BE"),
    ("Rue Neuve 1, 75001 Paris, FR", "BE", "FR"),        # a named country always wins
    ("Dorfstraße 3, 12345 Kleinkleckersdorf", "FR", "FR"),  # a small town: the shopper's country, as before
])
def test_the_country_comes_from_the_text_the_city_or_the_shopper(text, default, country):
    parsed = parse_address(text, default)
    assert parsed is not None and parsed.country == country


def test_an_unknown_town_whose_code_cannot_be_the_shoppers_is_not_guessed():
    """A Dutch shopper, a five-digit code, a town we do not know: asked again, never sent to a guessed country."""
    assert parse_address("Dorfstraße 3, 12345 Kleinkleckersdorf", "NL") is None
    assert resolve_country("12345", "Kleinkleckersdorf", "NL") is None


def test_postal_code_shapes():
    assert postal_countries("1015 CJ") == {"NL"} and postal_countries("00-950") == {"PL"}
    assert postal_countries("1000-001") == {"PT"} and postal_countries("114 55") == {"SE", "CZ"}
    assert "AT" in postal_countries("1010") and "DE" in postal_countries("10115")
