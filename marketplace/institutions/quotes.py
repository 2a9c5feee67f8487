"""Gift-box quotations: their states, submission, approval and the order that follows."""

from __future__ import annotations

import datetime as dt
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.catalog.models import Product
from marketplace.catalog.options import ProductVariant
from marketplace.catalog.services import today_local
from marketplace.db import db, update_if
from marketplace.errors import NotFound
from marketplace.institutions.boxes import (
    BoxLine,
    BoxOrder,
    _end_of_local_day,
    _orderable,
    check_order,
    misfit_label,
    place_holds,
    refuse_shortfalls,
)
from marketplace.institutions.documents import (
    allocate_number,
    format_number,
    issue_order_letter,
    issue_quotation,
)
from marketplace.institutions.members import (
    InstitutionError,
    membership_of,
    office_of,
    require_membership,
)
from marketplace.institutions.messages import (
    tell_approvers,
    tell_author_approved,
    tell_author_returned,
)
from marketplace.institutions.models import (
    BoxTemplate,
    BoxTemplateLine,
    Document,
    DocumentKind,
    Quote,
    QuoteEvent,
    QuoteLine,
    QuoteStatus,
)
from marketplace.institutions.orders import (
    confirm_deadline,
    create_order_from_quote,
    get_gov_order_for_officer_or_404,
)
from marketplace.institutions.settings import setting
from marketplace.inventory.stock import (
    extend_holds,
    lock_products,
    release_holds,
)
from marketplace.once import IncompleteForm, added_once, create_once
from marketplace.paging import Page, paginate

S = QuoteStatus

#: Every move a quote may make; anything else is refused.
ALLOWED_MOVES: dict[QuoteStatus, frozenset[QuoteStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.APPROVED, S.RETURNED, S.CANCELLED}),
    S.RETURNED: frozenset({S.SUBMITTED, S.CANCELLED}),
    S.APPROVED: frozenset({S.ORDERED}),
    S.CANCELLED: frozenset(),
    S.ORDERED: frozenset(),
}


class QuoteMoved(InstitutionError):
    """The quote already made that move (a second click, or a racing one): nothing changed."""

    status_code = 409


#: What a quote says to a move it cannot make from where it stands: a double tap on a slow
#: network, a colleague's click at the same moment, or a page left open.
STANDS = {
    S.DRAFT: _l("Penawaran ini masih draf dan belum diajukan."),
    S.SUBMITTED: _l("Penawaran ini sudah diajukan dan menunggu persetujuan."),
    S.APPROVED: _l("Penawaran ini sudah disetujui."),
    S.ORDERED: _l("Penawaran ini sudah disetujui dan menjadi pesanan."),
    S.RETURNED: _l("Penawaran ini sudah dikembalikan ke staf."),
    S.CANCELLED: _l("Penawaran ini sudah dibatalkan."),
}


class QuoteExpired(InstitutionError):
    """Approval came after the validity date; the quote must be renewed."""


# -- institutions and members --------------------------------------------------------------


def get_quote_for_officer_or_404(quote_id: int, user: User, office=None) -> Quote:
    """The quote, if ``user`` is an officer of its institution; otherwise NotFound.

    Another institution's quote is "not found", not "forbidden": its existence is
    not that officer's business either. ``office`` is the user's place
    (``members.office_of``) when the caller has read it already. The quote comes with its
    lines, history and documents (``_quote_statement``).
    """
    quote = db.session.scalar(_quote_statement(), {"quote_id": quote_id})
    if quote is None:
        raise NotFound(_l("Penawaran tidak ditemukan."))
    if office is None:
        office = office_of(user)
    return seen_by_office_or_404(quote, office)


def seen_by_office_or_404(quote, office):
    """The quote (a ``Quote``, or a row of its columns), if ``office`` (a row of
    ``institution_id`` and ``can_approve``, as ``members.office_of`` reads it, or None) is
    of its institution; otherwise NotFound."""
    if quote is None or office is None or office.institution_id != quote.institution_id:
        raise NotFound(_l("Penawaran tidak ditemukan."))
    return quote


#: a line and its product in one statement (a quote's page checks each product's supply)
_LINES_AND_PRODUCTS = selectinload(Quote.lines).joinedload(QuoteLine.product, innerjoin=True)


@cache
def _quote_statement():
    """``get_quote_for_officer_or_404``'s statement, built once (building it cost about as
    much as running it)."""
    return (
        select(Quote)
        .where(Quote.id == bindparam("quote_id"))
        .options(
            _LINES_AND_PRODUCTS,
            # the history names who moved it: their roles are not read
            selectinload(Quote.events).joinedload(QuoteEvent.actor).lazyload(User.role_grants),
            # the page lists them by kind and number: the PDF itself is read when opened
            selectinload(Quote.documents).defer(Document.content),
        )
    )


#: quotes on one page of the office's dashboard
QUOTES_PER_PAGE = 30


#: the office's quotes, newest first, as rows of what the list shows: built once
_QUOTES = (
    select(
        Quote.id,
        Quote.number,
        Quote.event_name,
        Quote.delivery_date,
        Quote.status,
        Quote.total_amount,
    )
    .where(Quote.institution_id == bindparam("institution_id"))
    .order_by(Quote.id.desc())
)


def list_quotes(institution_id: int, page: int = 1) -> Page:
    """One page of the office's quotes, newest first, as rows of what the list shows (in
    that order: id, number, event name, delivery date, status, total)."""
    return paginate(
        _QUOTES, page, QUOTES_PER_PAGE, rows=True, params={"institution_id": institution_id}
    )


# -- the gift box builder ---------------------------------------------------------------


def _fill_quote(
    quote: Quote, order: BoxOrder, lines: list[tuple[Product, ProductVariant | None, int]]
) -> None:
    quote.event_name = order.event_name.strip()
    quote.budget_code = order.budget_code.strip()
    quote.rup_code = order.rup_code.strip()
    quote.box_count = order.box_count
    quote.card_text = order.card_text.strip()
    quote.delivery_date = order.delivery_date
    quote.delivery_time = order.delivery_time.strip()
    quote.delivery_place = order.delivery_place.strip()
    quote.lines.clear()
    db.session.flush()
    for product, variant, quantity in lines:
        quote.lines.append(
            QuoteLine(
                product=product,
                variant=variant,
                variant_label=variant.label if variant else "",
                seller_id=product.seller_id,
                product_name=product.name,
                shop_name=product.seller.shop_name,
                unit=product.unit,
                quantity_per_box=quantity,
                unit_price_amount=(variant or product).price_now,
                is_vat_registered=product.seller.is_vat_registered,
            )
        )
    price_quote(quote)
    db.session.flush()


def _rate(amount: int, basis_points: int) -> int:
    """``amount`` times a rate in basis points, rounded half up to whole rupiah."""
    return (amount * basis_points + 5000) // 10000


def price_quote(quote: Quote) -> None:
    """Work out the quote's amounts from its lines and the tax and shipping settings."""
    goods = sum(line.line_amount for line in quote.lines)
    taxable = sum(line.line_amount for line in quote.lines if line.is_vat_registered)
    households = {line.seller_id for line in quote.lines}
    quote.goods_amount = goods
    quote.card_amount = setting("QUOTE_CARD_AMOUNT") * quote.box_count if quote.card_text else 0
    quote.shipping_amount = setting("QUOTE_SHIPPING_PER_SELLER_AMOUNT") * len(households)
    quote.ppn_amount = _rate(taxable, setting("PPN_RATE_BP"))
    quote.total_amount = goods + quote.card_amount + quote.shipping_amount + quote.ppn_amount
    # PPh 22 is not added to the price: the treasurer keeps it back from the payment.
    threshold = setting("PPH22_THRESHOLD_AMOUNT")
    quote.pph22_amount = _rate(goods, setting("PPH22_RATE_BP")) if goods > threshold else 0


def create_quote(user: User, order: BoxOrder, token: str | None = None) -> Quote:
    """Start a draft quotation from a composed gift box; from the builder (``token``), once
    per form sent: "Simpan" pressed twice makes one draft."""
    member = require_membership(user)
    lines = check_order(order)
    quote = Quote(institution_id=member.institution_id, created_by_id=user.id)
    _fill_quote(quote, order, lines)  # not in the session yet: written whole, once, below
    quote.events.append(QuoteEvent(actor_id=user.id, to_status=S.DRAFT.value))
    if token is None:  # not from the builder (a template, a script): nothing sent twice
        db.session.add(quote)
        db.session.flush()
        return quote
    quote, _created = create_once(quote, token)
    if quote.created_by_id != user.id:  # a token is the page's own: never another's quote
        raise IncompleteForm(_l("Formulir tidak lengkap. Muat ulang halaman lalu coba lagi."))
    return quote


def update_quote(quote_id: int, user: User, order: BoxOrder) -> Quote:
    """Change a draft or returned quote; prices are taken afresh."""
    quote = get_quote_for_officer_or_404(quote_id, user)
    if not quote.is_editable:
        raise InstitutionError(_l("Penawaran ini tidak bisa diubah lagi."))
    _fill_quote(quote, order, check_order(order))
    db.session.flush()
    return quote


def order_from_quote(quote: Quote) -> BoxOrder:
    """The builder's fields filled from a quote (to edit it or to order the same again)."""
    return BoxOrder(
        event_name=quote.event_name,
        budget_code=quote.budget_code,
        rup_code=quote.rup_code,
        box_count=quote.box_count,
        card_text=quote.card_text,
        delivery_date=quote.delivery_date,
        delivery_time=quote.delivery_time,
        delivery_place=quote.delivery_place,
        lines=[
            BoxLine(line.product_id, line.quantity_per_box, line.variant_id) for line in quote.lines
        ],
    )


def save_template(quote_id: int, user: User, name: str) -> BoxTemplate:
    """Keep a quote's box (products, quantities, card) to compose the next one from, under
    a name of its own in the office: saved twice (a double tap), it is kept once."""
    quote = get_quote_for_officer_or_404(quote_id, user)
    if not name.strip():
        raise InstitutionError(_l("Beri nama templat."), field="name")
    template = BoxTemplate(
        institution_id=quote.institution_id,
        name=name.strip()[:120],
        card_text=quote.card_text,
        created_by_id=user.id,
        lines=[
            BoxTemplateLine(
                product_id=line.product_id,
                variant_id=line.variant_id,
                quantity_per_box=line.quantity_per_box,
            )
            for line in quote.lines
        ],
    )
    if not added_once(template):  # the office's names are unique: a twin saved it first
        raise InstitutionError(_l("Templat dengan nama ini sudah ada. Beri nama lain."), "name")
    return template


# -- capacity ---------------------------------------------------------------------------


# -- the quote's states -----------------------------------------------------------------


def move_quote(quote: Quote, to: QuoteStatus, actor: User | None, reason: str = "") -> None:
    """Change the status along an allowed move and record who, when and why.

    Every service moves the quote before anything else it writes: the guarded UPDATE is
    the first lock its transaction takes, so of several requests at once (PostgreSQL) one
    wins and the others wait on the quote's row, then are told where it stands; none of
    them holds a line, a product or a document counter the winner needs (no deadlock).
    """
    current = QuoteStatus(quote.status)
    if to not in ALLOWED_MOVES[current]:
        raise QuoteMoved(STANDS[current])
    if not update_if(Quote, quote.id, Quote.status == current.value, status=to.value):
        db.session.refresh(quote)
        raise QuoteMoved(STANDS[QuoteStatus(quote.status)])
    quote.events.append(
        QuoteEvent(
            actor_id=actor.id if actor else None,
            from_status=current.value,
            to_status=to.value,
            reason=reason.strip(),
        )
    )
    quote.status = to.value
    db.session.flush()


def submit_quote(quote_id: int, user: User) -> Quote:
    """Send the quote to the head of office: check, price, hold, number and issue the PDF."""
    quote = get_quote_for_officer_or_404(quote_id, user)
    move_quote(quote, S.SUBMITTED, user)
    # Prices, licences and pauses may have changed since the draft: rebuild from today's.
    order = order_from_quote(quote)
    _fill_quote(quote, order, check_order(order))
    today = today_local()
    quote.valid_until = today + dt.timedelta(days=setting("QUOTE_VALIDITY_DAYS"))
    place_holds(quote, _end_of_local_day(quote.valid_until))
    if quote.number is None:
        year = today.year
        quote.number = format_number(
            DocumentKind.QUOTATION,
            year,
            allocate_number(DocumentKind.QUOTATION.value, year),
        )
    issue_quotation(quote, user)
    tell_approvers(quote, user)
    return quote


def _refuse_unorderable(quote: Quote) -> None:
    """A product paused (or unlicensed) since submission must be replaced first."""
    product_ids = [line.product_id for line in quote.lines]
    orderable = set(
        db.session.scalars(
            _orderable().with_only_columns(Product.id).where(Product.id.in_(product_ids))
        )
    )
    for line in quote.lines:
        gone = line.variant_id is not None and line.product.option(line.variant_id) is None
        if line.product_id not in orderable or gone:
            raise InstitutionError(
                _l(
                    "%(name)s sudah tidak dijual. Kembalikan penawaran agar staf menggantinya.",
                    name=line.full_name,
                )
            )


def _approver(quote: Quote, user: User) -> None:
    member = membership_of(user)
    if member is None or not member.can_approve:
        raise InstitutionError(_l("Hanya kepala kantor yang dapat menyetujui penawaran."))
    if quote.created_by_id == user.id:
        raise InstitutionError(_l("Anda tidak dapat menyetujui penawaran yang Anda buat sendiri."))


def approve_quote(quote_id: int, user: User) -> Quote:
    """Approve a submitted quote within its validity; a second approval is told, not done."""
    quote = get_quote_for_officer_or_404(quote_id, user)
    _approver(quote, user)
    if quote.status in (S.DRAFT.value, S.RETURNED.value):
        raise InstitutionError(_l("Hanya penawaran yang sudah diajukan yang dapat disetujui."))
    if quote.valid_until is None or quote.valid_until < today_local():
        raise QuoteExpired(
            _l(
                "Masa berlaku penawaran ini sudah habis (%(day)s). Perbarui penawaran untuk "
                "mendapat harga dan ketersediaan terbaru, lalu ajukan lagi.",
                day=quote.valid_until.isoformat() if quote.valid_until else "-",
            )
        )
    _refuse_unorderable(quote)
    move_quote(quote, S.APPROVED, user)
    lock_products([line.product_id for line in quote.lines])
    _refuse_unmeetable(quote)
    # The promise now stands until the goods are delivered.
    extend_holds(quote.id, _end_of_local_day(quote.delivery_date))
    issue_order_letter(quote, user, today_local().year)

    order = create_order_from_quote(quote, user)
    move_quote(quote, S.ORDERED, user, order.number)
    tell_author_approved(quote, user, order)
    return quote


def _refuse_unmeetable(quote: Quote) -> None:
    """The delivery date must still be met on the day of approval: each household has a
    day to confirm before it must start making, and every line still fits (the same count
    as the builder and checkout, this quote's own holds counting for it)."""
    today = today_local()
    if quote.delivery_date <= today:
        raise InstitutionError(
            _l(
                "Tanggal pengantaran (%(day)s) sudah lewat. Kembalikan penawaran agar staf "
                "memilih tanggal baru.",
                day=quote.delivery_date.isoformat(),
            )
        )
    by_seller: dict[int, list[QuoteLine]] = {}
    for line in quote.lines:
        by_seller.setdefault(line.seller_id, []).append(line)
    for lines in by_seller.values():
        products = [line.product for line in lines]
        start = quote.delivery_date - dt.timedelta(
            days=max(product.lead_time_days for product in products)
        )
        deadline = confirm_deadline(quote.delivery_date, products)
        if deadline > start:
            raise InstitutionError(
                _l(
                    "%(shop)s tidak sempat mengonfirmasi (paling cepat %(deadline)s) sebelum "
                    "mulai membuat pesanan untuk %(day)s. Kembalikan penawaran agar staf "
                    "memilih tanggal lain.",
                    shop=lines[0].seller.shop_name,
                    deadline=deadline.isoformat(),
                    day=quote.delivery_date.isoformat(),
                )
            )
    refuse_shortfalls(
        quote,
        lambda check: _l(
            "%(name)s tidak bisa disiapkan untuk %(day)s: %(why)s. Kembalikan "
            "penawaran agar staf menggantinya.",
            name=check.line.full_name,
            day=quote.delivery_date.isoformat(),
            why=misfit_label(check.fit),
        ),
    )


def return_quote(quote_id: int, user: User, reason: str) -> Quote:
    """Send the quote back to the officer with a comment; its holds are let go."""
    quote = get_quote_for_officer_or_404(quote_id, user)
    _approver(quote, user)
    if not reason.strip():
        raise InstitutionError(_l("Tulis alasan pengembalian."), field="reason")
    move_quote(quote, S.RETURNED, user, reason)
    release_holds(quote.id)
    tell_author_returned(quote, user, reason)
    return quote


def cancel_quote(quote_id: int, user: User, reason: str = "") -> Quote:
    quote = get_quote_for_officer_or_404(quote_id, user)
    move_quote(quote, S.CANCELLED, user, reason)
    release_holds(quote.id)
    return quote


def renew_quote(quote_id: int, user: User) -> Quote:
    """A new draft with the same box at today's prices; an open original is cancelled."""
    quote = get_quote_for_officer_or_404(quote_id, user)
    order = order_from_quote(quote)
    if order.delivery_date <= today_local():
        raise InstitutionError(
            _l("Tanggal pengantaran penawaran lama sudah lewat; buat bingkisan baru."),
        )
    # An open original is cancelled first: of two renewals at once, one makes the new draft.
    is_open = quote.status in (S.DRAFT.value, S.SUBMITTED.value, S.RETURNED.value)
    if is_open:
        move_quote(quote, S.CANCELLED, user)
        release_holds(quote.id)
    renewed = create_quote(user, order)
    renewed.renewed_from_id = quote.id
    if is_open:
        quote.events[-1].reason = f"→ #{renewed.id}"
    db.session.flush()
    return renewed


def mark_quote_ordered(quote_id: int, actor: User | None = None, reference: str = "") -> Quote:
    """Record that an approved quote became an order (called by the checkout's side).

    The holds stay until the delivery date; the order takes over the promise.
    Calling it again changes nothing.
    """
    quote = db.session.get(Quote, quote_id)
    if quote is None:
        raise NotFound(_l("Penawaran tidak ditemukan."))
    if quote.status != S.ORDERED.value:
        move_quote(quote, S.ORDERED, actor, reference)
    return quote


def get_document_for_officer_or_404(document_id: int, user: User) -> Document:
    """An issued document of the officer's institution; otherwise NotFound."""
    document = db.session.get(Document, document_id)
    if document is None:
        raise NotFound(_l("Dokumen tidak ditemukan."))
    if document.order_id is not None:
        get_gov_order_for_officer_or_404(document.order_id, user)
        return document
    if document.quote_id is None:
        raise NotFound(_l("Dokumen tidak ditemukan."))
    get_quote_for_officer_or_404(document.quote_id, user)
    return document


# -- demo -------------------------------------------------------------------------------
