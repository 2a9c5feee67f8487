"""The reviewer's decision form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, Length

DECISIONS = ("approve", "changes")


class ReviewForm(FlaskForm):
    note = TextAreaField(
        _l("Catatan untuk penjual"),
        validators=[Length(max=2000)],
        description=_l("Wajib bila meminta perbaikan, misalnya: segel kemasan tidak terlihat."),
    )
    decision = StringField(validators=[AnyOf(DECISIONS)])
    #: the photos' keys when the page was drawn: an approval covers only the photos seen
    photo_keys = HiddenField()
