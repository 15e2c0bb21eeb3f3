"""Shared fixtures: a fresh real SQLite file per test, and small invented Vietnamese documents.

PostgreSQL (issue 13, server mode): ``pg_server`` is one throwaway PostgreSQL cluster for the whole
run (tests/pgserver.py; KIEMCHUNG_TEST_PG points at an existing server instead), skipped with the
reason when there is none. ``pg_url`` is a fresh empty database on it per test (dropped after).
``backend`` is parametrised over ``sqlite`` and ``postgresql``; ``any_db_target`` is a fresh store
address on that backend (a file path or a ``postgresql+psycopg://`` URL) and ``any_db`` an open
``Database`` on it. A test module runs its ``db`` tests on both backends with::

    @pytest.fixture
    def db(any_db):
        return any_db

``factories.target_of(db)`` is what to hand a ``kiemchung --db`` subprocess (path or URL). Marks:
``sqlite_only`` (tests SQLite itself: WAL, triggers, the sqlite3 shell) and ``pg_fulltext`` (needs
PostgreSQL full-text search; its PostgreSQL half skips until that is in, see PG_FULLTEXT).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from factories import make_doc
from pgserver import PgServer, PgUnavailable

from kiemchung.store import Database

# Property tests explore new random examples on every developer run; CI (.ci/run sets
# HYPOTHESIS_PROFILE=ci) replays a fixed derandomized set so that a landing is never decided by luck.
# A failure found locally becomes a regression test (an @example or a fixture).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The address guard refuses loopback; the local HTTP servers the tests run on 127.0.0.1 are reached
# through the allow-list, the way an installation lists an intranet host. Set here, before any test
# runs, so the `kiemchung` processes tests start inherit it. Tests of the guard itself remove it
# (fixture `no_allow_list` in tests/test_ssrf.py) or bind 127.0.0.2, which the list leaves out.
os.environ["KIEMCHUNG_FETCH_ALLOW_HOSTS"] = "127.0.0.1, localhost"

BACKENDS = ("sqlite", "postgresql")
_PG_TEMPLATE = "kc_template_head"

# Tests marked ``pg_fulltext`` store documents (storing one writes the full-text index) or search:
# their PostgreSQL half runs since full-text search on PostgreSQL is in (store/backends/postgresql.py);
# KIEMCHUNG_TEST_PG_FULLTEXT=0 skips it with this reason.
PG_FULLTEXT = os.environ.get("KIEMCHUNG_TEST_PG_FULLTEXT", "1") == "1"
PG_FULLTEXT_PENDING = "PostgreSQL full-text index not in yet (issue 13 §2, store backend): PostgreSQL half skipped"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "pg_fulltext: needs full-text search on PostgreSQL (KIEMCHUNG_TEST_PG_FULLTEXT=0 skips its PostgreSQL half)"
    )
    config.addinivalue_line("markers", "sqlite_only: tests SQLite itself (skips its PostgreSQL half)")


@pytest.fixture(scope="session")
def pg_server():
    """One throwaway PostgreSQL server for the run (or KIEMCHUNG_TEST_PG); skips when there is none."""
    try:
        server = PgServer.launch()
    except PgUnavailable as exc:
        if os.environ.get("KIEMCHUNG_TEST_PG_REQUIRED"):  # CI (.ci/run): the PostgreSQL half must run
            pytest.fail(f"PostgreSQL unavailable and KIEMCHUNG_TEST_PG_REQUIRED is set: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    yield server
    server.close()


@pytest.fixture
def pg_url(pg_server):
    """A fresh, empty PostgreSQL database for this test (an SQLAlchemy postgresql+psycopg URL)."""
    name = pg_server.create_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture(scope="session")
def _pg_migrated_template(pg_server):
    """A database migrated to head once per run; each test's store is a copy of it (fast)."""
    name = pg_server.create_database(_PG_TEMPLATE)
    database = Database(pg_server.url(name))
    database.close()
    yield name
    pg_server.drop_database(name)


@pytest.fixture(params=BACKENDS)
def backend(request):
    """The backend name, ``sqlite`` or ``postgresql`` (the PostgreSQL half skips without a server)."""
    return request.param


@pytest.fixture
def any_db_target(backend, tmp_path, request):
    """A fresh store address on ``backend``: a SQLite file path, or a PostgreSQL URL of a new
    database already migrated to head (dropped after the test)."""
    if backend == "sqlite":
        yield str(tmp_path / "kc.db")
        return
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("tests SQLite itself")
    if not PG_FULLTEXT and request.node.get_closest_marker("pg_fulltext"):
        pytest.skip(PG_FULLTEXT_PENDING)
    server = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("_pg_migrated_template")
    name = server.create_database(template=template)
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture
def any_db(any_db_target):
    """An open ``Database`` on the parametrised backend."""
    database = Database(any_db_target)
    yield database
    database.close()


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "kc.db")
    yield database
    database.close()


@pytest.fixture
def sample_docs():
    """A handful of invented news items about the fictional province of Lam Sơn."""
    return [
        make_doc(
            "Tỉnh Lam Sơn khai trương cầu Bến Đá",
            "Cầu Bến Đá dài 1.200 m nối hai huyện Tây Hà và Đông Hà được đưa vào sử dụng sáng nay.",
            url="https://baolamson.vn/cau-ben-da-khai-truong.html",
            day=2,
        ),
        make_doc(
            "Nước chanh không chữa được sốt xuất huyết",
            "Sở Y tế Lam Sơn cho biết uống nước chanh không thể thay thế việc điều trị sốt xuất huyết.",
            url="https://tinlamson.vn/nuoc-chanh-sot-xuat-huyet.html",
            day=5,
        ),
        make_doc(
            "Hòa Bình thôn mới đón nước sạch",
            "Hơn 300 hộ dân xã Hòa Bình, huyện Tây Hà đã có nước sạch sinh hoạt sau nhiều năm chờ đợi.",
            url="https://baolamson.vn/hoa-binh-nuoc-sach.html",
            day=9,
        ),
        make_doc(
            "Giá vàng hôm nay tăng mạnh",
            "Giá vàng miếng trong nước tăng 500.000 đồng mỗi lượng so với hôm qua.",
            url="https://kinhte-lamson.vn/gia-vang.html",
            day=12,
        ),
        make_doc(
            "",
            "mn ơi ko uống nước máy nha, nghe nói nước máy Tây Hà nhiễm độc, chia sẻ ngay",
            kind="post",
            external_id="p-1",
            platform="facebook",
            author="@nguoidung123",
            day=14,
        ),
    ]


@pytest.fixture
def smtp():
    """A local SMTP server (aiosmtpd) on a free loopback port: yields ``(port, received envelopes)``."""
    import socket

    from aiosmtpd.controller import Controller

    got = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            got.append(envelope)
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctl = Controller(Handler(), hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield port, got
    finally:
        ctl.stop()
