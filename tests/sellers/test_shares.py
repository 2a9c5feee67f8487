"""A household's own shares: links with its reference, the visits and sales they bring."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from marketplace.accounts.models import Role
from marketplace.db import db
from marketplace.sellers import shares
from marketplace.sellers.models import ShareSale, ShareVisit
from marketplace.web import referral_in, remember_referral
from tests import factories

SITE = "http://127.0.0.1:5000"


def share_links(html: str) -> dict[str, str]:
    """The no-script share links and the link field, by where they go."""
    found = dict(re.findall(r'href="([^"]+)"[^>]*data-share-to="(\w+)"', html))
    links = {to: href.replace("&amp;", "&") for href, to in found.items()}
    field = re.search(r'value="([^"]+)" data-share-url', html)
    links["copy"] = field.group(1).replace("&amp;", "&") if field else ""
    return links


@pytest.fixture
def household(login_as):
    """A household signed in, with one public product."""
    user = factories.make_user(roles=[Role.SELLER])
    seller = factories.make_seller(user=user, shop_name="Amplang Bu Ani")
    product = factories.make_product(seller=seller, name="Amplang Ikan Tenggiri", price=35_000)
    login_as(user=user)
    return seller, product


def test_the_household_shares_its_product_with_its_own_reference(client, household):
    seller, product = household
    html = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    links = share_links(html)
    code = shares.share_code_of(seller.id)
    own = f"{SITE}/produk/{product.slug}?ref={code}"
    assert links["copy"] == own
    assert urlsplit(links["whatsapp"]).netloc == "wa.me"
    text = parse_qs(urlsplit(links["whatsapp"]).query)["text"][0]
    assert text.startswith("Amplang Ikan Tenggiri · Rp35.000") and text.endswith(own)
    assert parse_qs(urlsplit(links["facebook"]).query)["u"] == [own]
    assert parse_qs(urlsplit(links["telegram"]).query)["url"] == [own]
    assert "terhitung di halaman Toko saya" in html
    # The shop page too, and the code is the same one every time.
    shop = share_links(client.get(f"/toko/{seller.slug}").get_data(as_text=True))
    assert shop["copy"] == f"{SITE}/toko/{seller.slug}?ref={code}"


def test_a_visitor_shares_the_plain_link(client, app):
    product = factories.make_product()
    db.session.commit()
    links = share_links(client.get(f"/produk/{product.slug}").get_data(as_text=True))
    assert links["copy"] == f"{SITE}/produk/{product.slug}"
    assert unquote(links["whatsapp"]).endswith(f"{SITE}/produk/{product.slug}")


def test_arriving_through_a_share_counts_one_visit_per_visitor_and_window(app, clock):
    seller = factories.make_seller()
    product = factories.make_product(seller=seller)
    code = shares.share_code_of(seller.id)
    db.session.commit()
    visitor, other = app.test_client(), app.test_client()

    response = visitor.get(f"/produk/{product.slug}?ref={code}&utm_source=wa")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/produk/{product.slug}?utm_source=wa"
    with visitor.session_transaction() as session:
        assert referral_in(session) == code
    visitor.get(f"/produk/{product.slug}?ref={code}")  # a second tap, a reload
    other.get(f"/toko/{seller.slug}?ref={code}")
    # Link previews fetch the link too: nobody's visit.
    app.test_client().get(
        f"/produk/{product.slug}?ref={code}", headers={"User-Agent": "WhatsApp/2.23.20.0 A"}
    )
    assert shares.share_counts(seller.id, clock.now.date()).visits == 2
    clock.move(minutes=31)
    visitor.get(f"/produk/{product.slug}?ref={code}")
    assert shares.share_counts(seller.id, clock.now.date()).visits == 3
    assert {v.path for v in db.session.query(ShareVisit)} == {
        f"/produk/{product.slug}",
        f"/toko/{seller.slug}",
    }


@pytest.mark.parametrize("code", ["nosuch1", "x" * 300, "<script>", ""])
def test_an_unknown_reference_is_no_visit_and_no_error(client, code):
    product = factories.make_product()
    db.session.commit()
    response = client.get(f"/produk/{product.slug}", query_string={"ref": code})
    assert response.status_code == 302 and response.headers["Location"] == f"/produk/{product.slug}"
    with client.session_transaction() as session:
        assert referral_in(session) is None
    assert db.session.query(ShareVisit).count() == 0


def test_an_order_from_a_shared_link_counts_as_the_households_sale_once_paid(clock):
    seller = factories.make_seller()
    product = factories.make_product(seller=seller, price=40_000)
    elsewhere = factories.make_product(price=30_000)
    code = shares.share_code_of(seller.id)
    today = clock.now.date()

    unpaid = factories.make_order((product, 1), referral=code)
    assert shares.share_counts(seller.id, today).sales == 0  # placed, not paid
    factories.make_paid_order((product, 2), (elsewhere, 1), referral=code)
    factories.make_paid_order((product, 1))  # came some other way
    counts = shares.share_counts(seller.id, today)
    assert (counts.sales, counts.sales_amount) == (1, 80_000)
    assert shares.share_counts(elsewhere.seller_id, today).sales == 0
    assert unpaid.parts[0].seller_id == seller.id

    # Next month starts from zero.
    clock.move(days=32)
    assert shares.share_counts(seller.id, clock.now.date()).sales == 0


def test_checkout_carries_the_reference_from_the_session(client):
    seller = factories.make_seller()
    product = factories.make_product(seller=seller)
    code = shares.share_code_of(seller.id)
    db.session.commit()
    client.get(f"/produk/{product.slug}?ref={code}")
    client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "1"})
    response = client.post("/checkout", data=vars(factories.checkout_details()))
    assert response.status_code == 303
    [sale] = db.session.query(ShareSale).all()
    assert sale.seller_id == seller.id


def test_a_reference_is_kept_for_a_week():
    session: dict = {}
    start = dt.datetime(2026, 12, 6, tzinfo=dt.UTC).timestamp()
    remember_referral(session, "abcdefg", start)
    assert referral_in(session, start + 6 * 24 * 3600) == "abcdefg"
    assert referral_in(session, start + 7 * 24 * 3600 + 1) is None


def test_the_dashboard_shows_this_months_visits_and_sales(client, household, clock):
    seller, product = household
    code = shares.share_code_of(seller.id)
    db.session.commit()
    factories.make_paid_order((product, 1), referral=code)
    shares.record_visit(code, "visitor-1", f"/produk/{product.slug}")
    db.session.commit()
    html = client.get("/penjual").get_data(as_text=True)
    assert "1 kunjungan" in html and "1 penjualan" in html and "Rp35.000" in html
    assert share_links(html)["copy"] == f"{SITE}/toko/{seller.slug}?ref={code}"


def test_the_household_opening_or_buying_through_its_own_link_is_not_counted(
    client, household, clock
):
    seller, product = household
    code = shares.share_code_of(seller.id)
    response = client.get(f"/produk/{product.slug}?ref={code}")
    assert response.status_code == 302
    other = factories.make_product(price=20_000)
    factories.make_paid_order((product, 1), (other, 1), referral=code, user=seller.user)
    counts = shares.share_counts(seller.id, clock.now.date())
    assert (counts.visits, counts.sales) == (0, 0)
