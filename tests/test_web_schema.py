"""Schemathesis against the generated OpenAPI document, in process, with an admin token: no 500s."""

from __future__ import annotations

import pytest
from factories import make_doc
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")

from kiemchung import users as U  # noqa: E402
from kiemchung.ingest import Ingestor  # noqa: E402
from kiemchung.web import create_app  # noqa: E402


@pytest.fixture
def api_schema(tmp_path):
    from kiemchung.store import Database

    db = Database(tmp_path / "schema.db")
    Ingestor(db).add(
        [
            make_doc("Đường Lam Sơn ngập nặng", "Mưa lớn gây ngập", url=f"https://ls.vn/{i}", day=i + 1)
            for i in range(5)
        ]
    )
    U.add_user(db, "root", "mat-khau-root-1", "admin")
    app = create_app(db)
    app.state.test_token = U.create_token(db, "root")
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


def test_api_never_500(api_schema):
    token = api_schema.app.state.test_token
    ops = [result.ok() for result in api_schema.get_all_operations()]
    assert len(ops) >= 7

    for op in ops:

        @given(case=op.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500, (
                case.method,
                case.path,
                response.status_code,
                response.text[:300],
            )

        run()
