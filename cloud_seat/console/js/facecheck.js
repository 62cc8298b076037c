// The face check of the current call (docs/protocol.md `face.check.*`): pure state changes.
//
// state.face = null outside a call, else
//   { callId, documentId (the id_front scan chosen for the next check),
//     checkId, phase, challenges, hint, result, decision, by, note, busy, error }
// phase: idle → starting → started → judging → result → decided; or cancelled.
// The score is advice: the agent decides with `face.check.decide`.

export const BANDS = ["match", "review", "mismatch"];

export function emptyFace(callId) {
  return {
    callId, documentId: null, checkId: null, phase: "idle", challenges: [], hint: null,
    result: null, decision: null, by: null, note: "", busy: false, error: null,
  };
}

function current(draft, data) {
  const face = draft.face;
  if (!face || face.callId !== data.call_id) return null;
  if (data.check_id && face.checkId && face.checkId !== data.check_id) return null; // an old check
  return face;
}

/** The reply to our `face.check.start`. */
export function onStarted(draft, data) {
  const face = draft.face;
  if (!face || face.callId !== data.call_id) return draft;
  draft.face = {
    ...face, checkId: data.check_id, documentId: data.document_id, phase: "started",
    challenges: Array.isArray(data.challenges) ? data.challenges : [], hint: null, result: null,
    decision: null, by: null, note: "", busy: false, error: null,
  };
  return draft;
}

export function onStatus(draft, data) {
  const face = current(draft, data);
  if (!face) return draft;
  // The agent is told `judging` and `cancelled`; `retry`, `done` and `decided` are the
  // booth's (they come with or after the result and change nothing the agent sees).
  if (data.state === "judging" && !face.result && face.phase === "started") {
    draft.face = { ...face, phase: "judging" };
  } else if (data.state === "cancelled" && face.phase !== "decided") {
    draft.face = { ...face, phase: "cancelled", busy: false };
  } else if (data.hint) {
    draft.face = { ...face, hint: data.hint };
  }
  return draft;
}

export function onResult(draft, data) {
  const face = current(draft, data);
  if (!face) return draft;
  draft.face = { ...face, checkId: data.check_id, phase: face.decision ? "decided" : "result", result: data };
  return draft;
}

/** The reply to our `face.check.decide`. */
export function onDecided(draft, data) {
  const face = current(draft, data);
  if (!face) return draft;
  draft.face = { ...face, phase: "decided", decision: data.decision, by: data.by || null, busy: false };
  return draft;
}

/** What the result says, for drawing: the band (or null when it could not compare). */
export function verdict(result) {
  if (!result) return null;
  const failedGates = (result.gates || []).filter((g) => !g.passed);
  return {
    failed: result.state === "failed",
    band: BANDS.includes(result.band) ? result.band : null,
    distance: typeof result.distance === "number" ? result.distance : null,
    thresholds: result.thresholds || null,
    failedGates,
    liveness: result.liveness || [],
    passed: Boolean(result.passed),
  };
}

/** Where `distance` sits on a 0..1 scale for the bar (capped; the thresholds as marks). */
export function scalePosition(value, top = 1.0) {
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  return Math.max(0, Math.min(100, (100 * value) / top));
}

/**
 * `GET /api/calls/{call_id}/face-checks` after a reload: show the newest check again
 * (its result and decision; `decided_by` is a user id, named when it is this agent).
 */
export function onListed(draft, callId, checks, me) {
  const face = draft.face;
  if (!face || face.callId !== callId || face.checkId) return draft;
  const latest = [...checks].filter((c) => c.state !== "cancelled")
    .sort((a, b) => b.created_at - a.created_at)[0];
  if (!latest) return draft;
  let phase = "started";
  if (latest.decision) phase = "decided";
  else if (latest.result) phase = "result";
  else if (latest.state === "judging") phase = "judging";
  draft.face = {
    ...face, checkId: latest.check_id, documentId: latest.document_id, phase,
    challenges: Array.isArray(latest.challenges) ? latest.challenges : [], result: latest.result || null,
    decision: latest.decision || null,
    by: latest.decided_by ? { id: latest.decided_by, name: latest.decided_by === me?.userId ? me.name : "" } : null,
  };
  return draft;
}
