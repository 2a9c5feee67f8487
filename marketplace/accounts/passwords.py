"""Password hashing (argon2id) and the checks a new password must pass."""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

#: argon2-cffi's defaults (RFC 9106 low-memory: t=3, m=64 MiB, p=4) exceed
#: OWASP's minimum for argon2id (m=19 MiB, t=2, p=1).
PRODUCTION_PARAMS = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
MIN_LENGTH = 8
MAX_LENGTH = 256


@cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher() -> PasswordHasher:
    params = current_app.config.get("PASSWORD_HASH_PARAMS", PRODUCTION_PARAMS)
    return _hasher(**params)


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_time(password: str) -> None:
    """Spend the time a real check costs, so an unknown account is not told apart."""
    hasher().hash(password)


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("marketplace.accounts").joinpath("data/common-passwords.txt")
    return frozenset(line.strip().lower() for line in text.read_text().splitlines() if line)


def password_problem(password: str, *personal: str | None) -> str | None:
    """Why this password is too weak, or None. Returns an untranslated key."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) < 4:
        return "common"
    for value in personal:
        if value and value.lower().split("@")[0] in lowered and len(value) >= 4:
            return "personal"
    return None
