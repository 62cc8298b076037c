"""Remote assist inside the booth engine (issue 7): consent, pointer, drawings, forms,
guidance and remote taps. Frames and intents in, effects and views out; no UI, no I/O."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from booth_client import session as s
from booth_client.remote import Consent, RemoteConfig, RemoteView, Scope
from booth_client.remote_forms import FormPhase, FormResult, SignatureData, coerce
from signaling import forms
from signaling import protocol as p
from signaling.forms import FieldError
from tests.unit.test_booth_session import frame, in_call, online, sends, welcome

RCFG = RemoteConfig(progress_interval_s=0.25, consent_timeout_s=30)
CFG = s.SessionConfig(choose_idle_s=10, rating_idle_s=5, thanks_s=2, media_grace_s=3,
                      media_connect_s=8, backoff_base_s=1, backoff_max_s=8, remote=RCFG)
CALL = "c1"
T = 100.0
ID = "11010519491231002X"

FORM: dict[str, Any] = {
    "title": {"zh": "公租房申请表", "en": "Public rental housing application"},
    "fields": [
        {"id": "name", "type": "text", "label": {"zh": "申请人姓名"}, "required": True,
         "readonly": True, "value": "李秀英"},
        {"id": "id_number", "type": "id_number", "label": {"zh": "身份证号码"},
         "required": True, "sensitive": True},
        {"id": "phone", "type": "phone", "label": {"zh": "手机号码"}, "required": True},
        {"id": "household", "type": "number", "label": {"zh": "家庭人口"}, "required": True,
         "min_value": 1, "max_value": 20, "integer": True},
        {"id": "housing", "type": "choice", "label": {"zh": "现住房情况"}, "required": True,
         "options": [{"value": "none", "label": {"zh": "无自有住房"}},
                     {"value": "small", "label": {"zh": "人均不足15平方米"}}]},
        {"id": "needs", "type": "multi_choice", "label": {"zh": "需要的帮助"},
         "options": [{"value": "lift", "label": {"zh": "电梯"}},
                     {"value": "ground", "label": {"zh": "低楼层"}}]},
        {"id": "address", "type": "text", "label": {"zh": "现住址"}, "value": "石门镇新村村"},
        {"id": "agree", "type": "checkbox", "label": {"zh": "本人承诺所填信息真实有效"},
         "required": True},
    ],
    "signature": {"label": {"zh": "申请人签名"}},
}
GOOD = {"id_number": ID, "phone": "13812345678", "household": "3", "housing": "none",
        "agree": True}
STROKES = ((( 0.1, 0.5, 0), (0.2, 0.55, 16), (0.3, 0.5, 33)),
           ((0.5, 0.4, 300), (0.55, 0.6, 340)))
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture
def eng() -> s.BoothSession:
    engine = online()
    engine.config = CFG
    in_call(engine)
    engine.peer_state(CALL, 0, "connected", 3.5)
    assert engine.remote is not None
    engine.remote.config = RCFG
    return engine


def feed(eng: s.BoothSession, mtype: str, now: float = T, re: str | None = None,
         **data: Any) -> list[s.Effect]:
    return eng.frame(frame(mtype, re=re, **{"call_id": CALL, **data}), now)


def rv(eng: s.BoothSession) -> RemoteView:
    view = eng.view().remote
    assert view is not None
    return view


def of(effects: list[s.Effect], kind: type[Any]) -> list[Any]:
    return [e for e in effects if isinstance(e, kind)]


def consents(effects: list[s.Effect]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for e in sends(effects, "assist.consent"):
        assert isinstance(e.data, p.AssistConsent) and e.id is not None
        out.append((e.data.scope, e.data.granted))
    return out


def ok(eng: s.BoothSession, effects: list[s.Effect], now: float = T) -> list[s.Effect]:
    """The hub says ``ok`` to the consent request among ``effects``."""
    rid = sends(effects, "assist.consent")[-1].id
    return eng.frame(frame("ok", re=rid), now)


def grant(eng: s.BoothSession, scope: str, now: float = T) -> list[s.Effect]:
    feed(eng, "assist.consent.requested", now, scope=scope)
    assert rv(eng).asking is Scope(scope)
    sent = eng.user_remote("consent", scope, True, now=now)
    assert consents(sent) == [(scope, True)]
    assert rv(eng).asking is None
    return ok(eng, sent, now)


# ---------------------------------------------------------------------------- consent


def test_screen_is_shared_only_after_the_hub_records_the_grant(eng: s.BoothSession) -> None:
    assert rv(eng).screen is Consent.OFF and not rv(eng).sharing
    assert feed(eng, "assist.consent.requested", scope="screen") == []
    view = rv(eng)
    assert view.asking is Scope.SCREEN and view.asking_until == T + 30
    sent = eng.user_remote("consent", "screen", True, now=T + 2)
    assert consents(sent) == [("screen", True)] and not of(sent, s.ShareScreen)
    assert rv(eng).screen is Consent.GRANTING and rv(eng).sharing  # the frame shows already
    assert not eng.view().busy, "a consent in flight does not lock the call's buttons"
    assert ok(eng, sent, T + 2) == [s.ShareScreen(CALL, True)]
    assert rv(eng).screen is Consent.ON


def test_declining_and_not_answering_send_a_refusal(eng: s.BoothSession) -> None:
    feed(eng, "assist.consent.requested", scope="screen")
    sent = eng.user_remote("consent", "screen", False, now=T + 1)
    assert consents(sent) == [("screen", False)]
    assert rv(eng).screen is Consent.OFF and rv(eng).asking is None
    feed(eng, "assist.consent.requested", T + 5, scope="screen")
    assert eng.remote is not None and eng.remote.next_deadline() == T + 35
    assert consents(eng.tick(T + 34)) == []
    effects = eng.tick(T + 35)
    assert consents(effects) == [("screen", False)] and not of(effects, s.ShareScreen)
    assert rv(eng).asking is None and rv(eng).screen is Consent.OFF


def test_answering_another_question_than_the_one_shown_does_nothing(
        eng: s.BoothSession) -> None:
    feed(eng, "assist.consent.requested", scope="screen")
    assert eng.user_remote("consent", "control", True, now=T) == []
    assert rv(eng).asking is Scope.SCREEN


def test_stop_sharing_at_once_takes_control_with_it(eng: s.BoothSession) -> None:
    assert grant(eng, "screen") == [s.ShareScreen(CALL, True)]
    assert grant(eng, "control") == []
    assert rv(eng).control is Consent.ON
    effects = eng.user_remote("stop_share", now=T + 5)
    # the picture stops before anything is said to the hub; one revocation (the hub
    # revokes control with the screen)
    assert effects[0] == s.ShareScreen(CALL, False)
    assert consents(effects) == [("screen", False)]
    assert rv(eng).screen is Consent.OFF and rv(eng).control is Consent.OFF
    assert feed(eng, "assist.control", action="tap", x=0.5, y=0.5) == []


def test_control_needs_the_screen_and_is_revocable_alone(eng: s.BoothSession) -> None:
    effects = feed(eng, "assist.consent.requested", scope="control")
    assert consents(effects) == [("control", False)], "no control without the screen"
    assert rv(eng).asking is None
    grant(eng, "screen")
    grant(eng, "control")
    tap = feed(eng, "assist.control", action="tap", x=0.25, y=0.75)
    assert tap == [s.InjectTap(CALL, 0.25, 0.75, 1)]
    tap_view = rv(eng).tap
    assert tap_view is not None and tap_view.seq == 1
    effects = eng.user_remote("revoke_control", now=T + 1)
    assert consents(effects) == [("control", False)] and not of(effects, s.ShareScreen)
    assert rv(eng).control is Consent.OFF and rv(eng).screen is Consent.ON
    assert feed(eng, "assist.control", action="tap", x=0.1, y=0.1) == []
    assert rv(eng).tap == tap_view


def test_remote_taps_are_dropped_without_the_control_grant(eng: s.BoothSession) -> None:
    assert feed(eng, "assist.control", action="tap", x=0.5, y=0.5) == []
    grant(eng, "screen")
    assert feed(eng, "assist.control", action="tap", x=0.5, y=0.5) == []
    feed(eng, "assist.consent.requested", scope="control")
    sent = eng.user_remote("consent", "control", True, now=T)
    assert rv(eng).control is Consent.GRANTING
    assert feed(eng, "assist.control", action="tap", x=0.5, y=0.5) == [], \
        "not before the hub recorded the grant"
    ok(eng, sent)
    assert of(feed(eng, "assist.control", action="tap", x=0.5, y=0.5), s.InjectTap)


def test_a_refused_grant_and_a_revocation_in_flight(eng: s.BoothSession) -> None:
    feed(eng, "assist.consent.requested", scope="screen")
    sent = eng.user_remote("consent", "screen", True, now=T)
    rid = sends(sent, "assist.consent")[0].id
    assert eng.frame(frame("error", re=rid, code="conflict", message="no"), T) == []
    assert rv(eng).screen is Consent.OFF
    # granted, then stopped before the hub's ok: the ok does not start the picture
    feed(eng, "assist.consent.requested", scope="screen")
    sent = eng.user_remote("consent", "screen", True, now=T)
    revoke = eng.user_remote("stop_share", now=T)
    assert consents(revoke) == [("screen", False)] and not of(revoke, s.ShareScreen)
    assert ok(eng, sent) == []
    assert rv(eng).screen is Consent.OFF


def test_asked_again_while_granted_confirms_without_a_question(eng: s.BoothSession) -> None:
    grant(eng, "screen")
    effects = feed(eng, "assist.consent.requested", scope="screen")
    assert consents(effects) == [("screen", True)] and rv(eng).asking is None
    assert ok(eng, effects) == [], "the picture is already going"
    assert rv(eng).screen is Consent.ON


def test_the_hubs_record_after_a_reconnection_is_reconciled(eng: s.BoothSession) -> None:
    grant(eng, "screen")
    # the hub holds no grant (it never recorded it): the picture stops, nothing to send
    effects = feed(eng, "assist.consent", scope="screen", granted=False, at=T)
    assert effects == [s.ShareScreen(CALL, False)]
    # the resident revoked while offline (the revocation was lost): revoke again
    effects = feed(eng, "assist.consent", scope="screen", granted=True, at=T)
    assert consents(effects) == [("screen", False)] and not of(effects, s.ShareScreen)
    # a grant in flight that the hub did record
    feed(eng, "assist.consent.requested", scope="screen")
    eng.user_remote("consent", "screen", True, now=T)
    effects = feed(eng, "assist.consent", scope="screen", granted=True, at=T)
    assert effects == [s.ShareScreen(CALL, True)] and rv(eng).screen is Consent.ON


def test_resume_sends_again_what_may_be_lost(eng: s.BoothSession) -> None:
    push_form(eng)
    feed(eng, "assist.annotate", surface="document:doc_1", op="add",
         shape={"id": "a1", "kind": "arrow", "points": [[0.1, 0.1], [0.4, 0.4]]})
    feed(eng, "assist.consent.requested", scope="screen")
    eng.user_remote("consent", "screen", True, now=T)
    eng.user_remote("fill", "frm_1", "phone", "138", now=T + 1)
    eng.disconnected(T + 2, 1006)
    eng.connected(T + 3)
    hello = eng._hello_id
    effects = eng.frame(frame("welcome", re=hello, session_id="s1", role="booth",
                              subject={"id": "bth_1", "name": "x"}, heartbeat_s=20,
                              server_time=0.0, resumed=True,
                              restored={"ticket_id": "t1", "call_id": CALL}), T + 3)
    assert consents(effects) == [("screen", True)], "the grant is asked for again"
    asked = [e.data.surface for e in sends(effects, "assist.board.get")
             if isinstance(e.data, p.AssistBoardGet)]
    assert asked == ["document:doc_1", "screen"]
    progress = sends(effects, "assist.form.progress")
    assert len(progress) == 1 and isinstance(progress[0].data, p.AssistFormProgress)
    assert set(progress[0].data.values) == {"id_number", "phone", "household", "housing",
                                            "needs", "address", "agree"}
    assert progress[0].data.values["phone"] == "138"
    # a board that comes back empty clears the surface the booth still drew
    board_id = sends(effects, "assist.board.get")[0].id
    feed(eng, "assist.board", T + 4, re=board_id, surface="document:doc_1", shapes=[])
    assert rv(eng).board.shapes("document:doc_1") == ()
    assert not eng.view().busy


# ---------------------------------------------------------------------------- drawings


def shape(sid: str, kind: str = "pen", **extra: Any) -> dict[str, Any]:
    points = {"pen": [[0.1, 0.1], [0.2, 0.3], [0.3, 0.2]], "arrow": [[0.1, 0.1], [0.5, 0.5]],
              "box": [[0.2, 0.2], [0.6, 0.4]], "text": [[0.5, 0.5]]}[kind]
    out: dict[str, Any] = {"id": sid, "kind": kind, "points": points, **extra}
    if kind == "text":
        out.setdefault("text", "点这里")
    return out


def annotate(eng: s.BoothSession, op: str, surface: str = "screen",
             sh: dict[str, Any] | None = None) -> list[s.Effect]:
    return feed(eng, "assist.annotate", surface=surface, op=op, shape=sh)


def test_annotation_ops_change_the_board_as_at_the_hub(eng: s.BoothSession) -> None:
    for sid, kind in (("p1", "pen"), ("a1", "arrow"), ("b1", "box"), ("t1", "text")):
        assert annotate(eng, "add", sh=shape(sid, kind)) == []
    assert [x.id for x in rv(eng).board.shapes("screen")] == ["p1", "a1", "b1", "t1"]
    annotate(eng, "undo")
    assert [x.id for x in rv(eng).board.shapes("screen")] == ["p1", "a1", "b1"]
    annotate(eng, "add", "document:doc_7", shape("p1", "box", fill=True, color="yellow"))
    assert rv(eng).board.shapes("document:doc_7")[0].fill
    annotate(eng, "clear")
    assert rv(eng).board.shapes("screen") == ()
    assert len(rv(eng).board.shapes("document:doc_7")) == 1
    annotate(eng, "undo")  # nothing to undo on the screen: fine
    # the copies differ (a shape id the booth already holds): ask for the hub's board
    effects = annotate(eng, "add", "document:doc_7", shape("p1"))
    ask = sends(effects, "assist.board.get")
    assert len(ask) == 1 and isinstance(ask[0].data, p.AssistBoardGet)
    assert ask[0].data.surface == "document:doc_7"
    feed(eng, "assist.board", re=ask[0].id, surface="document:doc_7",
         shapes=[shape("x1", "arrow"), shape("x2", "text")])
    assert [x.id for x in rv(eng).board.shapes("document:doc_7")] == ["x1", "x2"]
    assert not eng.view().busy


def test_pointer_moves_and_a_document_surface_comes_to_the_front(eng: s.BoothSession) -> None:
    feed(eng, "assist.pointer", x=0.25, y=0.5)
    pointer = rv(eng).pointer
    assert pointer is not None and (pointer.surface, pointer.x, pointer.y) == ("screen", 0.25,
                                                                                0.5)
    assert pointer.visible and pointer.seq == 1 and rv(eng).front is None
    feed(eng, "assist.pointer", x=0.3, y=0.6, visible=False)
    pointer = rv(eng).pointer
    assert pointer is not None and not pointer.visible and pointer.seq == 2
    feed(eng, "assist.pointer", surface="document:doc_3", x=0.5, y=0.5)
    assert rv(eng).front == "document" and rv(eng).document_id == "doc_3"
    eng.user_remote("close_document", now=T)
    assert rv(eng).front is None and rv(eng).document_id is None
    feed(eng, "assist.pointer", surface="document:doc_3", x=0.6, y=0.5)
    assert rv(eng).document_id == "doc_3", "the agent points at it again: shown again"
    eng.user_remote("close_document", now=T)
    annotate(eng, "add", "document:doc_3", shape("b1", "box"))
    assert rv(eng).front == "document" and rv(eng).document_id == "doc_3"


# ---------------------------------------------------------------------------- forms


def push_form(eng: s.BoothSession, form_id: str = "frm_1", form: dict[str, Any] = FORM,
              now: float = T) -> list[s.Effect]:
    return feed(eng, "assist.form", now, form_id=form_id, form=form)


def fview(eng: s.BoothSession) -> Any:
    view = rv(eng).form
    assert view is not None
    return view


def progress_values(effects: list[s.Effect]) -> list[dict[str, Any]]:
    out = []
    for e in sends(effects, "assist.form.progress"):
        assert isinstance(e.data, p.AssistFormProgress) and e.id is None  # an event
        out.append(dict(e.data.values))
    return out


def fill_all(eng: s.BoothSession, values: dict[str, Any] = GOOD, now: float = T) -> None:
    for key, value in values.items():
        eng.user_remote("fill", "frm_1", key, value, now=now)


def signed(eng: s.BoothSession, now: float = T) -> s.SubmitForm:
    fill_all(eng, now=now)
    eng.user_remote("review", "frm_1", now=now)
    assert fview(eng).phase is FormPhase.REVIEW
    eng.user_remote("confirm", "frm_1", now=now)
    assert fview(eng).phase is FormPhase.SIGNING
    effects = eng.user_remote("sign", "frm_1", SignatureData(STROKES, PNG), now=now)
    submit = of(effects, s.SubmitForm)
    assert len(submit) == 1
    return submit[0]  # type: ignore[no-any-return]


def test_a_pushed_form_shows_with_the_agents_values(eng: s.BoothSession) -> None:
    effects = push_form(eng)
    view = fview(eng)
    assert rv(eng).front == "form" and view.phase is FormPhase.FILLING
    assert view.form_id == "frm_1" and view.waiting == 0
    entries = {f.field.id: f.entry for f in view.fields}
    assert entries["name"] == "李秀英" and entries["address"] == "石门镇新村村"
    # the pre-filled suggestion goes to the agent at once; the readonly field never
    assert progress_values(effects) == [{"address": "石门镇新村村"}]


def test_progress_is_sent_at_most_four_times_a_second(eng: s.BoothSession) -> None:
    push_form(eng, now=T - 1)
    sent: list[tuple[float, dict[str, Any]]] = []
    for i, text in enumerate(["1", "13", "138", "1381", "13812", "138123"]):
        now = T + i * 0.1
        effects = eng.user_remote("fill", "frm_1", "phone", text, now=now)
        effects += eng.tick(now)
        sent += [(now, v) for v in progress_values(effects)]
    assert eng.remote is not None
    due = eng.remote.next_deadline()
    assert due is not None
    sent += [(due, v) for v in progress_values(eng.tick(due))]
    times = [t for t, _ in sent]
    assert all(b - a >= 0.25 - 1e-9 for a, b in zip(times, times[1:], strict=False))
    assert sent[0][1] == {"phone": "1"}
    assert sent[-1][1] == {"phone": "138123"}, "the last value always goes"
    assert eng.tick(due + 5) == []


def test_review_shows_field_errors_then_review_sign_and_submit(eng: s.BoothSession) -> None:
    push_form(eng)
    eng.user_remote("review", "frm_1", now=T)
    view = fview(eng)
    assert view.phase is FormPhase.FILLING
    errors = {f.field.id: f.error for f in view.fields if f.error}
    assert errors == {"id_number": "required", "phone": "required", "household": "required",
                      "housing": "required", "agree": "required"}
    eng.user_remote("fill", "frm_1", "id_number", ID[:17] + "1", now=T)
    eng.user_remote("fill", "frm_1", "phone", "12345", now=T)
    eng.user_remote("fill", "frm_1", "household", "3.5", now=T)
    errors = {f.field.id: f.error for f in fview(eng).fields if f.error}
    assert errors["id_number"] == "id_number" and errors["phone"] == "phone"
    assert errors["household"] == "integer"
    eng.user_remote("fill", "frm_1", "id_number", ID.lower(), now=T)  # x typed small
    assert "id_number" not in {f.field.id for f in fview(eng).fields if f.error}
    assert {f.field.id: f.entry for f in fview(eng).fields}["id_number"] == ID
    # no signature page without the review
    assert eng.user_remote("confirm", "frm_1", now=T) == []
    assert eng.user_remote("sign", "frm_1", SignatureData(STROKES, PNG), now=T) == []
    assert fview(eng).phase is FormPhase.FILLING
    submit = signed(eng, T + 1)
    assert fview(eng).phase is FormPhase.SUBMITTING and fview(eng).has_signature
    assert submit.call_id == CALL and submit.form_id == "frm_1"
    body = submit.body
    assert body["reviewed"] is True
    assert body["values"] == {"id_number": ID, "phone": "13812345678", "household": 3,
                              "housing": "none", "needs": None, "address": "石门镇新村村",
                              "agree": True}
    assert body["signature"]["strokes"] == [[list(pt) for pt in st] for st in STROKES]
    assert base64.b64decode(body["signature"]["png"]) == PNG
    # what the booth sends is what the hub takes
    sub = forms.Submission.model_validate(body)
    definition = forms.parse_definition(FORM)
    assert forms.validate_submission(definition, sub.values)["name"] == "李秀英"
    eng.form_result(FormResult("frm_1", True, sha256="a" * 64, signature_sha256="b" * 64,
                               submitted_at=T + 2), T + 2)
    assert fview(eng).phase is FormPhase.SUBMITTED and fview(eng).sha256 == "a" * 64
    assert eng.user_remote("fill", "frm_1", "phone", "13900000000", now=T + 3) == []
    eng.user_remote("close_form", "frm_1", now=T + 3)
    assert rv(eng).form is None and rv(eng).front is None


def test_a_change_after_the_review_means_reviewing_again(eng: s.BoothSession) -> None:
    push_form(eng)
    fill_all(eng)
    eng.user_remote("review", "frm_1", now=T)
    eng.user_remote("confirm", "frm_1", now=T)
    eng.user_remote("back", "frm_1", now=T)
    assert fview(eng).phase is FormPhase.REVIEW
    eng.user_remote("edit", "frm_1", now=T)
    assert fview(eng).phase is FormPhase.FILLING
    eng.user_remote("review", "frm_1", now=T)
    eng.user_remote("confirm", "frm_1", now=T)
    eng.user_remote("fill", "frm_1", "household", "4", now=T)  # from a remote tap, say
    assert fview(eng).phase is FormPhase.FILLING and not fview(eng).has_signature


def test_a_signature_the_hub_would_refuse_is_not_sent(eng: s.BoothSession) -> None:
    push_form(eng)
    fill_all(eng)
    eng.user_remote("review", "frm_1", now=T)
    eng.user_remote("confirm", "frm_1", now=T)
    one_dot = SignatureData((((0.5, 0.5, 0),),), PNG)
    assert eng.user_remote("sign", "frm_1", one_dot, now=T) == []
    backwards = SignatureData((((0.1, 0.1, 50), (0.2, 0.2, 10)),), PNG)
    assert eng.user_remote("sign", "frm_1", backwards, now=T) == []
    assert fview(eng).phase is FormPhase.SIGNING


def test_submission_failures(eng: s.BoothSession) -> None:
    push_form(eng)
    first = signed(eng)
    eng.form_result(FormResult("frm_1", False, status=None, message="cannot reach"), T)
    view = fview(eng)
    assert view.phase is FormPhase.FAILED and view.retryable
    assert view.failure == "form.failed.network"
    again = of(eng.user_remote("retry", "frm_1", now=T + 1), s.SubmitForm)
    assert again == [first], "the same signed submission is sent again"
    # the hub judged a value otherwise: back to the fields, errors shown, sign again
    eng.form_result(FormResult("frm_1", False, status=400, code="bad_message",
                               fields={"phone": FieldError("phone", "not a phone")}), T + 2)
    view = fview(eng)
    assert view.phase is FormPhase.FILLING and not view.has_signature
    assert {f.field.id: f.error for f in view.fields if f.error} == {"phone": "phone"}
    assert view.failure == "form.failed.fields"
    eng.user_remote("review", "frm_1", now=T + 3)
    eng.user_remote("confirm", "frm_1", now=T + 3)
    eng.user_remote("sign", "frm_1", SignatureData(STROKES, PNG), now=T + 3)
    eng.form_result(FormResult("frm_1", False, status=409, code="conflict"), T + 4)
    view = fview(eng)
    assert view.phase is FormPhase.FAILED and not view.retryable
    assert view.failure == "form.failed.closed"
    assert eng.user_remote("retry", "frm_1", now=T + 5) == []
    eng.user_remote("close_form", "frm_1", now=T + 5)
    assert rv(eng).form is None


def test_forms_come_one_at_a_time_and_survive_a_push_again(eng: s.BoothSession) -> None:
    push_form(eng)
    eng.user_remote("fill", "frm_1", "phone", "138", now=T)
    push_form(eng, "frm_2", {**FORM, "title": {"zh": "第二张表"}})
    assert fview(eng).form_id == "frm_1" and fview(eng).waiting == 1
    push_form(eng)  # the hub pushes an unsigned form again after a reconnection
    assert {f.field.id: f.entry for f in fview(eng).fields}["phone"] == "138"
    assert eng.user_remote("fill", "frm_2", "phone", "139", now=T) == [], \
        "only the form on screen takes input"
    signed(eng)
    eng.form_result(FormResult("frm_1", True, sha256="a" * 64), T)
    eng.user_remote("close_form", "frm_1", now=T)
    assert fview(eng).form_id == "frm_2" and fview(eng).waiting == 0


def test_readonly_fields_and_values_a_field_cannot_take(eng: s.BoothSession) -> None:
    push_form(eng)
    assert eng.user_remote("fill", "frm_1", "name", "王小明", now=T + 5) == []
    assert {f.field.id: f.entry for f in fview(eng).fields}["name"] == "李秀英"
    with pytest.raises(ValueError):
        eng.user_remote("fill", "frm_1", "housing", "castle", now=T)
    with pytest.raises(ValueError):
        eng.user_remote("fill", "frm_1", "agree", "yes", now=T)
    with pytest.raises(ValueError):
        eng.user_remote("fill", "frm_1", "nope", "x", now=T)
    effects = eng.user_remote("fill", "frm_1", "needs", ["ground", "lift"], now=T + 5)
    assert progress_values(effects) == [{"needs": ["lift", "ground"]}]  # option order
    definition = forms.parse_definition(FORM)
    phone = definition.field("phone")
    assert phone is not None and coerce(phone, "1" * 40) == "1" * 20


def test_an_unreadable_number_is_an_error_not_a_value(eng: s.BoothSession) -> None:
    push_form(eng)
    effects = eng.user_remote("fill", "frm_1", "household", "-", now=T + 5)
    assert progress_values(effects) == [{"household": None}]
    fill_all(eng, {**GOOD, "household": "-"}, T + 6)
    eng.user_remote("review", "frm_1", now=T + 6)
    assert {f.field.id: f.error for f in fview(eng).fields if f.error} == {"household": "type"}


# ---------------------------------------------------------------------------- guidance


def test_guidance_shows_large_and_a_newer_one_replaces_it(eng: s.BoothSession) -> None:
    feed(eng, "assist.guide", kind="checklist", title="还需要准备的材料",
         items=[{"text": "户口簿原件", "done": True}, {"text": "收入证明"}])
    guide = rv(eng).guide
    assert rv(eng).front == "guide" and guide is not None and guide.items is not None
    assert [i.done for i in guide.items] == [True, False]
    push_form(eng)
    assert rv(eng).front == "form"
    feed(eng, "assist.guide", kind="text", title="下一步", text="请把户口簿放在高拍仪上",
         document_id="doc_1")
    guide = rv(eng).guide
    assert rv(eng).front == "guide" and guide is not None and guide.text is not None
    eng.user_remote("close_guide", now=T)
    assert rv(eng).guide is None and rv(eng).front == "form", "the form comes back"


# ---------------------------------------------------------------------------- the call


def test_the_call_ending_clears_everything(eng: s.BoothSession) -> None:
    grant(eng, "screen")
    grant(eng, "control")
    push_form(eng)
    annotate(eng, "add", sh=shape("p1"))
    feed(eng, "assist.pointer", x=0.5, y=0.5)
    effects = eng.frame(frame("call.ended", call_id=CALL, reason="agent_hangup", by="agent"),
                        T + 1)
    assert s.StopRemote(CALL) in effects and s.StopMedia(CALL) in effects
    assert effects.index(s.StopRemote(CALL)) < effects.index(s.StopMedia(CALL))
    assert eng.view().remote is None
    assert feed(eng, "assist.control", T + 2, action="tap", x=0.5, y=0.5) == []
    assert feed(eng, "assist.consent.requested", T + 2, scope="screen") == []
    assert eng.user_remote("stop_share", now=T + 2) == []
    assert eng.form_result(FormResult("frm_1", True), T + 2) == []


def test_frames_of_another_call_and_outside_calls_are_ignored(eng: s.BoothSession) -> None:
    effects = eng.frame(frame("assist.consent.requested", call_id="c9", scope="screen"), T)
    assert effects == [] and rv(eng).asking is None
    with pytest.raises(ValueError):
        eng.user_remote("dance", now=T)
    idle = online()
    assert idle.view().remote is None
    assert idle.frame(frame("assist.guide", call_id=CALL, kind="text", title="x",
                            text="y"), T) == []
    assert idle.user_remote("stop_share", now=T) == []


def test_a_new_call_starts_with_nothing_granted(eng: s.BoothSession) -> None:
    grant(eng, "screen")
    eng.frame(frame("call.ended", call_id=CALL, reason="agent_hangup", by="agent"), T)
    eng.frame(welcome(), T)  # (a fresh session would do the same)
    assert eng.view().remote is None
