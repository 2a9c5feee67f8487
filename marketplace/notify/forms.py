"""The person's choice of channels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class ChannelsForm(FlaskForm):
    email = BooleanField(_l("Surel"))
    whatsapp = BooleanField(_l("WhatsApp"))
    push = BooleanField(_l("Pemberitahuan di HP ini (browser)"))
