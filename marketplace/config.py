"""Settings, read from the environment; the defaults are the embedded ones.

With no environment at all the app runs on SQLite in ``instance/``, keeps
photos in ``instance/media/``, counts rate limits in process memory and sends
mail to the log. Each production backend is switched on by one variable.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from marketplace.numbers import is_ascii_digits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = Path(os.environ.get("INSTANCE_PATH", PROJECT_ROOT / "instance"))


def normalise_database_url(url: str) -> str:
    """Accept ``postgres://``, ``postgresql://`` and ``postgresql+psycopg://`` alike."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class SettingsError(RuntimeError):
    """The settings cannot run this site as they are; the message says what to set."""


def _count(name: str) -> int:
    value = os.environ.get(name, "0").strip() or "0"
    if not is_ascii_digits(value):
        raise SettingsError(f"{name} must be a whole number (0, 1, 2...), not {value!r}.")
    return int(value)


def flag_value(value: object) -> bool:
    """A yes/no setting, however it came (``1``, ``true``, ``on``; JSON from the environment)."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _kept_secret(instance_path: Path, name: str, prefix: str = "") -> str:
    """A random secret made once per installation and kept in the instance folder.

    Several processes on one machine share the file; several machines must be given
    the same value in the environment.
    """
    path = instance_path / name
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(prefix + secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _secret_key(instance_path: Path) -> str:
    """Use ``SECRET_KEY`` or a random key kept in the instance folder."""
    return os.environ.get("SECRET_KEY") or _kept_secret(instance_path, "secret_key")


def _test_webhook_secret(instance_path: Path, stripe_secret_key: str) -> str:
    """What signs "Mode uji" payment events: this installation's own, never one in the code.

    Made only when test payments are on (no ``STRIPE_SECRET_KEY``), so a production
    instance folder is not written for it. ``MARKETPLACE_TEST_WEBHOOK_SECRET`` sets it.
    """
    if stripe_secret_key:
        return ""
    return _kept_secret(instance_path, "test_webhook_secret", prefix="whsec_")


def is_production(config) -> bool:
    """Production is ``MARKETPLACE_ENV=production`` (README, "Production")."""
    return str(config.get("ENV") or "").strip().lower() == "production"


def check_settings(config) -> None:
    """Refuse to run production on "Mode uji" payments unless they were chosen on purpose."""
    if (
        is_production(config)
        and not config.get("STRIPE_SECRET_KEY")
        and not flag_value(config.get("TEST_PAYMENTS"))
    ):
        raise SettingsError(
            "MARKETPLACE_ENV=production without STRIPE_SECRET_KEY: payments would be "
            '"Mode uji" test payments, which move no money. Set STRIPE_SECRET_KEY and '
            "STRIPE_WEBHOOK_SECRET, or choose test payments on purpose with "
            "MARKETPLACE_TEST_PAYMENTS=1."
        )


def load_settings(instance_path: Path = INSTANCE_PATH) -> dict:
    """Return the settings for this process, environment first."""
    database_url = os.environ.get("DATABASE_URL") or (
        f"sqlite:///{instance_path / 'marketplace.db'}"
    )
    redis_url = os.environ.get("REDIS_URL", "")
    stripe_secret_key = os.environ.get("STRIPE_SECRET_KEY", "")
    return {
        #: ``production`` turns on the checks of ``check_settings``
        "ENV": os.environ.get("MARKETPLACE_ENV", "development"),
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        #: PostgreSQL: seconds to connect, per statement (web; a ``flask`` command's own,
        #: 0 for none) and per lock wait; a frozen server is given up a second later
        "DATABASE_CONNECT_TIMEOUT": float(os.environ.get("DATABASE_CONNECT_TIMEOUT", "3")),
        "DATABASE_STATEMENT_TIMEOUT": float(os.environ.get("DATABASE_STATEMENT_TIMEOUT", "5")),
        "DATABASE_CLI_STATEMENT_TIMEOUT": float(
            os.environ.get("DATABASE_CLI_STATEMENT_TIMEOUT", "600")
        ),
        "DATABASE_LOCK_TIMEOUT": float(os.environ.get("DATABASE_LOCK_TIMEOUT", "3")),
        "MEDIA_ROOT": os.environ.get("MEDIA_ROOT", str(instance_path / "media")),
        "MEDIA_URL": os.environ.get("MEDIA_URL", ""),
        "S3_BUCKET": os.environ.get("S3_BUCKET", ""),
        "S3_PREFIX": os.environ.get("S3_PREFIX", ""),
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL", ""),
        "S3_REGION": os.environ.get("S3_REGION", "ap-southeast-3"),
        "PHOTO_WIDTHS": (320, 480, 640, 1280),
        "REDIS_URL": redis_url,
        #: how long cached public pages are served on the last catalogue version read when
        #: the database does not answer (it is read again every few seconds meanwhile)
        "PAGE_CACHE_STALE_SECONDS": float(os.environ.get("PAGE_CACHE_STALE_SECONDS", "300")),
        #: on PostgreSQL, the catalogue version is pushed to each process (LISTEN/NOTIFY)
        #: instead of read on each cached hit; a version older than the bound is not used
        "PAGE_CACHE_PUSH": _flag("PAGE_CACHE_PUSH", True),
        "PAGE_CACHE_PUSH_BOUND_SECONDS": float(
            os.environ.get("PAGE_CACHE_PUSH_BOUND_SECONDS", "1")
        ),
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "SMTP_URL": os.environ.get("SMTP_URL", ""),
        #: the site's public address, for links in messages sent outside a request
        "SITE_URL": os.environ.get("SITE_URL", "http://127.0.0.1:5000"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Pasar Oleh-Oleh Kaltara <noreply@localhost>"),
        # WhatsApp Business Cloud API: off unless a token and a phone number id are set.
        "WHATSAPP_TOKEN": os.environ.get("WHATSAPP_TOKEN", ""),
        "WHATSAPP_PHONE_NUMBER_ID": os.environ.get("WHATSAPP_PHONE_NUMBER_ID", ""),
        "WHATSAPP_API_BASE": os.environ.get("WHATSAPP_API_BASE", "https://graph.facebook.com"),
        "WHATSAPP_API_VERSION": os.environ.get("WHATSAPP_API_VERSION", "v21.0"),
        # Web Push: off unless a VAPID private key is set (``flask notify vapid-key``).
        "VAPID_PRIVATE_KEY": os.environ.get("VAPID_PRIVATE_KEY", ""),
        "VAPID_SUBJECT": os.environ.get("VAPID_SUBJECT", "mailto:admin@localhost"),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Redis away: the limits hold per process, in memory, until it is back; never a 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        #: the app factory adds the Redis breaker and timeouts (``breaker.redis_options``)
        "RATELIMIT_STORAGE_OPTIONS": {},
        #: after Redis fails, every use of it is skipped this long (a hung Redis costs one wait)
        "REDIS_PAUSE_SECONDS": float(os.environ.get("REDIS_PAUSE_SECONDS", "10")),
        "RATELIMIT_HEADERS_ENABLED": True,
        "SIGNIN_LIMIT_PER_ACCOUNT": os.environ.get("SIGNIN_LIMIT_PER_ACCOUNT", "5 per minute"),
        "SIGNIN_LIMIT_PER_ADDRESS": os.environ.get("SIGNIN_LIMIT_PER_ADDRESS", "20 per minute"),
        #: every request for a reset link counts: each one sends a message
        "RESET_LIMIT_PER_ACCOUNT": os.environ.get("RESET_LIMIT_PER_ACCOUNT", "3 per hour"),
        "RESET_LIMIT_PER_ADDRESS": os.environ.get("RESET_LIMIT_PER_ADDRESS", "20 per hour"),
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Makassar",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "LANGUAGES": ("id", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", False),
        #: proxies in front that add to X-Forwarded-For (nginx: 1); 0 trusts no such header
        "PROXY_HOPS": _count("PROXY_HOPS"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", False),
        "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "PRODUCTS_PER_PAGE": 24,
        #: a search ranks and shows at most this many products ("more than N results")
        "SEARCH_MAX_RESULTS": 300,
        #: typos, Indonesian affixes, reduplication and the synonym table widen a search
        #: (off: the words exactly as typed, as prefixes; the benchmark compares both)
        "SEARCH_TOLERANT": _flag("SEARCH_TOLERANT", True),
        #: the vocabulary typos are corrected against is read again at most this often
        #: after the catalogue changed
        "SEARCH_VOCABULARY_SECONDS": int(os.environ.get("SEARCH_VOCABULARY_SECONDS", "60")),
        "COMPRESS_MIN_SIZE": 500,
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        # Pages of 4-20 KB: gzip 4 costs 60-75% of level 6's time (the list: 105 against
        # 144 us) for 1-2% more bytes; below 4 the bytes grow 5-7%. Brotli stays at 4
        # (Flask-Compress's default): quality 3 halves its time but adds 6-13% bytes.
        "COMPRESS_LEVEL": 4,
        "COMPRESS_BR_LEVEL": 4,
        # Payments: Stripe when a secret key is set, local "Mode uji" otherwise.
        "STRIPE_SECRET_KEY": stripe_secret_key,
        #: production may run on "Mode uji" only when this says so
        "TEST_PAYMENTS": _flag("MARKETPLACE_TEST_PAYMENTS", False),
        "TEST_WEBHOOK_SECRET": _test_webhook_secret(instance_path, stripe_secret_key),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
        "STRIPE_CONNECT_WEBHOOK_SECRET": os.environ.get("STRIPE_CONNECT_WEBHOOK_SECRET", ""),
        # Live couriers through Biteship when its key is set; otherwise the zone table.
        "BITESHIP_API_KEY": os.environ.get("BITESHIP_API_KEY", ""),
        "BITESHIP_API_BASE": os.environ.get("BITESHIP_API_BASE", ""),
        #: Biteship's courier codes asked for rates
        "BITESHIP_COURIERS": os.environ.get("BITESHIP_COURIERS", "jne,jnt,pos,sicepat"),
        #: the header and secret set with the webhook URL in Biteship's dashboard
        "BITESHIP_WEBHOOK_HEADER": os.environ.get("BITESHIP_WEBHOOK_HEADER", "X-Biteship-Secret"),
        "BITESHIP_WEBHOOK_SECRET": os.environ.get("BITESHIP_WEBHOOK_SECRET", ""),
        #: seconds an identical rate request is answered from the in-process cache
        "SHIPPING_RATES_TTL": int(os.environ.get("SHIPPING_RATES_TTL", "600")),
        # Domestic methods (QRIS, virtual accounts, e-wallets): Midtrans when its key is set.
        "MIDTRANS_SERVER_KEY": os.environ.get("MIDTRANS_SERVER_KEY", ""),
        "MIDTRANS_API_BASE": os.environ.get("MIDTRANS_API_BASE", ""),
        "MIDTRANS_PRODUCTION": _flag("MIDTRANS_PRODUCTION", False),
        #: the methods offered, in this order (keys of midtrans_gateway.METHODS)
        "MIDTRANS_METHODS": os.environ.get(
            "MIDTRANS_METHODS", "qris,bca,bni,bri,mandiri,gopay,shopeepay"
        ),
        #: Midtrans' price per payment type, JSON: {"qris": {"bp": 70}, "bank_transfer":
        #: {"amount": 4000}}; what is not named keeps midtrans_gateway.DEFAULT_FEES
        "MIDTRANS_FEES": os.environ.get("MIDTRANS_FEES", ""),
        # Payouts through Midtrans Payouts (Iris), beside the bank CSV batch.
        "IRIS_CREATOR_KEY": os.environ.get("IRIS_CREATOR_KEY", ""),
        "IRIS_APPROVER_KEY": os.environ.get("IRIS_APPROVER_KEY", ""),
        "IRIS_MERCHANT_KEY": os.environ.get("IRIS_MERCHANT_KEY", ""),
        "IRIS_API_BASE": os.environ.get("IRIS_API_BASE", ""),
    }
