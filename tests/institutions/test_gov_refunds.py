"""An admin cannot refund a government order that the office paid with its card: the BAST,
invoice and kwitansi are issued and in the office's SPJ, so the admin page says so (409)
and nothing changes: no refund, no ledger entry, the invoice stays paid."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.db import db
from marketplace.institutions import billing
from marketplace.money.models import LedgerEntry, Refund
from tests import factories


def card_paid_gov_order(client, login_as):
    order, _quote, officer, invoice = factories.make_invoiced_gov_order()
    db.session.commit()
    login_as(user=officer)
    client.post(f"/instansi/pesanan/{order.id}/bayar-kartu")
    response = client.post(f"/pesanan/{order.access_token}/bayar/uji", data={"outcome": "pay"})
    assert response.status_code == 303
    db.session.refresh(invoice)
    assert invoice.status == "paid"
    return order, invoice


def ledger_rows() -> list[tuple]:
    return list(
        db.session.execute(
            select(LedgerEntry.event_key, LedgerEntry.account, LedgerEntry.amount).order_by(
                LedgerEntry.id
            )
        )
    )


@pytest.mark.parametrize("action", ["cancel_part", "refund_order", "partial"])
def test_refunding_a_card_paid_government_order_is_refused_and_changes_nothing(
    client, login_as, payment_gateway, action
):
    order, invoice = card_paid_gov_order(client, login_as)
    before = ledger_rows()
    part = order.parts[0]
    login_as(role=Role.ADMIN)
    # The page says so before anyone tries.
    page = client.get(f"/admin/pesanan/{order.id}").get_data(as_text=True)
    assert 'id="government-refund"' in page and "koreksi dokumen" in page
    response = client.post(
        f"/admin/pesanan/{order.id}",
        data={
            "action": action,
            "part_id": part.id,
            "amount": "10000",
            "refund_key": "form-1",
            "reason": "Salah kirim",
        },
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Pesanan instansi tidak dapat dikembalikan dananya di sini" in page
    assert "koreksi dokumen" in page and "flash-error" in page
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0
    assert ledger_rows() == before
    invoice = billing.invoice_of(order.id)
    assert invoice.status == "paid" and invoice.outstanding_amount == 0
    assert [p.status for p in db.session.get(type(order), order.id).parts] == ["delivered"] * len(
        order.parts
    )
