"""A household's product options (rasa, ukuran): each with its own price, stock, weight
and photo, edited as rows on one page.

Every row is checked at once and each problem is named under its own cell; what was typed
comes back as typed. With active options the product's ``price_amount`` is kept as their
lowest list price (cards, filters and promotions read it) and its stock as their sum
(``inventory.stock.set_option_stock``). An option's photo is one of the product's photos,
which the PKK reviews with the packaging as any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.catalog.models import Product, Promotion, PromotionKind
from marketplace.catalog.options import ProductVariant
from marketplace.db import db, now_utc
from marketplace.errors import MarketplaceError, Refusals
from marketplace.inventory.stock import lock_product, set_option_stock
from marketplace.numbers import NumberError, parse_id, parse_whole
from marketplace.once import check_token
from marketplace.rupiah import parse_rupiah
from marketplace.sellers.services import MAX_PRICE, MAX_STOCK, MAX_WEIGHT_GRAMS

#: the most options one product has (deactivated ones included)
MAX_OPTIONS = 12
#: empty rows the page offers for new options
NEW_ROWS = 2
MAX_LABEL = 60


class OptionError(MarketplaceError):
    pass


@dataclass
class OptionRow:
    """One row of the options page as typed (text), and what it is once read."""

    #: the option's id; None for a new row
    id: int | None = None
    label: str = ""
    price: str = ""
    stock: str = ""
    weight: str = ""
    photo_key: str = ""
    is_active: bool = True

    @property
    def is_blank(self) -> bool:
        return self.id is None and not (self.label.strip() or self.price.strip())

    @classmethod
    def of(cls, variant: ProductVariant) -> OptionRow:
        return cls(
            id=variant.id,
            label=variant.label,
            price=f"{variant.price_amount:,}".replace(",", "."),
            stock=str(variant.stock),
            weight=str(variant.weight_grams),
            photo_key=variant.photo_key or "",
            is_active=variant.is_active,
        )


def rows_of(product: Product) -> list[OptionRow]:
    """The product's options as rows, and empty rows to add new ones."""
    rows = [OptionRow.of(variant) for variant in product.variants]
    room = max(0, min(NEW_ROWS, MAX_OPTIONS - len(rows)))
    return rows + [OptionRow() for _ in range(room)]


def read_rows(form: Mapping[str, str], count: int) -> list[OptionRow]:
    """The rows sent: ``id-<n>``, ``label-<n>``, ``price-<n>``, ``stock-<n>``,
    ``weight-<n>``, ``photo-<n>``, ``active-<n>`` for n below ``count``."""
    return [
        OptionRow(
            id=parse_id(form.get(f"id-{n}", "")),
            label=form.get(f"label-{n}", "")[:200],
            price=form.get(f"price-{n}", "")[:40],
            stock=form.get(f"stock-{n}", "")[:40],
            weight=form.get(f"weight-{n}", "")[:40],
            photo_key=form.get(f"photo-{n}", "")[:64],
            is_active=bool(form.get(f"active-{n}")),
        )
        for n in range(min(count, MAX_OPTIONS + NEW_ROWS))
    ]


@dataclass(frozen=True)
class _Read:
    row: OptionRow
    label: str
    price: int
    stock: int
    weight: int


def _amount_promotions(product: Product) -> list[Promotion]:
    """The product's rupiah promotions running or to come: no option may cost that or less."""
    return list(
        db.session.scalars(
            select(Promotion).where(
                Promotion.product_id == product.id,
                Promotion.kind == PromotionKind.AMOUNT.value,
                Promotion.cancelled_at.is_(None),
                Promotion.ends_at > now_utc(),
            )
        )
    )


def check_options(product: Product, rows: list[OptionRow]) -> list[_Read]:
    """Read and check every row; each problem under its cell (``price-2``), all at once."""
    problems = Refusals()

    def refuse(message, field: str) -> None:
        problems.add(OptionError(message, field=field))

    own = {variant.id for variant in product.variants}
    photos = {photo.key for photo in product.photos}
    deepest = max((p.value for p in _amount_promotions(product)), default=0)
    read: list[_Read] = []
    labels: set[str] = set()
    for n, row in enumerate(rows):
        if row.is_blank:
            continue
        if row.id is not None and row.id not in own:
            refuse(_l("Pilihan ini bukan milik produk ini. Muat ulang halaman."), f"label-{n}")
            continue
        label = " ".join(row.label.split())
        if not label:
            refuse(_l("Isi nama pilihan, misalnya: Pedas / 250 g."), f"label-{n}")
        elif len(label) > MAX_LABEL:
            refuse(_l("Nama pilihan paling panjang %(n)s huruf.", n=MAX_LABEL), f"label-{n}")
        elif row.is_active and label.lower() in labels:
            refuse(_l("Nama pilihan ini sudah ada."), f"label-{n}")
        if row.is_active:
            labels.add(label.lower())
        price = stock = weight = 0
        try:
            price = parse_rupiah(row.price, MAX_PRICE)
            if price <= 0:
                raise NumberError("too_small")
            if row.is_active and deepest and price <= deepest:
                refuse(_l("Harga harus lebih dari potongan promo yang berjalan."), f"price-{n}")
        except NumberError:
            refuse(_l("Harga antara Rp1 dan Rp100.000.000, misalnya 35.000."), f"price-{n}")
        if product.is_made_to_order:
            stock = 0  # made to order: the options share the product's daily capacity
        else:
            try:
                stock = parse_whole(row.stock, maximum=MAX_STOCK)
            except NumberError:
                refuse(_l("Isi stok (0 sampai 100.000)."), f"stock-{n}")
        try:
            weight = parse_whole(row.weight, minimum=1, maximum=MAX_WEIGHT_GRAMS)
        except NumberError:
            refuse(_l("Berat kirim antara 1 dan 50.000 gram."), f"weight-{n}")
        if row.photo_key and row.photo_key not in photos:
            refuse(_l("Pilih foto dari foto produk ini."), f"photo-{n}")
        read.append(_Read(row, label, price, stock, weight))
    if len(read) > MAX_OPTIONS:
        refuse(_l("Paling banyak %(n)s pilihan per produk.", n=MAX_OPTIONS), "options")
    problems.raise_any()
    return read


def save_options(product: Product, rows: list[OptionRow], token: str | None = None) -> None:
    """Apply the rows: change the options, add the new, deactivate the unticked; then the
    product's lowest price and its stock follow its active options.

    From the page, once per form sent (``token``): "Simpan" pressed twice adds a new row's
    option once. Of two sends at once, the second waits on the product's row and then reads
    the options as the first left them (and the token it applied).
    """
    lock_product(product.id)
    if token is not None and _applied_token(product.id) == check_token(token):
        return  # the same form again (a double tap): applied already
    db.session.refresh(product, ["variants"])
    read = check_options(product, rows)
    by_id = {variant.id: variant for variant in product.variants}
    stocks: dict[ProductVariant, int] = {}
    for position, each in enumerate(read):
        variant = by_id.get(each.row.id) if each.row.id is not None else None
        if variant is None:
            variant = ProductVariant(product=product)
            db.session.add(variant)
        variant.label = each.label
        variant.price_amount = each.price
        variant.weight_grams = each.weight
        variant.photo_key = each.row.photo_key or None
        variant.position = position
        variant.is_active = each.row.is_active
        stocks[variant] = each.stock
    set_option_stock(product, stocks)
    if product.options:
        product.price_amount = min(variant.price_amount for variant in product.options)
    product.options_token = token
    db.session.flush()


def _applied_token(product_id: int) -> str | None:
    """The token of the options form last applied to the product, as committed now."""
    return db.session.scalar(select(Product.options_token).where(Product.id == product_id))
