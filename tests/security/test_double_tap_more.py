"""The double tap, second sweep: more forms sent twice at the same moment (``tests/racing.py``,
each request with its own session and connection, really committed), and rules that count
before they add (at most so many addresses) sent by two different forms at once. The data
must show one effect and every answer is a redirect or a clear 4xx, never a 500. SQLite and
PostgreSQL with TEST_DATABASE_URL, as ``test_double_tap``."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select, update

from marketplace.accounts.models import Role
from marketplace.catalog.models import Product
from marketplace.catalog.options import ProductVariant
from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.institutions import orders as gov_orders
from marketplace.institutions.models import (
    BoxTemplate,
    Document,
    DocumentKind,
    GovInvoice,
    GovPart,
)
from marketplace.inventory.models import ShopClosure
from marketplace.money import batches, runs
from marketplace.money.models import (
    BankStatement,
    BankStatementLine,
    DisbursementBatch,
    LedgerEntry,
    Payment,
    Payout,
    Refund,
)
from marketplace.money.payments import refund_part
from marketplace.orders.addresses import MAX_ADDRESSES
from marketplace.orders.models import CartItem, OrderPart, SavedAddress
from marketplace.sellers.models import SellerApplication
from tests import factories
from tests.racing import no_5xx, race, twice


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# -- the buyer's address book: at most MAX_ADDRESSES -------------------------------------


def address_form(label: str) -> dict:
    return factories.address_form(label, street=f"Jl. Yos Sudarso No. 5 ({label})")


def buyer_with_addresses(saved: int):
    buyer = factories.make_user()
    for n in range(saved):
        db.session.add(
            SavedAddress(
                user_id=buyer.id,
                label=f"Alamat {n}",
                name="Rina Pembeli",
                whatsapp="+6281234567890",
                province="65",
                city="65.71",
                district="65.71.01",
                street=f"Jl. Sengkawit No. {n}",
                postal_code="77111",
            )
        )
    db.session.commit()
    return buyer


def test_two_new_addresses_at_once_keep_the_book_within_its_cap(app, real_commits):
    """One place left: of two different addresses sent at once, one is kept and the other
    is told the book is full (PostgreSQL counted both before either was written)."""
    buyer = buyer_with_addresses(MAX_ADDRESSES - 1)

    answers = no_5xx(
        race(
            app,
            (buyer, "/akun/alamat", address_form("Kantor")),
            (buyer, "/akun/alamat", address_form("Kos")),
        )
    )

    assert sorted(answer.status for answer in answers) == [303, 400]
    told = max(answers, key=lambda answer: answer.status).body
    assert f"Paling banyak {MAX_ADDRESSES} alamat tersimpan." in told
    assert count(SavedAddress, SavedAddress.user_id == buyer.id) == MAX_ADDRESSES


def test_the_last_address_saved_twice_at_once_is_kept_once_and_both_told_saved(app, real_commits):
    """The twin of the address that filled the book is its own form, not an eleventh."""
    buyer = buyer_with_addresses(MAX_ADDRESSES - 1)

    answers = twice(app, buyer, "/akun/alamat", address_form("Kantor"))

    assert [answer.status for answer in answers] == [303, 303]
    assert count(SavedAddress, SavedAddress.user_id == buyer.id) == MAX_ADDRESSES


# -- a signed-in buyer's cart: "Masukkan keranjang" adds what the form says ------------------


def cart_lines(buyer) -> list[tuple[int | None, int]]:
    rows = select(CartItem.variant_id, CartItem.quantity).where(CartItem.user_id == buyer.id)
    return [tuple(row) for row in db.session.execute(rows)]


@pytest.mark.parametrize("with_options", [False, True], ids=["product", "option"])
def test_add_to_cart_pressed_twice_at_once_adds_twice_to_one_line(app, real_commits, with_options):
    """The rule: each "Masukkan keranjang" adds its quantity, as two presses a second apart
    do (the cart shows the quantity and lets it be changed before paying). Two at the same
    moment are no different: one line of two, never two lines of one, a count lost or a
    500 (PostgreSQL read no line in either; SQLite's second writer was locked out)."""
    buyer = factories.make_user()
    product = factories.make_product(stock=20)
    form = {"product_id": str(product.id), "quantity": "1"}
    if with_options:
        [pedas, _manis] = factories.make_options(product, ("Pedas", 30000, 9), ("Manis", 30000, 9))
        form["variant_id"] = str(pedas.id)
    db.session.commit()

    answers = twice(app, buyer, "/keranjang/tambah", form)

    assert [answer.status for answer in answers] == [302, 302]
    assert all(
        ("success", "Produk dimasukkan ke keranjang.") in answer.flashes for answer in answers
    )
    assert cart_lines(buyer) == [(pedas.id if with_options else None, 2)]


# -- a protocol office's saved gift box: one template of a name -----------------------------


def test_a_gift_box_template_saved_twice_at_once_is_kept_once(app, real_commits):
    """Its form is not a WTForm: the office's template names are unique, the judge."""
    quote = factories.make_quote()
    officer = quote.created_by
    db.session.commit()

    answers = twice(
        app, officer, f"/instansi/penawaran/{quote.id}/templat", {"name": "Tamu Ketuk Ganda"}
    )

    assert sorted(answer.status for answer in answers) == [302, 400]
    told = max(answers, key=lambda answer: answer.status).body
    assert "Templat dengan nama ini sudah ada. Beri nama lain." in told
    saved = count(
        BoxTemplate,
        BoxTemplate.institution_id == quote.institution_id,
        BoxTemplate.name == "Tamu Ketuk Ganda",
    )
    assert saved == 1


# -- a household applying to open a shop: one application under review at a time ----------


def application_form() -> dict:
    """The application form, with a photo of its own (each request reads its own file)."""
    return {
        "shop_name": "Lempok Ketuk Ganda",
        "owner_name": "Khadijah",
        "region_id": str(factories.region("bulungan").id),
        "village": "Desa Jelarai",
        "whatsapp": "0813-4567-8901",
        "nib": "",
        "story": "Lempok dari durian kebun sendiri.",
        "photo": (io.BytesIO(factories.photo_bytes()), "dapur.jpg"),
    }


def test_a_shop_application_sent_twice_at_once_is_one_application(app, real_commits):
    """The PKK reviews one application per household (PostgreSQL read none under review in
    either request); the second is told the first is under review."""
    user = factories.make_user()
    db.session.commit()

    answers = no_5xx(
        race(
            app, (user, "/buka-toko", application_form()), (user, "/buka-toko", application_form())
        )
    )

    assert sorted(answer.status for answer in answers) == [302, 400]
    assert "Pengajuan Anda masih ditinjau." in max(answers, key=lambda a: a.status).body
    assert count(SellerApplication, SellerApplication.user_id == user.id) == 1


# -- a household closing its shop for some days: one closure going on or to come ------------


def closure_form(days_from_now: int, message: str) -> dict:
    starts_on = today_local() + dt.timedelta(days=days_from_now)
    return {
        "starts_on": starts_on.isoformat(),
        "ends_on": (starts_on + dt.timedelta(days=4)).isoformat(),
        "message": message,
        "confirm": "1",
        "idempotency_token": factories.form_token(),
    }


def test_ya_tutup_toko_pressed_twice_at_once_closes_the_shop_once(app, real_commits):
    """One closure, not a second that ended the first (SQLite) nor two at once (PostgreSQL)."""
    seller = factories.make_seller()
    db.session.commit()

    answers = twice(app, seller.user, "/penjual/libur", closure_form(3, "Ke kampung"))

    assert [answer.status for answer in answers] == [302, 302]
    closures = select(ShopClosure.message, ShopClosure.cancelled_at).where(
        ShopClosure.seller_id == seller.id
    )
    assert [tuple(closure) for closure in db.session.execute(closures)] == [("Ke kampung", None)]


def test_two_closings_sent_at_once_leave_one_closure_to_come(app, real_commits):
    """Two tabs, two different closings: the later replaces the earlier, as one after the
    other (PostgreSQL saw no closure in either and kept both)."""
    seller = factories.make_seller()
    db.session.commit()
    forms = [closure_form(3, "Ke kampung"), closure_form(10, "Panen")]

    no_5xx(race(app, *[(seller.user, "/penjual/libur", form) for form in forms]))

    live = select(ShopClosure.message).where(
        ShopClosure.seller_id == seller.id, ShopClosure.cancelled_at.is_(None)
    )
    assert len(db.session.scalars(live).all()) == 1


# -- a household's product options (rasa, ukuran): the rows of one page, applied once ----------


def test_the_options_page_sent_twice_at_once_adds_each_new_option_once(app, real_commits):
    """A new row "Pedas" sent twice is one option, not two (both requests read the product
    without it: PostgreSQL at once, SQLite because its form named no option of that id)."""
    product = factories.make_product(stock=0)
    [original] = factories.make_options(product, ("Original / 250 g", 30000, 5))
    db.session.commit()
    form = {
        "id-0": str(original.id),
        "label-0": "Original / 250 g",
        "price-0": "30.000",
        "stock-0": "5",
        "weight-0": "300",
        "active-0": "1",
        "label-1": "Pedas / 250 g",
        "price-1": "32.000",
        "stock-1": "4",
        "weight-1": "300",
        "active-1": "1",
        "idempotency_token": factories.form_token(),
    }

    answers = twice(app, product.seller.user, f"/penjual/produk/{product.id}/pilihan", form)

    assert [answer.status for answer in answers] == [302, 302]
    labels = select(ProductVariant.label).where(ProductVariant.product_id == product.id)
    assert sorted(db.session.scalars(labels)) == ["Original / 250 g", "Pedas / 250 g"]
    assert db.session.get(Product, product.id).stock == 9  # the options' sum, counted once


# -- a protocol office's documents: a correction, replacing one document once -------------


@pytest.mark.parametrize("kind", [DocumentKind.INVOICE, DocumentKind.HANDOVER])
def test_a_document_corrected_twice_at_once_is_replaced_once(app, real_commits, kind):
    """Two corrections of one invoice would be two invoices to pay (PostgreSQL numbered and
    issued both; SQLite's second found the first)."""
    order, _quote, officer, _invoice = factories.make_invoiced_gov_order()
    old = db.session.scalar(
        select(Document).where(Document.order_id == order.id, Document.kind == kind.value)
    )
    db.session.commit()
    path = f"/instansi/pesanan/{order.id}/dokumen/{old.id}/koreksi"

    answers = twice(app, officer, path, {"reason": "NPWP bendahara salah tulis."})

    assert sorted(answer.status for answer in answers) == [303, 409]
    told = max(answers, key=lambda answer: answer.status).body
    assert "Dokumen ini sudah dikoreksi; koreksi dokumen penggantinya." in told
    assert count(Document, Document.replaces_id == old.id) == 1
    if kind is DocumentKind.INVOICE:
        [correction] = db.session.scalars(select(Document.id).where(Document.replaces_id == old.id))
        invoice = db.session.scalar(select(GovInvoice).where(GovInvoice.order_id == order.id))
        assert invoice.document_id == correction


# -- a protocol office replacing a household that declined its part -----------------------


def test_a_part_replaced_twice_at_once_goes_to_one_household_once(app, real_commits):
    """Two replacements would be two households making the same boxes, their stock taken
    twice (PostgreSQL: both read the part not yet replaced)."""
    products = [factories.make_product(stock=500, price=35000) for _ in range(2)]
    alternative = factories.make_product(stock=500, price=36000)
    order, _quote, officer, _head = factories.make_gov_order(products=products)
    part = next(p for p in order.parts if p.seller_id == products[0].seller_id)
    gov_orders.decline_part(part.id, part.seller_id, part.seller.user, "Rotan habis")
    db.session.commit()
    path = f"/instansi/pesanan/{order.id}/bagian/{part.id}/ganti"

    answers = twice(app, officer, path, {f"choice-{part.lines[0].id}": str(alternative.id)})

    assert sorted(answer.status for answer in answers) == [303, 409]
    told = max(answers, key=lambda answer: answer.status).body
    assert "Bagian ini sudah diganti." in told
    new_parts = select(OrderPart.id).where(
        OrderPart.order_id == order.id, OrderPart.seller_id == alternative.seller_id
    )
    [new_part] = db.session.scalars(new_parts).all()
    assert (
        db.session.scalar(select(GovPart.replaced_by_part_id).where(GovPart.part_id == part.id))
        == new_part
    )
    assert db.session.get(Product, alternative.id).stock == 500 - part.lines[0].quantity


# -- an admin's bank transfer giving back a virtual account payment -----------------------


def refund_by_transfer():
    """A pending refund of a part paid by BCA virtual account (Midtrans cannot give it back:
    the admin transfers it and records the bank's reference)."""
    order = factories.make_paid_order((factories.make_product(stock=5, price=150000), 1))
    db.session.execute(
        update(Payment).where(Payment.order_id == order.id).values(gateway="midtrans", method="bca")
    )
    refund = refund_part(order.parts[0].id)
    return order, refund


def test_a_transfer_reference_recorded_twice_at_once_settles_the_refund_once(app, real_commits):
    order, refund = refund_by_transfer()
    admin = factories.make_user(roles=[Role.ADMIN])
    db.session.commit()
    path = f"/admin/pesanan/{order.id}/transfer/{refund.id}"

    answers = twice(app, admin, path, {"reference": "BCA-20261208-01"})

    assert [answer.status for answer in answers] == [303, 303]
    assert sorted(flash for answer in answers for flash in answer.flashes) == [
        ("success", "Sudah dicatat sebelumnya."),
        ("success", "Transfer pengembalian dicatat."),
    ]
    done = db.session.get(Refund, refund.id)
    assert (done.status, done.gateway_refund_id) == ("succeeded", "transfer:BCA-20261208-01")


def test_one_transfer_reference_for_two_refunds_at_once_settles_one(app, real_commits):
    """Two admins typing the same bank reference for two refunds: one is recorded, the other
    told the reference is used (PostgreSQL's unique key refused it mid-UPDATE: a 500)."""
    first, second = refund_by_transfer(), refund_by_transfer()
    admin = factories.make_user(roles=[Role.ADMIN])
    db.session.commit()
    form = {"reference": "BCA-20261208-02"}

    answers = no_5xx(
        race(
            app,
            *[(admin, f"/admin/pesanan/{o.id}/transfer/{r.id}", form) for o, r in (first, second)],
        )
    )

    told = sorted(flash for answer in answers for flash in answer.flashes)
    assert told == [
        ("error", "Nomor referensi ini sudah dipakai untuk pengembalian lain."),
        ("success", "Transfer pengembalian dicatat."),
    ]
    statuses = [db.session.get(Refund, r.id).status for _o, r in (first, second)]
    assert sorted(statuses) == ["pending", "succeeded"]


# -- the bank batch of payouts: exported once, its result file settling each line once -----


def payout_waiting_for_the_bank():
    """A household's payout by bank transfer, made by a run and not yet exported."""
    seller = factories.make_earning_seller()
    factories.make_payout_account(seller)
    db.session.commit()  # the run's units of work begin by ending the open transaction
    [payout_id] = runs.run_payouts(today=today_local()).created
    db.session.commit()
    return db.session.get(Payout, payout_id)


def test_the_batch_exported_twice_at_once_is_one_batch(app, real_commits):
    """The second export finds nothing waiting, and makes no empty batch (PostgreSQL: both
    saw the payout waiting, the second's UPDATE then moved nothing)."""
    payout = payout_waiting_for_the_bank()
    admin = factories.make_user(roles=[Role.ADMIN])
    batches_before = count(DisbursementBatch)
    db.session.commit()

    answers = twice(app, admin, "/admin/pencairan/batch", {})

    assert [answer.status for answer in answers] == [303, 303]
    assert count(DisbursementBatch) == batches_before + 1
    batch_id = db.session.get(Payout, payout.id).batch_id
    assert sorted(answer.location for answer in answers) == [
        "/admin/pencairan",
        f"/admin/pencairan/batch/{batch_id}",
    ]


def test_the_banks_result_file_uploaded_twice_at_once_pays_each_line_once(app, real_commits):
    payout = payout_waiting_for_the_bank()
    batch = batches.export_batch(actor_id=None)
    admin = factories.make_user(roles=[Role.ADMIN])
    db.session.commit()
    lines = "reference,status,bank_reference,amount\n"
    lines += f"{payout.number},BERHASIL,BRI-KG-01,{payout.amount}\n"

    def upload() -> tuple:
        form = {"result": (io.BytesIO(lines.encode()), "hasil.csv")}
        return (admin, f"/admin/pencairan/batch/{batch.id}", form)

    answers = no_5xx(race(app, upload(), upload()))

    outcomes = sorted(re.findall(r'data-outcome="(\w+)"', answer.body)[0] for answer in answers)
    assert outcomes == ["paid", "refused"]
    assert "Sudah dikonfirmasi sebelumnya" in next(a.body for a in answers if "refused" in a.body)
    settled = select(LedgerEntry.event_key).where(
        LedgerEntry.event_key == f"payout-{payout.id}-paid"
    )
    assert len(db.session.scalars(settled).all()) == 2  # one event: its two legs
    assert db.session.get(Payout, payout.id).reference == "BRI-KG-01"


# -- the platform's bank statement: one upload, however often it is sent -------------------


def test_a_bank_statement_uploaded_twice_at_once_is_imported_once(app, real_commits):
    """One upload of the statement, its lines stored once, and both answers say what it
    held (the second is not told "0 new"; on PostgreSQL it met the first's lines: a 500)."""
    admin = factories.make_user(roles=[Role.ADMIN])
    db.session.commit()
    day = (today_local() - dt.timedelta(days=2)).strftime("%d/%m/%Y")
    text = (
        "Tanggal;Keterangan;No. Referensi;Debet;Kredit\n"
        f"{day};TRF SP2D 0777/SP2D/LS/2026 BPKAD;FT-KETUK-1;;2.750.000,00\n"
        f"{day};BIAYA ADM;;6.500;\n"
    )
    token = factories.form_token()
    statements_before = count(BankStatement)

    def upload() -> tuple:
        form = {"statement": (io.BytesIO(text.encode()), "mutasi.csv"), "idempotency_token": token}
        return (admin, "/admin/pencairan/rekening-koran", form)

    answers = no_5xx(race(app, upload(), upload()))

    assert [answer.status for answer in answers] == [303, 303]
    told = {flash for answer in answers for flash in answer.flashes}
    assert len(told) == 1 and "2 baris, 2 baru." in next(iter(told))[1]
    assert count(BankStatement) == statements_before + 1
    assert count(BankStatementLine, BankStatementLine.reference == "FT-KETUK-1") == 1


def test_two_statements_holding_the_same_lines_uploaded_at_once_store_each_line_once(
    app, real_commits
):
    """Two admins, two files overlapping by a day: each line is stored once; an upload that
    met the other's lines at the same moment (PostgreSQL) is refused whole, to be sent again."""
    admin = factories.make_user(roles=[Role.ADMIN])
    db.session.commit()
    days = [(today_local() - dt.timedelta(days=n)).strftime("%d/%m/%Y") for n in (3, 2, 1)]
    shared = f"{days[1]};TRF SP2D 0888/SP2D/LS/2026 BPKAD;FT-KETUK-2;;3.250.000,00\n"
    files = [
        f"Tanggal;Keterangan;No. Referensi;Debet;Kredit\n{days[0]};BIAYA ADM;;6.500;\n{shared}",
        f"Tanggal;Keterangan;No. Referensi;Debet;Kredit\n{shared}{days[2]};BIAYA ADM;;6.500;\n",
    ]
    forms = [
        {
            "statement": (io.BytesIO(text.encode()), "mutasi.csv"),
            "idempotency_token": factories.form_token(),
        }
        for text in files
    ]

    answers = no_5xx(race(app, *[(admin, "/admin/pencairan/rekening-koran", f) for f in forms]))

    for answer in answers:
        assert answer.status == 303 or "Unggah berkas ini sekali lagi." in answer.body
    assert count(BankStatementLine, BankStatementLine.reference == "FT-KETUK-2") == 1
