"""The admin's open invoices read as rows: each invoice's moment and day as its object has
them, also after the moment changes (the reading of a moment is kept per value)."""

import datetime as dt

from marketplace.db import db, local_date, today_local
from marketplace.institutions import ageing
from tests import factories


def _row(invoice_id):
    return next(r for r in ageing.outstanding_invoices() if r.invoice_id == invoice_id)


def test_an_invoices_moment_and_day_are_read_as_its_object_has_them():
    _order, _quote, _officer, invoice = factories.make_invoiced_gov_order(boxes=20)
    # 23:30 UTC is the next day in WITA
    invoice.issued_at = dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.UTC)
    db.session.commit()
    row = _row(invoice.id)
    db.session.expire_all()
    assert row.issued_at == invoice.issued_at
    assert row.issued_at.utcoffset() == dt.timedelta(0)
    assert row.issued_on == local_date(invoice.issued_at) == dt.date(2026, 3, 10)
    assert row.age_days == (today_local() - dt.date(2026, 3, 10)).days


def test_a_changed_moment_is_read_again():
    _order, _quote, _officer, invoice = factories.make_invoiced_gov_order(boxes=20)
    invoice.issued_at = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)
    db.session.commit()
    assert _row(invoice.id).issued_on == dt.date(2026, 3, 9)
    invoice.issued_at = dt.datetime(2026, 4, 1, 16, 0, tzinfo=dt.UTC)
    db.session.commit()
    row = _row(invoice.id)
    assert row.issued_at == dt.datetime(2026, 4, 1, 16, 0, tzinfo=dt.UTC)
    assert row.issued_on == dt.date(2026, 4, 2)


def test_each_bucket_sums_every_open_invoice_not_only_the_page(clock, monkeypatch):
    monkeypatch.setattr(ageing, "INVOICES_PER_PAGE", 1)
    start = clock.now
    invoices = []
    for day in (0, 70, 100):
        clock.set(start + dt.timedelta(days=day))
        invoices.append(factories.make_invoiced_gov_order(boxes=5)[3])
    # read on day 100: 100, 30 and 0 days old; the first page shows the oldest alone
    first, second = ageing.invoice_ageing(1), ageing.invoice_ageing(2)
    for found in (first, second):
        assert {b.label: (b.count, b.amount) for b in found} == {
            "0-30": (2, invoices[1].outstanding_amount + invoices[2].outstanding_amount),
            "31-60": (0, 0),
            "61-90": (0, 0),
            "90+": (1, invoices[0].outstanding_amount),
        }
    assert [row.invoice_id for b in first for row in b.rows] == [invoices[0].id]
    assert [row.invoice_id for b in second for row in b.rows] == [invoices[1].id]


def test_no_open_invoice_leaves_every_bucket_empty():
    found = ageing.invoice_ageing()
    assert [(b.count, b.amount, b.rows) for b in found] == [(0, 0, [])] * 4
    assert not found.page
