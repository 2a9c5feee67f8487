"""The photo pipeline on one 12-megapixel camera JPEG, next to the naive way, in one run.

Pipeline: ``marketplace.catalog.photos.process_photo``, the whole work: the upload
request's part (``accept_photo``: reduced JPEG decoding with ``Image.draft``, the cleaned
source and the 320 px variant) plus the job's (``make_variants``: the other WebP variants
in a resize cascade). ``request_ms`` is the request's part alone. Naive: full decode, each variant
resized from the full image, the same WebP settings. The minimum of ``ROUNDS`` runs
each, interleaved. ``upload_bytes`` is what a phone sends after the page's own
``static/photo-shrink.js`` has shrunk the photo in headless Chromium.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

from bench.common import log, scratch

ROUNDS = 5
WIDTHS = (320, 480, 640, 1280)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent


def camera_photo() -> bytes:
    """A 4000x3000 JPEG at quality 92 with texture, the size a phone camera writes."""
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for n in range(40):
        x, y = (n * 397) % 3600, (n * 263) % 2600
        draw.rounded_rectangle(
            [x, y, x + 400, y + 300], radius=40, fill=(40 + n * 5, 120, 200 - n * 3)
        )
    # Sensor grain: what makes a real camera JPEG weigh 3 to 5 MB.
    grain = Image.effect_noise((4000, 3000), 40).convert("RGB")
    image = Image.blend(image.filter(ImageFilter.GaussianBlur(2)), grain, 0.25)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def naive(data: bytes) -> None:
    from PIL import Image, ImageOps

    from marketplace.catalog.photos import WEBP_QUALITY

    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    for width in WIDTHS:
        variant = image.resize(
            (width, round(image.height * width / image.width)), Image.Resampling.LANCZOS
        )
        variant.save(io.BytesIO(), "WEBP", quality=WEBP_QUALITY)


def upload_bytes(photo: Path) -> int:
    """What the browser sends after shrinking, through the page's own script."""
    from playwright.sync_api import sync_playwright

    page_file = photo.parent / "upload.html"
    page_file.write_text(
        '<!doctype html><input type="file" id="photos" accept="image/*" data-shrink="1280">'
        f'<script src="{(ROOT / "static" / "photo-shrink.js").as_uri()}"></script>'
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            page.set_input_files("#photos", str(photo))
            page.wait_for_selector("#photos[data-shrunk]", state="attached")
            return page.evaluate("document.querySelector('#photos').files[0].size")
        finally:
            browser.close()


def run() -> tuple[dict, dict]:
    from marketplace.catalog.photos import accept_photo, process_photo
    from marketplace.storage import LocalStorage

    data = camera_photo()
    folder = scratch() / "photo"
    folder.mkdir(parents=True, exist_ok=True)
    storage = LocalStorage(str(folder / "media"))
    pipeline_times, naive_times, request_times = [], [], []
    stored = None
    for _ in range(ROUNDS):
        started = time.perf_counter()
        stored = process_photo(data, storage, WIDTHS)
        pipeline_times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        naive(data)
        naive_times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        accept_photo(data, storage, WIDTHS)
        request_times.append((time.perf_counter() - started) * 1000)
    variant_bytes = {
        str(width): storage.path(f"photos/{stored.key}/{width}.webp").stat().st_size
        for width in stored.widths
    }
    photo_file = folder / "IMG_20261129_101500.jpg"
    photo_file.write_bytes(data)
    sent = upload_bytes(photo_file)
    pipeline_ms, naive_ms = min(pipeline_times), min(naive_times)
    request_ms = min(request_times)
    log(
        f"photo: pipeline {pipeline_ms:.0f} ms (request part {request_ms:.0f} ms), "
        f"naive {naive_ms:.0f} ms, upload {sent} bytes"
    )
    result = {
        "pipeline_ms": round(pipeline_ms, 1),
        "request_ms": round(request_ms, 1),
        "naive_ms": round(naive_ms, 1),
        "speedup": round(naive_ms / pipeline_ms, 2),
        "variant_bytes": variant_bytes,
        "upload_bytes": sent,
    }
    return result, {"original_bytes": len(data), "rounds": ROUNDS}
