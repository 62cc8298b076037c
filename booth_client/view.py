"""What the kiosk draws: :class:`BoothView` and the small values it is made of.

The engine (:mod:`booth_client.session`) makes a view whenever asked; screens
draw it and hold no booth state of their own. ``Screen``, ``Link`` and
``Media`` are the engine's three orthogonal states (see its docstring).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from booth_client.assist import DocumentView, FaceView
from booth_client.remote import RemoteView

__all__ = ["Screen", "Link", "Media", "ServiceItem", "DepartmentItem", "TicketInfo",
           "CallInfo", "BoothView"]


class Screen(StrEnum):
    UNENROLLED = "unenrolled"
    CONNECTING = "connecting"
    DISABLED = "disabled"
    WELCOME = "welcome"
    CHOOSING = "choosing"
    WAITING = "waiting"
    IN_CALL = "in_call"
    RATING = "rating"
    THANKS = "thanks"


class Link(StrEnum):
    OFFLINE = "offline"
    CONNECTING = "connecting"
    ONLINE = "online"
    RECONNECTING = "reconnecting"


class Media(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"


@dataclass(frozen=True)
class ServiceItem:
    id: str
    name: str
    name_en: str
    materials: tuple[str, ...]
    materials_en: tuple[str, ...] = ()


@dataclass(frozen=True)
class DepartmentItem:
    id: str
    name: str
    name_en: str
    services: tuple[ServiceItem, ...]


@dataclass(frozen=True)
class TicketInfo:
    ticket_id: str
    number: str
    state: str
    position: int
    eta_s: int
    service_id: str | None
    department_id: str | None
    priority: bool = False  # 优先办理


@dataclass(frozen=True)
class CallInfo:
    call_id: str
    ticket_id: str
    peer_name: str
    started_at: float
    gen: int
    ice_servers: tuple[dict[str, Any], ...]
    peer_away: bool = False


@dataclass(frozen=True)
class BoothView:
    """Everything the kiosk draws; nothing else is needed to draw a screen."""

    screen: Screen
    link: Link
    media: Media
    booth_name: str
    departments: tuple[DepartmentItem, ...]
    department_id: str | None
    service_id: str | None
    ticket: TicketInfo | None
    call: CallInfo | None
    rating_call_id: str | None
    notice: str | None  # an i18n key, e.g. "notice.ticket_lost"
    camera: str
    busy: bool  # a request is in flight (disable the button that sent it)
    document: DocumentView | None = None  # a document capture in this call
    face: FaceView | None = None  # a face check in this call
    overlay: str | None = None  # which of the two the in-call screen shows: "document" | "face"
    remote: RemoteView | None = None  # remote assist in this call
