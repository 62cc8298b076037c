"""signaling.annotations: shapes, operations, per-surface boards and their limits."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from signaling import annotations as a


def shape(sid: str = "s1", kind: str = "pen", **more: Any) -> a.Shape:
    points = {"pen": [[0.1, 0.1], [0.2, 0.25], [0.3, 0.3]], "arrow": [[0.1, 0.1], [0.5, 0.5]],
              "box": [[0.1, 0.1], [0.4, 0.2]], "text": [[0.5, 0.5]]}[kind]
    data: dict[str, Any] = {"id": sid, "kind": kind, "points": points, **more}
    if kind == "text":
        data.setdefault("text", "点这里")
    return a.Shape.model_validate(data, strict=True)


def add(surface: str, s: a.Shape) -> a.AnnotationOp:
    return a.AnnotationOp(surface=surface, op="add", shape=s)


def op(surface: str, name: str) -> a.AnnotationOp:
    return a.AnnotationOp.model_validate({"surface": surface, "op": name})


# ---------------------------------------------------------------------------
# Shapes


@pytest.mark.parametrize("kind", ["pen", "arrow", "box", "text"])
def test_every_kind_parses(kind: str) -> None:
    s = shape(kind=kind)
    assert s.kind == kind and s.color == "red" and s.width == 4
    assert a.Shape.model_validate_json(s.model_dump_json(), strict=True) == s


def test_coordinates_are_rounded_to_four_decimals() -> None:
    s = a.Shape.model_validate({"id": "p", "kind": "pen",
                                "points": [[0.123456789, 0.99999], [0, 1]]}, strict=True)
    assert s.points == [[0.1235, 1.0], [0.0, 1.0]]


def test_a_box_may_be_a_highlight() -> None:
    assert shape(kind="box", fill=True, color="yellow").fill


@pytest.mark.parametrize(("data", "match"), [
    ({"kind": "arrow", "points": [[0.1, 0.1]]}, "arrow has 2 points"),
    ({"kind": "arrow", "points": [[0.1, 0.1]] * 3}, "arrow has 2 points"),
    ({"kind": "box", "points": [[0.1, 0.1]]}, "box has 2 points"),
    ({"kind": "text", "points": [[0.1, 0.1], [0.2, 0.2]], "text": "x"}, "text has 1 points"),
    ({"kind": "text", "points": [[0.1, 0.1]]}, "text goes with kind text"),
    ({"kind": "pen", "points": [[0.1, 0.1]], "text": "x"}, "text goes with kind text"),
    ({"kind": "text", "points": [[0.1, 0.1]], "text": "长" * 201}, "at most 200"),
    ({"kind": "pen", "points": [[0.1, 0.1]], "fill": True}, "fill applies to a box"),
    ({"kind": "pen", "points": []}, "at least 1"),
    ({"kind": "pen", "points": [[0.5, 0.5]] * 501}, "at most 500"),
    ({"kind": "pen", "points": [[1.01, 0.5]]}, "less than or equal to 1"),
    ({"kind": "pen", "points": [[-0.01, 0.5]]}, "greater than or equal to 0"),
    ({"kind": "pen", "points": [[0.5]]}, "at least 2"),
    ({"kind": "pen", "points": [[0.5, 0.5, 0.5]]}, "at most 2"),
    ({"kind": "pen", "points": [["0.5", 0.5]]}, "valid number"),
    ({"kind": "pen", "points": [[0.1, 0.1]], "color": "pink"}, "color"),
    ({"kind": "pen", "points": [[0.1, 0.1]], "width": 0}, "width"),
    ({"kind": "pen", "points": [[0.1, 0.1]], "width": 25}, "width"),
    ({"kind": "circle", "points": [[0.1, 0.1]]}, "kind"),
    ({"kind": "pen", "points": [[0.1, 0.1]], "id": "a b"}, "id"),
    ({"kind": "pen", "points": [[0.1, 0.1]], "id": "x" * 33}, "id"),
    ({"kind": "pen", "points": [[0.1, 0.1]], "opacity": 1}, "Extra inputs"),
])
def test_bad_shapes_are_refused(data: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        a.Shape.model_validate({"id": "s1", **data}, strict=True)


@pytest.mark.parametrize("surface", ["screen", "document:doc_9c2e5f71b0a34d8e16f2"])
def test_surfaces(surface: str) -> None:
    assert op(surface, "clear").surface == surface


@pytest.mark.parametrize("surface", ["", "Screen", "document:", "document:a/b", "page:1",
                                     "document:" + "x" * 65])
def test_bad_surfaces(surface: str) -> None:
    with pytest.raises(ValidationError):
        op(surface, "clear")


def test_add_needs_a_shape_and_the_others_take_none() -> None:
    with pytest.raises(ValidationError, match="add needs a shape"):
        op("screen", "add")
    with pytest.raises(ValidationError, match="add needs a shape"):
        a.AnnotationOp(surface="screen", op="undo", shape=shape())
    with pytest.raises(ValidationError):
        op("screen", "redo")


# ---------------------------------------------------------------------------
# Boards


def test_add_undo_clear_on_one_surface() -> None:
    b0 = a.AnnotationBoard()
    b1 = b0.apply(add("screen", shape("s1")))
    b2 = b1.apply(add("screen", shape("s2", "arrow")))
    assert [s.id for s in b2.shapes("screen")] == ["s1", "s2"]
    assert b0.shapes("screen") == () and len(b1.shapes("screen")) == 1  # immutable
    b3 = b2.apply(op("screen", "undo"))
    assert [s.id for s in b3.shapes("screen")] == ["s1"]
    assert b3.surfaces["screen"].size == shape("s1").size()
    b4 = b3.apply(op("screen", "clear"))
    assert b4.shapes("screen") == () and "screen" not in b4.surfaces


def test_undo_and_clear_of_nothing_change_nothing() -> None:
    b = a.AnnotationBoard()
    assert b.apply(op("screen", "undo")) is b
    assert b.apply(op("screen", "clear")) == b
    one = b.apply(add("screen", shape()))
    assert one.apply(op("document:d1", "undo")) is one


def test_surfaces_are_independent() -> None:
    doc = "document:doc_1"
    b = a.AnnotationBoard().apply(add("screen", shape("s1"))).apply(add(doc, shape("s1", "box")))
    b = b.apply(op("screen", "clear"))
    assert b.shapes("screen") == ()
    assert [s.kind for s in b.shapes(doc)] == ["box"]
    b = b.apply(op(doc, "undo"))
    assert b.surfaces == {}


def test_a_shape_id_is_unique_on_its_surface() -> None:
    b = a.AnnotationBoard().apply(add("screen", shape("s1")))
    with pytest.raises(a.AnnotationError) as info:
        b.apply(add("screen", shape("s1", "box")))
    assert info.value.code == "conflict"
    # the refused board is unchanged; the same id elsewhere is fine
    assert len(b.shapes("screen")) == 1
    b.apply(add("document:d", shape("s1")))


def test_shape_count_limit() -> None:
    b = a.AnnotationBoard()
    for i in range(a.MAX_SHAPES):
        b = b.apply(add("screen", shape(f"t{i}", "text", text="x")))
    with pytest.raises(a.AnnotationError, match="clear it") as info:
        b.apply(add("screen", shape("one_more", "text", text="x")))
    assert info.value.code == "too_large"
    b = b.apply(op("screen", "undo")).apply(add("screen", shape("one_more", "text", text="x")))
    assert len(b.shapes("screen")) == a.MAX_SHAPES


def test_size_limit_keeps_a_board_within_one_frame() -> None:
    big = [[0.1234 + i * 1e-4, 0.5678] for i in range(a.MAX_POINTS)]
    b = a.AnnotationBoard()
    with pytest.raises(a.AnnotationError, match="too large") as info:
        for i in range(a.MAX_SHAPES):
            b = b.apply(add("screen", a.Shape(id=f"p{i}", kind="pen", points=big)))
    assert info.value.code == "too_large"
    assert 0 < b.surfaces["screen"].size <= a.MAX_BOARD_BYTES
    total = sum(len(s.model_dump_json().encode()) for s in b.shapes("screen"))
    assert b.surfaces["screen"].size == total
    assert total + 200 < 64 * 1024  # the whole board plus the envelope fits a frame


def test_surface_count_limit() -> None:
    b = a.AnnotationBoard()
    for i in range(a.MAX_SURFACES):
        b = b.apply(add(f"document:d{i}", shape()))
    with pytest.raises(a.AnnotationError, match="surfaces") as info:
        b.apply(add("document:more", shape()))
    assert info.value.code == "too_large"
    b.apply(add("document:d0", shape("s2")))  # a surface in use takes more
    b = b.apply(op("document:d0", "clear")).apply(add("document:more", shape()))
    assert len(b.surfaces) == a.MAX_SURFACES


# Both sides applying the same operations hold the same board; a model of it as a
# list of (surface, id) checks every sequence.
ops = st.lists(st.tuples(st.sampled_from(["screen", "document:a", "document:b"]),
                         st.sampled_from(["add", "add", "undo", "clear"]),
                         st.integers(0, 5)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(ops)
def test_board_matches_a_simple_model(sequence: list[tuple[str, str, int]]) -> None:
    board = a.AnnotationBoard()
    model: dict[str, list[str]] = {}
    for surface, name, n in sequence:
        if name == "add":
            sid = f"s{n}"
            try:
                board = board.apply(add(surface, shape(sid)))
            except a.AnnotationError as exc:
                assert exc.code == "conflict" and sid in model.get(surface, [])
                continue
            model.setdefault(surface, []).append(sid)
        elif name == "undo":
            board = board.apply(op(surface, "undo"))
            if model.get(surface):
                model[surface].pop()
        else:
            board = board.apply(op(surface, "clear"))
            model[surface] = []
        for key in ("screen", "document:a", "document:b"):
            assert [s.id for s in board.shapes(key)] == model.get(key, [])
        assert set(board.surfaces) == {k for k, v in model.items() if v}
        for sb in board.surfaces.values():
            assert sb.size == sum(s.size() for s in sb.shapes)
