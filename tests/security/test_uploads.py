"""A corpus of bad uploads fed to the photo pipeline: each is refused with a reason, or
re-encoded so that nothing but pixels survives; none ends in an unhandled error.

tests/catalog/test_photos.py covers PDF, HTML, bare SVG, empty, header-only and GIF
files, the 100 MP PNG, a JPEG cut after 2 kB and oversized files; these are the others.
"""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from marketplace.catalog.photos import PhotoError, StoredPhoto, process_photo
from marketplace.storage import LocalStorage

WIDTHS = (320, 480, 640, 1280)
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
UNREADABLE = "bukan foto yang bisa dibaca"
DAMAGED = "rusak atau terpotong"
TOO_BIG = "40 megapiksel"
WRONG_FORMAT = "JPEG, PNG, WebP atau HEIC"


def encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def photo(format: str = "JPEG", size=(640, 480), **options) -> bytes:
    return encoded(Image.new("RGB", size, (200, 120, 40)), format, **options)


def claiming_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The same JPEG with other dimensions written in its frame header (SOF0)."""
    at = jpeg.index(b"\xff\xc0")
    return jpeg[: at + 5] + struct.pack(">HH", height, width) + jpeg[at + 9 :]


def exif_with_text_in_a_number_tag() -> bytes:
    """EXIF turning the photo upright, with XResolution (a number) written as text."""
    entries = [
        struct.pack("<HHIHH", 0x0112, 3, 1, 6, 0),  # Orientation, SHORT: rotate 90°
        struct.pack("<HHI4s", 0x011A, 2, 3, b"72\x00\x00"),  # XResolution as ASCII "72"
    ]
    ifd = struct.pack("<H", len(entries)) + b"".join(entries) + struct.pack("<I", 0)
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + ifd


def zip_file() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("foto.jpg", b"not really")
    return buffer.getvalue()


def png_claiming_broken_header() -> bytes:
    png = photo("PNG", (60, 40))
    return png[:16] + b"\x00\x00\x00"  # IHDR cut after its type


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(str(tmp_path))


REFUSED = [
    ("zip named .jpg", zip_file(), UNREADABLE),
    ("windows program named .jpg", b"MZ\x90\x00" + b"\x00" * 200, UNREADABLE),
    ("html behind jpeg magic", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + HTML, UNREADABLE),
    (
        "svg with prolog and onload",
        b'<?xml version="1.0"?>\n<!DOCTYPE svg><svg xmlns="http://www.w3.org/2000/svg" '
        b'onload="alert(1)"><script>alert(2)</script></svg>',
        UNREADABLE,
    ),
    ("jpeg claiming 65000x65000", claiming_size(photo(), 65000, 65000), UNREADABLE),
    ("jpeg claiming 8000x6000", claiming_size(photo(), 8000, 6000), TOO_BIG),
    ("png of 50 megapixels", encoded(Image.new("1", (7100, 7100)), "PNG"), TOO_BIG),
    ("png cut in half", photo("PNG")[: len(photo("PNG")) // 2], DAMAGED),
    ("png with a broken header", png_claiming_broken_header(), DAMAGED),
    ("webp cut in half", photo("WEBP")[: len(photo("WEBP")) // 2], DAMAGED),
    ("jpeg cut in half", photo()[: len(photo()) // 2], DAMAGED),
    ("tiff named .jpg", photo("TIFF", (60, 40)), WRONG_FORMAT),
    ("bmp named .jpg", photo("BMP", (60, 40)), WRONG_FORMAT),
    ("a strip 1 px wide and 17000 tall", encoded(Image.new("L", (1, 17000)), "PNG"), UNREADABLE),
]


@pytest.mark.parametrize(("data", "reason"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_bad_file_is_refused_with_a_reason(storage, data, reason):
    with pytest.raises(PhotoError) as refused:
        process_photo(data, storage, WIDTHS)
    assert reason in str(refused.value.message)
    assert refused.value.field == "photo"
    assert not any(Path(storage.root).rglob("*.webp"))


def stored_files(storage: LocalStorage, stored: StoredPhoto) -> list[bytes]:
    return [
        storage.path(f"photos/{stored.key}/{width}.webp").read_bytes() for width in stored.widths
    ]


def assert_only_pixels_stored(storage: LocalStorage, stored: StoredPhoto) -> None:
    for data in stored_files(storage, stored):
        assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
        assert b"<script" not in data and b"<html" not in data and b"Exif" not in data


def png_with_html_inside() -> bytes:
    info = PngInfo()
    info.add_text("Comment", HTML.decode())
    return photo("PNG", pnginfo=info) + HTML


def jpeg_with_html_in_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = HTML.decode()  # ImageDescription
    return photo(exif=exif)


POLYGLOTS = [
    ("jpeg with html in a comment and after its end", photo(comment=HTML) + HTML),
    ("jpeg with html in its exif", jpeg_with_html_in_exif()),
    ("png with html in a text chunk and after its end", png_with_html_inside()),
    ("webp with html after its end", photo("WEBP") + HTML),
]


@pytest.mark.parametrize("data", [p[1] for p in POLYGLOTS], ids=[p[0] for p in POLYGLOTS])
def test_polyglot_is_re_encoded_without_its_html(storage, data):
    assert HTML in data
    stored = process_photo(data, storage, WIDTHS)
    assert stored.widths == (320, 480, 640)
    assert_only_pixels_stored(storage, stored)


def test_photo_with_a_damaged_exif_tag_is_still_turned_upright(storage):
    data = photo(size=(640, 480), exif=exif_with_text_in_a_number_tag())
    stored = process_photo(data, storage, WIDTHS)
    assert (stored.width, stored.height) == (480, 640)
    assert_only_pixels_stored(storage, stored)


def test_a_long_screenshot_is_stored_within_webp_limits(storage):
    # 700x17000: a variant at its own width would be 17000 px tall, more than WebP holds.
    stored = process_photo(encoded(Image.new("L", (700, 17000)), "PNG"), storage, WIDTHS)
    assert stored.widths == (320, 480, 640)
    narrow = process_photo(encoded(Image.new("L", (100, 17000)), "PNG"), storage, WIDTHS)
    assert narrow.widths == (96,)
    with Image.open(storage.path(f"photos/{narrow.key}/96.webp")) as variant:
        assert variant.size == (96, 16320)


def test_same_pixels_in_another_shape_get_their_own_variants(storage):
    tall = process_photo(photo("PNG", (30, 600)), storage, WIDTHS)
    wide = process_photo(photo("PNG", (600, 30)), storage, WIDTHS)
    assert tall.key != wide.key
    with Image.open(storage.path(f"photos/{tall.key}/30.webp")) as variant:
        assert variant.size == (30, 600)


def _small_originals() -> list[bytes]:
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "S", 2: (3.0, 19.0, 0.0)}
    return [
        photo("JPEG", (64, 48), exif=exif),
        photo("PNG", (64, 48), exif=exif),
        photo("WEBP", (64, 48), exif=exif),
        encoded(Image.new("P", (64, 48)), "PNG", transparency=0),
    ]


ORIGINALS = _small_originals()


@st.composite
def damaged_photos(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(ORIGINALS)))
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))])


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=damaged_photos())
def test_damaged_photos_are_stored_or_refused_never_an_error(storage, data):
    with warnings.catch_warnings():
        # Pillow warns about damaged metadata and carries on; the suite turns warnings into
        # errors, a server only logs them.
        warnings.simplefilter("ignore", UserWarning)
        try:
            stored = process_photo(data, storage, WIDTHS)
        except PhotoError as refused:
            assert refused.field == "photo" and str(refused.message)
            return
    assert_only_pixels_stored(storage, stored)
