"""Images in the workbench and the API: the fact-check editor's image section (upload, show, remove),
stored images served safely (their real type, nosniff, no script), the image API and matching."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from imagekit import encoded, picture
from PIL import PngImagePlugin

from kiemchung import users as U
from kiemchung.claims import factchecks as fcs
from kiemchung.web import create_app

pytestmark = pytest.mark.pg_fulltext
PW = "matkhau-kiemchung-1"


@pytest.fixture
def wdb(any_db):
    for name, role in (("bientap", "editor"), ("xem", "viewer")):
        U.add_user(any_db, name, PW, role)
    fc = fcs.create_factcheck(any_db, "Ảnh cầu Tây Hà sập là ảnh mới chụp hôm qua", "tin giả", editor="bientap",
                              evidence=["https://soyte.example/tb.html"])
    fcs.publish_factcheck(any_db, fc.id, "bientap")
    return any_db


def client(app, name: str) -> TestClient:
    c = TestClient(app)
    r = c.post("/login", data={"username": name, "password": PW, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303
    return c


def csrf_of(c: TestClient, page: str = "/factchecks/1") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get(page).text).group(1)


def test_editor_adds_shows_and_removes_an_image_served_safely(wdb):
    app = create_app(wdb)
    c = client(app, "bientap")
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(document.cookie)</script>")
    data = encoded(picture(3, (400, 300)), "PNG", pnginfo=info)
    r = c.post("/factchecks/1/images", data={"csrf": csrf_of(c)},
               files={"image": ("anh.svg", data, "image/svg+xml")}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/factchecks/1#images"
    page = c.get("/factchecks/1").text
    assert 'src="/images/1"' in page and "siêu dữ liệu chứa mã lệnh" in page
    img = c.get("/images/1")
    assert img.status_code == 200 and img.headers["content-type"] == "image/png"
    assert img.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in img.headers["content-security-policy"]
    assert img.headers["content-disposition"].startswith("inline") and b"<script" not in img.content
    # a viewer sees the image but cannot add or remove
    v = client(app, "xem")
    assert v.get("/images/1").status_code == 200
    assert v.post("/factchecks/1/images/1/remove", data={"csrf": csrf_of(v)}).status_code == 403
    # an SVG is refused with the reason, whatever it is called
    r = c.post("/factchecks/1/images", data={"csrf": csrf_of(c)},
               files={"image": ("anh.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/png")})
    assert r.status_code == 400 and "Không phải ảnh" in r.text and "<svg" not in r.text
    r = c.post("/factchecks/1/images/1/remove", data={"csrf": csrf_of(c)}, follow_redirects=False)
    assert r.status_code == 303 and 'src="/images/1"' not in c.get("/factchecks/1").text
    assert c.get("/images/999").status_code == 404


def test_image_api_add_list_match_remove(wdb):
    app = create_app(wdb)
    tokens = {n: U.create_token(wdb, n) for n in ("bientap", "xem")}
    ed = TestClient(app, headers={"Authorization": f"Bearer {tokens['bientap']}"})
    vw = TestClient(app, headers={"Authorization": f"Bearer {tokens['xem']}"})
    original = picture(12, (500, 400))
    assert vw.post("/api/v1/factchecks/1/images", files={"image": ("a.jpg", encoded(original), "image/jpeg")}).status_code == 403
    r = ed.post("/api/v1/factchecks/1/images", files={"image": ("a.jpg", encoded(original), "image/jpeg")})
    assert r.status_code == 201 and r.json()["mime"] == "image/jpeg" and len(r.json()["phash"]) == 16
    image_id = r.json()["id"]
    assert [i["id"] for i in vw.get("/api/v1/factchecks/1/images").json()] == [image_id]
    meta = vw.get(f"/api/v1/images/{image_id}").json()
    assert meta["links"] == [{"target": "factcheck", "target_id": 1, "source_url": None}]
    f = vw.get(f"/api/v1/images/{image_id}/file")
    assert f.headers["content-type"] == "image/jpeg" and f.headers["x-content-type-options"] == "nosniff"
    copy = encoded(original.resize((250, 200)), "PNG")
    found = vw.post("/api/v1/images/match", files={"image": ("b.png", copy, "image/png")}).json()
    assert [(m["factcheck_id"], m["method"]) for m in found] == [(1, "phash")]
    none = vw.post("/api/v1/images/match", files={"image": ("c.png", encoded(picture(13, (500, 400)), "PNG"), "image/png")})
    assert none.status_code == 200 and none.json() == []
    bad = vw.post("/api/v1/images/match", files={"image": ("d.gif", b"GIF89a" + b"\x00" * 20, "image/gif")})
    assert bad.status_code == 400
    assert ed.delete(f"/api/v1/factchecks/1/images/{image_id}").json()["removed"] is True
    assert ed.delete(f"/api/v1/factchecks/1/images/{image_id}").status_code == 404
    assert "/api/v1/images/match" in vw.get("/api/v1/openapi.json").json()["paths"]
