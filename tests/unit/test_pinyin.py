"""Pinyin input for the kiosk keyboard, on pypinyin's real dictionaries."""

from __future__ import annotations

from booth_client.pinyin import PAGE_SIZE, Composer, PinyinIndex, toneless


def texts(letters: str, n: int = PAGE_SIZE) -> list[str]:
    return [c.text for c in PinyinIndex.default().candidates(letters)[:n]]


def test_toneless_syllables() -> None:
    assert [toneless(s) for s in ("zhāng", "lǜ", "nǚ", "lüè", "Ér")] == [
        "zhang", "lv", "nv", "lve", "er"]


def test_common_characters_come_first() -> None:
    assert "张" in texts("zhang") and "王" == texts("wang")[0]
    assert "绿" == texts("lv")[0] and "女" == texts("nv")[0]
    assert "村" in texts("cun") and "陈" in texts("chen")
    assert "有" not in texts("wei", 30)  # common, but not read "wei"


def test_phrases_then_the_first_syllable() -> None:
    assert "北京" in texts("beijing", 3)
    assert "地址" in texts("dizhi") and "地" in texts("dizhi", 12)  # then 地 for "di"
    assert texts("jie")[0] != "极恶"  # one syllable: its characters first
    assert texts("zhangsan") == texts("zhang")  # no such phrase: char by char


def test_composing_a_name_character_by_character() -> None:
    c = Composer(PinyinIndex.default())
    for ch in "zhangsan":
        c.type(ch)
    assert c.letters == "zhangsan"
    zhang = [cand.text for cand in c.shown()].index("张")
    assert c.pick(zhang) == "张" and c.letters == "san"
    assert c.pick([cand.text for cand in c.shown()].index("三")) == "三"
    assert not c.active and c.shown() == []


def test_pages_backspace_space_and_nonsense() -> None:
    c = Composer(PinyinIndex.default())
    for ch in "shi":
        c.type(ch)
    first_page = c.shown()
    assert len(first_page) == PAGE_SIZE and c.pages() > 3
    c.turn(1)
    assert c.shown() != first_page and c.page == 1
    c.turn(-5)
    assert c.page == 0
    assert c.backspace() and c.letters == "sh"
    c.type("i")
    assert c.commit_first() == first_page[0].text and not c.active
    assert c.backspace() is False  # nothing composed: the field's own backspace
    for ch in "xq":
        c.type(ch)
    assert c.shown() == [] and c.commit_first() == "xq"  # no syllable: the letters as typed
    for ch in "ABC1!":
        c.type(ch)
    assert c.letters == "abc"  # letters only, lower case
    c.clear()
    assert not c.active
