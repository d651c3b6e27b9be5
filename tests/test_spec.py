"""The spec loader: valid specs become typed objects, bad ones say how to fix them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from grader.checks.container import HttpParams
from grader.spec import SpecError, load_exercise
from tests.conftest import REPO

GOOD = {
    "id": "07-sample",
    "title": "Sample",
    "concept": "testing",
    "checks": [
        {
            "id": "serves",
            "kind": "http_response",
            "title": "Serves",
            "points": 2,
            "feedback": "why",
            "hint": "try",
            "params": {"port": 8000, "body_contains": "Hi"},
        }
    ],
}


def write_spec(tmp_path: Path, data: object, folder: str = "07-sample") -> Path:
    target = tmp_path / folder
    target.mkdir()
    text = data if isinstance(data, str) else yaml.safe_dump(data)
    (target / "exercise.yaml").write_text(text)
    return target


def problems_of(folder: Path) -> str:
    with pytest.raises(SpecError) as caught:
        load_exercise(folder)
    message = str(caught.value)
    assert str(folder / "exercise.yaml") in message
    return message


def test_valid_spec_becomes_typed_objects(tmp_path: Path) -> None:
    exercise = load_exercise(write_spec(tmp_path, GOOD))

    assert exercise.number == "07" and exercise.slug == "sample"
    assert exercise.max_score == 2
    assert exercise.checks[0].params == HttpParams(port=8000, body_contains="Hi")


def test_every_shipped_exercise_spec_loads() -> None:
    for spec in sorted((REPO / "exercises").glob("*/exercise.yaml")):
        assert load_exercise(spec.parent).checks


@pytest.mark.parametrize(
    ("change", "field", "shown"),
    [
        ({"points": "two"}, "checks[0].points", "'two'"),
        ({"kind": "http_respons"}, "checks[0].kind", "did you mean `http_response`?"),
        ({"params": {"port": "eighty"}}, "checks[0].params.port", "'eighty'"),
        (
            {"params": {"port": 80, "bodycontains": "x"}},
            "checks[0].params.bodycontains",
            "did you mean `body_contains`?",
        ),
        ({"params": {}}, "checks[0].params.port", "is required but missing"),
        ({"id": "Serves Well"}, "checks[0].id", "'Serves Well'"),
        ({"points": -1}, "checks[0].points", "negative"),
    ],
)
def test_bad_check_field_names_field_value_and_fix(
    tmp_path: Path, change: dict, field: str, shown: str
) -> None:
    data = {**GOOD, "checks": [{**GOOD["checks"][0], **change}]}

    message = problems_of(write_spec(tmp_path, data))

    assert f"{field}:" in message
    assert shown in message
    assert "fix:" in message


def test_id_must_match_folder(tmp_path: Path) -> None:
    message = problems_of(write_spec(tmp_path, GOOD, folder="08-other"))

    assert "'07-sample' differs from the folder name '08-other'" in message


def test_missing_required_and_unknown_top_level_fields(tmp_path: Path) -> None:
    data = {key: value for key, value in GOOD.items() if key != "title"} | {
        "titel": "x"
    }

    message = problems_of(write_spec(tmp_path, data))

    assert "title: is required but missing" in message
    assert (
        "titel: is not a known field" in message and "did you mean `title`?" in message
    )


def test_starter_fails_must_name_checks(tmp_path: Path) -> None:
    message = problems_of(write_spec(tmp_path, GOOD | {"starter_fails": ["server"]}))

    assert "starter_fails[0]" in message and "'server'" in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = problems_of(write_spec(tmp_path, "id: 07-sample\ntitle: [unclosed\n"))

    assert "line " in message and "not valid YAML" in message


def test_missing_file(tmp_path: Path) -> None:
    (tmp_path / "07-sample").mkdir()

    assert "does not exist" in problems_of(tmp_path / "07-sample")


def test_duplicate_check_ids(tmp_path: Path) -> None:
    data = GOOD | {"checks": [GOOD["checks"][0], GOOD["checks"][0]]}

    assert "'serves' is used twice" in problems_of(write_spec(tmp_path, data))


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (
            {"network": "packages"},
            "image.packages: is empty, yet `network: packages` asks for an offline",
        ),
        (
            {"packages": ["jq"]},
            "image.packages: lists packages, yet the build's network is 'none'",
        ),
        (
            {"network": "packages", "packages": ["jq", "Bad Name"]},
            "image.packages[1]: 'Bad Name' is not a Debian package name",
        ),
        ({"network": "wifi"}, "image.network"),
    ],
)
def test_offline_packages_need_the_packages_network_and_real_names(
    tmp_path: Path, image: dict, expected: str
) -> None:
    assert expected in problems_of(write_spec(tmp_path, {**GOOD, "image": image}))


def test_offline_packages_load(tmp_path: Path) -> None:
    spec = {**GOOD, "image": {"network": "packages", "packages": ["jq", "libc6-dev"]}}

    exercise = load_exercise(write_spec(tmp_path, spec))

    assert exercise.image.network == "packages"
    assert exercise.image.packages == ["jq", "libc6-dev"]


@pytest.mark.parametrize(
    ("change", "field", "fix"),
    [
        ({"deadline": -5}, "deadline: -5 is out of range", "from 1 to 3600"),
        ({"image": {"build_timeout": 0}}, "image.build_timeout: 0", "from 1 to 3600"),
        ({"container": {"memory": "900g"}}, "container.memory: '900g'", "6m to 16g"),
        ({"container": {"memory": "lots"}}, "not a memory size", "256m or 1g"),
        ({"container": {"startup_timeout": 100000}}, "startup_timeout", "1 to 600"),
        ({"compose": {"up_timeout": -1}}, "compose.up_timeout", "1 to 1800"),
    ],
)
def test_limits_out_of_range_are_authoring_errors(
    tmp_path: Path, change: dict, field: str, fix: str
) -> None:
    message = problems_of(write_spec(tmp_path, GOOD | change))

    assert field in message and fix in message


def test_limits_at_the_ends_of_their_ranges_load(tmp_path: Path) -> None:
    change = {"deadline": 3600, "image": {"build_timeout": 1}}
    spec = load_exercise(
        write_spec(tmp_path, GOOD | change | {"container": {"memory": "16g"}})
    )

    assert (spec.deadline, spec.image.build_timeout, spec.container.memory) == (
        3600,
        1,
        "16g",
    )
