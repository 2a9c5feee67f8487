"""The PKK review queue and decisions: packaging of products, and shop applications."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.access import role_required
from marketplace.accounts.models import Role
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Product
from marketplace.db import db
from marketplace.errors import MarketplaceError, NotFound
from marketplace.pkk import services
from marketplace.pkk.forms import ReviewForm
from marketplace.sellers import services as sellers
from marketplace.sellers.forms import STATUS_LABELS, ApplicationDecisionForm
from marketplace.sellers.models import SellerApplication

bp = Blueprint("pkk", __name__, url_prefix="/pkk")


def get_product_for_reviewer_or_404(product_id: int) -> Product:
    try:
        return services.get_submission(product_id)
    except NotFound:
        abort(404)


@bp.route("/tinjauan")
@role_required(Role.REVIEWER)
def queue():
    region = request.args.get("region") or None
    category = request.args.get("category") or None
    return render_template(
        "pkk/queue.html",
        products=services.review_queue(region, category),
        regions=catalog.regions_with_counts(),
        categories=catalog.categories_with_counts(),
        region=region,
        category=category,
    )


@bp.route("/tinjauan/<int:product_id>", methods=["GET", "POST"])
@role_required(Role.REVIEWER)
def review(product_id: int):
    product = get_product_for_reviewer_or_404(product_id)
    form = ReviewForm()
    if form.validate_on_submit():
        reviewer = current_user._get_current_object()
        try:
            if form.decision.data == "approve":
                services.approve_product(
                    product, reviewer, form.note.data or "", form.photo_keys.data
                )
                message = _("Kemasan disetujui. Produk sekarang tampil untuk pembeli.")
            else:
                services.request_changes(product, reviewer, form.note.data or "")
                message = _("Permintaan perbaikan dikirim ke penjual.")
        except MarketplaceError as error:
            db.session.rollback()
            target = form.note if error.field == "note" else None
            if target is not None:
                target.errors = [*target.errors, str(error.message)]
            else:
                form.form_errors.append(str(error.message))
            product = get_product_for_reviewer_or_404(product_id)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("pkk.queue"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "pkk/review.html", product=product, form=form, status_labels=STATUS_LABELS
    ), status


def get_application_for_reviewer_or_404(application_id: int) -> SellerApplication:
    try:
        return sellers.get_application(application_id)
    except NotFound:
        abort(404)


@bp.route("/pendaftaran")
@role_required(Role.REVIEWER)
def applications():
    return render_template("pkk/applications.html", applications=sellers.pending_applications())


@bp.route("/pendaftaran/<int:application_id>", methods=["GET", "POST"])
@role_required(Role.REVIEWER)
def application(application_id: int):
    application = get_application_for_reviewer_or_404(application_id)
    form = ApplicationDecisionForm()
    if form.validate_on_submit():
        actor = current_user._get_current_object()
        try:
            if form.decision.data == "approve":
                sellers.approve_application(application, actor, form.note.data or "")
                message = _("Toko %(shop)s dibuka.", shop=application.shop_name)
            else:
                sellers.reject_application(application, actor, form.note.data or "")
                message = _("Pengajuan %(shop)s ditolak.", shop=application.shop_name)
        except MarketplaceError as error:
            db.session.rollback()
            if error.field == "note":
                form.note.errors = [*form.note.errors, str(error.message)]
            else:
                form.form_errors.append(str(error.message))
            application = get_application_for_reviewer_or_404(application_id)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("pkk.applications"))
    status = 400 if form.is_submitted() else 200
    return render_template("pkk/application.html", application=application, form=form), status
