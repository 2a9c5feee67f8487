"""Checkout: the cart becomes an order awaiting payment, its stock taken, in one unit of work."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.services import AccountError, normalise_email, normalise_phone
from marketplace.catalog import places
from marketplace.catalog.pricing import commission_rate_bp, promotion_now
from marketplace.catalog.services import today_local
from marketplace.db import db, now_utc
from marketplace.errors import Refusals
from marketplace.inventory.capacity import production_day_for
from marketplace.numbers import is_ascii_digits
from marketplace.orders import shipping, vouchers
from marketplace.orders.cart import SessionCart, clear_cart, closed_message, load_cart
from marketplace.orders.cart_lines import Cart
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
    #: optional: without it the buyer hears through WhatsApp and the order's private link
    email: str
    whatsapp: str
    delivery: str
    #: Kemendagri codes from the official list: ``65``, ``65.71``, ``65.71.01``
    province: str = ""
    city: str = ""
    district: str = ""
    street: str = ""
    postal_code: str = ""
    #: with delivery "ship": the households whose part the buyer collects instead
    pickup_seller_ids: frozenset[int] = frozenset()
    #: the courier and service the buyer chose per household: {household: "jne:reg"}
    rate_choices: dict[int, str] = field(default_factory=dict)


def check_place(details: CheckoutDetails, refuse) -> None:
    """The address's regions, each from the official list and inside the one above it."""
    if places.level(details.province) != 1 or not places.name_of(details.province):
        refuse(_l("Pilih provinsi dari daftar."), "province")
    elif not details.city:
        refuse(_l("Pilih kabupaten/kota."), "city")
    elif not places.is_inside(details.city, details.province):
        refuse(
            _l("Kabupaten/kota ini tidak ada di provinsi yang dipilih. Pilih dari daftar."), "city"
        )
    if details.delivery != Delivery.SHIP.value or not places.is_inside(
        details.city, details.province
    ):
        return
    city = places.name_of(details.city)
    if not details.district:
        refuse(_l("Pilih kecamatan."), "district")
    elif not places.is_inside(details.district, details.city):
        refuse(_l("Kecamatan ini tidak ada di %(city)s. Pilih dari daftar.", city=city), "district")
    postal_code = details.postal_code
    known = places.postal_codes(details.district)
    if not (len(postal_code) == 5 and is_ascii_digits(postal_code)):
        refuse(_l("Kode pos terdiri dari 5 angka."), "postal_code")
    elif known and postal_code not in known and places.is_inside(details.district, details.city):
        refuse(
            _l(
                "Kode pos %(code)s tidak dipakai di Kecamatan %(district)s: %(known)s.",
                code=postal_code,
                district=places.name_of(details.district),
                known=", ".join(known),
            ),
            "postal_code",
        )


def clean_details(details: CheckoutDetails) -> CheckoutDetails:
    """Check the contact and address, every rule, so the buyer learns of every problem at
    once; return them normalised."""
    problems = Refusals()

    def refuse(message, field: str) -> None:
        problems.add(CheckoutError(message, field=field))

    name = details.name.strip()
    if not name:
        refuse(_l("Isi nama penerima."), "name")
    email = whatsapp = ""
    if details.email.strip():
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
    shipped = details.delivery == Delivery.SHIP.value
    cleaned = CheckoutDetails(
        name=name,
        email=email,
        whatsapp=whatsapp,
        delivery=details.delivery,
        province=details.province.strip(),
        city=details.city.strip(),
        # collected at the household: no street address is asked for
        district=details.district.strip() if shipped else "",
        street=details.street.strip() if shipped else "",
        postal_code=details.postal_code.strip() if shipped else "",
        pickup_seller_ids=frozenset(details.pickup_seller_ids),
        rate_choices=dict(details.rate_choices),
    )
    check_place(cleaned, refuse)
    if shipped and not cleaned.street:
        refuse(_l("Isi alamat jalan dan nomor rumah."), "street")
    problems.raise_any()
    return cleaned


class SummaryChanged(CheckoutError):
    """What the buyer confirmed is not what would be charged: nothing is placed, and the
    page shows the new summary with each change named."""

    status_code = 409

    def __init__(self, changes: list[str]):
        super().__init__(
            _l("Ringkasan pesanan berubah sejak Anda melihatnya. Periksa lalu pesan lagi.")
        )
        self.changes = changes


#: "t145000;l12=2x35000;l13:5=1x40000;s4=20000;s5=p": the total, each line (product and
#: option, quantity, unit price) and each household's shipping ("p" when collected), as the
#: page showed them
_SEEN_PART = re.compile(
    r"t([0-9]{1,13})|l([0-9]{1,10}(?::[0-9]{1,10})?)=([0-9]{1,3})x([0-9]{1,13})"
    r"|s([0-9]{1,10})=(p|[0-9]{1,13})"
)
MAX_SUMMARY_LENGTH = 4000


def summary_of(cart: Cart) -> str:
    """The fingerprint of the summary a page shows, carried by its form."""
    parts = [f"t{cart.total_amount}"]
    for group in cart.groups:
        parts += [
            f"l{line.key}={line.quantity}x{line.price_now}"
            for line in group.lines
            if not line.is_unavailable
        ]
        parts.append(f"s{group.seller.id}={'p' if group.pickup else group.shipping_amount}")
    return ";".join(parts)


def _read_summary(text: str) -> tuple[int | None, dict[str, tuple[int, int]], dict[int, str]]:
    """(total, {line key: (quantity, unit price)}, {household: shipping}) from a fingerprint;
    anything unreadable reads as nothing seen."""
    total, lines, shipping = None, {}, {}
    for part in text[:MAX_SUMMARY_LENGTH].split(";"):
        found = _SEEN_PART.fullmatch(part)
        if found is None:
            return None, {}, {}
        if found[1]:
            total = int(found[1])
        elif found[2]:
            lines[found[2]] = (int(found[3]), int(found[4]))
        else:
            shipping[int(found[5])] = found[6]
    return total, lines, shipping


def _shipping_label(value: str) -> str:
    return str(_l("ambil sendiri")) if value == "p" else format_rupiah(int(value))


def changes_since(seen: str, cart: Cart) -> list[str]:
    """What differs between the summary the buyer saw (its fingerprint) and ``cart``,
    each change in words: prices, quantities, households and their shipping, the total."""
    if seen == summary_of(cart):
        return []
    total, lines, shipping = _read_summary(seen)
    if total is None:  # not a summary this site wrote: show the summary anew
        return [_l("Ringkasan pesanan sudah diperbarui.")]
    changes = []
    for group in cart.groups:
        for line in group.lines:
            before = lines.pop(line.key, None)
            name = line.name
            if before is None:
                changes.append(_l("%(name)s masuk ke pesanan.", name=name))
            elif before[1] != line.price_now:
                changes.append(
                    _l(
                        "%(name)s berubah harga dari %(old)s menjadi %(new)s.",
                        name=name,
                        old=format_rupiah(before[1]),
                        new=format_rupiah(line.price_now),
                    )
                )
            elif before[0] != line.quantity:
                changes.append(_l("Jumlah %(name)s sekarang %(n)s.", name=name, n=line.quantity))
        now = "p" if group.pickup else str(group.shipping_amount)
        before_shipping = shipping.pop(group.seller.id, None)
        if before_shipping is not None and before_shipping != now:
            changes.append(
                _l(
                    "Ongkir dari %(shop)s sekarang %(new)s (sebelumnya %(old)s), dihitung "
                    "untuk alamat yang Anda kirim.",
                    shop=group.seller.shop_name,
                    new=_shipping_label(now),
                    old=_shipping_label(before_shipping),
                )
            )
    if lines:
        changes.append(_l("Ada produk yang tidak ada lagi di keranjang."))
    if total is not None and total != cart.total_amount:
        changes.append(
            _l(
                "Total sekarang %(new)s (sebelumnya %(old)s).",
                new=format_rupiah(cart.total_amount),
                old=format_rupiah(total),
            )
        )
    return changes or [_l("Ringkasan pesanan sudah diperbarui.")]


def figures_of(cart: Cart) -> dict:
    """The summary's figures as the page shows them, for its live update (JSON)."""
    return {
        "groups": [
            {
                "seller": group.seller.id,
                "shipping": str(_l("Ambil sendiri"))
                if group.pickup
                else format_rupiah(group.shipping_amount),
                "pickup": group.pickup,
                "can_pickup": group.can_pickup,
            }
            for group in cart.groups
        ],
        "items": format_rupiah(cart.items_amount),
        "shipping": format_rupiah(cart.shipping_amount),
        "total": format_rupiah(cart.total_amount),
        "summary": summary_of(cart),
    }


def _courier_of(group) -> dict[str, str]:
    """What a part keeps of the rate charged: the courier chosen at checkout (the zone
    table's parcels leave it to the household, who types it when shipping)."""
    rate = group.rate
    if group.pickup or rate is None or rate.courier_code == shipping.ZONE_COURIER:
        return {}
    return {"courier": f"{rate.courier} {rate.service}"[:60], "courier_service": rate.key}


def find_order_by_checkout_key(checkout_key: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.checkout_key == checkout_key))


def place_order(
    details: CheckoutDetails,
    *,
    checkout_key: str,
    user_id: int | None,
    session_cart: SessionCart,
    referral: str | None = None,
    seen_summary: str | None = None,
    voucher_code: str | None = None,
) -> Order:
    """Turn the cart into an order awaiting payment, taking its stock.

    The same ``checkout_key`` again (a double tap, a second tab) returns the first order.
    ``referral`` is the reference of the shared link the buyer came through, told on.
    ``seen_summary`` is the fingerprint of the summary the buyer confirmed (``summary_of``):
    when the order would differ from it, SummaryChanged names what changed instead.
    ``voucher_code``: a voucher campaign's code; its discount is taken from its budget here.
    """
    if existing := find_order_by_checkout_key(checkout_key):
        return existing
    details = clean_details(details)
    # Re-read the cart and its products inside this transaction, never a stale page.
    cart = load_cart(
        user_id=user_id,
        session_cart=session_cart,
        province=details.province,
        city=details.city,
        delivery=details.delivery,
        pickup_seller_ids=details.pickup_seller_ids,
        postal_code=details.postal_code,
        rate_choices=details.rate_choices,
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
                    name=line.name,
                )
            )
    for line in cart.lines:
        if line.price_changed and line.product is not None:
            raise CheckoutError(
                _l(
                    "%(name)s berubah harga dari %(old)s menjadi %(new)s. Periksa keranjang Anda.",
                    name=line.name,
                    old=format_rupiah(line.seen_price_amount),
                    new=format_rupiah(line.price_now),
                )
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
    if seen_summary is not None and (changes := changes_since(seen_summary, cart)):
        raise SummaryChanged(changes)
    taken = _take_voucher(voucher_code, cart, user_id, details)
    discount = taken.amount if taken else 0

    now = now_utc()
    order = Order(
        checkout_key=checkout_key,
        buyer_id=user_id,
        contact_name=details.name,
        contact_email=details.email,
        contact_whatsapp=details.whatsapp,
        delivery=details.delivery,
        province=places.name_of(details.province) or "",
        city=places.name_of(details.city) or "",
        district=places.name_of(details.district) or "",
        street=details.street,
        postal_code=details.postal_code,
        items_amount=cart.items_amount,
        shipping_amount=cart.shipping_amount,
        discount_amount=discount,
        voucher_id=taken.voucher.id if taken else None,
        total_amount=cart.total_amount - discount,
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
            discount_amount=taken.by_seller.get(group.seller.id, 0) if taken else 0,
            weight_grams=group.weight_grams,
            delivery=Delivery.PICKUP.value if group.pickup else Delivery.SHIP.value,
            **_courier_of(group),
            commission_rate_bp=commission_rate_bp(line.product for line in group.lines),
        )
        for line in group.lines:
            product, variant = line.product, line.variant
            assert product is not None
            part.lines.append(
                OrderLine(
                    product_id=product.id,
                    product_name=product.name,
                    variant_id=variant.id if variant else None,
                    variant_label=variant.label if variant else "",
                    unit=product.unit,
                    unit_price_amount=line.price_now,
                    list_price_amount=variant.price_amount if variant else product.price_amount,
                    promotion_id=promotion_now(product, variant.price_amount if variant else None),
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
    if taken:
        vouchers.record_use(taken, order.id)
    take_order_stock(order)
    record_event(order, None, None, OrderStatus.AWAITING_PAYMENT, "buyer", user_id)
    clear_cart(user_id=user_id, session_cart=session_cart)
    db.session.flush()
    order_placed.send(order, referral=referral)
    return order


def _take_voucher(code: str | None, cart, user_id: int | None, details) -> vouchers.Taken | None:
    """The voucher typed at checkout, taken from its budget, or None without a code."""
    if not vouchers.clean_code(code):
        return None
    return vouchers.take(
        code or "",
        [(line.product_id, line.product.seller_id, line.line_amount) for line in cart.lines],
        vouchers.buyer_key(user_id, details.email, details.whatsapp),
        cap=cart.total_amount - MIN_ORDER_AMOUNT,
    )
