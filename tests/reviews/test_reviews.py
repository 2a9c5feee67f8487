"""Reviews: verified purchases only, once per order line, one reply, averages everywhere."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.catalog.models import Product, Seller
from marketplace.db import db
from marketplace.reviews.models import Review
from tests import factories
from tests.orders.test_concurrency import committed, run_together  # noqa: F401


@pytest.fixture
def delivered():
    seller = factories.make_seller(shop_name="Amplang Ibu Ani")
    product = factories.make_product(seller=seller, name="Amplang Ikan Belida", stock=10)
    order = factories.make_delivered_order((product, 2))
    db.session.commit()
    return order, order.parts[0].lines[0], product


def review_url(order, line) -> str:
    return f"/pesanan/{order.access_token}/ulasan/{line.id}"


def post_review(client, order, line, rating="5", body="Renyah sekali, anak-anak suka."):
    return client.post(review_url(order, line), data={"rating": rating, "body": body})


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def test_a_buyer_reviews_through_the_private_link_and_the_cached_page_shows_it(client, delivered):
    order, line, product = delivered
    # an anonymous visitor fills the page cache first
    before = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    assert "Renyah sekali" not in before and "Belum ada ulasan" in before

    order_page = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert review_url(order, line) in order_page
    assert post_review(client, order, line, rating="4").status_code == 303

    page = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    assert "Renyah sekali, anak-anak suka." in page and "Pembelian terverifikasi" in page
    assert "★ 4,0" in page and "1 ulasan" in page
    shop = client.get(f"/toko/{product.seller.slug}").get_data(as_text=True)
    assert "★ 4,0" in shop
    assert "Ulasan Anda: 4 dari 5 bintang" in client.get(f"/pesanan/{order.access_token}").get_data(
        as_text=True
    )
    review = db.session.scalar(select(Review).where(Review.order_line_id == line.id))
    assert (review.rating, review.product_id, review.buyer_id) == (4, product.id, None)


def test_averages_on_product_shop_and_cards(client, login_as):
    seller = factories.make_seller()
    product = factories.make_product(seller=seller, name="Kerupuk Kepiting Uji", stock=10)
    factories.make_review(product, rating=4)
    factories.make_review(product, rating=5)
    factories.make_review(factories.make_product(seller=seller, stock=5), rating=3)
    db.session.commit()
    assert (fresh(Product, product.id).rating_sum, product.rating_count) == (9, 2)
    assert (fresh(Seller, seller.id).rating_sum, seller.rating_count) == (12, 3)
    page = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    assert "★ 4,5" in page and "2 ulasan" in page
    assert "★ 4,0" in client.get(f"/toko/{seller.slug}").get_data(as_text=True)
    cards = client.get("/produk?q=Kerupuk+Kepiting+Uji").get_data(as_text=True)
    assert "★ 4,5" in cards


def test_a_signed_in_buyer_reviews_from_their_order(client, login_as):
    buyer = login_as(Role.BUYER)
    product = factories.make_product(stock=5)
    order = factories.make_delivered_order((product, 1), user=buyer)
    db.session.commit()
    line = order.parts[0].lines[0]
    assert post_review(client, order, line).status_code == 303
    assert db.session.scalar(select(Review.buyer_id)) == buyer.id


@pytest.mark.parametrize(
    ("rating", "body", "message"),
    [
        ("0", "Enak", "Pilih 1 sampai 5 bintang"),
        ("6", "Enak", "Pilih 1 sampai 5 bintang"),
        ("abc", "Enak", "Pilih 1 sampai 5 bintang"),
        ("", "Enak", "Pilih 1 sampai 5 bintang"),
        ("5", "   ", "Tulis ulasan Anda"),
        ("5", "x" * 5000, "Paling banyak 2000 karakter"),
    ],
)
def test_bad_input_keeps_the_form(client, delivered, rating, body, message):
    order, line, product = delivered
    response = post_review(client, order, line, rating=rating, body=body)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    if body.strip():
        assert body in page
    assert db.session.scalar(select(Review.id)) is None
    assert fresh(Product, product.id).rating_count == 0


def test_a_second_review_of_the_same_line_is_refused(client, delivered):
    order, line, product = delivered
    assert post_review(client, order, line).status_code == 303
    second = post_review(client, order, line, rating="1", body="Ulasan kedua")
    assert second.status_code == 409 and "sudah mengulas" in second.get_data(as_text=True)
    assert fresh(Product, product.id).rating_count == 1


def test_a_part_not_yet_delivered_cannot_be_reviewed(client):
    order = factories.make_paid_order((factories.make_product(stock=5), 1))
    db.session.commit()
    line = order.parts[0].lines[0]
    page = client.get(review_url(order, line)).get_data(as_text=True)
    assert "setelah pesanannya sampai" in page
    response = post_review(client, order, line, body="Belum sampai tapi ingin mengulas")
    assert response.status_code == 400 and "setelah pesanannya sampai" in response.get_data(
        as_text=True
    )
    assert db.session.scalar(select(Review.id)) is None


def test_another_buyers_line_is_not_found(client, delivered):
    order, _line, _product = delivered
    other = factories.make_delivered_order((factories.make_product(stock=5), 1))
    db.session.commit()
    other_line = other.parts[0].lines[0]
    assert post_review(client, order, other_line).status_code == 404
    assert client.get(review_url(order, other_line)).status_code == 404
    assert db.session.scalar(select(Review.id)) is None


def test_the_household_replies_once(client, login_as, delivered):
    order, line, product = delivered
    post_review(client, order, line)
    review = db.session.scalar(select(Review))
    client.get(f"/produk/{product.slug}")  # cached for anonymous visitors
    owner = product.seller.user
    login_as(user=owner)
    inbox = client.get("/penjual/ulasan").get_data(as_text=True)
    assert "Amplang Ikan Belida" in inbox and "Renyah sekali" in inbox
    url = f"/penjual/ulasan/{review.id}/balas"
    empty = client.post(url, data={"reply": "  "})
    assert empty.status_code == 400 and "Tulis ulasan Anda" in empty.get_data(as_text=True)
    # the refusal stands by the review's own field, which says so to a screen reader
    field = re.search(rf'<textarea id="reply-{review.id}"[^>]*>', empty.get_data(as_text=True))
    assert field and 'aria-invalid="true"' in field.group(0)
    assert "★★★★★" in inbox and 'aria-label="5 dari 5 bintang"' in inbox
    assert client.post(url, data={"reply": "Terima kasih, Bu!"}).status_code == 303
    again = client.post(url, data={"reply": "Balasan kedua"})
    assert again.status_code == 409 and "sudah membalas" in again.get_data(as_text=True)
    assert fresh(Review, review.id).reply == "Terima kasih, Bu!"
    client.post("/keluar")
    with client.session_transaction() as session:
        session.clear()
    page = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    assert "Balasan Amplang Ibu Ani:" in page and "Terima kasih, Bu!" in page


def test_another_household_cannot_reply(client, login_as, delivered):
    order, line, _product = delivered
    post_review(client, order, line)
    review = db.session.scalar(select(Review))
    other = factories.make_seller()
    login_as(user=other.user)
    assert (
        client.post(f"/penjual/ulasan/{review.id}/balas", data={"reply": "Hai"}).status_code == 404
    )


def test_a_reviewer_hides_an_abusive_review(client, login_as):
    product = factories.make_product(stock=10)
    kept = factories.make_review(product, rating=5, body="Mantap")
    abusive = factories.make_review(product, rating=1, body="Kata-kata kasar sekali")
    db.session.commit()
    client.get(f"/produk/{product.slug}")  # cached for anonymous visitors
    reviewer = login_as(Role.REVIEWER)
    assert f"/ulasan/{abusive.id}/sembunyikan" in client.get(f"/produk/{product.slug}").get_data(
        as_text=True
    )
    url = f"/ulasan/{abusive.id}/sembunyikan"
    empty = client.post(url, data={"reason": ""})
    assert empty.status_code == 400 and "Tulis alasan" in empty.get_data(as_text=True)
    assert client.post(url, data={"reason": "Kata-kata kasar"}).status_code == 303
    assert client.post(url, data={"reason": "Lagi"}).status_code == 409
    hidden = fresh(Review, abusive.id)
    assert (hidden.hidden_by_id, hidden.hidden_reason) == (reviewer.id, "Kata-kata kasar")
    assert hidden.hidden_at is not None
    assert (fresh(Product, product.id).rating_sum, product.rating_count) == (5, 1)
    with client.session_transaction() as session:
        session.clear()
    page = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    assert "Kata-kata kasar sekali" not in page and "Mantap" in page and "★ 5,0" in page
    assert kept.hidden_at is None


@pytest.mark.parametrize("role", [Role.BUYER, Role.SELLER, Role.OFFICER])
def test_only_reviewers_and_admins_hide(client, login_as, role):
    review = factories.make_review()
    db.session.commit()
    login_as(role)
    assert client.post(f"/ulasan/{review.id}/sembunyikan", data={"reason": "x"}).status_code == 403


def test_reviews_add_one_query_to_the_product_page_however_many(client, count_queries):
    seller = factories.make_seller()
    product = factories.make_product(seller=seller, stock=20)
    factories.make_review(product, rating=4)
    db.session.commit()
    pages = [f"/produk/{product.slug}", f"/toko/{seller.slug}", "/produk"]
    counted = {}
    for url in pages:
        with count_queries() as before:
            assert client.get(url).status_code == 200
        counted[url] = len(before)
    for rating in (1, 2, 3, 5):
        factories.make_review(product, rating=rating)
    db.session.commit()
    for url in pages:
        with count_queries() as after:
            page = client.get(url).get_data(as_text=True)
        assert len(after) == counted[url], (url, after)
        if url != "/produk":
            assert "★ 3,0" in page


def test_the_same_review_sent_four_times_at_once_counts_once(app, committed):  # noqa: F811
    """Real threads, each with its own session and connection, on a committed order."""
    seller = factories.make_seller()
    committed.append(seller)
    product = factories.make_product(seller=seller, stock=5)
    order = factories.make_delivered_order((product, 1))
    db.session.commit()
    url = review_url(order, order.parts[0].lines[0])
    clients = [app.test_client() for _ in range(4)]

    def send(i):
        return clients[i].post(url, data={"rating": "5", "body": f"Enak {i}"}).status_code

    statuses = sorted(run_together(4, send))
    assert statuses == [303, 409, 409, 409]
    db.session.rollback()  # end this session's snapshot, taken before the race
    assert db.session.scalar(select(func.count()).select_from(Review)) == 1
    assert (fresh(Product, product.id).rating_sum, product.rating_count) == (5, 1)
    assert (fresh(Seller, seller.id).rating_sum, seller.rating_count) == (5, 1)
