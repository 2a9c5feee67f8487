"""Photos in S3: the real boto3 client against moto's S3 server over HTTP."""

from __future__ import annotations

import hashlib
import io
import tarfile

import boto3
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from marketplace import create_app
from marketplace.backup import create_backup
from marketplace.catalog.photos import process_photo
from marketplace.storage import S3Storage
from tests.conftest import app_settings

BUCKET = "pasar-oleh-oleh-test"


@pytest.fixture(scope="module")
def s3_endpoint(monkeypatch_module):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "ap-southeast-3",
    }.items():
        monkeypatch_module.setenv(name, value)
    boto3.client("s3", endpoint_url=endpoint).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-3"}
    )
    yield endpoint
    server.stop()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture
def s3_app(s3_endpoint):
    return create_app(app_settings(S3_BUCKET=BUCKET, S3_ENDPOINT_URL=s3_endpoint))


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), (30, 120, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_s3_setting_selects_s3_storage(s3_app):
    assert isinstance(s3_app.extensions["storage"], S3Storage)


def test_photo_variants_go_to_the_bucket_and_are_served_through_the_app(s3_app, s3_endpoint):
    storage = s3_app.extensions["storage"]
    stored = process_photo(jpeg(), storage, (320, 640))
    keys = {
        obj["Key"]
        for obj in boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(Bucket=BUCKET)[
            "Contents"
        ]
    }
    assert {f"photos/{stored.key}/320.webp", f"photos/{stored.key}/640.webp"} <= keys
    response = s3_app.test_client().get(f"/media/photos/{stored.key}/640.webp")
    assert response.status_code == 200 and response.mimetype == "image/webp"
    assert "immutable" in response.headers["Cache-Control"]
    assert Image.open(io.BytesIO(response.data)).width == 640


def test_a_photo_the_browser_holds_is_answered_304_without_its_bytes(s3_app):
    stored = process_photo(jpeg(), s3_app.extensions["storage"], (320,))
    client = s3_app.test_client()
    path = f"/media/photos/{stored.key}/320.webp"
    first = client.get(path)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and tag

    again = client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == tag and "immutable" in again.headers["Cache-Control"]

    other = client.get(path, headers={"If-None-Match": '"another-photo"'})
    assert other.status_code == 200 and other.data == first.data
    several = client.get(path, headers={"If-None-Match": f'{tag}, "another-photo"'})
    assert several.status_code == 200 and several.data == first.data


def test_a_missing_object_is_404(s3_app):
    assert s3_app.test_client().get("/media/photos/nothing/320.webp").status_code == 404


def test_media_url_links_pages_to_the_bucket_directly(s3_endpoint):
    app = create_app(
        app_settings(
            S3_BUCKET=BUCKET, S3_ENDPOINT_URL=s3_endpoint, MEDIA_URL=f"{s3_endpoint}/{BUCKET}"
        )
    )
    html = app.test_client().get("/produk").get_data(as_text=True)
    assert f'src="{s3_endpoint}/{BUCKET}/photos/' in html
    csp = app.test_client().get("/").headers["Content-Security-Policy"]
    assert f"img-src 'self' data: {s3_endpoint}" in csp


def test_a_prefix_keeps_the_site_in_its_own_folder_of_the_bucket(s3_endpoint):
    app = create_app(
        app_settings(
            S3_BUCKET=BUCKET,
            S3_ENDPOINT_URL=s3_endpoint,
            S3_PREFIX="pasar/",
            MEDIA_URL=f"{s3_endpoint}/{BUCKET}",
        )
    )
    storage = app.extensions["storage"]
    stored = process_photo(jpeg(), storage, (320,))
    key = f"photos/{stored.key}/320.webp"
    listed = boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(
        Bucket=BUCKET, Prefix="pasar/"
    )
    assert f"pasar/{key}" in {obj["Key"] for obj in listed["Contents"]}
    assert storage.exists(key) and storage.read(key)[:4] == b"RIFF"
    with app.test_request_context():
        assert storage.url(key) == f"{s3_endpoint}/{BUCKET}/pasar/{key}"
    assert app.test_client().get(f"/media/{key}").status_code == 200


def test_a_backup_copies_every_photo_of_the_bucket_with_its_checksum(s3_app, tmp_path):
    data = b"RIFF0000WEBPVP8 backup"
    s3_app.extensions["storage"].put("photos/cadangan/320.webp", data, "image/webp")
    with s3_app.app_context():
        backup = create_backup(tmp_path)
        in_bucket = set(s3_app.extensions["storage"].all_keys())
        bare = create_backup(tmp_path / "tanpa-foto.tar.gz", photos=False)

    assert backup.manifest["photos"]["storage"] == "s3"
    photos = {name for name in backup.manifest["files"] if name.startswith("media/")}
    assert photos == {f"media/{key}" for key in in_bucket}
    listed = backup.manifest["files"]["media/photos/cadangan/320.webp"]
    assert listed == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    with tarfile.open(backup.path) as archive:
        assert archive.extractfile("media/photos/cadangan/320.webp").read() == data
    # --no-photos, when the bucket's versioning keeps them: the database and secrets only.
    assert bare.manifest["photos"]["included"] is False
    assert not any(name.startswith("media/") for name in bare.manifest["files"])
    assert backup.path.stat().st_mode & 0o077 == 0
