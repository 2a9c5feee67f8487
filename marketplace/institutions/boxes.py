"""The gift-box builder: what can go in a box, whether households can make it in time,
and the holds that keep that promise."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased, selectinload

from marketplace.accounts.models import User
from marketplace.catalog.models import Product, ProductStatus, Seller, SellerStatus
from marketplace.catalog.options import ProductVariant
from marketplace.catalog.services import licence_in_force, today_local
from marketplace.db import db, read_rows
from marketplace.errors import NotFound, Refusals
from marketplace.institutions.members import InstitutionError, is_officer_of
from marketplace.institutions.models import (
    BoxTemplate,
    BoxTemplateLine,
    Quote,
    QuoteLine,
)
from marketplace.institutions.settings import setting
from marketplace.inventory.capacity import Fit, Misfit, check_fit
from marketplace.inventory.stock import (
    lock_products,
    option_promises,
    place_hold,
    promises_and_closures,
    release_holds,
    supply_of,
)
from marketplace.pkk.models import OfficialGift

#: Wall-clock offset of Kalimantan Utara (WITA); holds end at the end of a local day.
WITA = dt.timezone(dt.timedelta(hours=8))


def get_template_for_officer_or_404(template_id: int, user: User) -> BoxTemplate:
    template = db.session.get(BoxTemplate, template_id)
    if template is None or not is_officer_of(user, template.institution_id):
        raise NotFound(_l("Templat tidak ditemukan."))
    return template


@dataclass(frozen=True, slots=True)
class TemplateRow:
    """A saved box as the office's dashboard lists it: plain values."""

    id: int
    name: str
    #: each line's quantity per box, product name and option label (None: no option)
    lines: list[tuple[int, str, str | None]] = field(default_factory=list)


#: the office's saved boxes, by name: built once
_TEMPLATES = (
    select(BoxTemplate.id, BoxTemplate.name)
    .where(BoxTemplate.institution_id == bindparam("institution_id"))
    .order_by(BoxTemplate.name)
)

#: their lines, with what the dashboard names of each product and option: built once
_TEMPLATE_LINES = (
    select(
        BoxTemplateLine.template_id,
        BoxTemplateLine.quantity_per_box,
        Product.name,
        ProductVariant.label,
    )
    .join(Product, Product.id == BoxTemplateLine.product_id)
    .outerjoin(ProductVariant, ProductVariant.id == BoxTemplateLine.variant_id)
    .where(BoxTemplateLine.template_id.in_(bindparam("templates", expanding=True)))
    .order_by(BoxTemplateLine.id)
)


def list_templates(institution_id: int) -> list[TemplateRow]:
    """The office's saved boxes with their lines (two statements, rows not objects)."""
    templates = {
        template_id: TemplateRow(template_id, name)
        for template_id, name in read_rows(_TEMPLATES, {"institution_id": institution_id})
    }
    if templates:
        lines = read_rows(_TEMPLATE_LINES, {"templates": list(templates)})
        for template_id, quantity, product_name, option in lines:
            templates[template_id].lines.append((quantity, product_name, option))
    return list(templates.values())


@dataclass
class BoxLine:
    product_id: int
    quantity_per_box: int
    #: the option (rasa, ukuran) chosen, for a product sold by option
    variant_id: int | None = None

    @property
    def key(self) -> tuple[int, int | None]:
        return (self.product_id, self.variant_id)


#: a box line's choice: a product, and its option when it is sold by option
Choice = tuple[int, int | None]


@dataclass
class BoxOrder:
    """What an officer fills in on the builder (None where the form could not read it)."""

    event_name: str
    budget_code: str
    box_count: int | None
    delivery_date: dt.date | None
    delivery_place: str
    delivery_time: str = ""
    rup_code: str = ""
    card_text: str = ""
    lines: list[BoxLine] = field(default_factory=list)


def _orderable():
    """Products an institution may put in a box: what the public may buy. A product sold
    by option (rasa, ukuran) goes in by one of its active options, never as itself."""
    return (
        select(Product)
        .join(Product.seller)
        .where(
            Product.status == ProductStatus.PUBLISHED.value,
            Seller.status == SellerStatus.ACTIVE.value,
            licence_in_force(),
        )
    )


def box_products() -> list[tuple[Product, bool]]:
    """The products to choose from: the PKK's official gifts first, then by shop and name.

    Each comes with whether it is one of the official gifts.
    """

    rows = db.session.execute(
        _orderable()
        .add_columns(OfficialGift.id.is_not(None))
        .outerjoin(OfficialGift, OfficialGift.product_id == Product.id)
        .options(selectinload(Product.seller), selectinload(Product.variants))
        .order_by(OfficialGift.id.is_(None), OfficialGift.position, Seller.shop_name, Product.name)
    )
    return [(product, bool(official)) for product, official in rows]


@dataclass(frozen=True)
class BoxChoice:
    """One choice of the builder: a product, or one active option of a product sold by
    option ("Amplang Ikan Pipih — Pedas / 250 g"), at its price now."""

    product: Product
    variant: ProductVariant | None
    official: bool

    @property
    def key(self) -> Choice:
        return (self.product.id, self.variant.id if self.variant else None)

    @property
    def name(self) -> str:
        return f"{self.product.name} — {self.variant.label}" if self.variant else self.product.name

    @property
    def price_now(self) -> int:
        return (self.variant or self.product).price_now


def box_choices() -> list[BoxChoice]:
    """Every choice of the builder: each product, or each active option of a product sold
    by option, in ``box_products``' order."""
    return [
        BoxChoice(product, variant, official)
        for product, official in box_products()
        for variant in (product.options or [None])
    ]


def check_order(order: BoxOrder) -> list[tuple[Product, ProductVariant | None, int]]:
    """Every rule of a gift-box order, each problem named at once; the products (with
    the option chosen, for one sold by option) and how many of each go in a box."""
    problems = Refusals()

    def refuse(message, field: str) -> None:
        problems.add(InstitutionError(message, field=field))

    if not order.event_name.strip():
        refuse(_l("Isi nama acara."), "event_name")
    if not order.budget_code.strip():
        refuse(_l("Isi kode anggaran (MAK)."), "budget_code")
    if not order.delivery_place.strip():
        refuse(_l("Isi alamat pengantaran."), "delivery_place")
    maximum = setting("QUOTE_MAX_BOXES")
    if order.box_count is None or order.box_count < 1:
        refuse(_l("Jumlah bingkisan minimal 1."), "box_count")
    elif order.box_count > maximum:
        refuse(_l("Jumlah bingkisan paling banyak %(n)s per penawaran.", n=maximum), "box_count")
    quantities: dict[Choice, int] = {}
    for line in order.lines:
        if line.quantity_per_box < 1 or line.quantity_per_box > 100:
            refuse(_l("Jumlah per bingkisan antara 1 dan 100."), "lines")
            continue
        quantities[line.key] = quantities.get(line.key, 0) + line.quantity_per_box
    if not quantities and not order.lines:
        refuse(_l("Pilih minimal satu produk untuk bingkisan."), "lines")
    product_ids = {product_id for product_id, _variant_id in quantities}
    products = {
        p.id: p
        for p in db.session.scalars(
            select(Product)
            .where(Product.id.in_(product_ids))
            .options(selectinload(Product.seller), selectinload(Product.variants))
        )
    }
    orderable = set(
        db.session.scalars(
            _orderable().with_only_columns(Product.id).where(Product.id.in_(product_ids))
        )
    )
    variants: dict[Choice, ProductVariant | None] = {}
    for product_id, variant_id in quantities:
        product = products.get(product_id)
        if product is None:
            refuse(_l("Produk tidak ditemukan."), "lines")
        elif product_id not in orderable:
            refuse(
                _l("%(name)s sedang tidak dijual. Pilih produk lain.", name=product.name), "lines"
            )
        elif variant_id is None and product.options:
            refuse(_l("Pilih rasa atau ukuran %(name)s dari daftar.", name=product.name), "lines")
        elif variant_id is not None and product.option(variant_id) is None:
            refuse(
                _l(
                    "Pilihan %(name)s itu sedang tidak dijual. Pilih yang lain.",
                    name=product.name,
                ),
                "lines",
            )
        else:
            variants[(product_id, variant_id)] = product.option(variant_id)
    today = today_local()
    if order.delivery_date is None:
        refuse(_l("Isi tanggal pengantaran."), "delivery_date")
    elif order.delivery_date <= today:
        refuse(_l("Tanggal pengantaran harus sesudah hari ini."), "delivery_date")
    elif products:
        shortest = min(product.lead_time_days for product in products.values())
        if order.delivery_date < today + dt.timedelta(days=shortest):
            refuse(
                _l(
                    "Tanggal pengantaran terlalu dekat: produk tercepat pun perlu %(n)s hari.",
                    n=shortest,
                ),
                "delivery_date",
            )
    problems.raise_any()
    return [(products[pid], variants[(pid, vid)], qty) for (pid, vid), qty in quantities.items()]


MISFIT_LABELS = {
    Misfit.PAST: _l("tanggal pengantaran sudah lewat"),
    Misfit.LEAD_TIME: _l("waktu pembuatan lebih lama dari sisa hari"),
    Misfit.SHELF_LIFE: _l("masa simpan tidak cukup sampai sesudah pengantaran"),
    Misfit.CAPACITY: _l("tidak cukup"),
    Misfit.CLOSED: _l("toko libur pada tanggal pengantaran"),
}


def misfit_label(fit: Fit) -> str:
    """Why a line does not fit, in the officer's words."""
    if fit.misfit is Misfit.CAPACITY:
        return _(
            "tidak cukup: tersedia %(available)s dari %(needed)s",
            available=fit.available,
            needed=fit.needed,
        )
    return str(MISFIT_LABELS[fit.misfit])


def supply_label(fit: Fit) -> str:
    """What a product can supply by the delivery date, in a few words for its option."""
    if fit.misfit is not None and fit.misfit is not Misfit.CAPACITY:
        return _("tidak sempat")
    return _("bisa %(n)s", n=fit.available)


@dataclass
class LineCheck:
    line: QuoteLine
    fit: Fit
    alternatives: list[Product] = field(default_factory=list)


#: what a box asks of one choice: the product, its option (if sold by option), how many
Item = tuple[Product, ProductVariant | None, int]


def _fits_of(items: list[Item], due_on: dt.date, exclude_quote_id=None) -> list[Fit]:
    """The one count of capacity (``check_fit``) for each item: a product's stock and
    production days less what is promised of it; an option of a product from stock,
    the option's stock less the holds on that option; an option of a made-to-order
    product, the product's shared daily capacity for all of its options asked."""
    products = {product.id: product for product, _variant, _n in items}
    today = today_local()
    promises, closures = promises_and_closures(
        list(products), [p.seller_id for p in products.values()], today, exclude_quote_id
    )
    by_option = option_promises(
        [v.id for p, v, _n in items if v is not None and not p.is_made_to_order],
        exclude_quote_id,
    )
    shared: dict[int, int] = {}
    for product, _variant, needed in items:
        shared[product.id] = shared.get(product.id, 0) + needed
    min_shelf = setting("MIN_SHELF_DAYS_AFTER_DELIVERY")
    fits = []
    for product, variant, needed in items:
        supply = supply_of(product, closures.get(product.seller_id, ()))
        promised = promises[product.id]
        if variant is None or product.is_made_to_order:
            fit_needed = needed if variant is None else shared[product.id]
            fits.append(check_fit(supply, fit_needed, today, due_on, promised, min_shelf))
            continue
        fit = check_fit(
            replace(supply, stock=variant.stock),
            needed,
            today,
            due_on,
            by_option[variant.id],
            min_shelf,
        )
        # The product's own count too: a hold placed before it had options names no option.
        whole = check_fit(supply, shared[product.id], today, due_on, promised, min_shelf)
        fits.append(whole if fit.fits and not whole.fits else fit)
    return fits


def fit_of(
    product: Product,
    needed: int,
    due_on: dt.date,
    exclude_quote_id=None,
    variant: ProductVariant | None = None,
) -> Fit:
    return _fits_of([(product, variant, needed)], due_on, exclude_quote_id)[0]


def find_alternatives(product: Product, needed: int, due_on: dt.date, limit: int = 3):
    """Other households' products of the same category that can supply ``needed`` by
    ``due_on``: those of the same kabupaten first, then the cheapest. (Products sold by
    option are chosen by option in the builder, not offered here.)"""
    candidates = list(
        db.session.scalars(
            _orderable()
            .where(
                Product.category_id == product.category_id,
                Product.seller_id != product.seller_id,
                ~Product.variants.any(ProductVariant.is_active),
            )
            .options(selectinload(Product.seller))
            .order_by(
                Seller.region_id != _region_of(product.seller_id), Product.price_now, Product.id
            )
        )
    )
    if not candidates:
        return []
    fits = _fits_of([(c, None, needed) for c in candidates], due_on)
    return [c for c, fit in zip(candidates, fits, strict=True) if fit.fits][:limit]


def _region_of(seller_id: int):
    """SQL: the kabupaten of household ``seller_id``, read inside the statement that orders
    by it (what ``find_alternatives`` reads of a product is its category and household,
    whether an object or a quote page's row)."""
    own = aliased(Seller)
    return select(own.region_id).where(own.id == seller_id).scalar_subquery()


def supply_by(
    choices: list[BoxChoice], due_on: dt.date, exclude_quote_id: int | None = None
) -> dict[Choice, Fit]:
    """What each choice can still supply by ``due_on``, nothing asked yet: the one count
    of capacity (``check_fit``, the builder's, approval's and checkout's), with the reason
    when it cannot be ready at all (lead time, shelf life)."""
    fits = _fits_of([(c.product, c.variant, 0) for c in choices], due_on, exclude_quote_id)
    return {c.key: fit for c, fit in zip(choices, fits, strict=True)}


@dataclass(frozen=True)
class BoxLineSupply:
    """One product (or option) of a box being composed: what the order needs of it, what
    it can supply by the delivery date, and, when short, who else can."""

    product: Product
    needed: int
    fit: Fit
    alternatives: list[Product] = field(default_factory=list)
    variant: ProductVariant | None = None

    @property
    def key(self) -> Choice:
        return (self.product.id, self.variant.id if self.variant else None)

    @property
    def name(self) -> str:
        return f"{self.product.name} — {self.variant.label}" if self.variant else self.product.name


def check_box_supply(
    order: BoxOrder, exclude_quote_id: int | None = None
) -> list[BoxLineSupply] | None:
    """Each chosen product's (or option's) supply for the order as composed so far; None
    until a delivery date in the future and a number of boxes are given."""
    today = today_local()
    if order.delivery_date is None or order.delivery_date <= today or not order.box_count:
        return None
    per_box: dict[Choice, int] = {}
    for line in order.lines:
        per_box[line.key] = per_box.get(line.key, 0) + max(line.quantity_per_box, 0)
    products = {
        p.id: p
        for p in db.session.scalars(
            _orderable()
            .where(Product.id.in_({product_id for product_id, _v in per_box}))
            .options(selectinload(Product.seller), selectinload(Product.variants))
        )
    }
    items: list[Item] = []
    for product_id, variant_id in per_box:
        product = products.get(product_id)
        if product is None:
            continue
        variant = product.option(variant_id)
        if (variant is None) != (variant_id is None) or (variant is None and product.options):
            continue  # check_order names the wrong choice
        items.append((product, variant, per_box[(product_id, variant_id)] * order.box_count))
    fits = _fits_of(items, order.delivery_date, exclude_quote_id)
    checks = []
    for (product, variant, _n), fit in zip(items, fits, strict=True):
        short = [] if fit.fits else find_alternatives(product, fit.needed, order.delivery_date)
        checks.append(BoxLineSupply(product, fit.needed, fit, short, variant))
    return checks


def check_quote_capacity(quote: Quote, lines=None) -> list[LineCheck]:
    """Per line: can the household make it by the delivery date, and if not, who can.
    ``lines``: the quote's lines as its page reads them (``quote_page.page_lines_of``), else
    its own."""
    lines = quote.lines if lines is None else lines
    items = [(line.product, line.variant, line.quantity) for line in lines]
    fits = _fits_of(items, quote.delivery_date, quote.id)
    checks = []
    for line, fit in zip(lines, fits, strict=True):
        check = LineCheck(line, fit)
        if not fit.fits:
            check.alternatives = find_alternatives(line.product, line.quantity, quote.delivery_date)
        checks.append(check)
    return checks


def _end_of_local_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), WITA).astimezone(dt.UTC)


def refuse_shortfalls(quote: Quote, describe, field: str | None = None) -> None:
    """Refuse, naming at once every line of ``quote`` that no longer fits by its delivery
    date (``describe(check)`` words it for the moment: submitting, approving)."""
    problems = Refusals()
    for check in check_quote_capacity(quote):
        if not check.fit.fits:
            problems.add(InstitutionError(describe(check), field=field))
    problems.raise_any()


def place_holds(quote: Quote, expires_at: dt.datetime) -> None:
    """Hold every line's quantity for the quote, or refuse if a line no longer fits."""
    product_ids = [line.product_id for line in quote.lines]
    lock_products(product_ids)
    release_holds(quote.id)
    refuse_shortfalls(
        quote,
        lambda check: _l(
            "%(name)s tidak bisa disiapkan tepat waktu (tersedia %(available)s dari "
            "%(needed)s). Ganti dengan produk lain atau ubah tanggal.",
            name=check.line.full_name,
            available=check.fit.available,
            needed=check.fit.needed,
        ),
        field="lines",
    )
    for line in quote.lines:
        place_hold(
            line.product_id,
            quote.id,
            line.quantity,
            quote.delivery_date,
            expires_at,
            variant_id=line.variant_id,
        )


def place_line_hold(quote: Quote, product: Product, quantity: int) -> None:
    """Hold a replacement product for an ordered quote until its delivery date."""
    place_hold(
        product.id,
        quote.id,
        quantity,
        quote.delivery_date,
        _end_of_local_day(quote.delivery_date),
    )
