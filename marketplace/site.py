"""Site-wide endpoints: health, language, media files, the favicon, the outbox of mails
(admin); the page nginx shows while the app does not answer."""

from __future__ import annotations

from pathlib import Path

import click
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from marketplace.accounts.access import role_required
from marketplace.accounts.forms import EmptyForm
from marketplace.accounts.identity import signed_in_user
from marketplace.accounts.models import Role
from marketplace.accounts.services import set_locale
from marketplace.breaker import redis_client
from marketplace.catalog.models import ProductPhoto
from marketplace.crossorigin import same_origin_only
from marketplace.db import db
from marketplace.mail import failed_mails, retry_mail
from marketplace.outbox import MAX_ATTEMPTS
from marketplace.storage import get_storage
from marketplace.web import (
    LANGUAGE_COOKIE,
    attempt,
    safe_next,
    url_locale,
    visitor_locale,
    without_language,
)

bp = Blueprint("site", __name__)
site_cli = AppGroup("site", help="Files of the site itself.")

#: the page nginx shows while gunicorn does not answer (deploy/nginx.conf), under static/
UNAVAILABLE_PAGE = "tidak-tersedia.html"
#: its languages, in the order the page shows them
UNAVAILABLE_LANGUAGES = ("id", "en")


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for it at the root whatever the page says; a day in caches."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=86400)


@bp.route("/kiriman-terlalu-besar")
def too_large():
    """The page nginx shows for a body beyond its limit (deploy/nginx.conf's ``error_page
    413``): the app's own 413, in the visitor's language, where nginx would answer in its
    own English. The visitor's form stays in the browser: the page says to go back."""
    abort(413)


def unavailable_page() -> str:
    """The page for a moment the app does not answer (a restart, every worker busy past
    nginx's wait), in Indonesian then English: nginx cannot ask the app which language."""
    sections = []
    for language in UNAVAILABLE_LANGUAGES:
        with force_locale(language):
            sections.append(
                (
                    language,
                    _("Pasar Oleh-Oleh Kaltara sedang sibuk"),
                    _("Situs sedang diperbarui atau melayani banyak pengunjung sekaligus."),
                    _(
                        "Muat ulang halaman ini dalam satu menit. Jika Anda baru mengirim "
                        "formulir, periksa dulu apakah sudah tercatat sebelum mengirim lagi."
                    ),
                )
            )
    return render_template("errors/unavailable.html", sections=sections)


@site_cli.command("unavailable-page")
def write_unavailable_page() -> None:
    """Write static/tidak-tersedia.html from the catalogues (after a translation changes)."""
    path = Path(current_app.static_folder) / UNAVAILABLE_PAGE
    path.write_text(unavailable_page(), encoding="utf-8")
    click.echo(f"wrote {path}")


@bp.route("/healthz")
def healthz():
    """Liveness: the process answers. Nothing else is asked, so a database or Redis away
    never gets a healthy process restarted."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """Readiness: 503 only when this process cannot serve (the database does not answer).

    Redis away (pages rendered, limits in memory, jobs run here) and photos missing from
    storage (a restore without them) are reported as ``degraded``: every process has the
    same trouble, and taking them all out of the balancer would help no one.
    """
    checks = {"database": _check_database(), "storage": _check_storage()}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _check_redis(current_app.config["REDIS_URL"])
    if checks["database"] != "ok":
        return jsonify(status="error", **checks), 503
    degraded = any(value != "ok" for value in checks.values())
    return jsonify(status="degraded" if degraded else "ok", **checks)


def _check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        return f"unavailable: {type(error.orig or error).__name__}"
    return "ok"


def _check_redis(url: str) -> str:
    from redis.exceptions import RedisError

    try:
        redis_client(current_app, url, timeout=0.5).ping()
    except RedisError as error:
        return f"unavailable: {type(error).__name__}"
    return "ok"


def _check_storage() -> str:
    """Photos can be written, and the newest photo the database names can be read back."""
    storage = get_storage()
    try:
        storage.check()
        photo = db.session.scalar(select(ProductPhoto).order_by(ProductPhoto.id.desc()).limit(1))
        if photo is not None and not storage.exists(photo.variant_key(photo.widths[0])):
            return f"missing: {photo.variant_key(photo.widths[0])}"
    except Exception as error:  # noqa: BLE001 - any failure means "not ready", named below
        db.session.rollback()
        return f"unavailable: {type(error).__name__}"
    return "ok"


@bp.route("/bahasa", methods=["POST"])
@same_origin_only
def language():
    """Switch the language and remember it (cookie, and the account when signed in).

    The footer of every page posts here, cached public pages too: no CSRF token, the
    request's origin is checked instead (``marketplace.crossorigin``).
    """
    locale = request.form.get("locale", "")
    if locale not in current_app.config["LANGUAGES"]:
        abort(400)
    if current_user.is_authenticated:
        set_locale(signed_in_user(), locale)
        db.session.commit()
    response = redirect(
        without_language(safe_next(request.form.get("next"), url_for("catalog.home")))
    )
    response.set_cookie(
        LANGUAGE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
    )
    return response


@bp.route("/media/<path:key>")
def media(key: str):
    # Keys are content hashes: what is under a key never changes, so it is cached for a year.
    return get_storage().send(key)


@bp.route("/admin/surel")
@role_required(Role.ADMIN)
def admin_mails():
    """Mails that used up their attempts, each with "Kirim lagi"."""
    return render_template(
        "admin/mails.html", mails=failed_mails(), form=EmptyForm(), max_attempts=MAX_ATTEMPTS
    )


@bp.route("/admin/surel/<id:mail_id>/kirim-lagi", methods=["POST"])
@role_required(Role.ADMIN)
def admin_retry_mail(mail_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    with attempt() as done:
        mail = retry_mail(mail_id)
    if done.ok:
        flash(_("Surel untuk %(to)s diantrekan lagi.", to=mail.to), "success")
    return redirect(url_for("site.admin_mails"), 303)


def select_locale() -> str:
    """The URL's (``?hl=en``), else the signed-in person's choice, the cookie's, Indonesian."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if named := url_locale(request.args, current_app.config):
        return named  # a page's language version (hreflang) is that language for everyone
    if current_user.is_authenticated and current_user.locale in current_app.config["LANGUAGES"]:
        return current_user.locale
    return visitor_locale(request.cookies, current_app.config)
