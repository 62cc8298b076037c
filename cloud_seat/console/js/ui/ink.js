// Draw annotation shapes (annotations.js) into an <svg> laid exactly over a surface.
// The svg's user space is the reference surface: REF_WIDTH (1920) wide and as high as
// the surface's aspect ratio makes it, so a shape's `width` (pixels of a 1920-wide
// surface) is used as it is and everything scales with the picture.

import { REF_WIDTH } from "../annotations.js";

const NS = "http://www.w3.org/2000/svg";

/** The palette names of the protocol, as the console draws them. */
export const PALETTE = {
  red: "#e53935", yellow: "#fdd835", green: "#43a047", blue: "#1e88e5", white: "#ffffff", black: "#111111",
};

/** Text size of a `text` shape in reference pixels (scaled by its width, never tiny). */
export function textSize(width) {
  return Math.max(28, width * 9);
}

function node(tag, attrs) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) n.setAttribute(k, String(v));
  return n;
}

/** SVG elements of one shape in a surface `h` reference pixels high. */
export function shapeNodes(shape, h) {
  const W = REF_WIDTH;
  const colour = PALETTE[shape.color] || PALETTE.red;
  const pts = shape.points.map(([x, y]) => [x * W, y * h]);
  const stroke = { stroke: colour, "stroke-width": shape.width, "stroke-linecap": "round",
    "stroke-linejoin": "round", fill: "none" };
  const g = node("g", { "data-shape-id": shape.id, "data-kind": shape.kind, "data-color": shape.color });
  if (shape.kind === "pen") {
    if (pts.length === 1) {
      g.append(node("circle", { cx: pts[0][0], cy: pts[0][1], r: Math.max(2, shape.width / 2), fill: colour }));
    } else {
      g.append(node("polyline", { ...stroke, points: pts.map((p) => p.join(",")).join(" ") }));
    }
  } else if (shape.kind === "arrow") {
    const [[x1, y1], [x2, y2]] = pts;
    const len = Math.hypot(x2 - x1, y2 - y1) || 1;
    const head = Math.min(len * 0.6, Math.max(18, shape.width * 4));
    const ux = (x2 - x1) / len;
    const uy = (y2 - y1) / len;
    const bx = x2 - ux * head;
    const by = y2 - uy * head;
    const wing = head * 0.55;
    g.append(node("line", { ...stroke, x1, y1, x2: bx, y2: by }));
    g.append(node("polygon", {
      fill: colour, stroke: colour, "stroke-width": 1, "stroke-linejoin": "round",
      points: `${x2},${y2} ${bx - uy * wing},${by + ux * wing} ${bx + uy * wing},${by - ux * wing}`,
    }));
  } else if (shape.kind === "box") {
    const [[x1, y1], [x2, y2]] = pts;
    const rect = { x: Math.min(x1, x2), y: Math.min(y1, y2), width: Math.abs(x2 - x1), height: Math.abs(y2 - y1) };
    g.append(node("rect", shape.fill
      ? { ...rect, fill: colour, "fill-opacity": 0.32, stroke: colour, "stroke-width": Math.max(2, shape.width / 2), rx: 4 }
      : { ...rect, ...stroke, rx: 4 }));
  } else if (shape.kind === "text") {
    const [[x, y]] = pts;
    const t = node("text", {
      x, y, fill: colour, "font-size": textSize(shape.width), "font-weight": 700, "dominant-baseline": "hanging",
      stroke: shape.color === "white" || shape.color === "yellow" ? "#111" : "#fff",
      "stroke-width": Math.max(3, textSize(shape.width) / 9), "paint-order": "stroke",
    });
    t.textContent = shape.text;
    g.append(t);
  }
  return g;
}

/**
 * Draw `shapes` (and the shape being drawn, `pending`) into `svg` for a surface of
 * `aspect` = height / width. Redraws only when something changed.
 */
export function renderInk(svg, shapes, pending, aspect) {
  const h = Math.round(REF_WIDTH * (aspect || 9 / 16));
  const key = `${h}|${JSON.stringify(shapes)}|${JSON.stringify(pending)}`;
  if (svg.dataset.inkKey === key) return;
  svg.dataset.inkKey = key;
  svg.setAttribute("viewBox", `0 0 ${REF_WIDTH} ${h}`);
  svg.setAttribute("preserveAspectRatio", "none");
  const nodes = shapes.map((s) => shapeNodes(s, h));
  if (pending) {
    const g = shapeNodes(pending, h);
    g.setAttribute("data-pending", "true");
    nodes.push(g);
  }
  svg.replaceChildren(...nodes);
  svg.dataset.shapes = String(shapes.length);
}
