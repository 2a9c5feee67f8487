"""Hypothesis types numbers into the forms that write money or stock.

Whatever is typed, the page answers (never a 5xx); a value is kept only when it is
written in ASCII digits (or full-width ones), and then it is exactly that number; a
refused value writes nothing and the form shows what was typed with a message.
"""

from __future__ import annotations

import re
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select

from marketplace.catalog.models import Product
from marketplace.db import db
from marketplace.institutions.models import QuoteLine
from marketplace.money.models import Refund
from tests import factories
from tests.security.test_hostile_input import fingerprint

#: Deterministic, few examples: this runs in every CI build on both databases.
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
#: No NUL: the sweep (test_hostile_input.py) sends it, and it is refused before any form.
TYPED = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.integers(min_value=0, max_value=10**7).map(lambda n: f"{n:,}".replace(",", ".")),
    st.text(st.characters(categories=("Nd", "No", "Nl")), min_size=1, max_size=5),
    st.floats().map(str),
    st.sampled_from(["²", "①", "١٢", "１２", "2.5", "1e9", "NaN", "-0", " 7 ", "9" * 5000]),
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=8),
)


def ascii_number(typed: str, grouping: bool = False) -> int | None:
    """What the typed text means as a whole number, by the rule, or None."""
    text = typed.strip().translate(FULL_WIDTH)
    if grouping and re.fullmatch(r"[0-9]{1,3}(\.[0-9]{3})+", text):
        text = text.replace(".", "")
    if not re.fullmatch(r"[0-9]+", text):
        return None
    return int(text) if len(text) < 40 else 10**40  # beyond every column: refused


def only_ascii_digits(typed: str) -> bool:
    """No digit but 0-9 and their full-width forms (``²``, ``①``, ``١`` are others)."""
    return all(
        ch in "0123456789" or not (ch.isdigit() or unicodedata.numeric(ch, None) is not None)
        for ch in typed.translate(FULL_WIDTH)
    )


def test_listing_stock_and_price(client, login_as):
    seller = factories.make_seller(user=login_as("seller"))
    product = factories.make_product(seller=seller, stock=5, price=20000)
    db.session.commit()

    @EXAMPLES
    @given(stock=TYPED, price=TYPED)
    def typed(stock, price):
        before = fingerprint()
        form = factories.listing_form(stock=stock, price=price)
        response = client.post(f"/penjual/produk/{product.id}", data=form)
        assert response.status_code < 500
        db.session.expire_all()
        saved = db.session.get(Product, product.id)
        if response.status_code == 302:
            assert saved.stock == ascii_number(stock)
            assert only_ascii_digits(price) and str(saved.price_amount).strip("0") in re.sub(
                r"[^0-9]", "", price.translate(FULL_WIDTH)
            )
        else:
            assert response.status_code == 400
            assert fingerprint() == before
            page = response.get_data(as_text=True)
            assert str(escape(stock)) in page and str(escape(price)) in page

    typed()


def test_cart_quantity(client):
    product = factories.make_product(stock=500)
    db.session.commit()

    @EXAMPLES
    @given(quantity=TYPED)
    def typed(quantity):
        with client.session_transaction() as session:
            session.pop("cart", None)
        response = client.post(
            "/keranjang/tambah", data={"product_id": str(product.id), "quantity": quantity}
        )
        assert response.status_code == 302
        with client.session_transaction() as session:
            cart = session.get("cart") or {}
        wanted = ascii_number(quantity)
        if wanted is not None and 1 <= wanted <= 99:
            assert cart[str(product.id)][0] == wanted
        else:
            assert cart == {}

    typed()


def test_gift_box_quantities(client, login_as):
    from tests.security.access_table import _builder_form

    officer = login_as("officer")
    from marketplace.institutions.members import add_member

    add_member(factories.make_institution().id, officer.email, can_approve=False)
    db.session.commit()

    @EXAMPLES
    @given(per_box=TYPED, boxes=TYPED)
    def typed(per_box, boxes):
        form = {**_builder_form(), "lines-0-quantity_per_box": per_box, "box_count": boxes}
        db.session.commit()
        before = fingerprint()
        response = client.post("/instansi/bingkisan/baru", data=form)
        assert response.status_code < 500
        if response.status_code == 302:
            quote_id = int(response.headers["Location"].rsplit("/", 1)[1])
            line = db.session.scalar(select(QuoteLine).where(QuoteLine.quote_id == quote_id))
            assert line.quantity_per_box == (ascii_number(per_box) or 1)
        else:
            assert response.status_code == 400
            assert fingerprint() == before
            page = response.get_data(as_text=True)
            assert 'class="error"' in page  # a message, the form kept
            assert str(escape(per_box)) in page and str(escape(boxes)) in page

    typed()


def test_refund_amounts(client, login_as, payment_gateway):
    from marketplace.money import payments

    login_as("admin")
    order = factories.make_order((factories.make_product(price=100000, stock=5), 1))
    payment = payments.open_payment(order.id, payment_gateway)
    payments.record_intent(
        payment_gateway.complete(
            payment.intent_id, amount=payment.amount, order_id=order.id, succeed=True
        )
    )
    db.session.commit()
    part = order.parts[0]
    share = part.items_amount + part.shipping_amount

    @EXAMPLES
    @given(amount=TYPED)
    def typed(amount):
        before = fingerprint()
        data = {"action": "partial", "amount": amount, "part_id": str(part.id), "reason": "Uji"}
        response = client.post(f"/admin/pesanan/{order.id}", data=data)
        assert response.status_code < 500
        if 400 <= response.status_code < 500:
            assert fingerprint() == before
            assert str(escape(amount)) in response.get_data(as_text=True)
        refunded = db.session.scalars(select(Refund.amount).where(Refund.part_id == part.id)).all()
        assert sum(refunded) <= share  # never more than the part's share, whatever was typed
        if refunded and refunded[-1] != getattr(typed, "last", None):
            assert only_ascii_digits(amount)
        typed.last = refunded[-1] if refunded else None

    typed()
