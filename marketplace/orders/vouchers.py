"""Voucher campaigns of the platform or the PKK, and taking one at checkout.

A buyer types the code at checkout; the discount is a line of its own on the order
(``Order.discount_amount``), shared over the households' parts by the goods it covers
(``OrderPart.discount_amount``). The budget is taken with one guarded UPDATE
(``spent + x <= budget``): of buyers racing for its last rupiah, the database lets exactly
those through that fit. A buyer's uses are numbered under a unique (voucher, buyer, number):
one buyer's checkouts racing past the per-buyer limit get one use each, never more. The
platform funds the discount (``money.services``: ``Account.PLATFORM_VOUCHERS``); households
are paid their whole goods.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.catalog.pricing import wita_midnight
from marketplace.db import db, now_utc, today_local
from marketplace.errors import MarketplaceError, Refusals, check_days
from marketplace.once import added_once
from marketplace.orders.models import Voucher, VoucherSponsor, VoucherUse

MAX_CODE_LENGTH = 32
#: the longest one campaign runs, in WITA days
MAX_CAMPAIGN_DAYS = 366


class VoucherError(MarketplaceError):
    status_code = 422

    def __init__(self, message, field: str | None = "voucher_code"):
        super().__init__(message, field=field)


@dataclass(frozen=True)
class Taken:
    """A voucher taken for one order: its discount and each household's share of it."""

    voucher: Voucher
    amount: int
    #: seller id -> rupiah
    by_seller: dict[int, int]
    buyer_key: str


def clean_code(code: str | None) -> str:
    return "".join((code or "").split()).upper()[:MAX_CODE_LENGTH]


# -- campaigns --------------------------------------------------------------------------


def check_campaign(
    code: str,
    kind: str | None,
    value: int | None,
    budget: int | None,
    per_buyer_limit: int | None,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
) -> None:
    """Refuse what a campaign cannot be, each problem under its field."""
    problems = Refusals()
    if not code or not code.isalnum():
        problems.add(VoucherError(_l("Kode hanya huruf dan angka."), field="code"))
    elif db.session.scalar(select(Voucher.id).where(Voucher.code == code)):
        problems.add(VoucherError(_l("Kode ini sudah dipakai."), field="code"))
    if kind not in ("percent", "amount"):
        problems.add(VoucherError(_l("Pilih jenis potongan."), field="kind"))
    if not value or value <= 0:
        problems.add(VoucherError(_l("Isi besar potongan lebih dari nol."), field="value"))
    elif kind == "percent" and value > 100:
        problems.add(VoucherError(_l("Potongan paling besar 100%%."), field="value"))
    if not budget or budget <= 0:
        problems.add(VoucherError(_l("Isi anggaran lebih dari nol."), field="budget"))
    if not per_buyer_limit or per_buyer_limit <= 0:
        problems.add(VoucherError(_l("Isi batas per pembeli."), field="per_buyer_limit"))
    check_days(
        problems,
        starts_on,
        ends_on,
        today_local(),
        error=VoucherError,
        missing_start=_l("Isi tanggal mulai."),
        missing_end=_l("Isi tanggal terakhir."),
        max_days=MAX_CAMPAIGN_DAYS,
        too_long=_l("Kampanye paling lama %(n)s hari.", n=MAX_CAMPAIGN_DAYS),
    )
    problems.raise_any()


def create_campaign(
    *,
    code: str,
    sponsor: str,
    kind: str,
    value: int,
    budget: int,
    per_buyer_limit: int,
    starts_on: dt.date,
    ends_on: dt.date,
    product_ids: Sequence[int] = (),
    seller_ids: Sequence[int] = (),
    created_by_id: int | None = None,
) -> Voucher:
    code = clean_code(code)
    check_campaign(code, kind, value, budget, per_buyer_limit, starts_on, ends_on)
    voucher = Voucher(
        code=code,
        sponsor=VoucherSponsor(sponsor).value,
        kind=kind,
        value=value,
        budget_amount=budget,
        per_buyer_limit=per_buyer_limit,
        starts_at=wita_midnight(starts_on),
        ends_at=wita_midnight(ends_on + dt.timedelta(days=1)),
        product_ids=sorted(set(product_ids)),
        seller_ids=sorted(set(seller_ids)),
        created_by_id=created_by_id,
    )
    # the code is unique in the table: a twin request (a double tap) meets the first's there
    if not added_once(voucher):
        raise VoucherError(_l("Kode ini sudah dipakai."), field="code")
    return voucher


def ids_of(model, slugs_text: str, field: str) -> list[int]:
    """The ids of the shops or products named by their addresses' last parts
    (``amplang-bu-siti, toko-uji``), refusing any not found."""
    slugs = [slug.strip().rstrip("/").rsplit("/", 1)[-1] for slug in slugs_text.split(",")]
    slugs = [slug for slug in slugs if slug]
    found = dict(
        db.session.execute(select(model.slug, model.id).where(model.slug.in_(slugs))).all()
    )
    if missing := [slug for slug in slugs if slug not in found]:
        raise VoucherError(_l("Tidak ditemukan: %(names)s", names=", ".join(missing)), field=field)
    return [found[slug] for slug in slugs]


def list_campaigns() -> list[Voucher]:
    return list(db.session.scalars(select(Voucher).order_by(Voucher.starts_at.desc())))


# -- at checkout --------------------------------------------------------------------------


def _covers(voucher: Voucher, product_id: int, seller_id: int) -> bool:
    if not voucher.product_ids and not voucher.seller_ids:
        return True
    return product_id in (voucher.product_ids or []) or seller_id in (voucher.seller_ids or [])


def _split(total: int, weights: dict[int, int]) -> dict[int, int]:
    """``total`` over the keys in proportion to their weights, whole rupiah, largest
    remainders first, adding up exactly."""
    whole = sum(weights.values())
    shares = {key: total * weight // whole for key, weight in weights.items()}
    rest = total - sum(shares.values())
    by_remainder = sorted(weights, key=lambda key: (-(total * weights[key] % whole), key))
    for key in by_remainder[:rest]:
        shares[key] += 1
    return shares


def take(code: str, lines: Iterable[tuple[int, int, int]], buyer_key: str, *, cap: int) -> Taken:
    """Take the voucher ``code`` for a cart's ``(product id, seller id, line amount)``
    lines, at most ``cap`` rupiah, or refuse with the reason. Its budget is taken here, in
    the caller's transaction: a refusal after this rolls it back with the order."""
    voucher = db.session.scalar(select(Voucher).where(Voucher.code == clean_code(code)))
    if voucher is None:
        raise VoucherError(_l("Kode voucher tidak dikenal."))
    now = now_utc()
    if now < voucher.starts_at:
        raise VoucherError(_l("Voucher ini belum berlaku."))
    if now >= voucher.ends_at:
        raise VoucherError(_l("Voucher ini sudah berakhir."))
    covered: dict[int, int] = {}
    for product_id, seller_id, amount in lines:
        if _covers(voucher, product_id, seller_id):
            covered[seller_id] = covered.get(seller_id, 0) + amount
    goods = sum(covered.values())
    if not goods:
        raise VoucherError(_l("Voucher ini tidak berlaku untuk produk di keranjang Anda."))
    used = db.session.scalar(
        select(func.count(VoucherUse.id)).where(
            VoucherUse.voucher_id == voucher.id, VoucherUse.buyer_key == buyer_key
        )
    )
    if used >= voucher.per_buyer_limit:
        raise VoucherError(_l("Anda sudah memakai voucher ini."))
    amount = goods * voucher.value // 100 if voucher.kind == "percent" else voucher.value
    amount = max(0, min(amount, goods, cap))
    taken = db.session.execute(
        update(Voucher)
        .where(
            Voucher.id == voucher.id,
            Voucher.spent_amount + amount <= Voucher.budget_amount,
        )
        .values(spent_amount=Voucher.spent_amount + amount)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise VoucherError(_l("Anggaran voucher ini sudah habis."))
    return Taken(voucher, amount, _split(amount, covered), buyer_key)


def record_use(taken: Taken, order_id: int) -> None:
    """Record the buyer's use of the voucher on the order, as one of its numbered uses.

    ``take`` counted the buyer's uses before it took the budget, so two checkouts of one
    buyer at once both passed that count. Here, after the budget's UPDATE (whose row lock
    makes the second wait for the first's commit), the uses are read again and the lowest
    free use number is claimed; the unique (voucher, buyer, number) is the backstop that
    lets only one claim of a number through. The refused checkout rolls back whole.
    """
    numbers = set(
        db.session.scalars(
            select(VoucherUse.use_number).where(
                VoucherUse.voucher_id == taken.voucher.id,
                VoucherUse.buyer_key == taken.buyer_key,
            )
        )
    )
    free = next((n for n in range(1, taken.voucher.per_buyer_limit + 1) if n not in numbers), None)
    if free is None:
        raise VoucherError(_l("Anda sudah memakai voucher ini."))
    try:
        with db.session.begin_nested():
            db.session.add(
                VoucherUse(
                    voucher_id=taken.voucher.id,
                    order_id=order_id,
                    buyer_key=taken.buyer_key,
                    use_number=free,
                    amount=taken.amount,
                )
            )
            db.session.flush()
    except IntegrityError:
        raise VoucherError(_l("Anda sudah memakai voucher ini.")) from None


def give_back(order_id: int) -> int:
    """An order that was never paid (expired) gives its voucher's discount back to the
    budget and the use back to its buyer, once; how much went back."""
    use = db.session.scalar(select(VoucherUse).where(VoucherUse.order_id == order_id))
    if use is None:
        return 0
    db.session.execute(
        update(Voucher)
        .where(Voucher.id == use.voucher_id, Voucher.spent_amount >= use.amount)
        .values(spent_amount=Voucher.spent_amount - use.amount)
        .execution_options(synchronize_session=False)
    )
    db.session.delete(use)
    db.session.flush()
    return use.amount


def buyer_key(user_id: int | None, email: str, whatsapp: str) -> str:
    """Who a buyer is for the per-buyer limit: the account, else the e-mail, else WhatsApp."""
    if user_id is not None:
        return f"user:{user_id}"
    if email:
        return f"email:{email.strip().lower()}"
    return f"wa:{whatsapp}"
