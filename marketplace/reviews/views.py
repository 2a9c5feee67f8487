"""The buyer's review form, the household's reviews with their replies, hiding a review."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from marketplace.accounts.access import role_required
from marketplace.accounts.forms import EmptyForm
from marketplace.accounts.models import Role
from marketplace.db import db, unit_of_work
from marketplace.errors import MarketplaceError
from marketplace.locales import current_language
from marketplace.orders import inbox, queries
from marketplace.paging import requested_page
from marketplace.reviews import (
    personal_data,  # noqa: F401  registers the person's reviews
    services,
)
from marketplace.reviews.models import MAX_TEXT, Review, rating_average
from marketplace.web import attempt, raise_page_errors

bp = Blueprint("reviews", __name__)


def _order_or_404(token: str):
    """The order behind the private link (an unpaid one past its time expires here)."""
    with unit_of_work():
        order = queries.get_order_by_token(token[:64])
        db.session.commit()
    return order


@bp.route("/pesanan/<token>/ulasan/<id:line_id>", methods=["GET", "POST"])
def write(token: str, line_id: int):
    """Signed in or through the order's private link: the link is the proof of purchase."""
    order = _order_or_404(token)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        with attempt(shown=False) as done:
            services.write_review(
                queries.get_order_by_token(token[:64]),
                line_id,
                rating=request.form.get("rating"),
                body=request.form.get("body"),
                buyer_id=current_user.id if current_user.is_authenticated else None,
            )
        if done.ok:
            flash(_("Terima kasih, ulasan Anda sudah tampil."), "success")
            return redirect(url_for("payments.order_page", token=token), 303)
        errors[done.error.field or "form"] = str(done.error.message)
        order, status = _order_or_404(token), done.status
    return _write_page(order, line_id, errors), status


def _write_page(order, line_id: int, errors: dict[str, str]):
    return render_template(
        "reviews/write.html",
        order=order,
        item=services.line_of_order(order, line_id),
        errors=errors,
        max_text=MAX_TEXT,
        rating=request.form.get("rating", ""),
        body=request.form.get("body", ""),
    )


# --- the household ------------------------------------------------------------------------


def _seller_id() -> int:
    return inbox.seller_id_for_user(current_user.id)


def _seller_page(seller_id: int, errors: dict | None = None, status: int = 200):
    reviews = services.list_seller_reviews(seller_id, requested_page())
    return render_template(
        "reviews/seller.html",
        reviews=reviews,
        errors=errors or {},
        max_text=MAX_TEXT,
        reply_href=_reply_href(),
        ratings=_ratings(current_language()),
    ), status


@lru_cache(maxsize=16)
def _ratings(language: str) -> dict[int, tuple[Markup, str]]:
    """Each rating's label and stars ("4 dari 5 bintang", "★★★★☆"), the label written as
    the template's ``_()`` writes it (the translation as markup): once per process and
    language (``language``, the key: the translation reads the same one)."""
    label = Markup(_("%(n)s dari 5 bintang"))  # noqa: S704 (our translation)
    return {n: (label % {"n": n}, "★" * n + "☆" * (5 - n)) for n in range(1, 6)}


def _reply_href() -> tuple[str, str]:
    """A review's reply address around its id (``/penjual/ulasan/`` and ``/balas``), built
    once for the page: the address ``url_for`` writes, without its cost per review."""
    head, marker, tail = url_for("reviews.reply", review_id=0).rpartition("/0/")
    if not marker:
        raise ValueError("the reply address does not hold the review's id")
    return head + "/", "/" + tail


@bp.route("/penjual/ulasan")
@role_required(Role.SELLER)
def seller_reviews():
    return _seller_page(_seller_id())


@bp.route("/penjual/ulasan/<id:review_id>/balas", methods=["POST"])
@role_required(Role.SELLER)
def reply(review_id: int):
    seller_id = _seller_id()
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            services.reply_to_review(
                review_id, seller_id, text=request.form.get("reply"), actor_id=current_user.id
            )
            db.session.commit()
    except MarketplaceError as error:
        db.session.rollback()
        raise_page_errors(error)
        return _seller_page(seller_id, {review_id: str(error.message)}, error.status_code)
    flash(_("Balasan Anda sudah tampil di halaman produk."), "success")
    return redirect(url_for("reviews.seller_reviews"), 303)


# --- reviewers and admins -----------------------------------------------------------------


@bp.route("/ulasan/<id:review_id>/sembunyikan", methods=["GET", "POST"])
@role_required(Role.REVIEWER)
def hide(review_id: int):
    review = db.get_or_404(Review, review_id)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        try:
            with unit_of_work():
                review = services.hide_review(
                    review_id, reason=request.form.get("reason"), actor_id=current_user.id
                )
                db.session.commit()
        except MarketplaceError as error:
            db.session.rollback()
            errors[error.field or "form"] = str(error.message)
            status = error.status_code
        else:
            flash(_("Ulasan disembunyikan."), "success")
            return redirect(url_for("reviews.hide", review_id=review_id), 303)
        review = db.get_or_404(Review, review_id)
    return render_template(
        "reviews/hide.html", review=review, errors=errors, reason=request.form.get("reason", "")
    ), status


@bp.app_template_filter("rating")
def rating_label(holder) -> str:
    """``4,5`` (Indonesian) or ``4.5`` (English) from a product's or shop's sum and count."""
    average: Decimal | None = rating_average(holder.rating_sum, holder.rating_count)
    return format_decimal(average, "0.0") if average is not None else ""


@bp.app_context_processor
def review_helpers() -> dict:
    return {"reviews_of_order": services.reviews_of_order, "can_hide_reviews": can_hide_reviews}


def can_hide_reviews() -> bool:
    """The visitor may hide reviews: the product page shows them a link per review."""
    return current_user.is_authenticated and current_user.has_role(Role.REVIEWER, Role.ADMIN)
