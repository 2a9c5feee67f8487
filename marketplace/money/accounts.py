"""Where a household is paid: record, change (password again), and an admin's check.

A change is recorded (who, when, old and new, masked) and makes the account
unverified again: no payout goes to an account an admin has not checked. A change of an
existing account also holds payouts for ``PAYOUT_ACCOUNT_HOLD_HOURS`` (24) and is mailed
to the household (through the outbox, after the commit), so that someone who took over
the household's sign-in cannot send its money elsewhere unnoticed.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update

from marketplace.accounts.models import User
from marketplace.accounts.passwords import verify_password
from marketplace.accounts.services import AccountError, normalise_phone
from marketplace.db import WITA, db, now_utc, read_rows, update_if
from marketplace.errors import MarketplaceError, NotFound
from marketplace.money.banks import BANKS_BY_CODE, WALLETS, mask
from marketplace.money.messages import tell_of_account_change
from marketplace.money.models import PayoutAccount, PayoutAccountChange, PayoutMethod
from marketplace.numbers import is_ascii_digits
from marketplace.once import added_once
from marketplace.payments.models import WebhookEvent


class PayoutAccountError(MarketplaceError):
    pass


def describe(account: PayoutAccount | None) -> str:
    """The account as anyone may see it: the bank or wallet, masked number, holder."""
    if account is None:
        return ""
    if account.method == PayoutMethod.BANK.value:
        bank = BANKS_BY_CODE.get(account.bank_code)
        name = bank.name if bank else account.bank_code
        number = mask(account.account_number)
        return f"{name} ({account.bank_code}) {number} a.n. {account.holder_name}"
    if account.method == PayoutMethod.EWALLET.value:
        wallet = WALLETS.get(account.wallet_provider, account.wallet_provider)
        return f"{wallet} {mask(account.wallet_number)}"
    return f"Stripe Connect {account.stripe_account_id}"


#: a household's payout account: built once
_ACCOUNT_OF = select(PayoutAccount).where(PayoutAccount.seller_id == bindparam("seller_id"))


def account_of(seller_id: int) -> PayoutAccount | None:
    return db.session.scalar(_ACCOUNT_OF, {"seller_id": seller_id})


#: what a household's earnings page shows and checks of its payout account: built once
_ACCOUNT_SHOWN = select(
    PayoutAccount.method,
    PayoutAccount.bank_code,
    PayoutAccount.account_number,
    PayoutAccount.holder_name,
    PayoutAccount.wallet_provider,
    PayoutAccount.wallet_number,
    PayoutAccount.stripe_account_id,
    PayoutAccount.stripe_payouts_enabled,
    PayoutAccount.verified_at.is_not(None).label("is_verified"),
).where(PayoutAccount.seller_id == bindparam("seller_id"))


def account_shown_of(seller_id: int):
    """The household's payout account as ``describe`` and ``is_payable`` read it: a row of
    those columns (named as the account's attributes), not the account; None without one."""
    return read_rows(_ACCOUNT_SHOWN, {"seller_id": seller_id}).first()


def _check_password(user: User, password: str) -> None:
    if not password or not verify_password(user.password_hash, password):
        raise PayoutAccountError(_l("Kata sandi salah."), field="password")


def clean_bank(bank_code: str, account_number: str, holder_name: str) -> dict[str, str]:
    bank = BANKS_BY_CODE.get(bank_code)
    if bank is None:
        raise PayoutAccountError(_l("Pilih bank dari daftar."), field="bank_code")
    digits = re.sub(r"[\s.-]", "", account_number or "")
    if not is_ascii_digits(digits):
        raise PayoutAccountError(_l("Nomor rekening hanya berisi angka."), field="account_number")
    if not bank.min_digits <= len(digits) <= bank.max_digits:
        if bank.min_digits == bank.max_digits:
            message = _l(
                "Nomor rekening %(bank)s terdiri dari %(digits)d angka.",
                bank=bank.name,
                digits=bank.min_digits,
            )
        else:
            message = _l(
                "Nomor rekening %(bank)s terdiri dari %(low)d sampai %(high)d angka.",
                bank=bank.name,
                low=bank.min_digits,
                high=bank.max_digits,
            )
        raise PayoutAccountError(message, field="account_number")
    holder = " ".join((holder_name or "").split())
    if not 2 <= len(holder) <= 120:
        raise PayoutAccountError(
            _l("Tulis nama pemilik rekening seperti di buku tabungan."), field="holder_name"
        )
    return {"bank_code": bank.code, "account_number": digits, "holder_name": holder}


def clean_wallet(provider: str, number: str) -> dict[str, str]:
    if provider not in WALLETS:
        raise PayoutAccountError(_l("Pilih dompet digital dari daftar."), field="wallet_provider")
    try:
        phone = normalise_phone(number or "")
    except AccountError as error:
        raise PayoutAccountError(error.message, field="wallet_number") from error
    if not phone.startswith("+628"):
        raise PayoutAccountError(
            _l("Dompet digital memakai nomor HP, mis. 0812 3456 7890."), field="wallet_number"
        )
    return {"wallet_provider": provider, "wallet_number": phone}


_DESTINATION_FIELDS = (
    "bank_code",
    "account_number",
    "holder_name",
    "wallet_provider",
    "wallet_number",
    "stripe_account_id",
)


def _record_change(account: PayoutAccount, actor_id: int, kind: str, old_masked: str = "") -> None:
    """The account's history: who did what to it, and what it reads (masked) now."""
    db.session.add(
        PayoutAccountChange(
            payout_account_id=account.id,
            actor_id=actor_id,
            kind=kind,
            old_masked=old_masked,
            new_masked=describe(account),
        )
    )
    db.session.flush()


def _save(seller_id: int, actor: User, method: PayoutMethod, fields: dict[str, str]):
    values = dict.fromkeys(_DESTINATION_FIELDS, "") | fields
    account = account_of(seller_id)
    if account is None:
        account = PayoutAccount(seller_id=seller_id, method=method.value, **values)
        if not added_once(account):
            # sent twice at once: the household's one account is the twin's, read it again
            return _save(seller_id, actor, method, fields)
        _record_change(account, actor.id, "created")
        return account
    old = describe(account)
    unchanged = account.method == method.value and all(
        getattr(account, name) == value for name, value in values.items()
    )
    if unchanged:
        return account
    # Guarded on the version read: two changes at once cannot both pass unrecorded.
    moved = update_if(
        PayoutAccount,
        account.id,
        PayoutAccount.version == account.version,
        method=method.value,
        version=PayoutAccount.version + 1,
        verified_at=None,
        verified_by_id=None,
        stripe_payouts_enabled=False,
        updated_at=now_utc(),
        **values,
    )
    if not moved:
        raise PayoutAccountError(_l("Rekening baru saja diubah. Muat ulang halaman."))
    db.session.refresh(account)
    _record_change(account, actor.id, "changed", old_masked=old)
    _tell_household(account, old)
    return account


def hold_hours() -> int:
    return int(current_app.config.get("PAYOUT_ACCOUNT_HOLD_HOURS", 24))


def held_until(account: PayoutAccount) -> dt.datetime | None:
    """When payouts to a just-changed account may start again; None when they may now."""
    until = account.payouts_held_until
    return until if until is not None and until > now_utc() else None


def hold_refusal(account: PayoutAccount):
    """Why the payout run skips an account changed less than a day ago; None if it may pay."""
    until = held_until(account)
    if until is None:
        return None
    return _l(
        "Rekening baru diubah; pencairan ditahan sampai %(until)s WITA.",
        until=until.astimezone(WITA).strftime("%d-%m-%Y %H:%M"),
    )


def _tell_household(account: PayoutAccount, old: str) -> None:
    """Hold payouts to the new account, and tell the household what changed on every
    channel it uses (``money.messages``)."""
    until = now_utc() + dt.timedelta(hours=hold_hours())
    db.session.execute(
        update(PayoutAccount).where(PayoutAccount.id == account.id).values(payouts_held_until=until)
    )
    owner = account.seller.user
    if owner is not None:
        tell_of_account_change(owner, account.seller.shop_name, old, describe(account), until)


def save_bank_account(
    seller_id: int,
    actor: User,
    password: str,
    *,
    bank_code: str,
    account_number: str,
    holder_name: str,
) -> PayoutAccount:
    fields = clean_bank(bank_code, account_number, holder_name)
    _check_password(actor, password)
    return _save(seller_id, actor, PayoutMethod.BANK, fields)


def save_wallet_account(
    seller_id: int, actor: User, password: str, *, wallet_provider: str, wallet_number: str
) -> PayoutAccount:
    fields = clean_wallet(wallet_provider, wallet_number)
    _check_password(actor, password)
    return _save(seller_id, actor, PayoutMethod.EWALLET, fields)


def start_stripe_account(seller_id: int, actor: User, password: str, connect, *, email: str):
    """Open (or reuse) the household's Stripe Express account; returns it."""
    _check_password(actor, password)
    account = account_of(seller_id)
    if account is not None and account.method == PayoutMethod.STRIPE.value:
        return account
    stripe_id = connect.create_account(
        email=email,
        idempotency_key=f"seller-{seller_id}-connect-{account.version if account else 0}",
    )
    return _save(seller_id, actor, PayoutMethod.STRIPE, {"stripe_account_id": stripe_id})


def record_stripe_account(stripe_account_id: str, *, payouts_enabled: bool) -> bool:
    """``account.updated``: Stripe says whether the account can be paid. True if it moved."""
    moved = db.session.execute(
        update(PayoutAccount)
        .where(
            PayoutAccount.stripe_account_id == stripe_account_id,
            PayoutAccount.method == PayoutMethod.STRIPE.value,
            PayoutAccount.stripe_payouts_enabled.is_not(payouts_enabled),
        )
        .values(stripe_payouts_enabled=payouts_enabled, updated_at=now_utc())
    )
    if moved.rowcount:
        account = db.session.scalar(
            select(PayoutAccount).where(PayoutAccount.stripe_account_id == stripe_account_id)
        )
        db.session.add(
            PayoutAccountChange(
                payout_account_id=account.id,
                kind="stripe",
                new_masked="payouts_enabled" if payouts_enabled else "payouts_disabled",
            )
        )
        db.session.flush()
    return bool(moved.rowcount)


def connect_stripe_account(
    seller_id: int, user: User, password: str, connect, *, email: str
) -> str:
    """The household's Stripe Express account, created or reused; its id.

    "Mode uji" has no Stripe to finish onboarding at, so onboarding is finished here.
    """
    account = start_stripe_account(seller_id, user, password, connect, email=email)
    if connect.name == "test":
        record_stripe_account(account.stripe_account_id, payouts_enabled=True)
    return account.stripe_account_id


def verify_account(account_id: int, version: int, admin: User) -> PayoutAccount:
    """An admin checked the account (the version they looked at) before its first use."""
    account = db.session.get(PayoutAccount, account_id)
    if account is None:
        raise NotFound(_l("Rekening tidak ditemukan."))
    if not update_if(
        PayoutAccount,
        account_id,
        PayoutAccount.version == version,
        PayoutAccount.verified_at.is_(None),
        verified_at=now_utc(),
        verified_by_id=admin.id,
    ):
        raise PayoutAccountError(
            _l("Rekening ini sudah diperiksa atau baru saja diubah. Periksa lagi.")
        )
    db.session.refresh(account)
    _record_change(account, admin.id, "verified")
    return account


def is_payable(account: PayoutAccount | None) -> bool:
    if account is None or not account.is_verified:
        return False
    if account.method == PayoutMethod.STRIPE.value:
        return account.stripe_payouts_enabled
    return True


def list_accounts(unverified_first: bool = True) -> list[PayoutAccount]:
    query = select(PayoutAccount).order_by(
        PayoutAccount.verified_at.is_not(None), PayoutAccount.updated_at.desc()
    )
    return list(db.session.scalars(query))


def changes_of(account_id: int) -> list[PayoutAccountChange]:
    return list(
        db.session.scalars(
            select(PayoutAccountChange)
            .where(PayoutAccountChange.payout_account_id == account_id)
            .order_by(PayoutAccountChange.id.desc())
        )
    )


def apply_connect_event(event, connect) -> None:
    """``account.updated`` from Stripe Connect, once per event id: whether the account can
    be paid, read back from Stripe (``connect``) rather than taken from the event. Stripe
    may deliver an older event after a newer one (a retry): the account's state now is
    what counts, or a restricted account would be paid after a stale "enabled"."""
    if event.type != "account.updated":
        return
    db.session.add(WebhookEvent(gateway="connect", event_id=event.id, event_type=event.type))
    # The unique (gateway, event_id) refuses the same event again at this flush.
    db.session.flush()
    enabled = connect.payouts_enabled(event.object_id)  # GatewayError: Stripe sends it again
    if enabled is not None:
        record_stripe_account(event.object_id, payouts_enabled=enabled)
