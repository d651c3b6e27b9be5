"""The student template: the repository students receive, without answers.

`nox -s template -- OUT` writes into OUT the exercises (starters and prompts, teacher
notes left out), the quiz bank without clear keys, the grader, a noxfile without the
teacher's sessions, a student README, the Classroom workflow, and `brickyard.lock`,
whose checksums the workflow verifies. Nothing under `solutions/`, `tests/` or
`docs/` is copied: the export is built from a list of what belongs in it, never by
copying the repository and deleting what does not.
"""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import jinja2

from grader import __version__
from grader.prompts import render_classroom_workflow
from grader.quiz.grading import has_quiz
from grader.spec import SpecError, load_exercise
from grader.teacher.integrity import (
    GIVEN,
    LOCK_FILE,
    SPEC,
    TOOLING,
    Role,
    render_lock,
    sha256_bytes,
    sha256_file,
    walk_files,
)
from grader.workspace import discover

#: nox sessions for teachers and contributors, left out of the students' noxfile.
TEACHER_SESSIONS = frozenset(
    {"tests", "benchmark", "validate", "docs", "lint", "template", "new", "bulk"}
)
#: Files of an exercise folder that hold notes for teachers only.
TEACHER_NOTES = frozenset({"TEACHER.md", "teacher-notes.md"})
#: In a prompt, text between these markers is for teachers and left out.
NOTE_BLOCK = re.compile(
    r"[ \t]*<!-- teacher -->.*?<!-- end teacher -->[ \t]*\n?", re.DOTALL
)
#: In a spec, whole comment lines starting with this are for teachers.
NOTE_COMMENT = re.compile(r"^[ \t]*# ?teacher:.*\n?", re.MULTILINE)
#: Files copied as they are, beside the folders below.
TOOLING_FILES = ("pyproject.toml", "scripts/provision-engine")
#: Never copied from anywhere: byte code, caches, the student's own quiz answers
#: from a teacher's trial run, and anything that looks like clear keys.
_IGNORED = shutil.ignore_patterns(
    "__pycache__", "*.pyc", ".pytest_cache", "answers.txt", "keys*.yaml", ".DS_Store"
)

VERIFIER = "grader/teacher/integrity.py"
WORKFLOW = ".github/workflows/classroom.yml"


class ExportError(Exception):
    """The template cannot be written; the message says why and what to do."""


@dataclass(frozen=True)
class Export:
    """What an export wrote."""

    out: Path
    exercises: list[str]
    files: int
    lock_digest: str
    quiz: str


def export_template(
    source: Path, out: Path, withhold_quiz: bool = False, replace: bool = False
) -> Export:
    """Write the student template of the repository at `source` into `out`."""
    source, out = source.resolve(), out.resolve()
    folders = discover(source)
    if not folders:
        raise ExportError(
            f"{source / 'exercises'} holds no exercises; run this in the teacher's"
            " repository."
        )
    if out == source or source in out.parents:
        raise ExportError(
            f"{out} is inside the teacher's repository; export to a folder outside it."
        )
    prepare_output(out, replace)

    roles: dict[str, Role] = {}
    texts: list[str] = []
    for folder in folders:
        problem = spec_problem(folder.path)
        if problem:
            raise ExportError(problem)
        copy_exercise(folder.path, out / "exercises" / folder.id)
        spec = f"exercises/{folder.id}/exercise.yaml"
        roles[spec] = SPEC
        texts.append(spec)
        for path in given_files(out, source / "solutions" / folder.id, folder.id):
            roles[path] = GIVEN

    quiz = copy_quiz(source, out, withhold_quiz)
    # The whole quiz is the teacher's: the bank, the practice file, and the scenario
    # folders that predict questions read.
    for path in walk_files(out, "quiz"):
        roles[path] = SPEC
        texts.append(path)

    shutil.copytree(source / "grader", out / "grader", ignore=_IGNORED)
    for name in TOOLING_FILES:
        if (source / name).is_file():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, out / name)
    noxfile = student_noxfile((source / "noxfile.py").read_text(encoding="utf-8"))
    (out / "noxfile.py").write_text(noxfile, encoding="utf-8")
    for path in [*walk_files(out, "grader"), "noxfile.py", *TOOLING_FILES]:
        if (out / path).is_file():
            roles[path] = TOOLING
    if (source / ".gitignore").is_file():
        shutil.copy2(source / ".gitignore", out / ".gitignore")

    lock = render_lock(out, roles, texts, __version__)
    (out / LOCK_FILE).write_bytes(lock)
    digest = sha256_bytes(lock)
    workflow = out / WORKFLOW
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(
        render_classroom_workflow(
            [out / "exercises" / folder.id for folder in folders],
            integrity={
                "lock": digest,
                "verifier": sha256_file(out / VERIFIER),
                "quiz_keys": "yes" if quiz == "withheld" else "",
            },
            quiz=has_quiz(out),
        ),
        encoding="utf-8",
    )
    (out / "README.md").write_text(student_readme(out, noxfile, quiz), encoding="utf-8")
    count = sum(
        1 for path in out.rglob("*") if path.is_file() and ".git" not in path.parts
    )
    return Export(out, [folder.id for folder in folders], count, digest, quiz)


def given_files(out: Path, solution: Path, exercise_id: str) -> list[str]:
    """The exported starter files of an exercise that its solution does not replace.

    Those are what the exercise gives the student to build on (the app, its wheels,
    the files a .dockerignore must keep out), not what the student writes; the
    prompt and the spec have roles of their own.
    """
    folder = f"exercises/{exercise_id}"
    given = []
    for path in walk_files(out, folder):
        relative = path[len(folder) + 1 :]
        if relative in ("exercise.yaml", "README.md") or (out / path).is_symlink():
            continue
        if not (solution / relative).exists():
            given.append(path)
    return given


def prepare_output(out: Path, replace: bool) -> None:
    """Make `out` an empty folder; with `replace`, empty it but keep its `.git`."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file; name a folder for the template.")
    if out.is_dir() and any(out.iterdir()):
        if not replace:
            raise ExportError(
                f"{out} is not empty. Name a new folder, or pass --replace to empty it"
                " (its .git is kept, so a template repository can be exported into)."
            )
        for entry in out.iterdir():
            if entry.name == ".git":
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    out.mkdir(parents=True, exist_ok=True)


def spec_problem(folder: Path) -> str | None:
    """Say why an exercise must not be exported (an invalid spec), or None."""
    try:
        load_exercise(folder)
    except SpecError as error:
        return f"{error}\nFix the spec before exporting: students could not grade it."
    return None


def copy_exercise(folder: Path, target: Path) -> None:
    """Copy an exercise folder, leaving out teacher notes and note blocks."""
    shutil.copytree(
        folder,
        target,
        symlinks=True,
        ignore=lambda where, names: [
            *_IGNORED(where, names),
            *(name for name in names if name in TEACHER_NOTES),
        ],
    )
    for path in target.rglob("*.md"):
        if path.is_file() and not path.is_symlink():
            text = path.read_text(encoding="utf-8")
            stripped = NOTE_BLOCK.sub("", text)
            if stripped != text:
                path.write_text(stripped, encoding="utf-8")
    spec = target / "exercise.yaml"
    text = spec.read_text(encoding="utf-8")
    stripped = NOTE_COMMENT.sub("", text)
    if stripped != text:
        spec.write_text(stripped, encoding="utf-8")


def copy_quiz(source: Path, out: Path, withhold: bool) -> str:
    """Copy the quiz bank (clear keys never); return the quiz's grading mode."""
    quiz = source / "quiz"
    if not (quiz / "bank").is_dir():
        return "none"
    shutil.copytree(quiz, out / "quiz", ignore=_IGNORED)
    practice = out / "quiz" / "practice.yaml"
    if withhold and practice.exists():
        practice.unlink()
    return "practice" if practice.exists() else "withheld"


def student_noxfile(text: str) -> str:
    """Return the noxfile without the sessions for teachers and contributors."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    drop: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in TEACHER_SESSIONS:
            first = min(
                [node.lineno] + [decorator.lineno for decorator in node.decorator_list]
            )
            assert node.end_lineno is not None
            # The blank lines that separated it go too, so the file stays formatted.
            last = node.end_lineno
            while last < len(lines) and not lines[last].strip():
                last += 1
            drop.update(range(first - 1, last))
    kept = "".join(line for number, line in enumerate(lines) if number not in drop)
    return kept.rstrip("\n") + "\n"


def sessions_of(noxfile: str) -> list[tuple[str, str]]:
    """Return each nox session's name and the first line of its docstring."""
    sessions = []
    for node in ast.parse(noxfile).body:
        if isinstance(node, ast.FunctionDef) and any(
            "session" in ast.unparse(decorator) for decorator in node.decorator_list
        ):
            doc = (ast.get_docstring(node) or "").strip().splitlines()
            sessions.append((node.name, doc[0] if doc else ""))
    return sessions


def student_readme(out: Path, noxfile: str, quiz: str) -> str:
    """Render the students' README.md from the exported exercises and noxfile."""
    exercises = []
    for folder in discover(out):
        exercise = load_exercise(folder.path)
        exercises.append(
            {
                "id": exercise.id,
                "number": exercise.number,
                "title": exercise.title,
                "points": exercise.max_score,
            }
        )
    sessions = dict(sessions_of(noxfile))
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("grader", "templates"),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    return environment.get_template("student-README.md.j2").render(
        exercises=exercises,
        sessions=sessions,
        quiz=quiz,
        total=sum(item["points"] for item in exercises),
        lock=LOCK_FILE,
    )
