"""A small Midtrans Core API server for the tests, spoken to by the real ``midtransclient``.

It answers as Midtrans' documentation says (docs.midtrans.com: Core API charge, Get Status,
Expire, Cancel, Refund; HTTP notifications): JSON bodies, ``Authorization: Basic
base64("<server key>:")`` (401 otherwise), a ``status_code`` string in every answer
(``201`` a pending charge, ``200`` success, ``407`` an expired transaction, ``404`` one
that does not exist, ``406`` an ``order_id`` already used, ``412`` a status that cannot
change), amounts as ``"150000.00"``, times in Jakarta time (``"2026-12-06 19:00:00"``).

Charges: ``qris`` (``qr_string`` and the ``generate-qr-code`` action), ``bank_transfer``
with ``bca``/``bni``/``bri``/``permata`` (``va_numbers``), ``echannel`` (Mandiri's
``bill_key`` and ``biller_code``), ``gopay`` (QR and ``deeplink-redirect`` actions) and
``shopeepay`` (``deeplink-redirect``). ``custom_expiry`` sets ``expiry_time``. Refunds
(``refund_key`` idempotent, partial or whole) only for the types Midtrans refunds (QRIS,
GoPay, ShopeePay); a virtual account is 412.

Notifications are POSTed to ``notification_url`` with Midtrans' ``signature_key``
(SHA-512 of order_id + status_code + gross_amount + server key) when the state changes;
with no url they wait in ``pending`` for the test to pass on. Test-only controls, as the
buyer's bank or the clock would act: :meth:`pay`, :meth:`expire_now`, :meth:`notify`
(``/_test/…``, outside Midtrans' paths).

Not covered: cards and 3-D Secure, Snap, subscriptions, GoPay tokenization, chargebacks,
Iris (payouts), notification retries, the BI-SNAP API.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import itertools
import json
import secrets
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

SERVER_KEY = "SB-Mid-server-tests"
#: Midtrans Payouts (Iris): the creator's and approver's API keys, the merchant key
#: that signs its notifications
IRIS_CREATOR_KEY = "IRIS-creator-tests"
IRIS_APPROVER_KEY = "IRIS-approver-tests"
IRIS_MERCHANT_KEY = "IRIS-merchant-tests"
WIB = dt.timezone(dt.timedelta(hours=7))
REFUNDABLE = {"qris", "gopay", "shopeepay"}
BANKS = {"bca", "bni", "bri", "permata", "cimb"}
#: the ``status_code`` Midtrans sends with each transaction status
STATUS_CODES = {
    "pending": "201",
    "settlement": "200",
    "refund": "200",
    "partial_refund": "200",
    "expire": "202",
    "cancel": "200",
    "deny": "202",
}


def midtrans_time(moment: dt.datetime) -> str:
    return moment.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S")


def amount_text(rupiah: int) -> str:
    return f"{rupiah}.00"


def sign(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{server_key}".encode()).hexdigest()


@dataclass
class Transaction:
    transaction_id: str
    order_id: str
    gross_amount: int
    payment_type: str
    created: dt.datetime
    expires: dt.datetime
    status: str = "pending"
    extra: dict = field(default_factory=dict)
    refunds: list[dict] = field(default_factory=list)
    settled: dt.datetime | None = None
    #: the charge request's body, as received
    charged: dict = field(default_factory=dict)

    def view(self, status_code: str | None = None) -> dict[str, Any]:
        body = {
            "status_code": status_code or STATUS_CODES.get(self.status, "200"),
            "status_message": f"Success, transaction is {self.status}",
            "transaction_id": self.transaction_id,
            "order_id": self.order_id,
            "merchant_id": "G000000000",
            "gross_amount": amount_text(self.gross_amount),
            "currency": "IDR",
            "payment_type": self.payment_type,
            "transaction_time": midtrans_time(self.created),
            "transaction_status": self.status,
            "fraud_status": "accept",
            "expiry_time": midtrans_time(self.expires),
            **self.extra,
        }
        if self.settled:
            body["settlement_time"] = midtrans_time(self.settled)
        if self.refunds:
            body["refund_amount"] = amount_text(sum(r["amount"] for r in self.refunds))
            body["refunds"] = [
                {
                    "refund_chargeback_id": r["id"],
                    "refund_amount": amount_text(r["amount"]),
                    "created_at": midtrans_time(r["created"]),
                    "reason": r["reason"],
                    "refund_key": r["key"],
                    "refund_method": "",
                }
                for r in self.refunds
            ]
        return body


class MidtransError(Exception):
    def __init__(self, http_status: int, status_code: str, message: str):
        super().__init__(message)
        self.http_status, self.status_code, self.message = http_status, status_code, message


class MidtransServer:
    """``start()`` it, give ``url`` to the app as ``MIDTRANS_API_BASE``, ``stop()`` it."""

    def __init__(self, *, server_key: str = SERVER_KEY, notification_url: str = "", port: int = 0):
        self.server_key = server_key
        self.notification_url = notification_url
        self.port = port
        self.url = ""
        self.lock = threading.RLock()
        self.transactions: dict[str, Transaction] = {}
        #: notifications not sent anywhere (no url): (body bytes, headers)
        self.pending: list[tuple[bytes, dict[str, str]]] = []
        #: every notification made, oldest first
        self.sent: list[dict[str, Any]] = []
        self._refund_ids = itertools.count(1000)
        self._va = itertools.count(1)
        self._http = None
        #: Iris: payouts by reference_no, idempotency keys, the accounts the banks know
        self.iris_payouts: dict[str, dict[str, Any]] = {}
        self.iris_keys: dict[str, dict[str, Any]] = {}
        self.bank_accounts: dict[tuple[str, str], str] = {}
        self.iris_notification_url = ""
        self.iris_pending: list[tuple[bytes, dict[str, str]]] = []
        self.urls = Map(
            [
                Rule("/v2/charge", endpoint="charge", methods=["POST"]),
                Rule("/v2/<ref>/status", endpoint="status", methods=["GET"]),
                Rule("/v2/<ref>/expire", endpoint="expire", methods=["POST"]),
                Rule("/v2/<ref>/cancel", endpoint="cancel", methods=["POST"]),
                Rule("/v2/<ref>/refund", endpoint="refund", methods=["POST"]),
                Rule("/v2/qris/<ref>/qr-code", endpoint="qr_code", methods=["GET"]),
                Rule("/_test/<ref>/<action>", endpoint="control", methods=["POST"]),
                Rule("/iris/api/v1/account_validation", endpoint="iris_validate", methods=["GET"]),
                Rule("/iris/api/v1/payouts", endpoint="iris_create", methods=["POST"]),
                Rule("/iris/api/v1/payouts/approve", endpoint="iris_approve", methods=["POST"]),
                Rule("/iris/api/v1/payouts/<ref>", endpoint="iris_get", methods=["GET"]),
                Rule("/_test/iris/<ref>/<action>", endpoint="iris_control", methods=["POST"]),
            ]
        )

    # --- life ---------------------------------------------------------------------------------

    def start(self) -> MidtransServer:
        self._http = make_server(
            "127.0.0.1", self.port, self.wsgi, threaded=True, request_handler=_Quiet
        )
        self.port = self._http.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def reset(self) -> None:
        with self.lock:
            self.transactions.clear()
            self.pending.clear()
            self.sent.clear()
            self.iris_payouts.clear()
            self.iris_keys.clear()
            self.bank_accounts.clear()
            self.iris_pending.clear()
            self.iris_notification_url = ""

    # --- HTTP ---------------------------------------------------------------------------------

    def wsgi(self, environ, start_response):
        request = Request(environ)
        adapter = self.urls.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
            if endpoint.startswith("iris_approve"):
                self._check_key(request, IRIS_APPROVER_KEY)
            elif endpoint.startswith("iris_") and endpoint != "iris_control":
                self._check_key(request, IRIS_CREATOR_KEY)
            elif endpoint not in ("control", "iris_control"):
                self._check_key(request)
            body = getattr(self, f"_{endpoint}")(request, **args)
            response = Response(json.dumps(body), 200, content_type="application/json")
        except MidtransError as error:
            body = {"status_code": error.status_code, "status_message": error.message}
            response = Response(
                json.dumps(body), error.http_status, content_type="application/json"
            )
        except Exception as error:  # werkzeug's NotFound and the like
            status = getattr(error, "code", 500) or 500
            body = {"status_code": str(status), "status_message": str(error)}
            response = Response(json.dumps(body), status, content_type="application/json")
        return response(environ, start_response)

    def _check_key(self, request: Request, key: str | None = None) -> None:
        expected = "Basic " + base64.b64encode(f"{key or self.server_key}:".encode()).decode()
        if request.headers.get("Authorization") != expected:
            raise MidtransError(401, "401", "Unknown Merchant server_key/id")

    def _find(self, ref: str) -> Transaction:
        """By transaction_id or order_id, as Midtrans' paths take either."""
        with self.lock:
            found = self.transactions.get(ref) or next(
                (t for t in self.transactions.values() if t.order_id == ref), None
            )
        if found is None:
            raise MidtransError(404, "404", "Transaction doesn't exist.")
        return found

    def _charge(self, request: Request) -> dict[str, Any]:
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict):
            raise MidtransError(400, "400", "Request body is not JSON")
        details = body.get("transaction_details") or {}
        order_id, gross = details.get("order_id"), details.get("gross_amount")
        if not isinstance(order_id, str) or not order_id or len(order_id) > 50:
            raise MidtransError(400, "400", "transaction_details.order_id is required")
        if type(gross) is not int or gross < 1:
            raise MidtransError(400, "400", "transaction_details.gross_amount must be whole")
        items = body.get("item_details")
        if items and sum(i["price"] * i["quantity"] for i in items) != gross:
            raise MidtransError(
                400, "400", "transaction_details.gross_amount is not equal to item_details"
            )
        payment_type = body.get("payment_type")
        now = dt.datetime.now(dt.UTC)
        expiry = body.get("custom_expiry") or {}
        minutes = int(expiry.get("expiry_duration") or (15 if payment_type == "qris" else 1440))
        with self.lock:
            if any(t.order_id == order_id for t in self.transactions.values()):
                raise MidtransError(
                    406,
                    "406",
                    "The request could not be completed due to a conflict with the current "
                    "state of the target resource, please try again",
                )
            transaction = Transaction(
                transaction_id=str(uuid.uuid4()),
                order_id=order_id,
                gross_amount=gross,
                payment_type=str(payment_type),
                created=now,
                expires=now + dt.timedelta(minutes=minutes),
                charged=body,
            )
            transaction.extra = self._method_fields(transaction, body)
            self.transactions[transaction.transaction_id] = transaction
        return transaction.view()

    def _method_fields(self, transaction: Transaction, body: dict) -> dict[str, Any]:
        base = f"{self.url}/v2"
        tid = transaction.transaction_id
        if transaction.payment_type == "qris":
            return {
                "acquirer": (body.get("qris") or {}).get("acquirer", "gopay"),
                "qr_string": _qris_string(transaction),
                "actions": [
                    {
                        "name": "generate-qr-code",
                        "method": "GET",
                        "url": f"{base}/qris/{tid}/qr-code",
                    }
                ],
            }
        if transaction.payment_type == "gopay":
            return {
                "qr_string": _qris_string(transaction),
                "actions": [
                    {
                        "name": "generate-qr-code",
                        "method": "GET",
                        "url": f"{base}/qris/{tid}/qr-code",
                    },
                    {
                        "name": "deeplink-redirect",
                        "method": "GET",
                        "url": f"gojek://gopay/merchanttransfer?tref={tid}",
                    },
                    {"name": "get-status", "method": "GET", "url": f"{base}/{tid}/status"},
                    {"name": "cancel", "method": "POST", "url": f"{base}/{tid}/cancel"},
                ],
            }
        if transaction.payment_type == "shopeepay":
            return {
                "actions": [
                    {
                        "name": "deeplink-redirect",
                        "method": "GET",
                        "url": f"shopeeid://main?reference={tid}",
                    }
                ]
            }
        if transaction.payment_type == "bank_transfer":
            bank = (body.get("bank_transfer") or {}).get("bank")
            if bank not in BANKS:
                raise MidtransError(400, "400", "bank_transfer.bank is not supported")
            number = f"{next(self._va):011d}"
            return {"va_numbers": [{"bank": bank, "va_number": f"8{number}"}]}
        if transaction.payment_type == "echannel":
            if not (body.get("echannel") or {}).get("bill_info1"):
                raise MidtransError(400, "400", "echannel.bill_info1 is required")
            return {"bill_key": f"{next(self._va):012d}", "biller_code": "70012"}
        raise MidtransError(400, "400", f"payment_type {transaction.payment_type!r} not supported")

    def _status(self, request: Request, ref: str) -> dict[str, Any]:
        transaction = self._find(ref)
        return transaction.view("407" if transaction.status == "expire" else None)

    def _expire(self, request: Request, ref: str) -> dict[str, Any]:
        return self._end(ref, "expire")

    def _cancel(self, request: Request, ref: str) -> dict[str, Any]:
        return self._end(ref, "cancel")

    def _end(self, ref: str, status: str) -> dict[str, Any]:
        with self.lock:
            transaction = self._find(ref)
            if transaction.status != "pending":
                raise MidtransError(
                    412, "412", "Merchant cannot modify the status of the transaction"
                )
            transaction.status = status
        self._notify(transaction)
        return transaction.view("407" if status == "expire" else "200")

    def _refund(self, request: Request, ref: str) -> dict[str, Any]:
        body = request.get_json(force=True, silent=True) or {}
        with self.lock:
            transaction = self._find(ref)
            key = str(body.get("refund_key") or secrets.token_hex(8))
            known = next((r for r in transaction.refunds if r["key"] == key), None)
            if known is None:
                if transaction.payment_type not in REFUNDABLE or transaction.status not in (
                    "settlement",
                    "partial_refund",
                ):
                    raise MidtransError(
                        412, "412", "Merchant cannot modify the status of the transaction"
                    )
                left = transaction.gross_amount - sum(r["amount"] for r in transaction.refunds)
                amount = body.get("amount", left)
                if type(amount) is not int or not 0 < amount <= left:
                    raise MidtransError(400, "400", "Refund amount is more than is left")
                known = {
                    "id": next(self._refund_ids),
                    "amount": amount,
                    "key": key,
                    "reason": str(body.get("reason", "")),
                    "created": dt.datetime.now(dt.UTC),
                }
                transaction.refunds.append(known)
                left -= amount
                transaction.status = "refund" if left == 0 else "partial_refund"
                notify = True
            else:
                notify = False
        if notify:
            self._notify(transaction)
        return {
            **transaction.view("200"),
            "status_message": "Success, refund request is approved",
            "refund_chargeback_id": known["id"],
            "refund_amount": amount_text(known["amount"]),
            "refund_key": known["key"],
        }

    def _qr_code(self, request: Request, ref: str) -> dict[str, Any]:
        raise MidtransError(404, "404", "the test server draws no QR image; use qr_string")

    def _control(self, request: Request, ref: str, action: str) -> dict[str, Any]:
        with self.lock:
            transaction = self._find(ref)
            if action == "pay":
                if transaction.status != "pending":
                    raise MidtransError(412, "412", f"transaction is {transaction.status}")
                transaction.status = "settlement"
                transaction.settled = dt.datetime.now(dt.UTC)
            elif action == "expire":
                if transaction.status != "pending":
                    raise MidtransError(412, "412", f"transaction is {transaction.status}")
                transaction.status = "expire"
            elif action != "notify":
                raise MidtransError(404, "404", f"no test action {action}")
        return self._notify(transaction)

    # --- Iris (Midtrans Payouts) ---------------------------------------------------------------

    def _iris_validate(self, request: Request) -> dict[str, Any]:
        bank, account = request.args.get("bank", ""), request.args.get("account", "")
        name = self.bank_accounts.get((bank, account))
        if name is None:
            raise MidtransError(400, "400", "Account does not exist")
        return {"account_name": name, "account_no": account, "bank_name": bank}

    def _iris_create(self, request: Request) -> dict[str, Any]:
        key = request.headers.get("X-Idempotency-Key", "")
        body = request.get_json(force=True, silent=True) or {}
        with self.lock:
            if key and key in self.iris_keys:
                if self.iris_keys[key]["body"] != body:
                    raise MidtransError(409, "409", "Idempotency key reused with another body")
                return self.iris_keys[key]["answer"]
            made = []
            for item in body.get("payouts") or []:
                for name in (
                    "beneficiary_name",
                    "beneficiary_account",
                    "beneficiary_bank",
                    "amount",
                ):
                    if not item.get(name):
                        raise MidtransError(400, "400", f"{name} is required")
                reference = secrets.token_hex(8)
                self.iris_payouts[reference] = {
                    **item,
                    "reference_no": reference,
                    "status": "queued",
                    "created_at": dt.datetime.now(dt.UTC).isoformat(),
                }
                made.append({"status": "queued", "reference_no": reference})
            answer = {"payouts": made}
            if key:
                self.iris_keys[key] = {"body": body, "answer": answer}
        return answer

    def _iris_approve(self, request: Request) -> dict[str, Any]:
        body = request.get_json(force=True, silent=True) or {}
        with self.lock:
            for reference in body.get("reference_nos") or []:
                payout = self.iris_payouts.get(reference)
                if payout is None or payout["status"] != "queued":
                    raise MidtransError(400, "400", f"{reference} cannot be approved")
                payout["status"] = "approved"
        return {"status": "ok"}

    def _iris_get(self, request: Request, ref: str) -> dict[str, Any]:
        payout = self.iris_payouts.get(ref)
        if payout is None:
            raise MidtransError(404, "404", "Payout not found")
        return {
            "amount": payout["amount"],
            "beneficiary_name": payout["beneficiary_name"],
            "beneficiary_account": payout["beneficiary_account"],
            "bank": payout["beneficiary_bank"],
            "reference_no": ref,
            "notes": payout.get("notes", ""),
            "status": payout["status"],
            "created_at": payout["created_at"],
            "updated_at": dt.datetime.now(dt.UTC).isoformat(),
            **({"error_message": payout["error_message"]} if payout.get("error_message") else {}),
        }

    def _iris_control(self, request: Request, ref: str, action: str) -> dict[str, Any]:
        """The bank completed the transfer, or refused it (``fail``)."""
        with self.lock:
            payout = self.iris_payouts.get(ref)
            if payout is None or payout["status"] not in ("queued", "approved", "processed"):
                raise MidtransError(412, "412", f"payout {ref} cannot move")
            if action == "complete":
                payout["status"] = "completed"
            elif action == "fail":
                payout["status"] = "failed"
                payout["error_message"] = "Rekening tujuan ditutup"
            else:
                raise MidtransError(404, "404", f"no test action {action}")
        return self._iris_notify(ref)

    def iris_notification(self, ref: str) -> tuple[bytes, dict[str, str]]:
        payout = self.iris_payouts[ref]
        body = {
            "reference_no": ref,
            "amount": payout["amount"],
            "status": payout["status"],
            "updated_at": dt.datetime.now(dt.UTC).isoformat(),
            **({"error_message": payout["error_message"]} if payout.get("error_message") else {}),
        }
        payload = json.dumps(body).encode()
        signature = hashlib.sha512(payload + IRIS_MERCHANT_KEY.encode()).hexdigest()
        return payload, {"Content-Type": "application/json", "Iris-Signature": signature}

    def _iris_notify(self, ref: str) -> dict[str, Any]:
        payload, headers = self.iris_notification(ref)
        if not self.iris_notification_url:
            with self.lock:
                self.iris_pending.append((payload, headers))
            return {"delivered": False}
        request = urllib.request.Request(
            self.iris_notification_url, data=payload, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return {"delivered": True, "status": response.status}
        except urllib.error.HTTPError as error:
            return {"delivered": True, "status": error.code}

    def iris(self, ref: str, action: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/_test/iris/{ref}/{action}", data=b"", method="POST"
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def take_iris(self) -> list[tuple[bytes, dict[str, str]]]:
        with self.lock:
            taken, self.iris_pending[:] = list(self.iris_pending), []
        return taken

    # --- notifications ------------------------------------------------------------------------

    def notification(self, transaction: Transaction, status: str | None = None) -> bytes:
        """A notification body as Midtrans posts it (``status``: an older state, replayed)."""
        body = transaction.view()
        if status is not None:
            body["transaction_status"], body["status_code"] = status, STATUS_CODES[status]
        body["status_message"] = "midtrans payment notification"
        body["signature_key"] = sign(
            body["order_id"], body["status_code"], body["gross_amount"], self.server_key
        )
        return json.dumps(body).encode()

    def _notify(self, transaction: Transaction, status: str | None = None) -> dict[str, Any]:
        payload = self.notification(transaction, status)
        headers = {"Content-Type": "application/json"}
        with self.lock:
            self.sent.append(json.loads(payload))
        if not self.notification_url:
            with self.lock:
                self.pending.append((payload, headers))
            return {"delivered": False}
        request = urllib.request.Request(
            self.notification_url, data=payload, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return {"delivered": True, "status": response.status}
        except urllib.error.HTTPError as error:
            return {"delivered": True, "status": error.code}

    # --- test controls, as the buyer's bank or the clock ---------------------------------------

    def control(self, ref: str, action: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/_test/{ref}/{action}", data=b"", method="POST"
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def pay(self, ref: str) -> dict[str, Any]:
        """The buyer pays (scans the QR, transfers to the VA): settlement, notified."""
        return self.control(ref, "pay")

    def expire_now(self, ref: str) -> dict[str, Any]:
        """The transaction's time is up: expire, notified."""
        return self.control(ref, "expire")

    def notify(self, ref: str) -> dict[str, Any]:
        """Send the transaction's notification again (Midtrans retries, or a dashboard resend)."""
        return self.control(ref, "notify")

    def take(self) -> list[tuple[bytes, dict[str, str]]]:
        """The notifications waiting (no url), oldest first; they are no longer waiting."""
        with self.lock:
            taken, self.pending[:] = list(self.pending), []
        return taken

    def by_order(self, order_id: str) -> Transaction:
        return self._find(order_id)


def _qris_string(transaction: Transaction) -> str:
    """An EMV-shaped QRIS payload (tag 54: the amount); enough to draw and to read back."""
    amount = str(transaction.gross_amount)
    merchant = "PASAR OLEH-OLEH KALTARA"
    payload = (
        "000201010212"
        f"26300016ID.CO.QRIS.WWW0114{transaction.transaction_id[:14]}"
        f"5204599953033605{len(amount):02d}{amount}5802ID"
        f"59{len(merchant):02d}{merchant}6007TARAKAN6304"
    )
    return payload + f"{_crc16(payload):04X}"


def _crc16(text: str) -> int:
    crc = 0xFFFF
    for byte in text.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@contextmanager
def running_midtrans_server(**options: Any) -> Iterator[MidtransServer]:
    server = MidtransServer(**options).start()
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m tests.midtrans_server --port 8431 --notification-url http://…``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--server-key", default=SERVER_KEY)
    parser.add_argument("--notification-url", default="")
    args = parser.parse_args(argv)
    server = MidtransServer(
        server_key=args.server_key, notification_url=args.notification_url, port=args.port
    ).start()
    print(f"Midtrans test server listening on {server.url}", flush=True)
    threading.Event().wait()
