"""What a product sells for now (its list price less a household's live promotion: the one
"price now" is ``Product.price_now``, whose SQL lives in ``catalog.models``), the
household's promotions, and what of a sale is the platform's commission."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.catalog.models import Product, Promotion, PromotionKind, live_promotions
from marketplace.db import WITA, db, now_utc, today_local
from marketplace.errors import MarketplaceError, Refusals, check_days
from marketplace.once import create_once

DEFAULT_COMMISSION_RATE_BP = 500
FULL_BP = 10_000


def commission_rate_bp(products: Iterable[Product]) -> int:
    """The rate to freeze on a part at the time of sale.

    ``COMMISSION_CATEGORY_BP`` overrides the platform's ``COMMISSION_RATE_BP`` for a
    category; a part whose products all share one overridden rate gets it, any
    other part gets the platform rate.
    """
    default = int(current_app.config.get("COMMISSION_RATE_BP", DEFAULT_COMMISSION_RATE_BP))
    overrides: dict[str, int] = current_app.config.get("COMMISSION_CATEGORY_BP") or {}
    rates = {overrides.get(product.category.slug, default) for product in products}
    rate = rates.pop() if len(rates) == 1 else default
    if not 0 <= rate <= FULL_BP:
        raise ValueError("a commission rate is between 0 and 10000 basis points")
    return rate


# -- a household's own promotions -------------------------------------------------------

#: the deepest percent a household may take off (the check constraint says the same)
MAX_PROMOTION_PERCENT = 90
#: the longest one promotion runs, in WITA days
MAX_PROMOTION_DAYS = 62


class PromotionError(MarketplaceError):
    pass


def wita_midnight(day: dt.date) -> dt.datetime:
    """Midnight WITA at the start of ``day``, in UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=WITA).astimezone(dt.UTC)


def check_promotion(
    product: Product,
    kind: str | None,
    value: int | None,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    today: dt.date,
) -> None:
    """Refuse what a promotion cannot be, each problem under its field."""
    problems = Refusals()
    if kind not in {k.value for k in PromotionKind}:
        problems.add(PromotionError(_l("Pilih jenis potongan."), field="kind"))
    if value is None or value <= 0:
        problems.add(PromotionError(_l("Isi besar potongan lebih dari nol."), field="value"))
    elif kind == PromotionKind.PERCENT.value and value > MAX_PROMOTION_PERCENT:
        problems.add(
            PromotionError(
                _l("Potongan paling besar %(n)s%%.", n=MAX_PROMOTION_PERCENT), field="value"
            )
        )
    elif kind == PromotionKind.AMOUNT.value and value >= product.price_amount:
        problems.add(
            PromotionError(_l("Potongan harus lebih kecil dari harga produk."), field="value")
        )
    check_days(
        problems,
        starts_on,
        ends_on,
        today,
        error=PromotionError,
        missing_start=_l("Isi tanggal mulai promo."),
        missing_end=_l("Isi tanggal terakhir promo."),
        max_days=MAX_PROMOTION_DAYS,
        too_long=_l("Promo paling lama %(n)s hari.", n=MAX_PROMOTION_DAYS),
    )
    problems.raise_any()


def add_promotion(
    product: Product,
    kind: str,
    value: int,
    starts_on: dt.date,
    ends_on: dt.date,
    token: str | None = None,
) -> Promotion:
    """A discount on ``product`` from the first WITA day through the last; the catalogue
    version moves with the row, and public pages show it from its first day. From a form
    (``token``), once per form sent: a double tap on "Simpan" adds one promotion."""
    check_promotion(product, kind, value, starts_on, ends_on, today_local())
    promotion = Promotion(
        product_id=product.id,
        kind=kind,
        value=value,
        starts_at=wita_midnight(starts_on),
        ends_at=wita_midnight(ends_on + dt.timedelta(days=1)),
    )
    if token is not None:
        return create_once(promotion, token)[0]
    db.session.add(promotion)  # not from a form (the demo, a script): nothing sent twice
    db.session.flush()
    return promotion


def cancel_promotion(product: Product, promotion_id: int) -> None:
    """End one of the product's promotions now (the row stays: order lines name it)."""
    promotion = db.session.get(Promotion, promotion_id)
    if promotion is None or promotion.product_id != product.id:
        raise PromotionError(_l("Promo tidak ditemukan."))
    if promotion.cancelled_at is None:
        promotion.cancelled_at = now_utc()
    db.session.flush()


def promotions_of(product: Product) -> list[Promotion]:
    """The product's promotions not over nor cancelled, the soonest first."""
    return list(
        db.session.scalars(
            select(Promotion)
            .where(
                Promotion.product_id == product.id,
                Promotion.cancelled_at.is_(None),
                Promotion.ends_at > now_utc(),
            )
            .order_by(Promotion.starts_at, Promotion.id)
        )
    )


def promotion_now(product: Product, list_price: int | None = None) -> int | None:
    """The id of the promotion ``price_now`` takes off (frozen on an order line): the best
    live one on ``list_price`` (an option's; the product's by default), the older of two
    equal; None without one."""
    if not product.promotion_discount:
        return None
    price = product.price_amount if list_price is None else list_price
    live = db.session.scalars(
        select(Promotion).where(live_promotions(product.id)).order_by(Promotion.id)
    ).all()
    best = max(live, key=lambda p: (p.discount_on(price), -p.id), default=None)
    return best.id if best else None
