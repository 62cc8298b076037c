"""What the booth engine asks its adapter to do: one frozen dataclass per effect.

The engine (:mod:`booth_client.session`, :mod:`booth_client.assist`) returns
lists of these; :class:`~booth_client.runner.BoothRunner` carries them out
in order. None of them does anything by itself.

Connection and call::

    Connect, Send, ScheduleReconnect, StartMedia, ApplyRemote, StopMedia,
    LoadCatalog, ResetResident, Disabled

Documents and the face check (DESIGN.md §3; the work is done by
:class:`booth_client.assist_jobs.AssistJobs`)::

    StartCapture       scan one attempt of a requested document
    UploadDocument     upload the attempt's encoded image
    CancelCapture      stop scanning / uploading that request, drop its image
    StartFaceCapture   start taking camera frames for a face check
    FaceStep           from now on, frames belong to this step
    FinishFaceCapture  stop taking frames; report when every upload has ended
    CancelFaceCapture  stop taking and uploading frames of that check
    StopAssist         the call is over: cancel everything of it, upload nothing more

Remote assist (:mod:`booth_client.remote`; carried out by
:class:`booth_client.remote_jobs.RemoteJobs`)::

    ShareScreen        start / stop sending the kiosk screen on the second video track
    InjectTap          tap the kiosk for the agent (control consent is on)
    SubmitForm         POST the signed form; answer with BoothSession.form_result
    StopRemote         the call is over: stop sharing, drop its submissions and images
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from signaling import protocol as p

__all__ = [
    "Connect", "Send", "ScheduleReconnect", "StartMedia", "ApplyRemote", "StopMedia",
    "LoadCatalog", "ResetResident", "Disabled",
    "FacePlan", "StartCapture", "UploadDocument", "CancelCapture", "StartFaceCapture",
    "FaceStep", "FinishFaceCapture", "CancelFaceCapture", "StopAssist",
    "ShareScreen", "InjectTap", "SubmitForm", "StopRemote",
    "AssistEffect", "RemoteEffect", "Effect",
]


@dataclass(frozen=True)
class Connect:
    """Open the WebSocket now."""


@dataclass(frozen=True)
class Send:
    mtype: str
    data: p._Data
    id: str | None = None


@dataclass(frozen=True)
class ScheduleReconnect:
    delay_s: float


@dataclass(frozen=True)
class StartMedia:
    """Build a peer connection for ``call_id`` at ``gen`` (closing any older one) and offer.

    The adapter must call :meth:`BoothSession.local_offer` with the SDP it made.
    """

    call_id: str
    gen: int
    ice_servers: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class ApplyRemote:
    """Apply the agent's answer (``description``) or ICE candidate to the current peer."""

    call_id: str
    gen: int
    description: dict[str, Any] | None = None
    candidate: dict[str, Any] | None = None
    end_of_candidates: bool = False


@dataclass(frozen=True)
class StopMedia:
    call_id: str


@dataclass(frozen=True)
class LoadCatalog:
    """Fetch ``GET /api/catalog`` and feed it to :meth:`BoothSession.catalog_loaded`."""


@dataclass(frozen=True)
class ResetResident:
    """Forget everything about the resident who just left (images, typed text)."""


@dataclass(frozen=True)
class Disabled:
    """The device token was refused: stop reconnecting until an administrator acts."""

    reason: str


# ----------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class StartCapture:
    """Capture attempt ``attempt`` (1-based) of ``request_id``: scan, check quality, encode.

    The adapter must answer with :meth:`BoothSession.capture_result` (same
    ``request_id`` and ``attempt``), keeping the encoded image until an
    :class:`UploadDocument` or :class:`CancelCapture` for the request.
    """

    call_id: str
    request_id: str
    kind: str
    attempt: int


@dataclass(frozen=True)
class UploadDocument:
    """Upload the image of ``request_id``'s last good attempt.

    The adapter must answer with :meth:`BoothSession.upload_done` or
    :meth:`BoothSession.upload_failed`.
    """

    call_id: str
    request_id: str
    kind: str
    attempt: int


@dataclass(frozen=True)
class CancelCapture:
    """Stop whatever runs for ``request_id`` (scan or upload) and forget its image."""

    call_id: str
    request_id: str


# ----------------------------------------------------------------------------- face check


@dataclass(frozen=True)
class FacePlan:
    """A face check as the booth runs it (from ``face.check.started``).

    ``steps`` are ``"baseline"`` then the challenges in order; ``durations_s``
    the time each is shown. ``interval_s`` spaces the frames so that the
    whole check stays within ``max_frames`` at no more than the hub's ``fps``.
    """

    call_id: str
    check_id: str
    steps: tuple[str, ...]
    durations_s: tuple[float, ...]
    interval_s: float
    max_frames: int
    upload_url: str

    def __post_init__(self) -> None:
        if not self.steps or len(self.steps) != len(self.durations_s):
            raise ValueError("a face plan needs one duration per step")
        if self.interval_s <= 0 or self.max_frames < 1:
            raise ValueError("interval_s must be > 0 and max_frames >= 1")

    @property
    def total_s(self) -> float:
        return sum(self.durations_s)


@dataclass(frozen=True)
class StartFaceCapture:
    """Take a camera frame every ``plan.interval_s`` and upload it, until told to finish."""

    plan: FacePlan


@dataclass(frozen=True)
class FaceStep:
    """The prompt on screen is now ``step`` (index ``index`` of the plan's steps)."""

    check_id: str
    step: str
    index: int


@dataclass(frozen=True)
class FinishFaceCapture:
    """Take no more frames; when every upload has ended, call
    :meth:`BoothSession.face_capture_done` with the count of stored frames."""

    check_id: str


@dataclass(frozen=True)
class CancelFaceCapture:
    """Stop taking and uploading frames of ``check_id`` (replaced or cancelled)."""

    check_id: str


@dataclass(frozen=True)
class StopAssist:
    """The call ended (or the booth lost it): cancel every capture, upload and face check
    of ``call_id`` at once and drop their images. Nothing more is uploaded for it."""

    call_id: str


# ----------------------------------------------------------------------------- remote assist


@dataclass(frozen=True)
class ShareScreen:
    """Send the kiosk screen on the call's second video track (``on``), or stop now.

    Emitted with ``on=True`` only after the hub has recorded the resident's
    ``screen`` grant; ``on=False`` at once when the resident stops sharing.
    """

    call_id: str
    on: bool


@dataclass(frozen=True)
class InjectTap:
    """Tap the kiosk at (``x``, ``y``), 0..1 of the window, for the agent (``seq`` counts
    the call's taps). Only ever emitted while the resident's ``control`` grant is on."""

    call_id: str
    x: float
    y: float
    seq: int


@dataclass(frozen=True)
class SubmitForm:
    """``POST /api/calls/{call_id}/forms/{form_id}/submission`` with ``body`` (values,
    signature, ``reviewed: true``); answer with :meth:`BoothSession.form_result`."""

    call_id: str
    form_id: str
    body: dict[str, Any]


@dataclass(frozen=True)
class StopRemote:
    """The call ended (or the booth lost it): stop sharing the screen, drop pending form
    submissions and the call's document images."""

    call_id: str


AssistEffect = (StartCapture | UploadDocument | CancelCapture | StartFaceCapture | FaceStep
                | FinishFaceCapture | CancelFaceCapture | StopAssist)

RemoteEffect = ShareScreen | InjectTap | SubmitForm | StopRemote

Effect = (Connect | Send | ScheduleReconnect | StartMedia | ApplyRemote | StopMedia
          | LoadCatalog | ResetResident | Disabled | AssistEffect | RemoteEffect)
