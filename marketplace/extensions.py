"""Extension objects, created unbound and bound in ``create_app``."""

from flask import current_app, request
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from marketplace.db import db

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _reading_a_cached_page() -> bool:
    """A GET of a public cached page has no limits: skip resolving them on every hit."""
    view = current_app.view_functions.get(request.endpoint or "")
    return request.method == "GET" and getattr(view, "cached_page", False)


__all__ = ["db", "migrate", "login_manager", "csrf", "babel", "compress", "limiter"]
