"""signaling.protocol: parse_frame / encode / encode_error, example by example and fuzzed."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signaling import protocol as p
from signaling.protocol_docs import INBOUND_DOCS, OUTBOUND_DOCS

Registry = dict[str, type[p._Data]]

EXAMPLES: list[tuple[str, Registry, str, dict[str, Any]]] = [
    *(("inbound", p.INBOUND, t, d.example.envelope(t)) for t, d in INBOUND_DOCS.items()),
    *(("outbound", p.OUTBOUND, t, d.example.envelope(t)) for t, d in OUTBOUND_DOCS.items()),
]


def reencode(frame: p.Frame) -> str:
    return p.encode(frame.type, frame.data, re=frame.re, id=frame.id)


def assert_round_trips(frame: p.Frame, registry: Registry) -> None:
    again = p.parse_frame(reencode(frame), registry)
    assert again == frame
    assert reencode(again) == reencode(frame)


def refused(raw: str | bytes, registry: Registry | None = None) -> p.ProtocolError:
    with pytest.raises(p.ProtocolError) as info:
        p.parse_frame(raw, registry)
    return info.value


def frame(**env: Any) -> str:
    return json.dumps(env, ensure_ascii=False)


# ---------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize(
    ("registry", "mtype", "env"),
    [pytest.param(r, t, e, id=f"{d}:{t}") for d, r, t, e in EXAMPLES],
)
def test_every_example_round_trips(registry: Registry, mtype: str, env: dict[str, Any]) -> None:
    parsed = p.parse_frame(json.dumps(env, ensure_ascii=False), registry)
    assert parsed.type == mtype
    assert parsed.id == env.get("id")
    assert parsed.re == env.get("re")
    assert isinstance(parsed.data, registry[mtype])
    assert_round_trips(parsed, registry)
    # bytes in, same frame out
    assert p.parse_frame(json.dumps(env).encode(), registry) == parsed


def test_encode_writes_the_envelope_compactly() -> None:
    text = p.encode("ticket.cancel", p.TicketCancel(ticket_id="t1"), id="7")
    assert text == '{"v":1,"type":"ticket.cancel","id":"7","data":{"ticket_id":"t1"}}'
    assert json.loads(p.encode("ok")) == {"v": 1, "type": "ok", "data": {}}
    shown = json.loads(p.encode("agent.state", p.AgentStateEvent(state="away"), re="3"))
    assert shown == {"v": 1, "type": "agent.state", "re": "3",
                     "data": {"state": "away", "reason": None, "wrap_up_s": None}}


def test_encode_keeps_chinese_readable() -> None:
    text = p.encode("rating.submit", p.RatingSubmit(call_id="c", level=5, comment="谢谢"))
    assert "谢谢" in text


def test_data_may_be_omitted_when_nothing_is_required() -> None:
    parsed = p.parse_frame('{"v":1,"type":"ping","id":"9"}')
    assert parsed.data == p.Ping()
    assert parsed.id == "9"
    assert p.parse_frame('{"v":1,"type":"booth.status"}').data == p.BoothStatus()


def test_parse_data_checks_the_model() -> None:
    parsed = p.parse_frame('{"v":1,"type":"ticket.cancel","data":{"ticket_id":"t1"}}')
    assert p.parse_data(parsed, p.TicketCancel).ticket_id == "t1"
    with pytest.raises(TypeError):
        p.parse_data(parsed, p.TicketCreate)


def test_registry_decides_the_direction() -> None:
    welcome = frame(v=1, type="welcome", data={})
    assert refused(welcome).code is p.ErrorCode.UNKNOWN_TYPE
    hello = frame(v=1, type="hello", data={"token": "t", "client": "c/1"})
    assert refused(hello, p.OUTBOUND).code is p.ErrorCode.UNKNOWN_TYPE


# ---------------------------------------------------------------------------
# Every error path of parse_frame


def test_too_large_counts_utf8_bytes() -> None:
    head = '{"v":1,"type":"ping","id":"1","data":{}}'
    at_limit = head + " " * (p.MAX_FRAME_BYTES - len(head))
    assert p.parse_frame(at_limit).id == "1"
    assert p.parse_frame(at_limit.encode()).id == "1"
    err = refused(at_limit + " ")
    assert err.code is p.ErrorCode.TOO_LARGE
    assert err.re is None
    assert refused((at_limit + " ").encode()).code is p.ErrorCode.TOO_LARGE
    # 22 000 characters, but 66 000 bytes of UTF-8
    wide = frame(v=1, type="ticket.cancel", id="2", data={"ticket_id": "号" * 22_000})
    assert len(wide) < p.MAX_FRAME_BYTES < len(wide.encode())
    assert refused(wide).code is p.ErrorCode.TOO_LARGE


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "{",
        '{"v":1,"type":"ping",}',
        "{'v': 1}",
        b"\xff\xfe\xfa",
        b'{"v":1,"type":"ping","id":"\xe4\xb8"}',  # truncated UTF-8
        '{"v":1,"type":"ping","id":NaN}',
        '{"v":1,"type":"pong","data":{"server_time":Infinity}}',
        '{"v":1,"type":"ping","id":"\\ud800"}',  # lone surrogate escape
        '{"v":1,"type":"booth.status","data":{"details":{"\\udc00":"x"}}}',
        '{"v":1,"type":"ping","id":"\ud800"}',  # lone surrogate in the str itself
        "[" * 5000 + "]" * 5000,
        '{"v":1,"type":"ticket","data":{"position":' + "9" * 5000 + "}}",
    ],
)
def test_bad_json(raw: str | bytes) -> None:
    err = refused(raw)
    assert err.code is p.ErrorCode.BAD_JSON
    assert err.re is None


def test_surrogate_pairs_are_fine() -> None:
    parsed = p.parse_frame('{"v":1,"type":"ping","id":"\\ud83d\\ude00"}')
    assert parsed.id == "😀"


@pytest.mark.parametrize("raw", ["[]", "[1,2]", "1", '"hello"', "null", "true", "3.5"])
def test_frame_must_be_an_object(raw: str) -> None:
    err = refused(raw)
    assert err.code is p.ErrorCode.BAD_MESSAGE
    assert err.re is None


@pytest.mark.parametrize("bad_id", [5, True, "", "x" * 65, [], {"a": 1}, 1.5])
def test_bad_id_has_no_re(bad_id: Any) -> None:
    err = refused(frame(v=1, type="ping", id=bad_id))
    assert err.code is p.ErrorCode.BAD_MESSAGE
    assert err.re is None


def test_id_of_64_chars_is_fine() -> None:
    assert p.parse_frame(frame(v=1, type="ping", id="x" * 64)).id == "x" * 64


@pytest.mark.parametrize("bad_re", [5, False, [], {"id": "1"}])
def test_bad_re(bad_re: Any) -> None:
    err = refused(frame(v=1, type="ping", id="4", re=bad_re))
    assert (err.code, err.re) == (p.ErrorCode.BAD_MESSAGE, "4")


@pytest.mark.parametrize("version", [2, 0, -1, True, False, "1", None, 1.5, [1], {"v": 1}])
def test_unsupported_version(version: Any) -> None:
    err = refused(frame(v=version, type="ping", id="5"))
    assert (err.code, err.re) == (p.ErrorCode.UNSUPPORTED_VERSION, "5")


def test_missing_version() -> None:
    err = refused(frame(type="ping", id="6"))
    assert (err.code, err.re) == (p.ErrorCode.UNSUPPORTED_VERSION, "6")
    assert refused(frame(type="ping")).re is None


@pytest.mark.parametrize("mtype", ["nope", "", "Hello", "ticket.create ", "welcome", "error"])
def test_unknown_type(mtype: str) -> None:
    err = refused(frame(v=1, type=mtype, id="7"))
    assert (err.code, err.re) == (p.ErrorCode.UNKNOWN_TYPE, "7")


@pytest.mark.parametrize("mtype", [None, 1, ["ping"], {"name": "ping"}])
def test_type_must_be_a_string(mtype: Any) -> None:
    err = refused(frame(v=1, type=mtype, id="8"))
    assert (err.code, err.re) == (p.ErrorCode.BAD_MESSAGE, "8")


def test_missing_type() -> None:
    err = refused(frame(v=1, id="8"))
    assert (err.code, err.re) == (p.ErrorCode.BAD_MESSAGE, "8")


def test_unknown_type_message_is_bounded() -> None:
    err = refused(frame(v=1, type="x" * 10_000, id="8"))
    assert err.code is p.ErrorCode.UNKNOWN_TYPE
    assert len(err.message) < 200


@pytest.mark.parametrize("extra", [{"ts": 1}, {"Data": {}}, {"version": 1}, {"id2": "x"}])
def test_extra_envelope_fields(extra: dict[str, Any]) -> None:
    err = refused(frame(v=1, type="ping", id="9", **extra))
    assert (err.code, err.re) == (p.ErrorCode.BAD_MESSAGE, "9")


@pytest.mark.parametrize("data", [[], "x", None, 1, True, [{"service_id": "s"}]])
def test_data_must_be_an_object(data: Any) -> None:
    err = refused(frame(v=1, type="ticket.create", id="10", data=data))
    assert (err.code, err.re) == (p.ErrorCode.BAD_MESSAGE, "10")


@pytest.mark.parametrize(
    ("mtype", "data", "field"),
    [
        ("rating.submit", {"call_id": "c", "level": 6}, "level"),
        ("rating.submit", {"call_id": "c", "level": 0}, "level"),
        ("rating.submit", {"call_id": "c"}, "level"),
        ("rating.submit", {"call_id": "c", "level": 5, "stars": 5}, "stars"),
        ("rating.submit", {"call_id": "c", "level": 5.5}, "level"),
        ("rating.submit", {"call_id": "c", "level": 3, "reasons": ["x"] * 21}, "reasons"),
        ("rating.submit", {"call_id": "c", "level": 3, "comment": "长" * 501}, "comment"),
        ("ticket.create", {}, "service_id"),
        ("ticket.create", {"service_id": ""}, "service_id"),
        ("ticket.create", {"service_id": "s", "priority": "vip"}, "priority"),
        ("ticket.create", {"service_id": 42}, "service_id"),
        ("hello", {"token": "t"}, "client"),
        ("hello", {"token": "", "client": "c/1"}, "token"),
        ("call.sdp", {"call_id": "c", "gen": -1, "description": {"type": "offer", "sdp": ""}},
         "gen"),
        ("call.sdp", {"call_id": "c", "gen": 0, "description": {"type": "x", "sdp": ""}},
         "description.type"),
        ("call.ice", {"call_id": "c", "gen": 0}, "candidate"),
        ("call.ice", {"call_id": "c", "gen": 0, "candidate": {"candidate": "a",
                                                               "sdpMLineIndex": 65}},
         "candidate.sdpMLineIndex"),
        ("booth.status", {"details": {str(i): "x" for i in range(33)}}, "details"),
        ("booth.status", {"camera": "on"}, "camera"),
        ("agent.state", {"state": "in_call"}, "state"),
    ],
)
def test_schema_violations(mtype: str, data: dict[str, Any], field: str) -> None:
    err = refused(frame(v=1, type=mtype, id="11", data=data))
    assert (err.code, err.re) == (p.ErrorCode.BAD_MESSAGE, "11")
    assert field in err.message


def test_schema_violation_of_an_event_has_no_re() -> None:
    err = refused(frame(v=1, type="call.ice", data={"call_id": "c"}))
    assert (err.code, err.re) == (p.ErrorCode.BAD_MESSAGE, None)


def test_outbound_floats_must_be_finite() -> None:
    err = refused('{"v":1,"type":"pong","data":{"server_time":1e400}}', p.OUTBOUND)
    assert err.code is p.ErrorCode.BAD_MESSAGE


def test_protocol_error_carries_code_message_re() -> None:
    err = p.ProtocolError(p.ErrorCode.CONFLICT, "stale gen 1; current is 2", "12")
    assert (err.code, err.message, err.re) == (p.ErrorCode.CONFLICT, "stale gen 1; current is 2",
                                               "12")
    assert str(err) == "conflict: stale gen 1; current is 2"


# ---------------------------------------------------------------------------
# encode_error


@pytest.mark.parametrize("code", list(p.ErrorCode))
def test_encode_error_shape(code: p.ErrorCode) -> None:
    text = p.encode_error(code, "出错了: something failed", "13")
    assert json.loads(text) == {
        "v": 1,
        "type": "error",
        "re": "13",
        "data": {"code": code.value, "message": "出错了: something failed"},
    }
    parsed = p.parse_frame(text, p.OUTBOUND)
    assert parsed.re == "13"
    assert p.parse_data(parsed, p.Error) == p.Error(code=code, message="出错了: something failed")


def test_encode_error_always_has_re() -> None:
    env = json.loads(p.encode_error(p.ErrorCode.BAD_JSON, "not valid JSON", None))
    assert "re" in env
    assert env["re"] is None
    assert p.parse_frame(p.encode_error(p.ErrorCode.BAD_JSON, "x", None), p.OUTBOUND).re is None


def test_encode_error_truncates_the_message() -> None:
    text = p.encode_error(p.ErrorCode.INTERNAL, "x" * 2000, None)
    assert len(json.loads(text)["data"]["message"]) == 500
    p.parse_frame(text, p.OUTBOUND)


def test_every_protocol_error_encodes_to_a_valid_error_frame() -> None:
    for raw in ["{", "[]", frame(v=2, type="ping", id="1"), frame(v=1, type="zzz", id="2"),
                frame(v=1, type="rating.submit", id="3", data={"level": 9})]:
        err = refused(raw)
        parsed = p.parse_frame(p.encode_error(err.code, err.message, err.re), p.OUTBOUND)
        assert p.parse_data(parsed, p.Error).code is err.code


# ---------------------------------------------------------------------------
# Fuzz: parse_frame returns a Frame or raises ProtocolError, never anything else,
# and whatever parses re-encodes to an equal Frame.

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any str, lone surrogates included (they reach Python through "\ud800" escapes).
any_text = st.text(st.characters() | st.characters(categories=["Cs"]), max_size=40)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included: json.dumps writes them, the parser must refuse
    | any_text
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(any_text, children, max_size=5),
    max_leaves=25,
)
registries = st.sampled_from([p.INBOUND, p.OUTBOUND])


def check(raw: str | bytes, registry: Registry) -> None:
    try:
        parsed = p.parse_frame(raw, registry)
    except p.ProtocolError as exc:
        assert isinstance(exc.code, p.ErrorCode)
        assert exc.re is None or isinstance(exc.re, str)
        # the error itself must always be sendable
        p.parse_frame(p.encode_error(exc.code, exc.message, exc.re), p.OUTBOUND)
        return
    assert parsed.type in registry
    assert isinstance(parsed.data, registry[parsed.type])
    assert_round_trips(parsed, registry)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@FUZZ
@given(value=json_values, registry=registries)
def test_fuzz_arbitrary_json(value: Any, registry: Registry) -> None:
    check(dumps(value), registry)
    check(json.dumps(value), registry)  # ASCII escapes: "\ud800" becomes a lone surrogate


def _mutated_example(draw: st.DrawFn, registry: Registry) -> tuple[str, dict[str, Any]]:
    """An example's data with a field dropped, replaced or added: near the valid region."""
    table = INBOUND_DOCS if registry is p.INBOUND else OUTBOUND_DOCS
    mtype = draw(st.sampled_from(sorted(table)))
    data = dict(table[mtype].example.data)
    action = draw(st.sampled_from(["keep", "drop", "replace", "add"]))
    if action == "drop" and data:
        data.pop(draw(st.sampled_from(sorted(data))))
    elif action == "replace" and data:
        data[draw(st.sampled_from(sorted(data)))] = draw(json_values)
    elif action == "add":
        data[draw(any_text)] = draw(json_values)
    return mtype, data


@st.composite
def envelopes(draw: st.DrawFn, registry: Registry) -> dict[str, Any]:
    if draw(st.booleans()):
        mtype, data = _mutated_example(draw, registry)
        env: dict[str, Any] = {"type": mtype, "data": data}
    else:
        names = sorted(p.INBOUND) + sorted(p.OUTBOUND)
        env = {"type": draw(st.sampled_from(names) | any_text | json_values)}
        if draw(st.booleans()):
            env["data"] = draw(st.dictionaries(any_text, json_values, max_size=6) | json_values)
    if draw(st.integers(0, 9)):
        env["v"] = 1
    else:
        env["v"] = draw(st.sampled_from([2, 0, True, "1", None, 1.0, -1]) | json_values)
    if draw(st.booleans()):
        env["id"] = draw(st.text(min_size=1, max_size=64) | json_values)
    if draw(st.integers(0, 4)) == 0:
        env["re"] = draw(any_text | json_values)
    if draw(st.integers(0, 9)) == 0:
        env[draw(any_text)] = draw(json_values)
    keys = draw(st.permutations(list(env)))
    return {k: env[k] for k in keys}


@FUZZ
@given(data=st.data(), registry=registries)
def test_fuzz_arbitrary_envelopes(data: st.DataObject, registry: Registry) -> None:
    env = data.draw(envelopes(registry))
    check(dumps(env), registry)
    check(json.dumps(env), registry)


@FUZZ
@given(raw=st.binary(max_size=200), registry=registries)
def test_fuzz_arbitrary_bytes(raw: bytes, registry: Registry) -> None:
    check(raw, registry)


@FUZZ
@given(raw=any_text, registry=registries)
def test_fuzz_arbitrary_text(raw: str, registry: Registry) -> None:
    check(raw, registry)


@FUZZ
@given(
    prefix=st.sampled_from(['{"v":1,"type":"ping","id":', '{"v":1,"type":"', '{"v":1,"data":{']),
    tail=any_text,
    registry=registries,
)
def test_fuzz_truncated_and_garbled_frames(prefix: str, tail: str, registry: Registry) -> None:
    check(prefix + tail, registry)
    check((prefix + tail).encode("utf-8", "surrogatepass"), registry)


@FUZZ
@given(value=st.floats(), registry=registries)
def test_fuzz_server_time(value: float, registry: Registry) -> None:
    raw = json.dumps({"v": 1, "type": "pong", "data": {"server_time": value}})
    check(raw, registry)
    if registry is p.OUTBOUND and math.isfinite(value):
        assert p.parse_frame(raw, registry).data == p.Pong(server_time=value)
