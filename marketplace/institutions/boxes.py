"""The gift-box builder: what can go in a box, whether households can make it in time,
and the holds that keep that promise."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.catalog.models import Product, ProductStatus, Seller, SellerStatus
from marketplace.catalog.options import ProductVariant
from marketplace.catalog.services import licence_in_force, today_local
from marketplace.db import db
from marketplace.errors import NotFound, Refusals
from marketplace.institutions.members import InstitutionError, is_officer_of
from marketplace.institutions.models import (
    BoxTemplate,
    BoxTemplateLine,
    Quote,
    QuoteLine,
)
from marketplace.institutions.settings import setting
from marketplace.inventory.capacity import Fit, Misfit, Promise, check_fit
from marketplace.inventory.stock import (
    closures_of,
    lock_products,
    place_hold,
    promises_on,
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


def list_templates(institution_id: int) -> list[BoxTemplate]:
    return list(
        db.session.scalars(
            select(BoxTemplate)
            .where(BoxTemplate.institution_id == institution_id)
            .options(selectinload(BoxTemplate.lines).selectinload(BoxTemplateLine.product))
            .order_by(BoxTemplate.name)
        )
    )


@dataclass
class BoxLine:
    product_id: int
    quantity_per_box: int


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
    """Products an institution may put in a box: what the public may buy, except (for now)
    products sold by option (rasa, ukuran), whose stock is their options': a box line names
    a product, not an option, and taking a product's units without its option's would part
    the product's stock from the sum of its options'."""
    return (
        select(Product)
        .join(Product.seller)
        .where(
            Product.status == ProductStatus.PUBLISHED.value,
            Seller.status == SellerStatus.ACTIVE.value,
            licence_in_force(),
            ~Product.variants.any(ProductVariant.is_active),
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
        .options(selectinload(Product.seller))
        .order_by(OfficialGift.id.is_(None), OfficialGift.position, Seller.shop_name, Product.name)
    )
    return [(product, bool(official)) for product, official in rows]


def check_order(order: BoxOrder) -> list[tuple[Product, int]]:
    """Every rule of a gift-box order, each problem named at once; the products and
    how many of each the whole order needs."""
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
    quantities: dict[int, int] = {}
    for line in order.lines:
        if line.quantity_per_box < 1 or line.quantity_per_box > 100:
            refuse(_l("Jumlah per bingkisan antara 1 dan 100."), "lines")
            continue
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity_per_box
    if not quantities and not order.lines:
        refuse(_l("Pilih minimal satu produk untuk bingkisan."), "lines")
    products = {
        p.id: p
        for p in db.session.scalars(
            select(Product).where(Product.id.in_(quantities)).options(selectinload(Product.seller))
        )
    }
    orderable = set(
        db.session.scalars(
            _orderable().with_only_columns(Product.id).where(Product.id.in_(quantities))
        )
    )
    for product_id in quantities:
        product = products.get(product_id)
        if product is None:
            refuse(_l("Produk tidak ditemukan."), "lines")
        elif product_id not in orderable:
            refuse(
                _l("%(name)s sedang tidak dijual. Pilih produk lain.", name=product.name), "lines"
            )
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
    return [(products[pid], qty) for pid, qty in quantities.items()]


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


def _promises(product_ids: list[int], exclude_quote_id: int | None) -> dict[int, list[Promise]]:
    return promises_on(product_ids, today_local(), exclude_quote_id)


def fit_of(product: Product, needed: int, due_on: dt.date, exclude_quote_id=None) -> Fit:
    promises = _promises([product.id], exclude_quote_id)[product.id]
    closures = closures_of([product.seller_id], today_local()).get(product.seller_id, ())
    return check_fit(
        supply_of(product, closures),
        needed,
        today_local(),
        due_on,
        promises,
        setting("MIN_SHELF_DAYS_AFTER_DELIVERY"),
    )


def find_alternatives(product: Product, needed: int, due_on: dt.date, limit: int = 3):
    """Other households' products of the same category that can supply ``needed`` by
    ``due_on``: those of the same kabupaten first, then the cheapest."""
    candidates = list(
        db.session.scalars(
            _orderable()
            .where(
                Product.category_id == product.category_id,
                Product.seller_id != product.seller_id,
            )
            .options(selectinload(Product.seller))
            .order_by(Seller.region_id != product.seller.region_id, Product.price_now, Product.id)
        )
    )
    if not candidates:
        return []
    fits = _fits(candidates, due_on, dict.fromkeys((c.id for c in candidates), needed))
    return [c for c in candidates if fits[c.id].fits][:limit]


def supply_by(
    products: list[Product], due_on: dt.date, exclude_quote_id: int | None = None
) -> dict[int, Fit]:
    """What each product can still supply by ``due_on``, nothing asked yet: the one count
    of capacity (``check_fit``, the builder's, approval's and checkout's), with the reason
    when it cannot be ready at all (lead time, shelf life)."""
    return _fits(products, due_on, {}, exclude_quote_id)


def _fits(
    products: list[Product], due_on: dt.date, needed: dict[int, int], exclude_quote_id=None
) -> dict[int, Fit]:
    promises = _promises([p.id for p in products], exclude_quote_id)
    today = today_local()
    closures = closures_of([p.seller_id for p in products], today)
    min_shelf = setting("MIN_SHELF_DAYS_AFTER_DELIVERY")
    return {
        p.id: check_fit(
            supply_of(p, closures.get(p.seller_id, ())),
            needed.get(p.id, 0),
            today,
            due_on,
            promises[p.id],
            min_shelf,
        )
        for p in products
    }


@dataclass(frozen=True)
class BoxLineSupply:
    """One product of a box being composed: what the order needs of it, what it can supply
    by the delivery date, and, when short, who else can."""

    product: Product
    needed: int
    fit: Fit
    alternatives: list[Product] = field(default_factory=list)


def check_box_supply(
    order: BoxOrder, exclude_quote_id: int | None = None
) -> list[BoxLineSupply] | None:
    """Each chosen product's supply for the order as composed so far; None until a
    delivery date in the future and a number of boxes are given."""
    today = today_local()
    if order.delivery_date is None or order.delivery_date <= today or not order.box_count:
        return None
    per_box: dict[int, int] = {}
    for line in order.lines:
        per_box[line.product_id] = per_box.get(line.product_id, 0) + max(line.quantity_per_box, 0)
    products = list(
        db.session.scalars(
            _orderable().where(Product.id.in_(per_box)).options(selectinload(Product.seller))
        )
    )
    needed = {product_id: n * order.box_count for product_id, n in per_box.items()}
    fits = _fits(products, order.delivery_date, needed, exclude_quote_id)
    checks = []
    for product in sorted(products, key=lambda p: list(per_box).index(p.id)):
        fit = fits[product.id]
        short = [] if fit.fits else find_alternatives(product, fit.needed, order.delivery_date)
        checks.append(BoxLineSupply(product, fit.needed, fit, short))
    return checks


def check_quote_capacity(quote: Quote) -> list[LineCheck]:
    """Per line: can the household make it by the delivery date, and if not, who can."""
    product_ids = [line.product_id for line in quote.lines]
    promises = _promises(product_ids, quote.id)
    today = today_local()
    closures = closures_of([line.product.seller_id for line in quote.lines], today)
    min_shelf = setting("MIN_SHELF_DAYS_AFTER_DELIVERY")
    checks = []
    for line in quote.lines:
        fit = check_fit(
            supply_of(line.product, closures.get(line.product.seller_id, ())),
            line.quantity,
            today,
            quote.delivery_date,
            promises[line.product_id],
            min_shelf,
        )
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
            name=check.line.product_name,
            available=check.fit.available,
            needed=check.fit.needed,
        ),
        field="lines",
    )
    for line in quote.lines:
        place_hold(line.product_id, quote.id, line.quantity, quote.delivery_date, expires_at)


def place_line_hold(quote: Quote, product: Product, quantity: int) -> None:
    """Hold a replacement product for an ordered quote until its delivery date."""
    place_hold(
        product.id,
        quote.id,
        quantity,
        quote.delivery_date,
        _end_of_local_day(quote.delivery_date),
    )
