"""`brickyard validate` fails, naming the exercise, when its grading is off."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.teacher.scaffold import scaffold_exercise
from tests.conftest import run_brickyard

NAME = "04-stop-signals"


def scaffolded_tree(root: Path) -> Path:
    """Make a tree with one scaffolded exercise, which validates as it is."""
    (root / "tests" / "cases").mkdir(parents=True)
    # What makes a folder a brickyard repository to `new`.
    (root / "exercises").mkdir()
    (root / "noxfile.py").write_text('"""A tree made for a test."""\n')
    scaffold_exercise(root, NAME)
    return root


def verdict_line(stdout: str) -> str:
    """Return validate's line for the exercise: `  NN-slug  solution .., starter ..`."""
    lines = [line for line in stdout.splitlines() if line.strip().startswith(NAME)]
    assert lines, f"validate printed no line for {NAME}:\n{stdout}"
    return lines[0]


@pytest.mark.engine
def test_a_wrong_starter_fails_list_is_reported(engine: object, tmp_path: Path) -> None:
    root = scaffolded_tree(tmp_path)
    spec = root / "exercises" / NAME / "exercise.yaml"
    text = spec.read_text()
    assert "starter_fails: [serves, exec-form]" in text
    spec.write_text(
        text.replace("starter_fails: [serves, exec-form]", "starter_fails: [serves]")
    )

    validated = run_brickyard("validate", "--root", str(root))

    assert validated.returncode == 1, validated.stdout + validated.stderr
    line = verdict_line(validated.stdout)
    assert "WRONG" in line
    assert (
        "the starter fails ['exec-form', 'serves'], but starter_fails lists ['serves']"
        in line
    )
    assert f"\n  {NAME}: the starter fails" in validated.stdout


@pytest.mark.engine
def test_a_broken_solution_is_reported(engine: object, tmp_path: Path) -> None:
    root = scaffolded_tree(tmp_path)
    solution = root / "solutions" / NAME / "Dockerfile"
    # A solution that slipped back to shell form: it serves, but fails exec-form.
    solution.write_text(
        solution.read_text().replace('CMD ["python3", "app.py"]', "CMD python3 app.py")
    )

    validated = run_brickyard("validate", "--root", str(root))

    assert validated.returncode == 1, validated.stdout + validated.stderr
    line = verdict_line(validated.stdout)
    assert "WRONG: the solution scores" in line
    assert "(fails exec-form)" in line
    assert f"\n  {NAME}: the solution scores" in validated.stdout
