// Documents of the current call (docs/protocol.md `document.*`): pure state changes.
// Each function takes the store's draft and a message's data and changes only
// the draft; fetching images and sending requests is desk.js's business.
//
// state.docs = null outside a call, else
//   { callId,
//     requests: [{requestId, kind, instruction, state, code, message, rescan, documentId, at}],
//     items:    [{documentId, requestId, kind, contentType, width, height, size, sha256,
//                 url, thumbUrl, createdAt, review, reason, deleted}],
//     instruction: "" (the agent's optional text for the next request),
//     busy: false (a document.request in flight) }
//
// A request's `state`: requested → capturing → (retrying →) uploading → done, or failed;
// a `rescan` review puts it back to requested (the booth captures the same request again).

export const KINDS = ["id_front", "id_back", "household_register", "certificate", "form", "other"];

/** Shown to the resident (always Chinese) when the agent leaves the instruction empty. */
export const DEFAULT_INSTRUCTIONS = {
  id_front: "请把身份证人像面朝上放在高拍仪上",
  id_back: "请把身份证国徽面朝上放在高拍仪上",
  household_register: "请把户口簿翻到本人页，平放在高拍仪上",
  certificate: "请把证书平放在高拍仪上",
  form: "请把表格平放在高拍仪上",
  other: "请按工作人员的要求放好材料",
};

/** Preset re-scan reasons: the chip's i18n key and the text the resident reads (Chinese). */
export const RESCAN_REASONS = [
  ["blurry", "图像模糊，请放稳后重拍"],
  ["glare", "有反光，请调整角度后重拍"],
  ["incomplete", "材料不完整，请把四角都放进拍摄区"],
  ["covered", "有遮挡，请移开手指或杂物"],
  ["wrong", "材料不符，请放入要求的材料"],
];

export const MAX_TEXT = 200; // instruction and reason, docs/protocol.md

export function emptyDocs(callId) {
  return { callId, requests: [], items: [], instruction: "", busy: false };
}

/** The instruction actually sent: the agent's text, else the kind's default. */
export function instructionFor(kind, text) {
  const mine = (text || "").trim().slice(0, MAX_TEXT);
  return mine || DEFAULT_INSTRUCTIONS[kind] || DEFAULT_INSTRUCTIONS.other;
}

/** The rescan reason from the chosen presets and the free text, within 200 characters. */
export function rescanReason(presets, text) {
  const parts = RESCAN_REASONS.filter(([key]) => presets.includes(key)).map(([, zh]) => zh);
  const free = (text || "").trim();
  if (free) parts.push(free);
  return parts.join("；").slice(0, MAX_TEXT);
}

function forCall(draft, callId) {
  return draft.docs && draft.docs.callId === callId ? draft.docs : null;
}

function withRequest(docs, requestId, fields) {
  const requests = docs.requests.map((r) => (r.requestId === requestId ? { ...r, ...fields } : r));
  return { ...docs, requests };
}

/** The reply to our `document.request` (the booth got the same). */
export function onRequested(draft, data, now) {
  const docs = forCall(draft, data.call_id);
  if (!docs || docs.requests.some((r) => r.requestId === data.request_id)) return draft;
  draft.docs = {
    ...docs,
    requests: [...docs.requests, {
      requestId: data.request_id, kind: data.kind, instruction: data.instruction ?? null,
      state: "requested", code: null, message: null, rescan: false, documentId: null, at: now,
    }],
  };
  return draft;
}

export function onStatus(draft, data, now) {
  let docs = forCall(draft, data.call_id);
  if (!docs) return draft;
  if (!docs.requests.some((r) => r.requestId === data.request_id)) {
    // a request made before a reload of the page: show it all the same
    docs = { ...docs, requests: [...docs.requests, {
      requestId: data.request_id, kind: null, instruction: null, state: "requested", code: null,
      message: null, rescan: false, documentId: null, at: now,
    }] };
  }
  draft.docs = withRequest(docs, data.request_id, {
    state: data.state, code: data.code ?? null, message: data.message ?? null, at: now,
  });
  return draft;
}

function item(data) {
  return {
    documentId: data.document_id, requestId: data.request_id ?? null, kind: data.kind,
    contentType: data.content_type, width: data.width, height: data.height, size: data.size,
    sha256: data.sha256, url: data.url, thumbUrl: data.thumb_url, createdAt: data.created_at,
    review: data.review && data.review !== "pending" ? data.review : null,
    reason: data.review_reason ?? null, deleted: Boolean(data.deleted),
  };
}

export function onAdded(draft, data, now) {
  let docs = forCall(draft, data.call_id);
  if (!docs) return draft;
  if (!docs.items.some((d) => d.documentId === data.document_id)) {
    docs = { ...docs, items: [...docs.items, item(data)] };
  }
  if (data.request_id) {
    docs = withRequest(docs, data.request_id, {
      state: "done", code: null, message: null, documentId: data.document_id, at: now,
    });
  }
  draft.docs = docs;
  return draft;
}

/** The reply to our `document.review`. */
export function onReviewed(draft, data, now) {
  let docs = forCall(draft, data.call_id);
  if (!docs) return draft;
  docs = {
    ...docs,
    items: docs.items.map((d) => (d.documentId === data.document_id
      ? { ...d, review: data.decision, reason: data.reason ?? null } : d)),
  };
  if (data.decision === "rescan" && data.request_id) {
    docs = withRequest(docs, data.request_id, {
      state: "requested", code: null, message: null, rescan: true, documentId: null, at: now,
    });
  }
  draft.docs = docs;
  return draft;
}

/** `GET /api/calls/{call_id}/documents` after a reload: rebuild the strip. */
export function onListed(draft, callId, documents) {
  let docs = forCall(draft, callId);
  if (!docs) return draft;
  const known = new Set(docs.items.map((d) => d.documentId));
  const listed = documents.filter((d) => !known.has(d.document_id)).map(item);
  const fresh = new Map(documents.map((d) => [d.document_id, item(d)]));
  docs = {
    ...docs,
    items: [...docs.items.map((d) => {
      const f = fresh.get(d.documentId);
      return f ? { ...d, review: d.review || f.review, reason: d.reason ?? f.reason, deleted: f.deleted } : d;
    }), ...listed].sort((a, b) => a.createdAt - b.createdAt),
  };
  draft.docs = docs;
  return draft;
}

/** The agent puts a failed request away (or asks again, which makes a new request). */
export function dismissRequest(draft, requestId) {
  if (!draft.docs) return draft;
  draft.docs = { ...draft.docs, requests: draft.docs.requests.filter((r) => r.requestId !== requestId) };
  return draft;
}

/** Requests still waiting for a document (the ones whose progress the panel shows). */
export function openRequests(docs) {
  return docs ? docs.requests.filter((r) => r.state !== "done") : [];
}

/** `id_front` documents a face check can use, newest first, re-scans sent back last. */
export function faceCandidates(docs) {
  if (!docs) return [];
  return docs.items
    .filter((d) => d.kind === "id_front" && !d.deleted)
    .sort((a, b) => (a.review === "rescan") - (b.review === "rescan") || b.createdAt - a.createdAt);
}
