"""The agent's drawings over a surface (issue 7): shapes, operations and the board that
holds them. Pure: no I/O, no clock. The hub keeps one :class:`AnnotationBoard` per
call and relays each operation to the booth, which applies the same operation to
its own copy, so both sides hold the same shapes.

A surface is what the drawings lie on: ``screen`` (the booth's kiosk screen) or
``document:<document_id>`` (a frozen document image both sides see).
Coordinates are normalized to the surface, 0..1 from its top left corner, and
rounded to 4 decimals (a fifth of a pixel on a 1920-wide screen), so every
party computes the same sizes from the same shapes.

Shapes (:class:`Shape`, by ``kind``): ``pen`` (1–500 points), ``arrow`` (from,
to), ``box`` (two corners; ``fill`` makes it a highlight), ``text`` (one point
and at most 200 characters), each with a colour of :data:`COLORS` and a width.

Operations (:class:`AnnotationOp`) on one surface: ``add`` a shape, ``undo``
(remove the newest shape; nothing to undo is not an error) and ``clear``.
Limits keep every board small enough to send whole in one frame
(``assist.board``): at most :data:`MAX_SHAPES` shapes and :data:`MAX_BOARD_BYTES`
bytes of shapes per surface, and :data:`MAX_SURFACES` surfaces with shapes.

Exception tree::

    AnnotationError(code, message)   -- code: "conflict" or "too_large"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "COLORS",
    "Color",
    "ShapeKind",
    "OpName",
    "Coord",
    "Point",
    "Surface",
    "SURFACE",
    "MAX_POINTS",
    "MAX_SHAPES",
    "MAX_BOARD_BYTES",
    "MAX_SURFACES",
    "MAX_TEXT",
    "Shape",
    "AnnotationOp",
    "check_op",
    "AnnotationError",
    "SurfaceBoard",
    "AnnotationBoard",
]

COLORS: Final = ("red", "yellow", "green", "blue", "white", "black")
Color = Literal["red", "yellow", "green", "blue", "white", "black"]
ShapeKind = Literal["pen", "arrow", "box", "text"]
OpName = Literal["add", "undo", "clear"]

MAX_POINTS: Final = 500
MAX_TEXT: Final = 200
MAX_SHAPES: Final = 200
MAX_BOARD_BYTES: Final = 48 * 1024
MAX_SURFACES: Final = 16
SURFACE: Final = re.compile(r"^(screen|document:[A-Za-z0-9_\-]{1,64})$")


def _round(value: float) -> float:
    return round(value, 4)


Coord = Annotated[float, Field(ge=0, le=1), AfterValidator(_round)]
Point = Annotated[list[Coord], Field(min_length=2, max_length=2)]
Surface = Annotated[str, Field(min_length=6, max_length=73, pattern=SURFACE.pattern)]
ShapeId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]{1,32}$")]

_POINTS: Final[dict[str, tuple[int, int]]] = {
    "pen": (1, MAX_POINTS), "arrow": (2, 2), "box": (2, 2), "text": (1, 1),
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Shape(_Model):
    """One drawing. ``id`` is chosen by the agent's console, unique on its surface."""

    id: ShapeId
    kind: ShapeKind
    color: Color = "red"
    width: Annotated[int, Field(ge=1, le=24)] = 4
    points: Annotated[list[Point], Field(min_length=1, max_length=MAX_POINTS)]
    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)] | None = None
    fill: bool = False

    @model_validator(mode="after")
    def _by_kind(self) -> Shape:
        lo, hi = _POINTS[self.kind]
        if not lo <= len(self.points) <= hi:
            want = str(lo) if lo == hi else f"{lo}..{hi}"
            raise ValueError(f"a {self.kind} has {want} points, not {len(self.points)}")
        if (self.kind == "text") != (self.text is not None):
            raise ValueError("text goes with kind text, and only there")
        if self.fill and self.kind != "box":
            raise ValueError("fill applies to a box only")
        return self

    def size(self) -> int:
        """Bytes of this shape in a frame (compact JSON, UTF-8)."""
        return len(self.model_dump_json().encode("utf-8"))


def check_op(op: str, shape: Shape | None) -> None:
    """``add`` needs a shape; ``undo`` and ``clear`` take none (ValueError otherwise)."""
    if (op == "add") != (shape is not None):
        raise ValueError("add needs a shape; undo and clear take none")


class AnnotationOp(_Model):
    surface: Surface
    op: OpName
    shape: Shape | None = None

    @model_validator(mode="after")
    def _shape_for_add(self) -> AnnotationOp:
        check_op(self.op, self.shape)
        return self


class AnnotationError(Exception):
    """An operation the board refuses; ``code`` is a protocol error code."""

    def __init__(self, code: Literal["conflict", "too_large"], message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SurfaceBoard:
    """The shapes on one surface, oldest first, and their size in bytes."""

    shapes: tuple[Shape, ...] = ()
    size: int = 0

    def apply(self, op: OpName, shape: Shape | None = None) -> SurfaceBoard:
        """The board after ``op``; :class:`AnnotationError` when it is refused."""
        if op == "clear":
            return SurfaceBoard()
        if op == "undo":
            if not self.shapes:
                return self
            return SurfaceBoard(self.shapes[:-1], self.size - self.shapes[-1].size())
        if shape is None:
            raise AnnotationError("conflict", "add needs a shape")
        if any(s.id == shape.id for s in self.shapes):
            raise AnnotationError("conflict", f"a shape {shape.id} is already on this surface")
        if len(self.shapes) >= MAX_SHAPES:
            raise AnnotationError("too_large", f"{MAX_SHAPES} shapes on this surface; clear it")
        size = self.size + shape.size()
        if size > MAX_BOARD_BYTES:
            raise AnnotationError("too_large", "the drawings on this surface are too large; "
                                               "clear it")
        return SurfaceBoard((*self.shapes, shape), size)


@dataclass(frozen=True)
class AnnotationBoard:
    """Every surface's drawings of one call. Immutable: :meth:`apply` returns a new board."""

    surfaces: Mapping[str, SurfaceBoard] = field(default_factory=dict)

    def apply(self, op: AnnotationOp) -> AnnotationBoard:
        """The board after ``op``; :class:`AnnotationError` when it is refused."""
        before = self.surfaces.get(op.surface, SurfaceBoard())
        if op.op == "add" and not before.shapes and len(self.surfaces) >= MAX_SURFACES:
            raise AnnotationError("too_large", f"drawings on {MAX_SURFACES} surfaces; clear "
                                               "one first")
        after = before.apply(op.op, op.shape)
        if after is before:
            return self
        surfaces = dict(self.surfaces)
        if after.shapes:
            surfaces[op.surface] = after
        else:
            surfaces.pop(op.surface, None)
        return AnnotationBoard(surfaces)

    def shapes(self, surface: str) -> tuple[Shape, ...]:
        board = self.surfaces.get(surface)
        return board.shapes if board is not None else ()
