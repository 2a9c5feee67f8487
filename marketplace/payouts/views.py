"""The household's earnings: what is pending, available and paid out, part by part."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.accounts.access import role_required
from marketplace.accounts.models import Role
from marketplace.errors import NotFound
from marketplace.orders.services import seller_for_user
from marketplace.payouts import services

bp = Blueprint("payouts", __name__)

ACCOUNT_LABELS = {
    "buyer_funds": _l("Dibayar pembeli"),
    "refunds": _l("Dikembalikan ke pembeli"),
    "platform_commission": _l("Komisi platform"),
    "seller_pending": _l("Bagian toko, menunggu"),
    "shipping": _l("Ongkos kirim, menunggu"),
    "seller_available": _l("Siap dicairkan"),
    "seller_paid_out": _l("Dicairkan"),
}


@bp.app_template_filter("ledger_account")
def ledger_account_label(account: str) -> str:
    return str(ACCOUNT_LABELS.get(account, account))


@bp.app_template_filter("percent_bp")
def percent_bp(rate_bp: int) -> str:
    """Basis points as a percentage in the visitor's locale: 250 -> 2,5%."""
    return f"{format_decimal(rate_bp / 100, format='#,##0.##')}%"


@bp.route("/penjual/pendapatan")
@role_required(Role.SELLER)
def earnings():
    try:
        seller = seller_for_user(current_user.id)
    except NotFound:
        abort(404)
    return render_template(
        "payouts/earnings.html",
        seller=seller,
        balances=services.balances_of(seller.id),
        parts=services.list_part_earnings(seller.id),
    )
