"""French formatting on the pages: « 1er décembre », decimal commas."""

from __future__ import annotations

import datetime as dt
import re

from tests.conftest import parse_html
from web.templating import french_date, french_number


def test_the_first_of_the_month_is_written_1er():
    assert french_date(dt.date(2026, 12, 1)) == "1er décembre 2026"
    assert french_date("2026-11-22") == "22 novembre 2026"
    assert french_date(None) == "date inconnue"


def test_numbers_take_a_decimal_comma():
    assert (french_number(40.1), french_number(40.0), french_number(3), french_number(None)) == ("40,1", "40", "3", "")


def test_search_cards_show_distances_with_a_decimal_comma(shared_client):
    page = parse_html(shared_client.get("/annuaire", query_string={"q": "cmp", "commune": "72264"}))
    distances = [m.group(0) for card in page.select(".results li, .results article")
                 for m in re.finditer(r"\d+(?:[.,]\d+)? km", card.get_text())]
    assert distances, "no distance shown: the test would prove nothing"
    assert not [d for d in distances if "." in d]
    assert any("," in d for d in distances)
