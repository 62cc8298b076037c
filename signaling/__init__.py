"""The Xiaowu hub: WebSocket + REST signaling, identities, queue, calls, store, audit."""

__version__ = "0.1.0"
