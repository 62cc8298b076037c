"""The booth's life as a pure state machine: feed it events, it returns effects.

No I/O and no clock inside (the caller passes ``now``), in the manner of the
``websockets`` protocol core. The asyncio adapter (``booth_client.runner``)
owns the WebSocket and the peer connection and carries out the effects; the
kiosk UI only draws :meth:`BoothSession.view` and calls the ``user_*`` intents.

Screens::

    unenrolled                       (no device token: not set up)
    connecting -> welcome -> choosing -> waiting -> in_call -> rating -> thanks -> welcome
    disabled                         (token revoked: "contact the administrator")

Connection (``link``) and media (``media``) are orthogonal to the screen: a
dropped WebSocket shows "reconnecting" over whatever screen is up and resumes
the session; a failed peer connection is rebuilt with ``gen + 1`` (aiortc has
no ICE restart) while the resident keeps seeing the call.

Inside a call, documents and the face check are a sub-machine of their own
(:mod:`booth_client.assist`): the agent's ``document.requested`` /
``face.check.started`` start them, the adapter reports scans, uploads and
frames back (:meth:`BoothSession.capture_result`, :meth:`upload_done`,
:meth:`upload_failed`, :meth:`face_capture_done`), and the kiosk draws them
over the call (``BoothView.document``, ``BoothView.face``, ``BoothView.overlay``).
The call ending, however it ends, cancels them (``StopAssist``).

Remote assist (consent, pointer, drawings, forms, guidance, remote taps) is a
third sub-machine, one per call (:mod:`booth_client.remote`): the hub's
``assist.*`` frames of the call go to it, the resident's choices come through
:meth:`BoothSession.user_remote` and the adapter's form results through
:meth:`BoothSession.form_result`; the kiosk draws ``BoothView.remote``. The call
ending stops it too (``StopRemote``).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from booth_client.assist import (
    Assist,
    AssistConfig,
    CaptureResult,
    DocPhase,
    DocumentView,
    FacePhase,
    FaceView,
    UploadDone,
    UploadFailed,
)
from booth_client.effects import (
    ApplyRemote,
    AssistEffect,
    CancelCapture,
    CancelFaceCapture,
    Connect,
    Disabled,
    Effect,
    FacePlan,
    FaceStep,
    FinishFaceCapture,
    InjectTap,
    LoadCatalog,
    ResetResident,
    ScheduleReconnect,
    Send,
    ShareScreen,
    StartCapture,
    StartFaceCapture,
    StartMedia,
    StopAssist,
    StopMedia,
    StopRemote,
    SubmitForm,
    UploadDocument,
)
from booth_client.remote import Remote, RemoteConfig, RemoteView
from booth_client.remote_forms import FormResult, SignatureData
from booth_client.view import (
    BoothView,
    CallInfo,
    DepartmentItem,
    Link,
    Media,
    Screen,
    ServiceItem,
    TicketInfo,
)
from signaling import protocol as p

__all__ = [
    "Screen",
    "Link",
    "Media",
    "SessionConfig",
    "ServiceItem",
    "DepartmentItem",
    "TicketInfo",
    "CallInfo",
    "BoothView",
    "Effect",
    "Connect",
    "Send",
    "ScheduleReconnect",
    "StartMedia",
    "ApplyRemote",
    "StopMedia",
    "LoadCatalog",
    "ResetResident",
    "Disabled",
    "AssistEffect",
    "StartCapture",
    "UploadDocument",
    "CancelCapture",
    "FacePlan",
    "StartFaceCapture",
    "FaceStep",
    "FinishFaceCapture",
    "CancelFaceCapture",
    "StopAssist",
    "ShareScreen",
    "InjectTap",
    "SubmitForm",
    "StopRemote",
    "RemoteConfig",
    "RemoteView",
    "FormResult",
    "SignatureData",
    "AssistConfig",
    "CaptureResult",
    "UploadDone",
    "UploadFailed",
    "DocPhase",
    "FacePhase",
    "DocumentView",
    "FaceView",
    "BoothSession",
    "BAD_REVIEW_REASONS",
]

log = logging.getLogger(__name__)


# Requests whose replies no button waits for: they do not make the view ``busy``.
_QUIET = frozenset({"document.status", "face.check.submit", "assist.consent",
                    "assist.board.get"})

# Reasons offered for a bad review (levels 2 and 1), as i18n keys.
BAD_REVIEW_REASONS = (
    "reason.attitude", "reason.waiting", "reason.unclear", "reason.not_solved",
    "reason.technical", "reason.other",
)

_ALLOWED: dict[Screen, frozenset[Screen]] = {
    Screen.UNENROLLED: frozenset({Screen.CONNECTING}),
    Screen.CONNECTING: frozenset({Screen.WELCOME, Screen.WAITING, Screen.IN_CALL,
                                  Screen.DISABLED, Screen.RATING}),
    Screen.DISABLED: frozenset({Screen.CONNECTING}),
    Screen.WELCOME: frozenset({Screen.CHOOSING, Screen.WAITING, Screen.IN_CALL,
                               Screen.DISABLED, Screen.RATING}),
    Screen.CHOOSING: frozenset({Screen.WELCOME, Screen.WAITING, Screen.DISABLED}),
    Screen.WAITING: frozenset({Screen.WELCOME, Screen.IN_CALL, Screen.DISABLED,
                               Screen.WAITING}),
    Screen.IN_CALL: frozenset({Screen.RATING, Screen.WAITING, Screen.WELCOME,
                               Screen.DISABLED}),
    Screen.RATING: frozenset({Screen.THANKS, Screen.WELCOME, Screen.DISABLED,
                              Screen.IN_CALL, Screen.WAITING}),
    Screen.THANKS: frozenset({Screen.WELCOME, Screen.DISABLED, Screen.WAITING,
                              Screen.IN_CALL}),
}


@dataclass(frozen=True)
class SessionConfig:
    """Timers, in seconds. Tests shrink them instead of sleeping."""

    choose_idle_s: float = 120.0  # no touch while choosing -> back to welcome
    rating_idle_s: float = 60.0  # no rating -> welcome (not counted as a rating)
    thanks_s: float = 6.0
    media_grace_s: float = 4.0  # peer "disconnected" this long -> rebuild
    media_connect_s: float = 20.0  # a (re)built peer that never connects -> rebuild again
    backoff_base_s: float = 0.5
    backoff_max_s: float = 15.0
    default_heartbeat_s: float = 20.0
    assist: AssistConfig = field(default_factory=AssistConfig)  # documents, face check
    remote: RemoteConfig = field(default_factory=RemoteConfig)  # remote assist

    def __post_init__(self) -> None:
        for name in ("choose_idle_s", "rating_idle_s", "thanks_s", "media_grace_s",
                     "media_connect_s", "backoff_base_s", "backoff_max_s",
                     "default_heartbeat_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0")


# ----------------------------------------------------------------------------- session


@dataclass
class _Deadlines:
    idle: float | None = None
    heartbeat: float | None = None
    media: float | None = None


@dataclass
class BoothSession:
    """The booth engine. Construct, then :meth:`start`; every method returns effects."""

    has_token: bool
    token: str = ""
    client: str = "xiaowu-booth/0.1"
    config: SessionConfig = field(default_factory=SessionConfig)
    jitter: Callable[[], float] = lambda: 0.5  # random.random in production
    version: str = "0.1.0"

    screen: Screen = Screen.UNENROLLED
    link: Link = Link.OFFLINE
    media: Media = Media.IDLE
    booth_name: str = ""
    departments: tuple[DepartmentItem, ...] = ()
    department_id: str | None = None
    service_id: str | None = None
    ticket: TicketInfo | None = None
    call: CallInfo | None = None
    rating_call_id: str | None = None
    notice: str | None = None
    camera: str = "unknown"
    scanner: str = "unknown"
    mic: str = "unknown"
    speaker: str = "unknown"
    session_id: str | None = None
    heartbeat_s: float = 0.0
    attempts: int = 0
    _pending: dict[str, str] = field(default_factory=dict)  # request id -> type
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _dl: _Deadlines = field(default_factory=_Deadlines)
    _hello_id: str | None = None
    assist: Assist = field(init=False)
    remote: Remote | None = None  # remote assist of the current call

    def __post_init__(self) -> None:
        self.assist = Assist(self.config.assist, self._request)

    # ------------------------------------------------------------------ helpers

    def _go(self, to: Screen) -> None:
        """The one guarded screen transition; illegal moves are rejected and logged."""
        if to is self.screen:
            return
        if to not in _ALLOWED[self.screen]:
            log.warning("booth: refused screen move %s -> %s", self.screen, to)
            raise ValueError(f"illegal screen move {self.screen} -> {to}")
        log.debug("booth: %s -> %s", self.screen, to)
        self.screen = to

    def _request(self, mtype: str, data: p._Data) -> Send:
        rid = f"b{next(self._ids)}"
        self._pending[rid] = mtype
        return Send(mtype, data, rid)

    def view(self) -> BoothView:
        return BoothView(
            screen=self.screen, link=self.link, media=self.media, booth_name=self.booth_name,
            departments=self.departments, department_id=self.department_id,
            service_id=self.service_id, ticket=self.ticket, call=self.call,
            rating_call_id=self.rating_call_id, notice=self.notice, camera=self.camera,
            busy=any(t not in _QUIET for t in self._pending.values()),
            document=self.assist.document_view(), face=self.assist.face_view(),
            overlay=self.assist.front,
            remote=self.remote.view() if self.remote is not None else None,
        )

    def next_deadline(self) -> float | None:
        times = [t for t in (self._dl.idle, self._dl.heartbeat, self._dl.media,
                             self.assist.next_deadline(),
                             self.remote.next_deadline() if self.remote else None)
                 if t is not None]
        return min(times, default=None)

    def _backoff(self) -> float:
        base = min(self.config.backoff_max_s,
                   self.config.backoff_base_s * float(2 ** min(self.attempts, 16)))
        return base * (0.5 + self.jitter())  # 0.5x..1.5x so a district's booths spread out

    # ------------------------------------------------------------------ connection

    def start(self, now: float) -> list[Effect]:
        if not self.has_token:
            self.screen = Screen.UNENROLLED
            return []
        self._go(Screen.CONNECTING)
        self.link = Link.CONNECTING
        return [Connect()]

    def enrolled(self, token: str, now: float) -> list[Effect]:
        """The enrollment code was traded for a device token (stored by the adapter)."""
        self.has_token, self.token = True, token
        if self.screen in (Screen.UNENROLLED, Screen.DISABLED):
            self.screen = Screen.UNENROLLED
            return self.start(now)
        return []

    def connected(self, now: float) -> list[Effect]:
        """The WebSocket is open: say hello, resuming the last session if there is one."""
        self._pending.clear()
        rid = f"b{next(self._ids)}"
        self._hello_id = rid
        return [Send("hello", p.Hello(token=self.token or "-", client=self.client,
                                      resume=self.session_id), rid)]

    def disconnected(self, now: float, close_code: int | None) -> list[Effect]:
        """The WebSocket closed or failed to open."""
        self._pending.clear()
        self._dl.heartbeat = None
        if close_code == p.CloseCode.REVOKED:
            return self._disable("revoked")
        if self.screen is Screen.DISABLED:
            return []
        self.link = Link.RECONNECTING if self.link is not Link.CONNECTING else Link.CONNECTING
        delay = self._backoff()
        self.attempts += 1
        return [ScheduleReconnect(delay)]

    def _disable(self, reason: str) -> list[Effect]:
        effects: list[Effect] = []
        if self.call is not None:
            effects += [*self._stop_call_work(self.call.call_id), StopMedia(self.call.call_id)]
        self._clear_resident()
        self.screen, self.link, self.media = Screen.DISABLED, Link.OFFLINE, Media.IDLE
        self.session_id = None
        self._dl = _Deadlines()
        return [*effects, ResetResident(), Disabled(reason)]

    def _clear_resident(self) -> None:
        self.assist = Assist(self.config.assist, self._request)
        self.remote = None
        self.department_id = self.service_id = None
        self.ticket = None
        self.call = None
        self.rating_call_id = None
        self.notice = None
        self.media = Media.IDLE

    def _stop_call_work(self, call_id: str) -> list[Effect]:
        """Documents, face check and remote assist of ``call_id`` end (the call is over)."""
        effects = self.assist.stop(call_id)
        if self.remote is not None:
            effects += self.remote.stop()
            self.remote = None
        return effects

    # ------------------------------------------------------------------ frames

    def frame(self, frame: p.Frame, now: float) -> list[Effect]:
        """One frame from the hub (parsed with the OUTBOUND registry)."""
        if frame.type.startswith("assist."):
            call_id = getattr(frame.data, "call_id", None)
            remote = self.remote
            effects: list[Effect] = []
            if remote is not None and call_id == remote.call_id and self._in_call(call_id):
                effects = remote.frame(frame, now)
            if frame.re is not None:
                self._pending.pop(frame.re, None)
            return effects
        handler = getattr(self, "_on_" + frame.type.replace(".", "_"), None)
        if handler is None:
            return []
        effects = handler(frame, now)
        if frame.re is not None:
            self._pending.pop(frame.re, None)
        return effects

    def _on_welcome(self, frame: p.Frame, now: float) -> list[Effect]:
        w = p.parse_data(frame, p.Welcome)
        self.link, self.attempts = Link.ONLINE, 0
        self.booth_name = w.subject.name
        self.heartbeat_s = float(w.heartbeat_s) or self.config.default_heartbeat_s
        self._dl.heartbeat = now + self.heartbeat_s
        effects: list[Effect] = [LoadCatalog(), self._status()]
        lost = not w.resumed and (self.ticket is not None or self.call is not None)
        if lost:
            if self.call is not None:
                effects += [*self._stop_call_work(self.call.call_id),
                            StopMedia(self.call.call_id)]
            self._clear_resident()
            self.notice = "notice.ticket_lost"
            effects.append(ResetResident())
        self.session_id = w.session_id
        if w.restored.call_id is not None and self.call is not None:
            self._go(Screen.IN_CALL)
            if self.remote is not None and w.resumed:  # ask again for what may be lost
                effects += self.remote.resumed(now)
        elif w.restored.ticket_id is not None and self.ticket is not None:
            self._go(Screen.WAITING)
        elif self.screen in (Screen.CONNECTING, Screen.WAITING, Screen.IN_CALL):
            self._go(Screen.WELCOME)
        return effects

    def _on_error(self, frame: p.Frame, now: float) -> list[Effect]:
        err = p.parse_data(frame, p.Error)
        if frame.re is not None and frame.re == self._hello_id:
            if err.code == p.ErrorCode.UNAUTHENTICATED:
                return self._disable("unauthenticated")
            return []
        kind = self._pending.get(frame.re or "")
        log.info("booth: hub refused %s: %s %s", kind, err.code, err.message)
        if kind in _QUIET and frame.re is not None:
            if kind.startswith("assist."):
                return self.remote.refused(frame.re, err.code) if self.remote else []
            return self.assist.refused(frame.re, err.code, now)
        if kind == "ticket.create":
            self.notice = ("notice.service_unavailable" if err.code == p.ErrorCode.NOT_FOUND
                           else "notice.try_again")
        elif kind == "rating.submit" and self.screen is Screen.RATING:
            self._go(Screen.THANKS)  # already rated or too late: do not trap the resident
            self._dl.idle = now + self.config.thanks_s
        return []

    def _on_pong(self, frame: p.Frame, now: float) -> list[Effect]:
        return []

    def _on_ok(self, frame: p.Frame, now: float) -> list[Effect]:
        if self.remote is not None and frame.re is not None:
            return self.remote.ok(frame.re)
        return []

    def _on_ticket(self, frame: p.Frame, now: float) -> list[Effect]:
        t = p.parse_data(frame, p.Ticket)
        return self._ticket_changed(t.ticket_id, t.number, t.state, t.position, t.eta_s,
                                    t.service_id, t.department_id, now,
                                    priority=t.priority == "priority")

    def _on_ticket_update(self, frame: p.Frame, now: float) -> list[Effect]:
        u = p.parse_data(frame, p.TicketUpdate)
        if self.ticket is None or self.ticket.ticket_id != u.ticket_id:
            return []
        return self._ticket_changed(u.ticket_id, self.ticket.number, u.state, u.position,
                                    u.eta_s, self.ticket.service_id,
                                    u.department_id or self.ticket.department_id, now,
                                    priority=self.ticket.priority)

    def _ticket_changed(self, ticket_id: str, number: str, state: str, position: int,
                        eta_s: int, service_id: str | None, department_id: str | None,
                        now: float, *, priority: bool = False) -> list[Effect]:
        if state in ("waiting", "offered"):
            self.ticket = TicketInfo(ticket_id, number, state, position, eta_s, service_id,
                                     department_id, priority)
            if self.screen in (Screen.CHOOSING, Screen.WELCOME, Screen.IN_CALL,
                               Screen.RATING, Screen.THANKS):
                self._go(Screen.WAITING)  # new ticket, or transferred after a call
                self.notice = None
            self._dl.idle = None
        elif state == "serving":
            if self.ticket is not None:
                self.ticket = replace(self.ticket, state=state, position=0, eta_s=0)
        else:  # done, cancelled, abandoned
            if self.screen is Screen.WAITING and state in ("cancelled", "abandoned"):
                self.ticket = None
                self._go(Screen.WELCOME)
                if state == "abandoned":
                    self.notice = "notice.ticket_lost"
                return [ResetResident()]
            if self.ticket is not None and self.ticket.ticket_id == ticket_id:
                self.ticket = replace(self.ticket, state=state, position=0, eta_s=0)
        return []

    def _on_call_start(self, frame: p.Frame, now: float) -> list[Effect]:
        c = p.parse_data(frame, p.CallStart)
        servers = tuple(s.model_dump(exclude_none=True) for s in c.ice_servers)
        stop: list[Effect] = []
        if self.call is not None and self.call.call_id != c.call_id:
            stop = self._stop_call_work(self.call.call_id)  # StartMedia replaces the old peer
        self.call = CallInfo(c.call_id, c.ticket_id, c.peer.name, now, 0, servers)
        if self.remote is None or self.remote.call_id != c.call_id:
            self.remote = Remote(self.config.remote, self._request, c.call_id)
        self.media = Media.CONNECTING
        self._dl.media = now + self.config.media_connect_s
        self._dl.idle = None
        self.notice = None
        self._go(Screen.IN_CALL)
        return [*stop, StartMedia(c.call_id, 0, servers)]

    def _on_call_sdp(self, frame: p.Frame, now: float) -> list[Effect]:
        s = p.parse_data(frame, p.CallSdp)
        if self.call is None or s.call_id != self.call.call_id or s.gen != self.call.gen:
            return []  # an answer to a connection we already replaced
        return [ApplyRemote(s.call_id, s.gen, description=s.description.model_dump())]

    def _on_call_ice(self, frame: p.Frame, now: float) -> list[Effect]:
        s = p.parse_data(frame, p.CallIce)
        if self.call is None or s.call_id != self.call.call_id or s.gen != self.call.gen:
            return []
        if s.candidate is None:
            return [ApplyRemote(s.call_id, s.gen, end_of_candidates=True)]
        return [ApplyRemote(s.call_id, s.gen, candidate=s.candidate.model_dump())]

    def _on_call_peer(self, frame: p.Frame, now: float) -> list[Effect]:
        c = p.parse_data(frame, p.CallPeer)
        if self.call is not None and self.call.call_id == c.call_id:
            self.call = replace(self.call, peer_away=c.state == "away")
        return []

    def _on_call_ended(self, frame: p.Frame, now: float) -> list[Effect]:
        e = p.parse_data(frame, p.CallEnded)
        if self.call is None or self.call.call_id != e.call_id:
            return []
        call_id = self.call.call_id
        self.call = None
        self.media = Media.IDLE
        self._dl.media = None
        # Documents and the face check end with the call: nothing more is uploaded.
        effects: list[Effect] = [*self._stop_call_work(call_id), StopMedia(call_id)]
        if e.reason == "transferred":
            return effects  # a ticket.update moves us to waiting in the new queue
        if self.ticket is not None and self.screen is Screen.IN_CALL:
            # agent lost: the hub puts the ticket back in the queue; show waiting again
            return effects
        return effects

    # ------------------------------------------------------------------ documents, face check

    def _in_call(self, call_id: str) -> bool:
        return (self.call is not None and self.call.call_id == call_id
                and self.screen is Screen.IN_CALL)

    def _on_document_requested(self, frame: p.Frame, now: float) -> list[Effect]:
        d = p.parse_data(frame, p.DocumentRequested)
        return self.assist.requested(d, now) if self._in_call(d.call_id) else []

    def _on_document_reviewed(self, frame: p.Frame, now: float) -> list[Effect]:
        r = p.parse_data(frame, p.DocumentReviewed)
        return self.assist.reviewed(r, now) if self._in_call(r.call_id) else []

    def _on_face_check_started(self, frame: p.Frame, now: float) -> list[Effect]:
        f = p.parse_data(frame, p.FaceCheckStarted)
        return self.assist.face_started(f, now) if self._in_call(f.call_id) else []

    def _on_face_check_status(self, frame: p.Frame, now: float) -> list[Effect]:
        st = p.parse_data(frame, p.FaceCheckStatus)
        return self.assist.face_status(st, now) if self._in_call(st.call_id) else []

    def capture_result(self, result: CaptureResult, now: float) -> list[Effect]:
        """The adapter's answer to :class:`StartCapture`."""
        return self.assist.capture_result(result, now) if self.call is not None else []

    def upload_done(self, result: UploadDone, now: float) -> list[Effect]:
        """The hub stored the document (HTTP 201)."""
        return self.assist.upload_done(result, now) if self.call is not None else []

    def upload_failed(self, result: UploadFailed, now: float) -> list[Effect]:
        """The upload was refused, or the hub could not be reached after the retries."""
        return self.assist.upload_failed(result, now) if self.call is not None else []

    def face_capture_done(self, check_id: str, frames: int, now: float) -> list[Effect]:
        """After :class:`FinishFaceCapture`: every frame upload ended, ``frames`` are stored."""
        if self.call is None:
            return []
        return self.assist.face_capture_done(check_id, frames, now)

    def user_remote(self, action: str, *args: Any, now: float) -> list[Effect]:
        """A resident's remote-assist choice (``booth_client.remote.ACTIONS``): answer a
        consent question, stop sharing, fill a form field, sign … Ignored outside a call."""
        if self.remote is None or self.call is None or self.screen is not Screen.IN_CALL:
            return []
        return self.remote.act(action, args, now)

    def form_result(self, result: FormResult, now: float) -> list[Effect]:
        """The adapter's answer to :class:`SubmitForm`."""
        return self.remote.form_result(result, now) if self.remote is not None else []

    def _on_rating_request(self, frame: p.Frame, now: float) -> list[Effect]:
        r = p.parse_data(frame, p.RatingRequest)
        self.rating_call_id = r.call_id
        if self.screen is Screen.IN_CALL or self.screen is Screen.WELCOME:
            self._go(Screen.RATING)
            self._dl.idle = now + self.config.rating_idle_s
        return []

    def _on_rating(self, frame: p.Frame, now: float) -> list[Effect]:
        if self.screen is Screen.RATING:
            self._go(Screen.THANKS)
            self._dl.idle = now + self.config.thanks_s
        return []

    # ------------------------------------------------------------------ media

    def local_offer(self, call_id: str, gen: int, sdp: str) -> list[Effect]:
        """The adapter built the peer connection and has its offer (all candidates in it)."""
        if self.call is None or self.call.call_id != call_id or self.call.gen != gen:
            return []
        return [Send("call.sdp", p.CallSdp(
            call_id=call_id, gen=gen,
            description=p.SessionDescription(type="offer", sdp=sdp)))]

    def peer_state(self, call_id: str, gen: int, state: str, now: float) -> list[Effect]:
        """The peer connection of ``gen`` changed state (RTCPeerConnection.connectionState)."""
        if self.call is None or self.call.call_id != call_id or self.call.gen != gen:
            return []
        if state == "connected":
            self.media = Media.CONNECTED
            self._dl.media = None
            return []
        if state == "failed" or state == "closed":
            return self._rebuild(now)
        if state == "disconnected":
            self.media = Media.RECONNECTING
            self._dl.media = now + self.config.media_grace_s
        return []

    def _rebuild(self, now: float) -> list[Effect]:
        assert self.call is not None
        self.call = replace(self.call, gen=self.call.gen + 1)
        self.media = Media.RECONNECTING
        self._dl.media = now + self.config.media_connect_s
        log.info("booth: rebuilding peer connection for %s with gen %d", self.call.call_id,
                 self.call.gen)
        return [StartMedia(self.call.call_id, self.call.gen, self.call.ice_servers)]

    def force_rebuild(self, now: float) -> list[Effect]:
        """Rebuild the peer connection now (operator action or tests)."""
        return self._rebuild(now) if self.call is not None else []

    def device_status(self, camera: str | None = None, scanner: str | None = None,
                      mic: str | None = None, speaker: str | None = None) -> list[Effect]:
        """A device's health changed; the hub hears of it at once when online."""
        changed = False
        for name, value in (("camera", camera), ("scanner", scanner), ("mic", mic),
                            ("speaker", speaker)):
            if value is not None and value != getattr(self, name):
                setattr(self, name, value)
                changed = True
        return [self._status()] if changed and self.link is Link.ONLINE else []

    def _status(self) -> Send:
        def norm(value: str, allowed: tuple[str, ...]) -> str:
            return value if value in allowed else "unknown"

        return Send("booth.status", p.BoothStatus(
            camera=norm(self.camera, ("ok", "missing", "error")),
            scanner=norm(self.scanner, ("ok", "missing", "error", "busy")),
            mic=norm(self.mic, ("ok", "missing", "error")),
            speaker=norm(self.speaker, ("ok", "missing", "error")),
            version=self.version))

    # ------------------------------------------------------------------ time

    def tick(self, now: float) -> list[Effect]:
        effects: list[Effect] = []
        if self._dl.heartbeat is not None and now >= self._dl.heartbeat:
            self._dl.heartbeat = now + self.heartbeat_s
            if self.link is Link.ONLINE:
                effects += [Send("ping", p.Ping()), self._status()]
        if self._dl.media is not None and now >= self._dl.media and self.call is not None:
            effects += self._rebuild(now)
        if self.call is not None:
            effects += self.assist.tick(now)
            if self.remote is not None:
                effects += self.remote.tick(now)
        if self._dl.idle is not None and now >= self._dl.idle:
            self._dl.idle = None
            if self.screen in (Screen.CHOOSING, Screen.RATING, Screen.THANKS):
                self._clear_resident()
                self._go(Screen.WELCOME)
                effects.append(ResetResident())
        return effects

    # ------------------------------------------------------------------ catalog

    def catalog_loaded(self, catalog: dict[str, Any]) -> list[Effect]:
        """The body of ``GET /api/catalog``."""
        depts = []
        for d in catalog.get("departments", []):
            services = tuple(
                ServiceItem(
                    s["id"], s["name"], s.get("name_en") or s["name"],
                    tuple(m["name"] for m in s.get("materials", [])),
                    tuple(m.get("name_en") or m["name"] for m in s.get("materials", [])),
                ) for s in d.get("services", []))
            depts.append(DepartmentItem(d["id"], d["name"], d.get("name_en") or d["name"],
                                        services))
        self.departments = tuple(depts)
        return []

    # ------------------------------------------------------------------ resident intents

    def user_start(self, now: float) -> list[Effect]:
        """The resident touched "start" on the welcome screen."""
        if self.screen is not Screen.WELCOME:
            return []
        self.notice = None
        self._go(Screen.CHOOSING)
        self._dl.idle = now + self.config.choose_idle_s
        return []

    def user_touch(self, now: float) -> list[Effect]:
        """Any touch: pushes the inactivity timeout back."""
        if self.screen is Screen.CHOOSING:
            self._dl.idle = now + self.config.choose_idle_s
        elif self.screen is Screen.RATING:
            self._dl.idle = now + self.config.rating_idle_s
        return []

    def user_department(self, department_id: str | None, now: float) -> list[Effect]:
        if self.screen is not Screen.CHOOSING:
            return []
        self.department_id, self.service_id = department_id, None
        return self.user_touch(now)

    def user_service(self, service_id: str | None, now: float) -> list[Effect]:
        """Select a service (shows its materials, 一次告知); None clears the selection."""
        if self.screen is not Screen.CHOOSING:
            return []
        self.service_id = service_id
        for d in self.departments:
            if any(s.id == service_id for s in d.services):
                self.department_id = d.id
        return self.user_touch(now)

    def user_take_priority_ticket(self, now: float) -> list[Effect]:
        """Take a priority ticket (优先办理: older residents, people with disabilities,
        pregnant women...): served before the normal queue of its department. The
        resident says so; the agent sees the mark on the offer."""
        return self.user_take_ticket(now, "priority")

    def user_take_ticket(self, now: float, priority: str = "normal") -> list[Effect]:
        """Take a ticket for the selected service."""
        if self.screen is not Screen.CHOOSING or self.service_id is None:
            return []
        if "ticket.create" in self._pending.values() or self.link is not Link.ONLINE:
            self.notice = None if self.link is Link.ONLINE else "notice.offline"
            return []
        return [self._request("ticket.create", p.TicketCreate(
            service_id=self.service_id, priority=priority))]

    def user_back(self, now: float) -> list[Effect]:
        if self.screen is Screen.CHOOSING:
            if self.department_id is not None:
                self.department_id = self.service_id = None
                return self.user_touch(now)
            self._clear_resident()
            self._go(Screen.WELCOME)
            return [ResetResident()]
        return []

    def user_cancel_ticket(self, now: float) -> list[Effect]:
        if self.screen is not Screen.WAITING or self.ticket is None:
            return []
        return [self._request("ticket.cancel", p.TicketCancel(ticket_id=self.ticket.ticket_id))]

    def user_hang_up(self, now: float) -> list[Effect]:
        if self.call is None:
            return []
        return [self._request("call.end", p.CallEnd(call_id=self.call.call_id,
                                                    reason="resident_hangup"))]

    def user_document_ready(self, now: float) -> list[Effect]:
        """The resident has put the document down: capture now instead of after the countdown."""
        return self.assist.ready(now) if self.call is not None else []

    def user_cancel_document(self, now: float) -> list[Effect]:
        """The resident gave up on the capture: ``document.status failed code=cancelled``."""
        return self.assist.cancel(now) if self.call is not None else []

    def user_dismiss_document(self, now: float) -> list[Effect]:
        """Close a capture's result (submitted, accepted, failed) before it goes by itself."""
        return self.assist.dismiss(now) if self.call is not None else []

    def user_rate(self, level: int, reasons: tuple[str, ...] = (), comment: str | None = None,
                  now: float = 0.0) -> list[Effect]:
        """Submit 好差评 (5 非常满意 … 1 非常不满意); reasons only count for 2 and 1."""
        if self.screen is not Screen.RATING or self.rating_call_id is None:
            return []
        if not 1 <= level <= 5:
            raise ValueError("level must be 1..5")
        return [self._request("rating.submit", p.RatingSubmit(
            call_id=self.rating_call_id, level=level,
            reasons=list(reasons) if level <= 2 else [], comment=comment))]

    def user_skip_rating(self, now: float) -> list[Effect]:
        if self.screen is not Screen.RATING:
            return []
        self._clear_resident()
        self._go(Screen.WELCOME)
        return [ResetResident()]

    def user_done(self, now: float) -> list[Effect]:
        """Leave the thank-you screen now."""
        if self.screen is not Screen.THANKS:
            return []
        self._clear_resident()
        self._go(Screen.WELCOME)
        self._dl.idle = None
        return [ResetResident()]
