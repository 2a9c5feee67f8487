"""Gift boxes by option (rasa, ukuran): the builder offers each active option of a product
as its own choice at its own price; the one capacity count, the holds, the order lines and
the government documents all name the option."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from marketplace.catalog.models import Product
from marketplace.catalog.options import ProductVariant
from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.institutions import billing, boxes, quote_page, quotes
from marketplace.institutions.boxes import BoxLine, BoxOrder
from marketplace.institutions.members import InstitutionError
from marketplace.institutions.models import Quote, QuoteLine
from marketplace.institutions.orders import order_of_quote
from marketplace.inventory.models import CapacityHold
from marketplace.inventory.stock import set_option_stock
from marketplace.orders.models import OrderLine
from tests import factories
from tests.institutions.test_letters import issued, pdf_text
from tests.institutions.test_views import builder_data


@pytest.fixture
def amplang():
    seller = factories.make_seller(shop_name="Amplang Bu Siti")
    product = factories.make_product(
        seller=seller, name="Amplang Ikan Pipih", price=40000, category_slug="camilan"
    )
    original, pedas, jumbo = factories.make_options(
        product,
        ("Original / 250 g", 35000, 50),
        ("Pedas / 250 g", 37000, 3),
        ("Jumbo 500 g", 65000, 20),
    )
    jumbo.is_active = False  # as the options form does: the product's stock is the rest's
    set_option_stock(product, {})
    db.session.flush()
    assert product.stock == 53
    return product, original, pedas, jumbo


@pytest.fixture
def office():
    institution = factories.make_institution()
    officer = factories.make_officer(institution)
    head = factories.make_officer(institution, can_approve=True)
    return institution, officer, head


def _fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def _choices(html: str) -> dict[str, str]:
    first_line = html.split('name="lines-0-product_id"', 1)[1].split("</select>", 1)[0]
    return dict(re.findall(r'<option (?:selected )?value="([^"]*)">([^<]*)</option>', first_line))


def _order(lines: list[tuple[ProductVariant, int]], boxes: int) -> BoxOrder:
    return BoxOrder(
        event_name="Kunjungan Kerja Delegasi",
        budget_code="5.1.02.01.01.0026",
        box_count=boxes,
        delivery_date=today_local() + dt.timedelta(days=30),
        delivery_place="Hotel Luminor, Tanjung Selor",
        lines=[BoxLine(v.product_id, n, v.id) for v, n in lines],
    )


def test_the_builder_offers_each_active_option_at_its_own_price(client, login_as, office, amplang):
    product, original, pedas, jumbo = amplang
    plain = factories.make_product(name="Tikar Rotan", stock=10)
    db.session.commit()
    login_as(user=office[1])

    html = client.get("/instansi/bingkisan/baru").get_data(as_text=True)
    choices = _choices(html)

    # each household's choices under its name
    assert choices[f"{product.id}-{pedas.id}"] == "Amplang Ikan Pipih — Pedas / 250 g · Rp37.000"
    group = html.split('<optgroup label="Amplang Bu Siti">', 1)[1].split("</optgroup>", 1)[0]
    assert f'value="{product.id}-{pedas.id}"' in group and f'value="{plain.id}"' not in group
    assert choices[f"{product.id}-{original.id}"].endswith("· Rp35.000")
    # The product itself and its deactivated option are no choice; a plain product still is.
    assert str(product.id) not in choices and f"{product.id}-{jumbo.id}" not in choices
    assert str(plain.id) in choices


def test_an_option_chosen_in_the_builder_is_quoted_at_its_price(client, login_as, office, amplang):
    product, original, pedas, _jumbo = amplang
    db.session.commit()
    login_as(user=office[1])
    data = builder_data([], box_count="10")
    data["lines-0-product_id"] = f"{product.id}-{original.id}"
    data["lines-0-quantity_per_box"] = "2"

    response = client.post("/instansi/bingkisan/baru", data=data)

    assert response.status_code == 302
    quote = db.session.scalars(select(Quote).order_by(Quote.id.desc())).first()
    [line] = quote.lines
    assert (line.product_id, line.variant_id, line.variant_label) == (
        product.id,
        original.id,
        "Original / 250 g",
    )
    assert (line.unit_price_amount, line.quantity) == (35000, 20)
    page = client.get(f"/instansi/penawaran/{quote.id}").get_data(as_text=True)
    assert "Amplang Ikan Pipih (Original / 250 g)" in page


def test_a_product_sold_by_option_must_be_chosen_by_option(client, login_as, office, amplang):
    product, *_ = amplang
    db.session.commit()
    login_as(user=office[1])
    data = builder_data([product])

    response = client.post("/instansi/bingkisan/baru", data=data)

    assert response.status_code == 400
    assert "Pilih rasa atau ukuran Amplang Ikan Pipih dari daftar." in response.get_data(
        as_text=True
    )


def test_a_short_option_is_named_though_the_product_has_enough(client, login_as, office, amplang):
    """Pedas has 3, the product 53: 4 boxes of Pedas do not fit, by the option's own stock."""
    product, _original, pedas, _jumbo = amplang
    db.session.commit()
    login_as(user=office[1])
    data = builder_data([], box_count="4", periksa="1")
    data["lines-0-product_id"] = f"{product.id}-{pedas.id}"
    data["lines-0-quantity_per_box"] = "1"

    html = client.post("/instansi/bingkisan/baru", data=data).get_data(as_text=True)

    assert "✗ Tidak cukup: tersedia 3 dari 4." in html
    top = html.split('class="shortfalls"', 1)[1].split("</section>", 1)[0]
    assert "Amplang Ikan Pipih — Pedas / 250 g" in top
    assert _choices(html)[f"{product.id}-{pedas.id}"].endswith("· bisa 3")

    # Submitting such a quote is refused, naming the option.
    quote = quotes.create_quote(office[1], _order([(pedas, 1)], boxes=4))
    with pytest.raises(InstitutionError) as refused:
        quotes.submit_quote(quote.id, office[1])
    assert "Amplang Ikan Pipih (Pedas / 250 g) tidak bisa disiapkan tepat waktu" in str(
        refused.value
    )


def test_a_submitted_quote_holds_the_option_and_no_other(office, amplang):
    product, original, pedas, _jumbo = amplang
    quote = quotes.create_quote(office[1], _order([(original, 4)], boxes=10))

    quotes.submit_quote(quote.id, office[1])

    [hold] = db.session.scalars(select(CapacityHold).where(CapacityHold.quote_id == quote.id))
    assert (hold.product_id, hold.variant_id, hold.quantity) == (product.id, original.id, 40)
    assert _fresh(ProductVariant, original.id).stock_for_sale == 10
    assert _fresh(ProductVariant, pedas.id).stock_for_sale == 3
    # A colleague's box finds only what is left of that option.
    other = quotes.create_quote(factories.make_officer(office[0]), _order([(original, 2)], 10))
    with pytest.raises(InstitutionError, match=r"tersedia 10 dari 20"):
        quotes.submit_quote(other.id, other.created_by)


def test_an_approved_quote_orders_the_option_and_every_document_names_it(office, amplang):
    product, original, pedas, _jumbo = amplang
    _institution, officer, head = office
    quote = quotes.create_quote(officer, _order([(original, 2), (pedas, 1)], boxes=3))
    quotes.submit_quote(quote.id, officer)

    quotes.approve_quote(quote.id, head)

    order = order_of_quote(quote.id)
    lines = db.session.scalars(
        select(OrderLine).where(OrderLine.variant_id.is_not(None)).order_by(OrderLine.id)
    ).all()
    assert [
        (ln.variant_id, ln.variant_label, ln.quantity, ln.unit_price_amount) for ln in lines
    ] == [
        (original.id, "Original / 250 g", 6, 35000),
        (pedas.id, "Pedas / 250 g", 3, 37000),
    ]
    # The options' stock was taken, and the product's stays their sum.
    assert _fresh(ProductVariant, original.id).stock == 44
    assert _fresh(ProductVariant, pedas.id).stock == 0
    assert _fresh(Product, product.id).stock == 44 + 0

    factories.deliver_gov_order(order, officer=officer)
    billing.issue_handover(order.id, officer)
    documents = issued(order, quote)
    for kind in ("quotation", "order_letter", "delivery_note", "handover", "invoice"):
        text = pdf_text(documents[kind].content)
        assert "Amplang Ikan Pipih (Original / 250 g)" in text, kind
        assert "Amplang Ikan Pipih (Pedas / 250 g)" in text, kind


def test_a_saved_box_template_keeps_the_option(client, login_as, office, amplang):
    product, original, _pedas, _jumbo = amplang
    quote = quotes.create_quote(office[1], _order([(original, 1)], boxes=2))
    template = quotes.save_template(quote.id, office[1], "Bingkisan tamu")
    db.session.commit()
    login_as(user=office[1])

    html = client.get(f"/instansi/bingkisan/baru?templat={template.id}").get_data(as_text=True)

    first_line = html.split('name="lines-0-product_id"', 1)[1].split("</select>", 1)[0]
    assert f'<option selected value="{product.id}-{original.id}">' in first_line
    dashboard = client.get("/instansi/").get_data(as_text=True)
    assert "1 × Amplang Ikan Pipih (Original / 250 g)" in dashboard


def test_options_of_a_made_to_order_product_share_its_daily_capacity(office):
    """Made to order, the options have no stock of their own: two options asked together
    count against the product's one daily capacity, and the order keeps each option."""
    from marketplace.institutions.boxes import fit_of

    _institution, officer, head = office
    product = factories.make_product(name="Kue Lapis Legit", stock=0, price=30000)
    product.is_made_to_order = True
    product.daily_capacity, product.lead_time_days = 2, 1
    db.session.flush()
    pandan, coklat = factories.make_options(product, ("Pandan", 30000, 0), ("Coklat", 32000, 0))
    order = _order([(pandan, 1)], boxes=1)
    can_make = fit_of(product, 0, order.delivery_date, variant=pandan).available
    boxes = can_make // 2 + 1

    both = quotes.create_quote(officer, _order([(pandan, 1), (coklat, 1)], boxes=boxes))
    with pytest.raises(InstitutionError, match=rf"tersedia {can_make} dari {2 * boxes}"):
        quotes.submit_quote(both.id, officer)

    one = quotes.create_quote(officer, _order([(coklat, 1)], boxes=boxes))
    quotes.submit_quote(one.id, officer)
    quotes.approve_quote(one.id, head)
    [line] = db.session.scalars(select(OrderLine).where(OrderLine.variant_id == coklat.id))
    assert (line.variant_label, line.quantity, line.unit_price_amount) == ("Coklat", boxes, 32000)
    [hold] = db.session.scalars(
        select(CapacityHold).where(
            CapacityHold.quote_id == one.id, CapacityHold.released_at.is_(None)
        )
    )
    assert (hold.variant_id, hold.quantity) == (coklat.id, boxes)


def test_a_hold_from_before_the_options_still_counts_against_them(office, amplang):
    """A quote held 45 of the product before the household split it into options: the
    options' 53 leave 8 to promise, whichever option is asked."""
    from marketplace.inventory.stock import place_hold

    product, original, _pedas, _jumbo = amplang
    earlier = factories.make_quote(factories.make_officer(office[0]), [factories.make_product()])
    place_hold(
        product.id,
        earlier.id,
        45,
        today_local() + dt.timedelta(days=40),
        dt.datetime.now(dt.UTC) + dt.timedelta(days=3),
    )
    quote = quotes.create_quote(office[1], _order([(original, 1)], boxes=10))
    with pytest.raises(InstitutionError, match=r"tersedia 8 dari 10"):
        quotes.submit_quote(quote.id, office[1])


def test_the_quote_page_reads_and_checks_its_lines_as_the_quote_does(
    client, login_as, office, amplang
):
    """The page reads its lines as rows (``page_lines_of``): the same names, quantities,
    amounts, fits and alternatives as the quote's own lines, an option's and a plain one's."""
    product, _original, pedas, _jumbo = amplang
    short = factories.make_product(name="Keripik Pisang", stock=5, category_slug="camilan")
    enough = factories.make_product(name="Keripik Talas", stock=500, category_slug="camilan")
    quote = quotes.create_quote(office[1], _order([(pedas, 1)], boxes=4))
    quote.lines.append(
        QuoteLine(
            product_id=short.id,
            seller_id=short.seller_id,
            product_name=short.name,
            shop_name=short.seller.shop_name,
            quantity_per_box=2,
            unit_price_amount=short.price_now,
        )
    )
    db.session.commit()

    lines = quote_page.page_lines_of(quote)
    own = boxes.check_quote_capacity(quote)
    shown = boxes.check_quote_capacity(quote, lines)

    def seen(line):
        return line.full_name, line.quantity, line.line_amount

    assert [seen(line) for line in lines] == [seen(line) for line in quote.lines]
    assert [(c.fit, c.alternatives) for c in shown] == [(c.fit, c.alternatives) for c in own]
    assert [c.fit.fits for c in shown] == [False, False]
    assert enough in shown[1].alternatives
    login_as(user=office[1])
    html = client.get(f"/instansi/penawaran/{quote.id}").get_data(as_text=True)
    assert "Amplang Ikan Pipih (Pedas / 250 g)" in html
    assert "tidak cukup: tersedia 3 dari 4" in html
    assert "tidak cukup: tersedia 5 dari 8" in html
    assert "Keripik Talas (" in html
