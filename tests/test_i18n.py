"""Bahasa Indonesia first, English complete, and the switch remembers."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from marketplace.db import db
from marketplace.rupiah import format_rupiah, parse_rupiah
from tests import factories

ROOT = Path(__file__).resolve().parent.parent


def source_messages() -> set[str]:
    method_map = [("marketplace/**.py", "python"), ("templates/**.html", "jinja2")]
    # N_: marked for the catalogue, translated when shown (Babel's own keyword, which
    # `make extract-messages` keeps)
    keywords = {
        "_": None,
        "gettext": None,
        "_l": None,
        "lazy_gettext": None,
        "ngettext": (1, 2),
        "N_": None,
    }
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_string_has_an_english_translation():
    with open(ROOT / "translations/en/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle, locale="en")
    # A plural entry's id and strings are tuples: its singular names it, every form is needed.
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog
        if m.id and m.string and all(m.string) and not m.fuzzy
    }
    missing = sorted(source_messages() - translated)
    assert missing == [], "run `make extract-messages` and translate: " + "; ".join(missing)


def test_indonesian_is_the_default(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="id">' in html and "Oleh-oleh khas Kalimantan Utara" in html


def test_language_switch_turns_pages_english_and_back(client):
    response = client.post("/bahasa", data={"locale": "en", "next": "/produk?region=tarakan"})
    assert response.status_code == 302 and response.headers["Location"] == "/produk?region=tarakan"
    html = client.get("/produk").get_data(as_text=True)
    assert '<html lang="en">' in html and "All products" in html and "Snacks &amp; crackers" in html
    client.post("/bahasa", data={"locale": "id", "next": "/"})
    assert "Semua produk" in client.get("/produk").get_data(as_text=True)


def test_a_signed_in_choice_follows_the_account(client, login_as, app):
    user = login_as("buyer")
    client.post("/bahasa", data={"locale": "en"})
    db.session.refresh(user)
    assert user.locale == "en"
    other_device = app.test_client()
    with other_device.session_transaction() as session:
        session["_user_id"] = user.session_token
    assert '<html lang="en">' in other_device.get("/").get_data(as_text=True)


@pytest.mark.parametrize("locale", ["de", "", "../../etc"])
def test_unknown_languages_are_refused(client, locale):
    assert client.post("/bahasa", data={"locale": locale}).status_code == 400


def test_switch_never_redirects_off_the_site(client):
    response = client.post("/bahasa", data={"locale": "en", "next": "//evil.example"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (0, "Rp0"),
        (15000, "Rp15.000"),
        (35000, "Rp35.000"),
        (2000000, "Rp2.000.000"),
        (-5000, "-Rp5.000"),
    ],
)
def test_rupiah_formatting(amount, shown):
    assert format_rupiah(amount) == shown


def test_rupiah_is_never_a_float():
    with pytest.raises(TypeError):
        format_rupiah(35000.0)


@pytest.mark.parametrize("typed", ["35000", "35.000", "Rp 35.000", "rp35.000"])
def test_prices_typed_the_indonesian_way(typed):
    assert parse_rupiah(typed) == 35000


def test_english_pages_keep_rupiah_format(client):
    client.post("/bahasa", data={"locale": "en"})
    product = factories.make_product(price=1250000)
    db.session.commit()
    assert "Rp1.250.000" in client.get(f"/produk/{product.slug}").get_data(as_text=True)


def test_the_request_locale_is_read_once_and_follows_a_forced_one(app):
    """``marketplace.locales`` answers what Flask-Babel answers, in a request, in a mail
    written in its reader's language (``force_locale``) and back."""
    import datetime as dt

    from flask_babel import force_locale, get_locale, gettext

    from marketplace.dates import format_day
    from marketplace.locales import current_language, current_locale, current_translations

    day = dt.date(2026, 12, 2)
    with app.test_request_context("/?hl=en"):
        assert current_language() == "en" == str(get_locale())
        assert format_day(day) == "December 2, 2026"
        assert current_translations().ugettext("Keranjang") == "Cart"
        with force_locale("id"):
            assert current_locale() is get_locale()
            assert current_language() == "id"
            assert format_day(day) == "2 Desember 2026"
            assert current_translations().ugettext("Keranjang") == "Keranjang"
            assert gettext("Keranjang") == "Keranjang"
        assert current_language() == "en"
        assert current_translations().ugettext("Keranjang") == "Cart"
    with app.test_request_context("/"):
        assert current_language() == str(get_locale())


def test_templates_gettext_formats_as_jinja_does(app):
    """The templates' ``_()`` writes what Jinja's own newstyle gettext writes: a string
    with no variables is still a format string ("%%" is one "%"), variables are escaped,
    and a plain string comes back as it is, marked safe."""
    from flask import render_template_string

    with app.app_context(), app.test_request_context("/?hl=en"):
        assert render_template_string('{{ _("Keranjang") }}') == "Cart"
        assert render_template_string('{{ _("100%% asli") }}') == "100% asli"
        shown = render_template_string('{{ _("Halo %(name)s", name=who) }}', who="<b>Ani</b>")
        assert shown == "Halo &lt;b&gt;Ani&lt;/b&gt;"


def test_a_month_is_written_in_the_page_s_language_on_its_wita_day(app):
    """``bulan``: the month a moment falls in on Kalimantan Utara's clock, in the page's
    language (23:30 UTC on 31 December is already January in WITA)."""
    import datetime as dt

    from flask import render_template_string

    new_year = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)
    # each in an application context of its own, as each request has (the locale is kept there)
    with app.app_context(), app.test_request_context("/"):
        assert render_template_string("{{ d|bulan }}", d=dt.date(2026, 12, 7)) == "Desember 2026"
        assert render_template_string("{{ d|bulan }}", d=new_year) == "Januari 2027"
    with app.app_context(), app.test_request_context("/?hl=en"):
        assert render_template_string("{{ d|bulan }}", d=dt.date(2026, 12, 7)) == "December 2026"
