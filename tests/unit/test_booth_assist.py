"""Documents and the face check inside the booth engine: frames and results in, effects out."""

from __future__ import annotations

from typing import Any

import pytest

from booth_client import session as s
from booth_client.assist import AssistConfig, DocPhase, FacePhase, face_plan
from booth_client.ui.i18n import STRINGS
from signaling import protocol as p
from tests.unit.test_booth_session import frame, in_call, online, sends

ACFG = AssistConfig(document_attempts=3, document_ready_s=10, document_retry_s=2,
                    document_result_s=4, document_failed_s=8, face_result_s=5)
CFG = s.SessionConfig(choose_idle_s=10, rating_idle_s=5, thanks_s=2, media_grace_s=3,
                      media_connect_s=8, backoff_base_s=1, backoff_max_s=8, assist=ACFG)
CALL = "c1"
T = 100.0  # the call is up; the tests' clock starts here


@pytest.fixture
def eng() -> s.BoothSession:
    engine = online()
    engine.config = CFG
    engine.assist.config = ACFG
    in_call(engine)
    engine.peer_state(CALL, 0, "connected", 3.5)
    return engine


def assist_effects(effects: list[s.Effect]) -> list[s.Effect]:
    """Leave out the heartbeat's ping and booth.status."""
    return [e for e in effects if not (isinstance(e, s.Send)
                                       and e.mtype in ("ping", "booth.status"))]


def requested(eng: s.BoothSession, rid: str = "r1", kind: str = "id_front",
              instruction: str | None = "请把身份证人像面放在高拍仪上", now: float = T,
              call_id: str = CALL) -> list[s.Effect]:
    return eng.frame(frame("document.requested", call_id=call_id, request_id=rid, kind=kind,
                           instruction=instruction), now)


def statuses(effects: list[s.Effect]) -> list[tuple[str, str, str | None, str | None]]:
    out: list[tuple[str, str, str | None, str | None]] = []
    for e in sends(effects, "document.status"):
        d = e.data
        assert isinstance(d, p.DocumentStatus) and e.id is not None
        out.append((d.request_id, d.state, d.code, d.message))
    return out


def of(effects: list[s.Effect], kind: type[Any]) -> list[Any]:
    return [e for e in effects if isinstance(e, kind)]


def doc(eng: s.BoothSession) -> s.DocumentView:
    view = eng.view().document
    assert view is not None
    return view


def face(eng: s.BoothSession) -> s.FaceView:
    view = eng.view().face
    assert view is not None
    return view


def capturing(eng: s.BoothSession, rid: str = "r1", now: float = T) -> None:
    requested(eng, rid, now=now)
    effects = eng.user_document_ready(now + 1)
    assert statuses(effects) == [(rid, "capturing", None, None)]
    assert of(effects, s.StartCapture) == [s.StartCapture(CALL, rid, "id_front", 1)]


def uploading(eng: s.BoothSession, rid: str = "r1", now: float = T) -> None:
    capturing(eng, rid, now)
    effects = eng.capture_result(s.CaptureResult(rid, 1, True), now + 2)
    assert statuses(effects) == [(rid, "uploading", None, None)]
    assert of(effects, s.UploadDocument) == [s.UploadDocument(CALL, rid, "id_front", 1)]


def submitted(eng: s.BoothSession, rid: str = "r1", now: float = T) -> None:
    uploading(eng, rid, now)
    assert eng.upload_done(s.UploadDone(rid, "doc_1"), now + 3) == []
    assert doc(eng).phase is DocPhase.SUBMITTED


FACE = {"call_id": CALL, "check_id": "fc1", "document_id": "doc_1",
        "challenges": ["blink", "turn_left"], "baseline_s": 1.0, "step_s": 4.0, "fps": 5.0,
        "max_frames": 40, "upload_url": "/api/calls/c1/face-checks/fc1/frames"}


def face_started(eng: s.BoothSession, now: float = T, **over: Any) -> list[s.Effect]:
    return eng.frame(frame("face.check.started", **{**FACE, **over}), now)


# ----------------------------------------------------------------------------- documents


def test_document_request_shows_the_instruction_and_waits_for_the_resident(
        eng: s.BoothSession) -> None:
    assert requested(eng) == []  # nothing is sent until the capture starts
    view = eng.view()
    assert view.screen is s.Screen.IN_CALL and view.overlay == "document"
    d = doc(eng)
    assert (d.request_id, d.kind, d.phase, d.attempt) == ("r1", "id_front", DocPhase.READY, 0)
    assert d.instruction == "请把身份证人像面放在高拍仪上"
    assert d.until == T + 10 and eng.assist.next_deadline() == T + 10  # the countdown
    assert eng.view().call is not None and eng.media is not s.Media.IDLE  # the call goes on


def test_capture_starts_by_itself_when_the_countdown_ends(eng: s.BoothSession) -> None:
    requested(eng)
    assert of(eng.tick(T + 9.9), s.StartCapture) == []
    effects = eng.tick(T + 10)
    assert statuses(effects) == [("r1", "capturing", None, None)]
    assert of(effects, s.StartCapture) == [s.StartCapture(CALL, "r1", "id_front", 1)]
    assert doc(eng).phase is DocPhase.CAPTURING and doc(eng).until is None


def test_capture_upload_review_accepted_then_gone(eng: s.BoothSession) -> None:
    uploading(eng)
    assert doc(eng).phase is DocPhase.UPLOADING
    assert not eng.view().busy  # document.status replies do not disable the call's buttons
    assert eng.upload_done(s.UploadDone("r1", "doc_1"), T + 3) == []
    d = doc(eng)
    assert d.phase is DocPhase.SUBMITTED and d.message == "doc.submitted"
    effects = eng.frame(frame("document.reviewed", call_id=CALL, document_id="doc_1",
                              request_id="r1", kind="id_front", decision="accepted"), T + 5)
    assert effects == []
    assert doc(eng).phase is DocPhase.ACCEPTED and doc(eng).message == "doc.accepted"
    eng.tick(T + 8.9)
    assert eng.view().document is not None
    eng.tick(T + 9)
    assert eng.view().document is None and eng.view().overlay is None


def test_submitted_goes_by_itself_and_a_late_acceptance_is_shown_again(
        eng: s.BoothSession) -> None:
    submitted(eng)
    eng.tick(T + 7)  # result_s after the upload
    assert eng.view().document is None
    eng.frame(frame("document.reviewed", call_id=CALL, document_id="doc_1", request_id="r1",
                    kind="id_front", decision="accepted"), T + 20)
    assert doc(eng).phase is DocPhase.ACCEPTED and eng.view().overlay == "document"


def test_quality_failures_retry_with_the_reason_then_fail(eng: s.BoothSession) -> None:
    capturing(eng)
    effects = eng.capture_result(s.CaptureResult("r1", 1, False, "quality", "blurry",
                                                 ("blurry",)), T + 2)
    assert statuses(effects) == [("r1", "retrying", "quality", "blurry")]
    assert of(effects, s.StartCapture) == []
    d = doc(eng)
    assert d.phase is DocPhase.RETRYING and d.message == "doc.quality.blurry"
    assert d.code == "quality" and d.until == T + 4
    assert assist_effects(eng.tick(T + 3.9)) == []
    effects = eng.tick(T + 4)
    assert statuses(effects) == [("r1", "capturing", None, None)]
    assert of(effects, s.StartCapture) == [s.StartCapture(CALL, "r1", "id_front", 2)]
    effects = eng.capture_result(s.CaptureResult("r1", 2, False, "quality", "glare,too_dark",
                                                 ("glare", "too_dark")), T + 5)
    assert doc(eng).message == "doc.quality.glare"
    eng.tick(T + 7)
    effects = eng.capture_result(s.CaptureResult("r1", 3, False, "quality", "too_dark",
                                                 ("too_dark",)), T + 8)
    assert statuses(effects) == [("r1", "failed", "quality", "too_dark")]
    d = doc(eng)
    assert d.phase is DocPhase.FAILED and d.message == "doc.error.quality" and d.attempt == 3
    eng.tick(T + 15.9)
    assert eng.view().document is not None  # failures stay longer (document_failed_s)
    eng.tick(T + 16)
    assert eng.view().document is None


def test_a_busy_scanner_is_retried(eng: s.BoothSession) -> None:
    capturing(eng)
    effects = eng.capture_result(s.CaptureResult("r1", 1, False, "busy", "Device busy"), T + 2)
    assert statuses(effects) == [("r1", "retrying", "busy", "Device busy")]
    assert doc(eng).message == "doc.retry.busy"


@pytest.mark.parametrize("code", ["no_device", "jammed", "no_documents", "cover_open",
                                  "timeout", "error"])
def test_scanner_errors_fail_at_once_with_their_code_and_words(eng: s.BoothSession,
                                                               code: str) -> None:
    capturing(eng)
    effects = eng.capture_result(s.CaptureResult("r1", 1, False, code, "detail"), T + 2)
    assert statuses(effects) == [("r1", "failed", code, "detail")]
    d = doc(eng)
    assert d.phase is DocPhase.FAILED and d.code == code and d.message == f"doc.error.{code}"
    for lang in ("zh", "en"):  # the resident reads words, not a code
        assert d.message in STRINGS[lang]


def test_an_unknown_failure_code_is_reported_as_error(eng: s.BoothSession) -> None:
    capturing(eng)
    effects = eng.capture_result(s.CaptureResult("r1", 1, False, "melted", "?"), T + 2)
    assert statuses(effects) == [("r1", "failed", "error", "?")]


def test_upload_refused_fails_with_code_upload(eng: s.BoothSession) -> None:
    uploading(eng)
    effects = eng.upload_failed(s.UploadFailed("r1", "HTTP 413 too_large: too big", 413), T + 3)
    assert statuses(effects) == [("r1", "failed", "upload", "HTTP 413 too_large: too big")]
    assert doc(eng).message == "doc.error.upload"
    assert "doc.error.upload" in STRINGS["zh"]


@pytest.mark.parametrize("stage", ["ready", "capturing", "retrying", "uploading"])
def test_the_resident_can_cancel_until_the_upload_ends(eng: s.BoothSession, stage: str) -> None:
    requested(eng)
    if stage != "ready":
        eng.user_document_ready(T + 1)
    if stage == "retrying":
        eng.capture_result(s.CaptureResult("r1", 1, False, "quality", "blurry", ("blurry",)),
                           T + 2)
    if stage == "uploading":
        eng.capture_result(s.CaptureResult("r1", 1, True), T + 2)
    effects = eng.user_cancel_document(T + 3)
    assert of(effects, s.CancelCapture) == [s.CancelCapture(CALL, "r1")]
    assert statuses(effects) == [("r1", "failed", "cancelled", "the resident cancelled")]
    assert doc(eng).phase is DocPhase.FAILED and doc(eng).message == "doc.error.cancelled"
    # whatever was still running reports late: ignored
    assert eng.capture_result(s.CaptureResult("r1", 1, True), T + 4) == []
    assert eng.upload_done(s.UploadDone("r1", "doc_9"), T + 4) == []
    assert eng.user_cancel_document(T + 4) == []  # nothing left to cancel
    assert eng.user_dismiss_document(T + 4) == []
    assert eng.view().document is None


def test_a_result_can_be_dismissed_but_a_capture_cannot(eng: s.BoothSession) -> None:
    capturing(eng)
    assert eng.user_dismiss_document(T + 2) == []
    assert eng.view().document is not None
    eng.capture_result(s.CaptureResult("r1", 1, False, "jammed", "Document feeder jammed"),
                       T + 2)
    eng.user_dismiss_document(T + 3)
    assert eng.view().document is None


@pytest.mark.parametrize("stage", ["capturing", "uploading"])
def test_call_end_cancels_the_capture_and_nothing_is_uploaded_after(eng: s.BoothSession,
                                                                    stage: str) -> None:
    (capturing if stage == "capturing" else uploading)(eng)
    effects = eng.frame(frame("call.ended", call_id=CALL, reason="agent_hangup", by="agent"),
                        T + 5)
    assert of(effects, s.StopAssist) == [s.StopAssist(CALL)]
    assert effects.index(s.StopAssist(CALL)) < effects.index(s.StopMedia(CALL))
    assert statuses(effects) == []  # the call is over: no status for it
    assert eng.view().document is None and eng.view().overlay is None
    assert eng.capture_result(s.CaptureResult("r1", 1, True), T + 6) == []
    assert eng.upload_done(s.UploadDone("r1", "doc_1"), T + 6) == []
    assert eng.upload_failed(s.UploadFailed("r1", "x"), T + 6) == []
    assert eng.assist.next_deadline() is None  # no countdown left behind


def test_revocation_and_a_lost_session_stop_the_capture(eng: s.BoothSession) -> None:
    capturing(eng)
    assert s.StopAssist(CALL) in eng.disconnected(T + 2, p.CloseCode.REVOKED)
    other = online()
    in_call(other)
    requested(other)
    other.disconnected(T + 1, 1006)
    hello = sends(other.connected(T + 2), "hello")[0]
    effects = other.frame(frame("welcome", re=hello.id, session_id="s9", role="booth",
                                subject={"id": "bth_1", "name": "x"}, heartbeat_s=20,
                                server_time=0.0), T + 3)  # not resumed: the call is lost
    assert s.StopAssist(CALL) in effects and other.view().document is None


def test_rescan_captures_the_same_request_again_with_the_reason(eng: s.BoothSession) -> None:
    submitted(eng)
    effects = eng.frame(frame("document.reviewed", call_id=CALL, document_id="doc_1",
                              request_id="r1", kind="id_front", decision="rescan",
                              reason="有反光，请调整角度"), T + 10)
    assert effects == []
    d = doc(eng)
    assert (d.request_id, d.phase, d.attempt, d.rescan) == ("r1", DocPhase.READY, 0, True)
    assert d.agent_reason == "有反光，请调整角度"
    assert d.instruction == "请把身份证人像面放在高拍仪上"  # the original words are kept
    effects = eng.user_document_ready(T + 11)
    assert of(effects, s.StartCapture) == [s.StartCapture(CALL, "r1", "id_front", 1)]
    assert statuses(effects) == [("r1", "capturing", None, None)]


def test_rescan_after_the_overlay_has_gone(eng: s.BoothSession) -> None:
    submitted(eng)
    eng.tick(T + 30)
    assert eng.view().document is None
    eng.frame(frame("document.reviewed", call_id=CALL, document_id="doc_1", request_id="r1",
                    kind="id_front", decision="rescan", reason="太模糊"), T + 40)
    assert doc(eng).phase is DocPhase.READY and doc(eng).agent_reason == "太模糊"
    # a rescan without a request id cannot be answered with document.status
    other = online()
    in_call(other)
    other.frame(frame("document.reviewed", call_id=CALL, document_id="doc_1", request_id=None,
                      kind="id_front", decision="rescan"), T)
    assert other.view().document is None


def test_duplicate_and_unknown_ids_are_ignored(eng: s.BoothSession) -> None:
    capturing(eng)
    assert requested(eng, "r1", now=T + 2) == []  # the running request again
    assert doc(eng).attempt == 1 and doc(eng).phase is DocPhase.CAPTURING
    assert requested(eng, "r2", now=T + 2) == []  # another one: queued
    assert requested(eng, "r2", now=T + 2) == []  # queued twice: once
    assert eng.capture_result(s.CaptureResult("r9", 1, True), T + 3) == []  # unknown request
    assert eng.capture_result(s.CaptureResult("r1", 7, True), T + 3) == []  # unknown attempt
    assert eng.upload_done(s.UploadDone("r1", "doc_1"), T + 3) == []  # not uploading
    assert requested(eng, "r3", call_id="c-other") == []  # not this call
    eng.capture_result(s.CaptureResult("r1", 1, True), T + 4)
    effects = eng.upload_done(s.UploadDone("r1", "doc_1"), T + 5)
    assert doc(eng).request_id == "r2" and doc(eng).phase is DocPhase.READY  # next in line
    assert effects == []
    assert requested(eng, "r1", now=T + 6) == []  # finished in this call: a replay
    assert doc(eng).request_id == "r2"
    # a review of something the booth never captured, while busy: nothing changes
    eng.user_document_ready(T + 7)
    eng.frame(frame("document.reviewed", call_id=CALL, document_id="doc_x", request_id="rx",
                    kind="form", decision="accepted"), T + 8)
    assert doc(eng).request_id == "r2" and doc(eng).phase is DocPhase.CAPTURING


def test_no_document_outside_a_call() -> None:
    eng = online()
    assert requested(eng) == [] and eng.view().document is None
    assert eng.user_document_ready(1.0) == [] and eng.user_cancel_document(1.0) == []
    assert eng.capture_result(s.CaptureResult("r1", 1, True), 1.0) == []


# ----------------------------------------------------------------------------- face check


def test_face_plan_spaces_frames_within_the_limit() -> None:
    plan = face_plan(p.FaceCheckStarted.model_validate(FACE))
    assert plan.steps == ("baseline", "blink", "turn_left")
    assert plan.durations_s == (1.0, 4.0, 4.0) and plan.total_s == 9.0
    assert plan.interval_s == pytest.approx(9.0 / 40)  # 5 fps would take 45 frames
    slow = face_plan(p.FaceCheckStarted.model_validate({**FACE, "fps": 2.0}))
    assert slow.interval_s == 0.5  # 18 frames: the hub's fps is the limit


def test_face_check_steps_submit_judging_done_decided(eng: s.BoothSession) -> None:
    effects = face_started(eng)
    plan = of(effects, s.StartFaceCapture)[0].plan
    assert plan.check_id == "fc1" and plan.upload_url == FACE["upload_url"]
    assert of(effects, s.FaceStep) == [s.FaceStep("fc1", "baseline", 0)]
    view = eng.view()
    assert view.overlay == "face"
    f = face(eng)
    assert f.phase is FacePhase.STEPS and f.step == "baseline"
    assert (f.step_started_at, f.step_ends_at) == (T, T + 1)
    assert eng.assist.next_deadline() == T + 1
    assert of(eng.tick(T + 0.5), s.FaceStep) == []
    assert of(eng.tick(T + 1), s.FaceStep) == [s.FaceStep("fc1", "blink", 1)]
    assert face(eng).step == "blink" and face(eng).step_ends_at == T + 5
    assert of(eng.tick(T + 5.2), s.FaceStep) == [s.FaceStep("fc1", "turn_left", 2)]
    assert face(eng).step_started_at == T + 5  # the schedule does not drift with late ticks
    effects = eng.tick(T + 9)
    assert of(effects, s.FinishFaceCapture) == [s.FinishFaceCapture("fc1")]
    assert face(eng).phase is FacePhase.SENDING and face(eng).step is None
    effects = eng.face_capture_done("fc1", 38, T + 9.5)
    submit = sends(effects, "face.check.submit")[0]
    assert submit.data == p.FaceCheckSubmit(call_id=CALL, check_id="fc1", frames=38)
    assert face(eng).phase is FacePhase.JUDGING and not eng.view().busy
    status = {"call_id": CALL, "check_id": "fc1"}
    eng.frame(frame("face.check.status", re=submit.id, state="judging", **status), T + 10)
    assert face(eng).phase is FacePhase.JUDGING and face(eng).message == "face.judging"
    eng.frame(frame("face.check.status", state="done", **status), T + 12)
    assert face(eng).phase is FacePhase.DONE and face(eng).message == "face.done"
    eng.frame(frame("face.check.status", state="decided", **status), T + 20)
    assert face(eng).phase is FacePhase.DECIDED and face(eng).message == "face.decided"
    eng.tick(T + 25)
    assert eng.view().face is None and eng.view().overlay is None


@pytest.mark.parametrize("hint,key", [("too_small", "face.hint.too_small"),
                                      ("no_face", "face.hint.no_face"),
                                      ("many_faces", "face.hint.many_faces"),
                                      ("not_frontal", "face.hint.not_frontal"),
                                      ("blurry", "face.hint.blurry"),
                                      ("liveness", "face.hint.liveness"),
                                      ("sunglasses", "face.hint.other")])
def test_retry_hint_is_shown_until_the_agent_starts_again(eng: s.BoothSession, hint: str,
                                                          key: str) -> None:
    face_started(eng)
    eng.tick(T + 9)
    eng.face_capture_done("fc1", 20, T + 9.5)
    eng.frame(frame("face.check.status", call_id=CALL, check_id="fc1", state="retry",
                    hint=hint), T + 11)
    f = face(eng)
    assert f.phase is FacePhase.RETRY and f.hint == hint and f.message == key
    assert key in STRINGS["zh"] and key in STRINGS["en"]
    assert assist_effects(eng.tick(T + 100)) == []  # it waits for the agent
    assert eng.view().face is not None
    effects = face_started(eng, T + 120, check_id="fc2",
                           upload_url="/api/calls/c1/face-checks/fc2/frames")
    assert of(effects, s.CancelFaceCapture) == []  # the old one took no more frames
    assert face(eng).check_id == "fc2" and face(eng).phase is FacePhase.STEPS


def test_a_new_check_replaces_one_still_taking_frames(eng: s.BoothSession) -> None:
    face_started(eng)
    assert face_started(eng, T + 0.5) == []  # the same check again: a replay
    effects = face_started(eng, T + 2, check_id="fc2")
    assert of(effects, s.CancelFaceCapture) == [s.CancelFaceCapture("fc1")]
    assert of(effects, s.StartFaceCapture)[0].plan.check_id == "fc2"
    assert eng.face_capture_done("fc1", 5, T + 3) == []  # the old one's late report


def test_cancelled_mid_steps_stops_the_frames(eng: s.BoothSession) -> None:
    face_started(eng)
    effects = eng.frame(frame("face.check.status", call_id=CALL, check_id="fc1",
                              state="cancelled"), T + 2)
    assert effects == [s.CancelFaceCapture("fc1")]
    assert eng.view().face is None
    assert eng.frame(frame("face.check.status", call_id=CALL, check_id="fc1", state="done"),
                     T + 3) == []  # unknown check now


def test_no_frames_or_a_refused_submit_show_a_failure(eng: s.BoothSession) -> None:
    face_started(eng)
    eng.tick(T + 9)
    assert sends(eng.face_capture_done("fc1", 0, T + 9.5), "face.check.submit") == []
    assert face(eng).phase is FacePhase.FAILED and face(eng).message == "face.failed"
    face_started(eng, T + 20, check_id="fc2")
    eng.tick(T + 29)
    submit = sends(eng.face_capture_done("fc2", 12, T + 29.5), "face.check.submit")[0]
    eng.frame(frame("error", re=submit.id, code="conflict", message="3 frames stored"), T + 30)
    assert face(eng).phase is FacePhase.FAILED


def test_call_end_mid_face_check_cancels_everything(eng: s.BoothSession) -> None:
    face_started(eng)
    eng.tick(T + 1)
    effects = eng.frame(frame("call.ended", call_id=CALL, reason="hangup", by="agent"), T + 3)
    assert s.StopAssist(CALL) in effects
    assert eng.view().face is None
    assert assist_effects(eng.tick(T + 9)) == []
    assert eng.face_capture_done("fc1", 10, T + 10) == []


def test_unknown_checks_and_other_calls_are_ignored(eng: s.BoothSession) -> None:
    assert eng.frame(frame("face.check.status", call_id=CALL, check_id="nope", state="done"),
                     T) == []
    assert face_started(eng, call_id="c-other") == []
    assert eng.view().face is None


# ----------------------------------------------------------------------------- one at a time


def test_a_face_check_waits_for_the_document_capture(eng: s.BoothSession) -> None:
    """The documented choice: queue, never interrupt a scan the resident is doing."""
    capturing(eng)
    assert face_started(eng, T + 2) == []
    assert eng.view().face is None and eng.view().overlay == "document"
    eng.capture_result(s.CaptureResult("r1", 1, True), T + 3)
    assert eng.view().face is None  # still uploading
    effects = eng.upload_done(s.UploadDone("r1", "doc_1"), T + 4)
    plan = of(effects, s.StartFaceCapture)[0].plan
    assert plan.check_id == "fc1"
    f = face(eng)
    assert f.phase is FacePhase.STEPS and f.step_started_at == T + 4  # timed from its start
    assert eng.view().overlay == "face"
    assert doc(eng).phase is DocPhase.SUBMITTED  # kept for the review, behind the face


def test_only_the_newest_waiting_face_check_counts(eng: s.BoothSession) -> None:
    capturing(eng)
    face_started(eng, T + 2)
    face_started(eng, T + 3, check_id="fc2")
    effects = eng.capture_result(s.CaptureResult("r1", 1, False, "jammed", "jam"), T + 4)
    assert [e.plan.check_id for e in of(effects, s.StartFaceCapture)] == ["fc2"]


def test_a_document_request_waits_for_the_face_frames(eng: s.BoothSession) -> None:
    face_started(eng)
    assert requested(eng, "r1", now=T + 2) == []
    assert eng.view().overlay == "face" and eng.view().document is None
    eng.tick(T + 9)
    effects = eng.face_capture_done("fc1", 30, T + 9.5)
    assert sends(effects, "face.check.submit")
    assert doc(eng).phase is DocPhase.READY and doc(eng).until == T + 19.5
    assert eng.view().overlay == "document"
    # the face check's result arrives while the resident places the document: not in front
    eng.frame(frame("face.check.status", call_id=CALL, check_id="fc1", state="done"), T + 11)
    assert face(eng).phase is FacePhase.DONE and eng.view().overlay == "document"
    eng.user_cancel_document(T + 12)
    eng.user_dismiss_document(T + 12)
    assert eng.view().overlay == "face"


def test_assist_config_is_checked() -> None:
    with pytest.raises(ValueError):
        AssistConfig(document_attempts=0)
    with pytest.raises(ValueError):
        AssistConfig(document_ready_s=0)
