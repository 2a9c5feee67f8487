from __future__ import annotations

import pytest
from sqlalchemy import delete

from marketplace.db import db
from marketplace.mail import OutgoingMail
from marketplace.notify.models import Delivery
from marketplace.notify.push import new_private_key, public_key
from tests.push_server import running_push_service
from tests.whatsapp_server import running_cloud_api


@pytest.fixture
def cloud_api(app):
    """The WhatsApp Cloud API test server, and the app configured to send through it."""
    with running_cloud_api() as server:
        settings = {
            "WHATSAPP_TOKEN": server.token,
            "WHATSAPP_PHONE_NUMBER_ID": server.phone_number_id,
            "WHATSAPP_API_BASE": server.base,
            "WHATSAPP_API_VERSION": server.version,
        }
        previous = {key: app.config.get(key) for key in settings}
        app.config.update(settings)
        yield server
        app.config.update(previous)


@pytest.fixture
def push_service(app):
    """A push service of the test's own, and the app's VAPID key to sign for it."""
    previous = app.config.get("VAPID_PRIVATE_KEY")
    app.config["VAPID_PRIVATE_KEY"] = new_private_key()
    with app.app_context(), running_push_service(public_key()) as server:
        yield server
    app.config["VAPID_PRIVATE_KEY"] = previous


@pytest.fixture(autouse=True)
def own_outbox():
    """These tests sweep the whole outbox: what other tests' servers committed for real is
    set aside, inside this test's own transaction."""
    db.session.execute(delete(Delivery))
    db.session.execute(delete(OutgoingMail))
