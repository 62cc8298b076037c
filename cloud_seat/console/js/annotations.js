// The agent's drawings over a surface (docs/protocol.md `assist.annotate`, `assist.board`).
// Pure. This mirrors signaling/annotations.py rule for rule, so the console refuses
// what the hub would refuse before sending it, and its copy of a board stays the
// hub's copy:
//   * a surface is `screen` or `document:<document_id>`;
//   * coordinates are normalized 0..1 of the surface and rounded to 4 decimals;
//   * shapes: pen (1–500 points), arrow (from, to), box (two corners; `fill` is a
//     translucent highlight), text (one point, 1–200 characters); a colour of
//     COLORS; width 1–24 (pixels of a 1920-wide surface);
//   * operations on one surface: add, undo (the newest shape; nothing to undo is
//     fine), clear; at most MAX_SHAPES shapes and MAX_BOARD_BYTES bytes of shapes
//     per surface, and MAX_SURFACES surfaces with drawings.
//
// A board is { surface: { shapes: [...], size } } (surfaces without shapes are left out).

export const COLORS = ["red", "yellow", "green", "blue", "white", "black"];
export const KINDS = ["pen", "arrow", "box", "text"];
export const MAX_POINTS = 500;
export const MAX_TEXT = 200;
export const MAX_SHAPES = 200;
export const MAX_BOARD_BYTES = 48 * 1024;
export const MAX_SURFACES = 16;
export const SURFACE = /^(screen|document:[A-Za-z0-9_-]{1,64})$/;
export const SHAPE_ID = /^[A-Za-z0-9_-]{1,32}$/;
/** Width of the reference surface the stroke widths are given in. */
export const REF_WIDTH = 1920;

const POINT_COUNTS = { pen: [1, MAX_POINTS], arrow: [2, 2], box: [2, 2], text: [1, 1] };

/** A refused shape or operation; `code` is the protocol error code the hub would give. */
export class AnnotationError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "AnnotationError";
    this.code = code;
  }
}

/** Round like the hub (4 decimals). */
export function round4(value) {
  return Math.round(value * 1e4) / 1e4;
}

/** A coordinate in 0..1, rounded; throws `bad_message` otherwise. */
export function coord(value) {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new AnnotationError("bad_message", `coordinate ${value} is not within 0..1`);
  }
  return round4(value);
}

/** Clamp a number into 0..1 and round it (for points the mouse gives). */
export function clamp01(value) {
  return round4(Math.min(1, Math.max(0, value)));
}

function chars(text) {
  return [...text].length; // code points, as Python's len()
}

/**
 * A shape checked and normalized (defaults filled, coordinates rounded), as the hub
 * stores it; throws AnnotationError("bad_message") for a shape the hub would refuse.
 */
export function checkShape(shape) {
  const bad = (msg) => { throw new AnnotationError("bad_message", msg); };
  if (!shape || typeof shape !== "object") bad("a shape is an object");
  const { id, kind } = shape;
  if (typeof id !== "string" || !SHAPE_ID.test(id)) bad(`bad shape id ${id}`);
  if (!KINDS.includes(kind)) bad(`unknown kind ${kind}`);
  const color = shape.color ?? "red";
  if (!COLORS.includes(color)) bad(`unknown colour ${color}`);
  const width = shape.width ?? 4;
  if (!Number.isInteger(width) || width < 1 || width > 24) bad("width is a whole number 1..24");
  const points = shape.points;
  if (!Array.isArray(points) || points.length < 1 || points.length > MAX_POINTS) {
    bad(`1..${MAX_POINTS} points`);
  }
  const [lo, hi] = POINT_COUNTS[kind];
  if (points.length < lo || points.length > hi) {
    bad(`a ${kind} has ${lo === hi ? lo : `${lo}..${hi}`} points, not ${points.length}`);
  }
  const norm = points.map((pt) => {
    if (!Array.isArray(pt) || pt.length !== 2) bad("a point is [x, y]");
    return [coord(pt[0]), coord(pt[1])];
  });
  const text = shape.text ?? null;
  if ((kind === "text") !== (text !== null)) bad("text goes with kind text, and only there");
  if (text !== null && (typeof text !== "string" || chars(text) < 1 || chars(text) > MAX_TEXT)) {
    bad(`text is 1..${MAX_TEXT} characters`);
  }
  const fill = shape.fill ?? false;
  if (typeof fill !== "boolean") bad("fill is true or false");
  if (fill && kind !== "box") bad("fill applies to a box only");
  return { id, kind, color, width, points: norm, text, fill };
}

function floatJson(v) {
  // pydantic writes a float coordinate 0 or 1 as `0.0` / `1.0`
  return Number.isInteger(v) ? `${v}.0` : JSON.stringify(v);
}

/** Bytes of a normalized shape in a frame, as the hub counts them (compact JSON, UTF-8). */
export function shapeSize(shape) {
  const points = `[${shape.points.map(([x, y]) => `[${floatJson(x)},${floatJson(y)}]`).join(",")}]`;
  const json = `{"id":${JSON.stringify(shape.id)},"kind":"${shape.kind}","color":"${shape.color}",`
    + `"width":${shape.width},"points":${points},"text":${JSON.stringify(shape.text)},`
    + `"fill":${shape.fill}}`;
  return new TextEncoder().encode(json).length;
}

export function emptyBoard() {
  return {};
}

/** The shapes on `surface`, oldest first. */
export function shapesOf(board, surface) {
  const s = board && board[surface];
  return s ? s.shapes : [];
}

/**
 * The board after an operation `{surface, op, shape?}`; throws AnnotationError
 * (`conflict`, `too_large`, `bad_message`) when the hub would refuse it.
 */
export function applyOp(board, { surface, op, shape = null }) {
  if (typeof surface !== "string" || !SURFACE.test(surface)) {
    throw new AnnotationError("bad_message", `bad surface ${surface}`);
  }
  if ((op === "add") !== (shape !== null)) {
    throw new AnnotationError("bad_message", "add needs a shape; undo and clear take none");
  }
  const before = board[surface] || { shapes: [], size: 0 };
  let after;
  if (op === "clear") {
    after = { shapes: [], size: 0 };
  } else if (op === "undo") {
    if (before.shapes.length === 0) return board;
    const last = before.shapes[before.shapes.length - 1];
    after = { shapes: before.shapes.slice(0, -1), size: before.size - shapeSize(last) };
  } else if (op === "add") {
    const s = checkShape(shape);
    if (before.shapes.length === 0 && Object.keys(board).length >= MAX_SURFACES) {
      throw new AnnotationError("too_large", `drawings on ${MAX_SURFACES} surfaces; clear one first`);
    }
    if (before.shapes.some((x) => x.id === s.id)) {
      throw new AnnotationError("conflict", `a shape ${s.id} is already on this surface`);
    }
    if (before.shapes.length >= MAX_SHAPES) {
      throw new AnnotationError("too_large", `${MAX_SHAPES} shapes on this surface; clear it`);
    }
    const size = before.size + shapeSize(s);
    if (size > MAX_BOARD_BYTES) {
      throw new AnnotationError("too_large", "the drawings on this surface are too large; clear it");
    }
    after = { shapes: [...before.shapes, s], size };
  } else {
    throw new AnnotationError("bad_message", `unknown op ${op}`);
  }
  const out = { ...board };
  if (after.shapes.length) out[surface] = after;
  else delete out[surface];
  return out;
}

/** Replace a surface's drawings with the hub's (`assist.board`). */
export function replaceSurface(board, surface, shapes) {
  let out = { ...board };
  delete out[surface];
  for (const shape of shapes || []) {
    try {
      out = applyOp(out, { surface, op: "add", shape });
    } catch (err) {
      console.warn("board shape refused", err);
    }
  }
  return out;
}

/**
 * Thin a freehand stroke to at most MAX_POINTS points (keeps the first and last),
 * so a long scribble is still one valid `pen`.
 */
export function thinPoints(points, max = MAX_POINTS) {
  if (points.length <= max) return points;
  const out = [];
  const step = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i += 1) out.push(points[Math.round(i * step)]);
  return out;
}
