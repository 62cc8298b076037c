"""The kiosk's look: a calm government-service style for older eyes and fingers.

White and light grey-blue surfaces, deep blue ``#0b4ea2`` for what can be
touched, red only for hanging up and cancelling, amber for warnings. Sizes are
pixels on a 1920x1080 or 1280x1024 touchscreen: body text at least 28 px,
titles at least 48 px, buttons at least 96 px tall, every touch target at
least 88 px.

Widgets pick their style with a ``role`` dynamic property (``primary``,
``danger``, ``tile``…), so screens never carry colours of their own.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

__all__ = [
    "BLUE", "RED", "BG", "TEXT", "MUTED", "VIDEO_BG",
    "BODY_PX", "TITLE_PX", "BUTTON_MIN_H", "TOUCH_MIN",
    "CJK_FONTS", "pick_font_family", "stylesheet", "apply_theme",
]

BLUE = "#0b4ea2"
BLUE_PRESSED = "#083a7a"
BLUE_LIGHT = "#e6eefa"
BLUE_DISABLED = "#9db2d0"
RED = "#c62828"
RED_PRESSED = "#9b1c1c"
BG = "#f2f5f9"
SURFACE = "#ffffff"
TEXT = "#14202e"
MUTED = "#46566a"
BORDER = "#c8d3e2"
AMBER_BG = "#fff3cd"
AMBER_BORDER = "#d99a00"
AMBER_TEXT = "#553800"
GREEN = "#1e7b34"
VIDEO_BG = "#18222f"

BODY_PX = 32
SMALL_PX = 28
TITLE_PX = 56
BUTTON_MIN_H = 96
TOUCH_MIN = 88

# Preferred first: Noto Sans CJK SC (Debian ``fonts-noto-cjk``), then other
# common Simplified Chinese sans faces; the first one installed wins.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)


def pick_font_family(installed: Iterable[str]) -> str | None:
    """The first of :data:`CJK_FONTS` among ``installed`` (None: keep Qt's default)."""
    have = set(installed)
    return next((f for f in CJK_FONTS if f in have), None)


def stylesheet(family: str | None) -> str:
    font = f'font-family: "{family}";' if family else ""
    return f"""
QWidget {{ {font} font-size: {BODY_PX}px; color: {TEXT}; }}
QWidget#kiosk, QStackedWidget, QWidget[role="screen"] {{ background: {BG}; }}
QLabel {{ background: transparent; }}
QScrollArea[role="scroll"], QWidget[role="scroll-content"] {{ background: transparent; }}
QScrollBar:vertical {{ width: 28px; background: {BG}; margin: 0; }}
QScrollBar::handle:vertical {{ background: {BORDER}; border-radius: 14px; min-height: 88px; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; }}
QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical {{ background: none; }}
QLabel[role="title"] {{ font-size: {TITLE_PX}px; font-weight: 700; }}
QLabel[role="hero"] {{ font-size: 72px; font-weight: 700; color: {BLUE}; }}
QLabel[role="subtitle"] {{ font-size: 36px; color: {MUTED}; }}
QLabel[role="big"] {{ font-size: 52px; font-weight: 700; }}
QLabel[role="accent"] {{ font-size: 52px; font-weight: 700; color: {BLUE}; }}
QLabel[role="body"] {{ font-size: {BODY_PX}px; }}
QLabel[role="hint"] {{ font-size: {SMALL_PX}px; color: {MUTED}; }}
QLabel[role="ticket"] {{ font-size: 184px; font-weight: 800; color: {BLUE}; }}
QLabel[role="timer"] {{ font-size: 64px; font-weight: 700; color: {BLUE}; }}
QLabel[role="tile-title"] {{ font-size: 40px; font-weight: 700; color: {TEXT}; }}
QLabel[role="tile-sub"] {{ font-size: {SMALL_PX}px; color: {MUTED}; }}
QLabel[role="chevron"] {{ font-size: 56px; color: {BLUE}; }}
QLabel[role="material"] {{ font-size: 34px; padding: 4px 0; }}
QLabel[role="material-no"] {{
    font-size: 28px; font-weight: 700; color: white; background: {BLUE};
    border-radius: 26px; min-width: 52px; max-width: 52px; min-height: 52px; max-height: 52px;
}}
QLabel[role="service-title"] {{ font-size: 48px; font-weight: 700; }}
QLabel[role="logo"] {{
    font-size: 96px; font-weight: 800; color: white; background: {BLUE};
    border-radius: 36px; min-width: 168px; max-width: 168px; min-height: 168px;
    max-height: 168px;
}}
QLabel[role="symbol"] {{
    font-size: 80px; font-weight: 800; color: white; background: {BLUE};
    border-radius: 64px; min-width: 128px; max-width: 128px; min-height: 128px;
    max-height: 128px;
}}
QLabel[role="symbol"][kind="warn"] {{ background: {AMBER_BORDER}; }}
QLabel[role="step-no"] {{
    font-size: 32px; font-weight: 700; color: {BLUE}; background: {BLUE_LIGHT};
    border-radius: 32px; min-width: 64px; max-width: 64px; min-height: 64px; max-height: 64px;
}}
QLabel[role="step-no"][current="true"] {{ color: white; background: {BLUE}; }}
QLabel[role="step"] {{ font-size: 30px; color: {MUTED}; }}
QLabel[role="step"][current="true"] {{ color: {BLUE}; font-weight: 700; }}
QLabel[role="check"] {{
    font-size: 120px; font-weight: 800; color: white; background: {GREEN};
    border-radius: 100px; min-width: 200px; max-width: 200px; min-height: 200px;
    max-height: 200px;
}}
QFrame[role="overlay"] {{
    background: {SURFACE}; border: 3px solid {BORDER}; border-radius: 24px;
}}
QLabel[role="instruction"] {{ font-size: 52px; font-weight: 700; color: {TEXT}; }}
QLabel[role="status"] {{ font-size: 38px; font-weight: 600; color: {TEXT}; }}
QLabel[role="symbol"][kind="ok"] {{ background: {GREEN}; }}
QFrame[role="overlay"] QLabel[role="symbol"] {{
    font-size: 52px; border-radius: 44px; min-width: 88px; max-width: 88px;
    min-height: 88px; max-height: 88px;
}}
QProgressBar {{ border: none; border-radius: 9px; background: {BLUE_LIGHT}; }}
QProgressBar::chunk {{ border-radius: 9px; background: {BLUE}; }}
QFrame[role="prompt-panel"] {{ background: rgba(11, 78, 162, 228); border-radius: 24px; }}
QFrame[role="prompt-panel"][tone="warn"] {{ background: rgba(153, 102, 0, 235); }}
QFrame[role="prompt-panel"][tone="ok"] {{ background: rgba(30, 123, 52, 235); }}
QLabel[role="prompt"] {{ font-size: 76px; font-weight: 800; color: white; }}
QLabel[role="prompt-sub"] {{ font-size: 32px; color: #e6eefa; }}
QLabel[role="countdown"] {{
    font-size: 88px; font-weight: 800; color: {BLUE}; background: white;
    border-radius: 64px; min-width: 128px; max-width: 128px; min-height: 128px;
    max-height: 128px;
}}
QLabel[role="banner"] {{
    font-size: {BODY_PX}px; font-weight: 600; color: {AMBER_TEXT}; background: {AMBER_BG};
    border: 3px solid {AMBER_BORDER}; border-radius: 14px; padding: 12px 28px;
}}
QLabel[role="badge"] {{
    font-size: {BODY_PX}px; font-weight: 700; color: white; background: {AMBER_TEXT};
    border-radius: 12px; padding: 4px 28px;
}}
QFrame[role="card"] {{
    background: {SURFACE}; border: 2px solid {BORDER}; border-radius: 24px;
}}
QFrame[role="panel"] {{ background: {SURFACE}; border-left: 2px solid {BORDER}; }}
QFrame#statusbar {{ background: {BLUE}; }}
QFrame#statusbar QLabel {{ color: white; font-size: {SMALL_PX}px; }}
QFrame#statusbar QLabel[role="brand"] {{ font-weight: 700; }}
QFrame#statusbar QLabel[role="dot"][state="online"] {{ color: #7ee08f; }}
QFrame#statusbar QLabel[role="dot"][state="connecting"] {{ color: #ffd666; }}
QFrame#statusbar QLabel[role="dot"][state="reconnecting"] {{ color: #ffd666; }}
QFrame#statusbar QLabel[role="dot"][state="offline"] {{ color: #ff9b9b; }}
QPushButton {{
    min-height: {BUTTON_MIN_H}px; border-radius: 18px; font-size: 40px; font-weight: 600;
    padding: 0 48px; background: {SURFACE}; color: {BLUE}; border: 3px solid {BLUE};
}}
QPushButton:pressed {{ background: {BLUE_LIGHT}; }}
QPushButton[role="primary"] {{ background: {BLUE}; color: white; border: none; }}
QPushButton[role="primary"]:pressed {{ background: {BLUE_PRESSED}; }}
QPushButton[role="primary"]:disabled {{ background: {BLUE_DISABLED}; color: #eef2f8; }}
QPushButton[role="hero"] {{
    background: {BLUE}; color: white; border: none; font-size: 52px; font-weight: 700;
    min-height: 150px; border-radius: 28px; padding: 0 96px;
}}
QPushButton[role="hero"]:pressed {{ background: {BLUE_PRESSED}; }}
QPushButton[role="hero"]:disabled {{ background: {BLUE_DISABLED}; }}
QPushButton[role="take"] {{
    background: {BLUE}; color: white; border: none; font-size: 56px; font-weight: 700;
    min-height: 200px; border-radius: 28px; padding: 0 24px;
}}
QPushButton[role="take"][lang="en"] {{ font-size: 44px; }}
QPushButton[role="take"]:pressed {{ background: {BLUE_PRESSED}; }}
QPushButton[role="take"]:disabled {{ background: {BLUE_DISABLED}; }}
QPushButton[role="danger"] {{ background: {RED}; color: white; border: none; }}
QPushButton[role="danger"]:pressed {{ background: {RED_PRESSED}; }}
QPushButton[role="danger"]:disabled {{ background: #d9a3a3; }}
QPushButton[role="danger-outline"] {{ background: {SURFACE}; color: {RED};
    border: 3px solid {RED}; }}
QPushButton[role="danger-outline"]:pressed {{ background: #fbeaea; }}
QPushButton[role="secondary"]:disabled, QPushButton[role="danger-outline"]:disabled {{
    color: #9aa7b8; border-color: #c3ccd8; }}
QPushButton[role="quiet"] {{ border: none; background: transparent; color: {MUTED};
    font-weight: 500; }}
QPushButton[role="lang"] {{
    min-height: {TOUCH_MIN}px; min-width: 180px; font-size: {BODY_PX}px; padding: 0 32px;
    border: 2px solid {BLUE}; border-radius: 44px; background: {SURFACE};
}}
QPushButton[role="tile"] {{
    background: {SURFACE}; border: 2px solid {BORDER}; border-radius: 22px; padding: 0;
}}
QPushButton[role="tile"]:pressed {{ background: {BLUE_LIGHT}; border: 3px solid {BLUE}; }}
QPushButton[role="level"] {{
    background: {SURFACE}; color: {TEXT}; border: 3px solid {BORDER}; border-radius: 22px;
    padding: 0; min-height: 168px;
}}
QPushButton[role="level"]:checked {{ background: {BLUE}; border: 3px solid {BLUE}; }}
QLabel[role="level-text"][on="true"] {{ color: white; }}
QPushButton[role="reason"] {{
    background: {SURFACE}; color: {TEXT}; border: 3px solid {BORDER}; font-size: 34px;
    font-weight: 500; text-align: left; padding: 0 28px;
}}
QPushButton[role="reason"]:checked {{ background: {BLUE_LIGHT}; border: 3px solid {BLUE};
    color: {BLUE}; font-weight: 700; }}
QFrame[role="sharebar"] {{ background: {AMBER_BG}; border-bottom: 4px solid {AMBER_BORDER}; }}
QLabel[role="share-dot"] {{ color: {RED}; font-size: 44px; }}
QLabel[role="share-text"] {{ font-size: 36px; font-weight: 700; color: {AMBER_TEXT}; }}
QFrame[role="consent-card"] {{
    background: {SURFACE}; border: 4px solid {BLUE}; border-radius: 32px;
}}
QPushButton[emphasis="huge"] {{ font-size: 60px; font-weight: 800; border-radius: 26px; }}
QFrame[role="field-row"] {{
    background: {SURFACE}; border: 2px solid {BORDER}; border-radius: 18px;
}}
QFrame[role="field-row"][error="true"] {{ border: 3px solid {RED}; background: #fff7f7; }}
QLabel[role="field-label"] {{ font-size: 36px; font-weight: 700; }}
QLabel[role="field-tag"] {{
    font-size: 26px; color: {MUTED}; background: {BG}; border-radius: 14px; padding: 4px 14px;
}}
QLabel[role="field-tag"][kind="required"] {{ color: {RED}; background: #fbeaea; }}
QLabel[role="field-value"] {{ font-size: 42px; padding: 6px 0; }}
QLabel[role="field-error"] {{ font-size: 30px; font-weight: 700; color: {RED}; }}
QPushButton[role="field-box"] {{
    text-align: left; font-size: 44px; font-weight: 500; color: {TEXT}; background: #f7f9fc;
    border: 3px solid {BORDER}; border-radius: 14px; padding: 0 24px; min-height: 96px;
}}
QPushButton[role="field-box"][state="empty"] {{ color: #7d8ba0; }}
QPushButton[role="field-box"][state="active"] {{ border: 4px solid {BLUE}; background: white; }}
QPushButton[role="field-box"][tall="true"] {{ min-height: 150px; }}
QPushButton[role="option"] {{
    background: {SURFACE}; color: {TEXT}; border: 3px solid {BORDER}; font-size: 36px;
    font-weight: 500; padding: 0 28px; min-height: 92px;
}}
QPushButton[role="option"]:checked {{
    background: {BLUE_LIGHT}; border: 4px solid {BLUE}; color: {BLUE}; font-weight: 700;
}}
QStackedWidget[role="pages"] {{ background: transparent; }}
QFrame[role="summary"] {{ background: {BG}; border-radius: 14px; }}
QLabel[role="summary"] {{ font-size: 28px; color: {TEXT}; }}
QFrame[role="keyboard"] {{ background: #dfe6ef; border-radius: 18px; }}
QPushButton[role="key"] {{
    min-height: 74px; font-size: 40px; padding: 0; background: {SURFACE}; color: {TEXT};
    border: 2px solid #b8c4d4; border-radius: 12px;
}}
QPushButton[role="key"]:pressed {{ background: {BLUE_LIGHT}; }}
QPushButton[role="key-fn"] {{
    min-height: 74px; font-size: 30px; padding: 0 8px; background: #eef2f7; color: {BLUE};
    border: 2px solid #b8c4d4; border-radius: 12px;
}}
QPushButton[role="key-fn"][on="true"] {{ background: {BLUE}; color: white; }}
QFrame[role="compose"] {{ background: {SURFACE}; border: 2px solid #b8c4d4; border-radius: 12px; }}
QLabel[role="composing"] {{ font-size: 40px; font-weight: 700; color: {BLUE}; }}
QLabel[role="composing"][empty="true"] {{ font-size: 28px; font-weight: 500; color: {MUTED}; }}
QPushButton[role="candidate"] {{
    min-height: 74px; font-size: 44px; padding: 0 6px; background: {SURFACE}; color: {TEXT};
    border: none; border-radius: 10px;
}}
QPushButton[role="candidate"]:pressed {{ background: {BLUE_LIGHT}; }}
QFrame[role="review-row"] {{ background: {SURFACE}; border-bottom: 2px solid {BORDER}; }}
QLabel[role="review-label"] {{ font-size: 32px; color: {MUTED}; }}
QLabel[role="review-value"] {{ font-size: 40px; font-weight: 700; }}
QLabel[role="guide-mark"] {{
    font-size: 38px; font-weight: 800; color: white; background: #8795a8; border-radius: 36px;
    min-width: 72px; max-width: 72px; min-height: 72px; max-height: 72px;
}}
QLabel[role="guide-mark"][done="true"] {{ background: {GREEN}; }}
QLabel[role="guide-item"] {{ font-size: 44px; font-weight: 600; }}
QLabel[role="guide-item"][done="true"] {{ color: {MUTED}; }}
QLabel[role="stars"] {{ font-size: 36px; }}
QLabel[role="level-text"] {{ font-size: 38px; font-weight: 700; }}
QLabel[role="level-text"][lang="en"] {{ font-size: 30px; }}
"""


def apply_theme(app: QApplication) -> str | None:
    """Set the kiosk font and stylesheet on ``app``; returns the CJK family chosen."""
    family = pick_font_family(QFontDatabase.families())
    font = QFont(family) if family else QFont()
    font.setPixelSize(BODY_PX)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    app.setFont(font)
    app.setStyleSheet(stylesheet(family))
    return family
