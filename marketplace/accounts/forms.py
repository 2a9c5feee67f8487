"""Sign-up, sign-in, password reset and role forms."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
)
from wtforms.validators import DataRequired, Length, Optional

from marketplace.accounts.models import Role
from marketplace.forms import Form


class SignUpForm(Form):
    name = StringField(_l("Nama lengkap"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    phone = TelField(
        _l("Nomor HP / WhatsApp"),
        validators=[Optional(), Length(max=24)],
        description=_l("Contoh: 0812 3456 7890"),
    )
    password = PasswordField(
        _l("Kata sandi"),
        validators=[DataRequired(), Length(max=256)],
        description=_l("Minimal 8 karakter. Kalimat pendek lebih mudah diingat."),
    )


class SignInForm(Form):
    login = StringField(_l("E-mail atau nomor HP"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Ingat saya di perangkat ini"))


class ForgotPasswordForm(Form):
    login = StringField(_l("E-mail atau nomor HP"), validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(Form):
    password = PasswordField(
        _l("Kata sandi baru"),
        validators=[DataRequired(), Length(max=256)],
        description=_l("Minimal 8 karakter. Kalimat pendek lebih mudah diingat."),
    )


class ChangeEmailForm(Form):
    email = EmailField(_l("E-mail baru"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(), Length(max=256)])


class ChangePhoneForm(Form):
    phone = TelField(_l("Nomor HP baru"), validators=[DataRequired(), Length(max=30)])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(), Length(max=256)])


class CodeForm(Form):
    code = StringField(
        _l("Kode dari WhatsApp"),
        validators=[DataRequired(), Length(max=12)],
        description=_l("6 angka, berlaku 10 menit."),
    )


class ResetWithCodeForm(CodeForm):
    login = TelField(_l("Nomor HP"), validators=[DataRequired(), Length(max=30)])
    password = PasswordField(
        _l("Kata sandi baru"),
        validators=[DataRequired(), Length(max=256)],
        description=_l("Minimal 8 karakter. Kalimat pendek lebih mudah diingat."),
    )


class CloseAccountForm(Form):
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(), Length(max=256)])
    understood = BooleanField(
        _l("Saya mengerti: akun ini tidak bisa dibuka lagi."), validators=[DataRequired()]
    )


ROLE_LABELS = {
    Role.BUYER: _l("Pembeli"),
    Role.SELLER: _l("Penjual (rumah tangga)"),
    Role.REVIEWER: _l("Peninjau PKK"),
    Role.OFFICER: _l("Staf protokol"),
    Role.ADMIN: _l("Admin"),
}


class RoleForm(Form):
    role = SelectField(
        _l("Peran"),
        choices=[
            SelectChoice(role.value, ROLE_LABELS[role]) for role in Role if role != Role.BUYER
        ],
    )


class EmptyForm(Form):
    """A form with only the CSRF token, for buttons that change something."""


class SecondFactorForm(Form):
    """The code after the password: 6 digits from the app, or a recovery code."""

    code = StringField(
        _l("Kode verifikasi"),
        validators=[DataRequired(), Length(max=20)],
        description=_l("6 angka dari aplikasi autentikator, atau satu kode cadangan."),
    )


class TurnOffSecondFactorForm(Form):
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(), Length(max=256)])
    code = StringField(_l("Kode verifikasi"), validators=[DataRequired(), Length(max=20)])
