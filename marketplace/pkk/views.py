"""The PKK desk: packaging review, shop applications, assistance, official gifts, the report."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from marketplace.accounts.access import role_required
from marketplace.accounts.forms import EmptyForm
from marketplace.accounts.identity import signed_in_user
from marketplace.accounts.models import Role
from marketplace.catalog import lexicon
from marketplace.catalog.models import Product, Region, Seller
from marketplace.catalog.services import today_local
from marketplace.dates import days_written
from marketplace.db import db, now_utc
from marketplace.orders import vouchers
from marketplace.paging import link_prefix, requested_page
from marketplace.pdf import render_pdf
from marketplace.pkk import charts, periods, report, report_csv, services
from marketplace.pkk.forms import (
    CapitalAssistanceForm,
    OfficialGiftForm,
    PackagingHelpForm,
    ReportForm,
    ReviewForm,
    SynonymForm,
    TrainingForm,
    VoucherCampaignForm,
)
from marketplace.sellers import applications as shop_applications
from marketplace.sellers.forms import STATUS_LABELS, ApplicationDecisionForm
from marketplace.sellers.models import SellerApplication
from marketplace.sellers.views import get_seller_for_seller_or_404
from marketplace.web import attempt

bp = Blueprint("pkk", __name__, url_prefix="/pkk")
#: the household's own view of the PKK's help, among its other pages under /penjual
household_bp = Blueprint("pkk_household", __name__)


def get_product_for_reviewer_or_404(product_id: int) -> Product:
    return services.get_submission(product_id)


@bp.route("/tinjauan")
@role_required(Role.REVIEWER)
def queue():
    region = request.args.get("region") or None
    category = request.args.get("category") or None
    regions, categories = services.queue_filters()
    products = services.review_queue(region, category, requested_page())
    return render_template(
        "pkk/queue.html",
        products=products,
        days_written=days_written({row.submitted_on for row in products}),
        regions=regions,
        categories=categories,
        category_names={item.id: item.name for item in categories},
        region=region,
        category=category,
        # each row's link its prefix and id, its words translated once for the page (text:
        # the page escapes each row's words)
        review_href=link_prefix("pkk.review", "product_id"),
        submitted_on=_("Diajukan %(date)s"),
        photo_count=_("%(n)s foto"),
    )


def _decide_packaging(product: Product, form: ReviewForm) -> str:
    """Approve the packaging, or ask for changes (per photo too); what to tell the reviewer."""
    reviewer = signed_in_user()
    note = form.note.data or ""
    if form.decision.data == "approve":
        services.approve_product(product, reviewer, note, form.photo_keys.data)
        return _("Kemasan disetujui. Produk sekarang tampil untuk pembeli.")
    services.request_changes(product, reviewer, note, _photo_notes())
    return _("Permintaan perbaikan dikirim ke penjual.")


@bp.route("/tinjauan/<id:product_id>", methods=["GET", "POST"])
@role_required(Role.REVIEWER)
def review(product_id: int):
    product = get_product_for_reviewer_or_404(product_id)
    form = ReviewForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            message = _decide_packaging(product, form)
        if done.ok:
            flash(message, "success")
            return redirect(url_for("pkk.queue"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "pkk/review.html", product=product, form=form, status_labels=STATUS_LABELS
    ), status


def _photo_notes() -> dict[str, str]:
    """The per-photo comments typed on the review page, by the photos' content hashes."""
    notes = {}
    for name, value in request.form.items():
        if name.startswith("photo_note_") and value.strip():
            notes[name.removeprefix("photo_note_")[:64]] = value
    return notes


def get_application_for_reviewer_or_404(application_id: int) -> SellerApplication:
    return shop_applications.get_application(application_id)


@bp.route("/pendaftaran")
@role_required(Role.REVIEWER)
def applications():
    return render_template(
        "pkk/applications.html", applications=shop_applications.pending_applications()
    )


def _decide_application(application_id: int, form: ApplicationDecisionForm) -> str:
    """Open the shop or turn the application down; what to tell the reviewer."""
    # read again inside the unit of work: a twin request may have decided it meanwhile
    application = get_application_for_reviewer_or_404(application_id)
    actor, note = signed_in_user(), form.note.data or ""
    if form.decision.data == "approve":
        shop_applications.approve_application(application, actor, note)
        return _("Toko %(shop)s dibuka.", shop=application.shop_name)
    shop_applications.reject_application(application, actor, note)
    return _("Pengajuan %(shop)s ditolak.", shop=application.shop_name)


@bp.route("/pendaftaran/<id:application_id>", methods=["GET", "POST"])
@role_required(Role.REVIEWER)
def application(application_id: int):
    application = get_application_for_reviewer_or_404(application_id)
    form = ApplicationDecisionForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            message = _decide_application(application_id, form)
        if done.ok:
            flash(message, "success")
            return redirect(url_for("pkk.applications"))
        application = get_application_for_reviewer_or_404(application_id)
    status = 400 if form.is_submitted() else 200
    return render_template("pkk/application.html", application=application, form=form), status


# Assistance records: training, packaging help, capital assistance.


def reviewer_region_id() -> int | None:
    """The kabupaten the signed-in reviewer works for; admins and province reviewers: None."""
    if current_user.has_role(Role.ADMIN):
        return None
    return services.region_scope_of(current_user.id)


def _household_choices(region_id: int | None) -> list[SelectChoice]:
    return [
        SelectChoice(seller.id, f"{seller.shop_name} · {seller.region.name}")
        for seller in services.households_for_recording(region_id)
    ]


ASSISTANCE_TITLES = {
    "training": _l("Catat pelatihan"),
    "packaging": _l("Catat bantuan kemasan"),
    "capital": _l("Catat bantuan modal"),
}


@bp.route("/bantuan")
@role_required(Role.REVIEWER)
def assistance():
    return render_template(
        "pkk/assistance.html",
        records=services.assistance_records(region_id=reviewer_region_id()),
    )


def _training_form(region_id: int | None) -> TrainingForm:
    form = TrainingForm()
    form.seller_ids.choices = _household_choices(region_id)
    return form


def _packaging_form(region_id: int | None) -> PackagingHelpForm:
    form = PackagingHelpForm()
    form.product_id.choices = [SelectChoice(0, _("Pilih produk"))] + [
        SelectChoice(product.id, f"{product.name} · {product.seller.shop_name}")
        for product in services.products_for_recording(region_id)
    ]
    return form


def _capital_form(region_id: int | None) -> CapitalAssistanceForm:
    form = CapitalAssistanceForm()
    households = _household_choices(region_id)
    form.seller_id.choices = [SelectChoice(0, _("Pilih rumah tangga")), *households]
    return form


#: each kind of help in the URL: (its key, its form, the service that records it)
ASSISTANCE_KINDS = {
    "pelatihan": ("training", _training_form, services.record_training),
    "kemasan": ("packaging", _packaging_form, services.record_packaging_help),
    "modal": ("capital", _capital_form, services.record_capital_assistance),
}


@bp.route("/bantuan/<kind>", methods=["GET", "POST"])
@role_required(Role.REVIEWER)
def assistance_new(kind: str):
    if kind not in ASSISTANCE_KINDS:
        abort(404)
    key, make_form, record = ASSISTANCE_KINDS[kind]
    region_id = reviewer_region_id()
    form = make_form(region_id)
    if form.validate_on_submit():
        recorded_by = {"recorded_by_id": current_user.id, "region_id": region_id}
        with attempt(form) as done:
            _record, created = record(**form.values(), **recorded_by, today=today_local())
        if done.ok:
            flash(_("Bantuan dicatat.") if created else _("Bantuan ini sudah dicatat."), "success")
            return redirect(url_for("pkk.assistance"))
    status = 400 if form.is_submitted() else 200
    title = ASSISTANCE_TITLES[key]
    return render_template("pkk/assistance_form.html", form=form, title=title), status


# The official gifts collection.


@bp.route("/oleh-oleh-resmi", methods=["GET", "POST"])
@role_required(Role.REVIEWER)
def collection():
    form = OfficialGiftForm()
    entries = services.official_gift_entries()
    listed = {entry.product_id for entry in entries}
    form.product_id.choices = [SelectChoice(0, _("Pilih produk"))] + [
        SelectChoice(product.id, f"{product.name} · {product.seller.shop_name}")
        for product in services.products_for_collection(exclude=listed)
    ]
    if form.validate_on_submit():
        with attempt(form) as done:
            services.add_official_gift(form.product_id.data, current_user.id)
        if done.ok:
            flash(_("Produk masuk koleksi oleh-oleh resmi."), "success")
            return redirect(url_for("pkk.collection"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "pkk/collection.html", form=form, entries=entries, action_form=EmptyForm()
    ), status


COLLECTION_ACTIONS = {"naik": -1, "turun": 1, "hapus": 0}


@bp.route("/oleh-oleh-resmi/<id:product_id>/<action>", methods=["POST"])
@role_required(Role.REVIEWER)
def collection_action(product_id: int, action: str):
    if action not in COLLECTION_ACTIONS or not EmptyForm().validate_on_submit():
        abort(400 if action in COLLECTION_ACTIONS else 404)
    if action == "hapus":
        services.remove_official_gift(product_id)
    else:
        services.move_official_gift(product_id, COLLECTION_ACTIONS[action])
    db.session.commit()
    return redirect(url_for("pkk.collection"))


# The search synonyms.


@bp.route("/sinonim", methods=["GET", "POST"])
@role_required(Role.REVIEWER)
def synonyms():
    form = SynonymForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            lexicon.add_synonym(form.word.data, form.means.data)
        if done.ok:
            flash(_("Padanan kata dicatat; pencarian langsung memakainya."), "success")
            return redirect(url_for("pkk.synonyms"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "pkk/synonyms.html",
        form=form,
        entries=lexicon.synonym_entries(),
        action_form=EmptyForm(),
    ), status


@bp.route("/sinonim/<id:synonym_id>/hapus", methods=["POST"])
@role_required(Role.REVIEWER)
def synonym_remove(synonym_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    lexicon.remove_synonym(synonym_id)
    db.session.commit()
    return redirect(url_for("pkk.synonyms"))


# The impact report.

#: Five years of months at most: a longer period is a typing mistake in the year.
MAX_REPORT_DAYS = 5 * 366


def _report_period() -> tuple[ReportForm, periods.Period | None, Region | None]:
    """The period and kabupaten asked for; the form carries any error (then no period)."""
    today = today_local()
    # Twelve months up to today unless asked otherwise.
    args = request.args.copy()
    args.setdefault(
        "start", (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1).isoformat()
    )
    args.setdefault("end", today.isoformat())
    form = ReportForm(formdata=args)
    scope = reviewer_region_id()
    if not form.validate():
        return form, None, None
    start, end = form.start.data, form.end.data
    if start > end:
        form.end.errors.append(_("Tanggal akhir harus sesudah tanggal awal."))
    elif (end - start).days > MAX_REPORT_DAYS:
        form.end.errors.append(_("Periode paling panjang lima tahun."))
    region = None
    if form.region.data:
        region = services.region_by_slug(form.region.data)
        if region is None:
            form.region.errors = [_("Kabupaten/kota ini tidak dikenal.")]
    elif scope is not None:
        region = db.session.get(Region, scope)
    if form.errors:
        return form, None, region
    if scope is not None and region is not None and region.id != scope:
        abort(403)
    return form, periods.Period(start, end, region.id if region else None), region


def _charts(impact: report.ImpactReport) -> dict:
    labels = [format_date(month.month, "MMM yy") for month in impact.months]
    relative = [f"−{n}" for n in range(report.COMPARISON_MONTHS, 0, -1)] + [
        f"+{n}" for n in range(1, report.COMPARISON_MONTHS + 1)
    ]
    compared = impact.assisted_before_amounts + impact.assisted_after_amounts
    return {
        "bars": charts.bar_chart([(r.name, r.active_households) for r in impact.regions]),
        "revenue_bars": charts.bar_chart(
            [(r.name, r.revenue_amount) for r in impact.regions], money=True
        ),
        "lines": charts.line_chart(
            labels,
            [
                (
                    _("Produk baru tampil"),
                    "series-a",
                    [m.products_published for m in impact.months],
                ),
                (_("Kemasan diajukan"), "series-b", [m.reviews_submitted for m in impact.months]),
                (_("Toko baru"), "series-c", [m.new_households for m in impact.months]),
            ],
        ),
        "revenue_lines": charts.line_chart(
            labels,
            [(_("Penjualan"), "series-a", [m.revenue_amount for m in impact.months])],
            money=True,
        ),
        "assisted_lines": charts.line_chart(
            relative,
            [
                (
                    _("Rata-rata penjualan per rumah tangga"),
                    "series-b",
                    [value or 0 for value in compared],
                )
            ],
            money=True,
            known=[value is not None for value in compared],
        ),
    }


def _impact_context() -> tuple[dict, int]:
    """Everything the report's page, PDF and CSV show; the status is 400 for a bad period."""
    form, period, region = _report_period()
    scope = reviewer_region_id()
    context = {
        "form": form,
        "impact": None,
        "region": region,
        "regions": [] if scope is not None else services.all_regions(),
        "kind_labels": KIND_LABELS,
    }
    if period is None:
        return context, 400
    impact = report.impact_report(period)
    context.update(impact=impact, charts=_charts(impact), months=report.COMPARISON_MONTHS)
    return context, 200


def _file_name(context: dict, extension: str) -> str:
    region, period = context["region"], context["impact"].period
    return (
        f"laporan-dampak-{region.slug if region else 'kaltara'}"
        f"-{period.start}-{period.end}.{extension}"
    )


@bp.route("/laporan")
@role_required(Role.REVIEWER)
def impact():
    context, status = _impact_context()
    return render_template("pkk/report.html", **context), status


@bp.route("/laporan.pdf")
@role_required(Role.REVIEWER)
def impact_pdf():
    context, status = _impact_context()
    if status != 200:
        abort(status)
    content = render_pdf("pkk/pdf/report.html", made_at=now_utc(), **context)
    response = make_response(content)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{_file_name(context, "pdf")}"'
    return response


KIND_LABELS = {
    "training": _l("pelatihan"),
    "packaging": _l("kemasan"),
    "capital": _l("modal"),
}


def _csv_cell(value: str) -> str:
    # A spreadsheet runs a cell that starts like a formula: shop names are typed by people.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_labels() -> dict[str, str]:
    """The CSV's words, in the reviewer's language."""
    return {
        "section": _("Bagian"),
        "item": _("Uraian"),
        "value": _("Nilai"),
        "totals": _("Ringkasan"),
        "active_households": _("Rumah tangga aktif"),
        "new_households": _("Rumah tangga baru"),
        "products_published": _("Produk baru tampil"),
        "reviews_submitted": _("Kemasan diajukan"),
        "approved_first_time": _("Disetujui pada tinjauan pertama"),
        "first_verdicts": _("Tinjauan pertama diputus"),
        "median_days": _("Median hari sampai keputusan"),
        "capital_amount": _("Nilai bantuan modal (Rp)"),
        "revenue_amount": _("Penjualan rumah tangga (Rp)"),
        "government_revenue_amount": _("Dari pesanan bingkisan instansi (Rp)"),
        "government_share": _("Bagian pesanan instansi (%)"),
        "by_region": _("Kabupaten/kota"),
        "by_month": _("Bulan"),
        "by_category": _("Kategori"),
        "no_category": _("Produk sudah dihapus"),
        "household": _("Rumah tangga"),
        "region": _("Kabupaten/kota"),
        "first_assisted_on": _("Bantuan pertama"),
        "kinds": _("Jenis bantuan"),
        "month": _("Bulan"),
        "average_before": _("Rata-rata per bulan sebelum (Rp)"),
        "average_after": _("Rata-rata per bulan sesudah (Rp)"),
        **{kind: str(label) for kind, label in KIND_LABELS.items()},
    }


@bp.route("/laporan.csv")
@role_required(Role.REVIEWER)
def impact_csv():
    context, status = _impact_context()
    if status != 200:
        abort(status)
    labels = _csv_labels()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in report_csv.report_rows(context["impact"], labels):
        writer.writerow([_csv_cell(cell) for cell in row])
    response = make_response(buffer.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{_file_name(context, "csv")}"'
    return response


@household_bp.route("/penjual/bantuan")
@role_required(Role.SELLER)
def assistance_received():
    """The help this household has had from the PKK and the provincial office."""
    seller = get_seller_for_seller_or_404()
    return render_template(
        "sellers/assistance.html",
        seller=seller,
        records=services.assistance_records(seller_id=seller.id),
    )


@bp.route("/voucher", methods=["GET", "POST"])
@role_required(Role.REVIEWER)
def voucher_campaigns():
    """Voucher campaigns: the PKK's (a reviewer's) and the platform's (an admin's)."""
    form = VoucherCampaignForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            vouchers.create_campaign(**_campaign_input(form))
        if done.ok:
            flash(
                _("Voucher %(code)s dibuat.", code=vouchers.clean_code(form.code.data)), "success"
            )
            return redirect(url_for("pkk.voucher_campaigns"))
    return render_template(
        "pkk/vouchers.html", form=form, campaigns=vouchers.list_campaigns()
    ), 400 if form.is_submitted() else 200


def _campaign_input(form: VoucherCampaignForm) -> dict:
    is_admin = current_user.has_role(Role.ADMIN)
    return {
        "code": form.code.data,
        "sponsor": "platform" if is_admin else "pkk",
        "kind": form.kind.data,
        "value": form.value.data,
        "budget": form.budget.data,
        "per_buyer_limit": form.per_buyer_limit.data,
        "starts_on": form.starts_on.data,
        "ends_on": form.ends_on.data,
        "seller_ids": vouchers.ids_of(Seller, form.shops.data or "", "shops"),
        "product_ids": vouchers.ids_of(Product, form.products.data or "", "products"),
        "created_by_id": current_user.id,
    }
