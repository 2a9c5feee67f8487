"""Checkout: the cart becomes an order awaiting payment, its stock taken, in one unit of work."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.services import AccountError, normalise_email, normalise_phone
from marketplace.catalog.pricing import commission_rate_bp
from marketplace.catalog.services import today_local
from marketplace.db import db, now_utc
from marketplace.errors import Refusals
from marketplace.inventory.capacity import production_day_for
from marketplace.numbers import is_ascii_digits
from marketplace.orders import shipping
from marketplace.orders.cart import SessionCart, clear_cart, closed_message, load_cart
from marketplace.orders.lifecycle import (
    record_event,
)
from marketplace.orders.models import (
    Delivery,
    Order,
    OrderLine,
    OrderPart,
    OrderStatus,
)
from marketplace.orders.signals import order_placed
from marketplace.orders.stock import (
    CheckoutError,
    SoldOut,
    take_order_stock,
)
from marketplace.rupiah import format_rupiah

PAYMENT_WINDOW = dt.timedelta(minutes=30)


#: whole rupiah
MIN_ORDER_AMOUNT = 10_000


@dataclass
class CheckoutDetails:
    name: str
    email: str
    whatsapp: str
    delivery: str
    province: str = ""
    city: str = ""
    district: str = ""
    street: str = ""
    postal_code: str = ""
    #: with delivery "ship": the households whose part the buyer collects instead
    pickup_seller_ids: frozenset[int] = frozenset()


def _clean_details(details: CheckoutDetails) -> CheckoutDetails:
    """Check the contact and address, every rule, so the buyer learns of every problem at
    once; return them normalised."""
    problems = Refusals()

    def refuse(message, field: str) -> None:
        problems.add(CheckoutError(message, field=field))

    name = details.name.strip()
    if not name:
        refuse(_l("Isi nama penerima."), "name")
    email = whatsapp = ""
    try:
        email = normalise_email(details.email)
    except AccountError as error:
        refuse(error.message, "email")
    try:
        whatsapp = normalise_phone(details.whatsapp)
    except AccountError as error:
        refuse(error.message, "whatsapp")
    if details.delivery not in (Delivery.SHIP.value, Delivery.PICKUP.value):
        refuse(_l("Pilih cara pengiriman."), "delivery")
    if details.province not in shipping.PROVINCES:
        refuse(_l("Pilih provinsi."), "province")
    city = details.city.strip()
    if not city:
        refuse(_l("Isi kabupaten/kota."), "city")
    district, street = details.district.strip(), details.street.strip()
    postal_code = details.postal_code.strip()
    if details.delivery == Delivery.SHIP.value:
        if not district:
            refuse(_l("Isi kecamatan."), "district")
        if not street:
            refuse(_l("Isi alamat jalan dan nomor rumah."), "street")
        if not (len(postal_code) == 5 and is_ascii_digits(postal_code)):
            refuse(_l("Kode pos terdiri dari 5 angka."), "postal_code")
    problems.raise_any()
    return CheckoutDetails(
        name=name,
        email=email,
        whatsapp=whatsapp,
        delivery=details.delivery,
        province=details.province,
        city=city,
        district=district,
        street=street,
        postal_code=postal_code,
        pickup_seller_ids=frozenset(details.pickup_seller_ids),
    )


def find_order_by_checkout_key(checkout_key: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.checkout_key == checkout_key))


def place_order(
    details: CheckoutDetails,
    *,
    checkout_key: str,
    user_id: int | None,
    session_cart: SessionCart,
    referral: str | None = None,
) -> Order:
    """Turn the cart into an order awaiting payment, taking its stock.

    The same ``checkout_key`` again (a double tap, a second tab) returns the first order.
    ``referral`` is the reference of the shared link the buyer came through, told on.
    """
    if existing := find_order_by_checkout_key(checkout_key):
        return existing
    details = _clean_details(details)
    # Re-read the cart and its products inside this transaction, never a stale page.
    cart = load_cart(
        user_id=user_id,
        session_cart=session_cart,
        province=details.province,
        city=details.city,
        delivery=details.delivery,
        pickup_seller_ids=details.pickup_seller_ids,
    )
    if cart.is_empty:
        raise CheckoutError(_l("Keranjang Anda kosong."))
    for line in cart.lines:
        if line.closure and line.product is not None:
            raise SoldOut(
                closed_message(line.product.seller.shop_name, line.closure)
                + " "
                + _("Hapus produknya dari keranjang atau pesan lagi sesudah itu.")
            )
        if line.is_unavailable:
            raise SoldOut(
                _l("Ada produk di keranjang yang tidak dijual lagi. Periksa keranjang Anda.")
            )
        if line.is_short and line.product is not None:
            raise SoldOut(
                _l(
                    "Maaf, stok %(name)s tidak cukup lagi. Ubah jumlahnya di keranjang.",
                    name=line.product.name,
                )
            )
    if cart.has_problem:
        raise CheckoutError(
            _l("Ada produk di keranjang yang berubah harga. Periksa keranjang Anda.")
        )
    if cart.items_amount < MIN_ORDER_AMOUNT:
        # Card payments below about Rp10.000 fall under Stripe's minimum charge.
        raise CheckoutError(
            _l("Belanja minimal %(amount)s.", amount=format_rupiah(MIN_ORDER_AMOUNT))
        )
    for group in cart.groups:
        wants_pickup = (
            details.delivery == Delivery.PICKUP.value
            or group.seller.id in details.pickup_seller_ids
        )
        if wants_pickup and not group.can_pickup:
            raise CheckoutError(
                _l(
                    "Ambil sendiri hanya untuk pembeli di kabupaten/kota yang sama "
                    "dengan %(shop)s.",
                    shop=group.seller.shop_name,
                ),
                field="delivery",
            )

    now = now_utc()
    order = Order(
        checkout_key=checkout_key,
        buyer_id=user_id,
        contact_name=details.name,
        contact_email=details.email,
        contact_whatsapp=details.whatsapp,
        delivery=details.delivery,
        province=details.province,
        city=details.city,
        district=details.district,
        street=details.street,
        postal_code=details.postal_code,
        items_amount=cart.items_amount,
        shipping_amount=cart.shipping_amount,
        total_amount=cart.total_amount,
        created_at=now,
        expires_at=now + PAYMENT_WINDOW,
    )
    today = today_local()
    for group in cart.groups:
        part = OrderPart(
            seller_id=group.seller.id,
            shop_name=group.seller.shop_name,
            items_amount=group.items_amount,
            shipping_amount=group.shipping_amount,
            weight_grams=group.weight_grams,
            delivery=Delivery.PICKUP.value if group.pickup else Delivery.SHIP.value,
            commission_rate_bp=commission_rate_bp(line.product for line in group.lines),
        )
        for line in group.lines:
            product = line.product
            assert product is not None
            part.lines.append(
                OrderLine(
                    product_id=product.id,
                    product_name=product.name,
                    unit=product.unit,
                    unit_price_amount=product.price_now,
                    quantity=line.quantity,
                    line_amount=line.line_amount,
                    production_day=(
                        production_day_for(product.lead_time_days, today)
                        if product.is_made_to_order
                        else None
                    ),
                )
            )
        order.parts.append(part)
    db.session.add(order)
    # The unique checkout key is checked here, before any stock is touched.
    db.session.flush()
    take_order_stock(order)
    record_event(order, None, None, OrderStatus.AWAITING_PAYMENT, "buyer", user_id)
    clear_cart(user_id=user_id, session_cart=session_cart)
    db.session.flush()
    order_placed.send(order, referral=referral)
    return order
