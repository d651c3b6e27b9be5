"""The JSON Schema and the check reference keep in step with the loader and kinds."""

from __future__ import annotations

import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from grader.checks.reference import render_reference
from grader.cli import generated_files
from grader.prompts import PromptError, render_prompt
from grader.spec import SpecError, load_exercise
from grader.spec.schema import exercise_schema as make_schema
from tests.conftest import CASES, REPO


@pytest.fixture(scope="module")
def exercise_schema() -> dict:
    return make_schema()


SPECS = sorted(REPO.glob("exercises/*/exercise.yaml")) + sorted(
    CASES.glob("**/exercise.yaml")
)


def test_committed_reference_and_schema_are_current() -> None:
    for path, text in generated_files(REPO).items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(REPO)} is out of date: run `nox -s docs`"
        )


@pytest.mark.parametrize("spec", SPECS, ids=[str(p.relative_to(REPO)) for p in SPECS])
def test_schema_and_loader_agree_on_every_spec(
    spec: Path, exercise_schema: dict
) -> None:
    try:
        load_exercise(spec.parent)
    except SpecError:
        # An invalid spec on purpose (the hostile cases): the schema rejects it
        # too, or it is not YAML at all, which an editor reports before any schema.
        try:
            data = yaml.safe_load(spec.read_bytes())
        except yaml.YAMLError:
            return
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(data, exercise_schema)
        return
    jsonschema.validate(yaml.safe_load(spec.read_text()), exercise_schema)


@pytest.mark.parametrize(
    "change",
    [
        {"deadline": -5},
        {"image": {"build_timeout": 0}},
        {"container": {"memory": "lots"}},
        {"compose": {"up_timeout": 100000}},
    ],
)
def test_schema_and_loader_reject_limits_out_of_range(
    tmp_path: Path, change: dict, exercise_schema: dict
) -> None:
    check = {"id": "b", "kind": "image_builds", "title": "t", "points": 1}
    check |= {"feedback": "f", "hint": "h"}
    data = {"id": "07-sample", "title": "t", "concept": "c", "checks": [check]}
    folder = tmp_path / "07-sample"
    folder.mkdir()
    jsonschema.validate(data, exercise_schema)
    (folder / "exercise.yaml").write_text(yaml.safe_dump(data | change))

    with pytest.raises(SpecError, match=next(iter(change))):
        load_exercise(folder)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data | change, exercise_schema)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"points": "two"}, "points"),
        ({"kind": "no_such_kind"}, "kind"),
        ({"params": {"port": "eighty"}}, "port"),
        ({"params": {"port": 80, "bodycontains": "x"}}, "bodycontains"),
        ({"params": {}}, "port"),
    ],
)
def test_schema_and_loader_reject_the_same_mistakes(
    tmp_path: Path, change: dict, path: str, exercise_schema: dict
) -> None:
    check = {
        "id": "serves",
        "kind": "http_response",
        "title": "t",
        "points": 1,
        "feedback": "f",
        "hint": "h",
        "params": {"port": 8000},
    } | change
    data = {"id": "07-sample", "title": "t", "concept": "c", "checks": [check]}
    folder = tmp_path / "07-sample"
    folder.mkdir()
    (folder / "exercise.yaml").write_text(yaml.safe_dump(data))

    with pytest.raises(SpecError, match=path):
        load_exercise(folder)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, exercise_schema)


def test_prompt_without_markers_says_where_the_table_goes(tmp_path: Path) -> None:
    folder = tmp_path / "01-first-image"
    shutil.copytree(REPO / "exercises" / "01-first-image", folder)
    (folder / "README.md").write_text("# A prompt with no table\n")

    with pytest.raises(PromptError, match="grading table markers"):
        render_prompt(folder)


def test_prompt_table_follows_the_spec(tmp_path: Path) -> None:
    folder = tmp_path / "01-first-image"
    shutil.copytree(REPO / "exercises" / "01-first-image", folder)
    spec = folder / "exercise.yaml"
    spec.write_text(spec.read_text().replace("points: 3", "points: 5"))

    rendered = render_prompt(folder)

    assert "| The container answers HTTP on port 8000 | 5 |" in rendered
    assert rendered != (folder / "README.md").read_text()


def test_prompt_table_shows_each_checks_own_parameters(tmp_path: Path) -> None:
    folder = tmp_path / "01-first-image"
    shutil.copytree(REPO / "exercises" / "01-first-image", folder)
    spec = folder / "exercise.yaml"
    spec.write_text(spec.read_text().replace("within: 3", "within: 4.5"))

    rendered = render_prompt(folder)

    stop_row = next(
        line for line in rendered.splitlines() if line.startswith("| docker stop")
    )
    assert "Here: within 4.5 s, grace 5 s, port 8000." in stop_row
    serve_row = next(
        line
        for line in rendered.splitlines()
        if line.startswith("| The container answers")
    )
    assert "port 8000, status 200, body contains `Hello`" in serve_row


def test_hidden_check_keeps_its_parameters_out_of_the_prompt(tmp_path: Path) -> None:
    folder = tmp_path / "01-first-image"
    shutil.copytree(REPO / "exercises" / "01-first-image", folder)
    spec = folder / "exercise.yaml"
    spec.write_text(
        spec.read_text().replace(
            "kind: stops_promptly\n", "kind: stops_promptly\n    visibility: hidden\n"
        )
    )

    rendered = render_prompt(folder)

    stop_row = next(
        line for line in rendered.splitlines() if line.startswith("| docker stop")
    )
    assert "Here:" not in stop_row


def test_reference_shows_the_fields_of_nested_parameters() -> None:
    page = render_reference()

    for name, field in [("Action", "http_path"), ("MountParams", "read_only")]:
        assert f"`{name}`: " in page and f"| `{field}` |" in page
    section = page[page.index("### `service_reaches`") :]
    assert "| `links` | `list[Link]` |" in section
    assert "| `from` | `str` | required |" in section
    assert "grader." not in page
