"""Every signed-in page runs as many SQL statements for a household at scale as for a few rows.

The household, office, admin and buyer of ``tests/household.py`` are built at ``SMALL`` (a
handful of rows), each page is counted, then they are grown to ``GROWN`` (every list longer
than one page: 90 products, 160 order parts with their ledger entries and messages, 60
quotes, 60 open payouts and invoices, 10 cart lines over several households) and counted
again. The bench's ``signed_in`` entry uses the same builder at issue 23's full size
(``FULL``).
"""

from __future__ import annotations

from marketplace.db import db
from tests import household
from tests.household import paths_of, user_of


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


#: the pages whose lists grow past one page at ``GROWN``
PAGINATED = (
    "seller_dashboard",
    "inbox",
    "earning_parts",
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
