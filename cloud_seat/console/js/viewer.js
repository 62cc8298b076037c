// The document viewer's geometry: pure functions over state.viewer.
//
// state.viewer = null when closed, else
//   { documentId, zoom: null (fit) | scale, rotation: 0|90|180|270, panX, panY,
//     review: null | {decision: "rescan", presets: [], text: "", busy} | {decision: "accepted", busy} }
// `zoom` is the scale of image pixels to screen pixels; null means "fit the box",
// worked out when drawing (the box size belongs to the screen, not to the state).

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 8;
export const ZOOM_STEP = 1.25;
export const PAN_STEP = 60; // pixels per arrow key

export function openViewer(documentId) {
  return { documentId, zoom: null, rotation: 0, panX: 0, panY: 0, review: null };
}

/** Width and height of the image as drawn after `rotation`. */
export function rotatedSize(width, height, rotation) {
  return rotation % 180 === 0 ? [width, height] : [height, width];
}

/** The scale at which the whole (rotated) image fits the box. */
export function fitScale(width, height, rotation, boxW, boxH) {
  if (!width || !height || !boxW || !boxH) return 1;
  const [w, h] = rotatedSize(width, height, rotation);
  return clampScale(Math.min(boxW / w, boxH / h));
}

export function clampScale(s) {
  return Math.max(MIN_SCALE, Math.min(MAX_SCALE, s));
}

/** The scale in use: the chosen zoom, or fit. */
export function scaleOf(viewer, width, height, boxW, boxH) {
  return viewer.zoom ?? fitScale(width, height, viewer.rotation, boxW, boxH);
}

/**
 * Zoom by `factor` about the centre of the box: the point in the middle stays in
 * the middle, so the pan scales with the zoom.
 */
export function zoomBy(viewer, factor, currentScale) {
  const zoom = clampScale(currentScale * factor);
  const k = zoom / currentScale;
  return { ...viewer, zoom, panX: viewer.panX * k, panY: viewer.panY * k };
}

export function zoomTo(viewer, zoom, currentScale) {
  return zoomBy(viewer, zoom / currentScale, currentScale);
}

export function fit(viewer) {
  return { ...viewer, zoom: null, panX: 0, panY: 0 };
}

/** A quarter turn clockwise; the pan turns with the picture. */
export function rotate(viewer) {
  return { ...viewer, rotation: (viewer.rotation + 90) % 360, panX: -viewer.panY, panY: viewer.panX };
}

export function pan(viewer, dx, dy) {
  return { ...viewer, panX: viewer.panX + dx, panY: viewer.panY + dy };
}

/** The CSS transform of the <img> (natural size, centred on the box's middle). */
export function transformCss(viewer, scale) {
  const x = Math.round(viewer.panX);
  const y = Math.round(viewer.panY);
  return `translate(-50%, -50%) translate(${x}px, ${y}px) rotate(${viewer.rotation}deg) scale(${scale})`;
}

/**
 * Where a point of the screen (client pixels) falls on the document, normalized
 * 0..1 of the image (the annotation surface `document:<id>`), undoing the pan,
 * rotation and scale of transformCss; null when it is outside the image.
 * `stage` is the stage's {left, top, width, height} in client pixels.
 */
export function clientToImage(viewer, scale, width, height, stage, clientX, clientY) {
  if (!width || !height || !scale) return null;
  const vx = clientX - (stage.left + stage.width / 2 + viewer.panX);
  const vy = clientY - (stage.top + stage.height / 2 + viewer.panY);
  const a = (-viewer.rotation * Math.PI) / 180;
  const rx = vx * Math.cos(a) - vy * Math.sin(a);
  const ry = vx * Math.sin(a) + vy * Math.cos(a);
  const x = rx / scale / width + 0.5;
  const y = ry / scale / height + 0.5;
  if (x < 0 || x > 1 || y < 0 || y > 1) return null;
  return [x, y];
}
