"""Midtrans Core API behind the gateway interface: QRIS, bank virtual accounts, e-wallets.

The only module that imports ``midtransclient`` (Midtrans' official Python client). The
buyer pays on our own page: the charge answers with what to show (the QRIS string, a
virtual account number, Mandiri's bill key and biller code, an e-wallet deeplink), kept
with the payment. Midtrans counts IDR in whole rupiah, as we do.

Our payment attempt's key (``order-12-attempt-1``) is Midtrans' ``order_id``; its
``transaction_id`` is the intent id. Notifications are verified as Midtrans documents
(``signature_key`` = SHA-512 of order_id + status_code + gross_amount + server key) and
never trusted further: the caller asks for the transaction's status before acting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from dataclasses import dataclass

import midtransclient
import requests
from midtransclient.error_midtrans import JSONDecodeError, MidtransAPIError

from marketplace.payments.gateway import (
    MAX_ORDER_ID,
    BadEvent,
    BadSignature,
    GatewayCharge,
    GatewayError,
    GatewayEvent,
    GatewayRefund,
    Intent,
    Line,
    Period,
    gateway_amount,
)

#: Midtrans' clock: its times carry no zone and are Jakarta's (WIB)
WIB = dt.timezone(dt.timedelta(hours=7))
#: seconds a call to Midtrans may take (the client itself sets none)
TIMEOUT = 10


@dataclass(frozen=True)
class Method:
    """One way to pay through Midtrans: the key the buyer picks and what the charge sends."""

    key: str
    label: str
    payment_type: str
    bank: str = ""

    @property
    def kind(self) -> str:
        """``qris``, ``va`` or ``ewallet``: what the payment page shows."""
        if self.payment_type == "qris":
            return "qris"
        if self.payment_type in ("bank_transfer", "echannel"):
            return "va"
        return "ewallet"


METHODS: dict[str, Method] = {
    method.key: method
    for method in (
        Method("qris", "QRIS", "qris"),
        Method("bca", "BCA Virtual Account", "bank_transfer", "bca"),
        Method("bni", "BNI Virtual Account", "bank_transfer", "bni"),
        Method("bri", "BRI Virtual Account", "bank_transfer", "bri"),
        Method("mandiri", "Mandiri Bill Payment", "echannel"),
        Method("gopay", "GoPay", "gopay"),
        Method("shopeepay", "ShopeePay", "shopeepay"),
    )
}
#: payment types Midtrans can refund (its Refund API: card, GoPay, ShopeePay, DANA, OVO,
#: QRIS, Kredivo, Akulaku); a virtual account is given back by a bank transfer instead
REFUNDABLE_TYPES = frozenset({"qris", "gopay", "shopeepay"})
#: what Midtrans charges per payment type: basis points of the amount, or whole rupiah
DEFAULT_FEES: dict[str, dict[str, int]] = {
    "qris": {"bp": 70},
    "gopay": {"bp": 200},
    "shopeepay": {"bp": 200},
    "bank_transfer": {"amount": 4000},
    "echannel": {"amount": 4000},
}
_STATUS = {
    "settlement": "succeeded",
    "capture": "succeeded",
    "refund": "succeeded",
    "partial_refund": "succeeded",
    "chargeback": "succeeded",
    "partial_chargeback": "succeeded",
    "pending": "open",
    "authorize": "open",
    "expire": "canceled",
    "cancel": "canceled",
    "deny": "failed",
    "failure": "failed",
}
REFUND_STATUSES = ("refund", "partial_refund")
_ATTEMPT = re.compile(r"order-([0-9]{1,10})-attempt-[0-9]{1,6}")
_NOTIFICATION_FIELDS = (
    "order_id",
    "status_code",
    "gross_amount",
    "signature_key",
    "transaction_id",
    "transaction_status",
)


def refundable(method_key: str) -> bool:
    """Whether Midtrans can give a payment of this method back (else: a bank transfer)."""
    method = METHODS.get(method_key)
    return method is not None and method.payment_type in REFUNDABLE_TYPES


def signature(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    """Midtrans' ``signature_key``: SHA-512 (hex) of the four strings appended."""
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{server_key}".encode()).hexdigest()


def order_id_of(midtrans_order_id: str) -> int | None:
    """Our order id in a Midtrans ``order_id`` (an attempt key); None when it is not ours."""
    match = _ATTEMPT.fullmatch(midtrans_order_id or "")
    if not match or not 1 <= int(match.group(1)) <= MAX_ORDER_ID:
        return None
    return int(match.group(1))


def _time(text: object) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S").replace(tzinfo=WIB)
    except ValueError:
        return None


class _Session(requests.Session):
    """What the client sends its requests through, with the timeout it does not set."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(*args, **kwargs)


class MidtransGateway:
    """Payments shown on our own page; ``create_intent`` needs the ``method`` picked."""

    name = "midtrans"
    hosted = False

    def __init__(
        self,
        *,
        server_key: str,
        api_base: str | None = None,
        production: bool = False,
        methods: tuple[str, ...] = tuple(METHODS),
        fees: dict[str, dict[str, int]] | None = None,
    ):
        self.server_key = server_key
        self.methods = tuple(key for key in methods if key in METHODS)
        self.fees = {**DEFAULT_FEES, **(fees or {})}
        self.core = midtransclient.CoreApi(is_production=production, server_key=server_key)
        if api_base:
            # The client reads its host from these class attributes of its ApiConfig
            # (midtransclient/config.py); an instance attribute overrides them.
            self.core.api_config.CORE_SANDBOX_BASE_URL = api_base.rstrip("/")
            self.core.api_config.CORE_PRODUCTION_BASE_URL = api_base.rstrip("/")
        # HttpClient calls ``self.http_client.request``: a session with a timeout.
        self.core.http_client.http_client = _Session()

    # --- calls ---------------------------------------------------------------------------

    def _call(self, call, *args):
        try:
            return call(*args)
        except MidtransAPIError as error:
            raise GatewayError(
                f"Midtrans {error.http_status_code}: {error.api_response_dict}"
            ) from error
        except (JSONDecodeError, requests.RequestException) as error:
            raise GatewayError(f"Midtrans could not be reached: {error}") from error

    def _status(self, transaction_id: str) -> dict:
        return self._call(self.core.transactions.status, transaction_id)

    # --- the gateway interface -------------------------------------------------------------

    def create_intent(
        self,
        *,
        amount: int,
        order_id: int,
        email: str,
        idempotency_key: str,
        lines: tuple[Line, ...] = (),
        success_url: str = "",
        cancel_url: str = "",
        method: str = "",
        expires_at: dt.datetime | None = None,
    ) -> Intent:
        chosen = METHODS.get(method)
        if chosen is None or method not in self.methods:
            raise GatewayError(f"Midtrans method {method!r} is not configured")
        body = self.charge_body(chosen, amount, idempotency_key, email, lines, expires_at)
        if chosen.payment_type in ("gopay", "shopeepay") and cancel_url:
            # Where the e-wallet's app sends the buyer back: the order's page, which says
            # whether the payment arrived (``success_url`` is Stripe Checkout's return).
            body[chosen.payment_type] = {"callback_url": cancel_url}
        try:
            answer = self._call(self.core.charge, body)
        except GatewayError as refused:
            # Midtrans refuses a second charge of one order_id: a retry of ours whose
            # answer was lost. The transaction it made is the one to show.
            try:
                answer = self._status(idempotency_key)
            except GatewayError:
                raise refused from None
        return self._intent(answer, method=chosen)

    @staticmethod
    def charge_body(
        method: Method,
        amount: int,
        key: str,
        email: str,
        lines: tuple[Line, ...],
        expires_at: dt.datetime | None,
    ) -> dict:
        body: dict = {
            "payment_type": method.payment_type,
            "transaction_details": {"order_id": key, "gross_amount": amount},
            "customer_details": {"email": email},
        }
        if lines:
            body["item_details"] = [
                {"id": str(n), "price": line.unit_amount, "quantity": line.quantity,
                 "name": line.name[:50]}
                for n, line in enumerate(lines, 1)
            ]  # fmt: skip
        if expires_at is not None:
            now = dt.datetime.now(WIB).replace(microsecond=0)
            minutes = max(1, int((expires_at - now).total_seconds() // 60))
            body["custom_expiry"] = {
                "order_time": now.strftime("%Y-%m-%d %H:%M:%S +0700"),
                "expiry_duration": minutes,
                "unit": "minute",
            }
        if method.payment_type == "bank_transfer":
            body["bank_transfer"] = {"bank": method.bank}
        elif method.payment_type == "echannel":
            body["echannel"] = {"bill_info1": "Pesanan", "bill_info2": key[:30]}
        elif method.payment_type == "qris":
            body["qris"] = {"acquirer": "gopay"}
        return body

    def _intent(self, answer: dict, method: Method | None = None) -> Intent:
        """A charge's or a status's answer in the interface's words."""
        try:
            transaction_id = str(answer["transaction_id"])
            status = _STATUS.get(str(answer["transaction_status"]), "failed")
            amount = gateway_amount(answer["gross_amount"])
        except KeyError as error:
            raise GatewayError(f"Midtrans answered without {error}") from error
        if answer.get("transaction_status") == "capture" and answer.get("fraud_status") not in (
            None,
            "accept",
        ):
            status = "open"
        payment_type = str(answer.get("payment_type", method.payment_type if method else ""))
        return Intent(
            id=transaction_id,
            status=status,
            amount=amount,
            order_id=order_id_of(str(answer.get("order_id", ""))),
            currency=str(answer.get("currency", "IDR")).lower(),
            instructions=self._instructions(answer, method) if method else {},
            fee=self.fee(payment_type, amount) if status == "succeeded" else 0,
        )

    @staticmethod
    def _instructions(answer: dict, method: Method) -> dict:
        """What the payment page shows: a QR, a VA number, a bill key, a deeplink."""
        actions = {
            str(action.get("name")): str(action.get("url"))
            for action in answer.get("actions") or []
            if isinstance(action, dict)
        }
        shown: dict = {"method": method.key, "kind": method.kind, "label": method.label}
        if answer.get("qr_string"):
            shown["qr_string"] = str(answer["qr_string"])
        if "generate-qr-code" in actions:
            shown["qr_url"] = actions["generate-qr-code"]
        if "deeplink-redirect" in actions:
            shown["deeplink"] = actions["deeplink-redirect"]
        for va in answer.get("va_numbers") or []:
            shown["bank"], shown["va_number"] = str(va.get("bank")), str(va.get("va_number"))
        if answer.get("permata_va_number"):
            shown["bank"], shown["va_number"] = "permata", str(answer["permata_va_number"])
        if answer.get("bill_key"):
            shown["bill_key"] = str(answer["bill_key"])
            shown["biller_code"] = str(answer.get("biller_code", ""))
        if expiry := _time(answer.get("expiry_time")):
            shown["expires_at"] = expiry.isoformat()
        return shown

    def fee(self, payment_type: str, amount: int) -> int:
        """What Midtrans keeps of a paid ``amount`` (its price list, ``MIDTRANS_FEES``)."""
        rule = self.fees.get(payment_type, {})
        return int(rule.get("amount", 0)) + (amount * int(rule.get("bp", 0)) + 5000) // 10000

    def retrieve_intent(self, intent_id: str) -> Intent:
        return self._intent(self._status(intent_id))

    def expire_intent(self, intent_id: str, *, idempotency_key: str) -> Intent | None:
        """Midtrans' expire: a pending transaction can no longer be paid."""
        answer = self._call(self.core.transactions.expire, intent_id)
        if str(answer.get("transaction_status")) != "expire":
            raise GatewayError(f"Midtrans did not expire {intent_id}: {answer}")
        return self._intent(answer)

    def refund(self, intent_id: str, *, amount: int, idempotency_key: str) -> str:
        """Midtrans' Refund API, with our key as ``refund_key`` (a retry refunds once)."""
        answer = self._call(
            self.core.transactions.refund,
            intent_id,
            {"refund_key": idempotency_key, "amount": amount, "reason": idempotency_key},
        )
        return str(answer.get("refund_chargeback_id") or answer.get("refund_key"))

    def retrieve_refund(self, refund_id: str) -> GatewayRefund:
        raise GatewayError("Midtrans lists refunds only with their transaction")

    def list_refunds(
        self, period: Period | None = None, *, charge: str = ""
    ) -> list[GatewayRefund]:
        """The refunds of one transaction (``charge``), as its status lists them."""
        if not charge:
            return []  # Midtrans has no list of refunds: reconciliation asks per payment
        answer = self._status(charge)
        return [
            GatewayRefund(
                id=str(refund.get("refund_chargeback_id") or refund.get("refund_key")),
                status="succeeded",
                idempotency_key=str(refund.get("refund_key") or ""),
                amount=gateway_amount(refund.get("refund_amount", 0)),
                payment_ids=(str(answer["transaction_id"]),),
                created=_time(refund.get("created_at")),
                made_at="Midtrans",
            )
            for refund in answer.get("refunds") or []
            if isinstance(refund, dict)
        ]

    def list_charges(self, period: Period) -> list[GatewayCharge]:
        return []  # no list API: reconciliation asks for each recorded payment's status

    def status_of(self, intent_id: str) -> tuple[Intent, list[GatewayRefund]]:
        """A transaction and its refunds as Midtrans has them (reconciliation)."""
        return self.retrieve_intent(intent_id), self.list_refunds(charge=intent_id)

    def parse_event(self, payload: bytes, signature_header: str = "") -> GatewayEvent:
        """An HTTP notification, verified as documented; its id: transaction and status.

        :class:`BadSignature` when ``signature_key`` is not Midtrans'; :class:`BadEvent`
        when a field the signature covers is missing. ``order_id`` None: not our order.
        """
        try:
            body = json.loads(payload)
        except (ValueError, RecursionError) as error:  # not JSON, or nested past reading
            raise BadSignature(f"the notification is not JSON: {error}") from error
        if not isinstance(body, dict):
            raise BadSignature("the notification is not a JSON object")
        fields = {name: body.get(name) for name in _NOTIFICATION_FIELDS}
        if not all(isinstance(value, str) and 0 < len(value) <= 255 for value in fields.values()):
            raise BadSignature("a signed field is missing")
        expected = signature(
            fields["order_id"], fields["status_code"], fields["gross_amount"], self.server_key
        )
        if not self.server_key or not hmac.compare_digest(expected, fields["signature_key"]):
            raise BadSignature("signature_key does not match")
        status = fields["transaction_status"]
        if status not in _STATUS:
            raise BadEvent(f"transaction_status {status!r} is not one Midtrans sends")
        return GatewayEvent(
            id=f"{fields['transaction_id']}:{status}",
            type=f"midtrans.{status}",
            object_id=fields["transaction_id"],
            order_id=order_id_of(fields["order_id"]),
            data=body,
        )

    def list_events(self, since: dt.datetime, types: tuple[str, ...]) -> list[GatewayEvent]:
        return []  # Midtrans keeps no event list; a status is asked instead
