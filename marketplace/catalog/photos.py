"""The photo pipeline: check, orient, strip, and store WebP variants.

The real content is checked with Pillow, never the file name or the
browser's type. Metadata (EXIF with GPS) is dropped: it would tell anyone
where a household lives.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import ExifTags, Image, UnidentifiedImageError
from pillow_heif import register_heif_opener

from marketplace.errors import MarketplaceError
from marketplace.storage import LocalStorage

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


def process_photo(data: bytes, storage: LocalStorage, widths: tuple[int, ...]) -> StoredPhoto:
    """Store WebP variants of an uploaded photo and return what was stored."""
    image = _load_oriented(data, max(widths))
    # The raw pixels alone are the same for 200x20000 and 20000x200 of one colour: the key
    # covers the shape too, or one photo's variants would be served for the other.
    shape = f"{image.mode} {image.width}x{image.height}\n".encode()
    digest = hashlib.sha256(shape + image.tobytes()).hexdigest()
    targets = [w for w in sorted(widths) if w < image.width] or [image.width]
    if image.width < max(widths) and image.width not in targets:
        targets.append(image.width)
    # WebP holds at most 16383 px a side: a very tall photo (a long screenshot) gets
    # only the variants that fit, or one narrow enough to fit.
    targets = [w for w in targets if round(image.height * w / image.width) <= WEBP_MAX_SIDE]
    if not targets:
        narrow = image.width * WEBP_MAX_SIDE // image.height
        if narrow < 1:  # over 16383 times taller than wide: a strip, not a photo
            raise PhotoError(_l("Berkas ini bukan foto yang bisa dibaca."), field="photo")
        targets = [narrow]
    stored: list[int] = []
    # Largest first, each from the previous one: a cascade is cheaper than from the original.
    current = image
    for width in sorted(targets, reverse=True):
        height = max(1, round(image.height * width / image.width))
        if current.width != width:
            current = current.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        buffer = io.BytesIO()
        current.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
        storage.put(f"photos/{digest}/{width}.webp", buffer.getvalue(), "image/webp")
        stored.append(width)
    return StoredPhoto(
        key=digest, width=image.width, height=image.height, widths=tuple(sorted(stored))
    )
