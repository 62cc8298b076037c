// DOM helpers for the render functions: they only write when something changed,
// so drawing the whole state every tick costs little and keeps focus and
// selections intact.

export const $ = (id) => document.getElementById(id);

export function show(el, visible) {
  if (el.hidden === visible) el.hidden = !visible;
}

export function setText(el, text) {
  const value = text === null || text === undefined ? "" : String(text);
  if (el.textContent !== value) el.textContent = value;
}

export function setAttr(el, name, value) {
  const v = String(value);
  if (el.getAttribute(name) !== v) el.setAttribute(name, v);
}

export function setDisabled(el, disabled) {
  if (el.disabled !== disabled) el.disabled = disabled;
}

/** Attach a MediaStream to a <video> once; `null` detaches it. */
export function attachStream(video, stream) {
  if (video.srcObject === (stream || null)) return;
  video.srcObject = stream || null;
  if (stream) {
    const p = video.play();
    if (p && p.catch) {
      p.catch(() => {
        // Autoplay with sound refused (no user gesture yet): play muted rather than not at all.
        if (!video.muted) {
          video.muted = true;
          video.play().catch(() => {});
        }
      });
    }
  }
}

/** Replace `parent`'s children with `nodes` only when `key` changed since last time. */
export function renderList(parent, key, build) {
  if (parent.dataset.renderKey === key) return;
  parent.dataset.renderKey = key;
  parent.replaceChildren(...build());
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "className") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}
