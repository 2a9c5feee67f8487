"""The photo pipeline: check, orient, strip, and store WebP variants.

The real content is checked with Pillow, never the file name or the
browser's type. Metadata (EXIF with GPS) is dropped: it would tell anyone
where a household lives.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, replace

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import ExifTags, Image, UnidentifiedImageError
from pillow_heif import register_heif_opener
from sqlalchemy import select

from marketplace.catalog.models import PhotoVariants
from marketplace.db import db
from marketplace.errors import MarketplaceError
from marketplace.jobs import enqueue, job
from marketplace.storage import LocalStorage, get_storage

# iPhones take HEIC photos. libheif applies the rotation while decoding and pillow-heif
# then resets the EXIF orientation to 1, so _upright never turns such a photo twice.
register_heif_opener()

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "HEIF"}
MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000
WEBP_QUALITY = 80
#: libwebp's effort, 0-6 (Pillow's default is 4). Once decoding is reduced, encoding is most
#: of the time; 2 is about a third faster than 4 for files a few percent larger
#: (bench/photo.py measures both ways on a 12-megapixel photo).
WEBP_METHOD = 2
WEBP_MAX_SIDE = 16383


class PhotoError(MarketplaceError):
    pass


@dataclass(frozen=True)
class StoredPhoto:
    key: str
    width: int
    height: int
    widths: tuple[int, ...]


def _open_checked(data: bytes) -> Image.Image:
    if len(data) > MAX_BYTES:
        raise PhotoError(_l("Foto terlalu besar (maksimal 15 MB)."), field="photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoError(
                    _l("Format foto tidak didukung. Kirim JPEG, PNG, WebP atau HEIC."),
                    field="photo",
                )
            if image.width * image.height > MAX_PIXELS:
                raise PhotoError(_l("Foto terlalu besar (maksimal 40 megapiksel)."), field="photo")
            if getattr(image, "is_animated", False):
                raise PhotoError(
                    _l("Foto bergerak (animasi) tidak bisa dipakai. Kirim foto biasa."),
                    field="photo",
                )
            return image
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(_l("Berkas ini bukan foto yang bisa dibaca."), field="photo") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        # A known format cut short or damaged in its header: some decoders fail already here.
        raise PhotoError(_l("Foto rusak atau terpotong. Coba kirim lagi."), field="photo") from None


#: EXIF orientation -> the move that shows the photo as the phone was held
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation. Unlike ``ImageOps.exif_transpose`` this never writes the
    EXIF back, which fails on damaged tags; the metadata is dropped anyway."""
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    method = _ORIENTATION.get(orientation) if isinstance(orientation, int) else None
    return image.transpose(method) if method is not None else image


def _load_oriented(data: bytes, largest_width: int) -> Image.Image:
    """Decode (at reduced scale when the largest variant is smaller) and apply EXIF rotation."""
    image = _open_checked(data)
    try:
        if image.format == "JPEG":
            # JPEG can decode at 1/2, 1/4, 1/8 scale: much faster for a 12 MP phone photo.
            image.draft("RGB", (largest_width, largest_width))
        image.load()
        image = _upright(image)
    except (OSError, SyntaxError, ValueError):
        raise PhotoError(_l("Foto rusak atau terpotong. Coba kirim lagi."), field="photo") from None
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    # A new image carries no EXIF, ICC, XMP or comments: nothing of the original's metadata.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return clean


def _targets(width: int, height: int, widths: tuple[int, ...]) -> list[int]:
    """The variant widths a cleaned photo of ``width`` x ``height`` gets, ascending."""
    targets = [w for w in sorted(widths) if w < width] or [width]
    if width < max(widths) and width not in targets:
        targets.append(width)
    # WebP holds at most 16383 px a side: a very tall photo (a long screenshot) gets
    # only the variants that fit, or one narrow enough to fit.
    targets = [w for w in targets if round(height * w / width) <= WEBP_MAX_SIDE]
    if not targets:
        narrow = width * WEBP_MAX_SIDE // height
        if narrow < 1:  # over 16383 times taller than wide: a strip, not a photo
            raise PhotoError(_l("Berkas ini bukan foto yang bisa dibaca."), field="photo")
        targets = [narrow]
    return sorted(targets)


def source_key(key: str) -> str:
    """Where the cleaned photo, at the largest variant's size, waits for its variants."""
    return f"photos/{key}/source"


def _put_variant(storage: LocalStorage, key: str, image: Image.Image) -> None:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    storage.put(f"photos/{key}/{image.width}.webp", buffer.getvalue(), "image/webp")


def _resized(image: Image.Image, width: int, full_width: int, full_height: int) -> Image.Image:
    if image.width == width:
        return image
    height = max(1, round(full_height * width / full_width))
    return image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def accept_photo(data: bytes, storage: LocalStorage, widths: tuple[int, ...]) -> StoredPhoto:
    """The part of the pipeline an upload waits for.

    Check, orient and strip the photo, store it cleaned at the largest variant's size (the
    source of the other variants) and make only the smallest variant, so the page shows the
    photo at once. ``make_variants`` (the job ``catalog.make_photo_variants``) makes the rest.
    """
    image = _load_oriented(data, max(widths))
    # The raw pixels alone are the same for 200x20000 and 20000x200 of one colour: the key
    # covers the shape too, or one photo's variants would be served for the other.
    shape = f"{image.mode} {image.width}x{image.height}\n".encode()
    digest = hashlib.sha256(shape + image.tobytes()).hexdigest()
    targets = _targets(image.width, image.height, widths)
    largest = _resized(image, targets[-1], image.width, image.height)
    if len(targets) > 1:
        buffer = io.BytesIO()
        if largest.mode == "RGB":
            # JPEG at 95 without chroma subsampling: a fraction of a WebP's encoding time, and
            # no loss the variants made from it would show. A new image: no metadata.
            largest.save(buffer, "JPEG", quality=95, subsampling=0)
            storage.put(source_key(digest), buffer.getvalue(), "image/jpeg")
        else:
            largest.save(buffer, "PNG", compress_level=1)
            storage.put(source_key(digest), buffer.getvalue(), "image/png")
    _put_variant(storage, digest, _resized(largest, targets[0], image.width, image.height))
    return StoredPhoto(key=digest, width=image.width, height=image.height, widths=(targets[0],))


def make_variants(
    photo: StoredPhoto, storage: LocalStorage, widths: tuple[int, ...]
) -> tuple[int, ...]:
    """Make the variants ``photo`` lacks from its stored source; returns the widths it has.

    Nothing is read or written when none is missing, so running it twice is harmless.
    """
    targets = _targets(photo.width, photo.height, widths)
    missing = [w for w in targets if w not in photo.widths]
    if not missing:
        return photo.widths
    # A storage error fails the job (logged, retried by running it again); the page goes on
    # showing the variants that exist.
    source = Image.open(io.BytesIO(storage.read(source_key(photo.key))))
    source.load()
    # Largest first, each from the previous one: a cascade is cheaper than from the source.
    current = source
    for width in sorted(missing, reverse=True):
        current = _resized(current, width, photo.width, photo.height)
        _put_variant(storage, photo.key, current)
    return tuple(sorted({*photo.widths, *missing}))


#: The picture link previews show large: Facebook asks for 1.91:1 and 1200 x 630 for the
#: best display (600 x 315 at least for the large card), WhatsApp shows no picture over
#: 300 KB, and not every fetcher takes WebP: so a JPEG of that shape under that weight.
SHARE_SIZE = (1200, 630)
SHARE_MAX_BYTES = 300 * 1024
SHARE_QUALITIES = (82, 72, 60, 45)


def share_image_key(key: str) -> str:
    return f"photos/{key}/share.jpg"


def _share_picture(image: Image.Image) -> Image.Image:
    """The middle of the photo at 1.91:1, at most 1200 wide (never enlarged)."""
    target_w, target_h = SHARE_SIZE
    image = image.convert("RGB")
    if image.width * target_h > image.height * target_w:  # wider than 1.91:1: trim the sides
        width = round(image.height * target_w / target_h)
        left = (image.width - width) // 2
        image = image.crop((left, 0, left + width, image.height))
    else:  # taller: trim top and bottom
        height = round(image.width * target_h / target_w)
        top = (image.height - height) // 2
        image = image.crop((0, top, image.width, top + height))
    if image.width > target_w:
        image = image.resize(SHARE_SIZE, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return image


def make_share_image(photo: PhotoVariants, storage: LocalStorage) -> str:
    """Store the link-preview JPEG of a stored photo once; returns its storage key.

    Made from the cleaned source (or its largest WebP variant when no source was kept),
    so the same content hash always gives the same picture.
    """
    key = share_image_key(photo.key)
    if storage.exists(key):
        return key
    source = source_key(photo.key)
    if not storage.exists(source):
        source = photo.variant_key(photo.widths[-1])
        if not storage.exists(source):
            raise PhotoError(_l("Foto ini tidak tersimpan lagi."))
    data = storage.read(source)
    with Image.open(io.BytesIO(data)) as opened:
        picture = _share_picture(opened)
    for quality in SHARE_QUALITIES:
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
        if buffer.tell() <= SHARE_MAX_BYTES:
            break
    storage.put(key, buffer.getvalue(), "image/jpeg")
    return key


def process_photo(data: bytes, storage: LocalStorage, widths: tuple[int, ...]) -> StoredPhoto:
    """The whole pipeline at once: check, clean and store every WebP variant."""
    stored = accept_photo(data, storage, widths)
    return replace(stored, widths=make_variants(stored, storage, widths))


def photo_models() -> list[type]:
    """Every model whose rows show a stored photo: each is a ``PhotoVariants`` table."""
    return sorted(
        (model for model in PhotoVariants.__subclasses__() if hasattr(model, "__table__")),
        key=lambda model: model.__tablename__,
    )


def _rows_holding(key: str) -> list:
    """Every row that shows the photo ``key``: a product's, a form's upload, an application's."""
    return [
        row
        for model in photo_models()
        for row in db.session.scalars(select(model).where(model.key == key))
    ]


def photos_missing_variants(widths: tuple[int, ...]) -> list[str]:
    """The content hashes of stored photos a row shows without all their variants."""
    keys: set[str] = set()
    for model in photo_models():
        query = select(model.key, model.width, model.height, model.variant_widths).distinct()
        for key, width, height, variant_widths in db.session.execute(query):
            have = {int(w) for w in variant_widths.split(",") if w}
            if set(_targets(width, height, widths)) - have:
                keys.add(key)
    return sorted(keys)


def queue_variants(key: str) -> None:
    """Make the rest of the photo's variants after this unit of work commits."""
    enqueue("catalog.make_photo_variants", key)


@job("catalog.make_photo_variants")
def make_photo_variants(key: str) -> None:
    """Make the missing variants of the stored photo ``key`` and record them on its rows.

    It takes the content hash, not a row's id: an upload's row becomes a product's photo
    when the form is saved, and a copied product shares the photo, so whichever rows hold
    the photo when the job runs are the ones updated. A second run finds nothing missing
    and writes nothing.
    """
    rows = _rows_holding(key)
    if not rows:
        return
    have = sorted({w for row in rows for w in row.widths})
    first = rows[0]
    stored = StoredPhoto(key=key, width=first.width, height=first.height, widths=tuple(have))
    widths = make_variants(stored, get_storage(), current_app.config["PHOTO_WIDTHS"])
    recorded = ",".join(map(str, widths))
    for row in rows:
        if row.variant_widths != recorded:
            row.variant_widths = recorded
