"""Where money can go in Indonesia: banks with their codes, and e-wallets.

A bank's code is its *sandi bank* (Bank Indonesia's clearing code), what a bank's
bulk-transfer upload asks for. Account numbers are digits only; the lengths are each
bank's usual ones, to catch a digit too many or too few before the bank does.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bank:
    code: str
    name: str
    #: shortest and longest account number, in digits
    min_digits: int
    max_digits: int


BANKS: tuple[Bank, ...] = (
    Bank("002", "BRI", 15, 15),
    Bank("009", "BNI", 10, 10),
    Bank("008", "Bank Mandiri", 13, 13),
    Bank("014", "BCA", 10, 10),
    Bank("451", "BSI (Bank Syariah Indonesia)", 10, 10),
    Bank("124", "Bank Kaltimtara", 10, 13),
    Bank("200", "BTN", 16, 16),
    Bank("022", "CIMB Niaga", 12, 14),
    Bank("011", "Bank Danamon", 10, 12),
    Bank("013", "Bank Permata", 10, 12),
    Bank("016", "Maybank Indonesia", 10, 13),
    Bank("028", "OCBC NISP", 12, 12),
    Bank("426", "Bank Mega", 15, 15),
    Bank("542", "Bank Jago", 12, 12),
)

BANKS_BY_CODE = {bank.code: bank for bank in BANKS}

#: e-wallets paid to an Indonesian mobile number
WALLETS: dict[str, str] = {
    "ovo": "OVO",
    "gopay": "GoPay",
    "dana": "DANA",
    "shopeepay": "ShopeePay",
}


def mask(digits: str, keep: int = 4) -> str:
    """``1234567890`` -> ``••••••7890``: enough to recognise, not enough to use."""
    if len(digits) <= keep:
        return digits
    return "•" * (len(digits) - keep) + digits[-keep:]
