"""Every signed-in page runs as many SQL statements for a household at scale as for a few rows.

The household, office, admin and buyer of ``tests/household.py`` are built at ``SMALL`` (a
handful of rows), each page is counted, then they are grown to ``GROWN`` (every list longer
than one page: 90 products, 160 order parts and their ledger entries, 60 quotes, 60 open
payouts and invoices, 10 cart lines over several households) and counted again. The bench's
``signed_in`` entry uses the same builder at issue 23's full size (``FULL``).
"""

from __future__ import annotations

from sqlalchemy import select

from marketplace.catalog.services import today_local
from marketplace.db import db
from tests import household

#: page → (role, path); ``{…}`` is filled from the people built.
PAGES = {
    "seller_dashboard": ("seller", "/penjual"),
    "product_form": ("seller", "/penjual/produk/{product}"),
    "inbox": ("seller", "/penjual/pesanan"),
    "part": ("seller", "/penjual/pesanan/{part}"),
    "earnings": ("seller", "/penjual/pendapatan"),
    "statement": ("seller", "/penjual/pendapatan/laporan/{month}.csv"),
    "reviews": ("seller", "/penjual/ulasan"),
    "cart": ("buyer", "/keranjang"),
    "checkout": ("buyer", "/checkout"),
    "officer_dashboard": ("officer", "/instansi/"),
    "builder": ("officer", "/instansi/bingkisan/baru"),
    "quote": ("officer", "/instansi/penawaran/{quote}"),
    "pkk_queue": ("reviewer", "/pkk/tinjauan"),
    "admin_orders": ("admin", "/admin/pesanan"),
    "admin_payouts": ("admin", "/admin/pencairan"),
    "admin_invoices": ("admin", "/instansi/admin/tagihan"),
}


def paths_of(people: household.People) -> dict[str, tuple[str, str]]:
    """Each page's role and path for these people."""
    from marketplace.catalog.models import Product
    from marketplace.orders.models import OrderPart

    seller_id = people.seller.id
    values = {
        "product": db.session.scalar(
            select(Product.id).where(Product.seller_id == seller_id).order_by(Product.id)
        ),
        "part": db.session.scalar(
            select(OrderPart.id).where(OrderPart.seller_id == seller_id).order_by(OrderPart.id)
        ),
        "quote": people.quote_id,
        "month": today_local().strftime("%Y-%m"),
    }
    return {page: (role, path.format(**values)) for page, (role, path) in PAGES.items()}


def user_of(people: household.People, role: str):
    return {
        "seller": people.seller.user,
        "buyer": people.buyer,
        "officer": people.officer,
        "reviewer": people.reviewer,
        "admin": people.admin,
    }[role]


def count_pages(client, login_as, count_queries, people) -> dict[str, int]:
    """Each page's statements, signed in as its role (asked once before, to warm up)."""
    counts = {}
    for page, (role, path) in paths_of(people).items():
        login_as(role, user=user_of(people, role))
        assert client.get(path).status_code == 200, path
        with count_queries() as statements:
            assert client.get(path).status_code == 200, path
        counts[page] = len(statements)
    return counts


def test_every_signed_in_page_runs_as_many_statements_at_a_households_scale(
    client, login_as, count_queries
):
    people = household.build(household.SMALL)
    db.session.commit()
    few = count_pages(client, login_as, count_queries, people)
    household.grow(people, household.GROWN)
    db.session.commit()
    many = count_pages(client, login_as, count_queries, people)
    assert many == few


#: the pages whose lists grow, and a line of the first item each shows
PAGINATED = (
    "seller_dashboard",
    "inbox",
    "earnings",
    "reviews",
    "officer_dashboard",
    "pkk_queue",
    "admin_orders",
    "admin_payouts",
    "admin_invoices",
)


def test_lists_that_grow_are_shown_a_page_at_a_time(client, login_as):
    people = household.build(household.GROWN)
    db.session.commit()
    paths = paths_of(people)
    for page in PAGINATED:
        role, path = paths[page]
        login_as(role, user=user_of(people, role))
        first = client.get(path).get_data(as_text=True)
        assert 'rel="next"' in first and "Berikutnya" in first, page
        second = client.get(f"{path}?page=2")
        assert second.status_code == 200, page
        html = second.get_data(as_text=True)
        assert 'rel="prev"' in html and "Sebelumnya" in html, page
        assert html != first
        for bad in ("x", "0", "-1", "²", "99999999999", "9999"):
            assert client.get(f"{path}?page={bad}").status_code == 404, (page, bad)
