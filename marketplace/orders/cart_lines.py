"""A cart as read this moment: its lines, grouped by household, with what follows from
each (the price now, stock, problems, weight) and the shipping of each household's parcel."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from marketplace.catalog.models import Product, Seller
from marketplace.catalog.options import ProductVariant
from marketplace.catalog.services import CoverPhoto
from marketplace.inventory.capacity import Closure
from marketplace.orders import shipping

#: A cart line is a product, and the option chosen when the product has options.
LineKey = tuple[int, int | None]


def key_text(key: LineKey) -> str:
    """A line's key as the session and the pages write it: "12", or "12:5" with option 5."""
    product_id, variant_id = key
    return f"{product_id}:{variant_id}" if variant_id else str(product_id)


def key_of(text: str) -> LineKey:
    product, _, variant = text.partition(":")
    return int(product), int(variant) if variant else None


@dataclass(slots=True)
class ShownRegion:
    name: str
    #: Kemendagri's code (``65.71``): where a parcel leaves from
    code: str


@dataclass(slots=True)
class ShownSeller:
    id: int
    shop_name: str
    village: str
    pickup_postal_code: str
    region: ShownRegion
    #: has closures not yet over (``inventory.stock.has_closures``): ``closures_of`` asked
    has_closures: bool = False


@dataclass(slots=True)
class ShownOption:
    """An active option of a product, as the cart's pages read it."""

    id: int
    label: str
    #: whole rupiah, its promotion taken off (``PricedNow``, in SQL)
    price_now: int
    stock_for_sale: int
    weight_grams: int
    photo_key: str | None


@dataclass(slots=True)
class ShownProduct:
    """A product as the cart, the checkout and its live figures read it: plain values of
    the columns they show and price with, and its active options in order (an order reads
    its products whole, as ``Product``). Read afresh each time: the price of this moment."""

    id: int
    slug: str
    name: str
    unit: str
    price_now: int
    stock: int
    stock_for_sale: int
    is_made_to_order: bool
    weight_grams: int
    shelf_life_days: int | None
    lead_time_days: int
    daily_capacity: int | None
    seller_id: int
    seller: ShownSeller
    options: list[ShownOption] = field(default_factory=list)

    def option(self, variant_id: int | None) -> ShownOption | None:
        """The active option with this id, or None (as ``Product.option``)."""
        return next((option for option in self.options if option.id == variant_id), None)


@dataclass
class CartLine:
    """One line of the cart as read this moment. What follows from its product is worked
    out once, as the line is made (a page asks each several times: plain attributes cost
    less than a cached property per value and line); ``closure`` alone is set later."""

    product_id: int
    quantity: int
    seen_price_amount: int
    product: Product | ShownProduct | None
    #: the household is away (holiday mode): nothing of it can be bought now
    closure: Closure | None = None
    #: the option chosen (a product with options is bought by option)
    variant_id: int | None = None
    #: the product's photos in order, when the page shows them (``load_cart(with_photos=)``)
    photos: tuple[CoverPhoto, ...] = ()
    variant: ProductVariant | ShownOption | None = field(init=False)
    #: the line's key in forms and element ids: "12" or "12:5"
    key: str = field(init=False)
    #: the product's name with the option chosen: "Amplang (Pedas / 250 g)"
    name: str = field(init=False)
    #: not sold any more: the product, or the option chosen (or a product that has had
    #: options since, bought without one)
    is_unavailable: bool = field(init=False)
    #: what one unit sells for now: the option's price, else the product's
    price_now: int = field(init=False)
    stock_for_sale: int = field(init=False)
    #: fewer units left than wanted (made-to-order products are checked at checkout)
    is_short: bool = field(init=False)
    price_changed: bool = field(init=False)
    line_amount: int = field(init=False)
    weight_grams: int = field(init=False)

    def __post_init__(self) -> None:
        product, variant_id = self.product, self.variant_id
        variant = self.variant = (
            product.option(variant_id) if product is not None and variant_id is not None else None
        )
        self.key = key_text((self.product_id, variant_id))
        if product is None:
            self.name = ""
        else:
            self.name = f"{product.name} ({variant.label})" if variant else product.name
        if product is None:
            unavailable = True
        elif variant_id is None:
            unavailable = bool(product.options)
        else:
            unavailable = variant is None
        self.is_unavailable = unavailable
        if unavailable:
            self.price_now = self.stock_for_sale = self.weight_grams = 0
        else:
            chosen = variant or product
            self.price_now = chosen.price_now
            self.stock_for_sale = chosen.stock_for_sale
            self.weight_grams = chosen.weight_grams * self.quantity
        self.is_short = (
            not unavailable and not product.is_made_to_order and self.stock_for_sale < self.quantity
        )
        self.price_changed = not unavailable and self.price_now != self.seen_price_amount
        self.line_amount = self.price_now * self.quantity

    @property
    def has_problem(self) -> bool:
        return self.is_unavailable or self.is_short or self.price_changed or bool(self.closure)

    @cached_property
    def photo(self) -> CoverPhoto | None:
        """The option's own photo, else the product's cover."""
        key = self.variant.photo_key if self.variant else None
        if key and (own := next((p for p in self.photos if p.key == key), None)):
            return own
        return self.photos[0] if self.photos else None


@dataclass
class CartGroup:
    """The lines from one household, with what shipping them costs. Its goods' amount and
    weight are worked out once, when first asked (``load_cart`` asks once every line is in)."""

    seller: Seller | ShownSeller
    lines: list[CartLine] = field(default_factory=list)
    shipping_amount: int = 0
    #: the buyer is in the household's kabupaten/kota, so may collect it there
    can_pickup: bool = False
    #: collected at the household: no shipping
    pickup: bool = False
    #: the shipping zone of its parcel (``marketplace.orders.shipping``); "" when collected
    zone: str = ""
    #: the couriers' rates for its parcel (or the zone table's), and the one charged
    quote: shipping.Quote | None = None
    rate: shipping.Rate | None = None

    @cached_property
    def items_amount(self) -> int:
        return sum(line.line_amount for line in self.lines)

    @cached_property
    def weight_grams(self) -> int:
        return sum(line.weight_grams for line in self.lines)

    @property
    def shipping_kilograms(self) -> int:
        return shipping.kilograms(self.weight_grams)


@dataclass
class Cart:
    """The cart as read this moment, its households priced: what follows from its lines is
    worked out once (a page asks for its totals and problems several times)."""

    groups: list[CartGroup]
    unavailable: list[CartLine]

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.unavailable

    @cached_property
    def lines(self) -> list[CartLine]:
        return [line for group in self.groups for line in group.lines] + self.unavailable

    @cached_property
    def has_problem(self) -> bool:
        return any(line.has_problem for line in self.lines)

    @cached_property
    def items_amount(self) -> int:
        return sum(group.items_amount for group in self.groups)

    @cached_property
    def shipping_amount(self) -> int:
        return sum(group.shipping_amount for group in self.groups)

    @cached_property
    def total_amount(self) -> int:
        return self.items_amount + self.shipping_amount

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)
