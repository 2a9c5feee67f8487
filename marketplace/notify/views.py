"""The inbox of messages, the choice of channels, and the browser's push subscription."""

from __future__ import annotations

from flask import (
    Blueprint,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import InterfaceError, OperationalError

from marketplace.notify import services
from marketplace.notify.forms import ChannelsForm
from marketplace.notify.push import public_key
from marketplace.web import attempt

bp = Blueprint("notify", __name__, url_prefix="/akun")


@bp.app_context_processor
def unread_notifications() -> dict:
    """The header's count of unread messages (one small query, signed-in pages only)."""
    if not has_request_context() or not current_user.is_authenticated:
        return {"unread_notifications": 0}
    # Read with the user by the app's user loader: no statement of its own.
    known = getattr(current_user, "unread_count", None)
    if known is not None:
        return {"unread_notifications": services.shown_unread(known)}
    try:
        return {
            "unread_notifications": services.shown_unread(services.unread_count(current_user.id))
        }
    except (OperationalError, InterfaceError):
        # The 503 page of a database that went away still renders, without the count.
        return {"unread_notifications": 0}


@bp.get("/pemberitahuan")
@login_required
def inbox():
    due, rest = services.inbox(current_user.id, str(get_locale()))
    return render_template("notify/inbox.html", due=due, rest=rest)


@bp.get("/pemberitahuan/<id:notification_id>")
@login_required
def open_entry(notification_id: int):
    """Opening a message marks it read and goes to the thing it is about."""
    target = url_for("notify.inbox")
    with attempt():
        target = services.open_notification(notification_id, current_user.id)
    return redirect(target)


@bp.post("/pemberitahuan/baca-semua")
@login_required
def read_all():
    with attempt():
        services.mark_all_read(current_user.id)
    return redirect(url_for("notify.inbox"))


@bp.route("/saluran", methods=["GET", "POST"])
@login_required
def channels():
    choice = services.choices_for(current_user.id)
    form = ChannelsForm(obj=choice)
    if form.validate_on_submit():
        with attempt(form) as done:
            services.save_choices(
                current_user.id,
                email=form.email.data,
                whatsapp=form.whatsapp.data,
                push=form.push.data,
            )
        if done.ok:
            return redirect(url_for("notify.channels", saved=1))
    return render_template(
        "notify/channels.html",
        form=form,
        push_key=public_key() if services.push_on() else "",
        whatsapp_on=services.whatsapp_on(),
        has_push=services.has_push(current_user.id),
        saved=request.args.get("saved") == "1",
    )


@bp.post("/push/langganan")
@login_required
def push_subscribe():
    """The browser's subscription (``PushSubscription.toJSON()``), sent by static/push.js."""
    data = request.get_json(silent=True) or {}
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    fields = (data.get("endpoint"), keys.get("p256dh"), keys.get("auth"))
    if not all(isinstance(each, str) for each in fields):
        return jsonify(error=_("Langganan pemberitahuan tidak lengkap.")), 400
    with attempt(shown=False) as done:
        kept = services.subscribe(current_user.id, *fields).id
    if not done.ok:
        return jsonify(error=str(done.error.message)), 400
    session[services.BROWSER_SUBSCRIPTION] = kept  # signing out on this browser ends it
    return jsonify(status="ok"), 201


@bp.post("/push/berhenti")
@login_required
def push_unsubscribe():
    endpoint = (request.get_json(silent=True) or {}).get("endpoint")
    if isinstance(endpoint, str):
        with attempt(shown=False):
            services.unsubscribe(current_user.id, endpoint)
    return jsonify(status="ok")
