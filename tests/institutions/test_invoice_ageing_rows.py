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
