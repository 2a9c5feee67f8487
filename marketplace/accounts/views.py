"""Sign-up, sign-in (with a second factor), sign-out, a forgotten password, the account's
security page and the admin's role page."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.accounts import codes, contact, privacy, recovery, services, twofactor
from marketplace.accounts.access import role_required
from marketplace.accounts.forms import (
    ROLE_LABELS,
    ChangeEmailForm,
    ChangePhoneForm,
    CloseAccountForm,
    CodeForm,
    EmptyForm,
    ForgotPasswordForm,
    NewPasswordForm,
    ResetWithCodeForm,
    RoleForm,
    SecondFactorForm,
    SignInForm,
    SignUpForm,
    TurnOffSecondFactorForm,
)
from marketplace.accounts.identity import signed_in_user
from marketplace.accounts.models import Role, User
from marketplace.accounts.signals import signed_in
from marketplace.db import db, now_utc
from marketplace.extensions import limiter
from marketplace.notify import services as notify_services
from marketplace.notify.services import BROWSER_SUBSCRIPTION
from marketplace.web import attempt, flash_error, safe_next

bp = Blueprint("accounts", __name__, url_prefix="/akun")
bp.add_app_template_filter(privacy.shown_name, "person_name")


def _sign_in(user: User, remember: bool = False) -> None:
    # A fresh session on sign-in: nothing from before (a fixed CSRF token, say) survives,
    # except what a handler of ``signed_in`` carries over (the signed-out cart).
    carried = dict(session)
    session.clear()
    login_user(user, remember=remember)
    signed_in.send(user, carried=carried)
    db.session.commit()


@bp.route("/daftar", methods=["GET", "POST"])
def sign_up():
    if current_user.is_authenticated:
        return redirect(url_for("catalog.home"))
    form = SignUpForm()
    if form.validate_on_submit():
        with attempt(form, "email") as done:
            user = services.register_user(
                name=form.name.data,
                email=form.email.data,
                phone=form.phone.data,
                password=form.password.data,
                locale=request.cookies.get("lang"),
            )
        if done.ok:
            _sign_in(user)
            flash(_("Selamat datang, %(name)s! Akun Anda sudah dibuat.", name=user.name), "success")
            return redirect(safe_next(request.args.get("next"), url_for("catalog.home")))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/sign_up.html", form=form), status


def _login_key() -> str:
    """Rate-limit key for the account being tried, whatever spelling is used."""
    return "signin:" + services.sign_in_limit_key(request.form.get("login") or "")


def _per_account_limit() -> str:
    return current_app.config["SIGNIN_LIMIT_PER_ACCOUNT"]


def _per_address_limit() -> str:
    return current_app.config["SIGNIN_LIMIT_PER_ADDRESS"]


def _not_signed_in(response) -> bool:
    """Only an attempt that failed counts: a sign-in that worked answers with a redirect.

    A household signing in on three phones, or thirty members of a PKK training on one
    wifi, must never wait; guesses are what the limits are for.
    """
    return response.status_code >= 400


@bp.route("/masuk", methods=["GET", "POST"])
@limiter.limit(_per_address_limit, methods=["POST"], deduct_when=_not_signed_in)
@limiter.limit(
    _per_account_limit, key_func=_login_key, methods=["POST"], deduct_when=_not_signed_in
)
def sign_in():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("catalog.home")))
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.login.data, form.password.data)
        except services.AccountError as error:
            form.password.errors = [str(error.message)]
        else:
            return _signed_in_or_asked_code(user, form.remember.data)
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/sign_in.html", form=form), status


#: the session's note of a password that was right, waiting for the second factor
PENDING = "second_factor"
PENDING_MINUTES = 5


def _signed_in_or_asked_code(user: User, remember: bool):
    target = safe_next(request.args.get("next"), url_for("catalog.home"))
    if twofactor.is_on(user.id):
        session[PENDING] = {
            "user": user.id,
            "at": now_utc().timestamp(),
            "remember": bool(remember),
            "next": target,
        }
        return redirect(url_for("accounts.second_factor"), 303)
    _sign_in(user, remember=remember)
    flash(_("Anda sudah masuk."), "success")
    return redirect(target)


def _pending_user() -> User | None:
    pending = session.get(PENDING) or {}
    started = dt.datetime.fromtimestamp(float(pending.get("at") or 0), dt.UTC)
    if now_utc() - started > dt.timedelta(minutes=PENDING_MINUTES):
        return None
    user = db.session.get(User, int(pending.get("user") or 0))
    return user if user is not None and user.is_active else None


def _pending_key() -> str:
    return "second-factor:" + str((session.get(PENDING) or {}).get("user", ""))


@bp.route("/masuk/kode", methods=["GET", "POST"])
@limiter.limit(_per_address_limit, methods=["POST"], deduct_when=_not_signed_in)
@limiter.limit(
    _per_account_limit, key_func=_pending_key, methods=["POST"], deduct_when=_not_signed_in
)
def second_factor():
    """After the right password: the code from the app, or a recovery code."""
    user = _pending_user()
    if user is None:
        flash(_("Waktu habis. Masuk lagi dengan kata sandi."), "error")
        return redirect(url_for("accounts.sign_in"), 303)
    form = SecondFactorForm()
    if form.validate_on_submit():
        with attempt(form, "code") as done:
            twofactor.verify_sign_in(user.id, form.code.data)
        if done.ok:
            pending = session.pop(PENDING)
            _sign_in(user, remember=pending.get("remember", False))
            flash(_("Anda sudah masuk."), "success")
            return redirect(safe_next(pending.get("next"), url_for("catalog.home")))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/second_factor.html", form=form), status


@bp.route("/keamanan")
@login_required
def security():
    user = signed_in_user()
    return _security_page(user)


def _security_page(user: User, status: int = 200, *, form=None, codes=None):
    factor = twofactor.factor_of(user.id)
    uri = twofactor.provisioning_uri(user, factor) if factor and not factor.confirmed_at else ""
    return render_template(
        "accounts/security.html",
        factor=factor,
        may_use=twofactor.may_use(user),
        required=twofactor.required(user),
        qr=twofactor.qr_svg(uri) if uri else "",
        form=form or SecondFactorForm(),
        off_form=TurnOffSecondFactorForm(),
        codes=codes,
        codes_left=twofactor.recovery_codes_left(user.id),
    ), status


@bp.route("/keamanan/totp/mulai", methods=["POST"])
@login_required
def start_second_factor():
    if not EmptyForm().validate_on_submit():
        abort(400)
    with attempt():
        twofactor.start_setup(signed_in_user())
    return redirect(url_for("accounts.security"), 303)


@bp.route("/keamanan/totp", methods=["POST"])
@login_required
def confirm_second_factor():
    """The first code from the app turns it on; the recovery codes are shown once."""
    user = signed_in_user()
    form = SecondFactorForm()
    codes = None
    if form.validate_on_submit():
        with attempt(form, "code") as done:
            codes = twofactor.confirm_setup(user, form.code.data)
        if done.ok:
            flash(_("Verifikasi dua langkah aktif."), "success")
            return _security_page(user, codes=codes)
    return _security_page(user, 400, form=form)


@bp.route("/keamanan/totp/matikan", methods=["POST"])
@login_required
def turn_off_second_factor():
    user = signed_in_user()
    form = TurnOffSecondFactorForm()
    if form.validate_on_submit():
        with attempt(form, "code") as done:
            twofactor.turn_off(user, form.password.data, form.code.data)
        if done.ok:
            flash(_("Verifikasi dua langkah dimatikan."), "success")
            return redirect(url_for("accounts.security"), 303)
    return _security_page(user, 400)


def _reset_key() -> str:
    """The account a reset link is asked for, whatever spelling: each request sends mail."""
    return "reset:" + services.sign_in_limit_key(request.form.get("login") or "")


def _reset_per_account() -> str:
    return current_app.config["RESET_LIMIT_PER_ACCOUNT"]


def _reset_per_address() -> str:
    return current_app.config["RESET_LIMIT_PER_ADDRESS"]


@bp.route("/lupa-sandi", methods=["GET", "POST"])
@limiter.limit(_reset_per_address, methods=["POST"])
@limiter.limit(_reset_per_account, key_func=_reset_key, methods=["POST"])
def forgot_password():
    if current_user.is_authenticated:
        return redirect(url_for("catalog.home"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with attempt(form, "login") as done:
            recovery.request_password_reset(form.login.data)
        if done.ok:
            flash(recovery.reset_answer(form.login.data), "success")
            if recovery.codes_by_whatsapp(form.login.data):
                return redirect(url_for("accounts.reset_with_code", login=form.login.data))
            return redirect(url_for("accounts.sign_in"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/lupa-sandi/kode", methods=["GET", "POST"])
@limiter.limit(_reset_per_address, methods=["POST"])
@limiter.limit(_reset_per_account, key_func=_reset_key, methods=["POST"])
def reset_with_code():
    if current_user.is_authenticated:
        return redirect(url_for("catalog.home"))
    form = ResetWithCodeForm(login=request.args.get("login", "")[:30])
    if form.validate_on_submit():
        with attempt(form, "code") as done:
            user = recovery.reset_with_code(form.login.data, form.code.data, form.password.data)
        if done.ok:
            _sign_in(user)
            flash(_("Kata sandi baru tersimpan. Anda sudah masuk."), "success")
            return redirect(url_for("catalog.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/reset_with_code.html", form=form), status


@bp.route("/atur-ulang/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = recovery.user_for_reset(token)
    except services.AccountError as error:
        return render_template("accounts/reset_password.html", problem=error.message), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        with attempt(form, "password") as done:
            recovery.reset_password(token, form.password.data)
        if done.ok:
            _sign_in(user)
            flash(_("Kata sandi baru tersimpan. Anda sudah masuk."), "success")
            return redirect(url_for("catalog.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/reset_password.html", form=form, user=user), status


@bp.route("/keluar", methods=["POST"])
@login_required
def sign_out():
    if not EmptyForm().validate_on_submit():
        abort(400)
    user = signed_in_user()
    services.end_sessions(user)
    notify_services.end_browser_subscription(user.id, session.get(BROWSER_SUBSCRIPTION))
    db.session.commit()
    # Clear first: logout_user leaves a note in the session that deletes the remember-me cookie.
    session.clear()
    logout_user()
    flash(_("Anda sudah keluar."), "success")
    return redirect(url_for("catalog.home"))


def _own_account() -> str:
    return f"contact-change:{current_user.get_id()}"


@bp.route("/", methods=["GET", "POST"])
@login_required
@limiter.limit("5 per hour", key_func=_own_account, methods=["POST"])
def profile():
    """The account: who it is, and changing its e-mail (confirmed from the new address)."""
    user = signed_in_user()
    form = ChangeEmailForm()
    if form.validate_on_submit():
        with attempt(form, "email") as done:
            email = contact.request_email_change(user, form.email.data, form.password.data)
        if done.ok:
            flash(
                _(
                    "Kami mengirim tautan ke %(email)s. E-mail baru berlaku setelah "
                    "tautan itu dibuka.",
                    email=email,
                ),
                "success",
            )
            return redirect(url_for("accounts.profile"))
    status = 400 if form.is_submitted() else 200
    return _profile_page(form=form), status


def _profile_page(form=None, phone_form=None) -> str:
    return render_template(
        "accounts/profile.html",
        form=form or ChangeEmailForm(formdata=None),
        phone_form=phone_form or ChangePhoneForm(formdata=None),
        phone_by_whatsapp=codes.available(),
    )


@bp.route("/nomor-hp", methods=["POST"])
@login_required
@limiter.limit("5 per hour", key_func=_own_account, methods=["POST"])
def change_phone():
    form = ChangePhoneForm()
    if form.validate_on_submit():
        with attempt(form, "phone") as done:
            contact.request_phone_change(signed_in_user(), form.phone.data, form.password.data)
        if done.ok:
            return redirect(url_for("accounts.confirm_phone"))
    return _profile_page(phone_form=form), 400


@bp.route("/nomor-hp/kode", methods=["GET", "POST"])
@login_required
def confirm_phone():
    form = CodeForm()
    if form.validate_on_submit():
        with attempt(form, "code") as done:
            phone = contact.confirm_phone_change(signed_in_user(), form.code.data)
        if done.ok:
            flash(_("Nomor HP akun Anda sekarang %(phone)s.", phone=phone), "success")
            return redirect(url_for("accounts.profile"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/confirm_phone.html", form=form), status


@bp.route("/surel/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        with attempt() as done:
            contact.confirm_email_change(token)
        if done.ok:
            flash(_("E-mail akun Anda sudah diganti."), "success")
            return redirect(
                url_for("accounts.profile" if current_user.is_authenticated else "accounts.sign_in")
            )
    try:
        email = contact.check_change_token(token)
    except services.AccountError as error:
        return render_template("accounts/confirm_email.html", problem=error.message), 400
    return render_template("accounts/confirm_email.html", form=form, email=email)


@bp.route("/data")
@login_required
def personal_data():
    user = signed_in_user()
    return render_template(
        "accounts/personal_data.html",
        form=CloseAccountForm(formdata=None),
        reasons=privacy.reasons_to_wait(user),
    )


@bp.route("/data/unduh")
@login_required
def download_personal_data():
    archive = privacy.export_archive(signed_in_user())
    response = current_app.response_class(archive, mimetype="application/zip")
    response.headers["Content-Disposition"] = "attachment; filename=data-pribadi.zip"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/tutup", methods=["POST"])
@login_required
def close_account():
    user = signed_in_user()
    form = CloseAccountForm()
    if form.validate_on_submit():
        with attempt(form, "password") as done:
            privacy.close_account(user, form.password.data)
        if done.ok:
            session.clear()
            logout_user()
            flash(_("Akun Anda sudah ditutup. Terima kasih."), "success")
            return redirect(url_for("catalog.home"))
    reasons = privacy.reasons_to_wait(user)
    page = render_template("accounts/personal_data.html", form=form, reasons=reasons)
    return page, 400


@bp.route("/admin/pengguna")
@role_required(Role.ADMIN)
def admin_users():
    query = request.args.get("q", "")[:100]
    users = services.list_users(query)
    return render_template(
        "admin/users.html",
        users=users,
        query=query,
        role_form=RoleForm(),
        roles=list(Role),
        role_labels=ROLE_LABELS,
    )


@bp.route("/admin/pengguna/<id:user_id>/peran", methods=["POST"])
@role_required(Role.ADMIN)
def admin_change_role(user_id: int):
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    role = Role(form.role.data)
    actor = signed_in_user()
    try:
        if request.form.get("action") == "revoke":
            services.revoke_role(user, role, revoked_by=actor)
            message = _(
                "Peran %(role)s dicabut dari %(name)s.", role=ROLE_LABELS[role], name=user.name
            )
        else:
            services.grant_role(user, role, granted_by=actor)
            message = _(
                "Peran %(role)s diberikan kepada %(name)s.", role=ROLE_LABELS[role], name=user.name
            )
    except services.AccountError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("accounts.admin_users", q=request.args.get("q", "")))
