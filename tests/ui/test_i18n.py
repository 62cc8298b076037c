"""Every string has both languages; the engine's keys all have words."""

from __future__ import annotations

from booth_client.session import BAD_REVIEW_REASONS
from booth_client.ui.i18n import STRINGS, has_key, other_lang, tr
from booth_client.ui.screens import ahead_text, eta_minutes
from booth_client.ui.theme import pick_font_family

NOTICES = ("notice.ticket_lost", "notice.service_unavailable", "notice.try_again",
           "notice.offline")


def test_both_languages_have_every_key() -> None:
    assert STRINGS["zh"].keys() == STRINGS["en"].keys()
    for lang in ("zh", "en"):
        assert all(v.strip() for v in STRINGS[lang].values())


def test_engine_keys_have_words() -> None:
    for key in (*BAD_REVIEW_REASONS, *NOTICES, *(f"rate.{n}" for n in range(1, 6))):
        assert has_key(key), key


def test_the_words_the_brief_names() -> None:
    assert tr("welcome.title") == "欢迎使用晓屋政务服务"
    assert tr("welcome.title", "en") == "Welcome to Xiaowu government services"
    assert [tr(f"rate.{n}") for n in (5, 4, 3, 2, 1)] == [
        "非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert [tr(k) for k in BAD_REVIEW_REASONS] == [
        "服务态度差", "等待时间长", "解释不清楚", "问题未解决", "设备或网络问题", "其他"]
    assert tr("notice.ticket_lost") == "连接中断，排队号已失效，请重新取号"
    assert tr("wait.ahead", n=4) == "前面还有 4 人"
    assert tr("wait.eta", "en", m=5) == "About 5 min"
    assert (tr("lang.toggle"), tr("lang.toggle", "en")) == ("English", "中文")


def test_unknown_keys_fall_back_instead_of_failing() -> None:
    assert tr("notice.from_a_newer_engine") == "notice.from_a_newer_engine"
    assert other_lang("zh") == "en" and other_lang("en") == "zh"


def test_queue_wording() -> None:
    assert ahead_text(0, "zh") == "下一位就是您"
    assert ahead_text(1, "en") == "1 person ahead"
    assert ahead_text(7, "en") == "7 people ahead"
    assert (eta_minutes(0), eta_minutes(59), eta_minutes(61), eta_minutes(600)) == (1, 1, 2, 10)


def test_font_choice() -> None:
    assert pick_font_family(["DejaVu Sans", "Noto Sans CJK SC", "WenQuanYi Zen Hei"]) \
        == "Noto Sans CJK SC"
    assert pick_font_family(["WenQuanYi Zen Hei"]) == "WenQuanYi Zen Hei"
    assert pick_font_family(["DejaVu Sans"]) is None
