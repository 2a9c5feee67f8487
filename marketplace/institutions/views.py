"""Protocol office pages: institutions (admin), the gift box builder, quotes, documents."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.accounts.access import role_required
from marketplace.accounts.forms import EmptyForm
from marketplace.accounts.models import Role
from marketplace.db import db
from marketplace.errors import MarketplaceError, NotFound
from marketplace.institutions import services
from marketplace.institutions.capacity import Misfit
from marketplace.institutions.forms import (
    BUILDER_ROWS,
    BuilderForm,
    InstitutionForm,
    MemberForm,
    ReturnForm,
    TemplateForm,
)
from marketplace.institutions.models import DocumentKind, QuoteStatus
from marketplace.money import format_rupiah

bp = Blueprint("institutions", __name__, url_prefix="/instansi")


def _user():
    return current_user._get_current_object()


def _show_error(form, error: MarketplaceError, default_field: str) -> None:
    """Put the message under the field it is about; the form keeps what was typed."""
    db.session.rollback()
    target = getattr(form, error.field or default_field, None)
    if target is None or not hasattr(target, "errors") or not isinstance(target.errors, list):
        flash(str(error.message), "error")
        return
    target.errors = [*target.errors, str(error.message)]


def _quote_or_404(quote_id: int):
    try:
        return services.get_quote_for_officer_or_404(quote_id, _user())
    except NotFound:
        abort(404)


# -- admin: institutions and members ------------------------------------------------------


@bp.route("/admin", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_institutions():
    form = InstitutionForm()
    if form.validate_on_submit():
        try:
            institution = services.create_institution(
                name=form.name.data,
                unit=form.unit.data,
                address=form.address.data,
                npwp=form.npwp.data,
                treasurer_name=form.treasurer_name.data,
            )
        except MarketplaceError as error:
            _show_error(form, error, "name")
        else:
            db.session.commit()
            flash(_("Instansi %(name)s dibuat.", name=institution.name), "success")
            return redirect(url_for(".admin_institution", institution_id=institution.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "institutions/admin_list.html", form=form, institutions=services.list_institutions()
    ), status


@bp.route("/admin/<int:institution_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_institution(institution_id: int):
    try:
        institution = services.get_institution(institution_id)
    except NotFound:
        abort(404)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            member = services.add_member(
                institution_id,
                form.email.data,
                can_approve=form.can_approve.data,
                added_by=_user(),
            )
        except MarketplaceError as error:
            _show_error(form, error, "email")
        else:
            db.session.commit()
            flash(_("%(name)s menjadi anggota instansi.", name=member.user.name), "success")
            return redirect(url_for(".admin_institution", institution_id=institution_id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "institutions/admin_detail.html", institution=institution, form=form
    ), status


@bp.route("/admin/<int:institution_id>/anggota/<int:member_id>/hapus", methods=["POST"])
@role_required(Role.ADMIN)
def admin_remove_member(institution_id: int, member_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.remove_member(institution_id, member_id)
    except NotFound:
        abort(404)
    db.session.commit()
    flash(_("Anggota dikeluarkan dari instansi."), "success")
    return redirect(url_for(".admin_institution", institution_id=institution_id))


# -- officer: dashboard and builder -------------------------------------------------------


@bp.route("/")
@role_required(Role.OFFICER)
def dashboard():
    member = services.membership_of(_user())
    if member is None:
        return render_template("institutions/no_institution.html"), 403
    return render_template(
        "institutions/dashboard.html",
        member=member,
        quotes=services.list_quotes(member.institution_id),
        templates=services.list_templates(member.institution_id),
    )


def _builder_choices(form: BuilderForm) -> None:
    choices = [(0, _("— pilih produk —"))] + [
        (
            p.id,
            ("★ " + _("Oleh-oleh resmi") + ": " if official else "")
            + f"{p.name} · {p.seller.shop_name} · {format_rupiah(p.price_amount)}",
        )
        for p, official in services.box_products()
    ]
    for entry in form.lines:
        entry.product_id.choices = choices


def _order_from(form: BuilderForm) -> services.BoxOrder:
    return services.BoxOrder(
        event_name=form.event_name.data or "",
        budget_code=form.budget_code.data or "",
        rup_code=form.rup_code.data or "",
        box_count=form.box_count.data,
        card_text=form.card_text.data or "",
        delivery_date=form.delivery_date.data,
        delivery_time=form.delivery_time.data or "",
        delivery_place=form.delivery_place.data or "",
        # A product chosen without a quantity means one per box.
        lines=[
            services.BoxLine(entry.product_id.data, entry.quantity_per_box.data or 1)
            for entry in form.lines
            if entry.product_id.data
        ],
    )


def _prefill(form: BuilderForm, order: services.BoxOrder | None, lines=()) -> None:
    if order is not None:
        for name in (
            "event_name",
            "budget_code",
            "rup_code",
            "box_count",
            "card_text",
            "delivery_date",
            "delivery_time",
            "delivery_place",
        ):
            getattr(form, name).data = getattr(order, name)
        lines = order.lines
    for entry, line in zip(form.lines, lines, strict=False):
        entry.product_id.data = line.product_id
        entry.quantity_per_box.data = line.quantity_per_box
    while len(form.lines) < max(BUILDER_ROWS, len(lines) + 2) and len(form.lines) < 20:
        form.lines.append_entry()


@bp.route("/bingkisan/baru", methods=["GET", "POST"])
@bp.route("/penawaran/<int:quote_id>/ubah", methods=["GET", "POST"])
@role_required(Role.OFFICER)
def builder(quote_id: int | None = None):
    if services.membership_of(_user()) is None:
        return render_template("institutions/no_institution.html"), 403
    quote = _quote_or_404(quote_id) if quote_id else None
    if quote is not None and not quote.is_editable:
        abort(404)
    form = BuilderForm()
    if not form.is_submitted():
        if quote is not None:
            _prefill(form, services.order_from_quote(quote))
        elif template_id := request.args.get("templat", type=int):
            try:
                template = services.get_template_for_officer_or_404(template_id, _user())
            except NotFound:
                abort(404)
            form.card_text.data = template.card_text
            _prefill(form, None, template.lines)
    _builder_choices(form)
    if form.validate_on_submit():
        try:
            if quote is None:
                quote = services.create_quote(_user(), _order_from(form))
            else:
                quote = services.update_quote(quote.id, _user(), _order_from(form))
        except MarketplaceError as error:
            _show_error(form, error, "event_name")
            _builder_choices(form)
        else:
            db.session.commit()
            flash(_("Bingkisan disimpan sebagai draf penawaran."), "success")
            return redirect(url_for(".quote_detail", quote_id=quote.id))
    status = 400 if form.is_submitted() else 200
    return render_template("institutions/builder.html", form=form, quote=quote), status


# -- quotes -------------------------------------------------------------------------------


@bp.route("/penawaran/<int:quote_id>")
@role_required(Role.OFFICER)
def quote_detail(quote_id: int):
    quote = _quote_or_404(quote_id)
    member = services.membership_of(_user())
    return render_template(
        "institutions/quote.html",
        quote=quote,
        checks=services.check_quote_capacity(quote) if quote.is_editable else [],
        member=member,
        statuses=QuoteStatus,
        action_form=EmptyForm(),
        return_form=ReturnForm(),
        template_form=TemplateForm(),
    )


def _quote_action(quote_id: int, action, success: str, *args):
    _quote_or_404(quote_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        result = action(quote_id, _user(), *args)
    except MarketplaceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        quote = _quote_or_404(quote_id)
        return render_template(
            "institutions/quote.html",
            quote=quote,
            checks=services.check_quote_capacity(quote) if quote.is_editable else [],
            member=services.membership_of(_user()),
            statuses=QuoteStatus,
            action_form=EmptyForm(),
            return_form=ReturnForm(),
            template_form=TemplateForm(),
            error=error,
        ), error.status_code
    db.session.commit()
    flash(success, "success")
    return redirect(url_for(".quote_detail", quote_id=getattr(result, "id", quote_id)))


@bp.route("/penawaran/<int:quote_id>/ajukan", methods=["POST"])
@role_required(Role.OFFICER)
def submit(quote_id: int):
    return _quote_action(quote_id, services.submit_quote, _("Penawaran diajukan untuk disetujui."))


@bp.route("/penawaran/<int:quote_id>/setujui", methods=["POST"])
@role_required(Role.OFFICER)
def approve(quote_id: int):
    return _quote_action(quote_id, services.approve_quote, _("Penawaran disetujui."))


@bp.route("/penawaran/<int:quote_id>/kembalikan", methods=["POST"])
@role_required(Role.OFFICER)
def send_back(quote_id: int):
    reason = request.form.get("reason", "")[:1000]
    return _quote_action(
        quote_id, services.return_quote, _("Penawaran dikembalikan ke staf."), reason
    )


@bp.route("/penawaran/<int:quote_id>/batalkan", methods=["POST"])
@role_required(Role.OFFICER)
def cancel(quote_id: int):
    return _quote_action(quote_id, services.cancel_quote, _("Penawaran dibatalkan."))


@bp.route("/penawaran/<int:quote_id>/perbarui", methods=["POST"])
@role_required(Role.OFFICER)
def renew(quote_id: int):
    return _quote_action(
        quote_id, services.renew_quote, _("Draf baru dibuat dengan harga terbaru.")
    )


@bp.route("/penawaran/<int:quote_id>/templat", methods=["POST"])
@role_required(Role.OFFICER)
def save_template(quote_id: int):
    name = request.form.get("name", "")[:120]
    return _quote_action(quote_id, _save_template, _("Templat bingkisan disimpan."), name)


def _save_template(quote_id: int, user, name: str):
    services.save_template(quote_id, user, name)
    return None


@bp.route("/dokumen/<int:document_id>")
@role_required(Role.OFFICER)
def document(document_id: int):
    try:
        doc = services.get_document_for_officer_or_404(document_id, _user())
    except NotFound:
        abort(404)
    response = Response(doc.content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{doc.filename}"'
    response.headers["Cache-Control"] = "private, max-age=0"
    response.set_etag(doc.sha256)
    return response


STATUS_LABELS = {
    QuoteStatus.DRAFT: _l("Draf"),
    QuoteStatus.SUBMITTED: _l("Menunggu persetujuan"),
    QuoteStatus.APPROVED: _l("Disetujui"),
    QuoteStatus.RETURNED: _l("Dikembalikan"),
    QuoteStatus.CANCELLED: _l("Dibatalkan"),
    QuoteStatus.ORDERED: _l("Dipesan"),
}

MISFIT_LABELS = {
    Misfit.PAST: _l("tanggal pengantaran sudah lewat"),
    Misfit.LEAD_TIME: _l("waktu pembuatan lebih lama dari sisa hari"),
    Misfit.SHELF_LIFE: _l("masa simpan tidak cukup sampai sesudah pengantaran"),
    Misfit.CAPACITY: _l("tidak cukup"),
}


DOCUMENT_LABELS = {
    DocumentKind.QUOTATION: _l("Surat penawaran"),
    DocumentKind.ORDER_LETTER: _l("Surat pesanan"),
}


@bp.app_template_filter("waktu")
def format_moment(value) -> str:
    """Date and time in Kalimantan Utara's clock, for timelines."""
    return format_datetime(value, "medium")


@bp.app_template_global()
def document_label(kind: str) -> str:
    return str(DOCUMENT_LABELS[DocumentKind(kind)])


@bp.app_template_global()
def status_label(status: str) -> str:
    return str(STATUS_LABELS[QuoteStatus(status)])


@bp.app_template_global()
def misfit_label(fit) -> str:
    label = str(MISFIT_LABELS[fit.misfit])
    if fit.misfit is Misfit.CAPACITY:
        label = _(
            "tidak cukup: tersedia %(available)s dari %(needed)s",
            available=fit.available,
            needed=fit.needed,
        )
    return label
