"""Stripe Connect behind an interface: Express accounts, transfers, their reversals.

Separate charges and transfers: the buyer's payment is the platform's; a household
with a connected account gets a Transfer. Without ``STRIPE_SECRET_KEY`` the local
"Mode uji" twin keeps transfers in memory, so runs and reconciliation work offline.
Amounts cross here in whole rupiah (Stripe counts IDR in hundredths).
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import stripe
from flask import Flask, current_app

from marketplace.db import now_utc
from marketplace.payments.gateway import GatewayError, Period
from marketplace.payments.stripe_gateway import CURRENCY, from_stripe_amount, to_stripe_amount


@dataclass(frozen=True)
class Transfer:
    id: str
    amount: int
    destination: str
    #: whole rupiah already taken back
    reversed_amount: int = 0
    transfer_group: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    #: when the gateway made it (None: not known)
    created: dt.datetime | None = None


class ConnectGateway(Protocol):
    name: str

    def create_account(self, *, email: str, idempotency_key: str) -> str: ...

    def onboarding_link(self, account_id: str, *, return_url: str, refresh_url: str) -> str: ...

    def payouts_enabled(self, account_id: str) -> bool | None:
        """Whether the account can be paid now, as Stripe has it; None: no such account."""
        ...

    def create_transfer(
        self,
        *,
        amount: int,
        destination: str,
        idempotency_key: str,
        transfer_group: str,
        source_transaction: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Transfer: ...

    def reverse_transfer(self, transfer_id: str, *, amount: int, idempotency_key: str) -> str: ...

    def list_transfers(self, period: Period | None = None) -> list[Transfer]:
        """The transfers made in ``period`` (all when None)."""
        ...

    def charge_for(self, payment_reference: str) -> str | None: ...


#: Where "Mode uji" transfers made by earlier processes are recorded (the payouts' rows).
_TEST_TRANSFER_RECORDS: list[Callable[[], Iterable[Transfer]]] = []


def record_test_transfers_with(source: Callable[[], Iterable[Transfer]]) -> None:
    """Let the test twin list the transfers that the money layer recorded."""
    _TEST_TRANSFER_RECORDS.append(source)


class TestConnect:
    """ "Mode uji": accounts and transfers in memory, answered from its own records."""

    name = "test"
    __test__ = False

    def __init__(self) -> None:
        self.accounts: dict[str, bool] = {}
        self.transfers: dict[str, Transfer] = {}
        self._keys: dict[str, str] = {}
        #: destinations whose transfers fail, as a closed account would
        self.failing: set[str] = set()
        self._lock = threading.Lock()

    def create_account(self, *, email: str, idempotency_key: str) -> str:
        with self._lock:
            if idempotency_key not in self._keys:
                account_id = f"acct_test_{secrets.token_hex(6)}"
                # no onboarding to finish in "Mode uji": payouts are on at once
                self.accounts[account_id] = True
                self._keys[idempotency_key] = account_id
            return self._keys[idempotency_key]

    def onboarding_link(self, account_id: str, *, return_url: str, refresh_url: str) -> str:
        return return_url

    def payouts_enabled(self, account_id: str) -> bool | None:
        return self.accounts.get(account_id)

    def create_transfer(
        self,
        *,
        amount: int,
        destination: str,
        idempotency_key: str,
        transfer_group: str,
        source_transaction: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Transfer:
        with self._lock:
            if destination in self.failing:
                raise GatewayError(f"No such destination: {destination}")
            if idempotency_key in self._keys:
                return self.transfers[self._keys[idempotency_key]]
            transfer = Transfer(
                id=f"tr_test_{secrets.token_hex(8)}",
                amount=amount,
                destination=destination,
                transfer_group=transfer_group,
                metadata=dict(metadata or {}),
                created=now_utc(),
            )
            self.transfers[transfer.id] = transfer
            self._keys[idempotency_key] = transfer.id
            return transfer

    def reverse_transfer(self, transfer_id: str, *, amount: int, idempotency_key: str) -> str:
        with self._lock:
            if idempotency_key in self._keys:
                return self._keys[idempotency_key]
            transfer = self.transfers.get(transfer_id)
            if transfer is None or transfer.reversed_amount + amount > transfer.amount:
                raise GatewayError(f"cannot reverse {amount} of {transfer_id}")
            self.transfers[transfer_id] = Transfer(
                **{**transfer.__dict__, "reversed_amount": transfer.reversed_amount + amount}
            )
            reversal_id = f"trr_test_{secrets.token_hex(8)}"
            self._keys[idempotency_key] = reversal_id
            return reversal_id

    def list_transfers(self, period: Period | None = None) -> list[Transfer]:
        """The transfers this process made, and those earlier processes recorded (a "Mode
        uji" transfer lives nowhere else: see ``record_test_transfers_with``)."""
        known = dict(self.transfers)
        for source in _TEST_TRANSFER_RECORDS:
            for transfer in source():
                known.setdefault(transfer.id, transfer)
        return [
            transfer
            for transfer in known.values()
            if period is None or transfer.created is None or transfer.created in period
        ]

    def charge_for(self, payment_reference: str) -> str | None:
        return None  # "Mode uji" payments have no charge to draw on


def _transfer(obj: Any) -> Transfer:
    data = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    return Transfer(
        id=data["id"],
        amount=from_stripe_amount(data["amount"]),
        destination=str(data.get("destination") or ""),
        reversed_amount=from_stripe_amount(data.get("amount_reversed") or 0),
        transfer_group=str(data.get("transfer_group") or ""),
        metadata=dict(data.get("metadata") or {}),
        created=dt.datetime.fromtimestamp(int(data["created"]), dt.UTC)
        if data.get("created")
        else None,
    )


class StripeConnect:
    name = "stripe"

    def __init__(self, *, secret_key: str, api_base: str | None = None):
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base, "connect": api_base} if api_base else {},
            max_network_retries=2,
        )

    def create_account(self, *, email: str, idempotency_key: str) -> str:
        try:
            account = self.client.v1.accounts.create(
                params={
                    "type": "express",
                    "country": "ID",
                    "email": email,
                    "capabilities": {"transfers": {"requested": True}},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return account.id

    def onboarding_link(self, account_id: str, *, return_url: str, refresh_url: str) -> str:
        try:
            link = self.client.v1.account_links.create(
                params={
                    "account": account_id,
                    "type": "account_onboarding",
                    "return_url": return_url,
                    "refresh_url": refresh_url,
                }
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return link.url

    def payouts_enabled(self, account_id: str) -> bool | None:
        try:
            account = self.client.v1.accounts.retrieve(account_id)
        except stripe.InvalidRequestError as error:
            if error.http_status == 404:
                return None
            raise GatewayError(str(error)) from error
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return bool(account.payouts_enabled)

    def create_transfer(
        self,
        *,
        amount: int,
        destination: str,
        idempotency_key: str,
        transfer_group: str,
        source_transaction: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Transfer:
        params: dict[str, Any] = {
            "amount": to_stripe_amount(amount),
            "currency": CURRENCY,
            "destination": destination,
            "transfer_group": transfer_group,
            "metadata": dict(metadata or {}),
        }
        if source_transaction:
            params["source_transaction"] = source_transaction
        try:
            obj = self.client.v1.transfers.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return _transfer(obj)

    def reverse_transfer(self, transfer_id: str, *, amount: int, idempotency_key: str) -> str:
        try:
            reversal = self.client.v1.transfers.reversals.create(
                transfer_id,
                params={"amount": to_stripe_amount(amount)},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return reversal.id

    def list_transfers(self, period: Period | None = None) -> list[Transfer]:
        params: dict[str, Any] = {"limit": 100}
        if period is not None:
            params["created"] = {
                "gte": int(period.since.timestamp()),
                "lt": int(period.until.timestamp()),
            }
        try:
            page = self.client.v1.transfers.list(params=params)
            return [_transfer(obj) for obj in page.auto_paging_iter()]
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error

    def charge_for(self, payment_reference: str) -> str | None:
        """The charge (ch_...) behind a payment's id: a charge, PaymentIntent or Checkout
        Session; None when there is none (yet)."""
        try:
            if payment_reference.startswith("cs_"):
                session = self.client.v1.checkout.sessions.retrieve(payment_reference)
                payment_reference = str(session.payment_intent or "")
            if payment_reference.startswith("pi_"):
                intent = self.client.v1.payment_intents.retrieve(payment_reference)
                payment_reference = str(intent.latest_charge or "")
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return payment_reference if payment_reference.startswith("ch_") else None


def init_connect(app: Flask) -> None:
    connect: Any
    if app.config.get("STRIPE_SECRET_KEY"):
        connect = StripeConnect(
            secret_key=app.config["STRIPE_SECRET_KEY"],
            api_base=app.config.get("STRIPE_API_BASE") or None,
        )
    else:
        connect = TestConnect()
    app.extensions["connect_gateway"] = connect


def get_connect() -> ConnectGateway:
    if "connect_gateway" not in current_app.extensions:
        init_connect(current_app)
    return current_app.extensions["connect_gateway"]
