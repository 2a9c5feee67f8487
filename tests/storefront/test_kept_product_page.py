"""The product page is kept per catalogue version, day and language (storefront.product_page),
yet shows every change at once: a checkout taking the stock, a review written, answered or
hidden, a buyer closing the account, a household closing its shop. What is a visitor's own
(the household's share code, a reviewer's "hide" links) is never shown to anyone else."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from marketplace.accounts.models import Role
from marketplace.accounts.privacy import CLOSED_NAME, close_account
from marketplace.db import db, today_local
from marketplace.inventory import closures
from marketplace.reviews.services import hide_review, reply_to_review
from marketplace.sellers.shares import REFERRAL_PARAM
from tests import factories


@pytest.fixture
def product():
    product = factories.make_product(name="Tikar Pandan Kept", stock=2)
    db.session.commit()
    return product


def page_of(client, product, query: str = "") -> str:
    response = client.get(f"/produk/{product.slug}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def stock_line(html: str) -> str:
    [line] = re.findall(r'<p class="(?:stock|badge)">([^<]+)</p>', html)
    return line


def test_a_checkout_taking_the_last_units_shows_sold_out_at_once(client, product):
    assert stock_line(page_of(client, product)) == "Stok: 2"
    factories.make_order((product, 2))
    db.session.commit()
    html = page_of(client, product)
    assert stock_line(html) == "Stok habis"
    assert 'id="add-to-cart"' not in html


def test_an_option_sold_out_at_checkout_is_marked_at_once(client, product):
    small, _large = factories.make_options(product, ("Kecil", 20000, 1), ("Besar", 30000, 4))
    db.session.commit()
    assert "Stok: 1" in page_of(client, product)
    factories.make_order((small, 1))
    db.session.commit()
    html = page_of(client, product)
    assert "Stok: 1" not in html
    assert re.search(r'<label class="option sold-out">.*?Kecil', html, re.S)


def test_reviews_written_answered_and_hidden_show_at_once(client, product):
    assert "Belum ada ulasan" in page_of(client, product)
    review = factories.make_review(product, rating=4, body="Anyamannya rapi sekali.")
    db.session.commit()
    html = page_of(client, product)
    assert "Anyamannya rapi sekali." in html and "Belum ada ulasan" not in html
    reply_to_review(
        review.id, product.seller_id, text="Terima kasih, Bu!", actor_id=product.seller.user_id
    )
    db.session.commit()
    assert "Terima kasih, Bu!" in page_of(client, product)
    admin = factories.make_user(roles=[Role.REVIEWER])
    hide_review(review.id, reason="uji", actor_id=admin.id)
    db.session.commit()
    html = page_of(client, product)
    assert "Anyamannya rapi sekali." not in html and "Belum ada ulasan" in html


def test_a_buyer_closing_the_account_takes_the_name_and_words_off_at_once(client, product):
    buyer = factories.make_user(name="Sulastri Wulandari")
    factories.make_review(
        product, body="Dikirim cepat, rapi.", user=buyer, name="Sulastri Wulandari"
    )
    db.session.commit()
    html = page_of(client, product)
    assert "<strong>Sulastri</strong>" in html and "Dikirim cepat, rapi." in html
    close_account(buyer, factories.PASSWORD)
    db.session.commit()
    html = page_of(client, product)
    assert "Sulastri" not in html and "Dikirim cepat, rapi." not in html
    assert f"<strong>{CLOSED_NAME}</strong>" in html


def test_a_shop_closed_and_reopened_shows_at_once(client, product):
    today = today_local()
    assert "data-closure" not in page_of(client, product)
    closures.close_shop(
        product.seller_id, today, today + dt.timedelta(days=2), "Ada hajatan.", today
    )
    db.session.commit()
    html = page_of(client, product)
    assert "data-closure" in html and "Ada hajatan." in html
    assert 'id="add-to-cart"' not in html
    closures.reopen_shop(product.seller_id, today)
    db.session.commit()
    html = page_of(client, product)
    assert "data-closure" not in html and 'id="add-to-cart"' in html


def test_the_household_own_share_code_is_its_alone(app, product):
    visitor, household = app.test_client(), app.test_client()
    with household.session_transaction() as session:
        session["_user_id"] = product.seller.user.session_token
        session["_fresh"] = True
    assert f"?{REFERRAL_PARAM}=" not in page_of(visitor, product)
    own = page_of(household, product)
    assert f"?{REFERRAL_PARAM}=" in own and "kode toko Anda" in own
    assert f"?{REFERRAL_PARAM}=" not in page_of(visitor, product)
    assert "kode toko Anda" not in page_of(visitor, product)


def test_only_a_reviewer_sees_the_hide_links(app, client, product):
    factories.make_review(product, body="Bagus.")
    db.session.commit()
    reviewer = app.test_client()
    with reviewer.session_transaction() as session:
        session["_user_id"] = factories.make_user(roles=[Role.REVIEWER]).session_token
        session["_fresh"] = True
    db.session.commit()
    assert "Sembunyikan ulasan ini" not in page_of(client, product)
    assert "Sembunyikan ulasan ini" in page_of(reviewer, product)
    assert "Sembunyikan ulasan ini" not in page_of(client, product)


def test_each_language_is_kept_apart(client, product):
    indonesian = page_of(client, product)
    english = page_of(client, product, "?hl=en")
    assert "Tentang produk" in indonesian and "Tentang produk" not in english
    assert "Add to cart" in english and "Add to cart" not in page_of(client, product)
