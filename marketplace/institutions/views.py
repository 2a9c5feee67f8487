"""Protocol office pages: institutions (admin), the gift box builder, quotes, documents."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.accounts.access import role_required
from marketplace.accounts.forms import EmptyForm
from marketplace.accounts.identity import signed_in_user
from marketplace.accounts.models import Role
from marketplace.catalog.services import today_local
from marketplace.dates import days_written
from marketplace.db import db
from marketplace.errors import MarketplaceError
from marketplace.institutions import ageing as invoice_ages
from marketplace.institutions import billing, boxes, labels, members, quote_page, quotes, timeline
from marketplace.institutions import ledger as government_ledger
from marketplace.institutions import orders as gov_orders
from marketplace.institutions import replacements as part_replacements
from marketplace.institutions.choices import builder_choices
from marketplace.institutions.forms import (
    BuilderForm,
    CorrectionForm,
    GovPaymentForm,
    InstitutionForm,
    MemberForm,
    ReturnForm,
)
from marketplace.institutions.models import QuoteStatus
from marketplace.institutions.settings import invoice_account
from marketplace.numbers import numbers_by_id, parse_id
from marketplace.orders.inbox import seller_for_user
from marketplace.orders.models import Order
from marketplace.paging import link_prefix, requested_page
from marketplace.payments.gateway import TestGateway, get_gateway
from marketplace.web import attempt, flash_error, validate_with

bp = Blueprint("institutions", __name__, url_prefix="/instansi")


def _user():
    """The signed-in officer's ``User`` record, for a service that changes or relates to
    them; a read by who they are takes ``current_user`` (no statement of its own)."""
    return signed_in_user()


def _quote_or_404(quote_id: int):
    return quotes.get_quote_for_officer_or_404(quote_id, current_user)


# -- admin: institutions and members ------------------------------------------------------


@bp.route("/admin", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_institutions():
    form = InstitutionForm()
    if form.validate_on_submit():
        with attempt(form, "name") as done:
            institution = members.create_institution(
                name=form.name.data,
                unit=form.unit.data,
                address=form.address.data,
                npwp=form.npwp.data,
                treasurer_name=form.treasurer_name.data,
            )
        if done.ok:
            flash(_("Instansi %(name)s dibuat.", name=institution.name), "success")
            return redirect(url_for(".admin_institution", institution_id=institution.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "institutions/admin_list.html", form=form, institutions=members.list_institutions()
    ), status


@bp.route("/admin/<id:institution_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_institution(institution_id: int):
    institution = members.get_institution(institution_id)
    form = MemberForm()
    if form.validate_on_submit():
        with attempt(form, "email") as done:
            member = members.add_member(
                institution_id,
                form.email.data,
                can_approve=form.can_approve.data,
                added_by=_user(),
            )
        if done.ok:
            flash(_("%(name)s menjadi anggota instansi.", name=member.user.name), "success")
            return redirect(url_for(".admin_institution", institution_id=institution_id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "institutions/admin_detail.html", institution=institution, form=form
    ), status


@bp.route("/admin/<id:institution_id>/anggota/<id:member_id>/hapus", methods=["POST"])
@role_required(Role.ADMIN)
def admin_remove_member(institution_id: int, member_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    members.remove_member(institution_id, member_id)
    db.session.commit()
    flash(_("Anggota dikeluarkan dari instansi."), "success")
    return redirect(url_for(".admin_institution", institution_id=institution_id))


# -- officer: dashboard and builder -------------------------------------------------------


@bp.route("/")
@role_required(Role.OFFICER)
def dashboard():
    office = members.office_page_of(current_user)
    if office is None:
        return render_template("institutions/no_institution.html"), 403
    page = quotes.list_quotes(office.institution_id, requested_page())
    return render_template(
        "institutions/dashboard.html",
        office=office,
        quotes=page,
        templates=boxes.list_templates(office.institution_id),
        # the statuses, days and draft numbers of the rows, each written once for the page
        status_labels=labels.status_labels({row.status for row in page}),
        days_written=days_written({row.delivery_date for row in page}),
        draft_number=_("Draf #%(id)s"),
        quote_href=link_prefix(".quote_detail", "quote_id"),
    )


def _builder_choices(form: BuilderForm) -> None:
    choices = builder_choices(form.delivery_date.data)
    for entry in form.lines:
        entry.product_id.choices = choices


def _builder_page(form: BuilderForm, quote, status: int = 200):
    order = _order_from(form)
    supply = boxes.check_box_supply(order, quote.id if quote else None)
    return render_template(
        "institutions/builder.html",
        form=form,
        quote=quote,
        supply={check.key: check for check in supply or ()},
        shortfalls=[check for check in supply or () if not check.fit.fits],
    ), status


def _order_from(form: BuilderForm) -> boxes.BoxOrder:
    return boxes.BoxOrder(
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
            boxes.BoxLine(
                entry.product_id.data[0], entry.quantity_per_box.data or 1, entry.product_id.data[1]
            )
            for entry in form.lines
            if entry.product_id.data
        ],
    )


def _prefill(form: BuilderForm, order: boxes.BoxOrder | None, lines=()) -> None:
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
    form.show_rows_for(len(lines))
    for entry, line in zip(form.lines, lines, strict=False):
        entry.product_id.data = (line.product_id, line.variant_id)
        entry.quantity_per_box.data = line.quantity_per_box


def _prefill_builder(form: BuilderForm, quote) -> None:
    """A fresh builder: the quote being edited, or a saved template (``?templat=``)."""
    if quote is not None:
        _prefill(form, quotes.order_from_quote(quote))
    elif template_id := parse_id(request.args.get("templat")):
        template = boxes.get_template_for_officer_or_404(template_id, current_user)
        form.card_text.data = template.card_text
        _prefill(form, None, template.lines)


def _only_showing(form: BuilderForm, quote) -> bool:
    """Whether the builder is only shown, nothing saved: fresh (``_prefill_builder``), or
    again with what was typed and no error after "Periksa ketersediaan" (each product's
    supply by the date) or "Tambah baris" (one more blank row); those two without the
    form's CSRF token are refused like a save."""
    if not form.is_submitted():
        _prefill_builder(form, quote)
        return True
    if "periksa" not in request.form and "tambah" not in request.form:
        return False
    token = getattr(form, "csrf_token", None)
    if token is not None and not token.validate(form):
        abort(400)
    if "tambah" in request.form:
        form.add_row()
    return True


@bp.route("/bingkisan/baru", methods=["GET", "POST"])
@bp.route("/penawaran/<id:quote_id>/ubah", methods=["GET", "POST"])
@role_required(Role.OFFICER)
def builder(quote_id: int | None = None):
    office = members.office_of(current_user)
    if office is None:
        return render_template("institutions/no_institution.html"), 403
    quote = quote_id and quotes.get_quote_for_officer_or_404(quote_id, current_user, office)
    if quote is not None and not quote.is_editable:
        abort(404)
    form = BuilderForm()
    only_showing = _only_showing(form, quote)
    _builder_choices(form)  # the rows' lists, a row added too
    if only_showing:
        return _builder_page(form, quote)
    if validate_with(form, lambda: boxes.check_order(_order_from(form))):
        with attempt(form, "event_name") as done:
            if quote is None:
                quote = quotes.create_quote(_user(), _order_from(form), form.sent_token)
            else:
                quote = quotes.update_quote(quote.id, _user(), _order_from(form))
        if done.ok:
            flash(_("Bingkisan disimpan sebagai draf penawaran."), "success")
            return redirect(url_for(".quote_detail", quote_id=quote.id))
        _builder_choices(form)
    return _builder_page(form, quote, 400)


# -- quotes -------------------------------------------------------------------------------


def _quote_page(quote_id: int, error: MarketplaceError | None = None):
    quote, office, order_id = quote_page.quote_for_officer_or_404(quote_id, current_user)
    lines = quote_page.page_lines_of(quote)
    checks = boxes.check_quote_capacity(quote, lines) if quote.is_editable else []
    return render_template(
        "institutions/quote.html",
        quote=quote,
        lines=lines,
        checks=checks,
        shortfalls=[check for check in checks if not check.fit.fits],
        member=office,
        statuses=QuoteStatus,
        # made where the page shows it (a head of office's quote to approve)
        return_form=ReturnForm,
        gov_order=gov_orders.order_ref(order_id),
        documents=quote_page.documents_of(quote.id),
        history=quote_page.history_of(quote.id),
        error=error,
    ), error.status_code if error else 200


@bp.route("/penawaran/<id:quote_id>")
@role_required(Role.OFFICER)
def quote_detail(quote_id: int):
    return _quote_page(quote_id)


def _quote_action(quote_id: int, action, success: str, *args):
    _quote_or_404(quote_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    result = None
    with attempt() as done:
        result = action(quote_id, _user(), *args)
    if not done.ok:
        # A second tap, or a colleague's at the same moment, is told where the quote stands.
        return _quote_page(quote_id, done.error)
    flash(success, "success")
    return redirect(url_for(".quote_detail", quote_id=getattr(result, "id", quote_id)))


@bp.route("/penawaran/<id:quote_id>/ajukan", methods=["POST"])
@role_required(Role.OFFICER)
def submit(quote_id: int):
    return _quote_action(quote_id, quotes.submit_quote, _("Penawaran diajukan untuk disetujui."))


@bp.route("/penawaran/<id:quote_id>/setujui", methods=["POST"])
@role_required(Role.OFFICER)
def approve(quote_id: int):
    return _quote_action(quote_id, quotes.approve_quote, _("Penawaran disetujui."))


@bp.route("/penawaran/<id:quote_id>/kembalikan", methods=["POST"])
@role_required(Role.OFFICER)
def send_back(quote_id: int):
    reason = request.form.get("reason", "")[:1000]
    return _quote_action(
        quote_id, quotes.return_quote, _("Penawaran dikembalikan ke staf."), reason
    )


@bp.route("/penawaran/<id:quote_id>/batalkan", methods=["POST"])
@role_required(Role.OFFICER)
def cancel(quote_id: int):
    return _quote_action(quote_id, quotes.cancel_quote, _("Penawaran dibatalkan."))


@bp.route("/penawaran/<id:quote_id>/perbarui", methods=["POST"])
@role_required(Role.OFFICER)
def renew(quote_id: int):
    return _quote_action(quote_id, quotes.renew_quote, _("Draf baru dibuat dengan harga terbaru."))


@bp.route("/penawaran/<id:quote_id>/templat", methods=["POST"])
@role_required(Role.OFFICER)
def save_template(quote_id: int):
    name = request.form.get("name", "")[:120]
    return _quote_action(quote_id, _save_template, _("Templat bingkisan disimpan."), name)


def _save_template(quote_id: int, user, name: str):
    quotes.save_template(quote_id, user, name)
    return None


@bp.route("/dokumen/<id:document_id>")
@role_required(Role.OFFICER)
def document(document_id: int):
    doc = quotes.get_document_for_officer_or_404(document_id, current_user)
    response = Response(doc.content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{doc.filename}"'
    response.headers["Cache-Control"] = "private, max-age=0"
    response.set_etag(doc.sha256)
    # A phone that kept the PDF asks with its ETag and is told it has it (304), not sent it
    # again: PDFs are not compressed, so Flask-Compress does not make the answer conditional.
    return response.make_conditional(request)


# The words templates use for statuses and documents (labels.py) and misfits (boxes.py).
for _label in (
    labels.document_label,
    labels.status_label,
    labels.move_label,
    boxes.misfit_label,
):
    bp.add_app_template_global(_label)
bp.add_app_template_filter(labels.format_moment, "waktu")


# -- the government order: officer, household, admin --------------------------------------


def _gov_order_or_404(order_id: int):
    return gov_orders.get_gov_order_for_officer_or_404(order_id, current_user)


def _order_page(order, status: int = 200, typed=None, **forms):
    """The order's page; ``typed``: (a part's id, what a refused form sent for it, kept)."""
    quote = quotes.get_quote_for_officer_or_404(order.quote_id, current_user)
    govs = gov_orders.gov_parts_of(order)
    replacements = {
        part.id: part_replacements.replacement_options(order, part)
        for part in order.parts
        if part_replacements.replaceable(part, govs.get(part.id))
    }
    return render_template(
        "institutions/order.html",
        order=order,
        quote=quote,
        govs=govs,
        received=gov_orders.received_of(order),
        replacements=replacements,
        invoice=billing.invoice_of(order.id),
        account=invoice_account(),
        documents=billing.order_documents(order, quote),
        moments=timeline.timeline(quote, order),
        today=today_local(),
        action_form=forms.get("action_form") or EmptyForm(),
        correction_form=forms.get("correction_form") or CorrectionForm(),
        typed=typed or (None, {}),
    ), status


@bp.route("/pesanan/<id:order_id>")
@role_required(Role.OFFICER)
def gov_order(order_id: int):
    return _order_page(_gov_order_or_404(order_id))


def _order_action(order_id: int, action, success: str, form=None, part_id=None):
    _gov_order_or_404(order_id)
    form = form or EmptyForm()
    if not form.validate_on_submit():
        db.session.rollback()
        flash(_("Periksa isian formulir."), "error")
        return _order_page(_gov_order_or_404(order_id), 400, correction_form=form)
    with attempt() as done:
        action()
    if not done.ok:
        return _order_page(_gov_order_or_404(order_id), done.status, typed=(part_id, request.form))
    flash(success, "success")
    return redirect(url_for(".gov_order", order_id=order_id), 303)


@bp.route("/pesanan/<id:order_id>/bagian/<id:part_id>/terima", methods=["POST"])
@role_required(Role.OFFICER)
def receive_part(order_id: int, part_id: int):
    return _order_action(
        order_id,
        lambda: gov_orders.confirm_receipt(
            order_id,
            part_id,
            _user(),
            numbers_by_id(request.form, "received-"),
            request.form.get("note", "")[:1000],
        ),
        _("Penerimaan barang dicatat."),
        part_id=part_id,
    )


@bp.route("/pesanan/<id:order_id>/bagian/<id:part_id>/ganti", methods=["POST"])
@role_required(Role.OFFICER)
def replace_part(order_id: int, part_id: int):
    return _order_action(
        order_id,
        lambda: part_replacements.replace_part(
            order_id, part_id, _user(), numbers_by_id(request.form, "choice-")
        ),
        _("Pengganti dipilih; rumah tangganya diminta konfirmasi."),
        part_id=part_id,
    )


@bp.route("/pesanan/<id:order_id>/bast", methods=["POST"])
@role_required(Role.OFFICER)
def handover(order_id: int):
    return _order_action(
        order_id,
        lambda: billing.issue_handover(order_id, _user()),
        _("BAST, tagihan dan kwitansi terbit."),
    )


@bp.route("/pesanan/<id:order_id>/dokumen/<id:document_id>/koreksi", methods=["POST"])
@role_required(Role.OFFICER)
def correct(order_id: int, document_id: int):
    form = CorrectionForm()
    return _order_action(
        order_id,
        lambda: billing.correct_document(order_id, document_id, _user(), form.reason.data or ""),
        _("Dokumen koreksi terbit; dokumen lama tetap tersimpan."),
        form,
    )


@bp.route("/pesanan/<id:order_id>/spj.zip")
@role_required(Role.OFFICER)
def spj(order_id: int):
    order = _gov_order_or_404(order_id)
    quote = quotes.get_quote_for_officer_or_404(order.quote_id, current_user)
    response = Response(billing.spj_zip(order, quote), mimetype="application/zip")
    name = f"SPJ-{(quote.number or str(quote.id)).replace('/', '-')}.zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, max-age=0"
    return response


# the household's answer and progress, from its inbox (/penjual/pesanan/<part>)

HOUSEHOLD_MESSAGES = {
    "confirm": _l("Pesanan instansi dikonfirmasi."),
    "decline": _l("Penolakan dikirim ke staf protokol."),
    "produced": _l("Ditandai sudah dibuat."),
    "packed": _l("Ditandai sudah dikemas; surat jalan terbit."),
    "delivered": _l("Ditandai sudah diantar."),
}


@bp.route("/penjual/bagian/<id:part_id>", methods=["POST"])
@role_required(Role.SELLER)
def household_part(part_id: int):

    seller = seller_for_user(current_user.id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    action = request.form.get("action", "")
    with attempt() as done:
        if action == "confirm":
            gov_orders.confirm_part(part_id, seller.id, _user())
        elif action == "decline":
            gov_orders.decline_part(
                part_id, seller.id, _user(), request.form.get("reason", "")[:1000]
            )
        else:
            gov_orders.mark_progress(part_id, seller.id, _user(), action)
    if not done.ok:
        return redirect(url_for("orders.seller_part", part_id=part_id), 303)
    flash(str(HOUSEHOLD_MESSAGES.get(action, "")), "success")
    return redirect(url_for("orders.seller_part", part_id=part_id), 303)


@bp.app_template_global()
def gov_part_of(part):
    """The government terms of a household part (none for a public order)."""
    return gov_orders.gov_part_of(part) if part.order.quote_id else None


# admins: invoices and the treasury's payments


@bp.route("/admin/tagihan")
@role_required(Role.ADMIN)
def admin_invoices():
    ageing = invoice_ages.invoice_ageing(requested_page())
    return render_template(
        "institutions/admin_invoices.html",
        ageing=ageing,
        position=government_ledger.position(),
        invoice_href=link_prefix("institutions.admin_invoice", "invoice_id"),
        days_written=days_written({row.issued_on for row in ageing.page}),
        # each row's age in days, its words translated once for the page (text: escaped)
        age_written=_("%(n)s hari"),
    )


@bp.route("/admin/tagihan/<id:invoice_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_invoice(invoice_id: int):
    invoice = billing.get_invoice_or_404(invoice_id)
    form = GovPaymentForm()
    if form.validate_on_submit():
        paid = {"reference": form.reference.data, "paid_on": form.paid_on.data}
        with attempt(form, "amount") as done:
            billing.record_payment(invoice_id, _user(), amount=form.amount.data, **paid)
        if done.ok:
            flash(_("Pembayaran dicatat."), "success")
            return redirect(url_for(".admin_invoice", invoice_id=invoice_id), 303)
        invoice = billing.get_invoice_or_404(invoice_id)
    status = 400 if form.is_submitted() else 200
    order = db.session.get(Order, invoice.order_id)
    # the platform's own ledger of the order, for its operator (not the office's page)
    entries = government_ledger.part_entries([part.id for part in order.parts])
    return render_template(
        "institutions/admin_invoice.html", invoice=invoice, order=order, form=form, entries=entries
    ), status


@bp.route("/pesanan/<id:order_id>/bayar-kartu", methods=["POST"])
@role_required(Role.OFFICER)
def pay_by_card(order_id: int):
    """Pay what the invoice still owes with the office's government card (KKP)."""

    order = _gov_order_or_404(order_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    gateway = get_gateway()
    try:
        payment, url = billing.start_card_payment(order_id, _user(), gateway)
    except MarketplaceError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for(".gov_order", order_id=order_id), 303)
    db.session.commit()
    if url:
        # On to Stripe Checkout (the site's form-action allows it, see marketplace/web.py).
        return redirect(url, 303)
    return render_template(
        "institutions/pay_card.html",
        order=order,
        payment=payment,
        test_mode=isinstance(gateway, TestGateway),
    )
