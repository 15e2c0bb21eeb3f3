"""Entity stage: provinces by dictionary scan, people/organisations by underthesea NER, resumable."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from kiemchung.entities import (
    EntityStage,
    document_entities,
    documents_in_province,
    extract_entities,
    province_counts,
)
from kiemchung.errors import ConfigError, NotFoundError
from kiemchung.ingest import Ingestor
from kiemchung.models import Document

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


VN = dt.timezone(dt.timedelta(hours=7))


def _docs():
    return [
        Document(url="https://a.example.vn/1", title="Quảng Nam khắc phục hậu quả mưa lũ",
                 lead="Ông Trần Văn Bình, Chủ tịch UBND tỉnh, kiểm tra các xã vùng núi.",
                 published_at=dt.datetime(2026, 3, 2, 8, tzinfo=VN)),
        Document(url="https://a.example.vn/2", title="Giá sầu riêng ở Đắk Lắk giảm",
                 lead="Nông dân dak lak và phu yen lo lắng vì thương lái ép giá.",
                 published_at=dt.datetime(2026, 3, 3, 8, tzinfo=VN)),
        Document(url="https://a.example.vn/3", title="Đà Nẵng đón khách du lịch",
                 lead="Thành phố đón hơn 10.000 lượt khách trong kỳ nghỉ.",
                 published_at=dt.datetime(2026, 3, 4, 8, tzinfo=VN)),
        Document(url="https://a.example.vn/4", title="Bài viết về hòa bình thế giới",
                 lead="Mọi người đều mong muốn hòa bình.", published_at=dt.datetime(2026, 3, 4, 9, tzinfo=VN)),
    ]


def test_extract_entities_with_ner():
    rows = extract_entities("Lãnh đạo Quảng Nam làm việc với Bộ Y tế tại Hà Nội",
                            "Ông Nguyễn Văn An, Giám đốc Sở Y tế, cho biết dịch đã được kiểm soát.")
    kinds = {(k, f) for k, _, f, _ in rows}
    assert ("province", "quang nam") in kinds
    assert any(k == "person" and "nguyen van an" in f for k, f in kinds)
    assert any(k == "org" for k, _ in kinds)
    assert [c for k, _, _, c in rows if k == "province"] == ["da-nang", "ha-noi"]


def test_stage_is_resumable_and_counts_old_names(db):
    Ingestor(db).add(_docs())
    stage = EntityStage(db, ner=False)
    first = stage.run(batch=1, limit=2)
    assert first.documents == 2 and stage.last_doc_id() == first.last_doc_id
    second = stage.run(batch=2)
    assert second.documents == 2
    assert stage.run().documents == 0  # nothing new
    counts = province_counts(db)
    assert counts["da-nang"] == 2  # Quảng Nam (old name) and Đà Nẵng
    assert counts["dak-lak"] == 1  # Đắk Lắk and Phú Yên in the same document count once
    assert "phu-tho" not in counts  # "hòa bình" (peace) is not the old province
    ids = documents_in_province(db, "Quảng Nam")
    assert len(ids) == 2
    assert documents_in_province(db, "da-nang", since=dt.datetime(2026, 3, 3, tzinfo=VN)) == ids[:1]
    assert province_counts(db, since=dt.datetime(2026, 3, 3, tzinfo=VN))["da-nang"] == 1
    with pytest.raises(NotFoundError):
        documents_in_province(db, "Lam Giang")
    with pytest.raises(ConfigError):
        stage.run(batch=0)


def test_stage_with_ner_stores_people(db):
    Ingestor(db).add(_docs()[:1])
    report = EntityStage(db).run()
    assert report.documents == 1
    with db.read() as conn:
        rows = conn.execute(select(document_entities.c.kind, document_entities.c.folded)).all()
    assert ("person", "tran van binh") in rows
    assert ("province", "quang nam") in rows
