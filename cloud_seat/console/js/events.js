// Hub events → state changes. Pure: each function takes the store's draft, the
// event's data and the time (ms), and changes only the draft. Media and sound
// are main.js's business (it calls CallController and Ringer around these).

import { emptyAssist } from "./assist.js";
import { emptyDocs } from "./documents.js";
import { emptyFace } from "./facecheck.js";
import { DEFAULT_WRAP_UP_S, notice } from "./state.js";

const OFFER_GRACE_MS = 3000; // keep an expired offer on screen until the hub withdraws it

export function onAgentState(draft, data, now) {
  const prev = draft.agent.state;
  draft.agent = { ...draft.agent, state: data.state, reason: data.reason ?? null };
  if (data.state === "wrap_up" && draft.wrapUp) {
    // The hub may tell how long wrap-up lasts; otherwise keep the default.
    const s = Number(data.wrap_up_s);
    if (Number.isFinite(s) && s >= 0) draft.wrapUp = { ...draft.wrapUp, until: now + s * 1000 };
  }
  if (prev === "wrap_up" && data.state !== "wrap_up" && draft.wrapUp && !draft.wrapUp.busy) {
    // The hub ended wrap-up by its timer; notes are already in the history entry.
    draft.wrapUp = null;
    if (data.state === "available") notice(draft, "wrapup.auto");
  }
  if ((data.state === "away" || data.state === "offline") && draft.offer) draft.offer = null;
  return draft;
}

export function onQueueSnapshot(draft, data, now) {
  draft.queue = { departments: Array.isArray(data.departments) ? data.departments : [], receivedAt: now };
  return draft;
}

export function onOffer(draft, data, now) {
  const timeoutS = Math.max(1, Number(data.timeout_s) || 20);
  draft.offer = {
    offerId: data.offer_id,
    ticket: data.ticket,
    timeoutS,
    receivedAt: now,
    deadline: now + timeoutS * 1000,
    busy: false,
  };
  return draft;
}

export function offerVisible(offer, now) {
  return Boolean(offer) && now < offer.deadline + OFFER_GRACE_MS;
}

export function onWithdrawn(draft, data) {
  if (draft.offer && draft.offer.offerId === data.offer_id) {
    notice(draft, "offer.withdrawn", { number: draft.offer.ticket.number }, "warn");
    draft.offer = null;
  }
  return draft;
}

export function onCallStart(draft, data, now) {
  const peer = data.peer || {};
  if (draft.call && draft.call.callId === data.call_id) return draft; // re-sent after resume
  if (draft.wrapUp) draft.wrapUp = null;
  const fromOffer = draft.offer && draft.offer.ticket.ticket_id === data.ticket_id ? draft.offer.ticket : null;
  draft.offer = null;
  draft.transfer = { open: false, departmentId: "", note: "", busy: false };
  clearDesk(draft);
  draft.docs = emptyDocs(data.call_id);
  draft.face = emptyFace(data.call_id);
  draft.assist = emptyAssist(data.call_id);
  draft.call = {
    callId: data.call_id,
    ticketId: data.ticket_id,
    number: peer.ticket_number || (fromOffer && fromOffer.number) || "",
    service: (peer.service && peer.service.name) || (fromOffer && fromOffer.service.name) || "",
    department: (peer.service && peer.service.department) || (fromOffer && fromOffer.service.department) || "",
    serviceId: (peer.service && peer.service.id) || (fromOffer && fromOffer.service.id) || "",
    booth: peer.name || "",
    region: peer.region || "",
    startedAt: now,
    gen: -1,
    media: "connecting",
    peerAway: false,
    muted: false,
    cameraOff: false,
    localStream: null,
    localMediaError: null,
    remoteStream: null,
    screenStream: null, // the booth's kiosk screen (second video track), see call.js
    stats: null,
    ending: false,
  };
  return draft;
}

export function onCallPeer(draft, data) {
  if (draft.call && draft.call.callId === data.call_id) {
    draft.call = { ...draft.call, peerAway: data.state === "away" };
  }
  return draft;
}

/** `call.ended`, or a call lost with our session (`by: "hub"`): record it and open wrap-up. */
export function onCallEnded(draft, data, now) {
  const call = draft.call;
  if (!call || call.callId !== data.call_id) return draft;
  const durationS = Math.max(0, Math.round((now - call.startedAt) / 1000));
  const entry = {
    id: call.callId,
    number: call.number,
    service: call.service,
    department: call.department,
    booth: call.booth,
    startedAt: call.startedAt,
    durationS,
    reason: data.reason,
    by: data.by,
    transferredTo: call.transferredTo || null,
    notes: "",
    outcome: null,
    rating: null,
  };
  draft.history = [entry, ...draft.history.filter((h) => h.id !== entry.id)];
  draft.call = null;
  draft.transfer = { open: false, departmentId: "", note: "", busy: false };
  clearDesk(draft); // no personal data after the call (the images' blob: URLs go too)
  draft.wrapUp = {
    historyId: entry.id,
    number: entry.number,
    service: entry.service,
    durationS,
    startedAt: now,
    until: now + DEFAULT_WRAP_UP_S * 1000,
    notes: "",
    outcome: null,
    saveStatus: null,
    busy: false,
  };
  return draft;
}

/** Forget the call's documents, viewer, face check, remote assist and images. */
export function clearDesk(draft) {
  draft.assist = null;
  draft.docs = null;
  draft.viewer = null;
  draft.face = null;
  draft.images = {};
  return draft;
}

/** How a history entry ended, as an i18n key. */
export function endedKey(entry) {
  if (entry.reason === "transferred") return "ended.transferred";
  if (entry.by === "hub") return "ended.hub";
  if (entry.by === "agent") return "ended.hangup.agent";
  if (entry.by === "booth") return "ended.hangup.booth";
  return "ended.other";
}
