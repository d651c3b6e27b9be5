"""Every check kind proven on the engine by scenario exercises that pass and that fail.

Each folder `tests/cases/kinds/<kind>/` holds scenario exercises named `NN-slug/`, each
a complete exercise (an `exercise.yaml` and its files) with an `expect.yaml` listing the
ids of the checks it must fail (`fails: []` when all must pass) and saying what it is
(`about`). Files of `tests/cases/kinds/_shared/` that an expectation lists under
`shared` are copied in too, so scenarios need not repeat a test app: `app.py` lands
in the scenario's folder, `db/stack_db.py` lands in its `db/` folder (the file's own
name picks it from `_shared/`). The scenarios of
one kind are graded together in one run of the grader.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import CASES, read_expectation, run_brickyard

SHARED = CASES / "kinds" / "_shared"
KIND_FOLDERS = sorted(
    path
    for path in (CASES / "kinds").iterdir()
    if path.is_dir() and not path.name.startswith("_")
)


@pytest.mark.engine
@pytest.mark.parametrize("kind", KIND_FOLDERS, ids=[path.name for path in KIND_FOLDERS])
def test_kind_scenarios(engine: object, tmp_path: Path, kind: Path) -> None:
    scenarios = sorted(
        path for path in kind.iterdir() if (path / "expect.yaml").exists()
    )
    assert scenarios, f"{kind} has no scenarios"
    for scenario in scenarios:
        target = tmp_path / "exercises" / scenario.name
        shutil.copytree(scenario, target, symlinks=True, ignore=ignore_expectation)
        for name in read_expectation(scenario).get("shared", []):
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(SHARED / Path(name).name, destination)
        staged_git = target / "dot-git"
        if staged_git.exists():
            # A .git folder cannot be committed inside the repository; scenarios that
            # need one ship it as `dot-git`.
            staged_git.rename(target / ".git")

    graded = run_brickyard("grade", "--root", str(tmp_path))

    assert graded.returncode == 0, graded.stderr
    wrong = []
    for scenario in scenarios:
        expectation = read_expectation(scenario)
        exercise = graded.exercise(scenario.name)
        if exercise["error"]:
            wrong.append(f"{scenario.name}: cannot be graded: {exercise['error']}")
            continue
        failed = graded.failed(scenario.name)
        if failed != set(expectation["fails"]):
            wrong.append(
                f"{scenario.name} ({expectation['about']}): failed {sorted(failed)},"
                f" expected {sorted(expectation['fails'])}"
            )
    assert not wrong, "\n".join(wrong) + "\n\n" + graded.stdout


def ignore_expectation(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name == "expect.yaml"]
