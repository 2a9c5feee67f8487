"""Pasar Oleh-Oleh Kaltara: the marketplace for North Kalimantan's oleh-oleh."""

from __future__ import annotations

import inspect
from typing import Any

import click
from flask import Flask
from flask.templating import Environment
from jinja2.compiler import CodeGenerator
from markupsafe import Markup, escape

from marketplace.config import INSTANCE_PATH, PROJECT_ROOT, check_settings, load_settings
from marketplace.dates import format_day, format_day_with_weekday, format_month
from marketplace.db import postgresql_timeouts
from marketplace.extensions import babel, compress, csrf, db, limiter, login_manager, migrate
from marketplace.locales import current_language, current_translations, shown
from marketplace.numbers import register_converters
from marketplace.rupiah import format_rupiah, terbilang

# The configure_* and register_* functions import the packages they wire when they run,
# not at module level: this __init__ runs first on any import of marketplace.<anything>,
# and a module-level import of every blueprint here would load the whole app each time.


def escape_output(value: Any) -> Markup:
    """What a template writes for ``{{ value }}``: ``markupsafe.escape``, with a value that
    is already ``Markup`` written as it is and a whole number written without a search.

    ``escape`` answers a ``Markup`` with a new copy of it (``Markup(value.__html__())``):
    the same text, a new string, some 0.4 µs. The forms, links and pieces a page builds
    once and writes many times are such values (the cart writes some 140 a page, an
    officer's dashboard 130); an ``int``'s digits hold nothing to escape.
    """
    kind = type(value)
    if kind is Markup:
        return value
    if kind is int:
        return Markup(int.__str__(value))  # noqa: S704 (digits and a sign only)
    return escape(value)


class OutputCodeGenerator(CodeGenerator):
    """Jinja's code generator; a compiled template writes its values with ``escape_output``.

    Compiled functions look ``escape`` up in their module when they run: the line added
    after the module's body names ours (Jinja's own import of ``escape`` comes first).
    """

    def visit_Template(self, node, frame=None) -> None:
        super().visit_Template(node, frame)
        self.writeline("escape = environment.escape_output")


class TemplateEnvironment(Environment):
    """Flask's Jinja environment, each template's globals one plain dict.

    Jinja gives each template a ``ChainMap`` over the environment's globals, so that
    globals added later still reach templates already loaded. Every render then copies it
    key by key into the context, and every ``{% from ... import %}`` compares its keys one
    by one (some 300 calls a page in all). Ours are all set while the app is built, before
    any template loads (Jinja asks the same: "avoid modifying any globals after a template
    is loaded"), so a copy taken when a template loads holds the same.
    """

    code_generator_class = OutputCodeGenerator
    escape_output = staticmethod(escape_output)

    def make_globals(self, d):
        return {**self.globals, **(d or {})}


class Marketplace(Flask):
    """Flask, telling a plain function from a coroutine function by its code's flags.

    Flask asks ``ensure_sync`` of every hook, context processor and view on every request
    (some thirty times per page); ``inspect.iscoroutinefunction`` unwraps and inspects
    each time. A plain ``def`` (or a method of one) is answered from its code object;
    anything else (a partial, an ``async def``) goes to Flask as before.
    """

    jinja_environment = TemplateEnvironment

    def ensure_sync(self, func):
        code = getattr(func, "__code__", None)
        if code is not None and not code.co_flags & _COROUTINE_FLAGS:
            return func
        return super().ensure_sync(func)


_COROUTINE_FLAGS = inspect.CO_COROUTINE | inspect.CO_ITERABLE_COROUTINE | inspect.CO_ASYNC_GENERATOR


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, commands. No network, no migrations."""
    app = Marketplace(
        __name__,
        instance_path=str(INSTANCE_PATH),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    configure_settings(app, config)
    configure_extensions(app)
    configure_templates(app)
    register_converters(app)
    register_blueprints(app)
    register_cli(app)
    register_web(app)
    return app


def configure_settings(app: Flask, config: dict[str, Any] | None) -> None:
    app.config.update(load_settings(INSTANCE_PATH))
    # MARKETPLACE_FOO=bar in the environment sets FOO for anything not listed in config.py.
    app.config.from_prefixed_env("MARKETPLACE")
    if config:
        app.config.update(config)
    check_settings(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A `flask` command (run inside click's context) may run longer than a request.
        cli = click.get_current_context(silent=True) is not None
        options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
        connect_args = {**postgresql_timeouts(app.config, cli), **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A database file has no connection to lose: no ping before every checkout.
        options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "pool_pre_ping": False}


def configure_extensions(app: Flask) -> None:
    from marketplace.accounts.identity import load_signed_in
    from marketplace.breaker import redis_options
    from marketplace.db import include_object
    from marketplace.jobs import init_jobs
    from marketplace.observability import configure_logging, init_metrics
    from marketplace.pagecache import init_page_cache
    from marketplace.payments.setup import init_payments
    from marketplace.site import select_locale
    from marketplace.storage import init_storage

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    compress.init_app(app)
    if app.config.get("REDIS_URL"):
        # The limits' Redis sits behind the same breaker as the page cache's and the queue's.
        options = app.config.get("RATELIMIT_STORAGE_OPTIONS", {})
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {**redis_options(app, 0.5), **options}
    limiter.init_app(app)
    init_storage(app)
    init_page_cache(app)
    init_jobs(app)
    init_metrics(app)
    configure_logging(app)
    init_payments(app)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = None
    # "basic": a changed address marks the session non-fresh; "strong" would sign out
    # every phone that hops between cell towers.
    login_manager.session_protection = "basic"

    # Who is signed in: their id, name, language, roles and the header's count of unread
    # messages in one statement of plain columns (marketplace/accounts/identity.py).
    login_manager.user_loader(load_signed_in)


def configure_templates(app: Flask) -> None:
    from marketplace.accounts.forms import EmptyForm
    from marketplace.forms import field_html
    from marketplace.payments.gateway import get_gateway
    from marketplace.storage import get_storage
    from marketplace.web import form_problems

    app.jinja_env.filters["rupiah"] = format_rupiah
    app.jinja_env.filters["tanggal"] = format_day
    app.jinja_env.filters["hari_tanggal"] = format_day_with_weekday
    app.jinja_env.filters["terbilang"] = terbilang
    app.jinja_env.filters["bulan"] = format_month
    app.jinja_env.filters["stored_note"] = shown
    app.jinja_env.globals["EmptyForm"] = EmptyForm
    # ``_macros.html``'s ``field``: a field with its label, hint and errors, written in one call
    app.jinja_env.globals["field_html"] = field_html
    app.jinja_env.globals["form_problems"] = form_problems
    app.jinja_env.globals["media_url"] = lambda key: get_storage().url(key)
    install_template_gettext(app)
    install_account_links(app)
    install_fragments(app)

    @app.context_processor
    def locale_context() -> dict[str, Any]:
        return {
            "current_locale": current_language(),
            # Every page says so while payments move no money (base.html): no card gateway
            # and no domestic one (Midtrans) either.
            "test_payments": get_gateway().name == "test"
            and not app.extensions.get("payment_gateways"),
        }


def install_account_links(app: Flask) -> None:
    """``account_links()``: the signed-in header's links by role (``_account_links.html``),
    rendered once per process for each set of roles, language and mount point, then reused:
    a dozen role checks, ``url_for`` and ``_()`` calls on every signed-in page otherwise."""
    from flask import render_template, request
    from flask_login import current_user
    from markupsafe import Markup

    rendered: dict[tuple, Markup] = {}

    def account_links() -> Markup:
        key = (frozenset(current_user.roles), current_language(), request.script_root)
        found = rendered.get(key)
        if found is None:
            # autoescaped by Jinja when rendered: safe to insert as it is
            found = Markup(render_template("_account_links.html"))  # noqa: S704
            if len(rendered) < 256:  # a few roles and two languages: a handful in practice
                rendered[key] = found
        return found

    app.jinja_env.globals["account_links"] = account_links


#: fragments ``once`` keeps per process: a few names, two languages, a mount point or two
MAX_FRAGMENTS = 256


def install_fragments(app: Flask) -> None:
    """``{% call once("name") %}...{% endcall %}``: a piece of a template that depends on
    nothing but the visitor's language and the app's mount point (labels, links to pages
    and static files), rendered once per process for each of those, then reused.

    Whatever the body reads besides those (the visitor, the request's query, the
    catalogue) must stay outside it. With templates reloaded as they change (debug), the
    body is rendered every time.
    """
    from flask.globals import _cv_request

    rendered: dict[tuple, Any] = app.extensions.setdefault("template_fragments", {})

    def once(*name: str, caller):
        if app.jinja_env.auto_reload:
            return caller()
        # the request itself, not through ``flask.request``'s proxy (a dozen times a page)
        context = _cv_request.get(None)
        key = (name, current_language(), context and context.request.script_root)
        found = rendered.get(key)
        if found is None:
            found = caller()
            if len(rendered) < MAX_FRAGMENTS:
                rendered[key] = found
        return found

    app.jinja_env.globals["once"] = once


def install_template_gettext(app: Flask) -> None:
    """Templates' ``_()`` and ``ngettext()``, as Flask-Babel installs them, with the
    catalogue looked up once per request and language instead of at every call (a page
    says some forty strings; each lookup walked ``g`` and the locale three times)."""
    from jinja2 import pass_eval_context
    from markupsafe import Markup

    translations = current_translations

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )

    # ``_()`` is the most called function of a page: Jinja's goes through two more calls
    # (an alias resolving "gettext", and ``Context.call`` of the callable). This one does
    # what Jinja's newstyle gettext does (escaped, always a format string), directly.
    # It asks only for the evaluation context (is autoescaping on?): a function given the
    # whole context is handed a derived one, built anew, wherever a block or loop has set
    # a name of its own.
    @pass_eval_context
    def gettext(__eval_ctx, __string: str, **variables):
        found = translations().ugettext(__string)
        if __eval_ctx.autoescape:
            found = Markup(found)  # noqa: S704 (translations are ours, as in Jinja's own)
        if not variables and "%" not in found:
            return found  # what ``% {}`` gives, without Markup's escaping formatter
        return found % variables

    app.jinja_env.globals["gettext"] = app.jinja_env.globals["_"] = gettext


def register_blueprints(app: Flask) -> None:
    from marketplace.accounts.views import bp as accounts_bp
    from marketplace.institutions.views import bp as institutions_bp
    from marketplace.money.payment_views import bp as payments_bp
    from marketplace.money.views import bp as payouts_bp
    from marketplace.notify.views import bp as notify_bp
    from marketplace.orders.views import bp as orders_bp
    from marketplace.pkk.views import bp as pkk_bp
    from marketplace.pkk.views import household_bp as pkk_household_bp
    from marketplace.reviews.views import bp as reviews_bp
    from marketplace.sellers.views import bp as sellers_bp
    from marketplace.site import bp as site_bp
    from marketplace.storefront.views import bp as catalog_bp

    blueprints = (
        site_bp,
        catalog_bp,
        sellers_bp,
        pkk_bp,
        pkk_household_bp,
        accounts_bp,
        orders_bp,
        payments_bp,
        payouts_bp,
        institutions_bp,
        reviews_bp,
        notify_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)


def register_cli(app: Flask) -> None:
    from marketplace.accounts.cli import users_cli
    from marketplace.backup import backup_cli
    from marketplace.catalog.licences import catalog_cli
    from marketplace.demo import demo_cli
    from marketplace.institutions.cli import institutions_cli
    from marketplace.jobs import jobs_cli
    from marketplace.money.cli import payouts_cli
    from marketplace.notify.cli import notify_cli
    from marketplace.orders.cli import orders_cli
    from marketplace.pkk.cli import pkk_cli
    from marketplace.sellers.cli import sellers_cli
    from marketplace.site import site_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(catalog_cli)
    app.cli.add_command(sellers_cli)
    app.cli.add_command(orders_cli)
    app.cli.add_command(payouts_cli)
    app.cli.add_command(pkk_cli)
    app.cli.add_command(institutions_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(notify_cli)
    app.cli.add_command(site_cli)


def register_web(app: Flask) -> None:
    from marketplace.observability import register_request_ids
    from marketplace.web import (
        SessionCookies,
        register_error_pages,
        register_nul_guard,
        register_proxy_fix,
        register_security_headers,
        register_static_versions,
    )

    app.session_interface = SessionCookies()
    register_request_ids(app)
    register_security_headers(app)
    register_error_pages(app)
    register_nul_guard(app)
    register_static_versions(app)
    register_proxy_fix(app)


def prepare_to_fork(app: Flask) -> None:
    """Do once, in gunicorn's master, what each worker would otherwise do on its first
    requests, before the master forks the workers (``preload_app``, gunicorn.conf.py).

    A worker is recycled every ``max_requests`` requests. Each new one used to configure the
    ORM's mappers and compile every template it rendered (about 0.3 s and 2.4 s in all on
    the bench machine), and on exit the interpreter's last collection walked the whole heap
    it had inherited, copying every page of it (about 0.4 s). Done here, the mappers, the
    compiled templates and the translations are shared by every worker through fork's
    copy-on-write, and ``gc.freeze`` leaves what the master made out of the workers'
    collections: they neither walk it nor copy it.
    """
    import gc

    from flask_babel import get_translations
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    for name in app.jinja_env.list_templates():
        app.jinja_env.get_template(name)
    for locale in app.config["LANGUAGES"]:
        with app.test_request_context(f"/?hl={locale}"):
            get_translations()
            format_rupiah(1000)
    with app.app_context():
        db.engine.dispose()  # no connection of the master's reaches a worker
    gc.collect()
    gc.freeze()
