from __future__ import annotations

from signaling.sessions import SessionState, SessionTable


def test_resume_within_grace_keeps_the_session() -> None:
    t = SessionTable()
    first = t.open("booth", "b1", "站", None, "s1")
    assert not first.resumed and first.replaced is None and not first.abandon
    held = t.lost("s1", first.session.conn_seq, now=10.0)
    assert held is not None and held.state is SessionState.HELD
    assert t.expire(now=69.0, grace_s=60.0) == []
    again = t.open("booth", "b1", "站", "s1", "s2")
    assert again.resumed and again.session.session_id == "s1"
    assert again.session.state is SessionState.CONNECTED and not again.abandon


def test_stale_disconnect_after_takeover_is_ignored() -> None:
    t = SessionTable()
    first = t.open("agent", "a1", "张", None, "s1")
    seq = first.session.conn_seq
    t.open("agent", "a1", "张", "s1", "s2")  # new socket took over before the old one closed
    assert t.lost("s1", seq, now=1.0) is None
    assert t.get("s1") is not None and t.get("s1").state is SessionState.CONNECTED  # type: ignore[union-attr]


def test_grace_expiry_removes_and_hello_without_resume_replaces() -> None:
    t = SessionTable()
    t.open("booth", "b1", "站", None, "s1")
    t.lost("s1", 0, now=0.0)
    assert t.next_expiry(60.0) == 60.0
    gone = t.expire(now=60.0, grace_s=60.0)
    assert [s.session_id for s in gone] == ["s1"] and t.of("booth", "b1") is None
    t.open("booth", "b1", "站", None, "s2")
    fresh = t.open("booth", "b1", "站", None, "s3")
    assert fresh.replaced is not None and fresh.replaced.session_id == "s2" and fresh.abandon
    wrong = t.open("booth", "b1", "站", "nonsense", "s4")
    assert not wrong.resumed and wrong.abandon


def test_orphans_after_restart_resume_with_any_old_id() -> None:
    t = SessionTable()
    t.orphans.add(("booth", "b1"))
    opened = t.open("booth", "b1", "站", "s-from-before-restart", "s9")
    assert opened.resumed and not opened.abandon and not t.orphans
    t.orphans.add(("booth", "b2"))
    fresh = t.open("booth", "b2", "站", None, "s10")
    assert not fresh.resumed and fresh.abandon
