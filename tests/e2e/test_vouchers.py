"""A buyer uses the PKK's voucher at checkout on a phone: a wrong code is refused with the
reason and the form kept; the right one shows its discount as a line of its own on the
pay page, and the total charged is the goods and shipping less it. On a product with
options, the buyer chooses one on the product page and the order carries it."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select

from marketplace.catalog.models import Product
from marketplace.catalog.options import ProductVariant
from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.orders import vouchers
from marketplace.orders.models import OrderLine, Voucher, VoucherUse
from marketplace.sellers.variants import OptionRow, save_options
from tests.cleanup import committing_session, purge_orders_of
from tests.e2e.helpers import assert_fits_the_phone

pytestmark = pytest.mark.e2e

GUEST = "Ibu Voucher E2E"
CODE = "HARIIBUE2E"


def _cleanup() -> None:
    purge_orders_of("", name=GUEST)
    voucher_ids = select(Voucher.id).where(Voucher.code == CODE)
    db.session.execute(delete(VoucherUse).where(VoucherUse.voucher_id.in_(voucher_ids)))
    db.session.execute(delete(Voucher).where(Voucher.code == CODE))


@pytest.fixture
def campaign(app):
    with committing_session(_cleanup) as session:
        _cleanup()
        vouchers.create_campaign(
            code=CODE,
            sponsor="pkk",
            kind="amount",
            value=5000,
            budget=100_000,
            per_buyer_limit=1,
            starts_on=today_local(),
            ends_on=today_local() + dt.timedelta(days=2),
        )
        session.commit()
        yield session


def _rupiah(amount: int) -> str:
    return "Rp" + f"{amount:,}".replace(",", ".")


def test_a_buyer_uses_a_voucher(campaign, open_phone):
    product = db.session.scalar(
        select(Product)
        .where(Product.status == "published", Product.stock > 2, ~Product.is_made_to_order)
        .order_by(Product.id)
    )
    slug = product.slug
    db.session.rollback()

    buyer = open_phone("voucher")
    buyer.goto(f"/produk/{slug}")
    buyer.get_by_role("button", name="Masukkan keranjang").click()
    expect(buyer.get_by_text("Produk dimasukkan ke keranjang.")).to_be_visible()
    buyer.goto("/checkout")
    buyer.get_by_label("Nama penerima").fill(GUEST)
    buyer.get_by_label("Nomor WhatsApp").fill("0812 7777 5678")
    buyer.get_by_label("Provinsi").select_option(label="Kalimantan Timur")
    buyer.get_by_label("Kabupaten/kota", exact=True).select_option(label="Kota Samarinda")
    buyer.get_by_label("Kecamatan").select_option(label="Sungai Kunjang")
    buyer.get_by_label("Kode pos").fill("75125")
    buyer.get_by_label("Alamat", exact=True).fill("Jl. Pahlawan No. 11")
    # The live shipping for the city has arrived (the estimate note goes): the summary the
    # form confirms is the one the server will charge.
    expect(buyer.locator("[data-estimate]")).to_be_hidden()

    buyer.get_by_label("Kode voucher (tidak wajib)").fill("SALAH")
    buyer.get_by_role("button", name="Buat pesanan dan bayar").click()
    expect(buyer.locator("#voucher_code-error")).to_have_text("Kode voucher tidak dikenal.")
    expect(buyer.get_by_label("Nama penerima")).to_have_value(GUEST)
    expect(buyer.get_by_label("Kode voucher (tidak wajib)")).to_have_value("SALAH")
    # The refused page's summary is the server's, for the address typed (the live figures
    # of the first page may still have been on their way).
    total = buyer.locator("[data-totals] strong").inner_text()

    buyer.get_by_label("Kode voucher (tidak wajib)").fill(CODE.lower())
    buyer.get_by_role("button", name="Buat pesanan dan bayar").click()
    expect(buyer.get_by_role("heading", name="Mode uji")).to_be_visible()
    expect(buyer.get_by_role("row", name=f"Voucher {CODE}")).to_contain_text("−Rp5.000")
    charged = int(total.replace("Rp", "").replace(".", "")) - 5000
    expect(buyer.get_by_role("row", name="Total dibayar")).to_contain_text(_rupiah(charged))
    assert_fits_the_phone(buyer)


OPTION_GUEST = "Ibu Pilihan E2E"


@pytest.fixture
def options_on_sale(campaign):
    """A demo product given two options (rasa) for the journey; afterwards its orders go,
    its options go and its own price and stock come back."""
    product = campaign.scalar(
        select(Product)
        .where(Product.status == "published", Product.stock > 2, ~Product.is_made_to_order)
        .order_by(Product.id.desc())
    )
    before = (product.price_amount, product.stock)

    def restore() -> None:
        campaign.rollback()  # no read of this session's may stand before the writes
        purge_orders_of("", name=OPTION_GUEST)
        campaign.execute(delete(ProductVariant).where(ProductVariant.product_id == product.id))
        campaign.expire_all()
        again = campaign.get(Product, product.id)
        again.price_amount, again.stock = before
        campaign.commit()

    save_options(
        product,
        [
            OptionRow(label="Original / 250 g", price="30.000", stock="5", weight="250"),
            OptionRow(label="Pedas / 250 g", price="32.000", stock="5", weight="250"),
        ],
    )
    campaign.commit()
    try:
        yield product.slug, product.id
    finally:
        restore()


def test_a_buyer_uses_a_voucher_on_an_option(options_on_sale, open_phone):
    slug, product_id = options_on_sale
    buyer = open_phone("voucher-option")
    buyer.goto(f"/produk/{slug}")
    expect(buyer.locator(".price.big")).to_contain_text("mulai")
    # the cheapest option in stock is chosen first; the buyer takes the other
    expect(buyer.get_by_role("radio", name="Original / 250 g")).to_be_checked()
    buyer.get_by_text("Pedas / 250 g").click()
    expect(buyer.get_by_role("radio", name="Pedas / 250 g")).to_be_checked()
    buyer.get_by_role("button", name="Masukkan keranjang").click()
    expect(buyer.get_by_text("Produk dimasukkan ke keranjang.")).to_be_visible()

    buyer.goto("/keranjang")
    expect(buyer.locator("[data-variant]")).to_have_text("Pedas / 250 g")
    expect(buyer.locator(".cart-amount").first).to_have_text("Rp32.000")

    buyer.goto("/checkout")
    buyer.get_by_label("Nama penerima").fill(OPTION_GUEST)
    buyer.get_by_label("Nomor WhatsApp").fill("0812 7777 5679")
    buyer.get_by_label("Provinsi").select_option(label="Kalimantan Timur")
    buyer.get_by_label("Kabupaten/kota", exact=True).select_option(label="Kota Samarinda")
    buyer.get_by_label("Kecamatan").select_option(label="Sungai Kunjang")
    buyer.get_by_label("Kode pos").fill("75125")
    buyer.get_by_label("Alamat", exact=True).fill("Jl. Pahlawan No. 12")
    # The live shipping for the city has arrived (the estimate note goes): the summary the
    # form confirms is the one the server will charge.
    expect(buyer.locator("[data-estimate]")).to_be_hidden()
    buyer.get_by_label("Kode voucher (tidak wajib)").fill("SALAH")
    buyer.get_by_role("button", name="Buat pesanan dan bayar").click()
    expect(buyer.locator("#voucher_code-error")).to_have_text("Kode voucher tidak dikenal.")
    expect(buyer.get_by_text("(Pedas / 250 g)").first).to_be_visible()
    total = buyer.locator("[data-totals] strong").inner_text()

    buyer.get_by_label("Kode voucher (tidak wajib)").fill(CODE)
    buyer.get_by_role("button", name="Buat pesanan dan bayar").click()
    expect(buyer.get_by_role("heading", name="Mode uji")).to_be_visible()
    expect(buyer.get_by_role("row", name=f"Voucher {CODE}")).to_contain_text("−Rp5.000")
    expect(buyer.get_by_role("row", name="Jumlah")).to_contain_text("Rp32.000")
    charged = int(total.replace("Rp", "").replace(".", "")) - 5000
    expect(buyer.get_by_role("row", name="Total dibayar")).to_contain_text(_rupiah(charged))
    assert_fits_the_phone(buyer)
    buyer.get_by_role("link", name="Lihat pesanan").click()
    expect(buyer.get_by_text("(Pedas / 250 g)").first).to_be_visible()

    db.session.rollback()
    line = db.session.scalar(
        select(OrderLine).where(OrderLine.product_id == product_id).order_by(OrderLine.id.desc())
    )
    assert (line.variant_label, line.unit_price_amount) == ("Pedas / 250 g", 32000)
    stocks = dict(
        db.session.execute(
            select(ProductVariant.label, ProductVariant.stock).where(
                ProductVariant.product_id == product_id
            )
        ).all()
    )
    assert stocks == {"Original / 250 g": 5, "Pedas / 250 g": 4}
