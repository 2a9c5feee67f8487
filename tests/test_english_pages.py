"""An English page says nothing in Indonesian but data: every GET page of the access table,
as every role that may see it (and each error page a role meets), what every form of the
table answers sent valid (its flash message) and empty (its errors), and the pages in
states the table's objects never reach.

Each page is read in English (``?hl=en``, and the signed-in account's language set to
English): its visible text, ``<title>`` included, and the attributes people read (``alt``,
``title``, ``aria-label``, ``placeholder``, a button's ``value``, a ``<meta>`` description).
Each text is cut into pieces at the separators the pages write between values (" · ",
", ", ": ", " / ", brackets). A piece is data, and passes, when the database holds it (a
product's name and description, a shop, an address, a note as typed), when it is a region
of the official list, a bank's name or the language switch's "Bahasa Indonesia". Any other
piece is untranslated when

- it is a message of the catalogue whose English differs (wrapped, but translated before
  the request's language was known, or formatted before it was translated);
- it holds a word of Indonesian only: one that the catalogue's Indonesian messages use and
  none of its English translations does (a string never wrapped for translation);
- it is the raw value of a status, kind or reason (``succeeded``, ``seller_pending``): a
  value of one of the models' enumerations that no translation writes, standing alone or
  between the pages' " · ".

The rule reads the catalogue and the database, never a list of pages' words, so a new page
or message is checked as it comes.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import String, Text, select

import marketplace
from marketplace.catalog.places import _names
from marketplace.db import db
from marketplace.locales import STORED, shown, written
from marketplace.money import iris_payouts  # noqa: F401 (registers its reasons)
from marketplace.money.banks import BANKS
from marketplace.orders import notes  # noqa: F401 (registers the history's notes)
from marketplace.sellers import services  # noqa: F401 (registers its notes)
from tests import factories
from tests.security.access_table import ACCESS, ROLES, fill, form_for
from tests.security.test_access import endpoint_of
from tests.security.test_hostile_input import NOT_FORMS, _prepare, _right_role

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "translations/en/LC_MESSAGES/messages.po"

#: attributes a person reads or hears (a submit button's value is its label; a narrow
#: table's cells show their ``data-label``, static/style.css)
READ_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "aria-description", "data-label"}
#: elements whose text is not shown
HIDDEN = {"script", "style", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
#: what the pages write between values: a piece is one value or one sentence's part
SEPARATORS = re.compile(r"\s+[·×]\s+|,\s+|:\s+|\s+/\s+|\s+—\s+|\s+[←→]\s*|[()]|\.\s+")
STRIPPED = " .,;:!?*\"'…·←→/"
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
#: names that are names in both languages
NAMES = {
    "bahasa indonesia",
    *(piece.strip() for bank in BANKS for piece in SEPARATORS.split(bank.name.lower())),
}


class _Reader(HTMLParser):
    """The texts of a page a person reads, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        for name, value in attrs:
            if value and name in READ_ATTRIBUTES:
                self.texts.append(value)
        if tag == "input" and found.get("type") in ("submit", "button") and found.get("value"):
            self.texts.append(found["value"])  # the button's label
        if tag == "meta" and found.get("name") == "description" and found.get("content"):
            self.texts.append(found["content"])
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.open.pop()

    def handle_endtag(self, tag):
        if tag in self.open:
            while self.open.pop() != tag:
                pass

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not HIDDEN.intersection(self.open):
            self.texts.append(text)


def read_texts(html: str) -> list[str]:
    reader = _Reader()
    reader.feed(html)
    return reader.texts


@cache
def catalogue() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(messages whose English differs, words of Indonesian only, every English text)."""
    with open(CATALOGUE, "rb") as handle:
        messages = [m for m in read_po(handle, locale="en") if m.id]
    untranslated, indonesian, english, written = set(), set(), set(), set()
    for message in messages:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in ids:
            indonesian.update(word.lower() for word in WORD.findall(_unformatted(text)))
        for text in strings:
            english.update(word.lower() for word in WORD.findall(_unformatted(text)))
            written.add(text)
        # an Indonesian message, not a term the English keeps ("NPWP" -> "Tax ID (NPWP)")
        if ids[0].lower() not in strings[0].lower() and "%(" not in ids[0]:
            untranslated.add(ids[0].replace("%%", "%"))
    return frozenset(untranslated), frozenset(indonesian - english), frozenset(written)


def _unformatted(text: str) -> str:
    return re.sub(r"%\(\w+\)[sd]|%%", " ", text)


@cache
def raw_values() -> frozenset[str]:
    """Every value of the models' enumerations that could be shown as it is stored."""
    values = {"system", "payment", "buyer", "seller", "admin", "officer"}  # actor kinds
    for module in pkgutil.walk_packages(marketplace.__path__, "marketplace."):
        if not module.name.endswith(".models"):
            continue
        for thing in vars(importlib.import_module(module.name)).values():
            if isinstance(thing, type) and issubclass(thing, enum.Enum):
                values.update(str(member.value) for member in thing)
    return frozenset(v for v in values if re.fullmatch(r"[a-z][a-z_]+", v))


@cache
def places() -> frozenset[str]:
    return frozenset(name.lower() for name in _names().values())


def database_strings() -> tuple[set[str], list[str]]:
    """Every text the database holds and each of its pieces, lower-cased (what was typed
    or loaded is data), and the long ones, of which a page may show the beginning."""
    found, long = set(), []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        if columns:
            for row in db.session.execute(select(*columns)):
                for value in row:
                    if isinstance(value, str) and value:
                        text = " ".join(value.split()).lower()
                        found.add(text)
                        found.update(p.strip(STRIPPED) for p in SEPARATORS.split(text))
                        if len(text) > 80:
                            long.append(text)
    return found, long


def untranslated_in(html: str) -> list[str]:
    """The pieces of an English page that are Indonesian but not data (the rule above)."""
    messages, indonesian, english = catalogue()
    enums = raw_values()
    suspects = []
    for text in read_texts(html):
        if text in english:
            continue
        if text in messages:
            suspects.append((text, text))
            continue
        # a value stands alone or between the pages' "·" (not a word of a sentence)
        values = {value.strip(STRIPPED) for value in re.split(r"\s+·\s+", text)}
        for piece in dict.fromkeys(SEPARATORS.split(text)):
            piece = piece.strip(STRIPPED)
            words = [w for w in WORD.findall(piece) if "@" not in piece and "://" not in piece]
            if not words or piece in english:
                continue
            if (
                piece in messages
                or any(word.lower() in indonesian for word in words)
                or piece in enums
                and piece in values
            ):
                suspects.append((text, piece))
    if not suspects:
        return []
    data = None
    found = []
    for text, piece in suspects:
        lowered = piece.lower()
        if piece not in enums:  # a stored status is data only to the database
            if lowered in NAMES or lowered in places():
                continue
            if data is None:
                data = database_strings()
            held, long = data
            if lowered in held or " " in lowered and any(lowered in t for t in long):
                continue  # data, or the beginning of a long text the page cut short
            if piece not in messages and not _indonesian_besides_data(lowered, held, indonesian):
                continue  # a translated sentence naming data ("Edit address Rumah")
        found.append(f"{piece!r} in {text!r}")
    return found


def _indonesian_besides_data(lowered: str, held: set[str], indonesian: frozenset[str]) -> bool:
    """Whether ``lowered`` still holds an Indonesian word once the data in it is taken out."""
    for value in sorted((v for v in held | places() if len(v) > 2 and v in lowered), key=len)[::-1]:
        lowered = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", lowered)
    return any(word in indonesian for word in WORD.findall(lowered))


def _english_page(client, url: str, user) -> tuple[int, str, str]:
    if user is not None:
        user.locale = "en"
        db.session.commit()
    joiner = "&" if "?" in url else "?"
    with client.get(f"{url}{joiner}hl=en") as response:
        html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        return response.status_code, response.mimetype, html


def _pages():
    """Each GET row of the access table that shows a page, with the roles it shows it to;
    and one page of each error a role meets."""
    rows, errors = [], set()
    for method, path, *statuses in ACCESS:
        if method != "GET":
            continue
        shown = [role for role, status in zip(ROLES, statuses, strict=True) if status == 200]
        if shown:
            rows.append(pytest.param(path, shown, id=path))
        for role, status in zip(ROLES, statuses, strict=True):
            if status in (403, 404, 405) and (role, status) not in errors:
                errors.add((role, status))
                rows.append(pytest.param(path, [role], id=f"{path} {status} as {role}"))
    return rows


@pytest.mark.parametrize(("path", "roles"), _pages())
def test_every_page_is_english_for_every_role(client, login_as, path, roles):
    found = {}
    for role in roles:
        with client.session_transaction() as session:
            session.clear()
        user = _prepare(login_as, role)
        status, mimetype, html = _english_page(client, fill(path, user), user)
        if mimetype == "text/html" and (untranslated := untranslated_in(html)):
            found[f"{role} ({status})"] = untranslated
    assert not found, "\n".join(
        f"{who}: {piece}" for who, pieces in found.items() for piece in pieces
    )


def _forms():
    """Each POST route of the access table, with the role that uses it."""
    rows, seen = [], set()
    for method, path, *statuses in ACCESS:
        role = _right_role(statuses)
        if method == "POST" and role is not None and path not in seen:
            seen.add(path)
            rows.append(pytest.param(path, role, id=path))
    return rows


@pytest.mark.parametrize(("path", "role"), _forms())
def test_every_form_answers_in_english(app, client, login_as, path, role):
    """Sent valid (its flash message on the page it leads to) and empty (its errors): what
    the person reads next is English but the data."""
    user = _prepare(login_as, role)
    client.post("/bahasa", data={"locale": "en"})  # kept in a cookie and on the account
    url = fill(path, user)
    endpoint = endpoint_of(app, "POST", url)
    found = {}
    for sent, data in (("valid", form_for(endpoint)), ("empty", {})):
        if endpoint in NOT_FORMS:
            continue
        with client.post(url, data=data, follow_redirects=True) as response:
            if response.mimetype == "text/html":
                html = response.get_data(as_text=True)
                if untranslated := untranslated_in(html):
                    found[f"{sent} ({response.status_code})"] = untranslated
    assert not found, "\n".join(
        f"{sent}: {piece}" for sent, pieces in found.items() for piece in pieces
    )


def test_an_admin_reads_a_refunded_order_in_english(client, login_as):
    """A part cancelled by a buyer without an account, paid by the gateway: the timeline's
    actors and the refund's reason and status are words, not stored values."""
    from marketplace.money.refunds import cancel_part_by_buyer

    admin = login_as("admin")
    order = factories.make_paid_order((factories.make_product(stock=5), 1))
    cancel_part_by_buyer(order.id, order.parts[0].id, actor_id=None)
    _status, _mimetype, html = _english_page(client, f"/admin/pesanan/{order.id}", admin)
    assert (found := untranslated_in(html)) == [], "\n".join(found)


def test_an_officer_reads_an_invoiced_order_in_english(client, login_as):
    """The order's ledger names its accounts in words."""
    officer = _prepare(login_as, "officer")
    order, _quote, _officer, _invoice = factories.make_invoiced_gov_order(officer=officer)
    _status, _mimetype, html = _english_page(client, f"/instansi/pesanan/{order.id}", officer)
    assert (found := untranslated_in(html)) == [], "\n".join(found)


def test_a_buyer_reads_a_settled_complaint_in_english(client):
    """A note the platform wrote in the history (stored in Indonesian, the admin's reason
    as typed) is shown in the reader's language; the Indonesian page shows it as stored."""
    from marketplace.money.complaints import settle_complaint

    complaint = factories.make_complaint()
    admin = factories.make_user(roles=["admin"])
    reason = "Foto tidak menunjukkan rusak."
    settle_complaint(complaint.id, "released", actor_id=admin.id, reason=reason, refund_key="k")
    db.session.commit()
    token = complaint.part.order.access_token
    _status, _mimetype, english = _english_page(client, f"/pesanan/{token}", None)
    assert f"Report settled, money released to the seller: {reason}" in english
    with client.get(f"/pesanan/{token}?hl=id") as response:
        indonesian = response.get_data(as_text=True)
    assert f"Laporan diselesaikan, dana dilepas ke penjual: {reason}" in indonesian


def test_a_closed_account_is_named_in_the_reader_s_language(client):
    """A closed account's review keeps the name closing gave it (stored in Indonesian)."""
    from marketplace.accounts.privacy import close_account

    product = factories.make_product(stock=5)
    buyer = factories.make_user(name="Sulastri Wulandari")
    factories.make_review(product, body="Dikirim cepat.", user=buyer, name="Sulastri")
    close_account(buyer, factories.PASSWORD)
    db.session.commit()
    _status, _mimetype, english = _english_page(client, f"/produk/{product.slug}", None)
    assert "<strong>Closed account</strong>" in english and untranslated_in(english) == []
    with client.get(f"/produk/{product.slug}?hl=id") as response:
        assert "<strong>Akun ditutup</strong>" in response.get_data(as_text=True)


@pytest.mark.parametrize("message", sorted(STORED))
def test_every_note_the_platform_writes_reads_back_in_each_language(app, message):
    values = {name: f"<{name} 50%>" for name in re.findall(r"%\((\w+)\)s", message)}
    stored = written(message, **values)
    # each in an application context of its own, as each request has (the locale is kept there)
    with app.app_context(), app.test_request_context("/?hl=id"):
        assert shown(stored) == stored
    with app.app_context(), app.test_request_context("/?hl=en"):
        english = shown(stored)
    assert english != stored and all(value in english for value in values.values())
    assert shown("Ke kampung dulu") == "Ke kampung dulu"  # typed: as it is


def _named_values():
    from marketplace.institutions.labels import move_label
    from marketplace.money import labels
    from marketplace.money.models import (
        Account,
        PayoutMethod,
        PayoutStatus,
        RefundReason,
        RefundStatus,
    )
    from marketplace.orders.labels import actor_label, order_status_label
    from marketplace.orders.lifecycle import REFUND_EVENT
    from marketplace.orders.models import OrderStatus, PartStatus

    moves = [*OrderStatus, *PartStatus, REFUND_EVENT]
    return [
        *((order_status_label, str(value)) for value in moves),
        *((move_label, str(value)) for value in moves),
        *((labels.ledger_account_label, value.value) for value in Account),
        *((labels.payout_label, value.value) for value in [*PayoutStatus, *PayoutMethod]),
        *((labels.refund_label, value.value) for value in [*RefundReason, *RefundStatus]),
        *((actor_label, kind) for kind in ("system", "payment", "buyer", "seller")),
    ]


@pytest.mark.parametrize(
    ("label", "value"), _named_values(), ids=lambda v: getattr(v, "__name__", v)
)
def test_every_stored_value_a_page_names_has_words(app, label, value):
    """Each status, account, method and reason a page names is written in words, never as
    it is stored: in Indonesian, and in English as the catalogue translates them."""
    with app.app_context(), app.test_request_context("/?hl=id"):
        assert label(value) != value
    with app.app_context(), app.test_request_context("/?hl=en"):
        assert label(value) in catalogue()[2]


def test_the_rule_finds_what_it_is_for(app):
    """An Indonesian message, a word never wrapped and a raw status are found; a product's
    name, a region and a translated page are not."""
    with app.app_context(), app.test_request_context("/?hl=en"):
        found = untranslated_in(
            "<title>Keranjang Anda kosong.</title><p>Pesanan dikirim hari ini</p>"
            '<td>Rp35.000 · succeeded</td><img alt="Belum ada foto.">'
            "<p>Amplang Ikan Tenggiri · Kalimantan Utara · Cart</p>"
        )
    assert found == [
        "'Keranjang Anda kosong.' in 'Keranjang Anda kosong.'",
        "'Pesanan dikirim hari ini' in 'Pesanan dikirim hari ini'",
        "'succeeded' in 'Rp35.000 · succeeded'",
        "'Belum ada foto.' in 'Belum ada foto.'",
    ]
