"""``xiaowu-facecheck``: compare an ID image with live images, for operators.

::

    xiaowu-facecheck compare ID_IMAGE LIVE_IMAGE [LIVE_IMAGE ...]
        [--json] [--match-max F] [--mismatch-min F] [--chip]

Runs the same check as the hub (:func:`~.check.run_check`: gates, distance,
band) on still images, in this process. Every live image that passes the gates
is encoded, so the operator sees each one's distance when trying thresholds.
Liveness is not judged: it needs the booth's prompted frame series, which single
images are not; the output says so. Options may come before or after
``compare`` (DESIGN.md §4). ``--json`` prints one JSON object (``band``,
``distance``, ...; the keys of ``CheckResult.to_json`` plus ``images`` and
``note``).

Exit status: 0 with a result (whatever the band), 2 for bad input (a missing or
unreadable file, not an image, no single face on the ID image, bad thresholds),
1 when the model itself failed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from cloud_seat.face_check.check import CheckRequest, CheckResult, LiveFrame, run_check
from cloud_seat.face_check.errors import FaceCheckError
from cloud_seat.face_check.gates import GateResult
from cloud_seat.face_check.matcher import Thresholds

__all__ = ["main"]

NOTE = ("liveness not checked: single images cannot show a live person; "
        "the booth's face check judges liveness on its prompted frame series")
_INPUT_ERRORS = frozenset({"bad_request", "bad_image", "id_no_face", "id_many_faces",
                           "id_portrait"})
_F = TypeVar("_F", bound=Callable[..., Any])
_DEFAULTS = Thresholds()


def _shared(func: _F) -> _F:
    """The options accepted both before and after the subcommand."""
    func = click.option("--chip", is_flag=True, default=None,
                        help="ID_IMAGE is the card chip's photo (102x126), not a card scan.")(func)
    func = click.option("--mismatch-min", type=float, default=None,
                        help=f"Distance above which the band is mismatch "
                             f"[default: {_DEFAULTS.mismatch_min}].")(func)
    func = click.option("--match-max", type=float, default=None,
                        help=f"Distance at or under which the band is match "
                             f"[default: {_DEFAULTS.match_max}].")(func)
    func = click.option("--json", "as_json", is_flag=True, default=None,
                        help="Print one JSON object.")(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@_shared
@click.pass_context
def main(ctx: click.Context, as_json: bool | None, match_max: float | None,
         mismatch_min: float | None, chip: bool | None) -> None:
    """Xiaowu face check (人脸核身) tools for operators."""
    ctx.obj = {"as_json": as_json, "match_max": match_max, "mismatch_min": mismatch_min,
               "chip": chip}


def _pick(ctx: click.Context, name: str, value: Any, default: Any) -> Any:
    if value is not None:
        return value
    outer = (ctx.obj or {}).get(name)
    return default if outer is None else outer


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise click.UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc


def _fmt_gate(g: GateResult) -> str:
    value = "-" if g.value is None else f"{g.value:.1f}"
    state = "ok" if g.passed else f"FAILED ({g.hint})" if g.hint else "FAILED"
    return f"  {g.name:<10} {value:>7}  limit {g.limit:g}  {state}"


def _text(result: CheckResult, id_path: Path, images: list[Path]) -> str:
    lines = []
    t = result.thresholds
    limits = f"match <= {t.match_max:g}, mismatch > {t.mismatch_min:g}"
    if result.distance is None:
        lines.append(f"band: none - no live image passed the gates ({limits})")
    else:
        lines.append(f"band: {result.band} (distance {result.distance:.4f}; {limits})")
    lines.append(f"model: {result.model_name} {result.model_version}")
    lines.append(f"ID portrait: {id_path} box {result.id_box.as_list() if result.id_box else '-'}")
    used = {i: d for i, _, d in result.frames_used}
    lines.append("live images:")
    for f in result.frames:
        if f.index in used:
            state = f"distance {used[f.index]:.4f}"
        elif f.usable:
            state = "passed the gates, not encoded"
        else:
            state = f"not used: {f.hint or 'failed a gate'} ({f.faces} face(s))"
        lines.append(f"  [{f.index}] {images[f.index]}: {state}")
    best = result.best_frame_index
    where = f"best image [{best}]" if best is not None else "closest image"
    lines.append(f"gates ({where}):")
    lines.extend(_fmt_gate(g) for g in result.gates)
    lines.append(NOTE)
    return "\n".join(lines)


@main.command()
@click.argument("id_image", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("live_images", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@_shared
@click.pass_context
def compare(ctx: click.Context, id_image: Path, live_images: tuple[Path, ...],
            as_json: bool | None, match_max: float | None, mismatch_min: float | None,
            chip: bool | None) -> None:
    """Compare ID_IMAGE (an ID card front scan, or with --chip the chip photo) with
    one or more LIVE_IMAGEs: quality gates, face distance and the advice band."""
    as_json = bool(_pick(ctx, "as_json", as_json, False))
    chip = bool(_pick(ctx, "chip", chip, False))
    try:
        thresholds = Thresholds(_pick(ctx, "match_max", match_max, _DEFAULTS.match_max),
                                _pick(ctx, "mismatch_min", mismatch_min, _DEFAULTS.mismatch_min))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--match-max/--mismatch-min") from exc
    id_bytes = _read(id_image, "ID image")
    frames = tuple(LiveFrame(_read(p, "live image"), 200 * i, "baseline")
                   for i, p in enumerate(live_images))
    try:
        request = CheckRequest(id_bytes, frames, id_is_chip=chip, thresholds=thresholds,
                               best_frames=min(len(frames), 15))
    except FaceCheckError as exc:
        raise click.UsageError(exc.message) from exc
    result = run_check(request)
    if as_json:
        out = result.to_json()
        out["images"] = {"id": str(id_image), "live": [str(p) for p in live_images]}
        out["note"] = NOTE
        click.echo(json.dumps(out, ensure_ascii=False))
    if result.error is not None:
        click.echo(f"error: {result.error.code}: {result.error.message}", err=True)
        sys.exit(2 if result.error.code in _INPUT_ERRORS else 1)
    if not as_json:
        click.echo(_text(result, id_image, list(live_images)))
