// The agent's call records (办件记录) kept on the hub: today's list comes from
// `GET /api/agent/calls` (so it survives a reload, a new tab, another PC), and the
// wrap-up's outcome and note are saved as the agent types.

import { putNotes } from "./api.js";

export const OUTCOMES = ["resolved", "materials_missing", "referred", "consultation", "unresolved"];
const SAVE_DELAY_MS = 800;
const RETRY_MS = 3000;

/** A hub call record as a history entry (the shape `onCallEnded` makes locally). */
export function fromServer(c) {
  const started = Date.parse(c.started_at);
  const ended = c.ended_at ? Date.parse(c.ended_at) : null;
  return {
    id: c.call_id,
    number: c.ticket_number,
    service: c.service.name,
    department: c.department_id,
    booth: c.booth.name,
    startedAt: started,
    durationS: Math.round(c.duration_s ?? (ended ? (ended - started) / 1000 : 0)),
    reason: c.end_reason,
    by: c.ended_by || null,
    transferredTo: null,
    notes: c.notes || "",
    outcome: c.outcome || null,
    rating: c.rating ?? null,
  };
}

/** Today's list: the hub's records, newest first; what this tab knows (how a call
 * ended, a note not yet saved) is kept over the hub's copy. */
export function mergeHistory(local, serverCalls) {
  const mine = new Map(local.map((h) => [h.id, h]));
  const merged = serverCalls.map(fromServer).map((s) => {
    const l = mine.get(s.id);
    if (!l) return s;
    mine.delete(s.id);
    return { ...s, by: l.by, transferredTo: l.transferredTo,
      notes: l.notesDirty ? l.notes : s.notes, outcome: l.notesDirty ? l.outcome : s.outcome,
      notesDirty: l.notesDirty };
  });
  return [...merged, ...mine.values()].sort((a, b) => b.startedAt - a.startedAt);
}

/**
 * Saves one call's {outcome, notes} to the hub: debounced while typing, at once on
 * `flush()`, retried after a failure. `onStatus(callId, "saving" | "saved" | "failed")`.
 */
export class NoteSaver {
  constructor(getToken, onStatus) {
    this.getToken = getToken;
    this.onStatus = onStatus;
    this.pending = new Map(); // callId -> {outcome, notes}
    this.timers = new Map();
  }

  save(callId, outcome, notes, { now = false } = {}) {
    if (!outcome) return Promise.resolve(false); // the hub needs an outcome
    this.pending.set(callId, { outcome, notes });
    clearTimeout(this.timers.get(callId));
    if (now) return this.flush(callId);
    this.timers.set(callId, setTimeout(() => this.flush(callId), SAVE_DELAY_MS));
    return Promise.resolve(true);
  }

  async flush(callId) {
    clearTimeout(this.timers.get(callId));
    const body = this.pending.get(callId);
    if (!body) return true;
    this.pending.delete(callId);
    this.onStatus(callId, "saving");
    try {
      await putNotes(this.getToken(), callId, body.outcome, body.notes);
      if (!this.pending.has(callId)) this.onStatus(callId, "saved");
      return true;
    } catch (err) {
      if (err.status === 409 || err.status === 404 || err.status === 400) {
        this.onStatus(callId, "failed", err);
        return false; // closed, not ours, or refused: retrying cannot help
      }
      if (!this.pending.has(callId)) this.pending.set(callId, body);
      this.onStatus(callId, "failed", err);
      this.timers.set(callId, setTimeout(() => this.flush(callId), RETRY_MS));
      return false;
    }
  }

  cancelAll() {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.pending.clear();
  }
}
