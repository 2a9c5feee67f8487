"""Midtrans Payouts (Iris) behind a small interface: money out to a bank account or GoPay/OVO.

Iris has no Python client of its own (``midtransclient`` covers payments only), so this
module speaks its documented JSON API with ``requests``: HTTP Basic with the creator's API
key (create, validate an account, read a payout) or the approver's (approve); ``amount``
as ``"150000.00"``; ``X-Idempotency-Key`` on creation, so a retry never pays twice. Its
notifications carry ``Iris-Signature``: SHA-512 (hex) of the raw body followed by the
merchant key. It knows no payout, ledger or household: the money layer maps those.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

import requests

from marketplace.payments.gateway import BadSignature, GatewayError, gateway_amount

TIMEOUT = 10
#: Bank Indonesia's codes (money/banks.py) → Iris' beneficiary_bank, for the banks Iris
#: reaches by these names; a bank not named here is paid by the CSV batch instead
IRIS_BANKS = {
    "014": "bca",
    "009": "bni",
    "002": "bri",
    "008": "mandiri",
    "013": "permata",
    "022": "cimb",
    "011": "danamon",
    "200": "btn",
}
#: e-wallets Iris pays: its beneficiary_bank, and what goes before the phone number
IRIS_WALLETS = {"gopay": ("gopay", ""), "ovo": ("cimb_va", "8066")}
#: Iris' payout statuses: still on its way, paid, or not paid
OPEN_STATUSES = ("queued", "approved", "processed")
PAID_STATUSES = ("completed",)
FAILED_STATUSES = ("failed", "rejected")


@dataclass(frozen=True)
class Beneficiary:
    name: str
    account: str
    bank: str


@dataclass(frozen=True)
class IrisPayout:
    reference_no: str
    status: str
    amount: int
    error: str = ""


def beneficiary_for(
    *, bank_code: str, account_number: str, holder_name: str, wallet: str, wallet_number: str
) -> Beneficiary | None:
    """Where Iris sends a household's money, or None when Iris cannot reach that account."""
    if wallet:
        if wallet not in IRIS_WALLETS or not wallet_number:
            return None
        bank, prefix = IRIS_WALLETS[wallet]
        return Beneficiary(holder_name, prefix + wallet_number.lstrip("+"), bank)
    if bank_code not in IRIS_BANKS or not account_number:
        return None
    return Beneficiary(holder_name, account_number, IRIS_BANKS[bank_code])


class IrisGateway:
    name = "iris"

    def __init__(
        self,
        *,
        creator_key: str,
        approver_key: str = "",
        merchant_key: str = "",
        api_base: str = "https://app.sandbox.midtrans.com/iris",
    ):
        self.creator_key = creator_key
        self.approver_key = approver_key
        self.merchant_key = merchant_key
        self.api_base = api_base.rstrip("/")
        self.session = requests.Session()

    def _call(self, method: str, path: str, key: str, **kwargs) -> dict:
        try:
            response = self.session.request(
                method,
                f"{self.api_base}/api/v1{path}",
                auth=(key, ""),
                timeout=TIMEOUT,
                headers={"Accept": "application/json", **kwargs.pop("headers", {})},
                **kwargs,
            )
        except requests.RequestException as error:
            raise GatewayError(f"Iris could not be reached: {error}") from error
        try:
            body = response.json()
        except ValueError:
            body = {"error_message": response.text[:200]}
        if response.status_code >= 400:
            raise GatewayError(f"Iris {response.status_code}: {body}")
        return body

    def account_name(self, beneficiary: Beneficiary) -> str:
        """The account's holder as the bank has it (Iris' account validation)."""
        answer = self._call(
            "GET",
            "/account_validation",
            self.creator_key,
            params={"bank": beneficiary.bank, "account": beneficiary.account},
        )
        return str(answer.get("account_name", ""))

    def create_payout(
        self, beneficiary: Beneficiary, amount: int, *, notes: str, idempotency_key: str
    ) -> str:
        """One payout, its reference_no; the same key again answers the same payout."""
        answer = self._call(
            "POST",
            "/payouts",
            self.creator_key,
            headers={"X-Idempotency-Key": idempotency_key},
            json={
                "payouts": [
                    {
                        "beneficiary_name": beneficiary.name,
                        "beneficiary_account": beneficiary.account,
                        "beneficiary_bank": beneficiary.bank,
                        "amount": f"{amount}.00",
                        "notes": notes[:100],
                    }
                ]
            },
        )
        try:
            return str(answer["payouts"][0]["reference_no"])
        except (KeyError, IndexError, TypeError) as error:
            raise GatewayError(f"Iris answered without a reference_no: {answer}") from error

    def approve(self, reference_nos: list[str]) -> bool:
        """Approve with the approver's key; False when none is set (the dashboard approves)."""
        if not self.approver_key or not reference_nos:
            return False
        self._call(
            "POST", "/payouts/approve", self.approver_key, json={"reference_nos": reference_nos}
        )
        return True

    def retrieve(self, reference_no: str) -> IrisPayout:
        answer = self._call("GET", f"/payouts/{reference_no}", self.creator_key)
        return IrisPayout(
            reference_no=str(answer.get("reference_no", reference_no)),
            status=str(answer.get("status", "")),
            amount=gateway_amount(answer.get("amount", 0)),
            error=str(answer.get("error_message") or answer.get("error_code") or ""),
        )

    def parse_notification(self, payload: bytes, signature: str) -> IrisPayout:
        """A payout notification, verified by its ``Iris-Signature``."""
        expected = hashlib.sha512(payload + self.merchant_key.encode()).hexdigest()
        if not self.merchant_key or not hmac.compare_digest(expected, signature or ""):
            raise BadSignature("Iris-Signature does not match")
        try:
            body = json.loads(payload)
            return IrisPayout(
                reference_no=str(body["reference_no"]),
                status=str(body["status"]),
                amount=gateway_amount(body.get("amount", 0)),
                error=str(body.get("error_message") or body.get("error_code") or ""),
            )
        except (ValueError, KeyError, TypeError, RecursionError, GatewayError) as error:
            raise BadSignature(f"not a payout notification: {error}") from error
