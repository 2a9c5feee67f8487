"""Extension objects, created unbound and bound in ``create_app``."""

from flask import current_app, request
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name, get_remote_address
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


#: the methods no rate limit names at any endpoint: whatever is configured limits them all
EVERY_METHOD = None


def _limited_methods(endpoint: str) -> frozenset[str] | None:
    """The methods (lower case) the rate limits of ``endpoint`` name, as Flask-Limiter holds
    them (its view's decorators and its blueprint's); ``EVERY_METHOD`` when a limit names
    none, or default or application-wide limits are set."""
    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits:
        return EVERY_METHOD
    view = current_app.view_functions.get(endpoint)
    limits = manager.decorated_limits(get_qualified_name(view)) if view else []
    limits += manager.blueprint_limits(current_app, request.blueprint or "")
    methods: set[str] = set()
    for limit in limits:
        if not limit.methods:
            return EVERY_METHOD
        methods.update(limit.methods)
    return frozenset(methods)


@limiter.request_filter
def _no_limit_names_the_request() -> bool:
    """A request no rate limit names (every GET here: the limits are on sign-in, reset and
    other forms' POSTs) skips resolving the limits, which every page paid for nothing.
    What each endpoint's limits name is asked of Flask-Limiter once per app and endpoint."""
    known = current_app.extensions.setdefault("limited_methods", {})
    endpoint = request.endpoint or ""
    if endpoint not in known:
        known[endpoint] = _limited_methods(endpoint)
    methods = known[endpoint]
    return methods is not EVERY_METHOD and request.method.lower() not in methods


__all__ = ["db", "migrate", "login_manager", "csrf", "babel", "compress", "limiter"]
