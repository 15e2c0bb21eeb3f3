"""A hand merge is respected by later and backfilled reports of either story merged: a story holding a
merge is scored as the best of its parts (kiemchung/stories/cluster.py, docs/stories.md "Hand edits").
Invented text: a market fire in one week, a landslide in the next days, and unrelated news."""

from __future__ import annotations

import datetime as dt
import json

from factories import make_doc, run_cli_in_process
from sqlalchemy import select

from kiemchung.ingest import Ingestor
from kiemchung.stories import tables as st
from kiemchung.stories.cluster import ClusterConfig, StoryClusterer
from kiemchung.stories.service import StoryStage, story_of_document
from kiemchung.timeutil import VN_TZ

FIXED_NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)

FIRE = [
    ("Cháy lớn tại chợ Tân An, hàng chục ki-ốt bị thiêu rụi",
     "Đám cháy bùng phát lúc rạng sáng tại chợ Tân An, quận Ninh Kiều, thiêu rụi hàng chục ki-ốt quần áo."),
    ("Chợ Tân An cháy dữ dội trong đêm, tiểu thương mất trắng",
     "Lính cứu hỏa mất ba giờ mới khống chế được ngọn lửa ở chợ Tân An, nhiều tiểu thương mất trắng hàng hóa."),
    ("Điều tra nguyên nhân vụ cháy chợ Tân An ở Cần Thơ",
     "Công an thành phố Cần Thơ đang điều tra nguyên nhân vụ cháy chợ Tân An khiến hàng chục ki-ốt bị thiêu rụi."),
    ("Tiểu thương chợ Tân An được hỗ trợ sau vụ hỏa hoạn",
     "Quận Ninh Kiều hỗ trợ tiền và chỗ bán tạm cho tiểu thương chợ Tân An sau vụ cháy."),
]
SLIDE = [
    ("Sạt lở đất vùi lấp ba nhà dân ở Bát Xát, Lào Cai",
     "Mưa kéo dài gây sạt lở đất tại xã Y Tý, huyện Bát Xát, vùi lấp ba ngôi nhà, hai người mất tích."),
    ("Lào Cai tìm kiếm hai người mất tích do sạt lở ở Y Tý",
     "Hàng trăm cán bộ, chiến sĩ đang tìm kiếm hai người mất tích sau vụ sạt lở đất ở xã Y Tý."),
    ("Tìm thấy thi thể nạn nhân vụ sạt lở tại Bát Xát",
     "Lực lượng cứu nạn đã tìm thấy thi thể một nạn nhân bị vùi lấp trong vụ sạt lở đất ở huyện Bát Xát."),
    ("Di dời khẩn cấp hàng chục hộ dân khỏi vùng sạt lở Y Tý",
     "Huyện Bát Xát di dời khẩn cấp hàng chục hộ dân ở xã Y Tý ra khỏi vùng có nguy cơ sạt lở đất."),
]
OTHER = [
    ("Giá xăng giảm nhẹ từ chiều nay", "Liên bộ Công Thương - Tài chính điều chỉnh giá xăng giảm vài trăm đồng mỗi lít."),
    ("Học sinh Hà Nội bắt đầu kỳ thi vào lớp 10", "Hơn một trăm nghìn thí sinh dự thi môn ngữ văn buổi sáng đầu tiên."),
    ("Đội tuyển bóng chuyền nữ thắng trận mở màn", "Các cô gái giành chiến thắng ba set trắng trước đối thủ Philippines."),
    ("Ngân hàng Nhà nước giữ nguyên lãi suất điều hành", "Lãi suất tái cấp vốn được giữ ở mức cũ để hỗ trợ doanh nghiệp."),
    ("Khánh thành cầu mới bắc qua sông Hậu", "Cây cầu dài hai cây số rút ngắn thời gian đi lại giữa hai tỉnh."),
    ("Nắng nóng gay gắt tại Bắc Bộ kéo dài", "Nhiệt độ cao nhất ngoài trời có nơi vượt 39 độ C trong nhiều ngày."),
    ("Xuất khẩu gạo tăng mạnh trong năm tháng đầu năm", "Kim ngạch xuất khẩu gạo đạt hơn hai tỷ USD nhờ giá bán cao."),
    ("Triển lãm tranh sơn mài mở cửa tại Huế", "Hơn tám mươi tác phẩm của các họa sĩ trẻ được trưng bày đến cuối tháng."),
]
# Later reports, loosely worded: each joins its own story alone, but its mean cosine to the two stories
# merged falls under the threshold (half the members share nothing with it).
FIRE_LATE = [
    ("Bảo hiểm chưa chi trả cho ki-ốt bị cháy", "Phần lớn người bán hàng không mua bảo hiểm cháy nổ cho hàng hóa của mình."),
    ("Ninh Kiều dựng chợ tạm cho tiểu thương", "Khu chợ tạm có một trăm sạp, dành cho những hộ bị ảnh hưởng bởi ngọn lửa."),
]
SLIDE_LATE = [
    ("Lào Cai cảnh báo lũ quét và sạt lở ở vùng cao", "Các huyện vùng cao được yêu cầu theo dõi mưa và sơ tán dân khi cần."),
    ("Y Tý: người mất nhà ở tạm trong trường học", "Các gia đình có nhà bị vùi lấp được bố trí ở tạm trong điểm trường của xã."),
]


def at(day: int, hour: int = 8) -> dt.datetime:
    return dt.datetime(2026, 5, day, hour, 0, tzinfo=VN_TZ)


def two_dormant_stories() -> tuple[StoryClusterer, str, str]:
    """The fire (4 May) and the landslide (5 May), dormant once news of 20 May arrived."""
    c = StoryClusterer(ClusterConfig(window_days=3), now=lambda: FIXED_NOW)
    for k, (t, lead) in enumerate(OTHER):
        c.add(f"o{k}", title=t, lead=lead, published_at=at(1 + k % 3, 7 + k))
    for k, (t, lead) in enumerate(FIRE):
        c.add(f"f{k}", title=t, lead=lead, published_at=at(4, 8 + k))
    for k, (t, lead) in enumerate(SLIDE):
        c.add(f"s{k}", title=t, lead=lead, published_at=at(5, 8 + k))
    for k, (t, lead) in enumerate(OTHER):
        c.add(f"p{k}", title=t + " hôm nay", lead=lead, published_at=at(20, 7 + k))
    fire, slide = c.story_of("f0"), c.story_of("s0")
    assert fire != slide and {c.story_of(f"f{k}") for k in range(4)} == {fire}
    assert {c.story_of(f"s{k}") for k in range(4)} == {slide}
    assert c.size(fire) == (4, False) and c.size(slide) == (4, False)  # dormant
    return c, fire, slide


def backfill(c: StoryClusterer, k: int = 0) -> tuple[str, str]:
    """The k-th late report of each story, published on its own day (tagged ``fl<k>``, ``sl<k>``)."""
    return (
        c.add(f"fl{k}", title=FIRE_LATE[k][0], lead=FIRE_LATE[k][1], published_at=at(4, 15 + k)),
        c.add(f"sl{k}", title=SLIDE_LATE[k][0], lead=SLIDE_LATE[k][1], published_at=at(5, 15 + k)),
    )


def test_without_an_edit_the_backfill_joins_each_story():
    c, fire, slide = two_dormant_stories()
    assert backfill(c) == (fire, slide)
    assert backfill(c, 1) == (fire, slide)
    assert "parts" not in c.state()  # no merge: the saved state is as before


def test_backfill_of_either_part_joins_a_hand_merge_of_dormant_stories():
    c, fire, slide = two_dormant_stories()
    kept = c.merge(fire, slide)
    assert kept == fire and c.size(kept) == (8, False)
    assert backfill(c) == (kept, kept)
    assert c.size(kept) == (10, False)  # still dormant
    # each late report went to the part it is about, and a second one of each still joins
    assert c.parts_state()[kept] == [
        ["f0", "f1", "f2", "f3", "fl0"], ["s0", "s1", "s2", "s3", "sl0"]
    ]
    assert backfill(c, 1) == (kept, kept)


def test_a_hand_merge_of_active_stories_takes_later_reports_of_either_part():
    c = StoryClusterer(ClusterConfig(window_days=3), now=lambda: FIXED_NOW)
    for k, (t, lead) in enumerate(OTHER):
        c.add(f"o{k}", title=t, lead=lead, published_at=at(1 + k % 3, 7 + k))
    for k, (t, lead) in enumerate(FIRE):
        c.add(f"f{k}", title=t, lead=lead, published_at=at(4, 8 + k))
    for k, (t, lead) in enumerate(SLIDE):
        c.add(f"s{k}", title=t, lead=lead, published_at=at(5, 8 + k))
    kept = c.merge(c.story_of("f0"), c.story_of("s0"))
    assert c.size(kept) == (8, True)
    for k in (0, 1):
        assert c.add(f"fl{k}", title=FIRE_LATE[k][0], lead=FIRE_LATE[k][1], published_at=at(5, 15 + k)) == kept
        assert c.add(f"sl{k}", title=SLIDE_LATE[k][0], lead=SLIDE_LATE[k][1], published_at=at(5, 17 + k)) == kept


def test_the_parts_survive_save_and_load_and_a_merge_of_a_merge():
    c, fire, slide = two_dormant_stories()
    kept = c.merge(fire, slide)
    state = json.loads(json.dumps(c.state()))
    assert state["parts"] == {kept: [[f"f{k}" for k in range(4)], [f"s{k}" for k in range(4)]]}
    again = StoryClusterer.from_state(state, now=lambda: FIXED_NOW)
    assert backfill(again) == (kept, kept)
    # a third story merged in is a third part
    other = again.story_of("p4")
    members = list(again.story(other).doc_ids)
    assert again.merge(kept, other) == kept
    assert [sorted(p) for p in again.parts_state()[kept]] == [
        sorted([f"f{k}" for k in range(4)] + ["fl0"]), sorted([f"s{k}" for k in range(4)] + ["sl0"]), sorted(members)
    ]


def test_a_split_undoes_the_parts_and_keeps_what_was_split_off_out():
    c, fire, slide = two_dormant_stories()
    kept = c.merge(fire, slide)
    out = c.split(kept, [f"s{k}" for k in range(4)])
    assert c.parts_state() == {}  # one part left: an ordinary story again
    # the backfill of the part split off goes to the new story, not back into the one it left
    assert backfill(c) == (kept, out)


def test_a_split_of_an_unmerged_dormant_story_is_not_reabsorbed_by_its_backfill():
    c, fire, _ = two_dormant_stories()
    moved = c.split(fire, ["f1", "f3"])
    assert c.add("f1-again", title=FIRE[1][0], lead=FIRE[1][1], published_at=at(4, 20)) == moved
    assert c.add("f1", title="x", published_at=at(4, 21)) == moved  # re-adding an id follows the person


def test_a_moved_document_leaves_its_part():
    c, fire, slide = two_dormant_stories()
    kept = c.merge(fire, slide)
    assert c.move("s3", title=OTHER[6][0], lead=OTHER[6][1]) != kept  # its new text is about rice exports
    assert "s3" not in c.parts_state()[kept][1]
    assert backfill(c) == (kept, kept)


def _load(db, items, day: int, tag: str) -> None:
    Ingestor(db).add([
        make_doc(t, lead, url=f"https://tin.example/{tag}{k}", published_at=dt.datetime(2026, 5, day, 8 + k, tzinfo=VN_TZ))
        for k, (t, lead) in enumerate(items)
    ])


def test_a_merge_through_the_cli_holds_for_the_story_stage_backfill(db, capsys):
    _load(db, OTHER, 2, "o")
    _load(db, FIRE, 4, "f")  # documents 9-12
    _load(db, SLIDE, 5, "s")  # documents 13-16
    _load(db, [(t + " hôm nay", lead) for t, lead in OTHER], 20, "p")
    StoryStage(db).run()
    fire, slide = story_of_document(db, 9).id, story_of_document(db, 13).id
    assert fire != slide
    assert run_cli_in_process(db.path, "stories", "merge", str(fire), str(slide)) == 0
    _load(db, FIRE_LATE[:1], 4, "fl")  # document 25
    _load(db, SLIDE_LATE[:1], 5, "sl")  # document 26
    assert StoryStage(db).run() == 2  # a new process: the saved state, the merge replayed from the journal
    assert story_of_document(db, 25).id == fire and story_of_document(db, 26).id == fire
    with db.read() as conn:
        row = conn.execute(select(st.stories.c.doc_count).where(st.stories.c.id == fire)).first()
    assert row.doc_count == 10
    # the stage saved the parts with its state: one more process still places the backfill there
    _load(db, FIRE_LATE[1:], 4, "fm")
    assert StoryStage(db).run() == 1
    assert story_of_document(db, 27).id == fire
