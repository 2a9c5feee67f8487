"""The photo pipeline: real content checked, orientation applied, metadata gone."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from marketplace.catalog.photos import PhotoError, process_photo
from marketplace.storage import LocalStorage

WIDTHS = (320, 480, 640, 1280)


def jpeg_with_gps_and_rotation(width=1600, height=1200) -> bytes:
    image = Image.new("RGB", (width, height), (200, 120, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x8825] = {1: "S", 2: (3.0, 19.0, 0.0), 3: "E", 4: (117.0, 35.0, 0.0)}  # GPS
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(str(tmp_path))


def test_variants_are_webp_at_the_chosen_widths(storage):
    stored = process_photo(jpeg_with_gps_and_rotation(), storage, WIDTHS)
    # 1280 is wider than the 1200 px upright photo: its own width is the largest variant.
    assert stored.widths == (320, 480, 640, 1200)
    for width in stored.widths:
        with Image.open(storage.path(f"photos/{stored.key}/{width}.webp")) as variant:
            assert variant.format == "WEBP" and variant.width == width


def test_exif_orientation_applied_and_metadata_stripped(storage):
    stored = process_photo(jpeg_with_gps_and_rotation(), storage, WIDTHS)
    # The phone held it upright: 1600x1200 with orientation 6 is a 1200x1600 portrait.
    assert (stored.width, stored.height) == (1200, 1600)
    with Image.open(storage.path(f"photos/{stored.key}/640.webp")) as variant:
        assert variant.height > variant.width
        assert not variant.getexif()
        assert "exif" not in variant.info and "xmp" not in variant.info


def test_same_photo_same_key(storage):
    data = jpeg_with_gps_and_rotation()
    assert process_photo(data, storage, WIDTHS).key == process_photo(data, storage, WIDTHS).key


def _png_bomb() -> bytes:
    # A tiny file that claims 10,000 x 10,000 pixels (100 megapixels).
    image = Image.new("1", (10000, 10000))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _truncated_jpeg() -> bytes:
    return jpeg_with_gps_and_rotation()[:2000]


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "GIF")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4 this is not a photo",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"<html><script>alert(1)</script></html>",
        b"",
        b"\xff\xd8\xff\xe0" + b"\x00" * 100,
    ],
    ids=["pdf", "svg-script", "html", "empty", "jpeg-header-only"],
)
def test_files_that_are_not_photos_are_refused(storage, data):
    with pytest.raises(PhotoError):
        process_photo(data, storage, WIDTHS)


def test_pixel_bomb_is_refused(storage):
    with pytest.raises(PhotoError) as error:
        process_photo(_png_bomb(), storage, WIDTHS)
    assert "megapiksel" in str(error.value.message) or "bukan foto" in str(error.value.message)


def test_truncated_photo_is_refused(storage):
    with pytest.raises(PhotoError):
        process_photo(_truncated_jpeg(), storage, WIDTHS)


def test_other_formats_are_refused_with_the_accepted_list(storage):
    with pytest.raises(PhotoError) as error:
        process_photo(_gif(), storage, WIDTHS)
    assert "JPEG, PNG, WebP atau HEIC" in str(error.value.message)


def test_oversized_files_are_refused(storage):
    with pytest.raises(PhotoError) as error:
        process_photo(b"\xff\xd8" + b"\x00" * (15 * 1024 * 1024 + 1), storage, WIDTHS)
    assert "15 MB" in str(error.value.message)


def test_storage_keys_cannot_leave_the_media_folder(storage):
    with pytest.raises(ValueError):
        storage.path("../secret")


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_images_are_refused(storage, fmt):
    frames = [Image.new("RGB", (64, 64), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with pytest.raises(PhotoError) as error:
        process_photo(buffer.getvalue(), storage, WIDTHS)
    assert "animasi" in str(error.value.message)


def test_cut_off_photos_stay_refused_after_a_pdf_is_made(app, storage):
    # WeasyPrint switches Pillow's LOAD_TRUNCATED_IMAGES on when it is imported.
    from marketplace.pdf import render_pdf

    with app.test_request_context():
        render_pdf("errors/error.html", code=404, message="-")
    with pytest.raises(PhotoError):
        process_photo(_truncated_jpeg(), storage, WIDTHS)


def _iphone_heic(width=1200, height=1600) -> bytes:
    """A real HEIC file written by pillow-heif (libheif), with an iPhone's EXIF.

    HEIF turns a photo with its own boxes (irot), which libheif applies while decoding;
    the EXIF orientation an iPhone also writes must then not turn it a second time.
    """
    from pillow_heif import register_heif_opener

    register_heif_opener()
    image = Image.new("RGB", (width, height), (30, 110, 200))
    image.paste((240, 240, 240), (0, 0, width // 4, height // 4))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation, already applied by the HEIF boxes
    exif[0x8825] = {1: "N", 2: (3.0, 19.0, 0.0), 3: "E", 4: (117.0, 35.0, 0.0)}  # GPS
    buffer = io.BytesIO()
    image.save(buffer, "HEIF", exif=exif, quality=70)
    return buffer.getvalue()


def test_iphone_heic_photos_are_accepted_upright_and_without_gps(storage):
    data = _iphone_heic()
    assert data[4:12] == b"ftypheic"
    stored = process_photo(data, storage, WIDTHS)
    assert (stored.width, stored.height) == (1200, 1600)
    assert stored.widths == (320, 480, 640, 1200)
    with Image.open(storage.path(f"photos/{stored.key}/640.webp")) as variant:
        assert variant.format == "WEBP" and variant.height > variant.width
        assert not variant.getexif() and "exif" not in variant.info
        # not turned twice: the light corner stays at the top left
        assert variant.getpixel((5, 5))[0] > 200 and variant.getpixel((600, 5))[0] < 100


def test_a_truncated_heic_is_refused(storage):
    data = _iphone_heic()
    with pytest.raises(PhotoError):
        process_photo(data[: len(data) // 2], storage, WIDTHS)
