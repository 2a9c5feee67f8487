"""Choosing a courier at checkout in Chromium: the app under gunicorn with Biteship
configured (tests/biteship_server); the price picked is the one charged."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.db import db
from marketplace.orders.models import Order
from tests.cleanup import committing_session, purge_orders_of
from tests.conftest import served_env
from tests.e2e.conftest import ARTIFACTS, PHONE
from tests.e2e.test_buying import _in_stock_product
from tests.servers import gunicorn

pytestmark = pytest.mark.e2e

BUYER_EMAIL = "kurir-e2e@contoh.id"


@pytest.fixture
def biteship_site(app, biteship_server, tmp_path) -> Iterator[str]:
    env = served_env(
        app,
        tmp_path,
        BITESHIP_API_KEY=biteship_server.api_key,
        BITESHIP_API_BASE=biteship_server.url,
    )
    with gunicorn(env, workers=2, threads=4) as base:
        yield base


@pytest.fixture
def real_session(app):
    with committing_session(lambda: purge_orders_of(BUYER_EMAIL)) as session:
        yield session


def test_the_buyer_picks_jne_yes_and_pays_that_shipping(real_session, biteship_site, browser):
    product = _in_stock_product()
    slug = product.slug
    db.session.rollback()
    context = browser.new_context(
        base_url=biteship_site, viewport=PHONE, is_mobile=True, has_touch=True, locale="id-ID"
    )
    buyer = context.new_page()
    try:
        buyer.goto(f"/produk/{slug}")
        buyer.get_by_role("button", name="Masukkan keranjang").click()
        expect(buyer.get_by_text("Produk dimasukkan ke keranjang.")).to_be_visible()
        buyer.goto("/checkout")
        buyer.get_by_label("Nama penerima").fill("Rina Kurir")
        buyer.get_by_label("E-mail").fill(BUYER_EMAIL)
        buyer.get_by_label("Nomor WhatsApp").fill("0812 3456 7890")
        buyer.get_by_label("Kabupaten/kota", exact=True).select_option(label="Kota Tarakan")
        buyer.get_by_label("Kecamatan").select_option(label="Tarakan Barat")
        buyer.get_by_label("Alamat", exact=True).fill("Jl. Yos Sudarso No. 5")
        buyer.get_by_label("Kode pos").fill("77111")
        buyer.get_by_role("button", name="Hitung ongkir").click()
        jne_yes = buyer.get_by_label(re.compile(r"^JNE YES: Rp"))
        expect(jne_yes).to_be_visible()
        label = buyer.locator("label", has_text="JNE YES").inner_text()
        price = int(re.search(r"Rp([0-9.]+)", label)[1].replace(".", ""))
        jne_yes.check()
        # the script brings the totals up to the courier picked
        expect(buyer.locator("[data-totals] dd").nth(1)).to_have_text(
            "Rp" + f"{price:,}".replace(",", ".")
        )
        buyer.get_by_role("button", name="Buat pesanan dan bayar").click()
        expect(buyer).to_have_url(re.compile(r"/pesanan/[^/]+/bayar"))
        real_session.expire_all()
        order = real_session.scalars(select(Order).where(Order.contact_email == BUYER_EMAIL)).one()
        [part] = order.parts
        assert (part.shipping_amount, part.courier, part.courier_service) == (
            price,
            "JNE YES",
            "jne:yes",
        )
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        buyer.screenshot(path=ARTIFACTS / "choose_a_courier.png", full_page=True)
        context.close()
