"""Tests use the same coturn launcher as the demo (``cloud_seat.coturn``)."""

from cloud_seat.coturn import (
    LOOPBACK_TEMPLATE,
    REALM,
    TurnServer,
    free_port,
    render_loopback_config,
    stun_binding_ok,
    turnserver_binary,
)

__all__ = ["LOOPBACK_TEMPLATE", "REALM", "TurnServer", "free_port", "render_loopback_config",
           "stun_binding_ok", "turnserver_binary"]
