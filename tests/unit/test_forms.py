"""signaling.forms: form definitions, submission and progress validation, masking."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from signaling import forms as f
from signaling.store.audit import canonical_json

ID = "11010519491231002X"  # the check digit of this well-known example is X


def _id_with_check(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def _field(fid: str, ftype: str, **more: Any) -> dict[str, Any]:
    return {"id": fid, "type": ftype, "label": {"zh": fid}, **more}


def definition(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"title": {"zh": "测试表"}, "fields": list(fields),
            "signature": {"statement": {"zh": "以上信息已经本人核对无误。"}}}


FULL = definition(
    _field("name", "text", required=True, readonly=True, value="李秀英", max_length=20),
    _field("id_number", "id_number", required=True, sensitive=True),
    _field("phone", "phone", required=True, sensitive=True),
    _field("household", "number", required=True, min_value=1, max_value=20, integer=True),
    _field("income", "number", min_value=0),
    _field("born", "date"),
    _field("housing", "choice", required=True,
           options=[{"value": "none", "label": {"zh": "无房"}},
                    {"value": "small", "label": {"zh": "住房困难"}}]),
    _field("needs", "multi_choice", min_length=1, max_length=2,
           options=[{"value": "a", "label": {"zh": "甲"}}, {"value": "b", "label": {"zh": "乙"}},
                    {"value": "c", "label": {"zh": "丙"}}]),
    _field("address", "text", min_length=4, max_length=30),
    _field("note", "textarea"),
    _field("agree", "checkbox", required=True),
    _field("newsletter", "checkbox"),
)

GOOD: dict[str, Any] = {
    "id_number": ID.lower(), "phone": "+86 138-1234-5678", "household": 3,
    "housing": "none", "needs": ["b", "a"], "address": "  石门镇新村村12号 ",
    "note": "第一行\n第二行", "agree": True, "born": "1949-12-31", "income": 1234.5,
}


@pytest.fixture
def form() -> f.FormDefinition:
    return f.parse_definition(FULL)


def refused(form: f.FormDefinition, values: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(f.SubmissionInvalid) as info:
        f.validate_submission(form, values)
    return {k: v.code for k, v in info.value.errors.items()}


# ---------------------------------------------------------------------------
# Definitions


def test_a_full_definition_parses(form: f.FormDefinition) -> None:
    assert [x.type for x in form.fields][:4] == ["text", "id_number", "phone", "number"]
    assert form.field("name") is not None and form.field("nope") is None
    assert form.signature.label.zh == "签名"  # the default signature section
    assert set(f.FIELD_TYPES) == {x.type for x in form.fields}  # every type is covered


def test_the_definition_round_trips_through_json(form: f.FormDefinition) -> None:
    again = f.parse_definition(json.loads(form.model_dump_json()))
    assert again == form


@pytest.mark.parametrize(("change", "match"), [
    (lambda d: d["fields"].append(copy.deepcopy(d["fields"][0])), "unique"),
    (lambda d: d.pop("signature"), "signature"),
    (lambda d: d.update(fields=[]), "fields"),
    (lambda d: d["fields"][6].pop("options"), "needs options"),
    (lambda d: d["fields"][6]["options"].append({"value": "none", "label": {"zh": "x"}}),
     "unique"),
    (lambda d: d["fields"][2].update(options=[{"value": "a", "label": {"zh": "a"}}]),
     "choice fields only"),
    (lambda d: d["fields"][0].pop("value"), "readonly field needs"),
    (lambda d: d["fields"][0].update(value="x" * 21), "value"),
    (lambda d: d["fields"][1].update(value="110105194912310021"), "value"),
    (lambda d: d["fields"][3].update(min_value=30), "min_value is above"),
    (lambda d: d["fields"][3].update(max_length=3), "min/max_length"),
    (lambda d: d["fields"][1].update(integer=True), "number fields only"),
    (lambda d: d["fields"][8].update(max_length=501), "at most 500"),
    (lambda d: d["fields"][8].update(min_length=31), "min_length is above"),
    (lambda d: d["fields"][7].update(max_length=4), "more than the options"),
    (lambda d: d["fields"][0].update(id="Bad-Id"), "pattern"),
    (lambda d: d["fields"][0].update(type="signature"), "type"),
    (lambda d: d["fields"][0].update(colour="red"), "Extra inputs"),
    (lambda d: d["fields"][9].update(required="yes"), "required"),
    (lambda d: d["title"].update(zh=""), "title"),
    (lambda d: d.update(fields=[_field(f"t{i}", "textarea", max_length=2000)
                                for i in range(6)]), "characters"),
    (lambda d: d.update(fields=[_field(f"t{i}", "text") for i in range(51)]), "fields"),
])
def test_bad_definitions_are_refused(change: Any, match: str) -> None:
    bad = copy.deepcopy(FULL)
    change(bad)
    with pytest.raises(f.DefinitionInvalid, match=match):
        f.parse_definition(bad)


def test_a_bad_definition_is_a_validation_error_of_the_model() -> None:
    with pytest.raises(ValidationError):
        f.FormDefinition.model_validate(definition(_field("x", "choice")))


# ---------------------------------------------------------------------------
# Submissions


def test_a_good_submission_is_normalized(form: f.FormDefinition) -> None:
    out = f.validate_submission(form, GOOD)
    assert out["id_number"] == ID  # upper-case X
    assert out["phone"] == "13812345678"
    assert out["name"] == "李秀英"  # the agent's readonly value fills in
    assert out["needs"] == ["a", "b"]  # in option order
    assert out["address"] == "石门镇新村村12号"  # trimmed
    assert out["newsletter"] is False and out["agree"] is True
    assert out["household"] == 3 and out["income"] == 1234.5
    assert set(out) == {x.id for x in form.fields}


def test_required_fields(form: f.FormDefinition) -> None:
    errors = refused(form, {})
    assert errors == {"id_number": "required", "phone": "required", "household": "required",
                      "housing": "required", "agree": "required"}
    assert refused(form, {**GOOD, "phone": "   "}) == {"phone": "required"}
    assert refused(form, {**GOOD, "agree": False}) == {"agree": "required"}
    assert refused(form, {**GOOD, "housing": None}) == {"housing": "required"}


def test_optional_fields_may_be_empty(form: f.FormDefinition) -> None:
    out = f.validate_submission(form, {**GOOD, "needs": [], "address": "", "born": None})
    assert out["needs"] is None and out["address"] is None and out["born"] is None


@pytest.mark.parametrize(("field", "value", "code"), [
    ("household", "3", "type"),
    ("household", True, "type"),
    ("household", 2.5, "integer"),
    ("household", 21, "range"),
    ("household", 0, "range"),
    ("income", -1, "range"),
    ("income", 1e16, "range"),
    ("agree", "true", "type"),
    ("agree", 1, "type"),
    ("housing", "castle", "choice"),
    ("housing", 1, "type"),
    ("needs", ["a", "a"], "choice"),
    ("needs", ["z"], "choice"),
    ("needs", ["a", "b", "c"], "too_long"),
    ("needs", "a", "type"),
    ("needs", [1], "type"),
    ("address", "短", "too_short"),
    ("address", "长" * 31, "too_long"),
    ("note", "x" * 1001, "too_long"),
    ("address", "石门镇\x00新村", "control_char"),
    ("address", "石门镇\n新村村", "control_char"),
    ("born", "1949-02-30", "date"),
    ("born", "1949/12/31", "date"),
    ("born", "49-12-31", "date"),
    ("born", 19491231, "type"),
    ("phone", "12812345678", "phone"),
    ("phone", "1381234567", "phone"),
    ("phone", "138123456789", "phone"),
    ("phone", "010-12345678", "phone"),
    ("id_number", "110105194912310021", "id_number"),  # wrong check digit
    ("id_number", "11010519491331002X", "id_number"),  # month 13
    ("id_number", "11010518000101002X", "id_number"),  # before 1900
    ("id_number", "11010519491231002", "id_number"),  # 17 characters
    ("id_number", "1101051949123100211", "too_long"),
    ("id_number", "01010519491231002X", "id_number"),  # no region starts with 0
    ("id_number", 110105194912310021, "type"),
])
def test_values_are_checked_by_type(form: f.FormDefinition, field: str, value: Any,
                                    code: str) -> None:
    assert refused(form, {**GOOD, field: value}) == {field: code}


def test_textarea_keeps_newlines_and_text_does_not(form: f.FormDefinition) -> None:
    assert f.validate_submission(form, GOOD)["note"] == "第一行\n第二行"


def test_readonly_fields_cannot_be_changed(form: f.FormDefinition) -> None:
    assert refused(form, {**GOOD, "name": "王小明"}) == {"name": "readonly"}
    assert f.validate_submission(form, {**GOOD, "name": "李秀英"})["name"] == "李秀英"
    assert f.validate_submission(form, {**GOOD, "name": " 李秀英 "})["name"] == "李秀英"


def test_unknown_fields_are_refused(form: f.FormDefinition) -> None:
    assert refused(form, {**GOOD, "salary": 100}) == {"salary": "unknown"}


def test_every_field_at_fault_is_named(form: f.FormDefinition) -> None:
    errors = refused(form, {**GOOD, "phone": "123", "born": "x", "zzz": 1, "agree": None})
    assert errors == {"phone": "phone", "born": "date", "zzz": "unknown", "agree": "required"}
    with pytest.raises(f.SubmissionInvalid) as info:
        f.validate_submission(form, {**GOOD, "phone": "123"})
    assert info.value.errors["phone"].to_json() == {
        "code": "phone", "message": "not a mainland China mobile number"}


def test_id_number_checksum() -> None:
    assert f.id_number_ok(ID)
    assert f.id_number_ok(_id_with_check("33011019850715123"))
    for digit in "0123456789X":
        candidate = "33011019850715123" + digit
        assert f.id_number_ok(candidate) == (candidate == _id_with_check("33011019850715123"))


@given(st.from_regex(r"[1-8][0-9]{5}(19[0-9]{2}|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])"
                     r"[0-9]{3}", fullmatch=True))
def test_every_real_birth_date_with_its_check_digit_passes(first17: str) -> None:
    good = _id_with_check(first17)
    assert f.id_number_ok(good)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    assert not f.id_number_ok(bad)


def test_phone_numbers() -> None:
    assert f.phone_ok("13812345678") and f.phone_ok("19912345678")
    assert not f.phone_ok("11812345678") and not f.phone_ok("1381234567a")


# ---------------------------------------------------------------------------
# Progress and masking


def test_progress_allows_half_typed_values(form: f.FormDefinition) -> None:
    values = {"id_number": "1101", "phone": "138", "born": "1949-1", "household": 99,
              "needs": []}
    assert f.check_progress(form, values) == values


@pytest.mark.parametrize(("values", "code"), [
    ({"salary": 1}, "unknown"),
    ({"household": "3"}, "type"),
    ({"id_number": "1" * 19}, "too_long"),
    ({"address": "长" * 31}, "too_long"),
    ({"needs": ["z"]}, "choice"),
    ({"name": "王小明"}, "readonly"),
    ({"agree": "yes"}, "type"),
])
def test_progress_refuses_wrong_shapes(form: f.FormDefinition, values: dict[str, Any],
                                       code: str) -> None:
    with pytest.raises(f.SubmissionInvalid) as info:
        f.check_progress(form, values)
    assert [e.code for e in info.value.errors.values()] == [code]


def test_sensitive_values_are_masked(form: f.FormDefinition) -> None:
    shown, masked = f.mask_values(form, {"id_number": ID, "phone": "138", "household": 3,
                                         "name": "李秀英"})
    assert shown == {"id_number": "••••002X", "phone": "••••", "household": 3,
                     "name": "李秀英"}
    assert masked == ["id_number", "phone"]
    shown, masked = f.mask_values(form, {"phone": "", "id_number": None})
    assert shown == {"phone": "", "id_number": None} and masked == []


def test_masking_hides_non_text_values() -> None:
    form = f.parse_definition(definition(_field("n", "number", sensitive=True),
                                         _field("c", "checkbox", sensitive=True)))
    assert f.mask_values(form, {"n": 42, "c": True}) == ({"n": "••••", "c": "••••"},
                                                         ["n", "c"])


# ---------------------------------------------------------------------------
# Signature and the submission document


def _sig(strokes: Any) -> dict[str, Any]:
    return {"strokes": strokes, "png": "iVBORw0KGgo="}


def test_signature_strokes_are_normalized() -> None:
    sig = f.Signature.model_validate(_sig([[[0.123456, 0.5, 0], [0.2, 0.6, 16.0]],
                                           [[1, 0, 400]]]), strict=True)
    assert sig.strokes == [[[0.1235, 0.5, 0], [0.2, 0.6, 16]], [[1.0, 0.0, 400]]]
    assert all(isinstance(p[2], int) for s in sig.strokes for p in s)


@pytest.mark.parametrize(("strokes", "match"), [
    ([], "at least 1"),
    ([[[0.1, 0.1, 0]]], "at least two points"),
    ([[]], "at least 1"),
    ([[[0.1, 0.1, 0], [1.2, 0.1, 5]]], "0..1"),
    ([[[0.1, 0.1, 10], [0.2, 0.1, 5]]], "never going back"),
    ([[[0.1, 0.1, 0], [0.2, 0.1, 5.5]]], "whole milliseconds"),
    ([[[0.1, 0.1, 0], [0.2, 0.1, 700_000]]], "0..600000"),
    ([[[0.1, 0.1]], [[0.2, 0.2, 1]]], "at least 3"),
    ([[[0.1, 0.1, True], [0.2, 0.2, 1]]], "valid"),
    ([[[0.1, 0.1, 0]]] * 101, "at most 100"),
    ([[[0.5, 0.5, 0]] * 2001], "at most 2000"),
    ([[[0.5, 0.5, 0]] * 2000] * 11, "20000"),
])
def test_bad_signatures_are_refused(strokes: Any, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        f.Signature.model_validate(_sig(strokes), strict=True)


def test_submission_document_hash_is_reproducible(form: f.FormDefinition) -> None:
    values = f.validate_submission(form, GOOD)
    args: dict[str, Any] = dict(form_id="frm_1", call_id="call_1", booth_id="bth_1",
                                form=form, values=values, strokes=[[[0.1, 0.2, 0]]],
                                signature_sha256="a" * 64,
                                submitted_at="2026-01-01T00:00:00.000000+00:00")
    one = hashlib.sha256(canonical_json(f.submission_document(**args)).encode()).hexdigest()
    again = f.submission_document(**{**args, "form": f.parse_definition(
        json.loads(form.model_dump_json()))})
    assert hashlib.sha256(canonical_json(again).encode()).hexdigest() == one
    changed = f.submission_document(**{**args, "values": {**values, "household": 4}})
    assert hashlib.sha256(canonical_json(changed).encode()).hexdigest() != one
