"""PDF rendering: a template of the caller's, through WeasyPrint, always in Indonesian."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale

#: The marketplace's own details on every letterhead and signature; ``MARKETPLACE_<NAME>``
#: overrides each. The defaults are demo values (the NPWP's 12.345.678.9 is an example).
LETTERHEAD_DEFAULTS = {
    "MARKETPLACE_LEGAL_NAME": "Pasar Oleh-Oleh Kaltara",
    "MARKETPLACE_ADDRESS": "Jl. Kolonel Soetadji, Tanjung Selor, Bulungan, Kalimantan Utara",
    "MARKETPLACE_NPWP": "12.345.678.9-727.000",
    "MARKETPLACE_EMAIL": "protokol@pasar-kaltara.id",
    #: the place on the place-and-date line of every document
    "MARKETPLACE_CITY": "Tanjung Selor",
    #: who signs the quotation, invoice, kwitansi and BAST for the marketplace
    "MARKETPLACE_SIGNER_NAME": "Andi Rahmat Hidayat",
    "MARKETPLACE_SIGNER_POSITION": "Pengelola",
}


def letterhead() -> dict[str, str]:
    """The marketplace's legal name, address, tax number, e-mail, city and signer, as
    documents show them."""

    def get(name: str) -> str:
        return current_app.config.get(name, LETTERHEAD_DEFAULTS[name])

    return {
        "name": get("MARKETPLACE_LEGAL_NAME"),
        "address": get("MARKETPLACE_ADDRESS"),
        "npwp": get("MARKETPLACE_NPWP"),
        "email": get("MARKETPLACE_EMAIL"),
        "city": get("MARKETPLACE_CITY"),
        "signer_name": get("MARKETPLACE_SIGNER_NAME"),
        "signer_position": get("MARKETPLACE_SIGNER_POSITION"),
    }


def render_pdf(template: str, **context) -> bytes:
    """Render ``template`` (with the letterhead as ``marketplace``) to PDF, in Indonesian."""
    # Imported here: WeasyPrint takes about a second to import, and most processes
    # (the web workers between PDF downloads, the job worker) never need it.
    from PIL import ImageFile
    from weasyprint import HTML

    # Importing WeasyPrint switches on Pillow's LOAD_TRUNCATED_IMAGES for the whole process,
    # which would let cut-off uploads through the photo checks; our documents embed no
    # photos, so switch it back off.
    ImageFile.LOAD_TRUNCATED_IMAGES = False

    with force_locale("id"):
        html = render_template(template, marketplace=letterhead(), **context)
    return HTML(string=html).write_pdf()
