"""Payout runs: every available balance above the minimum, paid once.

A run takes each household in its own short transaction: it locks the household's
row (PostgreSQL; on SQLite the transaction takes the write lock at BEGIN), reads the
available balance, and moves it to ``payouts_in_transit`` with the payout it creates.
A second run, at the same time or later the same day, finds the payout (unique per
household and run day) and pays nothing again. The payout keeps the account it was
computed for: a change made afterwards is unverified and waits for the next run.

Bank and e-wallet payouts leave in a CSV batch that an admin uploads to the bank and
confirms line by line with the bank's result file (``money.batches``); Stripe Connect
payouts are transfers made right after the run, outside any transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.catalog.models import Seller
from marketplace.catalog.services import today_local
from marketplace.db import db, now_utc, read_rows, unit_of_work, update_if
from marketplace.errors import MarketplaceError
from marketplace.money.accounts import account_of, hold_refusal, is_payable
from marketplace.money.messages import tell_admins_payout_failed, tell_household_of_payout
from marketplace.money.models import (
    Account,
    DisbursementBatch,
    LedgerEntry,
    Payment,
    PaymentStatus,
    Payout,
    PayoutMethod,
    PayoutRun,
    PayoutStatus,
    batch_reference,
    payout_number,
)
from marketplace.money.services import write_seller_event
from marketplace.orders.models import OrderPart
from marketplace.paging import Page, paginate
from marketplace.payments.connect import Transfer, get_connect, record_test_transfers_with
from marketplace.payments.gateway import GatewayError

log = logging.getLogger(__name__)

DEFAULT_MINIMUM = 50_000
OPEN = (PayoutStatus.CREATED.value, PayoutStatus.EXPORTED.value)
SAME_DAY = _l("Sudah ada pencairan untuk toko ini pada hari ini.")


class PayoutError(MarketplaceError):
    pass


def _test_transfers_on_payouts() -> list[Transfer]:
    """The "Mode uji" transfers that payouts recorded, for the test twin's list."""
    return [
        Transfer(
            id=payout.reference,
            amount=payout.amount,
            destination=payout.stripe_account_id,
            reversed_amount=payout.reversed_amount,
        )
        for payout in db.session.scalars(
            select(Payout).where(
                Payout.method == PayoutMethod.STRIPE.value, Payout.reference.like("tr_test_%")
            )
        )
    ]


record_test_transfers_with(_test_transfers_on_payouts)


def minimum_amount() -> int:
    return int(current_app.config.get("PAYOUT_MINIMUM_AMOUNT", DEFAULT_MINIMUM))


def available_through(seller_id: int) -> tuple[int, int]:
    """(available balance, id of the last ledger entry counted) of a household."""
    total, last = read_rows(
        select(
            func.coalesce(func.sum(LedgerEntry.amount), 0),
            func.coalesce(func.max(LedgerEntry.id), 0),
        ).where(
            LedgerEntry.seller_id == seller_id,
            LedgerEntry.account == Account.SELLER_AVAILABLE.value,
        )
    ).one()
    return int(total), int(last)


def _lock_seller(seller_id: int) -> None:
    # PostgreSQL: a second run waits here until the first has committed its payout.
    db.session.execute(select(Seller.id).where(Seller.id == seller_id).with_for_update())


def create_payout(
    seller_id: int, period: dt.date, *, run_id: int | None = None, amount: int | None = None
) -> Payout:
    """One payout of the household's available balance (or ``amount`` of it); flushes.

    Call inside a unit of work. Refused (PayoutError) when there is already one this
    run day, no verified account, or not enough available.
    """
    _lock_seller(seller_id)
    if db.session.scalar(
        select(Payout.id).where(Payout.seller_id == seller_id, Payout.period == period)
    ):
        raise PayoutError(SAME_DAY)
    account = account_of(seller_id)
    if account is None:
        raise PayoutError(_l("Belum ada rekening pencairan."))
    if (held := hold_refusal(account)) is not None:
        raise PayoutError(held)  # where the money goes changed: the household was mailed
    if not is_payable(account):
        if account.method == PayoutMethod.STRIPE.value and account.is_verified:
            raise PayoutError(_l("Akun Stripe belum bisa menerima pencairan."))
        raise PayoutError(_l("Rekening belum diperiksa admin."))
    available, through = available_through(seller_id)
    amount = available if amount is None else amount
    if amount > available:
        raise PayoutError(
            _l("Jumlah melebihi saldo siap dicairkan (%(available)s).", available=available)
        )
    if available <= 0:
        raise PayoutError(_l("Saldo kosong atau negatif: dipotong dari pendapatan berikutnya."))
    if amount < minimum_amount():
        raise PayoutError(_l("Saldo di bawah minimum pencairan."))
    payout = Payout(
        seller_id=seller_id,
        run_id=run_id,
        period=period,
        idempotency_key=f"payout-{period.isoformat()}-s{seller_id}-e{through}",
        balance_through_entry_id=through,
        amount=amount,
        method=account.method,
        account_version=account.version,
        bank_code=account.bank_code,
        account_number=account.account_number,
        holder_name=account.holder_name,
        wallet_provider=account.wallet_provider,
        wallet_number=account.wallet_number,
        stripe_account_id=account.stripe_account_id,
    )
    db.session.add(payout)
    db.session.flush()
    write_seller_event(
        f"payout-{payout.id}-created",
        seller_id,
        [(Account.SELLER_AVAILABLE, -amount), (Account.PAYOUTS_IN_TRANSIT, amount)],
    )
    return payout


def _close_payout(payout_id: int, status: PayoutStatus, to: Account, **values) -> Payout | None:
    """An open payout is paid or failed, once: its money leaves "in transit" for ``to``."""
    payout = db.session.get(Payout, payout_id)
    moved = update_if(
        Payout,
        payout_id,
        Payout.status.in_(OPEN),
        status=status.value,
        settled_at=now_utc(),
        **values,
    )
    if payout is None or not moved:
        return None
    write_seller_event(
        f"payout-{payout_id}-{status.value}",
        payout.seller_id,
        [(Account.PAYOUTS_IN_TRANSIT, -payout.amount), (to, payout.amount)],
    )
    db.session.refresh(payout)
    tell_household_of_payout(payout)
    return payout


def settle_payout(payout_id: int, reference: str) -> bool:
    """The bank or Stripe confirmed it: in transit becomes paid out. False if not open."""
    closed = _close_payout(
        payout_id, PayoutStatus.PAID, Account.SELLER_PAID_OUT, reference=reference
    )
    return closed is not None


def fail_payout(payout_id: int, reason: str) -> bool:
    """The bank or Stripe refused it: the money goes back to available. False if not open."""
    payout = _close_payout(
        payout_id, PayoutStatus.FAILED, Account.SELLER_AVAILABLE, failure_reason=reason[:300]
    )
    if payout is None:
        return False
    tell_admins_payout_failed(payout, reason)
    return True


# --- the run ------------------------------------------------------------------------------


@dataclass
class RunResult:
    run_id: int
    created: list[int] = field(default_factory=list)
    #: (shop name, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    transferred: list[int] = field(default_factory=list)
    #: (payout number, reason)
    failed: list[tuple[str, str]] = field(default_factory=list)
    reversed: list[tuple[str, int]] = field(default_factory=list)


def _sellers_with_money() -> list[tuple[int, str]]:
    return list(
        db.session.execute(
            select(Seller.id, Seller.shop_name)
            .where(
                Seller.id.in_(
                    select(LedgerEntry.seller_id).where(
                        LedgerEntry.account == Account.SELLER_AVAILABLE.value
                    )
                )
            )
            .order_by(Seller.id)
        )
    )


def run_payouts(*, actor_id: int | None = None, connect=None, today: dt.date | None = None):
    """Create this run day's payouts, then send the Stripe ones. Safe to run twice."""

    period = today or today_local()
    with unit_of_work():
        run = PayoutRun(period=period, started_by_id=actor_id)
        db.session.add(run)
        db.session.commit()
    result = RunResult(run_id=run.id)
    for seller_id, shop_name in _sellers_with_money():
        try:
            with unit_of_work():
                payout = create_payout(seller_id, period, run_id=run.id)
                db.session.commit()
            result.created.append(payout.id)
        except PayoutError as error:
            db.session.rollback()
            result.skipped.append((shop_name, str(error.message)))
        except IntegrityError:
            # Another run made this household's payout between our read and our write.
            db.session.rollback()
            result.skipped.append((shop_name, str(SAME_DAY)))
    connect = connect or get_connect()
    reverse_negative_balances(connect, result)
    send_stripe_payouts(connect, result)
    with unit_of_work():
        db.session.execute(
            update(PayoutRun)
            .where(PayoutRun.id == run.id)
            .values(
                created_count=len(result.created),
                notes="\n".join(f"{shop}: {reason}" for shop, reason in result.skipped)
                + "".join(f"\n{number}: {reason}" for number, reason in result.failed),
            )
        )
        db.session.commit()
    return result


def _transfer_group(payout: Payout) -> tuple[str, str | None]:
    """``order-N`` and the order's Stripe payment when the payout's money comes from one
    order (its charge becomes the transfer's source); the payout's own group otherwise."""

    previous = (
        db.session.scalar(
            select(func.max(Payout.balance_through_entry_id)).where(
                Payout.seller_id == payout.seller_id,
                Payout.id < payout.id,
                Payout.status != PayoutStatus.FAILED.value,
            )
        )
        or 0
    )
    order_ids = set(
        db.session.scalars(
            select(OrderPart.order_id)
            .join(LedgerEntry, LedgerEntry.order_part_id == OrderPart.id)
            .where(
                LedgerEntry.seller_id == payout.seller_id,
                LedgerEntry.account == Account.SELLER_AVAILABLE.value,
                LedgerEntry.id > previous,
                LedgerEntry.id <= payout.balance_through_entry_id,
            )
        )
    )
    if len(order_ids) != 1:
        return f"payout-{payout.number}", None
    order_id = order_ids.pop()

    reference = db.session.scalar(
        select(Payment.intent_id).where(
            Payment.order_id == order_id,
            Payment.status == PaymentStatus.SUCCEEDED.value,
            Payment.gateway == "stripe",
        )
    )
    # The gateway turns the payment's id into its charge (ch_...) when it is asked.
    return f"order-{order_id}", reference


def send_stripe_payouts(connect, result: RunResult | None = None) -> None:
    """Transfer every open Stripe payout (again, with the same key, after a crash)."""
    ids = list(
        db.session.scalars(
            select(Payout.id)
            .where(
                Payout.method == PayoutMethod.STRIPE.value,
                Payout.status == PayoutStatus.CREATED.value,
            )
            .order_by(Payout.id)
        )
    )
    for payout_id in ids:
        payout = db.session.get(Payout, payout_id)
        group, payment_reference = _transfer_group(payout)
        db.session.rollback()  # no transaction stays open across the gateway call
        payout = db.session.get(Payout, payout_id)
        try:
            source = connect.charge_for(payment_reference) if payment_reference else None
            transfer = connect.create_transfer(
                amount=payout.amount,
                destination=payout.stripe_account_id,
                idempotency_key=payout.idempotency_key,
                transfer_group=group,
                source_transaction=source,
                metadata={"payout": payout.number, "seller_id": str(payout.seller_id)},
            )
        except GatewayError as error:
            log.warning("transfer for %s failed: %s", payout.number, error)
            with unit_of_work():
                fail_payout(payout_id, f"Stripe: {error}")
                db.session.commit()
            if result is not None:
                result.failed.append((payout.number, str(error)))
            continue
        with unit_of_work():
            settle_payout(payout_id, transfer.id)
            db.session.commit()
        if result is not None:
            result.transferred.append(payout_id)


def reverse_negative_balances(connect, result: RunResult | None = None) -> None:
    """A refund after a Stripe payout: take the money back from the connected account's
    latest transfers (a transfer reversal) as far as they reach; what they cannot cover
    stays negative and is netted off the next payouts."""
    negatives = db.session.execute(
        select(LedgerEntry.seller_id, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.account == Account.SELLER_AVAILABLE.value)
        .group_by(LedgerEntry.seller_id)
        .having(func.sum(LedgerEntry.amount) < 0)
    ).all()
    for seller_id, balance in negatives:
        owed = -int(balance)
        paid = db.session.scalars(
            select(Payout)
            .where(
                Payout.seller_id == seller_id,
                Payout.method == PayoutMethod.STRIPE.value,
                Payout.status == PayoutStatus.PAID.value,
                Payout.reversed_amount < Payout.amount,
            )
            .order_by(Payout.id.desc())
        ).all()
        for payout in paid:
            if owed <= 0:
                break
            take = min(owed, payout.amount - payout.reversed_amount)
            payout_id, transfer_id, already = payout.id, payout.reference, payout.reversed_amount
            # One key per payout and amount already reversed: a retry after a crash replays
            # the same reversal, never a second one (other params under it are refused).
            key = f"reversal-{payout_id}-{already}"
            db.session.rollback()
            try:
                connect.reverse_transfer(transfer_id, amount=take, idempotency_key=key)
            except GatewayError as error:
                log.warning("reversal of %s failed: %s", transfer_id, error)
                if result is not None:
                    result.failed.append((f"PO-{payout_id:06d}", f"reversal: {error}"))
                break
            with unit_of_work():
                if update_if(
                    Payout,
                    payout_id,
                    Payout.reversed_amount == already,
                    reversed_amount=already + take,
                ):
                    write_seller_event(
                        key,
                        seller_id,
                        [(Account.SELLER_PAID_OUT, -take), (Account.SELLER_AVAILABLE, take)],
                    )
                db.session.commit()
            owed -= take
            if result is not None:
                result.reversed.append((f"PO-{payout_id:06d}", take))


#: payouts on one page of the admin's payouts
PAYOUTS_PER_PAGE = 50


class PayoutRow(NamedTuple):
    """A payout as the admin's list shows it: the columns it reads and its number, one row
    each (a tuple: the page's rows unpack it)."""

    id: int
    #: ``payout_number`` of its id
    number: str
    shop_name: str
    amount: int
    method: str
    status: str
    reference: str | None
    failure_reason: str


#: the payouts, newest first, with their household's name (rows): built once
_PAYOUT_ROWS = (
    select(
        Payout.id,
        Seller.shop_name,
        Payout.amount,
        Payout.method,
        Payout.status,
        Payout.reference,
        Payout.failure_reason,
    )
    .join(Seller, Seller.id == Payout.seller_id)
    .order_by(Payout.id.desc())
)


def list_payouts(page: int = 1) -> Page[PayoutRow]:
    """One page of the payouts, newest first, with their household's name (rows)."""
    return paginate(_PAYOUT_ROWS, page, PAYOUTS_PER_PAGE, rows=True, each=_payout_row)


def _payout_row(row) -> PayoutRow:
    return PayoutRow(row[0], payout_number(row[0]), *row[1:])


@dataclass(frozen=True, slots=True)
class BatchRow:
    """A bank batch as the admin's list shows it."""

    id: int
    created_at: dt.datetime

    @property
    def reference(self) -> str:
        return batch_reference(self.id)


#: the newest bank batches (rows), as many as ``limit``: built once
_BATCH_ROWS = (
    select(DisbursementBatch.id, DisbursementBatch.created_at)
    .order_by(DisbursementBatch.id.desc())
    .limit(bindparam("limit"))
)


def list_batches(limit: int = 50) -> list[BatchRow]:
    """The newest bank batches (rows)."""
    return [BatchRow(*row) for row in read_rows(_BATCH_ROWS, {"limit": limit})]


#: the newest payout runs (rows), as many as ``limit``: built once
_RUN_ROWS = (
    select(PayoutRun.started_at, PayoutRun.created_count, PayoutRun.notes)
    .order_by(PayoutRun.id.desc())
    .limit(bindparam("limit"))
)


def list_runs(limit: int = 20) -> list:
    """The newest payout runs: when, how many payouts they made, their notes (rows)."""
    return list(read_rows(_RUN_ROWS, {"limit": limit}))
