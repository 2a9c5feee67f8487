"""Voucher campaigns of the PKK or the platform: a code typed at checkout.

The discount is a line of its own on the order; the budget is taken by one guarded UPDATE,
so buyers racing for it never overspend; refused codes say why and keep the form; the
platform funds the discount in the ledger, the household gets its whole goods.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.db import WITA, db
from marketplace.money.models import Account, LedgerEntry
from marketplace.money.services import part_sums, record_payment_entries
from marketplace.orders import vouchers
from marketplace.orders.models import Order, Voucher, VoucherUse
from tests import factories
from tests.orders.test_concurrency import run_together

SUNDAY_6 = dt.date(2026, 12, 6)
HARI_IBU = (dt.date(2026, 12, 20), dt.date(2026, 12, 22))


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), WITA)


def _campaign(**overrides) -> Voucher:
    values = {
        "code": "hariibu",
        "sponsor": "pkk",
        "kind": "amount",
        "value": 10000,
        "budget": 1_000_000,
        "per_buyer_limit": 1,
        "starts_on": HARI_IBU[0],
        "ends_on": HARI_IBU[1],
        **overrides,
    }
    return vouchers.create_campaign(**values)


def _checkout(**overrides) -> dict:
    return {**vars(factories.checkout_details()), **overrides}


@pytest.fixture
def shop(clock):
    clock.set(at(SUNDAY_6))
    seller = factories.make_seller(shop_name="Amplang Bu Ani")
    product = factories.make_product(seller=seller, name="Amplang Tenggiri", price=40000)
    return seller, product


# -- the campaign --------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "sponsor"), [(Role.REVIEWER, "pkk"), (Role.ADMIN, "platform")])
def test_the_pkk_and_the_platform_run_campaigns(client, login_as, shop, role, sponsor):
    seller, product = shop
    login_as(role)
    form = {
        "code": "hari ibu 2026",
        "kind": "percent",
        "value": "20",
        "budget": "500.000",
        "per_buyer_limit": "2",
        "starts_on": "2026-12-20",
        "ends_on": "2026-12-22",
        "shops": seller.slug,
        "products": "",
    }
    response = client.post("/pkk/voucher", data=form)
    assert response.status_code == 302
    page = client.get("/pkk/voucher").get_data(as_text=True)
    assert "Voucher HARIIBU2026 dibuat." in page
    assert "Rp500.000" in page and "20 Desember 2026 sampai 22 Desember 2026" in page
    voucher = db.session.scalar(select(Voucher))
    assert (voucher.sponsor, voucher.seller_ids, voucher.per_buyer_limit) == (
        sponsor,
        [seller.id],
        2,
    )


def test_a_refused_campaign_says_why_and_keeps_the_form(client, login_as, shop):
    login_as(Role.REVIEWER)
    _campaign()
    db.session.commit()
    form = {
        "code": "HARIIBU",
        "kind": "amount",
        "value": "5000",
        "budget": "100000",
        "per_buyer_limit": "1",
        "starts_on": "2026-12-20",
        "ends_on": "2026-12-22",
        "shops": "toko-yang-tidak-ada",
    }
    response = client.post("/pkk/voucher", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 422)
    assert "Tidak ditemukan: toko-yang-tidak-ada" in html or "Kode ini sudah dipakai." in html
    assert 'value="toko-yang-tidak-ada"' in html
    assert db.session.scalar(select(func.count(Voucher.id))) == 1


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        (("0001-01-01", "2026-12-22"), "Tulis tanggal antara tahun 2000 dan 2099."),
        (("2026-12-20", "9999-12-31"), "Tulis tanggal antara tahun 2000 dan 2099."),
        (("2026-12-05", "2026-12-22"), "Tanggal mulai tidak boleh sebelum hari ini."),
        (("2026-12-20", "2027-12-21"), "Kampanye paling lama 366 hari."),
    ],
)
def test_a_campaign_runs_from_today_for_a_year_at_most(client, login_as, shop, dates, message):
    login_as(Role.REVIEWER)
    starts_on, ends_on = dates
    form = {
        "code": "SETAHUN",
        "kind": "amount",
        "value": "5000",
        "budget": "100000",
        "per_buyer_limit": "1",
        "starts_on": starts_on,
        "ends_on": ends_on,
    }
    response = client.post("/pkk/voucher", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 422)
    assert message in html
    assert f'value="{starts_on}"' in html and f'value="{ends_on}"' in html
    assert db.session.scalar(select(func.count(Voucher.id))) == 0


# -- at checkout -----------------------------------------------------------------------


def test_a_buyer_uses_a_voucher_at_checkout(client, shop, clock):
    seller, product = shop
    voucher = _campaign()
    db.session.commit()
    clock.set(at(HARI_IBU[0]))
    client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "2"})
    response = client.post("/checkout", data=_checkout(voucher_code=" hari ibu "))
    assert response.status_code == 303
    order = db.session.scalar(select(Order))
    assert (order.items_amount, order.discount_amount) == (80000, 10000)
    assert order.total_amount == order.items_amount + order.shipping_amount - 10000
    assert order.parts[0].discount_amount == 10000
    pay = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Voucher HARIIBU" in pay and "−Rp10.000" in pay
    db.session.refresh(voucher)
    assert voucher.spent_amount == 10000


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"code": "LAIN"}, "Kode voucher tidak dikenal."),
        (
            {"starts_on": dt.date(2026, 12, 25), "ends_on": dt.date(2026, 12, 26)},
            "Voucher ini belum berlaku.",
        ),
        (
            {"starts_on": dt.date(2026, 12, 7), "ends_on": dt.date(2026, 12, 8)},
            "Voucher ini sudah berakhir.",
        ),
        ({"budget": 5000}, "Anggaran voucher ini sudah habis."),
        ({"product_ids": [-1]}, "Voucher ini tidak berlaku untuk produk di keranjang Anda."),
    ],
)
def test_a_refused_code_says_why_and_keeps_the_form(client, shop, clock, setup, message):
    _seller, product = shop
    if "product_ids" in setup:
        setup = {"product_ids": [], "seller_ids": [factories.make_seller().id]}
    if "starts_on" in setup and setup["starts_on"] < SUNDAY_6 + dt.timedelta(days=2):
        clock.set(at(dt.date(2026, 12, 7)))
    _campaign(**setup)
    db.session.commit()
    clock.set(at(HARI_IBU[0]))
    client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "1"})
    response = client.post("/checkout", data=_checkout(voucher_code="hariibu", name="Siti Aminah"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'value="hariibu"' in html and 'value="Siti Aminah"' in html
    assert db.session.scalar(select(func.count(Order.id))) == 0
    assert db.session.scalar(select(func.sum(Voucher.spent_amount))) == 0


def test_the_per_buyer_limit(shop, clock):
    _seller, product = shop
    _campaign(per_buyer_limit=1)
    clock.set(at(HARI_IBU[0]))
    factories.make_order((product, 1), voucher_code="HARIIBU", email="siti@contoh.id")
    with pytest.raises(vouchers.VoucherError, match="sudah memakai"):
        factories.make_order((product, 1), voucher_code="HARIIBU", email="SITI@contoh.id")
    other = factories.make_order((product, 1), voucher_code="HARIIBU", email="ani@contoh.id")
    assert other.discount_amount == 10000


def test_an_unpaid_order_gives_the_budget_and_the_use_back_when_it_expires(shop, clock):
    from marketplace.orders import lifecycle

    _seller, product = shop
    voucher = _campaign(per_buyer_limit=1)
    clock.set(at(HARI_IBU[0]))
    order = factories.make_order((product, 1), voucher_code="HARIIBU", email="siti@contoh.id")
    assert db.session.get(Voucher, voucher.id, populate_existing=True).spent_amount == 10000
    clock.move(minutes=31)
    assert lifecycle.expire_order(order.id)
    assert not lifecycle.expire_order(order.id)  # once
    assert db.session.get(Voucher, voucher.id, populate_existing=True).spent_amount == 0
    again = factories.make_order((product, 1), voucher_code="HARIIBU", email="siti@contoh.id")
    assert again.discount_amount == 10000


def test_a_percent_voucher_for_one_household_is_shared_by_its_goods_only(shop, clock):
    seller, product = shop
    other = factories.make_product(name="Tikar Rotan", price=30000)
    _campaign(kind="percent", value=10, seller_ids=[seller.id])
    clock.set(at(HARI_IBU[0]))
    order = factories.make_order((product, 1), (other, 1), voucher_code="HARIIBU")
    shares = {part.seller_id: part.discount_amount for part in order.parts}
    assert shares == {seller.id: 4000, other.seller_id: 0}
    assert order.discount_amount == 4000


# -- the ledger ---------------------------------------------------------------------------


def test_the_platform_pays_the_voucher_and_the_household_gets_its_goods(shop, clock):
    seller, product = shop
    _campaign()
    clock.set(at(HARI_IBU[0]))
    order = factories.make_order((product, 2), voucher_code="HARIIBU")
    plain = factories.make_order((product, 2))
    order.status = plain.status = "paid"
    record_payment_entries(order)
    record_payment_entries(plain)
    with_voucher, without = part_sums(order.parts[0].id), part_sums(plain.parts[0].id)
    assert with_voucher[Account.PLATFORM_VOUCHERS.value] == -10000
    assert with_voucher[Account.BUYER_FUNDS.value] == -(order.total_amount)
    assert with_voucher[Account.BUYER_FUNDS.value] == without[Account.BUYER_FUNDS.value] + 10000
    for account in (Account.SELLER_PENDING, Account.PLATFORM_COMMISSION, Account.SHIPPING):
        assert with_voucher[account.value] == without[account.value]
    assert sum(with_voucher.values()) == 0
    total = db.session.scalar(select(func.sum(LedgerEntry.amount)))
    assert total == 0


def test_a_part_given_back_whole_returns_what_the_buyer_paid_and_the_platform_its_voucher(
    shop, clock
):
    from marketplace.money import payments
    from marketplace.orders import lifecycle

    _seller, product = shop
    _campaign()
    clock.set(at(HARI_IBU[0]))
    order = factories.make_paid_order((product, 2), voucher_code="HARIIBU")
    part = order.parts[0]
    assert payments.part_left(part) == order.total_amount  # never more than was paid
    lifecycle.cancel_part_for_buyer(order.id, part.id, actor_id=None)
    payments.refund_part(part.id)
    sums = part_sums(part.id)
    assert sums[Account.REFUNDS.value] == order.total_amount
    assert sums.get(Account.PLATFORM_VOUCHERS.value, 0) == 0
    assert sums.get(Account.SELLER_PENDING.value, 0) == 0
    assert sum(sums.values()) == 0


def test_a_household_promotion_is_borne_by_the_household(shop, clock):
    from marketplace.catalog import pricing

    seller, product = shop
    pricing.add_promotion(product, "amount", 8000, *HARI_IBU)
    clock.set(at(HARI_IBU[0]))
    order = factories.make_order((product, 1))
    order.status = "paid"
    record_payment_entries(order)
    sums = part_sums(order.parts[0].id)
    assert Account.PLATFORM_VOUCHERS.value not in sums
    # the goods sold for 32.000: the household's share and the commission come out of that
    assert sums[Account.SELLER_PENDING.value] + sums[Account.PLATFORM_COMMISSION.value] == 32000
    assert sum(sums.values()) == 0


# -- racing for the budget ----------------------------------------------------------------

BUYERS = 12
ROOM_FOR = 5


def test_buyers_racing_for_the_last_of_the_budget_never_overspend(app, real_commits, clock):
    clock.set(at(SUNDAY_6))
    seller = factories.make_seller()
    product = factories.make_product(seller=seller, price=40000, stock=100)
    voucher = _campaign(code="BALAPAN", budget=ROOM_FOR * 10000 + 9999)
    real_commits.commit()
    clock.set(at(HARI_IBU[0]))
    clients = [app.test_client() for _ in range(BUYERS)]
    for client in clients:
        client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "1"})

    def buy(i):
        form = _checkout(voucher_code="BALAPAN", email=f"pembeli{i}@contoh.id")
        response = clients[i].post("/checkout", data=form)
        return response.status_code, response.get_data(as_text=True)

    results = run_together(BUYERS, buy)
    statuses = sorted(status for status, _ in results)
    assert statuses.count(303) == ROOM_FOR
    assert statuses.count(422) == BUYERS - ROOM_FOR
    assert all("Anggaran voucher ini sudah habis." in body for s, body in results if s == 422)
    db.session.rollback()
    spent = db.session.scalar(select(Voucher.spent_amount).where(Voucher.id == voucher.id))
    assert spent == ROOM_FOR * 10000
    uses = db.session.scalar(select(func.count(VoucherUse.id)))
    assert uses == ROOM_FOR


# -- one buyer racing past the per-buyer limit ----------------------------------------------

SAME_BUYER_TABS = 6


def test_one_buyer_racing_checkouts_gets_the_voucher_once(app, real_commits, clock):
    """Six checkouts of one buyer at once (tabs, phones): the per-buyer limit of one holds,
    the unique numbered use refusing the others; the budget is taken once."""
    clock.set(at(SUNDAY_6))
    seller = factories.make_seller()
    product = factories.make_product(seller=seller, price=40000, stock=100)
    voucher = _campaign(code="SEKALI", per_buyer_limit=1)
    real_commits.commit()
    clock.set(at(HARI_IBU[0]))
    clients = [app.test_client() for _ in range(SAME_BUYER_TABS)]
    for client in clients:
        client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "1"})

    def buy(i):
        form = _checkout(voucher_code="SEKALI", email="siti@contoh.id")
        response = clients[i].post("/checkout", data=form)
        return response.status_code, response.get_data(as_text=True)

    results = run_together(SAME_BUYER_TABS, buy)
    statuses = sorted(status for status, _ in results)
    assert statuses.count(303) == 1
    assert statuses.count(422) == SAME_BUYER_TABS - 1
    assert all("Anda sudah memakai voucher ini." in body for s, body in results if s == 422)
    db.session.rollback()
    uses = db.session.scalars(select(VoucherUse).where(VoucherUse.voucher_id == voucher.id)).all()
    assert [(use.buyer_key, use.use_number) for use in uses] == [("email:siti@contoh.id", 1)]
    spent = db.session.scalar(select(Voucher.spent_amount).where(Voucher.id == voucher.id))
    assert spent == 10000


def test_a_limit_of_two_numbers_the_uses_and_a_given_back_number_is_used_again(shop, clock):
    from marketplace.orders import lifecycle

    _seller, product = shop
    voucher = _campaign(per_buyer_limit=2)
    clock.set(at(HARI_IBU[0]))
    first = factories.make_order((product, 1), voucher_code="HARIIBU", email="siti@contoh.id")
    factories.make_order((product, 1), voucher_code="HARIIBU", email="siti@contoh.id")
    with pytest.raises(vouchers.VoucherError, match="sudah memakai"):
        factories.make_order((product, 1), voucher_code="HARIIBU", email="siti@contoh.id")
    clock.move(minutes=31)
    assert lifecycle.expire_order(first.id)
    again = factories.make_order((product, 1), voucher_code="HARIIBU", email="siti@contoh.id")
    numbers = db.session.scalars(
        select(VoucherUse.use_number)
        .where(VoucherUse.voucher_id == voucher.id)
        .order_by(VoucherUse.use_number)
    ).all()
    assert numbers == [1, 2]
    assert db.session.scalar(select(VoucherUse.order_id).where(VoucherUse.use_number == 1)) == (
        again.id
    )
