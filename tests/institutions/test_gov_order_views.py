"""A government order through the pages: the household's phone inbox, the officer's order
page, the SPJ ZIP, and the admin's invoice page; bad input keeps what was typed."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.institutions import orders as gov
from marketplace.institutions import replacements as gov_replacements
from marketplace.institutions.models import Document
from marketplace.money.labels import ledger_account_label
from marketplace.money.models import Account, LedgerEntry
from marketplace.orders.models import PartStatus
from tests import factories


def test_a_household_confirms_makes_packs_and_delivers_from_its_inbox(client, login_as):
    order, quote, officer, _ = factories.make_gov_order()
    part = order.parts[0]
    owner = part.seller.user
    login_as(user=owner)
    inbox = client.get("/penjual/pesanan").get_data(as_text=True)
    assert order.number in inbox
    page = client.get(f"/penjual/pesanan/{part.id}").get_data(as_text=True)
    assert "Konfirmasi paling lambat" in page and "Tolak" in page
    # where the boxes go, without the empty parts of a buyer's address; an officer who
    # gave no phone number gets no WhatsApp link that opens nobody's chat
    assert "<br>\nHotel Luminor, Tanjung Selor, Kalimantan Utara</p>" in page
    assert "wa.me" not in page
    _deliver(client, part)
    db.session.refresh(part)
    assert part.status == PartStatus.DELIVERED
    # The officer sees the household's progress and counts what arrived.
    login_as(user=officer)
    page = client.get(f"/instansi/pesanan/{order.id}").get_data(as_text=True)
    assert (
        part.shop_name in page and "Sudah diantar" in page and "Catat barang yang diterima" in page
    )
    line = part.lines[0]
    response = client.post(
        f"/instansi/pesanan/{order.id}/bagian/{part.id}/terima",
        data={f"received-{line.id}": str(line.quantity - 2), "note": "Dua pecah"},
    )
    assert response.status_code == 303
    page = client.get(f"/instansi/pesanan/{order.id}").get_data(as_text=True)
    assert "kurang 2" in page
    assert "Diterima staf" in page  # the timeline


def _deliver(client, part) -> None:
    """The household (signed in) takes its part from confirmed to delivered."""
    for action in ("confirm", "produced", "packed", "delivered"):
        response = client.post(f"/instansi/penjual/bagian/{part.id}", data={"action": action})
        assert response.status_code == 303, action


def test_a_refused_receipt_count_keeps_what_the_officer_typed(client, login_as):
    order, _quote, officer, _ = factories.make_gov_order()
    part = order.parts[0]
    login_as(user=part.seller.user)
    _deliver(client, part)
    login_as(user=officer)
    line = part.lines[0]
    response = client.post(
        f"/instansi/pesanan/{order.id}/bagian/{part.id}/terima",
        data={f"received-{line.id}": "1,5", "note": "Kardus basah, 1 kurang"},
    )
    page = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500
    assert f"antara 0 dan {line.quantity}" in page
    assert 'value="1,5"' in page and 'value="Kardus basah, 1 kurang"' in page
    assert gov.received_of(order) == {}  # nothing recorded
    # the page shown afresh offers the ordered count again, and an empty note
    page = client.get(f"/instansi/pesanan/{order.id}").get_data(as_text=True)
    assert f'value="{line.quantity}"' in page and "Kardus basah" not in page


def test_confirming_after_the_deadline_shows_why(client, login_as):
    order, *_ = factories.make_gov_order()
    part = order.parts[0]
    gov.gov_part_of(part).confirm_by = today_local() - dt.timedelta(days=1)
    login_as(user=part.seller.user)
    response = client.post(
        f"/instansi/penjual/bagian/{part.id}", data={"action": "confirm"}, follow_redirects=True
    )
    assert "Batas konfirmasi sudah lewat" in response.get_data(as_text=True)
    db.session.refresh(part)
    assert part.status == PartStatus.NEW


def test_a_decline_shows_on_the_officers_page_with_the_proposals(client, login_as):
    products = [factories.make_product(stock=500, price=35000) for _ in range(2)]
    alternative = factories.make_product(stock=500, price=36000)
    order, quote, officer, _ = factories.make_gov_order(products=products)
    part = next(p for p in order.parts if p.seller_id == products[0].seller_id)
    login_as(user=part.seller.user)
    client.post(
        f"/instansi/penjual/bagian/{part.id}", data={"action": "decline", "reason": "Sakit"}
    )
    own = client.get(f"/penjual/pesanan/{part.id}").get_data(as_text=True)
    assert "Anda menolak: Sakit" in own and "Dibatalkan oleh" not in own
    login_as(user=officer)
    page = client.get(f"/instansi/pesanan/{order.id}").get_data(as_text=True)
    assert "Ditolak: Sakit" in page and alternative.name in page
    response = client.post(
        f"/instansi/pesanan/{order.id}/bagian/{part.id}/ganti",
        data={f"choice-{part.lines[0].id}": str(alternative.id)},
    )
    assert response.status_code == 303
    db.session.refresh(order)
    assert alternative.seller_id in [p.seller_id for p in order.parts]


def _packed_order_with_its_note():
    """A government order whose first part is packed, its officer and its delivery note."""
    order, _quote, officer, _ = factories.make_gov_order()
    part = order.parts[0]
    gov.confirm_part(part.id, part.seller_id, part.seller.user)
    for step in ("produced", "packed"):
        gov.mark_progress(part.id, part.seller_id, part.seller.user, step)
    note = db.session.scalar(select(Document).where(Document.order_id == order.id))
    return order, officer, note


def test_another_institutions_officer_finds_neither_order_nor_documents(client, login_as):
    order, officer, note = _packed_order_with_its_note()
    stranger = factories.make_officer()
    login_as(user=stranger)
    assert client.get(f"/instansi/pesanan/{order.id}").status_code == 404
    assert client.get(f"/instansi/pesanan/{order.id}/spj.zip").status_code == 404
    assert client.get(f"/instansi/dokumen/{note.id}").status_code == 404
    login_as(user=officer)
    response = client.get(f"/instansi/dokumen/{note.id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_a_document_the_officer_already_has_is_not_sent_again(client, login_as):
    _order, officer, note = _packed_order_with_its_note()
    login_as(user=officer)
    first = client.get(f"/instansi/dokumen/{note.id}")
    assert first.status_code == 200 and first.headers["ETag"]

    again = client.get(
        f"/instansi/dokumen/{note.id}", headers={"If-None-Match": first.headers["ETag"]}
    )

    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    changed = client.get(f"/instansi/dokumen/{note.id}", headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200 and changed.data == first.data


def test_the_officer_downloads_the_spj_zip(client, login_as):
    order, quote, officer, _ = factories.make_gov_order()
    factories.deliver_gov_order(order, officer=officer)
    login_as(user=officer)
    assert client.post(f"/instansi/pesanan/{order.id}/bast").status_code == 303
    response = client.get(f"/instansi/pesanan/{order.id}/spj.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert any(n.startswith("BAST-") for n in names) and any(n.startswith("KW-") for n in names)


def test_an_admin_records_the_sp2d_and_is_refused_above_outstanding(client, login_as):
    order, quote, officer, invoice = factories.make_invoiced_gov_order()
    login_as(Role.ADMIN)
    listing = client.get("/instansi/admin/tagihan").get_data(as_text=True)
    assert invoice.document.number in listing and "0 hari" in listing
    too_much = f"{invoice.payable_amount + 1:,}".replace(",", ".")
    response = client.post(
        f"/instansi/admin/tagihan/{invoice.id}",
        data={
            "amount": too_much,
            "reference": "SP2D-777/2026",
            "paid_on": today_local().isoformat(),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "melebihi sisa tagihan" in page
    assert "SP2D-777/2026" in page  # what was typed stays
    db.session.refresh(invoice)
    assert invoice.paid_amount == 0
    response = client.post(
        f"/instansi/admin/tagihan/{invoice.id}",
        data={
            "amount": "1.000.000",
            "reference": "SP2D-777/2026",
            "paid_on": today_local().isoformat(),
        },
    )
    assert response.status_code == 303
    db.session.refresh(invoice)
    assert invoice.paid_amount == 1_000_000


def test_the_platforms_ledger_of_an_order_is_the_admins_not_the_offices(client, login_as):
    """The office sees what it owes, paid and signed; how the platform splits the money
    (each household's share, its commission, the event keys) is the operator's."""
    order, _quote, officer, invoice = factories.make_invoiced_gov_order()
    keys = set(
        db.session.scalars(
            select(LedgerEntry.event_key).where(
                LedgerEntry.order_part_id.in_([p.id for p in order.parts])
            )
        )
    )
    assert keys  # the BAST booked the order
    commission = ledger_account_label(Account.PLATFORM_COMMISSION.value)
    login_as(user=officer)
    page = client.get(f"/instansi/pesanan/{order.id}").get_data(as_text=True)
    assert invoice.document.number in page
    assert "Buku besar" not in page and commission not in page
    assert not any(key in page for key in keys)
    login_as(Role.ADMIN)
    page = client.get(f"/instansi/admin/tagihan/{invoice.id}").get_data(as_text=True)
    assert "Buku besar pesanan ini" in page and commission in page
    assert all(key in page for key in keys)


def test_the_office_pays_the_invoice_with_its_government_card(client, login_as):
    order, quote, officer, invoice = factories.make_invoiced_gov_order()
    login_as(user=officer)
    page = client.post(f"/instansi/pesanan/{order.id}/bayar-kartu")
    assert page.status_code == 200 and "Bayar (uji)" in page.get_data(as_text=True)
    # A reload opens no second payment.
    client.post(f"/instansi/pesanan/{order.id}/bayar-kartu")
    from marketplace.money.models import Payment

    payments = list(db.session.scalars(select(Payment).where(Payment.order_id == order.id)))
    assert len(payments) == 1 and payments[0].amount == invoice.payable_amount
    response = client.post(f"/pesanan/{order.access_token}/bayar/uji", data={"outcome": "pay"})
    assert response.status_code == 303
    db.session.refresh(invoice)
    db.session.refresh(order)
    assert invoice.status == "paid" and invoice.payments[0].method == "card"
    assert invoice.payments[0].reference == payments[0].intent_id
    assert order.status == "paid"
    # Nothing more to pay: no card payment can start.
    response = client.post(f"/instansi/pesanan/{order.id}/bayar-kartu", follow_redirects=True)
    assert "Belum ada tagihan terbuka" in response.get_data(as_text=True)


def test_the_officer_sees_proposals_for_a_household_silent_past_its_deadline(client, login_as):
    products = [factories.make_product(stock=500, price=35000) for _ in range(2)]
    alternative = factories.make_product(stock=500, price=36000)
    order, _quote, officer, _ = factories.make_gov_order(products=products)
    part = next(p for p in order.parts if p.seller_id == products[0].seller_id)
    gov.gov_part_of(part).confirm_by = today_local() - dt.timedelta(days=1)
    login_as(user=officer)
    page = client.get(f"/instansi/pesanan/{order.id}").get_data(as_text=True)
    assert "Batas sudah lewat." in page and alternative.name in page


def test_a_part_that_lapsed_stays_in_the_households_inbox_with_the_reason(client, login_as):
    products = [factories.make_product(stock=500, price=35000) for _ in range(2)]
    order, _quote, _officer, _ = factories.make_gov_order(products=products)
    part = next(p for p in order.parts if p.seller_id == products[0].seller_id)
    gov.gov_part_of(part).confirm_by = today_local() - dt.timedelta(days=1)
    db.session.commit()
    assert gov_replacements.lapse_unconfirmed() == 1
    db.session.commit()
    login_as(user=products[0].seller.user)
    inbox = client.get("/penjual/pesanan").get_data(as_text=True)
    assert f"/penjual/pesanan/{part.id}" in inbox
    page = client.get(f"/penjual/pesanan/{part.id}").get_data(as_text=True)
    assert "Dibatalkan otomatis" in page and gov_replacements.LAPSE_REASON in page
    assert "Anda menolak" not in page and "Konfirmasi, saya sanggup" not in page
