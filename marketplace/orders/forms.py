"""Checkout and shipping forms; the rules themselves live in the services."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length

from marketplace.forms import Form
from marketplace.numbers import IdField, WholeNumberField
from marketplace.orders.cart import MAX_QUANTITY
from marketplace.orders.checkout import CheckoutDetails
from marketplace.orders.models import Delivery
from marketplace.orders.shipping import PROVINCES


class CartProductForm(Form):
    """A product of the cart, from its hidden field."""

    product_id = IdField(validators=[InputRequired()])


class CartLineForm(CartProductForm):
    quantity = WholeNumberField(
        _l("Jumlah"), validators=[InputRequired()], minimum=1, maximum=MAX_QUANTITY
    )


class CheckoutForm(Form):
    checkout_key = HiddenField()
    name = StringField(_l("Nama penerima"), validators=[Length(max=120)])
    email = EmailField(
        _l("E-mail"),
        validators=[Length(max=254)],
        description=_l("Bukti pesanan dan tautan pelacakan dikirim ke sini."),
    )
    whatsapp = TelField(
        _l("Nomor WhatsApp"),
        validators=[Length(max=24)],
        description=_l("Contoh: 0812 3456 7890"),
    )
    delivery = RadioField(
        _l("Pengiriman"),
        choices=[
            SelectChoice(Delivery.SHIP.value, _l("Dikirim ke alamat")),
            SelectChoice(
                Delivery.PICKUP.value, _l("Ambil sendiri di rumah penjual (satu kabupaten/kota)")
            ),
        ],
        default=Delivery.SHIP.value,
    )
    province = SelectField(
        _l("Provinsi"),
        choices=[SelectChoice("", _l("Pilih provinsi"))]
        + [SelectChoice(name, name) for name in PROVINCES],
        default="Kalimantan Utara",
    )
    city = StringField(
        _l("Kabupaten/kota"),
        validators=[Length(max=80)],
        description=_l("Contoh: Tarakan, Bulungan"),
    )
    district = StringField(_l("Kecamatan"), validators=[Length(max=80)])
    street = TextAreaField(
        _l("Alamat"),
        validators=[Length(max=300)],
        description=_l("Jalan, nomor rumah, RT/RW, patokan"),
    )
    postal_code = StringField(_l("Kode pos"), validators=[Length(max=5)])

    def destination(self, pickup_seller_ids: frozenset[int]) -> dict:
        """Where the goods go, as the cart prices shipping for it."""
        return {
            "province": self.province.data or "",
            "city": self.city.data or "",
            "delivery": self.delivery.data or "",
            "pickup_seller_ids": pickup_seller_ids,
        }

    def details(self, pickup_seller_ids: frozenset[int]) -> CheckoutDetails:
        return CheckoutDetails(
            name=self.name.data or "",
            email=self.email.data or "",
            whatsapp=self.whatsapp.data or "",
            delivery=self.delivery.data or "",
            province=self.province.data or "",
            city=self.city.data or "",
            district=self.district.data or "",
            street=self.street.data or "",
            postal_code=self.postal_code.data or "",
            pickup_seller_ids=pickup_seller_ids,
        )


class ShipPartForm(Form):
    courier = StringField(_l("Kurir"), validators=[Length(max=60)])
    tracking_number = StringField(_l("Nomor resi"), validators=[Length(max=60)])

    def shipping(self) -> dict[str, str]:
        """The courier and waybill number (resi) as typed, for a "shipped" step."""
        return {
            "courier": self.courier.data or "",
            "tracking_number": self.tracking_number.data or "",
        }


class DeclinePartForm(Form):
    """Why a household declines a paid part (the rule on the reason is the service's)."""

    reason = TextAreaField(_l("Alasan menolak"), validators=[Length(max=1000)])
