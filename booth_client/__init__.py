"""The Xiaowu booth: session engine (no UI), media, camera sources, PySide6 kiosk."""

__version__ = "0.1.0"
