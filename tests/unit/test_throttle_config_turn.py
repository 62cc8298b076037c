from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest

from signaling.config import ConfigError, load_settings
from signaling.throttle import LoginThrottle, TokenBucket
from signaling.turn import ice_servers, turn_credential


def test_token_bucket_burst_then_rate() -> None:
    b = TokenBucket(rate=2.0, burst=3)
    assert [b.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert b.take(0.4) is False
    assert b.take(0.5) is True  # 0.5 s at 2/s refilled one token


def test_login_throttle_locks_after_failures_and_unlocks_later() -> None:
    t = LoginThrottle(max_failures=3, window_s=60, lockout_s=100)
    for i in range(2):
        t.failed("u", float(i))
    assert t.retry_after("u", 2.0) == 0.0
    t.failed("u", 2.0)
    assert t.retry_after("u", 3.0) == pytest.approx(99.0)
    assert t.retry_after("u", 102.0) == 0.0
    t.failed("v", 0.0)
    t.failed("v", 100.0)  # outside the window: the first failure no longer counts
    t.failed("v", 101.0)
    assert t.retry_after("v", 101.0) == 0.0


def test_settings_precedence_flags_over_env_over_file(tmp_path: Path) -> None:
    cfg = tmp_path / "hub.toml"
    cfg.write_text('port = 9001\nhost = "127.0.0.2"\nturn_secret = "f"\n'
                   'turn_urls = ["turn:a"]\n', encoding="utf-8")
    env = {"XIAOWU_PORT": "9002", "XIAOWU_OFFER_TIMEOUT_S": "5"}
    s = load_settings({"port": 9003, "host": None}, cfg, env)
    assert (s.port, s.host, s.offer_timeout_s, s.turn_urls) == (9003, "127.0.0.2", 5.0,
                                                                ("turn:a",))
    assert load_settings({}, cfg, env).port == 9002
    assert load_settings({}, None, {"XIAOWU_TURN_URLS": "turn:x, turn:y",
                                    "XIAOWU_TURN_SECRET": "s"}).turn_urls == ("turn:x", "turn:y")


@pytest.mark.parametrize("text,needle", [
    ("port = 'abc'", "invalid value"),
    ("nonsense = 1", "unknown settings"),
    ("port = [", "not valid TOML"),
    ("turn_urls = ['turn:a']", "turn_secret"),
])
def test_bad_config_files_are_clear_errors(tmp_path: Path, text: str, needle: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=needle):
        load_settings({}, cfg, {})


def test_turn_credentials_match_coturn_rest_scheme() -> None:
    cred = turn_credential("s3cret", "booth-b1", now=1000.0, ttl_s=600)
    assert cred.username == "1600:booth-b1" and cred.expires_at == 1600
    mac = hmac.new(b"s3cret", b"1600:booth-b1", hashlib.sha1).digest()
    assert cred.credential == base64.b64encode(mac).decode()
    with pytest.raises(ValueError):
        turn_credential("s", "a:b", 0, 1)
    assert ice_servers((), (), None, "x", 0, 1) == []
    servers = ice_servers(("turn:127.0.0.1:3478",), ("stun:127.0.0.1:3478",), "s", "x", 0, 60)
    assert servers[0] == {"urls": ["stun:127.0.0.1:3478"]}
    assert servers[1]["username"] == "60:x"
