"""Issued documents: numbers sequential per kind and year, PDFs made once and kept."""

from __future__ import annotations

import hashlib

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.catalog.services import today_local
from marketplace.db import db, now_utc
from marketplace.institutions.models import (
    DOCUMENT_PREFIXES,
    Document,
    DocumentCounter,
    DocumentKind,
    Quote,
)
from marketplace.pdf import render_pdf


def allocate_number(kind: str, year: int, session: Session | None = None) -> int:
    """The next number of ``kind`` in ``year``; two callers at once never get the same one.

    The counter moves in one ``UPDATE ... RETURNING``: the row lock (PostgreSQL) or the
    write lock (SQLite) makes the second caller wait for the first to commit. The first
    number of a year inserts the row; of two first callers one hits the unique
    constraint and retries the update.
    """
    bump = (
        update(DocumentCounter)
        .where(DocumentCounter.kind == kind, DocumentCounter.year == year)
        .values(last_number=DocumentCounter.last_number + 1)
        .returning(DocumentCounter.last_number)
    )
    session = session or db.session
    for _attempt in range(3):
        number = session.execute(bump).scalar()
        if number is not None:
            return number
        try:
            with session.begin_nested():
                session.execute(insert(DocumentCounter).values(kind=kind, year=year, last_number=1))
        except IntegrityError:
            continue
        return 1
    raise RuntimeError(f"could not allocate a {kind} number for {year}")


def format_number(kind: DocumentKind, year: int, number: int) -> str:
    return f"{DOCUMENT_PREFIXES[kind]}/{year}/{number:04d}"


def _store(
    kind: DocumentKind,
    number: str,
    quote: Quote | None,
    actor: User,
    content: bytes,
    replaces=None,
    *,
    order_id: int | None = None,
    part_id: int | None = None,
    reason: str = "",
):
    document = Document(
        kind=kind.value,
        number=number,
        quote=quote,
        order_id=order_id,
        part_id=part_id,
        reason=reason,
        replaces_id=replaces.id if replaces else None,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        issued_by_id=actor.id,
    )
    db.session.add(document)
    db.session.flush()
    return document


def _revision_of(previous: Document) -> str:
    """The number of the next revision of a document: PNW/2026/0001/R1, then /R2."""
    base, _sep, revision = previous.number.partition("/R")
    return f"{base}/R{int(revision or 0) + 1}"


def _render(template: str, quote: Quote, number: str, **context) -> bytes:
    """A document's PDF: every one shows its quote, its number and when it was issued."""
    return render_pdf(template, quote=quote, number=number, issued_at=now_utc(), **context)


def _latest(quote: Quote, kind: DocumentKind) -> Document | None:
    return db.session.scalar(
        select(Document)
        .where(Document.quote_id == quote.id, Document.kind == kind.value)
        .order_by(Document.id.desc())
        .limit(1)
    )


def issue_order_letter(quote: Quote, approver: User, year: int) -> Document:
    """The Surat Pesanan of an approved quote, under its own yearly number."""
    kind = DocumentKind.ORDER_LETTER
    number = format_number(kind, year, allocate_number(kind.value, year))
    content = _render("institutions/pdf/order_letter.html", quote, number, approver=approver)
    return _store(kind, number, quote, approver, content)


def issue_revised_order_letter(quote: Quote, actor: User, *, order, bill, reason: str) -> Document:
    """A Surat Pesanan revised after a household was replaced: SP/2026/0001/R1 names and
    replaces the letter before it, lists the order's goods as they now stand (``bill``,
    as ordered) and says why (``reason``). The earlier letter stays as it was issued."""
    previous = _latest(quote, DocumentKind.ORDER_LETTER)
    assert previous is not None, "an ordered quote has its Surat Pesanan"
    number = _revision_of(previous)
    content = _render(
        "institutions/pdf/order_letter.html",
        quote,
        number,
        approver=actor,
        replaces=previous,
        reason=reason,
        bill=bill,
    )
    return _store(
        DocumentKind.ORDER_LETTER,
        number,
        quote,
        actor,
        content,
        previous,
        order_id=order.id,
        reason=reason,
    )


def issue_quotation(quote: Quote, actor: User) -> Document:
    """Make and keep the quotation PDF as the quote stands now.

    The first issue carries the quote's own number; a quote sent back and submitted
    again gets a revision (PNW/2026/0001/R1) that replaces the earlier document.
    """
    previous = _latest(quote, DocumentKind.QUOTATION)
    number = quote.number if previous is None else _revision_of(previous)
    content = _render("institutions/pdf/quotation.html", quote, number, replaces=previous)
    return _store(DocumentKind.QUOTATION, number, quote, actor, content, replaces=previous)


#: the template of each document of a government order
ORDER_TEMPLATES = {
    DocumentKind.DELIVERY_NOTE: "institutions/pdf/delivery_note.html",
    DocumentKind.HANDOVER: "institutions/pdf/handover.html",
    DocumentKind.INVOICE: "institutions/pdf/invoice.html",
    DocumentKind.RECEIPT: "institutions/pdf/receipt.html",
}


def issue_order_document(
    kind: DocumentKind,
    actor: User,
    *,
    order,
    quote: Quote,
    part=None,
    replaces: Document | None = None,
    reason: str = "",
    **context,
) -> Document:
    """Number, render and keep one document of a government order; it never changes after."""
    year = today_local().year
    number = format_number(kind, year, allocate_number(kind.value, year))
    content = _render(
        ORDER_TEMPLATES[kind],
        quote,
        number,
        order=order,
        part=part,
        replaces=replaces,
        reason=reason,
        **context,
    )
    return _store(
        kind,
        number,
        None,
        actor,
        content,
        replaces,
        order_id=order.id,
        part_id=part.id if part is not None else None,
        reason=reason,
    )


def issue_delivery_note(part, actor: User, replaces: Document | None = None, reason: str = ""):
    """The surat jalan that goes with one household's goods."""
    order = part.order
    quote = db.session.get(Quote, order.quote_id)
    return issue_order_document(
        DocumentKind.DELIVERY_NOTE,
        actor,
        order=order,
        quote=quote,
        part=part,
        replaces=replaces,
        reason=reason,
    )
