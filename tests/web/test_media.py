from __future__ import annotations

from pathlib import Path

from django.test import Client


def test_gallery_images_are_public_but_other_media_is_not(db, settings):
    # Given a gallery picture and a private delivery file under MEDIA_ROOT
    root = Path(settings.MEDIA_ROOT)
    (root / "gallery" / "1").mkdir(parents=True)
    (root / "gallery" / "1" / "pic.jpg").write_bytes(b"jpeg")
    (root / "deliveries" / "1").mkdir(parents=True)
    (root / "deliveries" / "1" / "secret.pdf").write_bytes(b"pdf")
    client = Client()
    # Then the picture is served and the delivery file is not reachable by URL
    assert client.get("/media/gallery/1/pic.jpg").status_code == 200
    assert client.get("/media/deliveries/1/secret.pdf").status_code == 404
    assert client.get("/media/gallery/../deliveries/1/secret.pdf").status_code in (400, 404)
