"""The booth's PySide6 kiosk: draws :class:`booth_client.session.BoothView`, sends intents.

``app`` runs it (``xiaowu-booth`` without ``--headless``), ``window`` holds
the screens (``screens``, ``choose``, ``call``, ``rating``), ``video`` shows
frames, ``i18n`` has every string, ``theme`` the look, and ``screenshot``
renders each screen to PNG with sample data.
"""
