"""Unit tests of the Vietnamese text core, on fixtures written for these tests."""

# ruff: noqa: RUF001  (Vietnamese text: letters, quotes and dashes are meant)

from __future__ import annotations

import subprocess
import sys
import unicodedata

import pytest

from kiemchung import text
from kiemchung.text import core
from kiemchung.text.teencode import SEARCH_ALTERNATIVES, TEENCODE

# ------------------------------------------------------------------------------------------------
# normalize


@pytest.mark.parametrize(
    ("styled", "canonical"),
    [
        ("hoà", "hòa"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("Hoà Bình", "Hòa Bình"),
        ("HOÀ BÌNH", "HÒA BÌNH"),
        ("Thuỷ điện Hoà Bình rất khoẻ", "Thủy điện Hòa Bình rất khỏe"),
        ("toà án", "tòa án"),
        ("hoá học", "hóa học"),
        ("luỹ tre", "lũy tre"),
        ("qúy khách", "quý khách"),  # "qu" onset: the mark goes on y
        ("gìa", "già"),  # "gi" onset: the mark goes on a
        ("cuả", "của"),
        ("muà", "mùa"),
        ("ngòai trời", "ngoài trời"),  # three vowels: the middle one
        ("thủơ", "thuở"),  # shaped vowel carries the mark
        ("hóan đổi", "hoán đổi"),  # final consonant: the last vowel
    ],
)
def test_normalize_places_tone_marks_canonically(styled: str, canonical: str) -> None:
    assert text.normalize(styled) == canonical
    assert text.normalize(canonical) == canonical


@pytest.mark.parametrize(
    "fixed",
    ["hoàng", "thuyền", "khuyết", "quốc", "giữ", "gìn", "người", "khuỷu", "hoạch", "Nguyễn", "ĐOÀN", "quý"],
)
def test_normalize_keeps_fixed_positions(fixed: str) -> None:
    assert text.normalize(fixed) == fixed


def test_normalize_replaces_eth_look_alike_in_vietnamese_words() -> None:
    assert text.normalize("Ðà Nẵng, ðường") == "Đà Nẵng, đường"
    assert text.normalize("Ðóttir") == "Ðóttir"  # not a Vietnamese syllable
    assert text.fold("Ðà ðường") == "da duong"


def test_normalize_composes_decomposed_and_separately_typed_marks() -> None:
    nfd = unicodedata.normalize("NFD", "Việt Nam hòa bình")
    assert nfd != "Việt Nam hòa bình"
    assert text.normalize(nfd) == "Việt Nam hòa bình"
    # Shape mark and tone typed as separate combining characters, in either order.
    assert text.normalize("Vie\u0323\u0302t") == "Việt"
    assert text.normalize("Vie\u0302\u0323t") == "Việt"
    # The tone typed at the end of the word, after the final consonant.
    assert text.normalize("hoang\u0300") == "hoàng"
    assert text.normalize("hoa\u0300") == "hòa"


@pytest.mark.parametrize(
    "word", ["José", "café", "résumé", "Zürich", "naïve", "Ångström", "Pokémon", "ℕ", "ǅ"]
)
def test_normalize_leaves_non_vietnamese_words_alone(word: str) -> None:
    assert text.normalize(word) == unicodedata.normalize("NFC", word)


def test_normalize_cleans_white_space_and_invisible_characters() -> None:
    raw = "  Bão\u00a0số 3\t\tđổ bộ\u200b vào\r\n Quảng\u200dNinh\x07\ufeff  \u00ad "
    assert text.normalize(raw) == "Bão số 3 đổ bộ vào QuảngNinh"
    assert text.normalize("") == ""
    assert text.normalize("   \n\t ") == ""
    assert text.clean("a\u200bb\x00c") == "abc"


def test_normalize_keep_newlines() -> None:
    raw = "Đoạn một  hoà bình.\r\n\r\n\r\n  Đoạn hai.\nDòng ba  "
    assert text.normalize(raw, keep_newlines=True) == "Đoạn một hòa bình.\n\nĐoạn hai.\nDòng ba"
    assert text.normalize(raw) == "Đoạn một hòa bình. Đoạn hai. Dòng ba"


def test_normalize_teencode_option() -> None:
    post = "mn ơi, ko bít j đâu, đc ko?"
    assert text.normalize(post) == post
    assert text.normalize(post, teencode=True) == "mọi người ơi, không bít gì đâu, được không?"


def test_normalize_rejects_non_text() -> None:
    with pytest.raises(TypeError):
        text.normalize(b"bytes")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------
# fold


def test_fold() -> None:
    assert text.fold("Đà Nẵng") == "da nang"
    assert text.fold("HOÀ BÌNH, Thủy") == "hoa binh, thuy"
    assert text.fold("Người dân Ở Đồng Tháp") == "nguoi dan o dong thap"
    assert text.fold(unicodedata.normalize("NFD", "Việt Nam")) == "viet nam"
    assert text.fold("COVID-19: 1.000 ca") == "covid-19: 1.000 ca"
    assert text.fold("") == ""
    assert text.fold("İstanbul ΟΔΟΣ") == "istanbul οδοσ"  # one character each, no context rules


def test_fold_agrees_with_old_and_new_style() -> None:
    assert text.fold("hoà thuỷ khoẻ") == text.fold("hòa thủy khỏe") == "hoa thuy khoe"


# ------------------------------------------------------------------------------------------------
# tokens, syllables, bigrams, index_terms, token_spans


def test_token_rule() -> None:
    sample = "Giá xăng tăng 1.000 đồng (0,34%) từ 7/2025, ngày 12/7/2025; COVID-19 có 30 % F0 và 5G."
    assert text.syllables(sample) == [
        "gia", "xang", "tang", "1.000", "dong", "0,34%", "tu", "7/2025", "ngay", "12/7/2025",
        "covid", "19", "co", "30", "f0", "va", "5g",
    ]  # fmt: skip
    assert core.tokens("Ông A. năm 2025. Hết") == ["Ông", "A", "năm", "2025", "Hết"]
    assert core.tokens("1.000.000,5 đồng") == ["1.000.000,5", "đồng"]
    assert core.tokens("giá 1. 000") == ["giá", "1", "000"]
    assert core.tokens("snake_case it's") == ["snake", "case", "it", "s"]


def test_syllables_keep_diacritics_when_asked() -> None:
    assert text.syllables("Hoà Bình, Thuỷ", strip=False) == ["hòa", "bình", "thủy"]
    assert text.syllables("Hoà Bình, Thuỷ") == ["hoa", "binh", "thuy"]
    assert text.syllables("") == []
    assert text.syllables("  ... !!") == []


def test_syllables_ignore_zero_width_characters() -> None:
    assert text.syllables("kh\u200bông đư\u00adợc") == ["khong", "duoc"]


def test_bigrams() -> None:
    assert text.bigrams(["ha", "noi", "mua"]) == ["ha_noi", "noi_mua"]
    assert text.bigrams(["mot"]) == []
    assert text.bigrams([]) == []


def test_index_terms() -> None:
    assert text.index_terms("Hà Nội mưa to") == ["ha", "noi", "mua", "to", "ha_noi", "noi_mua", "mua_to"]
    assert text.index_terms("Hoà bình") == text.index_terms("hòa BÌNH")
    assert text.index_terms("ko dc", teencode=True) == ["khong", "duoc", "khong_duoc"]
    assert text.index_terms("ko dc") == ["ko", "dc", "ko_dc"]
    assert text.index_terms("") == []


def test_token_spans_point_into_the_original_text() -> None:
    raw = "Thuỷ điện  “Hoà Bình” xả 1.000 m3/s"
    spans = text.token_spans(raw)
    assert [t for _, _, t in spans] == ["thuy", "dien", "hoa", "binh", "xa", "1.000", "m3", "s"]
    assert [raw[s:e] for s, e, _ in spans][:4] == ["Thuỷ", "điện", "Hoà", "Bình"]
    nfd = unicodedata.normalize("NFD", "Việt Nam")
    spans = text.token_spans(nfd)
    assert [t for _, _, t in spans] == ["viet", "nam"]
    assert nfd[spans[0][0] : spans[0][1]] == unicodedata.normalize("NFD", "Việt")


# ------------------------------------------------------------------------------------------------
# teencode


def test_teencode_table_is_documented_size_and_shape() -> None:
    assert 60 <= len(TEENCODE) <= 120
    for key, value in TEENCODE.items():
        assert key == key.lower() == unicodedata.normalize("NFC", key)
        assert core.tokens(key) == [key], key  # one whole token
        assert value == text.normalize(value), value  # canonical spelling
        assert all(text.is_syllable(w) for w in value.split()), value
    # Ambiguous abbreviations are search alternatives only, never substituted.
    assert not set(SEARCH_ALTERNATIVES) & {text.fold(k) for k in TEENCODE}
    for word in ("kg", "bn", "ck", "a", "e", "t", "ok"):
        assert word not in TEENCODE


def test_teencode_table_matches_docs() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "text.md").read_text(encoding="utf-8")
    table = doc[doc.index("| group | entries |") : doc.index("Ambiguous abbreviations are kept")]
    documented: dict[str, str] = {}
    for line in table.splitlines()[2:]:
        cells = line.split("|")
        if len(cells) < 3:
            continue
        group, entries = cells[1].strip(), cells[2]
        for part in entries.split(";"):
            keys, _, value = part.partition("→")
            for key in keys.split(","):
                if key.strip():
                    documented[key.strip()] = value.strip() or group
    assert documented == TEENCODE


def test_expand_teencode_whole_tokens_only() -> None:
    assert text.expand_teencode("ko bik dc ko") == "không biết được không"
    assert text.expand_teencode("Ko đi đâu. KO!") == "Không đi đâu. KHÔNG!"
    assert text.expand_teencode("kho ko, 50k, k2, kokoro") == "kho không, 50k, k2, kokoro"
    assert text.expand_teencode("uống vitamin K, k sao") == "uống vitamin K, không sao"
    assert text.expand_teencode("UBND tp Hà Nội") == "ỦY BAN NHÂN DÂN thành phố Hà Nội"
    assert text.expand_teencode("  mn\tơi  ") == "  mọi người\tơi  "
    assert text.expand_teencode("") == ""


def test_teencode_alternatives() -> None:
    assert text.teencode_alternatives("ko") == ["khong"]
    assert text.teencode_alternatives("dc") == ["duoc"]
    assert text.teencode_alternatives("mn") == ["moi nguoi"]
    assert text.teencode_alternatives("vs") == ["voi"]
    assert text.teencode_alternatives("bn") == ["ban", "bao nhieu"]
    assert text.teencode_alternatives("khong") == []
    assert text.teencode_alternatives("") == []


# ------------------------------------------------------------------------------------------------
# sentences

SENTENCE_CASES = [
    (
        "Ông A đến TP. HCM hôm qua. Ông ở Q.1 và mua 1.000 cái bánh.",
        ["Ông A đến TP. HCM hôm qua.", "Ông ở Q.1 và mua 1.000 cái bánh."],
    ),
    (
        'GS. TS. Trần Văn B cho biết: "Giá tăng 0,5%." Người dân lo lắng.',
        ['GS. TS. Trần Văn B cho biết: "Giá tăng 0,5%."', "Người dân lo lắng."],
    ),
    (
        "Chờ đã... Anh ấy đến rồi! Thật không? Vâng.",
        ["Chờ đã...", "Anh ấy đến rồi!", "Thật không?", "Vâng."],
    ),
    (
        "Nguyễn V. A là bác sĩ. Ông làm việc ở P. Bến Nghé.",
        ["Nguyễn V. A là bác sĩ.", "Ông làm việc ở P. Bến Nghé."],
    ),
    (
        "PGS. TS. Lê C nói “chưa có kết luận.” Sáng 3/7, mưa lớn… Nước dâng 0,8 m.",
        ["PGS. TS. Lê C nói “chưa có kết luận.”", "Sáng 3/7, mưa lớn…", "Nước dâng 0,8 m."],
    ),
    (
        "Dòng một không dấu chấm\nDòng hai. 2025 là năm bản lề.",
        ["Dòng một không dấu chấm", "Dòng hai.", "2025 là năm bản lề."],
    ),
    ("chờ chút... rồi đi tiếp nhé", ["chờ chút... rồi đi tiếp nhé"]),
    (
        "Ông E.J. Lâm được bổ nhiệm. Tin lan khắp Đông Nam Á. Các nước theo dõi.",
        ["Ông E.J. Lâm được bổ nhiệm.", "Tin lan khắp Đông Nam Á.", "Các nước theo dõi."],
    ),
    (
        'Cô hỏi: "Sao lại thế?" rồi im lặng. Cao 1,9 m. Nặng 80 kg.',
        ['Cô hỏi: "Sao lại thế?" rồi im lặng.', "Cao 1,9 m.", "Nặng 80 kg."],
    ),
]


@pytest.mark.parametrize(("raw", "expected"), SENTENCE_CASES)
def test_sentences(raw: str, expected: list[str]) -> None:
    assert text.sentences(raw) == expected


def test_sentences_edge_cases() -> None:
    assert text.sentences("") == []
    assert text.sentences("\n\n  \n") == []
    assert text.sentences("Một câu") == ["Một câu"]


def test_sentences_do_at_least_as_well_as_underthesea() -> None:
    from underthesea import sent_tokenize

    ours = sum(text.sentences(raw) == expected for raw, expected in SENTENCE_CASES)
    theirs = sum([s.strip() for s in sent_tokenize(raw)] == expected for raw, expected in SENTENCE_CASES)
    assert ours == len(SENTENCE_CASES)
    assert ours >= theirs
    # Where both handle the text, they agree.
    assert sent_tokenize(SENTENCE_CASES[0][0]) == text.sentences(SENTENCE_CASES[0][0])


# ------------------------------------------------------------------------------------------------
# words, detect_language


def test_words_segments_vietnamese() -> None:
    out = text.words("Hà Nội mưa to từ sáng")
    assert "Hà Nội" in out
    assert "".join(out).replace(" ", "") == "HàNộimưatotừsáng"
    assert text.words("") == []


def test_heavy_libraries_are_not_imported_with_the_package() -> None:
    code = "import sys, kiemchung.text as t; t.normalize('hoà'); t.index_terms('a b'); " \
           "print('underthesea' in sys.modules, 'py3langid' in sys.modules)"  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


@pytest.mark.parametrize(
    ("sample", "lang"),
    [
        ("Hôm nay trời mưa rất to ở Hà Nội", "vi"),
        ("toi khong biet gi ca", "vi"),
        ("hom nay troi mua to qua, minh o nha thoi", "vi"),
        ("The government announced new measures on Monday", "en"),
        ("Le gouvernement a annoncé de nouvelles mesures lundi", "fr"),
        ("Die Regierung hat am Montag neue Maßnahmen angekündigt", "de"),
        ("Très bien, ça va ? Où est l'hôtel près de la forêt ?", "fr"),
        ("A população não está satisfeita com o governo, disse você.", "pt"),
        ("Người dân vui mừng", "vi"),
    ],
)
def test_detect_language(sample: str, lang: str) -> None:
    assert text.detect_language(sample) == lang


def test_the_mapped_language_model_answers_as_py3langid_does(monkeypatch, tmp_path) -> None:
    from py3langid import langid

    from kiemchung.text import lang

    samples = [
        "The committee will publish its findings on the flooding next week, officials said.",
        "Le gouvernement a annoncé de nouvelles mesures contre les inondations.",
        "Правительство объявило о новых мерах",
        "con minh bi sot xuat huyet, may di vien som nen da khoe lai.",
        "Bão số 3 gây mưa lớn ở các tỉnh miền Bắc",
    ]
    whole = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    lang._langid.cache_clear()
    try:
        mapped = lang._langid()  # writes the uncompressed copy, then maps it
        assert isinstance(mapped.tk_nextmove, memoryview)
        assert [p.name.startswith("langid-") for p in (tmp_path / "kiemchung").iterdir()] == [True]
        lang._langid.cache_clear()
        again = lang._langid()  # maps the copy written before
        assert [mapped.classify(s) for s in samples] == [whole.classify(s) for s in samples]
        assert [again.classify(s) for s in samples] == [whole.classify(s) for s in samples]
        # a cache that cannot be written: the model is loaded whole, as before
        (tmp_path / "blocked").write_text("")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "blocked"))
        lang._langid.cache_clear()
        loaded = lang._langid()
        assert not isinstance(loaded.tk_nextmove, memoryview)
        assert [loaded.classify(s) for s in samples] == [whole.classify(s) for s in samples]
    finally:
        lang._langid.cache_clear()


def test_the_language_model_released_by_a_waiting_process_loads_again() -> None:
    from kiemchung.processes import release_memory

    sample = "The committee will publish its findings on the flooding next week, officials said."
    before = text.detect_language(sample)  # py3langid's answer (not obvious Vietnamese)
    release_memory()  # what `kiemchung import` does once the ingest is over
    assert text.detect_language(sample) == before == "en"


def test_bulk_collector_changes_when_collections_run_and_restores_them() -> None:
    import gc

    from kiemchung.processes import bulk_collector
    from kiemchung.text import memo

    saved, frozen, caps = gc.get_threshold(), gc.get_freeze_count(), [c.cap for c in memo.CACHES]
    with bulk_collector(young=12_345, text_cache=321):
        assert gc.get_threshold() == (12_345, *saved[1:]) and gc.get_freeze_count() >= frozen
        assert all(c.cap == 321 for c in memo.CACHES)  # the text caches stop growing with the import
        cycle: list = []
        cycle.append(cycle)  # garbage made inside the block is still collected
        del cycle
        assert gc.collect() >= 1
    assert gc.get_threshold() == saved and gc.get_freeze_count() == 0 and [c.cap for c in memo.CACHES] == caps


@pytest.mark.parametrize("sample", ["", "ok", "12345 678 !!!", "  \n ", "Hà Nội"])
def test_detect_language_needs_enough_letters(sample: str) -> None:
    assert text.detect_language(sample) is None


# Short posts typed without diacritics were read as Ligurian, Occitan and Nigerian Pidgin (issue 18).
@pytest.mark.parametrize(
    "sample",
    [
        "con minh bi sot xuat huyet, may di vien som nen da khoe lai.",
        "cam on cac bac si benh vien tinh da cham soc bo minh rat chu dao.",
        "dat phu duong dau gia toi 32 trieu mot met, gia cao qua troi.",
        "lu rut roi, ca xom dang don bun",
        "Messi ghi bàn phút cuối",
        "Monica Bellucci và Tim Burton chia tay",  # foreign names around Vietnamese words
        "Nên mua Honda Vision hay Yamaha Janus?",
    ],
)
def test_short_unaccented_vietnamese_is_vietnamese(sample: str) -> None:
    assert text.detect_language(sample) == "vi"


@pytest.mark.parametrize(
    ("sample", "lang"),
    [
        ("the man can go to the bank", "en"),  # Vietnamese syllables, but the model is sure
        ("The mayor said the bridge is safe.", "en"),
        ("iPhone 17 Pro Max", "und"),  # some letters, no language to speak of
        ("lol haha hihi", "und"),
        ("Man Utd 2-0 Man City", "und"),  # names and a score: no language
        ("Le président a dit que le pont est sûr.", "fr"),
        ("Ich bin da", "de"),
    ],
)
def test_short_texts_other_or_undetermined(sample: str, lang: str) -> None:
    assert text.detect_language(sample) == lang


# ------------------------------------------------------------------------------------------------
# syllable rules


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("hoà", "hòa"),
        ("HOẠ", "HỌA"),
        ("Thuỵ", "Thụy"),
        ("ngòai", "ngoài"),
        ("quí", "quí"),
        ("José", "José"),
        ("hòa", "hòa"),
        ("bàun", "bàun"),  # "au" never takes a final consonant: not a syllable, left alone
        ("hoàa", "hoàa"),
    ],
)
def test_place_tone(word: str, expected: str) -> None:
    assert text.place_tone(word) == expected


@pytest.mark.parametrize(
    ("word", "ok"),
    [
        ("người", True),
        ("Nguyễn", True),
        ("khuỷu", True),
        ("hoà", True),  # both styles are real spellings
        ("hòa", True),
        ("nguoi", True),  # unaccented
        ("khong", True),
        ("một", True),
        ("mồt", False),  # stop finals take only the acute or the dot below
        ("hóan", False),  # mark on the wrong vowel
        ("baùn", False),
        ("strong", False),
        ("tiê", False),  # "iê" needs a final consonant
        ("bàun", False),
        ("José", False),
    ],
)
def test_is_syllable(word: str, ok: bool) -> None:
    assert text.is_syllable(word) is ok


@pytest.mark.parametrize("line", [
    "  Hoà   khoẻ\tthuỷ  ", "a\u00a0b\u2028c\x1cd", "Bộ Y tế  ghi nhận\u200b 120 ca", "plain ascii  text ", "e\u0301 a \u0301",
    "\u3000Hà Nội\u3000", "",
])
def test_normalize_keeping_newlines_of_one_line_is_the_plain_form(line):
    # one line (no line break): keep_newlines changes nothing (its fast path skips the whitespace regexes)
    assert text.normalize(line, keep_newlines=True) == text.normalize(line)
    if line.strip():  # and two such lines around a run of line breaks: two paragraphs of that form
        assert text.normalize(line + "\n\n\n" + line, keep_newlines=True) == text.normalize(line) + "\n\n" + text.normalize(line)


def test_limited_text_caches_stay_under_their_cap_and_give_the_same_tokens() -> None:
    """``limit_caches`` (the import's ingest, the story stage's feature helper): every per-chunk, tone
    and mojibake cache, and its previous generation, holds at most the given number of entries, and
    tokens, spans, normal forms and repairs are those of unlimited caches; the bounds come back."""
    from kiemchung.text import core, memo, mojibake

    names = {c.name for c in memo.CACHES}
    assert {"normalize", "syllables", "syllables, teencode", "token_spans", "place_tone", "mojibake share"} <= names
    texts = [f"Lũ sông Lam dâng cao lần {k}, huyện Tây Hà sơ tán {k * 7} hộ dân; ko bít đi đâu {k}%" for k in range(60)]
    texts += [f"Th\u00e1\u00bb\u0091ng k\u00c3\u00aa {k} l\u00e1\u00ba\u00a7n" for k in range(20)]  # mojibake

    def read(t: str) -> tuple:
        return (text.normalize(t), text.normalize(t, teencode=True), text.syllables(t), text.token_spans(t),
                mojibake.repair_mojibake(t))

    core.clear_caches()
    want = [read(t) for t in texts]
    caps = [c.cap for c in memo.CACHES]
    give_back = core.limit_caches(16)
    try:
        got = [read(t) for t in texts]
        assert got == want
        assert all(len(c.new) <= 16 and len(c.old) <= 16 for c in memo.CACHES), memo.CACHES
        turned = {c.name for c in memo.CACHES if c.old}
        assert {"normalize", "syllables", "token_spans", "place_tone", "mojibake share"} <= turned, memo.CACHES
        later = memo.Generations("made while bounded", 1_000)  # a cache made later honours the bound
        memo.CACHES.remove(later)
        assert later.cap == 16
    finally:
        give_back()
    assert [c.cap for c in memo.CACHES] == caps
    core.clear_caches()
    assert not any(len(c) for c in memo.CACHES)


def test_a_chunk_in_use_survives_the_turnover_of_a_full_cache() -> None:
    """kiemchung.text.memo: a full cache becomes the old generation; an entry found there is put back
    (not computed again), one not used for a whole generation is dropped."""
    from kiemchung.text.memo import CACHES, Generations

    memo = Generations("test", 4, register=False)
    assert memo not in CACHES
    cache, old = memo.new, memo.old
    computed: list[str] = []

    def get(key: str) -> int:
        hit = cache.get(key)
        if hit is not None:
            return hit
        value = old.get(key)
        if value is None:
            computed.append(key)
            value = len(key)
        return memo.keep(key, value)

    for k in range(12):  # "hot" is read between every new key
        get("hot")
        get(f"k{k}")
    assert computed == ["hot"] + [f"k{k}" for k in range(12)]
    assert len(cache) <= 4 and len(old) <= 4 and "hot" in cache | old and "k0" not in cache | old


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("Cầu Tân Phú 3 vừa thông xe đã bị nứt.", [["cau", "tan", "phu", "3"]]),  # an opener, a number
        ("Dân phường Hòa Bình mua nước bình. Hà Nội mưa to", [["phuong", "hoa", "binh"], ["ha", "noi"]]),
        ("Học sinh ba huyện của Lam Sơn nghỉ học.", [["lam", "son"]]),  # "của" is no kind
        ("Đoàn đến Hà Nội, quà cho Lam Sơn", [["ha", "noi"], ["lam", "son"]]),  # "đến", "cho": not "đền", "chợ"
        ("Chợ Bến Thành và đền Hùng", [["cho", "ben", "thanh"], ["den", "hung"]]),
        ("Bão số 9 vào bờ, nước lên nhanh.", []),  # a sentence's first word alone is no name
        ("bệnh viện Bạch Đằng, công ty Vedan", [["vien", "bach", "dang"], ["ty", "vedan"]]),
        ("KHẨN CẤP: CẦU TÂN PHÚ 3 SẮP SẬP", []),  # capitals throughout say nothing of names
        ("cau tan phu 3 sap sap", []),
        ("", []),
    ],
)
def test_name_runs(text: str, runs: list[list[str]]) -> None:
    """text.name_runs: the capitalised names of a well-formed sentence, folded, with the kind written
    before them when it is one of NAME_HEADS and a number right after."""
    from kiemchung.text import name_runs

    assert name_runs(text) == runs


def test_name_spans_keep_the_names_as_written() -> None:
    from kiemchung.text import name_spans

    assert name_spans("Dân phường Hòa Bình mua nước. Cầu Tân Phú 3 nứt") == [
        ("phường Hòa Bình", ["phuong", "hoa", "binh"]), ("Cầu Tân Phú 3", ["cau", "tan", "phu", "3"])]
