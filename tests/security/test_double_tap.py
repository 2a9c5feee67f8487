"""The double tap: a household on a slow phone pressing a button twice, two officers pressing
at once. Each form below is sent twice at the same moment (``tests/racing.py``: each request
with its own session and connection, really committed) and the data must show one effect:
one record, one payment, one state move. Every answer is a redirect or a clear 4xx, never a
500. Forms already guarded elsewhere (checkout, quotes, BAST, a part's moves, refunds,
vouchers at checkout, payout runs) are in their own race tests and not repeated here.
SQLite (the writers queue behind ``attempt``'s write transaction) and PostgreSQL with
TEST_DATABASE_URL (the unique constraints and guarded UPDATEs decide)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role, RoleGrant, User
from marketplace.catalog.models import (
    Product,
    ProductStatus,
    ProductStatusChange,
    Promotion,
    SearchSynonym,
    Seller,
)
from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.institutions.models import (
    GovInvoice,
    GovPayment,
    Institution,
    InstitutionMember,
    Quote,
)
from marketplace.money.models import (
    LedgerEntry,
    PartComplaint,
    PayoutAccount,
    PayoutAccountChange,
)
from marketplace.orders.inbox import move_part_for_seller
from marketplace.orders.models import OrderEvent, SavedAddress, Voucher
from marketplace.pkk.models import CapitalAssistance, OfficialGift, PackagingHelp, TrainingSession
from marketplace.reviews.models import Review
from marketplace.sellers.models import SellerApplicationChange
from tests import factories
from tests.racing import twice


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# -- the PKK desk -------------------------------------------------------------------------


#: what the second reviewer is told: the status it read was already gone (PostgreSQL, where
#: both read it before either wrote), or it reads the product already approved (SQLite, where
#: it waited for the first)
ALREADY_DECIDED = (
    "Status produk sudah berubah. Muat ulang halaman.",
    "Produk ini tidak sedang menunggu tinjauan.",
)


def assistance_form(kind: str) -> tuple[dict, object]:
    """A form for one kind of help, with its page's token; and how to count its records."""
    token = {"idempotency_token": factories.form_token()}
    if kind == "modal":
        seller = factories.make_seller(region_slug="nunukan")
        form = {
            "seller_id": str(seller.id),
            "giver": "Disperindagkop UMKM Provinsi Kaltara",
            "given_on": "2026-03-02",
            "description": "Mesin jahit portabel",
            "value_amount": "3.500.000",
        }
        return {**form, **token}, CapitalAssistance.seller_id == seller.id
    if kind == "kemasan":
        product = factories.make_product(name="Abon Soka Uji")
        form = {"product_id": str(product.id), "given_on": "2026-02-20", "description": "Label"}
        return {**form, **token}, PackagingHelp.product_id == product.id
    sellers = [factories.make_seller(), factories.make_seller(region_slug="malinau")]
    form = {
        "held_on": "2026-02-14",
        "topic": f"Label P-IRT dan halal {token['idempotency_token']}",
        "place": "Aula Kantor Gubernur, Tanjung Selor",
        "seller_ids": [str(seller.id) for seller in sellers],
    }
    return {**form, **token}, TrainingSession.topic == form["topic"]


@pytest.mark.parametrize(
    ("kind", "model"),
    [("modal", CapitalAssistance), ("kemasan", PackagingHelp), ("pelatihan", TrainingSession)],
)
def test_assistance_sent_twice_at_once_is_recorded_once(app, real_commits, kind, model):
    """The impact report counts each record (and sums the capital given): never twice."""
    reviewer = factories.make_user(roles=[Role.REVIEWER])
    form, mine = assistance_form(kind)
    db.session.commit()

    answers = twice(app, reviewer, f"/pkk/bantuan/{kind}", form)

    assert [answer.status for answer in answers] == [302, 302]
    told = sorted(flash for answer in answers for flash in answer.flashes)
    assert told == [("success", "Bantuan dicatat."), ("success", "Bantuan ini sudah dicatat.")]
    assert count(model, mine) == 1


def test_a_packaging_approval_pressed_twice_at_once_moves_the_product_once(app, real_commits):
    product = factories.make_product(status=ProductStatus.PENDING_REVIEW)
    reviewer = factories.make_user(roles=[Role.REVIEWER])
    db.session.commit()
    form = {"decision": "approve", "photo_keys": product.photo_keys}

    answers = twice(app, reviewer, f"/pkk/tinjauan/{product.id}", form)

    assert sorted(answer.status for answer in answers) == [302, 400]
    told = max(answers, key=lambda answer: answer.status).body
    assert any(message in told for message in ALREADY_DECIDED)
    moves = count(
        ProductStatusChange,
        ProductStatusChange.product_id == product.id,
        ProductStatusChange.to_status == "published",
    )
    assert moves == 1
    assert db.session.get(Product, product.id).status == "published"


def test_a_product_added_to_the_collection_twice_at_once_is_listed_once(app, real_commits):
    product = factories.make_product()
    reviewer = factories.make_user(roles=[Role.REVIEWER])
    db.session.commit()

    answers = twice(app, reviewer, "/pkk/oleh-oleh-resmi", {"product_id": str(product.id)})

    assert sorted(answer.status for answer in answers) == [302, 400]
    assert "Produk ini sudah ada di koleksi." in max(answers, key=lambda a: a.status).body
    assert count(OfficialGift, OfficialGift.product_id == product.id) == 1


def test_a_voucher_campaign_sent_twice_at_once_is_made_once(app, real_commits):
    reviewer = factories.make_user(roles=[Role.REVIEWER])
    db.session.commit()
    start = today_local() + dt.timedelta(days=3)
    form = {
        "code": "KETUKGANDA",
        "kind": "percent",
        "value": "10",
        "budget": "500.000",
        "per_buyer_limit": "1",
        "starts_on": start.isoformat(),
        "ends_on": (start + dt.timedelta(days=2)).isoformat(),
        "shops": "",
        "products": "",
    }

    answers = twice(app, reviewer, "/pkk/voucher", form)

    assert sorted(answer.status for answer in answers) == [302, 400]
    told = max(answers, key=lambda answer: answer.status).body
    assert "Kode ini sudah dipakai." in told and "KETUKGANDA" in told  # the form is kept
    assert count(Voucher, Voucher.code == "KETUKGANDA") == 1


def test_a_synonym_sent_twice_at_once_is_kept_once(app, real_commits):
    reviewer = factories.make_user(roles=[Role.REVIEWER])
    db.session.commit()

    answers = twice(app, reviewer, "/pkk/sinonim", {"word": "kerpikz", "means": "keripik"})

    assert sorted(answer.status for answer in answers) == [302, 400]
    assert "Padanan ini sudah tercatat." in max(answers, key=lambda a: a.status).body
    assert count(SearchSynonym, SearchSynonym.word == "kerpikz") == 1


def test_a_shop_application_approved_twice_at_once_opens_one_shop(app, real_commits):
    application = factories.make_application()
    reviewer = factories.make_user(roles=[Role.REVIEWER])
    db.session.commit()

    answers = twice(
        app, reviewer, f"/pkk/pendaftaran/{application.id}", {"decision": "approve", "note": ""}
    )

    assert sorted(answer.status for answer in answers) == [302, 400]
    assert "Pengajuan ini sudah diputuskan." in max(answers, key=lambda a: a.status).body
    assert count(Seller, Seller.user_id == application.user_id) == 1
    moves = count(SellerApplicationChange, SellerApplicationChange.application_id == application.id)
    assert moves == 1


# -- the treasury's payment of an invoice: it counts in the invoice and the ledger ---------


def test_an_sp2d_recorded_twice_at_once_pays_the_invoice_once(app, real_commits):
    order, _quote, _officer, invoice = factories.make_invoiced_gov_order()
    admin = factories.make_user(roles=[Role.ADMIN])
    db.session.commit()
    half = invoice.payable_amount // 2
    paid_on = today_local().isoformat()
    form = {"amount": str(half), "reference": "SP2D-0042/2026", "paid_on": paid_on}

    answers = twice(app, admin, f"/instansi/admin/tagihan/{invoice.id}", form)

    assert [answer.status for answer in answers] == [303, 303]  # the same payment, once
    [payment_id] = db.session.scalars(
        select(GovPayment.id).where(GovPayment.invoice_id == invoice.id)
    )
    assert db.session.get(GovInvoice, invoice.id).paid_amount == half
    # the payment's ledger events: one per household's part, of that one payment
    settled = db.session.scalars(
        select(LedgerEntry.event_key)
        .where(
            LedgerEntry.order_part_id.in_([part.id for part in order.parts]),
            LedgerEntry.event_key.like("gov-payment-%"),
        )
        .distinct()
    ).all()
    assert sorted(settled) == sorted(
        f"gov-payment-{payment_id}-part-{part.id}" for part in order.parts
    )


# -- a protocol office: made by an admin, its officers, its gift box -----------------------


def test_a_gift_box_sent_twice_at_once_is_one_draft(app, real_commits):
    officer = factories.make_officer()
    product = factories.make_product(stock=500)
    db.session.commit()
    form = {
        "event_name": "Kunjungan Ketuk Ganda",
        "box_count": "10",
        "delivery_date": (today_local() + dt.timedelta(days=30)).isoformat(),
        "delivery_time": "10.00 WITA",
        "delivery_place": "Pendopo Gubernur, Tanjung Selor",
        "card_text": "Selamat datang",
        "budget_code": "5.1.02.01.01.0026",
        "rup_code": "",
        "lines-0-product_id": str(product.id),
        "lines-0-quantity_per_box": "1",
        "idempotency_token": factories.form_token(),
    }

    answers = twice(app, officer, "/instansi/bingkisan/baru", form)

    assert [answer.status for answer in answers] == [302, 302]
    assert len({answer.location for answer in answers}) == 1  # both to the one draft
    [quote] = db.session.scalars(select(Quote).where(Quote.event_name == form["event_name"]))
    assert len(quote.lines) == 1 and len(quote.events) == 1


def test_an_institution_made_twice_at_once_is_made_once(app, real_commits):
    admin = factories.make_user(roles=[Role.ADMIN])
    db.session.commit()
    form = {
        "name": "Sekretariat Ketuk Ganda",
        "unit": "Bagian Umum dan Protokol",
        "address": "Jl. Ujang Dewa, Nunukan",
        "npwp": "00.765.432.1-728.000",
        "treasurer_name": "Bendahara Nunukan",
    }

    answers = twice(app, admin, "/instansi/admin", form)

    assert sorted(answer.status for answer in answers) == [302, 400]
    told = max(answers, key=lambda answer: answer.status).body
    assert "Instansi dengan nama ini sudah ada." in told and "Bendahara Nunukan" in told
    assert count(Institution, Institution.name == "Sekretariat Ketuk Ganda") == 1


def test_an_officer_added_twice_at_once_is_one_member(app, real_commits):
    institution = factories.make_institution()
    admin = factories.make_user(roles=[Role.ADMIN])
    person = factories.make_user()
    db.session.commit()
    form = {"email": person.email, "can_approve": "y"}

    answers = twice(app, admin, f"/instansi/admin/{institution.id}", form)

    assert [answer.status for answer in answers] == [302, 302]
    [member] = db.session.scalars(
        select(InstitutionMember).where(InstitutionMember.user_id == person.id)
    )
    assert (member.institution_id, member.can_approve) == (institution.id, True)
    assert count(RoleGrant, RoleGrant.user_id == person.id, RoleGrant.role == "officer") == 1


# -- a household's payout account: where its money goes ------------------------------------


def test_a_payout_account_sent_twice_at_once_is_recorded_once(app, real_commits):
    seller = factories.make_seller()
    db.session.commit()
    form = {
        "bank-method": "bank",
        "bank-bank_code": "002",
        "bank-account_number": "0023-0102-3456-508",
        "bank-holder_name": "Siti Aminah",
        "bank-password": factories.PASSWORD,
    }

    answers = twice(app, seller.user, "/penjual/pendapatan/rekening", form)

    assert [answer.status for answer in answers] == [303, 303]
    [account] = db.session.scalars(
        select(PayoutAccount).where(PayoutAccount.seller_id == seller.id)
    )
    assert (account.account_number, account.version) == ("002301023456508", 1)
    changes = select(PayoutAccountChange).where(PayoutAccountChange.payout_account_id == account.id)
    assert [change.kind for change in db.session.scalars(changes)] == ["created"]


# -- the buyer and the household: a review and its reply, an address ---------------------


def test_a_review_sent_twice_at_once_is_written_once(app, real_commits):
    order = factories.make_delivered_order((factories.make_product(stock=5), 1))
    line = order.parts[0].lines[0]
    db.session.commit()
    form = {"rating": "5", "body": "Renyah sekali, anak-anak suka."}

    twice(app, None, f"/pesanan/{order.access_token}/ulasan/{line.id}", form)

    assert count(Review, Review.order_line_id == line.id) == 1


def test_a_reply_sent_twice_at_once_is_kept_once(app, real_commits):
    review = factories.make_review()
    owner = db.session.get(Product, review.product_id).seller.user
    db.session.commit()

    answers = twice(app, owner, f"/penjual/ulasan/{review.id}/balas", {"reply": "Terima kasih!"})

    assert sorted(answer.status for answer in answers) == [303, 409]
    assert db.session.get(Review, review.id).reply == "Terima kasih!"


def test_an_address_saved_twice_at_once_is_kept_once(app, real_commits):
    buyer = factories.make_user()
    db.session.commit()
    form = factories.address_form()

    answers = twice(app, buyer, "/akun/alamat", form)

    assert [answer.status for answer in answers] == [303, 303]
    assert count(SavedAddress, SavedAddress.user_id == buyer.id) == 1


# -- a household's new product, a buyer's complaint about a part ------------------------


def test_a_product_listed_twice_at_once_is_one_draft(app, real_commits):
    seller = factories.make_seller()
    db.session.commit()
    form = factories.listing_form(name="Tikar Ketuk Ganda")

    answers = twice(app, seller.user, "/penjual/produk/baru", form)

    assert [answer.status for answer in answers] == [302, 302]
    assert count(Product, Product.name == "Tikar Ketuk Ganda") == 1


def test_a_problem_reported_twice_at_once_is_one_complaint(app, real_commits):
    seller = factories.make_seller()
    order = factories.make_paid_order((factories.make_product(seller=seller, stock=10), 1))
    part = order.parts[0]
    move_part_for_seller(part.id, seller.id, "accept", actor_id=seller.user_id)
    move_part_for_seller(
        part.id, seller.id, "ship", actor_id=seller.user_id, courier="JNE", tracking_number="J1"
    )
    db.session.commit()
    form = {"message": "Kemasan penyok, isinya hancur."}

    answers = twice(app, None, f"/pesanan/{order.access_token}/masalah/{part.id}", form)

    assert [answer.status for answer in answers] == [303, 303]
    assert all(
        ("success", "Laporan Anda kami terima. Admin akan menghubungi Anda.") in answer.flashes
        for answer in answers
    )
    assert count(PartComplaint, PartComplaint.part_id == part.id) == 1
    noted = count(OrderEvent, OrderEvent.part_id == part.id, OrderEvent.note.like("Masalah%"))
    assert noted == 1


def test_a_promotion_sent_twice_at_once_is_made_once(app, real_commits):
    product = factories.make_product()
    owner = product.seller.user
    db.session.commit()
    form = {
        "kind": "percent",
        "value": "10",
        "starts_on": (today_local() + dt.timedelta(days=1)).isoformat(),
        "ends_on": (today_local() + dt.timedelta(days=3)).isoformat(),
        "idempotency_token": factories.form_token(),
    }

    answers = twice(app, owner, f"/penjual/produk/{product.id}/promo", form)

    assert [answer.status for answer in answers] == [302, 302]
    assert count(Promotion, Promotion.product_id == product.id) == 1


def test_a_complaint_settled_twice_at_once_releases_the_money_once(app, real_commits):
    complaint = factories.make_complaint()
    admin = factories.make_user(roles=[Role.ADMIN])
    db.session.commit()
    form = {"action": "released", "reason": "Foto pembeli menunjukkan isi utuh."}

    answers = twice(app, admin, f"/admin/keluhan/{complaint.id}", form)

    assert sorted(flash for answer in answers for flash in answer.flashes) == [
        ("success", "Dana dilepas ke penjual."),
        ("success", "Laporan ini sudah diselesaikan."),
    ]
    legs = db.session.execute(
        select(LedgerEntry.event_key, LedgerEntry.account).where(
            LedgerEntry.order_part_id == complaint.part_id
        )
    ).all()
    assert len(legs) == len(set(legs))  # no ledger event written twice
    assert db.session.get(PartComplaint, complaint.id).resolution == "released"


# -- a visitor signing up ------------------------------------------------------------------


def test_a_sign_up_sent_twice_at_once_makes_one_account(app, real_commits):
    form = {"name": "Ibu Ketuk", "email": "ketuk.ganda@contoh.id", "password": "anyaman-rotan-1"}

    answers = twice(app, None, "/akun/daftar", form)

    assert sorted(answer.status for answer in answers) == [302, 400]
    told = max(answers, key=lambda answer: answer.status).body
    assert "E-mail ini sudah terdaftar. Silakan masuk." in told and "Ibu Ketuk" in told
    assert count(User, User.email == "ketuk.ganda@contoh.id") == 1
