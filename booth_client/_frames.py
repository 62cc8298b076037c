"""Pixel work for the camera sources: fitting frames, the test pattern, the fallback picture.

Everything here is pure (arrays in, arrays out) and uses only OpenCV and
numpy, so it runs in whichever thread reads the camera. Images are BGR
``uint8`` arrays of shape ``(height, width, 3)``, as OpenCV gives them.
"""

from __future__ import annotations

import functools
import time
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = ["Image", "TestPattern", "check_size", "fit_frame", "unavailable_image"]

Image = NDArray[np.uint8]

_FONT = cv2.FONT_HERSHEY_SIMPLEX
# 75 % colour bars (ITU-R BT.801 order), BGR.
_BARS = ((191, 191, 191), (0, 191, 191), (191, 191, 0), (0, 191, 0),
         (191, 0, 191), (0, 0, 191), (191, 0, 0))
_UNAVAILABLE_BG = (78, 74, 70)  # a calm, slightly cool grey (BGR)


def check_size(width: int, height: int) -> None:
    """Raise ``ValueError`` unless ``width`` and ``height`` are positive integers."""
    if not (isinstance(width, int) and isinstance(height, int)) or width <= 0 or height <= 0:
        raise ValueError(f"frame size must be positive integers, got {width!r}x{height!r}")


def fit_frame(frame: Any, width: int, height: int) -> Image:
    """Return ``frame`` as a BGR ``uint8`` image of exactly ``(height, width, 3)``.

    Grey and BGRA input is converted. A frame of another size is scaled to fit
    with its aspect ratio kept, centred on black (letterbox or pillarbox): a
    4:3 webcam in a 16:9 stream keeps round faces. Raises ``ValueError`` for
    anything that is not an 8-bit image.
    """
    img = np.asarray(frame)
    if img.dtype != np.uint8:
        raise ValueError(f"expected an 8-bit image, got dtype {img.dtype}")
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    elif img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"expected a BGR image, got shape {img.shape}")
    h, w = img.shape[:2]
    if (h, w) == (height, width):
        return np.ascontiguousarray(img)
    scale = min(width / w, height / h)
    new_w = max(1, min(width, round(w * scale)))
    new_h = max(1, min(height, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(img, (new_w, new_h), interpolation=interp)
    if (new_h, new_w) == (height, width):
        return np.asarray(scaled, dtype=np.uint8)
    out = np.zeros((height, width, 3), np.uint8)
    y, x = (height - new_h) // 2, (width - new_w) // 2
    out[y:y + new_h, x:x + new_w] = scaled
    return out


def _font_scale(text: str, max_w: float, max_h: float, thickness: int) -> float:
    """The Hershey font scale at which ``text`` fits in ``max_w`` x ``max_h`` pixels."""
    (tw, th), base = cv2.getTextSize(text, _FONT, 1.0, thickness)
    return max(0.1, min(max_w / max(tw, 1), max_h / max(th + base, 1)))


def _centered_text(img: Image, text: str, cx: int, y: int, max_w: float, max_h: float,
                   color: tuple[int, int, int]) -> None:
    """Draw ASCII ``text`` centred on ``cx`` with its baseline at ``y``."""
    thickness = max(1, round(max_h / 14))
    scale = _font_scale(text, max_w, max_h, thickness)
    (tw, _), _ = cv2.getTextSize(text, _FONT, scale, thickness)
    cv2.putText(img, text, (cx - tw // 2, y), _FONT, scale, color, thickness, cv2.LINE_AA)


class TestPattern:
    """Draws the synthetic camera's frames; the static part is rendered once.

    Layout (proportional to the size): colour bars with the label, a grey ramp
    the moving box crosses, and a black band with a large wall clock
    (``HH:MM:SS.mmm``, local time) and the frame counter. A vertical sweep
    line crosses the bars once every two seconds. The picture is a pure
    function of ``(t, counter)``.
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, width: int, height: int, label: str) -> None:
        check_size(width, height)
        self.width, self.height = width, height
        self._bars_h = round(height * 0.55)
        self._ramp_y0, self._ramp_y1 = self._bars_h, round(height * 0.72)
        self._box = max(2, (self._ramp_y1 - self._ramp_y0) * 3 // 4)
        self._sweep_w = max(1, width // 320)
        self._clock_thick = max(1, round(height / 120))
        self._clock_scale = _font_scale("00:00:00.000", width * 0.72, height * 0.16,
                                        self._clock_thick)
        (_, clock_h), _ = cv2.getTextSize("0", _FONT, self._clock_scale, self._clock_thick)
        band_h = height - self._ramp_y1
        self._clock_org = (round(width * 0.04), self._ramp_y1 + (band_h + clock_h) // 2)
        self._small_thick = max(1, round(height / 360))
        self._small_scale = _font_scale("#0000000", width * 0.16, height * 0.05,
                                        self._small_thick)
        self._counter_org = (round(width * 0.80), self._ramp_y1 + (band_h + clock_h) // 2)
        self._background = self._draw_background(label)

    def _draw_background(self, label: str) -> Image:
        w, h = self.width, self.height
        img = np.zeros((h, w, 3), np.uint8)
        for i, colour in enumerate(_BARS):
            img[:self._bars_h, i * w // len(_BARS):(i + 1) * w // len(_BARS)] = colour
        ramp = np.linspace(16, 235, w, dtype=np.float32).astype(np.uint8)
        img[self._ramp_y0:self._ramp_y1] = ramp[None, :, None]
        if label:
            text = label.encode("ascii", "replace").decode("ascii")
            thick = self._small_thick
            scale = _font_scale(text, w * 0.9, h * 0.06, thick)
            (tw, th), base = cv2.getTextSize(text, _FONT, scale, thick)
            pad = max(2, th // 3)
            x, y = round(w * 0.04), round(h * 0.04) + th
            cv2.rectangle(img, (x - pad, y - th - pad), (x + tw + pad, y + base + pad),
                          (0, 0, 0), -1)
            cv2.putText(img, text, (x, y), _FONT, scale, (255, 255, 255), thick, cv2.LINE_AA)
        return img

    def render(self, t: float, counter: int) -> Image:
        """A new frame for wall-clock time ``t`` (seconds since the epoch)."""
        img = self._background.copy()
        w = self.width
        # The sweep crosses the bars every 2 s; the box bounces across the ramp every 4 s.
        x = int((t % 2.0) / 2.0 * w)
        img[:self._bars_h, x:x + self._sweep_w] = 255
        phase = (t % 4.0) / 2.0
        frac = phase if phase <= 1.0 else 2.0 - phase
        bx = round(frac * (w - self._box))
        by = self._ramp_y0 + (self._ramp_y1 - self._ramp_y0 - self._box) // 2
        cv2.rectangle(img, (bx, by), (bx + self._box - 1, by + self._box - 1), (0, 0, 255), -1)
        ms = int((t % 1.0) * 1000)
        clock = time.strftime("%H:%M:%S", time.localtime(t)) + f".{ms:03d}"
        cv2.putText(img, clock, self._clock_org, _FONT, self._clock_scale, (255, 255, 255),
                    self._clock_thick, cv2.LINE_AA)
        cv2.putText(img, f"#{counter % 10_000_000:07d}", self._counter_org, _FONT,
                    self._small_scale, (200, 200, 200), self._small_thick, cv2.LINE_AA)
        return img


def _ascii_lines(text: str) -> list[str]:
    parts = (p.encode("ascii", "ignore").decode("ascii") for p in text.split("/"))
    lines = [" ".join(p.split()).upper() for p in parts]
    return [line for line in lines if line] or ["CAMERA UNAVAILABLE"]


def _unicode_font() -> Any:
    """OpenCV 5's font with CJK glyphs, or ``None`` on OpenCV 4 (Hershey fonts are ASCII)."""
    face = getattr(cv2, "FontFace", None)
    if face is None:
        return None
    try:
        return face("uni")
    except cv2.error:
        return None


@functools.lru_cache(maxsize=8)
def _unavailable(width: int, height: int, text: str, unicode: bool) -> Image:
    img = np.full((height, width, 3), _UNAVAILABLE_BG, np.uint8)
    unit = min(width, height / 0.75)
    cx, cy = width // 2, round(height * 0.40)
    fg, lens = (196, 192, 188), _UNAVAILABLE_BG
    thick = max(1, round(unit / 160))
    # A camera: body, viewfinder bump and lens, crossed out.
    bw, bh = round(unit * 0.16), round(unit * 0.11)
    cv2.rectangle(img, (cx - bw // 2, cy - bh // 2), (cx + bw // 2, cy + bh // 2), fg, -1,
                  cv2.LINE_AA)
    cv2.rectangle(img, (cx - bw // 6, cy - bh // 2 - bh // 5), (cx + bw // 6, cy - bh // 2),
                  fg, -1, cv2.LINE_AA)
    cv2.circle(img, (cx, cy), max(1, bh * 3 // 10), lens, -1, cv2.LINE_AA)
    cv2.circle(img, (cx, cy), max(1, bh // 6), fg, -1, cv2.LINE_AA)
    d = round(unit * 0.11)
    cv2.line(img, (cx - d, cy - d), (cx + d, cy + d), _UNAVAILABLE_BG, thick * 5, cv2.LINE_AA)
    cv2.line(img, (cx - d, cy - d), (cx + d, cy + d), fg, thick * 2, cv2.LINE_AA)
    colour = (232, 230, 228)
    y = cy + bh // 2 + round(height * 0.16)
    font = _unicode_font() if unicode else None
    if font is not None:
        size = max(8, round(height * 0.055))
        for line in (p.strip() for p in text.split("/")):
            if not line:
                continue
            rect = cv2.getTextSize((width, height), line, (0, 0), font, size)
            cv2.putText(img, line, (cx - rect[2] // 2, y), colour, font, size)
            y += round(size * 1.5)
    else:
        for line in _ascii_lines(text):
            _centered_text(img, line, cx, y, width * 0.8, height * 0.06, colour)
            y += round(height * 0.09)
    img.setflags(write=False)
    return img


def unavailable_image(width: int, height: int, text: str, *, unicode: bool = True) -> Image:
    """The "camera unavailable" picture (a new, writable array each call).

    ``text`` may hold several lines separated by ``/``. With OpenCV 5 (and
    ``unicode``) they are drawn as given, Chinese included; OpenCV 4's Hershey
    fonts only have ASCII, so there only the ASCII part of each line is drawn,
    upper-cased, falling back to ``CAMERA UNAVAILABLE``.
    """
    check_size(width, height)
    return _unavailable(width, height, text, unicode).copy()
