"""docs/protocol.md and docs/schema/ stay in step with signaling.protocol."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from signaling import protocol as p
from signaling import protocol_docs as docs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return docs.render()


def test_generated_files_are_up_to_date(rendered: dict[str, str]) -> None:
    outdated = docs.stale(ROOT, rendered)
    assert outdated == [], (
        f"stale generated docs: {outdated}; run `python -m signaling.protocol_docs`"
    )


def test_check_mode_passes_on_the_repository() -> None:
    assert docs.main(["--check", "--root", str(ROOT)]) == 0


def test_check_mode_names_stale_and_orphaned_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert docs.main(["--root", str(tmp_path)]) == 0
    assert docs.main(["--check", "--root", str(tmp_path)]) == 0
    (tmp_path / "docs/protocol.md").write_text("edited by hand\n", encoding="utf-8")
    orphan = tmp_path / "docs/schema/inbound/gone.json"
    orphan.write_text("{}\n", encoding="utf-8")
    capsys.readouterr()
    assert docs.main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "docs/protocol.md" in err
    assert "docs/schema/inbound/gone.json" in err
    docs.main(["--root", str(tmp_path)])
    assert not orphan.exists()
    assert docs.main(["--check", "--root", str(tmp_path)]) == 0


def test_every_registered_type_has_an_example() -> None:
    assert set(docs.INBOUND_DOCS) == set(p.INBOUND)
    assert set(docs.OUTBOUND_DOCS) == set(p.OUTBOUND)


def test_every_example_validates() -> None:
    docs.check_examples()  # raises DocsError listing every bad example


def test_every_inbound_type_has_roles_and_a_real_reply() -> None:
    assert set(p.ROLES) == set(p.INBOUND)
    for mtype, doc in docs.INBOUND_DOCS.items():
        assert doc.reply in p.OUTBOUND, mtype


def test_a_missing_example_fails_generation() -> None:
    inbound = dict(docs.INBOUND_DOCS)
    del inbound["ticket.create"]
    with pytest.raises(docs.DocsError, match="inbound ticket.create: no example"):
        docs.check_examples(inbound=inbound)


@pytest.mark.parametrize(
    "data",
    [
        {"call_id": "c1", "level": 6},  # out of range
        {"call_id": "c1"},  # level missing
        {"call_id": "c1", "level": "5"},  # only lax coercion would accept this
        {"call_id": "c1", "level": 5, "stars": 5},  # unknown field
    ],
)
def test_an_invalid_example_fails_generation(data: dict[str, object]) -> None:
    inbound = dict(docs.INBOUND_DOCS)
    bad = replace(inbound["rating.submit"], example=docs.Example(id="1", data=data))
    inbound["rating.submit"] = bad
    with pytest.raises(docs.DocsError, match="inbound rating.submit: example is"):
        docs.check_examples(inbound=inbound)


def test_a_field_without_description_fails_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    field_docs = {k: dict(v) for k, v in docs.FIELD_DOCS.items()}
    del field_docs["Hello"]["client"]
    monkeypatch.setattr(docs, "FIELD_DOCS", field_docs)
    with pytest.raises(docs.DocsError, match=r"Hello\.client: no description"):
        docs.render()


def test_every_type_has_a_section_heading(rendered: dict[str, str]) -> None:
    text = rendered[docs.DOC_PATH]
    headings = set(re.findall(r"^### `([^`]+)` \((client → hub|hub → client)\)$", text, re.M))
    expected = {(t, "client → hub") for t in p.INBOUND} | {(t, "hub → client") for t in p.OUTBOUND}
    assert expected <= headings, sorted(expected - headings)


def test_every_code_is_in_the_tables(rendered: dict[str, str]) -> None:
    text = rendered[docs.DOC_PATH]
    for code in p.ErrorCode:
        assert f"| `{code}` |" in text
    for close in p.CloseCode:
        assert f"| {int(close)} |" in text


def test_internal_links_resolve(rendered: dict[str, str]) -> None:
    text = rendered[docs.DOC_PATH]
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', text))
    anchors |= {
        re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", text, re.M)
    }
    targets = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert targets <= anchors, sorted(targets - anchors)


def test_one_schema_file_per_type_and_direction(rendered: dict[str, str]) -> None:
    expected = {f"docs/schema/inbound/{t}.json" for t in p.INBOUND}
    expected |= {f"docs/schema/outbound/{t}.json" for t in p.OUTBOUND}
    expected |= {"docs/schema/envelope.json"}
    assert {k for k in rendered if k.startswith("docs/schema/")} == expected
    for path in expected:
        schema = json.loads(rendered[path])
        assert schema["$schema"].endswith("2020-12/schema")


def test_examples_validate_against_the_schema_files(rendered: dict[str, str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    for direction, table in (("inbound", docs.INBOUND_DOCS), ("outbound", docs.OUTBOUND_DOCS)):
        for mtype, doc in table.items():
            frame = doc.example.envelope(mtype)
            schema = json.loads(rendered[f"docs/schema/{direction}/{mtype}.json"])
            jsonschema.validate(frame, schema)
            jsonschema.validate(frame, json.loads(rendered["docs/schema/envelope.json"]))
