"""Photo variants as a job: the upload answers with the smallest one, a job makes the rest."""

from __future__ import annotations

import io
import re

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from marketplace.catalog.models import PhotoUpload, Product, ProductStatus
from marketplace.catalog.photos import make_photo_variants, source_key
from marketplace.db import db
from marketplace.jobs import QUEUE_NAME, _run
from marketplace.sellers import applications as seller_services_applications
from marketplace.sellers.models import SellerApplication
from marketplace.storage import LocalStorage, get_storage
from tests import factories

ALL_WIDTHS = [320, 480, 640, 1280]


@pytest.fixture
def queued(app, own_redis):
    """Jobs go to a real Redis queue instead of running after the request."""
    redis = Redis.from_url(own_redis)
    redis.flushdb()
    app.config["REDIS_URL"] = own_redis
    queue = Queue(QUEUE_NAME, connection=redis)
    yield queue
    app.config["REDIS_URL"] = ""
    redis.flushdb()


@pytest.fixture
def seller(login_as):
    seller = factories.make_seller()
    login_as(user=seller.user)
    return seller


def _failed_form(client, **fields):
    """The product form sent without a price: it comes back (400) showing the photos kept."""
    form = factories.listing_form(price="", **fields)
    response = client.post("/penjual/produk/baru", data=form)
    assert response.status_code == 400
    return response.get_data(as_text=True)


def _srcset_widths(html: str) -> list[int]:
    [srcset] = re.findall(r'srcset="([^"]*)"', html)
    return [int(w) for w in re.findall(r" (\d+)w", srcset)]


def _srcset_urls(html: str) -> list[str]:
    [srcset] = re.findall(r'srcset="([^"]*)"', html)
    return [item.split(" ")[0] for item in srcset.split(", ")]


def _all_served(client, html: str) -> None:
    for url in _srcset_urls(html):
        response = client.get(url)
        response.close()
        assert response.status_code == 200, url


def _variants_on_disk(key: str) -> list[int]:
    storage = get_storage()
    return [w for w in ALL_WIDTHS if storage.exists(f"photos/{key}/{w}.webp")]


def _upload_photo(client, colour):
    photo = factories.photo_bytes(1600, 1200, colour=colour)
    html = _failed_form(client, photos=[(io.BytesIO(photo), "IMG_0001.jpg")])
    upload = db.session.scalar(select(PhotoUpload).order_by(PhotoUpload.id.desc()))
    return upload, html


def test_upload_answers_with_the_smallest_variant_and_queues_the_rest(client, seller, queued):
    upload, html = _upload_photo(client, (11, 90, 140))
    assert upload.widths == [320]
    assert _variants_on_disk(upload.key) == [320]
    assert get_storage().exists(source_key(upload.key))
    [queued_job] = queued.jobs
    assert queued_job.args == ("catalog.make_photo_variants", upload.key)
    # The form shows the photo at once, listing only what exists: nothing 404s.
    assert _srcset_widths(html) == [320]
    _all_served(client, html)


def test_the_job_makes_the_other_variants_and_the_page_lists_them(client, seller, queued):
    upload, _ = _upload_photo(client, (12, 91, 141))
    make_photo_variants(upload.key)
    db.session.commit()
    assert _variants_on_disk(upload.key) == ALL_WIDTHS
    db.session.refresh(upload)
    assert upload.widths == ALL_WIDTHS
    html = _failed_form(client, upload_ids=[str(upload.id)])
    assert _srcset_widths(html) == ALL_WIDTHS
    _all_served(client, html)


def test_the_job_finds_the_photo_after_the_form_made_it_a_products(app, client, seller, queued):
    # With a worker, the job may run after the upload's row became the product's photo.
    form = factories.listing_form(
        photos=[(io.BytesIO(factories.photo_bytes(1600, 1200, colour=(13, 92, 142))), "a.jpg")]
    )
    assert client.post("/penjual/produk/baru", data=form).status_code == 302
    product = db.session.scalar(select(Product).where(Product.seller_id == seller.id))
    [photo] = product.photos
    assert photo.widths == [320]
    product.status = ProductStatus.PUBLISHED.value
    db.session.commit()
    visitor = app.test_client()  # anonymous: the public page is served from the page cache
    page = f"/produk/{product.slug}"
    assert _srcset_widths(visitor.get(page).get_data(as_text=True)) == [320]
    [queued_job] = queued.jobs
    make_photo_variants(*queued_job.args[1:])
    db.session.commit()
    db.session.refresh(photo)
    assert photo.widths == ALL_WIDTHS
    # The job's change moves the catalogue version: the cached page is made again.
    html = visitor.get(page).get_data(as_text=True)
    assert _srcset_widths(html) == ALL_WIDTHS
    _all_served(visitor, html)


def test_running_the_job_twice_changes_nothing(client, seller, queued, count_queries):
    upload, _ = _upload_photo(client, (14, 93, 143))
    make_photo_variants(upload.key)
    db.session.commit()
    folder = get_storage().path(f"photos/{upload.key}")
    before = {f.name: f.stat().st_mtime_ns for f in folder.iterdir()}
    with count_queries() as statements:
        make_photo_variants(upload.key)
        db.session.commit()
    assert not [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT"))]
    assert {f.name: f.stat().st_mtime_ns for f in folder.iterdir()} == before
    db.session.refresh(upload)
    assert upload.widths == ALL_WIDTHS


class FullDisk(LocalStorage):
    """The media folder, refusing every new file as a full disk would."""

    def put(self, key, data, content_type):
        raise OSError(28, "No space left on device")


def test_a_failing_job_leaves_the_page_showing_what_exists(
    app, client, seller, queued, monkeypatch
):
    upload, _ = _upload_photo(client, (15, 94, 144))
    monkeypatch.setattr(
        "marketplace.catalog.photos.get_storage", lambda: FullDisk(app.config["MEDIA_ROOT"])
    )
    # As a worker runs it: its own app context and session, rolled back when it fails.
    with app.app_context(), pytest.raises(OSError):
        _run("catalog.make_photo_variants", (upload.key,))
    db.session.refresh(upload)
    assert upload.widths == [320]
    html = _failed_form(client, upload_ids=[str(upload.id)])
    assert _srcset_widths(html) == [320]
    _all_served(client, html)
    # Once the disk has room, the upkeep command queues the job again; it finishes the work.
    monkeypatch.undo()
    queued.empty()
    result = app.test_cli_runner().invoke(args=["catalog", "photo-variants"])
    assert result.exit_code == 0 and "1 photo(s) queued" in result.output
    [queued_job] = queued.jobs
    assert queued_job.args == ("catalog.make_photo_variants", upload.key)
    make_photo_variants(upload.key)
    db.session.commit()
    db.session.refresh(upload)
    assert upload.widths == ALL_WIDTHS


def test_a_shop_applications_photo_gets_its_variants_too(seller, queued):
    user = factories.make_user()
    values = seller_services_applications.ApplicationInput(
        shop_name="Amplang Bu Sari",
        owner_name="Sari",
        region_id=factories.region().id,
        village="Selumit",
        whatsapp="081234567890",
    )
    photo = seller_services_applications.receive_photo(
        factories.photo_bytes(1600, 1200, colour=(16, 95, 145)),
        get_storage(),
        (320, 480, 640, 1280),
    )
    application = seller_services_applications.apply_for_shop(user.id, values, photo)
    db.session.commit()
    assert application.widths == [320]
    [queued_job] = queued.jobs
    make_photo_variants(*queued_job.args[1:])
    db.session.commit()
    assert db.session.get(SellerApplication, application.id).widths == ALL_WIDTHS


def test_variants_made_later_keep_the_pkk_approval_of_the_photos_seen(
    client, seller, queued, login_as
):
    form = factories.listing_form(
        photos=[(io.BytesIO(factories.photo_bytes(1600, 1200, colour=(17, 96, 146))), "a.jpg")]
    )
    assert client.post("/penjual/produk/baru", data=form).status_code == 302
    product = db.session.scalar(select(Product).where(Product.seller_id == seller.id))
    product.status = ProductStatus.PENDING_REVIEW.value
    db.session.commit()
    login_as("reviewer")
    page = client.get(f"/pkk/tinjauan/{product.id}").get_data(as_text=True)
    [seen] = re.findall(r'name="photo_keys"[^>]*value="([^"]*)"', page)
    assert seen == product.photos[0].key
    make_photo_variants(seen)  # the job runs while the reviewer looks
    db.session.commit()
    data = {"decision": "approve", "photo_keys": seen}
    assert client.post(f"/pkk/tinjauan/{product.id}", data=data).status_code == 302
    db.session.refresh(product)
    assert product.status == "published" and product.approved_photo_keys() == seen
    assert product.photos[0].widths == ALL_WIDTHS
