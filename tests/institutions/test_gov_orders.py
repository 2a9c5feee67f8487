"""A protocol office's order after approval: households confirm, make, pack and deliver;
the officer counts what arrived; BAST, invoice and kwitansi; the treasury pays."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections import defaultdict

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from marketplace.catalog.services import today_local
from marketplace.dates import format_day
from marketplace.db import db
from marketplace.errors import NotFound
from marketplace.institutions import ageing, billing, quotes
from marketplace.institutions import ledger as gov_ledger
from marketplace.institutions import orders as gov
from marketplace.institutions import replacements as gov_replacements
from marketplace.institutions import timeline as gov_timeline
from marketplace.institutions.models import Document, DocumentKind, InvoiceStatus, QuoteStatus
from marketplace.inventory.models import CapacityHold
from marketplace.jobs import run_pending_jobs
from marketplace.money.models import Account, LedgerEntry
from marketplace.money.services import balances_of
from marketplace.orders import inbox as order_inbox
from marketplace.orders import lifecycle
from marketplace.orders.models import Order, OrderStatus, PartStatus
from tests import factories


def pdf_text(content: bytes) -> str:
    """The PDF's text, with line breaks inside table cells read as spaces."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def two_households(price_a=35000, price_b=150000, stock=500):
    return [
        factories.make_product(stock=stock, price=price_a),
        factories.make_product(stock=stock, price=price_b),
    ]


def events_sum_to_zero() -> None:
    sums = defaultdict(int)
    for entry in db.session.scalars(select(LedgerEntry)):
        sums[entry.event_key] += entry.amount
    assert all(total == 0 for total in sums.values()), sums


# -- approval → order ---------------------------------------------------------------------


def test_approval_makes_one_invoiced_order_with_a_part_per_household():
    products = two_households()
    stock_before = [p.stock for p in products]
    order, quote, officer, head = factories.make_gov_order(products=products, boxes=12)
    assert quote.status == QuoteStatus.ORDERED
    assert order.quote_id == quote.id and order.status == OrderStatus.INVOICED
    assert sorted(p.seller_id for p in order.parts) == sorted(p.seller_id for p in products)
    for part in order.parts:
        assert part.status == PartStatus.NEW
        assert [line.quantity for line in part.lines] == [12]
        assert part.lines[0].unit_price_amount in (35000, 150000)
    assert order.items_amount == quote.goods_amount
    assert order.shipping_amount == quote.shipping_amount
    # Goods from stock left the stock once, and their holds ended: no double counting.
    for product, before in zip(products, stock_before, strict=True):
        db.session.refresh(product)
        assert product.stock == before - 12
    live = db.session.scalar(
        select(func.count())
        .select_from(CapacityHold)
        .where(CapacityHold.quote_id == quote.id, CapacityHold.released_at.is_(None))
    )
    assert live == 0
    # A second click is told so: the same order, stock untouched, no second Surat Pesanan.
    with pytest.raises(quotes.QuoteMoved, match="sudah disetujui"):
        quotes.approve_quote(quote.id, head)
    assert (
        db.session.scalar(select(func.count()).select_from(Order).where(Order.quote_id == quote.id))
        == 1
    )
    db.session.refresh(products[0])
    assert products[0].stock == stock_before[0] - 12
    letters = [d for d in quote.documents if d.kind == DocumentKind.ORDER_LETTER]
    assert len(letters) == 1


def test_made_to_order_goods_stay_held_until_delivery():
    product = factories.make_product(stock=0, price=40000)
    product.is_made_to_order = True
    product.daily_capacity = 20
    db.session.flush()
    order, quote, *_ = factories.make_gov_order(products=[product], boxes=30)
    hold = db.session.scalar(select(CapacityHold).where(CapacityHold.quote_id == quote.id))
    assert hold.released_at is None and hold.quantity == 30
    assert hold.expires_at.date() >= quote.delivery_date
    db.session.refresh(product)
    assert product.stock == 0


def test_card_order_expiry_never_touches_a_government_order():
    order, *_ = factories.make_gov_order()
    far = order.expires_at + dt.timedelta(days=400)
    assert order.id not in lifecycle.due_order_ids(now=far)
    assert lifecycle.expire_order(order.id, now=far) is False
    assert order.status == OrderStatus.INVOICED


def test_households_are_asked_by_mail_to_confirm(inbox):
    order, *_ = factories.make_gov_order()
    db.session.commit()
    run_pending_jobs()
    subjects = [m["Subject"] for m in inbox.messages]
    asked = [
        s for s in subjects if s.startswith(f"Pesanan instansi {order.number}: konfirmasi sebelum ")
    ]
    assert len(asked) == len(order.parts)
    deadline = gov.gov_part_of(order.parts[0]).confirm_by
    assert asked[0].endswith(format_day(deadline))


# -- the households' answers --------------------------------------------------------------


def test_decline_goes_back_to_the_officer_who_replaces_the_household(inbox):
    products = two_households()
    alternative = factories.make_product(
        stock=500, price=36000, seller=factories.make_seller(), category_slug="anyaman"
    )
    order, quote, officer, _head = factories.make_gov_order(products=products, boxes=10)
    part = next(p for p in order.parts if p.seller_id == products[0].seller_id)
    db.session.refresh(products[0])
    stock_before = products[0].stock
    with pytest.raises(gov.GovOrderError):
        gov.decline_part(part.id, part.seller_id, part.seller.user, "  ")
    gov.decline_part(part.id, part.seller_id, part.seller.user, "Rotan habis bulan ini")
    assert part.status == PartStatus.CANCELLED
    db.session.refresh(products[0])
    assert products[0].stock == stock_before + 10  # the stock came back
    db.session.commit()
    run_pending_jobs()
    told = [m for m in inbox.messages if m["To"] == officer.email and "menolak" in m["Subject"]]
    assert told and "Rotan habis bulan ini" in told[0].get_payload(decode=True).decode()
    # The builder's proposals: another household's product of the same kind and region.
    options = gov_replacements.replacement_options(order, part)
    assert alternative.id in [o.id for o in options[0].options]
    new = gov_replacements.replace_part(
        order.id, part.id, officer, {part.lines[0].id: alternative.id}
    )
    assert new.seller_id == alternative.seller_id and new.status == PartStatus.NEW
    assert new.lines[0].quantity == 10
    assert order.items_amount == sum(
        p.items_amount for p in order.parts if p.status != PartStatus.CANCELLED.value
    )
    with pytest.raises(gov.GovOrderError):
        gov_replacements.replace_part(
            order.id, part.id, officer, {part.lines[0].id: alternative.id}
        )


def test_confirming_after_the_deadline_is_refused():
    order, *_ = factories.make_gov_order()
    part = order.parts[0]
    gov.gov_part_of(part).confirm_by = today_local() - dt.timedelta(days=1)
    db.session.flush()
    with pytest.raises(gov.GovOrderError, match="Batas konfirmasi sudah lewat"):
        gov.confirm_part(part.id, part.seller_id, part.seller.user)
    assert part.status == PartStatus.NEW


def test_the_deadline_is_days_before_production_starts(app):
    product = factories.make_product(stock=500)
    product.lead_time_days = 5
    delivery = today_local() + dt.timedelta(days=30)
    assert gov.confirm_deadline(delivery, [product]) == delivery - dt.timedelta(days=7)
    app.config["GOV_CONFIRM_DAYS_BEFORE_PRODUCTION"] = 3
    try:
        assert gov.confirm_deadline(delivery, [product]) == delivery - dt.timedelta(days=8)
    finally:
        del app.config["GOV_CONFIRM_DAYS_BEFORE_PRODUCTION"]
    # Never before tomorrow.
    soon = today_local() + dt.timedelta(days=3)
    assert gov.confirm_deadline(soon, [product]) == today_local() + dt.timedelta(days=1)


def test_another_household_cannot_touch_the_part():
    order, *_ = factories.make_gov_order()
    stranger = factories.make_seller()
    with pytest.raises(NotFound):
        gov.confirm_part(order.parts[0].id, stranger.id, stranger.user)


def test_progress_moves_only_forward_and_once():
    order, *_ = factories.make_gov_order()
    part = order.parts[0]
    owner = part.seller.user
    with pytest.raises(gov.GovOrderError):
        gov.mark_progress(part.id, part.seller_id, owner, "packed")  # not confirmed yet
    gov.confirm_part(part.id, part.seller_id, owner)
    gov.mark_progress(part.id, part.seller_id, owner, "produced")
    with pytest.raises(gov.GovOrderError):
        gov.mark_progress(part.id, part.seller_id, owner, "produced")
    gov.mark_progress(part.id, part.seller_id, owner, "packed")
    note = db.session.scalar(select(Document).where(Document.part_id == part.id))
    assert note.kind == DocumentKind.DELIVERY_NOTE and note.number.startswith("SJ/")
    text = pdf_text(note.content)
    assert "SURAT JALAN" in text and part.shop_name in text and part.lines[0].product_name in text
    gov.mark_progress(part.id, part.seller_id, owner, "delivered")
    assert part.status == PartStatus.DELIVERED
    # The card flow's buttons cannot move a government part.
    with pytest.raises(lifecycle.MoveRefused):
        order_inbox.move_part_for_seller(part.id, part.seller_id, "accept", actor_id=owner.id)


# -- receipt, documents -------------------------------------------------------------------


def test_receipt_with_a_shortfall_is_billed_for_what_arrived():
    products = two_households(price_a=35000, price_b=150000)
    order, quote, officer, _ = factories.make_gov_order(products=products, boxes=40)
    first = order.parts[0].lines[0]
    factories.deliver_gov_order(order, short={first.id: 3}, officer=officer)
    with pytest.raises(gov.GovOrderError):
        gov.confirm_receipt(order.id, order.parts[0].id, officer, {first.id: 40})
    invoice = billing.issue_handover(order.id, officer)
    goods = 37 * first.unit_price_amount + 40 * order.parts[1].lines[0].unit_price_amount
    assert invoice.total_amount == goods + quote.card_amount + quote.shipping_amount
    assert invoice.pph22_amount == (goods * 150 + 5000) // 10000  # above Rp2.000.000
    assert invoice.payable_amount == invoice.total_amount - invoice.pph22_amount
    kinds = {
        d.kind: d for d in db.session.scalars(select(Document).where(Document.order_id == order.id))
    }
    bast = pdf_text(kinds[DocumentKind.HANDOVER].content)
    assert "BERITA ACARA SERAH TERIMA" in bast
    assert "Pihak Pertama" in bast and "Pihak Kedua" in bast and officer.name in bast
    assert quote.institution.name in bast and "Pasar Oleh-Oleh Kaltara" in bast
    assert first.product_name in bast and "Kurang" in bast
    assert kinds[DocumentKind.HANDOVER].number.startswith(f"BAST/{today_local().year}/")
    assert "FAKTUR TAGIHAN" in pdf_text(kinds[DocumentKind.INVOICE].content)
    receipt = pdf_text(kinds[DocumentKind.RECEIPT].content)
    assert "KWITANSI" in receipt and "Bermaterai" in receipt  # above Rp5.000.000
    # Pressing again is told so, and issues nothing new.
    issued = select(func.count()).select_from(Document).where(Document.order_id == order.id)
    before = db.session.scalar(issued)
    with pytest.raises(gov.GovOrderError, match="sudah terbit") as told:
        billing.issue_handover(order.id, officer)
    assert told.value.status_code == 409 and db.session.scalar(issued) == before


def test_small_kwitansi_has_no_materai_note():
    product = factories.make_product(stock=50, price=20000)
    order, quote, officer, _ = factories.make_gov_order(products=[product], boxes=5, card="")
    factories.deliver_gov_order(order, officer=officer)
    billing.issue_handover(order.id, officer)
    receipt = db.session.scalar(
        select(Document).where(Document.order_id == order.id, Document.kind == "receipt")
    )
    text = pdf_text(receipt.content)
    assert "KWITANSI" in text and "Bermaterai" not in text


def test_the_bast_waits_for_every_household():
    order, _quote, officer, _ = factories.make_gov_order()
    part = order.parts[0]
    gov.confirm_part(part.id, part.seller_id, part.seller.user)
    with pytest.raises(gov.GovOrderError, match="Catat dulu"):
        billing.issue_handover(order.id, officer)


def test_a_correction_is_a_new_document_naming_the_old_one():
    order, quote, officer, _ = factories.make_gov_order()
    factories.deliver_gov_order(order, officer=officer)
    billing.issue_handover(order.id, officer)
    bast = db.session.scalar(
        select(Document).where(Document.order_id == order.id, Document.kind == "handover")
    )
    content = bast.content
    with pytest.raises(gov.GovOrderError):
        billing.correct_document(order.id, bast.id, officer, " ")
    fixed = billing.correct_document(order.id, bast.id, officer, "Nama penerima salah ketik")
    assert fixed.replaces_id == bast.id and fixed.number != bast.number
    db.session.refresh(bast)
    assert bast.content == content  # never changed
    text = pdf_text(fixed.content)
    assert bast.number in text and "Nama penerima salah ketik" in text
    with pytest.raises(gov.GovOrderError):
        billing.correct_document(order.id, bast.id, officer, "lagi")


def test_a_revised_surat_pesanan_is_corrected_by_its_next_revision():
    """The order page offers "Koreksi" on a Surat Pesanan revised after a household was
    replaced (it was a 500): the correction is the letter's next revision, naming it."""
    products = two_households()
    alternative = factories.make_product(stock=500, price=36000)
    order, quote, officer, _ = factories.make_gov_order(products=products, boxes=10)
    part = next(p for p in order.parts if p.seller_id == products[0].seller_id)
    gov.gov_part_of(part).confirm_by = today_local() - dt.timedelta(days=1)
    db.session.flush()
    gov_replacements.replace_part(order.id, part.id, officer, {part.lines[0].id: alternative.id})
    revised = db.session.scalar(
        select(Document).where(Document.order_id == order.id, Document.kind == "order_letter")
    )
    assert revised.number.endswith("/R1")
    fixed = billing.correct_document(order.id, revised.id, officer, "Nomor DPA salah ketik")
    assert fixed.kind == "order_letter" and fixed.replaces_id == revised.id
    assert fixed.number == revised.number.removesuffix("/R1") + "/R2"
    text = pdf_text(fixed.content)
    assert revised.number in text and "Nomor DPA salah ketik" in text
    assert alternative.name in text  # the goods as they now stand, each named
    with pytest.raises(gov.GovOrderError):
        billing.correct_document(order.id, revised.id, officer, "lagi")


def test_the_spj_zip_holds_every_document():
    order, quote, officer, _ = factories.make_gov_order()
    factories.deliver_gov_order(order, officer=officer)
    billing.issue_handover(order.id, officer)
    archive = zipfile.ZipFile(io.BytesIO(billing.spj_zip(order, quote)))
    names = archive.namelist()
    for prefix in ("PNW-", "SP-", "SJ-", "BAST-", "INV-", "KW-"):
        assert any(name.startswith(prefix) for name in names), (prefix, names)
    bast = next(n for n in names if n.startswith("BAST-"))
    assert "BERITA ACARA" in pdf_text(archive.read(bast))


# -- payment and the ledger ---------------------------------------------------------------


def test_at_the_bast_the_households_money_is_advanced():
    order, _quote, _officer, invoice = factories.make_invoiced_gov_order(boxes=20)
    events_sum_to_zero()
    for part in order.parts:
        balances = balances_of(part.seller_id)
        assert balances.pending == 0 and balances.available > 0
    keys = set(db.session.scalars(select(LedgerEntry.event_key)))
    assert {f"gov-part-{p.id}-advance" for p in order.parts} <= keys
    pph = db.session.scalar(
        select(func.sum(LedgerEntry.amount)).where(
            LedgerEntry.account == Account.GOVERNMENT_PPH22.value
        )
    )
    assert int(pph) == invoice.pph22_amount


def test_without_the_advance_money_waits_for_the_sp2d(app):
    app.config["GOV_ADVANCE_TO_HOUSEHOLDS"] = False
    try:
        order, _quote, _officer, invoice = factories.make_invoiced_gov_order(boxes=20)
        seller_ids = [p.seller_id for p in order.parts]
        assert all(balances_of(s).available == 0 and balances_of(s).pending > 0 for s in seller_ids)
        admin = factories.make_user(roles=["admin"])
        billing.record_payment(
            invoice.id,
            admin,
            amount=invoice.payable_amount,
            reference="SP2D-0001",
            paid_on=today_local(),
        )
        assert all(balances_of(s).available > 0 and balances_of(s).pending == 0 for s in seller_ids)
        events_sum_to_zero()
    finally:
        del app.config["GOV_ADVANCE_TO_HOUSEHOLDS"]


def test_partial_payments_until_paid_and_never_more_than_outstanding():
    order, _quote, _officer, invoice = factories.make_invoiced_gov_order(boxes=20)
    admin = factories.make_user(roles=["admin"])
    first = invoice.payable_amount // 3
    billing.record_payment(
        invoice.id, admin, amount=first, reference="SP2D-11", paid_on=today_local()
    )
    assert invoice.paid_amount == first and invoice.status == InvoiceStatus.OPEN
    assert order.status == OrderStatus.INVOICED
    # The same SP2D again is the same payment, not a second one.
    billing.record_payment(
        invoice.id, admin, amount=first, reference="SP2D-11", paid_on=today_local()
    )
    assert invoice.paid_amount == first
    with pytest.raises(billing.PaymentRefused, match="melebihi sisa"):
        billing.record_payment(
            invoice.id,
            admin,
            amount=invoice.payable_amount,
            reference="SP2D-12",
            paid_on=today_local(),
        )
    assert invoice.paid_amount == first
    rest = invoice.payable_amount - first
    billing.record_payment(
        invoice.id, admin, amount=rest, reference="SP2D-13", paid_on=today_local()
    )
    assert invoice.status == InvoiceStatus.PAID and invoice.outstanding_amount == 0
    db.session.refresh(order)
    assert order.status == OrderStatus.PAID and order.quote_id is not None
    events_sum_to_zero()
    sums = dict(
        db.session.execute(
            select(LedgerEntry.account, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.order_part_id.in_([p.id for p in order.parts]))
            .group_by(LedgerEntry.account)
        ).all()
    )
    # Settled: nothing owed, nothing advanced, the money that came in is what the treasury paid.
    assert int(sums[Account.GOVERNMENT_RECEIVABLE.value]) == 0
    assert int(sums[Account.PLATFORM_ADVANCE.value]) == 0
    assert int(sums[Account.BUYER_FUNDS.value]) == -invoice.payable_amount
    with pytest.raises(billing.PaymentRefused):
        billing.record_payment(
            invoice.id, admin, amount=1, reference="SP2D-14", paid_on=today_local()
        )


def test_outstanding_invoices_are_listed_with_their_age():
    _order, _quote, _officer, invoice = factories.make_invoiced_gov_order(boxes=20)
    rows = ageing.outstanding_invoices()
    row = next(r for r in rows if r.invoice_id == invoice.id)
    assert row.age_days == 0


def test_the_platforms_position_is_the_sum_of_its_ledger_accounts():
    factories.make_invoiced_gov_order(boxes=20)
    sums = dict(
        db.session.execute(
            select(LedgerEntry.account, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.account)
        ).all()
    )
    position = gov_ledger.position()
    assert position.owed == -sums[Account.GOVERNMENT_RECEIVABLE.value] != 0
    assert position.advanced == -int(sums.get(Account.PLATFORM_ADVANCE.value) or 0)
    assert position.pph22_withheld == int(sums.get(Account.GOVERNMENT_PPH22.value) or 0)


# -- the timeline -------------------------------------------------------------------------


def test_every_move_shows_in_one_timeline():
    order, quote, officer, _ = factories.make_gov_order()
    factories.deliver_gov_order(order, officer=officer)
    billing.issue_handover(order.id, officer)
    moments = gov_timeline.timeline(quote, order)
    seen = {(m.from_status, m.to_status) for m in moments}
    assert ("submitted", "approved") in seen and ("approved", "ordered") in seen
    assert (None, "invoiced") in seen
    for move in (
        ("new", "accepted"),
        ("accepted", "produced"),
        ("produced", "packed"),
        ("packed", "delivered"),
        ("delivered", "received"),
    ):
        assert move in seen
    assert (None, "issued") in seen
    assert all(m.actor is not None for m in moments if m.to_status in ("accepted", "received"))
    assert [m.at for m in moments] == sorted(m.at for m in moments)


def test_the_card_buyers_cancel_link_cannot_cancel_a_government_part():
    order, *_ = factories.make_gov_order()
    with pytest.raises(lifecycle.MoveRefused):
        lifecycle.cancel_part_for_buyer(order.id, order.parts[0].id, actor_id=None)
    assert order.parts[0].status == PartStatus.NEW


@pytest.mark.parametrize("advance", [True, False])
def test_any_split_of_payments_settles_exactly(app, advance):
    """For several ways of splitting the SP2D payments: every event sums to zero, the
    treasury's debt and the platform's advance end at zero, and each household ends with
    its share, shipping and PPN less its PPh 22, all available."""
    app.config["GOV_ADVANCE_TO_HOUSEHOLDS"] = advance
    try:
        products = two_households(price_a=35000, price_b=150000)
        order, quote, officer, _ = factories.make_gov_order(products=products, boxes=25)
        factories.deliver_gov_order(order, officer=officer)
        invoice = billing.issue_handover(order.id, officer)
        admin = factories.make_user(roles=["admin"])
        payable = invoice.payable_amount
        splits = [
            [payable],
            [1, payable - 1],
            [payable // 3, payable // 3, payable - 2 * (payable // 3)],
            [7, 11, 13, payable - 31],
        ]
        for number, split in enumerate(splits):
            savepoint = db.session.begin_nested()
            for index, amount in enumerate(split):
                billing.record_payment(
                    invoice.id,
                    admin,
                    amount=amount,
                    reference=f"SP2D-{number}-{index}",
                    paid_on=today_local(),
                )
            events_sum_to_zero()
            rows = dict(
                db.session.execute(
                    select(LedgerEntry.account, func.sum(LedgerEntry.amount))
                    .where(LedgerEntry.order_part_id.in_([p.id for p in order.parts]))
                    .group_by(LedgerEntry.account)
                ).all()
            )
            assert int(rows.get(Account.GOVERNMENT_RECEIVABLE.value, 0)) == 0
            assert int(rows.get(Account.PLATFORM_ADVANCE.value, 0)) == 0
            assert int(rows[Account.BUYER_FUNDS.value]) == -payable
            households = int(rows[Account.SELLER_AVAILABLE.value])
            commission = int(rows[Account.PLATFORM_COMMISSION.value])
            cards = int(rows.get(Account.PLATFORM_SALES.value, 0))
            assert cards == quote.card_amount
            assert households + commission + cards == payable
            assert int(rows.get(Account.SELLER_PENDING.value, 0)) == 0
            assert invoice.status == InvoiceStatus.PAID
            savepoint.rollback()
            db.session.expire_all()
    finally:
        del app.config["GOV_ADVANCE_TO_HOUSEHOLDS"]


def test_a_household_silent_past_its_deadline_can_be_replaced():
    products = two_households()
    alternative = factories.make_product(stock=500, price=36000)
    order, _quote, officer, _ = factories.make_gov_order(products=products, boxes=10)
    part = next(p for p in order.parts if p.seller_id == products[0].seller_id)
    gov_part = gov.gov_part_of(part)
    assert not gov_replacements.replaceable(part, gov_part)
    with pytest.raises(gov.GovOrderError):
        gov_replacements.replace_part(
            order.id, part.id, officer, {part.lines[0].id: alternative.id}
        )
    gov_part.confirm_by = today_local() - dt.timedelta(days=1)
    db.session.flush()
    assert gov_replacements.replaceable(part, gov_part)
    new = gov_replacements.replace_part(
        order.id, part.id, officer, {part.lines[0].id: alternative.id}
    )
    assert part.status == PartStatus.CANCELLED and new.seller_id == alternative.seller_id
    moments = gov_timeline.timeline(_quote, order)
    assert any(m.why == "tidak dijawab sampai batas" for m in moments)


def test_parts_unconfirmed_past_their_deadline_lapse_once(app, inbox):
    made = factories.make_product(stock=0, price=40000)
    made.is_made_to_order = True
    made.daily_capacity = 20
    stocked = factories.make_product(stock=500, price=35000)
    on_time = factories.make_product(stock=500, price=50000)
    alternative = factories.make_product(stock=500, price=41000)
    db.session.flush()
    order, quote, officer, _ = factories.make_gov_order(products=[made, stocked, on_time], boxes=10)
    late = [p for p in order.parts if p.seller_id in (made.seller_id, stocked.seller_id)]
    waiting = next(p for p in order.parts if p.seller_id == on_time.seller_id)
    for part in late:
        gov.gov_part_of(part).confirm_by = today_local() - dt.timedelta(days=1)
    db.session.refresh(stocked)
    stock_before = stocked.stock
    db.session.commit()

    runner = app.test_cli_runner()
    first = runner.invoke(args=["institutions", "lapse-unconfirmed"])
    assert first.exit_code == 0 and "Lapsed 2 unconfirmed parts." in first.output
    again = runner.invoke(args=["institutions", "lapse-unconfirmed"])
    assert again.exit_code == 0 and "Lapsed 0 unconfirmed parts." in again.output
    assert gov_replacements.lapse_unconfirmed() == 0

    db.session.expire_all()
    for part in late:
        assert part.status == PartStatus.CANCELLED
        assert gov.gov_part_of(part).decline_reason == "tidak dikonfirmasi sebelum batas"
    assert waiting.status == PartStatus.NEW  # its deadline has not passed
    # The held capacity and the stock came back exactly once.
    hold = db.session.scalar(
        select(CapacityHold).where(
            CapacityHold.quote_id == quote.id, CapacityHold.product_id == made.id
        )
    )
    assert hold.released_at is not None
    assert db.session.get(type(stocked), stocked.id).stock == stock_before + 10
    assert order.total_amount == waiting.items_amount + waiting.shipping_amount
    moments = gov_timeline.timeline(quote, order)
    assert [m.why for m in moments].count("tidak dikonfirmasi sebelum batas") == 2

    run_pending_jobs()
    told = [
        m
        for m in inbox.messages
        if m["To"] == officer.email and "tidak mengonfirmasi" in m["Subject"]
    ]
    assert sorted(m["Subject"] for m in told) == sorted(
        f"{p.shop_name} tidak mengonfirmasi bagiannya di pesanan {order.number}" for p in late
    )
    # The officer still hands the lapsed lines to another household.
    part = next(p for p in late if p.seller_id == stocked.seller_id)
    assert gov_replacements.replaceable(part, gov.gov_part_of(part))
    new = gov_replacements.replace_part(
        order.id, part.id, officer, {part.lines[0].id: alternative.id}
    )
    assert new.seller_id == alternative.seller_id
