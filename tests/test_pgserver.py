"""The throwaway PostgreSQL fixture itself (tests/pgserver.py): it starts, answers, goes away and comes back."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text


def test_pg_url_is_an_empty_utf8_database(pg_url):
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
            assert conn.execute(text("SHOW server_encoding")).scalar() == "UTF8"
            tables = conn.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            ).scalar()
            assert tables == 0
            assert conn.execute(text("SELECT 'Đắk Lắk'")).scalar() == "Đắk Lắk"
    finally:
        engine.dispose()


def test_each_test_gets_its_own_database(pg_server, pg_url):
    other = pg_server.url(pg_server.create_database())
    assert other != pg_url
    pg_server.drop_database(other.rsplit("/", 1)[1])


def test_stop_and_start_keep_the_data(pg_server, pg_url):
    if not pg_server.can_restart:
        pytest.skip("KIEMCHUNG_TEST_PG server: not ours to stop")
    engine = create_engine(pg_url, pool_pre_ping=True)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x TEXT)"))
            conn.execute(text("INSERT INTO t VALUES ('Lam Sơn')"))
        pg_server.stop()
        engine.dispose()
        with pytest.raises(Exception):  # noqa: B017 - any connection error: the server is down
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        pg_server.start()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT x FROM t")).scalar() == "Lam Sơn"
    finally:
        if not pg_server.running:
            pg_server.start()
        engine.dispose()
