"""The household's earnings: what is pending, available and paid out, part by part."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.access import role_required
from marketplace.accounts.forms import EmptyForm
from marketplace.accounts.identity import signed_in_user
from marketplace.accounts.models import Role
from marketplace.catalog.services import today_local
from marketplace.db import db, unit_of_work
from marketplace.errors import MarketplaceError
from marketplace.extensions import csrf
from marketplace.money import accounts as payout_accounts
from marketplace.money import (
    availability,
    bank_statements,
    batches,
    complaints,
    iris_payouts,
    labels,
    runs,
    services,
    statements,
    summary,
)
from marketplace.money.forms import (
    BankAccountForm,
    ComplaintForm,
    ReconcileForm,
    ResultFileForm,
    StatementFileForm,
    StripeForm,
    VerifyAccountForm,
    WalletForm,
)
from marketplace.money.models import DisbursementBatch
from marketplace.money.payment_units import issue_refunds
from marketplace.money.reconcile import default_days, period_of, reconcile
from marketplace.orders.inbox import seller_for_user, seller_id_for_user, seller_slug_for_user
from marketplace.orders.queries import get_order_by_token
from marketplace.paging import link_prefix, requested_page
from marketplace.payments.connect import get_connect
from marketplace.payments.gateway import (
    BadEvent,
    BadSignature,
    GatewayError,
    get_gateway,
    parse_signed_event,
)
from marketplace.rupiah import format_rupiah
from marketplace.web import attempt, flash_error

log = logging.getLogger(__name__)

bp = Blueprint("payouts", __name__)

bp.add_app_template_filter(labels.ledger_account_label, "ledger_account")
bp.add_app_template_filter(labels.payout_label, "payout_label")
bp.add_app_template_filter(labels.percent_bp, "percent_bp")
bp.add_app_template_filter(labels.money_html, "money")
bp.add_app_template_filter(labels.refund_label, "refund_label")


@bp.route("/penjual/pendapatan")
@role_required(Role.SELLER)
def earnings():
    """Where the household's money is: the summary. Each order's share is on its own page."""
    if "page" in request.args:
        # the per-order rows were paged here before they had their own page
        return redirect(url_for(".earning_parts", page=request.args["page"]), 301)
    seller_id = seller_id_for_user(current_user.id)
    today = today_local()
    found = summary.earnings_summary(seller_id, today)
    return render_template(
        "payouts/earnings.html",
        balances=found.balances,
        summary=found,
        account=found.account,
        described=payout_accounts.describe(found.account),
        payable=found.payable,
        minimum=runs.minimum_amount(),
        next_run=statements.next_run_date(today),
        months=statements.recent_months(today),
    )


@bp.route("/penjual/pendapatan/rincian")
@role_required(Role.SELLER)
def earning_parts():
    """The household's share of each order part, a page at a time, newest first."""
    parts = services.list_part_earnings(seller_id_for_user(current_user.id), requested_page())
    rows = labels.earning_rows(parts, link_prefix("orders.seller_part", "part_id"))
    return render_template(
        "payouts/earning_parts.html",
        parts=parts,
        rows=rows,
        words=labels.earning_words(),
        government=any([row.government for row in rows]),
    )


@bp.route("/penjual/pendapatan/pencairan")
@role_required(Role.SELLER)
def seller_payouts():
    seller = seller_for_user(current_user.id)
    return render_template(
        "payouts/seller_payouts.html",
        payouts=summary.list_payouts_of(seller.id, requested_page()),
        payout_labels=labels.payout_labels(),
    )


# --- the household's payout account ---------------------------------------------------------


def _seller():
    return seller_for_user(current_user.id)


def _account_forms(data=None):
    bank = BankAccountForm(formdata=data if _method(data) == "bank" else None, prefix="bank")
    wallet = WalletForm(formdata=data if _method(data) == "ewallet" else None, prefix="wallet")
    stripe_form = StripeForm(formdata=data if _method(data) == "stripe" else None, prefix="stripe")
    return bank, wallet, stripe_form


def _method(data) -> str:
    if data is None:
        return ""
    for prefix in ("bank", "wallet", "stripe"):
        if f"{prefix}-method" in data:
            return data[f"{prefix}-method"]
    return ""


def _save_account(seller_id: int, form) -> None:
    """Save what the household typed in the bank or e-wallet form (password checked)."""
    if isinstance(form, BankAccountForm):
        payout_accounts.save_bank_account(
            seller_id,
            signed_in_user(),
            form.password.data,
            bank_code=form.bank_code.data,
            account_number=form.account_number.data,
            holder_name=form.holder_name.data,
        )
    else:
        payout_accounts.save_wallet_account(
            seller_id,
            signed_in_user(),
            form.password.data,
            wallet_provider=form.wallet_provider.data,
            wallet_number=form.wallet_number.data,
        )


@bp.route("/penjual/pendapatan/rekening", methods=["GET", "POST"])
@role_required(Role.SELLER)
def payout_account():
    seller = _seller()
    data = request.form if request.method == "POST" else None
    bank, wallet, stripe_form = _account_forms(data)
    status = 200
    if request.method == "POST":
        form = {"bank": bank, "ewallet": wallet}.get(_method(data)) or abort(400)
        if form.validate_on_submit():
            with attempt(form, above_form=False) as done:
                _save_account(seller.id, form)
            if done.ok:
                flash(_("Rekening pencairan disimpan. Admin akan memeriksanya dulu."), "success")
                return redirect(url_for("payouts.payout_account"), 303)
        status = 400
    return _account_page(seller, bank, wallet, stripe_form, _method(data)), status


def _account_page(seller, bank, wallet, stripe_form, open_method: str):
    account = payout_accounts.account_of(seller.id)
    return render_template(
        "payouts/account.html",
        seller=seller,
        account=account,
        described=payout_accounts.describe(account),
        changes=payout_accounts.changes_of(account.id) if account else [],
        bank_form=bank,
        wallet_form=wallet,
        stripe_form=stripe_form,
        open_method=open_method,
    )


@bp.route("/penjual/pendapatan/rekening/stripe", methods=["POST"])
@role_required(Role.SELLER)
def stripe_onboarding():
    seller = _seller()
    form = StripeForm(prefix="stripe")
    if not form.validate_on_submit():
        flash(_("Masukkan kata sandi Anda."), "error")
        return redirect(url_for("payouts.payout_account"), 303)
    connect = get_connect()
    back = url_for("payouts.payout_account", _external=True)
    try:
        with unit_of_work():
            stripe_id = payout_accounts.connect_stripe_account(
                seller.id,
                signed_in_user(),
                form.password.data,
                connect,
                email=signed_in_user().email or "",
            )
            db.session.commit()
        link = connect.onboarding_link(stripe_id, return_url=back, refresh_url=back)
    except (MarketplaceError, GatewayError) as error:
        db.session.rollback()
        flash(str(getattr(error, "message", _("Stripe tidak dapat dihubungi."))), "error")
        return redirect(url_for("payouts.payout_account"), 303)
    return redirect(link, 303)


@bp.route("/penjual/pendapatan/laporan/<month>.csv")
@role_required(Role.SELLER)
def statement(month: str):
    seller_id, slug = seller_slug_for_user(current_user.id)
    try:
        statements.month_bounds(month)
    except ValueError:
        abort(404)
    body = statements.statement_csv(seller_id, month, labels.ledger_account_label)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="pendapatan-{slug}-{month}.csv"'},
    )


@bp.route("/penjual/pendapatan/laporan/<month>.pdf")
@role_required(Role.SELLER)
def statement_pdf(month: str):
    seller = _seller()
    try:
        statements.month_bounds(month)
    except ValueError:
        abort(404)
    body = statements.statement_pdf(seller, month, labels.ledger_account_label)
    return Response(
        body,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="pendapatan-{seller.slug}-{month}.pdf"'
        },
    )


# --- the buyer's complaint ----------------------------------------------------------------


@bp.route("/pesanan/<token>/masalah/<id:part_id>", methods=["GET", "POST"])
def report_problem(token: str, part_id: int):

    order = get_order_by_token(token[:64])
    part = next((part for part in order.parts if part.id == part_id), None)
    if part is None:
        abort(404)
    form = ComplaintForm()
    if form.validate_on_submit():
        reporter_id = current_user.id if current_user.is_authenticated else None
        with attempt(form, "message") as done:
            availability.report_problem(order.id, part_id, form.message.data, reporter_id)
        if done.ok:
            flash(_("Laporan Anda kami terima. Admin akan menghubungi Anda."), "success")
            return redirect(url_for("payments.order_page", token=token), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("payouts/complaint.html", order=order, part=part, form=form), status


# --- admin ----------------------------------------------------------------------------------


@bp.route("/admin/rekening")
@role_required(Role.ADMIN)
def admin_accounts():
    accounts = payout_accounts.list_accounts()
    return render_template(
        "payouts/admin_accounts.html",
        accounts=accounts,
        describe=payout_accounts.describe,
        changes={account.id: payout_accounts.changes_of(account.id)[:5] for account in accounts},
    )


@bp.route("/admin/rekening/<id:account_id>/periksa", methods=["POST"])
@role_required(Role.ADMIN)
def admin_verify(account_id: int):
    form = VerifyAccountForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            payout_accounts.verify_account(account_id, form.version.data, signed_in_user())
            db.session.commit()
    except MarketplaceError as error:
        db.session.rollback()
        flash_error(error)
    else:
        flash(_("Rekening ditandai sudah diperiksa."), "success")
    return redirect(url_for("payouts.admin_accounts"), 303)


@bp.route("/admin/keluhan")
@role_required(Role.ADMIN)
def admin_complaints():
    return _complaints_page({}, 200)


def _complaints_page(errors: dict[int, dict[str, str]], status: int, typed: dict | None = None):
    import secrets

    return render_template(
        "payouts/admin_complaints.html",
        complaints=complaints.list_complaints(),
        errors=errors,
        typed=typed or {},
        refund_key=secrets.token_urlsafe(24),
    ), status


def _tell_settled(outcome) -> None:
    """After the commit: send the refund, if the complaint gave money back, and say so."""
    if outcome is None:
        flash(_("Dana dilepas ke penjual."), "success")
        return
    issue_refunds(outcome.refund_ids, get_gateway())
    flash(_("Dana %(amount)s dikembalikan.", amount=format_rupiah(outcome.amount)), "success")


@bp.route("/admin/keluhan/<id:complaint_id>", methods=["POST"])
@role_required(Role.ADMIN)
def admin_settle_complaint(complaint_id: int):
    """Release the held money to the household, or refund the part to the buyer."""

    if not EmptyForm().validate_on_submit():
        abort(400)
    reason = (request.form.get("reason") or "")[:2000]
    refund_key = (request.form.get("refund_key") or "")[:60] or f"complaint-{complaint_id}"
    with attempt(shown=False) as done:
        outcome = complaints.settle_complaint(
            complaint_id,
            request.form.get("action", ""),
            actor_id=current_user.id,
            reason=reason,
            refund_key=f"complaint-{complaint_id}-{refund_key}",
        )
    if done.ok:
        _tell_settled(outcome)
    elif isinstance(done.error, complaints.AlreadySettled):
        flash(str(done.error.message), "success")
    else:
        flash_error(done.error)
        errors = {complaint_id: {done.error.field or "reason": str(done.error.message)}}
        return _complaints_page(errors, done.status, {complaint_id: reason})
    return redirect(url_for("payouts.admin_complaints"), 303)


@bp.route("/admin/pencairan")
@role_required(Role.ADMIN)
def admin_payouts():
    return render_template(
        "payouts/admin_payouts.html",
        payouts=runs.list_payouts(requested_page()),
        payout_labels=labels.payout_labels(),
        batches=runs.list_batches(),
        batch_href=link_prefix("payouts.admin_batch", "batch_id"),
        runs=runs.list_runs(),
        minimum=runs.minimum_amount(),
        next_run=statements.next_run_date(),
        iris=iris_payouts.iris() is not None,
    )


@bp.route("/admin/pencairan/iris", methods=["POST"])
@role_required(Role.ADMIN)
def admin_send_iris():
    """Send the open bank and e-wallet payouts through Midtrans Payouts (Iris)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    if iris_payouts.iris() is None:
        abort(404)
    outcome = iris_payouts.send_payouts()
    flash(_("%(n)d pencairan dikirim lewat Midtrans Iris.", n=len(outcome.sent)), "success")
    if outcome.left:
        flash(_("Lewat batch bank (CSV): %(numbers)s", numbers=", ".join(outcome.left)), "success")
    if outcome.failed:
        flash(_("Gagal dikirim: %(numbers)s", numbers=", ".join(outcome.failed)), "error")
    return redirect(url_for("payouts.admin_payouts"), 303)


@bp.route("/midtrans/iris/notifikasi", methods=["POST"])
@csrf.exempt
def iris_notification():
    body, status = iris_payouts.handle_notification(
        request.get_data(cache=False), request.headers.get("Iris-Signature", "")
    )
    return body, status, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/admin/pencairan/jalankan", methods=["POST"])
@role_required(Role.ADMIN)
def admin_run():
    if not EmptyForm().validate_on_submit():
        abort(400)
    result = runs.run_payouts(actor_id=current_user.id)
    flash(
        _(
            "%(created)d pencairan dibuat, %(skipped)d toko dilewati.",
            created=len(result.created),
            skipped=len(result.skipped),
        ),
        "success",
    )
    for number, reason in result.failed:
        flash(_("Pencairan %(number)s gagal: %(reason)s", number=number, reason=reason), "error")
    return redirect(url_for("payouts.admin_payouts"), 303)


@bp.route("/admin/pencairan/batch", methods=["POST"])
@role_required(Role.ADMIN)
def admin_export():
    if not EmptyForm().validate_on_submit():
        abort(400)
    batch = batches.export_batch(current_user.id)
    if batch is None:
        flash(_("Tidak ada pencairan bank atau dompet digital yang menunggu."), "error")
        return redirect(url_for("payouts.admin_payouts"), 303)
    return redirect(url_for("payouts.admin_batch", batch_id=batch.id), 303)


def _batch_or_404(batch_id: int) -> DisbursementBatch:
    batch = db.session.get(DisbursementBatch, batch_id)
    if batch is None:
        abort(404)
    return batch


@bp.route("/admin/pencairan/batch/<id:batch_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_batch(batch_id: int):
    batch = _batch_or_404(batch_id)
    form = ResultFileForm()
    outcomes = None
    status = 200
    if request.method == "POST":
        upload = form.result.data if form.validate_on_submit() else None
        if upload is None or not getattr(upload, "filename", ""):
            flash(_("Pilih berkas hasil dari bank."), "error")
            status = 400
        else:
            with attempt() as done:
                outcomes = batches.confirm_batch_file(upload.read())
            status = 200 if done.ok else 400
            batch = _batch_or_404(batch_id)
    return render_template(
        "payouts/admin_batch.html",
        batch=batch,
        payouts=batches.batch_payouts(batch.id),
        form=form,
        outcomes=outcomes,
    ), status


@bp.route("/admin/pencairan/batch/<id:batch_id>.csv")
@role_required(Role.ADMIN)
def admin_batch_csv(batch_id: int):
    batch = _batch_or_404(batch_id)
    return Response(
        batches.batch_csv(batch.id),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{batch.reference}.csv"'},
    )


def _reconcile_page(form: ReconcileForm, status: int = 200):
    valid = not request.args or form.validate()
    first, last = form.days() if valid else default_days(today_local())
    differences = reconcile(period_of(first, last), gateway=get_gateway(), connect=get_connect())
    return render_template(
        "payouts/admin_reconcile.html",
        form=form,
        upload=StatementFileForm(),
        first=first,
        last=last,
        covered=bank_statements.covered_days(first, last),
        differences=differences,
    ), (status if valid else 400)


@bp.route("/admin/pencairan/rekonsiliasi")
@role_required(Role.ADMIN)
def admin_reconcile():
    return _reconcile_page(ReconcileForm(request.args))


@bp.route("/admin/pencairan/rekening-koran", methods=["POST"])
@role_required(Role.ADMIN)
def admin_bank_statement():
    """An admin imports the bank's statement (CSV); all of it or nothing."""
    form = StatementFileForm()
    upload = form.statement.data if form.validate_on_submit() else None
    if upload is None or not getattr(upload, "filename", ""):
        flash(_("Pilih berkas rekening koran (CSV) dari internet banking."), "error")
        return _reconcile_page(ReconcileForm(), 400)
    with attempt() as done:
        imported = bank_statements.import_statement(
            upload.read(), upload.filename, current_user.id, form.sent_token
        )
    if not done.ok:
        return _reconcile_page(ReconcileForm(), 400)
    flash(
        _(
            "Rekening koran %(first)s sampai %(last)s: %(lines)s baris, %(new)s baru.",
            first=imported.first_day.isoformat(),
            last=imported.last_day.isoformat(),
            lines=imported.lines,
            new=imported.new_lines,
        )
    )
    since, until = imported.first_day.isoformat(), imported.last_day.isoformat()
    return redirect(url_for("payouts.admin_reconcile", since=since, until=until), 303)


# --- Stripe Connect events ------------------------------------------------------------------


def _connect_secret() -> str:
    return (
        current_app.config.get("STRIPE_CONNECT_WEBHOOK_SECRET")
        or current_app.config.get("STRIPE_WEBHOOK_SECRET")
        or current_app.config.get("TEST_WEBHOOK_SECRET", "")
    )


@bp.route("/stripe/connect/webhook", methods=["POST"])
@csrf.exempt
def connect_webhook():
    """``account.updated`` from Stripe Connect: whether the account can be paid."""
    try:
        event = parse_signed_event(
            request.get_data(), request.headers.get("Stripe-Signature", ""), _connect_secret()
        )
    except BadSignature:
        abort(400)
    except BadEvent as error:
        log.warning("connect webhook refused: %s", error)
        abort(400)
    try:
        with unit_of_work():
            payout_accounts.apply_connect_event(event, get_connect())
            db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same event again
    except GatewayError as error:
        db.session.rollback()  # nothing recorded: Stripe sends the event again later
        log.warning(
            "connect webhook: Stripe could not be asked about %s: %s", event.object_id, error
        )
        return "", 503
    return "", 200
