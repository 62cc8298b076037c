"""Service report aggregation, without a store."""

from __future__ import annotations

from signaling.report import CallFact, TicketFact, aggregate

HOUSING = ("housing", "住建局")
MARKET = ("market", "市场监管局")
FUND = ("housing.fund", "公积金提取")
LICENSE = ("market.license", "营业执照")
ZHANG = ("usr_z", "张晓明")
LI = ("usr_l", "李娜")


def tickets() -> list[TicketFact]:
    return [
        TicketFact("2026-11-27", HOUSING, FUND, ZHANG, "done", 60.0),
        TicketFact("2026-11-27", HOUSING, FUND, None, "abandoned", None),
        TicketFact("2026-11-28", MARKET, LICENSE, LI, "done", 180.0),
        TicketFact("2026-11-28", HOUSING, FUND, None, "cancelled", None),
    ]


def calls() -> list[CallFact]:
    return [
        CallFact("2026-11-27", HOUSING, FUND, ZHANG, 300.0, 5, "resolved"),
        CallFact("2026-11-28", MARKET, LICENSE, LI, 100.0, 2, "materials_missing"),
        CallFact("2026-11-28", MARKET, LICENSE, LI, None, None, None),  # still running
    ]


def test_by_day_counts_waits_lengths_and_satisfaction() -> None:
    report = aggregate(tickets(), calls(), "day")
    day1, day2 = report["rows"]
    assert (day1["key"], day1["tickets"], day1["handled"], day1["abandoned"]) == (
        "2026-11-27", 2, 1, 1)
    assert (day1["avg_wait_s"], day1["calls"], day1["avg_call_s"]) == (60.0, 1, 300.0)
    assert (day1["satisfaction"], day1["dissatisfied"]) == (1.0, 0)
    assert (day2["cancelled"], day2["calls"], day2["avg_call_s"], day2["rated"]) == (
        1, 2, 100.0, 1)
    assert (day2["satisfaction"], day2["dissatisfied"]) == (0.0, 1)
    total = report["total"]
    assert (total["tickets"], total["handled"], total["calls"], total["avg_wait_s"]) == (
        4, 2, 3, 120.0)
    assert total["ratings"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    assert total["satisfaction"] == 0.5
    assert total["outcomes"] == {"materials_missing": 1, "resolved": 1}


def test_by_department_service_and_agent() -> None:
    by_dept = aggregate(tickets(), calls(), "department")["rows"]
    assert [(r["key"], r["tickets"], r["calls"]) for r in by_dept] == [
        ("housing", 3, 1), ("market", 1, 2)]  # busiest first
    by_service = aggregate(tickets(), calls(), "service")["rows"]
    assert {r["label"] for r in by_service} == {"公积金提取", "营业执照"}
    by_agent = {r["key"]: r for r in aggregate(tickets(), calls(), "agent")["rows"]}
    # tickets that never reached an agent are grouped under no agent
    assert (by_agent[""]["tickets"], by_agent[""]["abandoned"], by_agent[""]["calls"]) == (
        2, 1, 0)
    assert (by_agent["usr_l"]["label"], by_agent["usr_l"]["calls"]) == ("李娜", 2)


def test_empty_range() -> None:
    report = aggregate([], [], "agent")
    assert report["rows"] == []
    assert report["total"]["satisfaction"] is None and report["total"]["avg_wait_s"] is None
