"""The build context as the docker SDK sends it, on folders made in tmp_path."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
from docker.api.build import process_dockerfile
from docker.utils.build import tar

from grader.checks import build_context
from grader.checks.build_context import (
    ContextExcludesParams,
    ContextSizeParams,
    compute_context,
    context_excludes,
    context_size,
)
from grader.checks.registry import Outcome
from grader.engine.labels import RunIdentity
from grader.engine.session import ExerciseSession
from grader.spec import SpecError, load_exercise
from grader.spec.model import Exercise

TREE = {
    "Dockerfile": "FROM debian:bookworm-slim\n",
    "app.py": "print('hi')\n",
    "requirements.txt": "flask\n",
    ".env": "SECRET=1\n",
    ".git/HEAD": "ref: refs/heads/main\n",
    ".git/objects/ab/cdef": "x" * 100,
    "node_modules/left-pad/index.js": "module.exports = 1\n",
    "logs/app.log": "log\n",
    "debug.log": "log\n",
    "docs/keep.md": "keep\n",
    "docs/draft.md": "draft\n",
}


def make_tree(root: Path, files: dict[str, str], ignore: str | None) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if ignore is not None:
        (root / ".dockerignore").write_text(ignore)
    return root


def sdk_tar_names(root: Path, dockerfile: str = "Dockerfile") -> set[str]:
    """The names in the tar the docker SDK sends, made as `APIClient.build` makes it."""
    exclude = None
    ignore = root / ".dockerignore"
    if ignore.exists():
        exclude = [
            line.strip()
            for line in ignore.read_text().splitlines()
            if line.strip() and line.strip()[0] != "#"
        ]
    archive = tar(
        str(root), exclude=exclude, dockerfile=process_dockerfile(dockerfile, str(root))
    )
    with archive, tarfile.open(fileobj=archive) as opened:
        return set(opened.getnames())


IGNORE_FILES = [
    None,
    "",
    ".env\n.git\nnode_modules\n",
    "# secrets\n.env\n\n**/*.log\n.git/\n",
    "*\n!app.py\n!requirements.txt\n",
    "docs\n!docs/keep.md\n",
    "Dockerfile\n.dockerignore\n*.log\n",
    "/.git\n./node_modules\n.env*\n",
    "**/node_modules\n.git/objects\n",
]


@pytest.mark.parametrize("ignore", IGNORE_FILES)
def test_sent_paths_equal_the_sdk_tar(tmp_path: Path, ignore: str | None) -> None:
    root = make_tree(tmp_path, TREE, ignore)

    context = compute_context(root)

    assert context.sent == sdk_tar_names(root)


def test_dockerfile_and_ignore_file_are_always_sent(tmp_path: Path) -> None:
    root = make_tree(tmp_path, TREE, "*\n")

    context = compute_context(root)

    assert set(context.files) == {"Dockerfile", ".dockerignore"}
    assert ".env" in context.excluded
    assert "node_modules/" in context.excluded


def test_sizes_counts_and_largest(tmp_path: Path) -> None:
    root = make_tree(tmp_path, TREE, ".git\n")

    context = compute_context(root)

    assert context.files[".env"] == len("SECRET=1\n")
    assert ".git/objects/ab/cdef" not in context.files
    assert context.total_bytes == sum(context.files.values())
    assert context.largest(1)[0][0] == "Dockerfile"


def test_an_exception_reopens_a_left_out_folder(tmp_path: Path) -> None:
    root = make_tree(tmp_path, TREE, "docs\n!docs/keep.md\n")

    context = compute_context(root)

    assert "docs/keep.md" in context.files
    assert "docs/draft.md" not in context.files
    assert "docs/draft.md" in context.excluded


def test_a_dockerfile_elsewhere_is_counted(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "ctx", {"app.py": "x"}, None)
    (tmp_path / "Dockerfile").write_text("FROM debian:bookworm-slim\n")

    context = compute_context(root, "../Dockerfile")

    assert context.files["../Dockerfile"] == len("FROM debian:bookworm-slim\n")


@pytest.mark.parametrize(
    ("ignore", "path", "as_folder", "sent"),
    [
        ("", ".env", False, True),
        (".env\n", ".env", False, False),
        ("**/.env\n", ".env", False, False),
        ("*.env\n", ".env", False, False),
        (".env\n!.env\n", ".env", False, True),
        ("node_modules/\n", "node_modules", True, False),
        ("node_modules/*\n", "node_modules", True, False),
        ("node_modules/*\n", "node_modules", False, True),
        ("*.log\n", "logs/x.log", False, True),
        ("**/*.log\n", "logs/x.log", False, False),
    ],
)
def test_probe(
    tmp_path: Path, ignore: str, path: str, as_folder: bool, sent: bool
) -> None:
    context = compute_context(make_tree(tmp_path, {"Dockerfile": "x"}, ignore))

    assert build_context.probe(context, path, as_folder) is sent


@pytest.mark.parametrize(
    ("entry", "example"),
    [
        ("*.log", "probe.log"),
        ("**/*.log", "probe-folder/probe.log"),
        ("./logs/?.txt", "logs/p.txt"),
        ("[abc].md", "a.md"),
        ("[!abc].md", None),
        (".env", ".env"),
    ],
)
def test_example_of(entry: str, example: str | None) -> None:
    assert build_context.example_of(entry) == example


def test_deciding_line_names_the_last_matching_pattern(tmp_path: Path) -> None:
    root = make_tree(tmp_path, TREE, "# comment\n.env\n\n!.env\n.git\n")
    context = compute_context(root)

    assert build_context.deciding_line(context, ".env") == (4, "!.env")
    assert build_context.deciding_line(context, ".git/HEAD") == (5, ".git")
    assert build_context.deciding_line(context, "app.py") is None


@pytest.mark.parametrize(
    ("size", "shown"),
    [(12, "12 B"), (2_500, "2.5 kB"), (3_100_000, "3.1 MB"), (2 * 10**9, "2.0 GB")],
)
def test_human_size(size: int, shown: str) -> None:
    assert build_context.human_size(size) == shown


def grade(root: Path, kind: object, params: object) -> Outcome:
    exercise = Exercise("01-x", "x", "x", root, ())
    # Static checks never touch the engine, so no client is needed.
    session = ExerciseSession(exercise, None, RunIdentity())  # type: ignore[arg-type]
    return kind(session, params)  # type: ignore[operator, no-any-return]


EXCLUDES = ContextExcludesParams(
    paths=[".env", ".git", "node_modules/", "**/*.log"],
    must_include=["app.py", "requirements.txt"],
)


@pytest.mark.parametrize(
    "ignore",
    [
        ".env\n.git\nnode_modules\n**/*.log\n",
        "/.env\n.git/\nnode_modules/\n*.log\nlogs\n",
        "*\n!app.py\n!requirements.txt\n!Dockerfile\n",
        "**/.env\n**/.git\n**/node_modules\n**/*.log\n",
    ],
)
def test_excludes_passes(tmp_path: Path, ignore: str) -> None:
    outcome = grade(make_tree(tmp_path, TREE, ignore), context_excludes, EXCLUDES)

    assert outcome.passed, outcome.message


@pytest.mark.parametrize(
    ("ignore", "says"),
    [
        (None, "There is no .dockerignore"),
        (".git\nnode_modules\n**/*.log\n", "`.env` is sent"),
        (".env\n.git\nnode_modules\n*.log\n", "`logs/app.log`"),
        (".env\n.git\nnode_modules\n**/*.log\n!.env\n", "line 5 of .dockerignore"),
        ("*\n", "`app.py` must still be sent, but line 1"),
        (".env\n.git/objects\nnode_modules\n**/*.log\n", "`.git/HEAD`"),
    ],
)
def test_excludes_fails(tmp_path: Path, ignore: str | None, says: str) -> None:
    outcome = grade(make_tree(tmp_path, TREE, ignore), context_excludes, EXCLUDES)

    assert not outcome.passed
    assert says in outcome.message


def test_excludes_judges_absent_paths_by_the_patterns(tmp_path: Path) -> None:
    files = {"Dockerfile": "x", "app.py": "x", "requirements.txt": "x"}

    good = grade(
        make_tree(tmp_path / "a", files, ".env\n.git\nnode_modules\n**/*.log\n"),
        context_excludes,
        EXCLUDES,
    )
    bad = grade(
        make_tree(tmp_path / "b", files, ".git\nnode_modules\n**/*.log\n"),
        context_excludes,
        EXCLUDES,
    )

    assert good.passed, good.message
    assert not bad.passed
    assert "`.env` is not in the folder now" in bad.message


def test_size_limits(tmp_path: Path) -> None:
    root = make_tree(tmp_path, {**TREE, "big.bin": "x" * 5000}, None)

    too_big = grade(root, context_size, ContextSizeParams(max_bytes=4000))
    too_many = grade(root, context_size, ContextSizeParams(max_files=5))
    fits = grade(root, context_size, ContextSizeParams(max_mb=1, max_files=100))

    assert not too_big.passed
    assert "`big.bin` (5.0 kB)" in too_big.message
    assert "files, over the limit of 5" in too_many.message
    assert fits.passed, fits.message
    assert "big.bin" in str(fits.evidence["largest files sent"]).splitlines()[0]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({}, "sets no limit"),
        ({"max_files": 0}, "0 or less"),
    ],
)
def test_size_params_need_a_limit(params: dict[str, int], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        ContextSizeParams(**params)


def test_a_spec_without_a_limit_is_an_authoring_error(tmp_path: Path) -> None:
    folder = tmp_path / "01-x"
    folder.mkdir()
    (folder / "exercise.yaml").write_text(
        "id: 01-x\ntitle: x\nconcept: x\nchecks:\n"
        "  - {id: small, kind: context_size, title: t, points: 1, feedback: f,"
        " hint: h}\n"
    )

    with pytest.raises(SpecError) as raised:
        load_exercise(folder)

    assert "checks[0].params: sets no limit" in str(raised.value)
    assert "give max_bytes, max_mb or max_files" in str(raised.value)
