"""The buyer's order and payment pages, "Mode uji" buttons, the return from Stripe, webhook.

With Stripe the payment page sends the buyer on to a Stripe Checkout Session. Every
way a payment is confirmed ends in :func:`~marketplace.money.payment_units.apply_intent`:
the webhook, the buyer coming back from Stripe (maybe before the webhook), and the
test-mode button (which even goes through the webhook handler itself, with a locally
signed event). Whichever comes first moves the order; the other changes nothing.
"""

from __future__ import annotations

import logging
import secrets

import segno
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.access import role_required
from marketplace.accounts.forms import EmptyForm
from marketplace.accounts.models import Role, User
from marketplace.db import db, unit_of_work
from marketplace.errors import MarketplaceError
from marketplace.extensions import csrf
from marketplace.money import domestic, labels, refunds
from marketplace.money import payments as services
from marketplace.money.availability import auto_delivery_dates
from marketplace.money.forms import PayMethodForm, RefundForm, RefundTransferForm
from marketplace.money.models import Payment
from marketplace.money.payment_units import (
    apply_intent,
    apply_refunds,
    checkout_url,
    issue_refunds,
)
from marketplace.orders import inbox, lifecycle, queries, shipments
from marketplace.orders.forms import DeclinePartForm
from marketplace.orders.labels import order_status_label
from marketplace.orders.models import Order, OrderStatus
from marketplace.orders.views import seller_part_page
from marketplace.paging import link_prefix, requested_page
from marketplace.payments.gateway import (
    BadEvent,
    BadSignature,
    GatewayError,
    GatewayEvent,
    TestGateway,
    get_gateway,
)
from marketplace.rupiah import format_rupiah
from marketplace.web import attempt, flash_error

log = logging.getLogger(__name__)

bp = Blueprint("payments", __name__)


def _refused(why: str) -> tuple[str, int]:
    """A signed event that is not to be trusted: 400, logged, nothing changed."""
    db.session.rollback()
    log.warning("webhook refused: %s", why)
    return "bad event", 400


def handle_webhook(payload: bytes, signature: str) -> tuple[str, int]:
    gateway = get_gateway()
    try:
        event = gateway.parse_event(payload, signature)
    except BadSignature:
        return "bad signature", 400
    except BadEvent as error:
        # Signed, but not what a gateway sends (a field missing or of another type).
        return _refused(str(error))
    return handle_event(event, gateway)


def handle_event(event: GatewayEvent, gateway) -> tuple[str, int]:
    """What a verified event means for our payments: the webhook's, and a replay's."""
    if event.type not in services.HANDLED_EVENTS:
        return "ignored", 200
    if why := services.event_misfit(event.order_id):
        return _refused(f"{event.id}: {why}")
    db.session.rollback()  # no transaction stays open across the gateway call
    if event.type in services.REFUND_EVENTS:
        try:
            # Never trust the event body: ask the gateway for the refunds as they are now.
            if event.type == "charge.refunded":
                refunds = gateway.list_refunds(charge=event.object_id)
            else:
                refunds = [gateway.retrieve_refund(event.object_id)]
        except GatewayError:
            log.warning("webhook %s: could not fetch %s", event.id, event.object_id)
            return "retry", 503
        applied = apply_refunds(refunds, event=(gateway.name, event.id, event.type))
        return ("ok" if applied else "duplicate"), 200
    try:
        # Never trust the event body: ask the gateway for the payment as it is now.
        intent = gateway.retrieve_intent(event.object_id)
    except GatewayError:
        log.warning("webhook %s: could not fetch %s", event.id, event.object_id)
        # Not ours (unknown at the gateway), or the gateway is down: Stripe retries a 503.
        known = db.session.scalar(select(Payment.id).where(Payment.intent_id == event.object_id))
        return ("retry", 503) if known else ("ignored", 200)
    if why := services.event_misfit(event.order_id, intent):
        return _refused(f"{event.id}: {why}")
    applied = apply_intent(intent, event=(gateway.name, event.id, event.type))
    return ("ok" if applied else "duplicate"), 200


@bp.route("/stripe/webhook", methods=["POST"])
@csrf.exempt
def webhook():
    # The raw body, byte for byte: the signature covers exactly these bytes.
    body, status = handle_webhook(
        request.get_data(cache=False), request.headers.get("Stripe-Signature", "")
    )
    return body, status, {"Content-Type": "text/plain; charset=utf-8"}


def _order_or_404(token: str):
    with unit_of_work():
        order = queries.get_order_by_token(token[:64])
        db.session.commit()
    return order


@bp.route("/midtrans/notifikasi", methods=["POST"])
@csrf.exempt
def midtrans_notification():
    body, status = domestic.handle_notification(request.get_data(cache=False))
    return body, status, {"Content-Type": "text/plain; charset=utf-8"}


def qr_svg(text: str) -> str:
    """A QRIS string as an inline SVG (segno), drawn on the server: no script, no image."""
    return segno.make(text, error="m").svg_inline(scale=4, border=2, title="QRIS")


def _choice_page(order: Order, form: PayMethodForm | None = None, status: int = 200):
    """The methods to choose from, and the open Midtrans payment's QR or account number."""
    payment = domestic.shown_payment(order.id)
    shown = (payment.instructions or {}) if payment else {}
    return render_template(
        "payments/choose.html",
        order=order,
        form=form or PayMethodForm(),
        choices=domestic.choices(),
        payment=payment,
        shown=shown,
        qr=qr_svg(shown["qr_string"]) if shown.get("qr_string") else "",
    ), status


@bp.route("/pesanan/<token>/bayar", methods=["POST"])
def pay_choose(token: str):
    """The buyer picked a method: a QR or an account number here, or a card at Stripe."""
    order = _order_or_404(token)
    form = PayMethodForm()
    if not form.validate_on_submit():
        return _choice_page(order, form, 400)
    try:
        opened = domestic.choose(order.id, form.method.data or "")
        if opened is None and (url := checkout_url(order.id, get_gateway())):
            return redirect(url, 303)
    except MarketplaceError as error:
        db.session.rollback()
        flash_error(error)
        return _choice_page(queries.get_order_by_token(token[:64]), form, error.status_code)
    return redirect(url_for("payments.pay", token=token), 303)


@bp.route("/pesanan/<token>/bayar/cek", methods=["POST"])
def pay_check(token: str):
    """The buyer asks whether the QRIS or transfer arrived: Midtrans' status, applied."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    order = _order_or_404(token)
    try:
        intent = domestic.check_status(order.id)
    except MarketplaceError as error:
        flash_error(error)
        return redirect(url_for("payments.pay", token=token), 303)
    if intent is not None and intent.succeeded:
        flash(_("Pembayaran diterima. Terima kasih!"), "success")
        return redirect(url_for("payments.order_page", token=token), 303)
    flash(_("Pembayaran belum masuk. Halaman ini diperbarui begitu dana diterima."), "error")
    return redirect(url_for("payments.pay", token=token), 303)


@bp.route("/pesanan/<token>/bayar", methods=["GET"])
def pay(token: str):
    order = _order_or_404(token)
    if order.status != OrderStatus.AWAITING_PAYMENT.value:
        return redirect(url_for("payments.order_page", token=order.access_token))
    if domestic.offers_choice():
        return _choice_page(order)
    gateway = get_gateway()
    try:
        url = checkout_url(order.id, gateway)
    except MarketplaceError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for("payments.order_page", token=token))
    if url:
        # On to Stripe Checkout (the site's form-action allows it, see marketplace/web.py).
        return redirect(url, 303)
    if gateway.hosted:
        # Paid meanwhile, or settling: the order page says which.
        return redirect(url_for("payments.order_page", token=token), 303)
    return render_template(
        "payments/pay.html", order=queries.get_order_by_token(token[:64]), test_mode=True
    )


@bp.route("/pesanan/<token>/bayar/uji", methods=["POST"])
def pay_test(token: str):
    """Mode uji: complete or decline the payment, through the webhook handler."""
    gateway = get_gateway()
    if not isinstance(gateway, TestGateway) or not EmptyForm().validate_on_submit():
        abort(404 if not isinstance(gateway, TestGateway) else 400)
    order = _order_or_404(token)
    payment = db.session.scalar(
        select(Payment).where(Payment.order_id == order.id).order_by(Payment.id.desc())
    )
    if payment is None:
        return redirect(url_for("payments.pay", token=token))
    succeed = request.form.get("outcome") != "decline"
    intent = gateway.complete(
        payment.intent_id, amount=payment.amount, order_id=order.id, succeed=succeed
    )
    event_type = "payment_intent.succeeded" if succeed else "payment_intent.payment_failed"
    handle_webhook(*gateway.signed_event(event_type, intent))
    if succeed:
        flash(_("Pembayaran uji berhasil."), "success")
        return redirect(url_for("payments.order_page", token=token), 303)
    flash(_("Pembayaran uji ditolak. Silakan coba lagi."), "error")
    return redirect(url_for("payments.pay", token=token), 303)


@bp.route("/pesanan/<token>/bayar/selesai")
def pay_return(token: str):
    """The buyer is back from Stripe Checkout, maybe before the webhook: ask the gateway."""
    order = _order_or_404(token)
    # session_id: Checkout's {CHECKOUT_SESSION_ID}; payment_intent: payments made before it
    intent_id = (request.args.get("session_id") or request.args.get("payment_intent") or "")[:120]
    payment = db.session.scalar(
        select(Payment).where(Payment.order_id == order.id, Payment.intent_id == intent_id)
    )
    if payment is None:
        abort(404)
    try:
        apply_intent(get_gateway().retrieve_intent(intent_id))
    except GatewayError:
        flash(_("Status pembayaran belum bisa diperiksa. Coba lagi sebentar lagi."), "error")
    return redirect(url_for("payments.order_page", token=token), 303)


# --- admins: money back ---------------------------------------------------------------------


@bp.route("/admin/pesanan")
@role_required(Role.ADMIN)
def admin_orders():
    orders = services.list_recent_orders(requested_page())
    return render_template(
        "payments/admin_orders.html",
        orders=orders,
        order_href=link_prefix("payments.admin_order", "order_id"),
        statuses=labels.once_each((order.status for order in orders), order_status_label),
    )


@bp.route("/admin/pesanan/<id:order_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_order(order_id: int):
    """Cancel and refund a part, refund the whole order, or give back part of a share."""
    order = db.get_or_404(Order, order_id)
    status, errors = 200, {}
    if request.method == "POST":
        status, errors = _admin_refund(order_id, RefundForm())
        if status == 200:
            return redirect(url_for("payments.admin_order", order_id=order_id), 303)
    order = db.get_or_404(Order, order_id)
    return render_template(
        "payments/admin_order.html",
        order=order,
        refunds=services.refunds_of(order_id),
        transfers=domestic.transfers_due(order_id),
        transfer_form=RefundTransferForm(),
        left=services.parts_left(order.parts),
        cancellable=lifecycle.CANCELLABLE_BY_ADMIN,
        actors=_names({event.actor_id for event in order.events if event.actor_id}),
        errors=errors,
        refund_key=secrets.token_urlsafe(24),
    ), status


@bp.route("/admin/pesanan/<id:order_id>/transfer/<id:refund_id>", methods=["POST"])
@role_required(Role.ADMIN)
def admin_refund_transfer(order_id: int, refund_id: int):
    """The admin gave a virtual account payment back by bank transfer: its reference."""
    form = RefundTransferForm()
    if not form.validate_on_submit():
        flash(_("Isi nomor referensi transfer."), "error")
        return redirect(url_for("payments.admin_order", order_id=order_id), 303)
    with attempt() as done:
        recorded = domestic.record_transfer(order_id, refund_id, form.reference.data or "")
    if done.ok:
        flash(
            _("Transfer pengembalian dicatat.") if recorded else _("Sudah dicatat sebelumnya."),
            "success",
        )
    return redirect(url_for("payments.admin_order", order_id=order_id), 303)


def _admin_refund(order_id: int, form: RefundForm) -> tuple[int, dict[str, str]]:
    """Do what the admin's refund form asks; the status and the errors to show by field."""
    if not form.validate_on_submit():
        if set(form.errors) - {"amount"}:
            abort(400)
        return 400, {"amount": str(form.amount.errors[0])}
    refund_key = form.refund_key.data or secrets.token_urlsafe(24)
    reason, part_id, actor_id = form.reason.data or "", form.part_id.data, current_user.id
    try:
        with unit_of_work():
            if form.action.data == "cancel_part":
                outcome = refunds.cancel_part(order_id, part_id, actor_id=actor_id, reason=reason)
            elif form.action.data == "refund_order":
                outcome = refunds.refund_order(
                    order_id, refund_key=refund_key, actor_id=actor_id, reason=reason
                )
            else:
                outcome = refunds.refund_partly(
                    order_id,
                    part_id,
                    form.amount.data or 0,
                    refund_key=refund_key,
                    actor_id=actor_id,
                    reason=reason,
                )
            db.session.commit()
    except IntegrityError:
        # The same form sent twice: its refund is already recorded.
        db.session.rollback()
        flash(_("Pengembalian ini sudah dicatat."), "success")
        return 200, {}
    except refunds.NothingToRefund as error:
        db.session.rollback()
        flash(str(error.message), "success")
        return 200, {}
    except MarketplaceError as error:
        db.session.rollback()
        flash_error(error)
        return error.status_code, {error.field: str(error.message)} if error.field else {}
    _announce_refund(outcome)
    return 200, {}


def _announce_refund(outcome) -> None:
    """Send the refunds to the gateway (after the commit) and say what went back."""
    issue_refunds(outcome.refund_ids, get_gateway())
    flash(_("Dana %(amount)s dikembalikan.", amount=format_rupiah(outcome.amount)), "success")
    if outcome.money_only:
        flash(
            _(
                "Sudah sampai, jadi hanya dananya yang dikembalikan: %(shops)s.",
                shops=", ".join(part.shop_name for part in outcome.money_only),
            ),
            "success",
        )


def _names(user_ids: set[int]) -> dict[int, str]:

    if not user_ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())


# --- the buyer's order: what was paid, what came back, a household's part cancelled --


@bp.route("/pesanan/<token>")
def order_page(token: str):
    with unit_of_work():
        order = queries.get_order_by_token(token[:64])
        db.session.commit()
    money = services.order_money(order)
    user_id = current_user.id if current_user.is_authenticated else None
    return render_template(
        "orders/order.html",
        order=order,
        refunds=money.refunds,
        refunded=money.refunded,
        cancel_amounts=money.cancel_amounts,
        shown_status=money.shown_status,
        confirmable=lifecycle.parts_to_confirm(order, user_id),
        tracking=shipments.history_of(order.parts),
        delivered_by=auto_delivery_dates(order.parts),
    )


@bp.route("/pesanan/<token>/batal/<id:part_id>", methods=["POST"])
def cancel_part(token: str, part_id: int):
    """The buyer cancels one household's part; its share is refunded after the commit."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            order = queries.get_order_by_token(token[:64])
            # Under the payment's lock, as an admin's refund of the same part.
            outcome = refunds.cancel_part_by_buyer(
                order.id,
                part_id,
                actor_id=current_user.id if current_user.is_authenticated else None,
            )
            db.session.commit()
    except MarketplaceError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for("payments.order_page", token=token), 303)
    issue_refunds(outcome.refund_ids, get_gateway())
    flash(_("Bagian pesanan dibatalkan. Dananya dikembalikan ke pembayaran Anda."), "success")
    return redirect(url_for("payments.order_page", token=token), 303)


@bp.route("/pesanan/<token>/diterima/<id:part_id>", methods=["POST"])
def confirm_receipt(token: str, part_id: int):
    """The buyer presses "Pesanan diterima": the part is delivered and its money follows."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    user_id = current_user.id if current_user.is_authenticated else None
    confirmed = False
    with attempt() as done:
        order = queries.get_order_by_token(token[:64])
        confirmed = lifecycle.confirm_receipt(order, part_id, user_id=user_id)
    if done.ok:
        flash(
            _("Terima kasih! Pesanan ditandai sudah diterima.")
            if confirmed
            else _("Bagian ini sudah ditandai diterima sebelumnya."),
            "success",
        )
    return redirect(url_for("payments.order_page", token=token), 303)


@bp.route("/penjual/pesanan/<id:part_id>/tolak", methods=["POST"])
@role_required(Role.SELLER)
def decline_part(part_id: int):
    """The household declines a paid part it cannot make: refunded in full, stock back."""
    form = DeclinePartForm()
    if not form.validate_on_submit():
        abort(400)
    seller_id = inbox.seller_id_for_user(current_user.id)
    with attempt(form, above_form=False) as done:
        outcome = refunds.decline_part_by_household(
            part_id, seller_id, actor_id=current_user.id, reason=form.reason.data or ""
        )
    if not done.ok:
        return seller_part_page(part_id, seller_id, decline_form=form), done.status
    issue_refunds(outcome.refund_ids, get_gateway())
    flash(_("Pesanan ditolak. Dana pembeli dikembalikan dan stoknya kembali."), "success")
    return redirect(url_for("orders.seller_part", part_id=part_id), 303)


@bp.route("/akun/pesanan")
@login_required
def my_orders():
    buyer_orders = queries.list_buyer_orders(current_user.id)
    return render_template(
        "orders/my_orders.html", orders=buyer_orders, shown=services.shown_statuses(buyer_orders)
    )
