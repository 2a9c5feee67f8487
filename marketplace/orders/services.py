"""Cart, checkout, stock and the status moves of orders and their parts.

Every function flushes and never commits: the view, the CLI command or the
webhook handler that calls it owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from marketplace.accounts.models import User
from marketplace.accounts.services import AccountError, normalise_email, normalise_phone
from marketplace.accounts.signals import signed_in
from marketplace.catalog.models import Product, Seller
from marketplace.catalog.pricing import commission_rate_bp
from marketplace.catalog.services import _public, today_local
from marketplace.db import db, now_utc
from marketplace.errors import MarketplaceError, NotFound
from marketplace.inventory.capacity import production_day_for
from marketplace.inventory.stock import (
    give_back_production,
    give_back_stock,
    take_production,
    take_stock,
)
from marketplace.jobs import enqueue
from marketplace.numbers import is_ascii_digits
from marketplace.observability import count
from marketplace.orders import shipping
from marketplace.orders.messages import notify_move
from marketplace.orders.models import (
    ORDER_MOVES,
    PART_MOVES,
    CartItem,
    Delivery,
    Order,
    OrderEvent,
    OrderLine,
    OrderPart,
    OrderStatus,
    PartStatus,
)
from marketplace.orders.signals import part_delivered
from marketplace.rupiah import format_rupiah

MAX_QUANTITY = 99
MAX_CART_LINES = 50
PAYMENT_WINDOW = dt.timedelta(minutes=30)
#: the ``to_status`` of an order event that gave money back without moving the part
REFUND_EVENT = "refund"
#: whole rupiah
MIN_ORDER_AMOUNT = 10_000


class CartError(MarketplaceError):
    pass


class CheckoutError(MarketplaceError):
    pass


class SoldOut(CheckoutError):
    status_code = 409


class MoveRefused(MarketplaceError):
    status_code = 409


# --- cart ---------------------------------------------------------------------------------

#: A signed-out cart, kept in the signed session cookie: {"<product id>": [quantity, price seen]}
SessionCart = dict[str, list[int]]


@dataclass
class CartLine:
    product_id: int
    quantity: int
    seen_price_amount: int
    product: Product | None

    @property
    def is_unavailable(self) -> bool:
        return self.product is None

    @property
    def is_short(self) -> bool:
        """Fewer units left than wanted (made-to-order products are checked at checkout)."""
        product = self.product
        return (
            product is not None and not product.is_made_to_order and product.stock < self.quantity
        )

    @property
    def price_changed(self) -> bool:
        return self.product is not None and self.product.price_amount != self.seen_price_amount

    @property
    def has_problem(self) -> bool:
        return self.is_unavailable or self.is_short or self.price_changed

    @property
    def line_amount(self) -> int:
        return self.product.price_amount * self.quantity if self.product else 0

    @property
    def weight_grams(self) -> int:
        return self.product.weight_grams * self.quantity if self.product else 0


@dataclass
class CartGroup:
    """The lines from one household, with what shipping them costs."""

    seller: Seller
    lines: list[CartLine] = field(default_factory=list)
    shipping_amount: int = 0
    #: the buyer is in the household's kabupaten/kota, so may collect it there
    can_pickup: bool = False
    #: collected at the household: no shipping
    pickup: bool = False

    @property
    def items_amount(self) -> int:
        return sum(line.line_amount for line in self.lines)

    @property
    def weight_grams(self) -> int:
        return sum(line.weight_grams for line in self.lines)


@dataclass
class Cart:
    groups: list[CartGroup]
    unavailable: list[CartLine]

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.unavailable

    @property
    def lines(self) -> list[CartLine]:
        return [line for group in self.groups for line in group.lines] + self.unavailable

    @property
    def has_problem(self) -> bool:
        return any(line.has_problem for line in self.lines)

    @property
    def items_amount(self) -> int:
        return sum(group.items_amount for group in self.groups)

    @property
    def shipping_amount(self) -> int:
        return sum(group.shipping_amount for group in self.groups)

    @property
    def total_amount(self) -> int:
        return self.items_amount + self.shipping_amount

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)


def check_quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise CartError(_l("Jumlah harus antara 1 dan %(n)s.", n=MAX_QUANTITY), field="quantity")
    return quantity


def _public_product(product_id: int) -> Product:
    product = db.session.scalar(
        _public(select(Product).join(Product.seller)).where(Product.id == product_id)
    )
    if product is None:
        raise CartError(_l("Produk ini tidak tersedia lagi."))
    return product


def _stored_lines(user_id: int | None, session_cart: SessionCart) -> dict[int, tuple[int, int]]:
    """{product id: (quantity, price seen)} from the database or the session."""
    if user_id is None:
        return {int(key): (value[0], value[1]) for key, value in session_cart.items()}
    rows = db.session.scalars(select(CartItem).where(CartItem.user_id == user_id))
    return {row.product_id: (row.quantity, row.seen_price_amount) for row in rows}


def _store_line(
    user_id: int | None, session_cart: SessionCart, product_id: int, quantity: int, price: int
) -> None:
    if user_id is None:
        session_cart[str(product_id)] = [quantity, price]
        return
    item = db.session.scalar(
        select(CartItem).where(CartItem.user_id == user_id, CartItem.product_id == product_id)
    )
    if item is None:
        db.session.add(
            CartItem(
                user_id=user_id,
                product_id=product_id,
                quantity=quantity,
                seen_price_amount=price,
            )
        )
    else:
        item.quantity = quantity
        item.seen_price_amount = price
    db.session.flush()


def add_to_cart(
    product_id: int, quantity: int, *, user_id: int | None, session_cart: SessionCart
) -> None:
    """Put ``quantity`` more of a product in the cart, at today's price."""
    check_quantity(quantity)
    product = _public_product(product_id)
    stored = _stored_lines(user_id, session_cart)
    if product_id not in stored and len(stored) >= MAX_CART_LINES:
        raise CartError(_l("Keranjang sudah penuh (%(n)s produk).", n=MAX_CART_LINES))
    total = min(stored.get(product_id, (0, 0))[0] + quantity, MAX_QUANTITY)
    _store_line(user_id, session_cart, product_id, total, product.price_amount)


def set_cart_quantity(
    product_id: int, quantity: int, *, user_id: int | None, session_cart: SessionCart
) -> None:
    """Change a line's quantity; it also accepts the product's current price."""
    check_quantity(quantity)
    stored = _stored_lines(user_id, session_cart)
    if product_id not in stored:
        raise CartError(_l("Produk ini tidak ada di keranjang."))
    product = _public_product(product_id)
    _store_line(user_id, session_cart, product_id, quantity, product.price_amount)


def remove_from_cart(product_id: int, *, user_id: int | None, session_cart: SessionCart) -> None:
    if user_id is None:
        session_cart.pop(str(product_id), None)
        return
    db.session.execute(
        delete(CartItem).where(CartItem.user_id == user_id, CartItem.product_id == product_id)
    )
    db.session.flush()


def accept_cart_prices(*, user_id: int | None, session_cart: SessionCart) -> None:
    """The buyer has seen the new prices: remember them as the ones agreed to."""
    for line in load_cart(user_id=user_id, session_cart=session_cart).lines:
        if line.product is not None and line.price_changed:
            _store_line(
                user_id, session_cart, line.product_id, line.quantity, line.product.price_amount
            )


def clear_cart(*, user_id: int | None, session_cart: SessionCart) -> None:
    session_cart.clear()
    if user_id is not None:
        db.session.execute(delete(CartItem).where(CartItem.user_id == user_id))
        db.session.flush()


def merge_session_cart(user_id: int, session_cart: SessionCart) -> None:
    """At sign-in, the signed-out cart joins the account's: quantities add up."""
    stored = _stored_lines(user_id, {})
    existing = set(
        db.session.scalars(
            _public(select(Product.id).join(Product.seller)).where(
                Product.id.in_([int(key) for key in session_cart])
            )
        )
    )
    for key, (quantity, price) in session_cart.items():
        product_id = int(key)
        if product_id not in existing:
            continue
        if product_id not in stored and len(stored) >= MAX_CART_LINES:
            break
        total = min(stored.get(product_id, (0, 0))[0] + quantity, MAX_QUANTITY)
        _store_line(user_id, {}, product_id, total, price)
        stored[product_id] = (total, price)
    session_cart.clear()


@signed_in.connect
def _carry_cart_into_account(user: User, carried: dict) -> None:
    """The cart a visitor filled before signing in joins the account's."""
    if carried.get("cart"):
        merge_session_cart(user.id, dict(carried["cart"]))


def load_cart(
    *,
    user_id: int | None,
    session_cart: SessionCart,
    province: str = shipping.KALTARA_PROVINCE,
    city: str = "",
    delivery: str = Delivery.SHIP.value,
    pickup_seller_ids: frozenset[int] = frozenset(),
) -> Cart:
    """The cart grouped by household, each group with its shipping to the destination.

    With ``delivery`` "pickup" every household's part is collected; otherwise those in
    ``pickup_seller_ids`` are, when the buyer is in their kabupaten/kota.
    """
    stored = _stored_lines(user_id, session_cart)
    products = {
        product.id: product
        for product in db.session.scalars(
            _public(select(Product).join(Product.seller).join(Seller.region))
            .where(Product.id.in_(list(stored)))
            .options(
                contains_eager(Product.seller).contains_eager(Seller.region),
                selectinload(Product.photos),
            )
        )
    }
    groups: dict[int, CartGroup] = {}
    unavailable: list[CartLine] = []
    for product_id, (quantity, price) in sorted(stored.items()):
        product = products.get(product_id)
        line = CartLine(product_id, quantity, price, product)
        if product is None:
            unavailable.append(line)
            continue
        group = groups.setdefault(product.seller_id, CartGroup(seller=product.seller))
        group.lines.append(line)
    for group in groups.values():
        group.can_pickup = shipping.is_same_region(province, city, group.seller.region.name)
        if delivery == Delivery.PICKUP.value or (
            group.can_pickup and group.seller.id in pickup_seller_ids
        ):
            group.pickup = True
            continue  # collected at the household: no parcel, no shipping
        zone = shipping.shipping_zone(province, city, group.seller.region.name)
        group.shipping_amount = shipping.shipping_amount(zone, group.weight_grams)
    ordered = sorted(groups.values(), key=lambda group: group.seller.shop_name)
    return Cart(groups=ordered, unavailable=unavailable)


# --- checkout -----------------------------------------------------------------------------


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
    """Check the contact and address; return them normalised."""
    name = details.name.strip()
    if not name:
        raise CheckoutError(_l("Isi nama penerima."), field="name")
    try:
        email = normalise_email(details.email)
    except AccountError as error:
        raise CheckoutError(error.message, field="email") from error
    try:
        whatsapp = normalise_phone(details.whatsapp)
    except AccountError as error:
        raise CheckoutError(error.message, field="whatsapp") from error
    if details.delivery not in (Delivery.SHIP.value, Delivery.PICKUP.value):
        raise CheckoutError(_l("Pilih cara pengiriman."), field="delivery")
    if details.province not in shipping.PROVINCES:
        raise CheckoutError(_l("Pilih provinsi."), field="province")
    city = details.city.strip()
    if not city:
        raise CheckoutError(_l("Isi kabupaten/kota."), field="city")
    district, street = details.district.strip(), details.street.strip()
    postal_code = details.postal_code.strip()
    if details.delivery == Delivery.SHIP.value:
        if not district:
            raise CheckoutError(_l("Isi kecamatan."), field="district")
        if not street:
            raise CheckoutError(_l("Isi alamat jalan dan nomor rumah."), field="street")
        if not (len(postal_code) == 5 and is_ascii_digits(postal_code)):
            raise CheckoutError(_l("Kode pos terdiri dari 5 angka."), field="postal_code")
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
) -> Order:
    """Turn the cart into an order awaiting payment, taking its stock.

    The same ``checkout_key`` again (a double tap, a second tab) returns the first order.
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
                    unit_price_amount=product.price_amount,
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
    _take_stock(order)
    _record(order, None, None, OrderStatus.AWAITING_PAYMENT, "buyer", user_id)
    clear_cart(user_id=user_id, session_cart=session_cart)
    db.session.flush()
    return order


def _stock_needs(order: Order) -> tuple[dict[int, int], dict[tuple[int, dt.date], int]]:
    """Units per product (stock) and per product and production day (made to order)."""
    per_product: dict[int, int] = defaultdict(int)
    per_day: dict[tuple[int, dt.date], int] = defaultdict(int)
    for part in order.parts:
        for line in part.lines:
            if line.product_id is None:
                continue
            if line.production_day is not None:
                per_day[(line.product_id, line.production_day)] += line.quantity
            else:
                per_product[line.product_id] += line.quantity
    return per_product, per_day


def _product_name(order: Order, product_id: int) -> str:
    for part in order.parts:
        for line in part.lines:
            if line.product_id == product_id:
                return line.product_name
    return ""


def _take_stock(order: Order) -> None:
    """One conditional UPDATE per product; the row count says whether the units were there."""
    per_product, per_day = _stock_needs(order)
    today = today_local()
    # Ascending product ids over both kinds, as holds lock them: no two writers ever wait
    # on each other's product rows in opposite order.
    needs = [(product_id, None, units) for product_id, units in per_product.items()]
    needs += [(product_id, day, units) for (product_id, day), units in per_day.items()]
    for product_id, day, units in sorted(needs, key=lambda need: (need[0], need[1] or today)):
        if day is not None:
            if not take_production(product_id, day, units, today):
                raise SoldOut(
                    _l(
                        "Maaf, %(shop)s tidak bisa membuat %(name)s sebanyak itu untuk "
                        "%(date)s. Kurangi jumlahnya di keranjang.",
                        shop=_shop_name(order, product_id),
                        name=_product_name(order, product_id),
                        date=format_date(day, "d MMMM"),
                    )
                )
            continue
        if not take_stock(product_id, units):
            raise SoldOut(
                _l(
                    "Maaf, stok %(name)s tidak cukup lagi. Ubah jumlahnya di keranjang.",
                    name=_product_name(order, product_id),
                )
            )
    db.session.expire_all()


def _shop_name(order: Order, product_id: int) -> str:
    for part in order.parts:
        if any(line.product_id == product_id for line in part.lines):
            return part.shop_name
    return ""


def give_back_part_stock(part: OrderPart) -> None:
    """The one way a cancelled part's stock (or made-to-order capacity) goes back."""
    per_product: dict[int, int] = defaultdict(int)
    per_day: dict[tuple[int, dt.date], int] = defaultdict(int)
    for line in part.lines:
        if line.product_id is None:
            continue
        if line.production_day is not None:
            per_day[(line.product_id, line.production_day)] += line.quantity
        else:
            per_product[line.product_id] += line.quantity
    _give_back(per_product, per_day)
    db.session.flush()


def _give_back_stock(order: Order) -> None:
    _give_back(*_stock_needs(order))


def _give_back(per_product: dict[int, int], per_day: dict[tuple[int, dt.date], int]) -> None:
    for product_id, units in sorted(per_product.items()):
        give_back_stock(product_id, units)
    for (product_id, day), units in sorted(per_day.items()):
        give_back_production(product_id, day, units)


# --- status moves -------------------------------------------------------------------------


def _record(
    order: Order,
    part: OrderPart | None,
    from_status: str | None,
    to_status: str,
    actor_kind: str,
    actor_id: int | None = None,
    note: str = "",
) -> None:
    db.session.add(
        OrderEvent(
            order_id=order.id,
            part_id=part.id if part else None,
            from_status=from_status,
            to_status=str(to_status),
            actor_kind=actor_kind,
            actor_id=actor_id,
            note=note,
        )
    )
    notify_move(order, part, str(to_status))
    count("order_moves", kind="part" if part else "order", to_status=str(to_status))


def move_order(
    order: Order, to: OrderStatus, *, actor_kind: str, actor_id: int | None = None, note: str = ""
) -> bool:
    """Move an order by one allowed step, guarded in the database.

    ``UPDATE ... WHERE status = <what we read>``: of two racing moves only one
    matches a row; the other gets False and changes nothing.
    """
    current = OrderStatus(order.status)
    if to not in ORDER_MOVES[current]:
        return False
    values: dict = {"status": to.value}
    if to is OrderStatus.PAID:
        values["paid_at"] = now_utc()
    result = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == current.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(order)
    if result.rowcount != 1:
        return False
    _record(order, None, current.value, to, actor_kind, actor_id, note)
    db.session.flush()
    return True


def _move_part(
    part: OrderPart,
    to: PartStatus,
    *,
    actor_kind: str,
    actor_id: int | None = None,
    values: dict | None = None,
    note: str = "",
) -> bool:
    current = PartStatus(part.status)
    if to not in PART_MOVES[current]:
        return False
    result = db.session.execute(
        update(OrderPart)
        .where(OrderPart.id == part.id, OrderPart.status == current.value)
        .values(status=to.value, **(values or {}))
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(part)
    if result.rowcount != 1:
        return False
    _record(part.order, part, current.value, to, actor_kind, actor_id, note)
    db.session.flush()
    return True


def expire_order(order_id: int, *, now: dt.datetime | None = None) -> bool:
    """Expire one unpaid order past its time and give its stock back, exactly once."""
    order = db.session.get(Order, order_id)
    if order is None or order.expires_at > (now or now_utc()):
        return False
    if not move_order(order, OrderStatus.EXPIRED, actor_kind="system"):
        return False
    _give_back_stock(order)
    # After the commit: close its payment page at the gateway, so no one pays it late.
    enqueue("payments.expire_checkouts", order.id)
    db.session.flush()
    return True


def due_order_ids(*, now: dt.datetime | None = None) -> list[int]:
    """Unpaid orders whose 30 minutes are up, oldest first."""
    return list(
        db.session.scalars(
            select(Order.id)
            .where(
                Order.status == OrderStatus.AWAITING_PAYMENT.value,
                Order.expires_at <= (now or now_utc()),
            )
            .order_by(Order.id)
        )
    )


def expire_due_orders(*, now: dt.datetime | None = None) -> int:
    """Expire every due order in the caller's transaction; returns how many."""
    now = now or now_utc()
    return sum(1 for order_id in due_order_ids(now=now) if expire_order(order_id, now=now))


def mark_order_paid(order: Order, *, note: str = "") -> bool:
    """The payment is confirmed: the order is paid and each household gets its part.

    For an order that expired meanwhile, its stock is taken again first; when it
    is gone, nothing changes and False is returned (the caller refunds).
    """
    if order.status == OrderStatus.EXPIRED.value:
        try:
            with db.session.begin_nested():
                _take_stock(order)
        except SoldOut:
            db.session.refresh(order)
            return False
    if not move_order(order, OrderStatus.PAID, actor_kind="payment", note=note):
        return False
    for part in order.parts:
        _move_part(part, PartStatus.NEW, actor_kind="payment")
    return True


def mark_order_refunded(order: Order, *, note: str = "") -> bool:
    """A late payment found no stock: the order ends, its parts are cancelled."""
    if not move_order(order, OrderStatus.REFUNDED, actor_kind="payment", note=note):
        return False
    for part in order.parts:
        _move_part(part, PartStatus.CANCELLED, actor_kind="payment")
    return True


#: parts a buyer may cancel: paid and not yet sent or ready
CANCELLABLE_BY_BUYER = (PartStatus.NEW.value, PartStatus.ACCEPTED.value)


def buyer_may_cancel(order: Order, part: OrderPart) -> bool:
    return order.status == OrderStatus.PAID.value and part.status in CANCELLABLE_BY_BUYER


def _refuse_office_part(part: OrderPart) -> None:
    if part.order.quote_id is not None:
        raise MoveRefused(_l("Pesanan instansi dikonfirmasi dan diantar dengan tombolnya sendiri."))


def cancel_part_for_buyer(order_id: int, part_id: int, *, actor_id: int | None) -> OrderPart:
    """The buyer cancels one household's part before it is shipped; its stock goes back.

    The caller records the refund of the part's share in the same unit of work.
    """
    part = db.session.scalar(
        select(OrderPart).where(OrderPart.id == part_id, OrderPart.order_id == order_id)
    )
    if part is None:
        raise NotFound(_l("Pesanan tidak ditemukan."))
    _refuse_office_part(part)
    if part.status not in CANCELLABLE_BY_BUYER:
        raise MoveRefused(_l("Bagian ini sudah dikirim atau selesai, jadi tidak bisa dibatalkan."))
    if not _move_part(part, PartStatus.CANCELLED, actor_kind="buyer", actor_id=actor_id):
        raise MoveRefused(_l("Status pesanan sudah berubah. Muat ulang halaman."))
    give_back_part_stock(part)
    return part


#: parts an admin may still cancel: paid and not yet delivered
CANCELLABLE_BY_ADMIN = (
    PartStatus.NEW.value,
    PartStatus.ACCEPTED.value,
    PartStatus.SHIPPED.value,
    PartStatus.READY_FOR_PICKUP.value,
)


def cancel_part_by_admin(part: OrderPart, *, actor_id: int, note: str) -> bool:
    """An admin cancels a part that was not delivered; its stock goes back once.

    False when the part is already cancelled (a second click); the guarded move
    makes sure only one of two racing calls gives the stock back.
    """
    if part.status == PartStatus.CANCELLED.value:
        return False
    if part.status not in CANCELLABLE_BY_ADMIN:
        raise MoveRefused(_l("Bagian ini sudah sampai, jadi tidak bisa dibatalkan."))
    if not _move_part(
        part, PartStatus.CANCELLED, actor_kind="admin", actor_id=actor_id, note=note[:300]
    ):
        return False
    give_back_part_stock(part)
    return True


def record_part_refund(
    part: OrderPart, amount: int, *, actor_id: int | None, note: str, actor_kind: str = "admin"
) -> None:
    """Money given back for a part without a status move: an event saying who, how much, why."""
    text = f"{format_rupiah(amount)}: {note}" if note else format_rupiah(amount)
    db.session.add(
        OrderEvent(
            order_id=part.order_id,
            part_id=part.id,
            from_status=part.status,
            to_status=REFUND_EVENT,
            actor_kind=actor_kind,
            actor_id=actor_id,
            note=text[:300],
        )
    )
    db.session.flush()


# --- reading orders -----------------------------------------------------------------------


def _order_query():
    return select(Order).options(
        selectinload(Order.parts).selectinload(OrderPart.lines),
        selectinload(Order.parts).joinedload(OrderPart.seller).joinedload(Seller.region),
        selectinload(Order.events),
    )


def get_order_by_token(token: str) -> Order:
    """The order behind a private link; expired lazily when its time is up."""
    order = db.session.scalar(_order_query().where(Order.access_token == token))
    if order is None:
        raise NotFound(_l("Pesanan tidak ditemukan."))
    if order.status == OrderStatus.AWAITING_PAYMENT.value and order.expires_at <= now_utc():
        expire_order(order.id)
    return order


#: what the buyer is shown for a paid order whose every part was cancelled or given back
#: (a label, not an order status: the order's own status stays "paid")
REFUNDED_IN_FULL = "refunded_in_full"


def shown_status(order: Order, refunded_amount: int) -> str:
    """The status the buyer reads: "refunded in full" once the parts' refunds (pending
    ones too) add up to all that was paid, else the order's own status."""
    if order.status == OrderStatus.PAID.value and refunded_amount >= order.total_amount:
        return REFUNDED_IN_FULL
    return order.status


def list_buyer_orders(user_id: int, limit: int = 50) -> list[Order]:
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.buyer_id == user_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )


# --- the household's side -----------------------------------------------------------------

#: what a household does with a part, and the status it moves the part to
SELLER_ACTIONS: dict[str, PartStatus] = {
    "accept": PartStatus.ACCEPTED,
    "ship": PartStatus.SHIPPED,
    "ready": PartStatus.READY_FOR_PICKUP,
    "delivered": PartStatus.DELIVERED,
}

#: parts a household sees: paid ones; unpaid and cancelled ones are not theirs to act on
VISIBLE_TO_SELLER = (
    PartStatus.NEW.value,
    PartStatus.ACCEPTED.value,
    PartStatus.SHIPPED.value,
    PartStatus.READY_FOR_PICKUP.value,
    PartStatus.DELIVERED.value,
    # a protocol office's order: made and packed before it is delivered
    PartStatus.PRODUCED.value,
    PartStatus.PACKED.value,
)


def seller_for_user(user_id: int) -> Seller:
    seller = db.session.scalar(select(Seller).where(Seller.user_id == user_id))
    if seller is None:
        raise NotFound(_l("Anda belum punya toko."))
    return seller


def _seen_by_seller():
    """A part in a household's inbox: one to act on, or one cancelled after it had reached
    them (paid, or an office's order to confirm), so they know to stop making it."""
    reached = (
        select(OrderEvent.id)
        .where(
            OrderEvent.order_id == OrderPart.order_id,  # indexed; the part narrows it
            OrderEvent.part_id == OrderPart.id,
            OrderEvent.to_status == PartStatus.NEW.value,
        )
        .exists()
    )
    return or_(
        OrderPart.status.in_(VISIBLE_TO_SELLER),
        and_(OrderPart.status == PartStatus.CANCELLED.value, reached),
    )


def cancellation_of(part: OrderPart) -> OrderEvent | None:
    """The move that cancelled ``part`` (who, when, why), if it is cancelled."""
    if part.status != PartStatus.CANCELLED.value:
        return None
    return db.session.scalar(
        select(OrderEvent)
        .where(
            OrderEvent.order_id == part.order_id,
            OrderEvent.part_id == part.id,
            OrderEvent.to_status == PartStatus.CANCELLED.value,
        )
        .order_by(OrderEvent.id.desc())
        .limit(1)
    )


def list_seller_parts(seller_id: int, limit: int = 100) -> list[OrderPart]:
    return list(
        db.session.scalars(
            select(OrderPart)
            .join(OrderPart.order)
            .where(OrderPart.seller_id == seller_id, _seen_by_seller())
            .options(selectinload(OrderPart.lines), joinedload(OrderPart.order))
            .order_by(Order.paid_at.desc(), OrderPart.id.desc())
            .limit(limit)
        ).unique()
    )


def get_part_for_seller(part_id: int, seller_id: int) -> OrderPart:
    """A household's own part from its inbox, or NotFound: another household's does not exist."""
    part = db.session.scalar(
        select(OrderPart)
        .where(OrderPart.id == part_id, OrderPart.seller_id == seller_id, _seen_by_seller())
        .options(selectinload(OrderPart.lines), joinedload(OrderPart.order))
    )
    if part is None:
        raise NotFound(_l("Pesanan tidak ditemukan."))
    return part


def move_part_for_seller(
    part_id: int,
    seller_id: int,
    action: str,
    *,
    actor_id: int,
    courier: str = "",
    tracking_number: str = "",
) -> OrderPart:
    """Accept, ship (courier and tracking number), mark ready for pickup, or delivered."""
    part = get_part_for_seller(part_id, seller_id)
    _refuse_office_part(part)
    to = SELLER_ACTIONS.get(action)
    if to is None:
        raise MoveRefused(_l("Langkah ini tidak dikenal."))
    values: dict = {}
    if to is PartStatus.SHIPPED:
        if part.delivery == Delivery.PICKUP.value:
            raise MoveRefused(_l("Pesanan ini diambil sendiri oleh pembeli, bukan dikirim."))
        courier, tracking_number = courier.strip()[:60], tracking_number.strip()[:60]
        if not courier or not tracking_number:
            raise MoveRefused(_l("Isi nama kurir dan nomor resi."), field="courier")
        values = {"courier": courier, "tracking_number": tracking_number}
    if to is PartStatus.READY_FOR_PICKUP and part.delivery != Delivery.PICKUP.value:
        raise MoveRefused(_l("Pesanan ini dikirim, bukan diambil sendiri."))
    if not _move_part(part, to, actor_kind="seller", actor_id=actor_id, values=values):
        raise MoveRefused(_l("Status pesanan sudah berubah. Muat ulang halaman."))
    if to is PartStatus.DELIVERED:
        part_delivered.send(part)
    return part
