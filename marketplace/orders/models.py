"""Carts, orders split into one part per household, and every status move they make."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import UTCDateTime, db, local_date, now_utc

if TYPE_CHECKING:
    from marketplace.catalog.models import Product, Seller


class OrderStatus(enum.StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    EXPIRED = "expired"
    #: paid too late, after the stock had gone: the payment was given back
    REFUNDED = "refunded"
    #: a protocol office's order from an approved quotation: paid later, against an invoice
    INVOICED = "invoiced"


class PartStatus(enum.StrEnum):
    PENDING = "pending"
    NEW = "new"
    ACCEPTED = "accepted"
    SHIPPED = "shipped"
    READY_FOR_PICKUP = "ready_for_pickup"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    #: made (a government order's household part)
    PRODUCED = "produced"
    #: packed into the gift boxes (a government order's household part)
    PACKED = "packed"


class Delivery(enum.StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"


#: The one table of allowed moves per model; anything else is refused.
ORDER_MOVES: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.AWAITING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.EXPIRED}),
    # a late payment either finds the stock again (paid) or is given back (refunded)
    OrderStatus.EXPIRED: frozenset({OrderStatus.PAID, OrderStatus.REFUNDED}),
    OrderStatus.PAID: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
    # never expires: the treasury pays after delivery
    OrderStatus.INVOICED: frozenset({OrderStatus.PAID}),
}

PART_MOVES: dict[PartStatus, frozenset[PartStatus]] = {
    PartStatus.PENDING: frozenset({PartStatus.NEW, PartStatus.CANCELLED}),
    # the buyer may cancel a part until it has left the household
    PartStatus.NEW: frozenset({PartStatus.ACCEPTED, PartStatus.CANCELLED}),
    PartStatus.ACCEPTED: frozenset(
        {PartStatus.SHIPPED, PartStatus.READY_FOR_PICKUP, PartStatus.CANCELLED, PartStatus.PRODUCED}
    ),
    # a government order's part: made, packed, then brought to the place of delivery
    PartStatus.PRODUCED: frozenset({PartStatus.PACKED}),
    PartStatus.PACKED: frozenset({PartStatus.DELIVERED}),
    # an admin may still cancel a parcel that never arrived (lost, sent back)
    PartStatus.SHIPPED: frozenset({PartStatus.DELIVERED, PartStatus.CANCELLED}),
    PartStatus.READY_FOR_PICKUP: frozenset({PartStatus.DELIVERED, PartStatus.CANCELLED}),
    PartStatus.DELIVERED: frozenset(),
    PartStatus.CANCELLED: frozenset(),
}


def _values(enum_type: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum_type)


def new_access_token() -> str:
    return secrets.token_urlsafe(24)


class CartItem(db.Model):
    """A signed-in buyer's cart line; signed-out carts live in the session."""

    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("user_id", "product_id", "variant_id"),
        # one line per product sold without options: the constraint above takes NULLs as
        # all different, so two adds at once could store two
        Index(
            "uq_cart_items_user_id_product_id",
            "user_id",
            "product_id",
            unique=True,
            sqlite_where=text("variant_id IS NULL"),
            postgresql_where=text("variant_id IS NULL"),
        ),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    #: the option chosen, when the product has options
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_variants.id", ondelete="CASCADE")
    )
    quantity: Mapped[int]
    #: whole rupiah: the price the buyer saw when adding, to flag a change before paying
    seen_price_amount: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)


class Order(db.Model):
    """One checkout: one payment, one part per household."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"status IN ({_values(OrderStatus)})", name="known_status"),
        CheckConstraint(f"delivery IN ({_values(Delivery)})", name="known_delivery"),
        CheckConstraint(
            "total_amount = items_amount + shipping_amount - discount_amount",
            name="total_is_items_plus_shipping_less_discount",
        ),
        Index("ix_orders_status_expires_at", "status", "expires_at"),
        # the impact report reads the orders paid in a period
        Index("ix_orders_paid_at", "paid_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the private link in the confirmation message: /pesanan/<token>
    access_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_access_token)
    #: one per checkout form shown: a second submit of the same form finds this order
    checkout_key: Mapped[str] = mapped_column(String(64), unique=True)
    buyer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.AWAITING_PAYMENT.value)
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_email: Mapped[str] = mapped_column(String(254))
    #: E.164
    contact_whatsapp: Mapped[str] = mapped_column(String(20))
    #: "pickup": every part is collected (no address); "ship": the address is given, and
    #: each part says whether it is shipped or collected
    delivery: Mapped[str] = mapped_column(String(10))
    province: Mapped[str] = mapped_column(String(80), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    district: Mapped[str] = mapped_column(String(80), default="")
    street: Mapped[str] = mapped_column(String(300), default="")
    postal_code: Mapped[str] = mapped_column(String(5), default="")
    #: whole rupiah
    items_amount: Mapped[int] = mapped_column(BigInteger)
    #: whole rupiah
    shipping_amount: Mapped[int] = mapped_column(BigInteger)
    #: whole rupiah: a voucher's discount (``voucher_id``), a line of its own; the platform
    #: funds it (the parts' ``discount_amount`` add up to it)
    discount_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"))
    #: whole rupiah: what the buyer pays, items and shipping less the discount
    total_amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: a protocol office's gift-box order: the approved quotation it was made from
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"), unique=True)

    voucher: Mapped[Voucher | None] = relationship()
    parts: Mapped[list[OrderPart]] = relationship(
        back_populates="order", order_by="OrderPart.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )

    @property
    def number(self) -> str:
        return order_number(self.id)


def line_full_name(product_name: str, variant_label: str) -> str:
    """An order line's name as sold, with the option: "Amplang Tenggiri (Pedas / 250 g)"."""
    return f"{product_name} ({variant_label})" if variant_label else product_name


def order_number(order_id: int) -> str:
    """An order's number as people read it: ``PSR-000123``."""
    return f"PSR-{order_id:06d}"


class OrderPart(db.Model):
    """What one household must prepare and send for an order."""

    __tablename__ = "order_parts"
    __table_args__ = (
        UniqueConstraint("order_id", "seller_id"),
        CheckConstraint(f"status IN ({_values(PartStatus)})", name="known_status"),
        CheckConstraint(f"delivery IN ({_values(Delivery)})", name="known_delivery"),
        # collected at the household: no parcel, so no shipping
        CheckConstraint("delivery = 'ship' OR shipping_amount = 0", name="pickup_ships_free"),
        # the household's inbox, newest payment first: one page read from the index
        Index("ix_order_parts_seller_id_paid_at", "seller_id", "paid_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    #: snapshot of the shop name at the time of sale
    shop_name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default=PartStatus.PENDING.value)
    #: whole rupiah
    items_amount: Mapped[int] = mapped_column(BigInteger)
    #: whole rupiah
    shipping_amount: Mapped[int] = mapped_column(BigInteger)
    weight_grams: Mapped[int]
    #: this household's part: sent by courier, or collected at the household by a buyer of
    #: the same kabupaten/kota (chosen per household at checkout)
    delivery: Mapped[str] = mapped_column(
        String(10), default=Delivery.SHIP.value, server_default=Delivery.SHIP.value
    )
    courier: Mapped[str] = mapped_column(String(60), default="")
    tracking_number: Mapped[str] = mapped_column(String(60), default="")
    #: whole rupiah: the part's share of the order's voucher discount; the household still
    #: gets its whole goods (the platform pays it the difference in the ledger)
    discount_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: the courier service the buyer chose from live rates (``jne:reg``); "" with the zone
    #: table, where the household picks the courier and types the waybill
    courier_service: Mapped[str] = mapped_column(String(60), default="", server_default="")
    #: the shipping aggregator's order id once the household booked the courier
    shipment_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: the platform's commission on the goods, frozen at the time of sale (500 = 5%)
    commission_rate_bp: Mapped[int] = mapped_column(default=500, server_default="500")
    #: its order's ``paid_at``, written with it (``lifecycle.move_order``) and nowhere else:
    #: the household's inbox sorts by it without reading every order
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship(back_populates="parts")
    seller: Mapped[Seller] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="part", order_by="OrderLine.id", cascade="all, delete-orphan"
    )


class ShipmentEvent(db.Model):
    """One tracking step of a part's parcel as the shipping aggregator told it, each once."""

    __tablename__ = "shipment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(
        ForeignKey("order_parts.id", ondelete="CASCADE"), index=True
    )
    #: the aggregator's order id, the status and its time: the same step told twice is one
    event_key: Mapped[str] = mapped_column(String(160), unique=True)
    status: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(String(255), default="")
    #: when the courier says it happened, as the aggregator wrote it
    happened_at: Mapped[str] = mapped_column(String(40), default="")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    @property
    def happened(self) -> dt.datetime | None:
        """``happened_at`` as a moment (shown in WITA), None when it says none."""
        try:
            moment = dt.datetime.fromisoformat(self.happened_at)
        except ValueError:
            return None
        return moment if moment.tzinfo is not None else None


class CourierBooking(db.Model):
    """A booked part's parcel beyond its steps: what the aggregator charges for it now, and
    whether its booking was cancelled with the part (done after the commit, by a job)."""

    __tablename__ = "courier_bookings"
    __table_args__ = (
        CheckConstraint("price_amount >= 0", name="price_not_negative"),
        CheckConstraint("cancel_status IN ('', 'cancelled', 'failed')", name="known_cancel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(
        ForeignKey("order_parts.id", ondelete="CASCADE"), unique=True
    )
    #: whole rupiah the aggregator charges now (it changes when the courier weighs the
    #: parcel); 0 until it says. The buyer paid ``OrderPart.shipping_amount``.
    price_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: "" booked (or its cancellation not yet done); "cancelled" at the aggregator after the
    #: part was; "failed" the aggregator refused (``cancel_note`` says why, for the admin)
    cancel_status: Mapped[str] = mapped_column(String(16), default="", server_default="")
    cancel_note: Mapped[str] = mapped_column(String(255), default="", server_default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    part: Mapped[OrderPart] = relationship()


class OrderLine(db.Model):
    """One product as sold: name, unit price and household kept as they were."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("line_amount = unit_price_amount * quantity", name="line_amount_matches"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(
        ForeignKey("order_parts.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    product_name: Mapped[str] = mapped_column(String(120))
    #: the option sold (a rasa, an ukuran), and its label kept as it was, like the name
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_variants.id", ondelete="SET NULL")
    )
    variant_label: Mapped[str] = mapped_column(String(60), default="", server_default="")
    unit: Mapped[str] = mapped_column(String(60), default="")
    #: whole rupiah: what one unit sold for (``price_now`` at the moment of the sale)
    unit_price_amount: Mapped[int] = mapped_column(BigInteger)
    #: whole rupiah: the list price at that moment (above ``unit_price_amount`` when a
    #: household's promotion took some off; None on lines from before promotions)
    list_price_amount: Mapped[int | None] = mapped_column(BigInteger)
    #: the household's promotion that lowered the unit price, if any
    promotion_id: Mapped[int | None] = mapped_column(
        ForeignKey("promotions.id", ondelete="SET NULL")
    )
    quantity: Mapped[int]
    #: whole rupiah
    line_amount: Mapped[int] = mapped_column(BigInteger)
    #: made to order: taken from the product's daily capacity on this day instead of stock
    production_day: Mapped[dt.date | None] = mapped_column(Date)

    part: Mapped[OrderPart] = relationship(back_populates="lines")
    product: Mapped[Product | None] = relationship()

    @property
    def full_name(self) -> str:
        """The name as sold, with the option: "Amplang Tenggiri (Pedas / 250 g)"."""
        return line_full_name(self.product_name, self.variant_label)


class OrderEvent(db.Model):
    """One status move of an order or of one of its parts: who, when, from what to what."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    part_id: Mapped[int | None] = mapped_column(ForeignKey("order_parts.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: "buyer", "seller", "system", "payment", "admin"
    actor_kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    order: Mapped[Order] = relationship(back_populates="events")


class SavedAddress(db.Model):
    """An address in a signed-in buyer's address book, chosen again at checkout."""

    __tablename__ = "saved_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: what the buyer calls it: "Rumah", "Kantor", "Ibu di Samarinda"
    label: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    #: E.164
    whatsapp: Mapped[str] = mapped_column(String(20))
    #: Kemendagri codes from the official list (``marketplace.catalog.places``)
    province: Mapped[str] = mapped_column(String(2))
    city: Mapped[str] = mapped_column(String(5))
    district: Mapped[str] = mapped_column(String(8))
    street: Mapped[str] = mapped_column(String(300))
    postal_code: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: the form's token (``marketplace.once``): the same form sent twice adds one address
    idempotency_token: Mapped[str | None] = mapped_column(String(64), unique=True)


class VoucherSponsor(enum.StrEnum):
    PLATFORM = "platform"
    PKK = "pkk"


class Voucher(db.Model):
    """A voucher campaign of the platform or the PKK: a code buyers type at checkout.

    ``percent`` takes ``value`` percent off the goods it covers, ``amount`` ``value`` rupiah
    (never more than those goods). It covers the products in ``product_ids`` and the
    households in ``seller_ids`` (both empty: everything). Its period is whole WITA days, as
    a promotion's. ``spent_amount`` only grows by one guarded UPDATE (``vouchers.take``), so
    it never passes ``budget_amount`` however many buyers check out at once. The platform
    funds every voucher, the PKK's too: households get their whole goods.
    """

    __tablename__ = "vouchers"
    __table_args__ = (
        CheckConstraint("kind IN ('percent', 'amount')", name="known_kind"),
        CheckConstraint("sponsor IN ('platform', 'pkk')", name="known_sponsor"),
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("kind <> 'percent' OR value <= 100", name="percent_at_most_100"),
        CheckConstraint(
            "spent_amount >= 0 AND spent_amount <= budget_amount", name="within_budget"
        ),
        CheckConstraint("per_buyer_limit > 0", name="limit_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: upper case, as buyers' typing is read
    code: Mapped[str] = mapped_column(String(32), unique=True)
    sponsor: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[int] = mapped_column(BigInteger)
    #: whole rupiah
    budget_amount: Mapped[int] = mapped_column(BigInteger)
    #: whole rupiah, taken at checkout
    spent_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: how many orders one buyer (account, else e-mail, else WhatsApp) may use it on
    per_buyer_limit: Mapped[int] = mapped_column(default=1)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    product_ids: Mapped[list] = mapped_column(JSON, default=list)
    seller_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    @property
    def first_day(self) -> dt.date:
        return local_date(self.starts_at)

    @property
    def last_day(self) -> dt.date:
        return local_date(self.ends_at - dt.timedelta(seconds=1))


class VoucherUse(db.Model):
    """One order a voucher was used on, by whom (for the per-buyer limit), for how much.

    ``use_number`` is which of the buyer's uses it is (1 up to the voucher's per-buyer
    limit); the unique (voucher, buyer, number) lets the database refuse a second checkout
    racing for the same use, as the guarded UPDATE guards the budget.
    """

    __tablename__ = "voucher_uses"
    __table_args__ = (
        UniqueConstraint("voucher_id", "buyer_key", "use_number"),
        CheckConstraint("use_number >= 1", name="use_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    buyer_key: Mapped[str] = mapped_column(String(260), index=True)
    use_number: Mapped[int] = mapped_column(default=1, server_default="1")
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
