"""The one rule for whole numbers from outside (marketplace/numbers.py)."""

from __future__ import annotations

import pytest

from marketplace.numbers import INT_MAX, NumberError, numbers_by_id, parse_id, parse_whole
from marketplace.rupiah import parse_rupiah, sent_rupiah


@pytest.mark.parametrize(
    ("typed", "value"),
    [("12", 12), (" 7 ", 7), ("007", 7), ("１２", 12), ("0", 0), (str(INT_MAX), INT_MAX)],
)
def test_ascii_and_full_width_digits_are_read(typed, value):
    assert parse_whole(typed) == value


@pytest.mark.parametrize(
    "typed", ["²", "①", "١٢", "۱۲", "१२", "Ⅻ", "-1", "+1", "1e9", "2.5", "NaN", "", " ", "1 2"]
)
def test_every_other_digit_or_sign_is_refused(typed):
    with pytest.raises(NumberError) as refused:
        parse_whole(typed)
    assert refused.value.reason == "format"


@pytest.mark.parametrize("typed", [str(INT_MAX + 1), str(2**63), str(10**20), "9" * 5000])
def test_beyond_the_column_is_too_large(typed):
    with pytest.raises(NumberError) as refused:
        parse_whole(typed)
    assert refused.value.reason == "too_large"
    assert parse_id(typed) is None


@pytest.mark.parametrize("typed", ["0", "00", 0])
def test_no_row_is_numbered_0(typed, client):
    assert parse_id(typed) is None and parse_id("1") == 1
    assert client.get(f"/instansi/penawaran/{typed}/ubah").status_code == 404


def test_grouping_dots_only_where_asked_and_only_in_threes():
    assert parse_whole("1.250.000", maximum=10**9, grouping=True) == 1250000
    for typed in ("1.250.000", "1.25", "12.50", ".500", "1..000"):
        with pytest.raises(NumberError):
            parse_whole(typed, maximum=10**9, grouping=typed != "1.250.000")
    with pytest.raises(ValueError):
        parse_rupiah("²5.000")
    assert parse_rupiah("Rp １５.０００") == 15000


def test_numbered_fields_ignore_names_that_are_no_id():
    form = {"received-12": "3", "received-abc": "1", "received-²": "1", "received-7": "①"}
    assert numbers_by_id(form, "received-") == {12: 3, 7: None}


def test_no_route_takes_werkzeugs_int(app):
    """``<int:>`` reads ``١٢`` as 12 and hands 2**31 to the database: routes take ``<id:>``."""
    assert [rule.rule for rule in app.url_map.iter_rules() if "<int:" in rule.rule] == []


@pytest.mark.parametrize(
    ("sent", "amount"),
    [(150000, 150000), ("150000", 150000), ("150000.00", 150000), (150000.0, 150000), (0, 0)],
)
def test_an_amount_a_provider_sends_is_read_as_whole_rupiah(sent, amount):
    assert sent_rupiah(sent) == amount


@pytest.mark.parametrize(
    "sent",
    ["NaN", "inf", "1e400", "1e3", "150000.5", 150000.5, float("nan"), float("inf"), "-100", -100]
    + ["", " 150000", None, [1], {"a": 1}, True, "１５０", str(10**30), 10**30],
)
def test_anything_else_a_provider_sends_is_no_amount(sent):
    # NaN and infinity were an OverflowError or a ValueError deep in a webhook (a 500), and
    # 10**30 a price no database column holds
    with pytest.raises(ValueError):
        sent_rupiah(sent)
