"""The teacher's lock: checksums of the files a student must not change, and checks.

`nox -s template` writes `brickyard.lock` into the student template: the SHA-256 of
every exercise spec, quiz bank file and grader file, and the text of the specs and
the bank, so grading can use the teacher's versions whatever a student edits. The
workflow pins the SHA-256 of the lock itself and of this file.

This module uses the standard library only and imports nothing from brickyard: CI
runs it as a script (`python3 -I grader/teacher/integrity.py`) after checking its own
checksum and before it installs anything from the student's repository, whose grader
could have been changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

LOCK_FILE = "brickyard.lock"
LOCK_FORMAT = 1
#: The environment variable holding the lock's pinned SHA-256 (set by the workflow).
DIGEST_ENV = "BRICKYARD_LOCK_SHA256"
#: What a protected file decides: a spec (grading can use the teacher's copy from the
#: lock instead), tooling (the code that grades, which cannot be swapped back), or a
#: file an exercise gives the student to build on and not to edit (its app, its
#: wheels: the starter files its solution does not replace), reported when changed.
Role = Literal["spec", "tooling", "given"]
SPEC: Role = "spec"
TOOLING: Role = "tooling"
GIVEN: Role = "given"

#: Folders that only the teacher fills: a file added there counts as a change (a
#: module added to grader/checks/ would register itself as a check kind).
SEALED = ("grader", "quiz/bank", "quiz/scenarios")
#: Paths a submission must not have, since each changes what runs in CI: nox reuses
#: a committed `.nox/` as the grading environment, `setup.py` and `setup.cfg` change
#: how the grader is installed, and the customize modules run at every start.
FORBIDDEN = (".nox", "setup.py", "setup.cfg", "sitecustomize.py", "usercustomize.py")
#: Never compared: byte code Python writes beside the sources (CI reads byte code
#: from elsewhere, through PYTHONPYCACHEPREFIX) and git's own folder.
SKIPPED = frozenset({"__pycache__", ".git"})

EXIT_INTACT, EXIT_CHANGED, EXIT_UNVERIFIABLE = 0, 1, 2

Change = Literal["modified", "missing", "added", "forbidden"]


class LockError(Exception):
    """The lock cannot be read or is not the one the workflow pinned."""


@dataclass(frozen=True)
class Finding:
    """One protected path that differs from the teacher's lock."""

    path: str
    change: Change
    role: Role

    def describe(self) -> str:
        what = {
            "modified": "was changed",
            "missing": "was deleted",
            "added": "was added where only the teacher's files belong",
            "forbidden": "must not exist in a submission",
        }[self.change]
        return f"{self.path} {what}"


@dataclass(frozen=True)
class Lock:
    """The teacher's lock, read back: checksums, roles and the texts of the specs."""

    files: dict[str, str]
    roles: dict[str, Role]
    texts: dict[str, str]
    sealed: tuple[str, ...]
    forbidden: tuple[str, ...]
    brickyard: str
    #: The SHA-256 of the lock file's bytes: what the workflow pins.
    digest: str

    @property
    def exercises(self) -> list[str]:
        """The ids of the teacher's exercises, in order."""
        ids = [
            parts[1]
            for path in self.texts
            if len(parts := path.split("/")) == 3
            and parts[0] == "exercises"
            and parts[2] == "exercise.yaml"
        ]
        return sorted(ids)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def walk_files(root: Path, folder: str) -> list[str]:
    """Return the files under `root/folder` as sorted POSIX paths relative to root.

    Symbolic links are listed, never followed; byte code and `.git` are skipped.
    """
    base = root / folder
    if not base.is_dir() or base.is_symlink():
        return []
    found = []
    for current, folders, names in os.walk(base):
        folders[:] = [name for name in folders if name not in SKIPPED]
        for name in names:
            if name.endswith(".pyc"):
                continue
            found.append((Path(current) / name).relative_to(root).as_posix())
    return sorted(found)


def render_lock(
    root: Path, roles: Mapping[str, Role], texts: Iterable[str], brickyard: str
) -> bytes:
    """Return the lock of the files `roles` names in `root`, with the given texts.

    The bytes are canonical (sorted keys, fixed separators), so exporting the same
    files twice gives the same lock and the same pinned digest.
    """
    document = {
        "format": LOCK_FORMAT,
        "brickyard": brickyard,
        "sealed": list(SEALED),
        "forbidden": list(FORBIDDEN),
        "files": {
            path: {"sha256": sha256_file(root / path), "role": roles[path]}
            for path in sorted(roles)
        },
        "texts": {
            path: (root / path).read_text(encoding="utf-8") for path in sorted(texts)
        },
    }
    return (json.dumps(document, indent=1, sort_keys=True) + "\n").encode("utf-8")


def read_lock(path: Path, pinned: str | None = None) -> Lock:
    """Read the lock at `path`; with `pinned`, refuse one whose SHA-256 differs."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LockError(
            f"cannot read the teacher's lock {path}: {error.strerror or error}. It is"
            " written by `nox -s template`; restore it from the template."
        ) from error
    digest = sha256_bytes(data)
    if pinned and digest != pinned.strip().lower():
        raise LockError(
            f"{path} is not the teacher's lock: its SHA-256 is {digest}, the workflow"
            f" pins {pinned.strip()}. Restore brickyard.lock from the template."
        )
    try:
        document = json.loads(data)
        if document.get("format") != LOCK_FORMAT:
            raise ValueError(f"format {document.get('format')!r}, expected 1")
        files = {name: entry["sha256"] for name, entry in document["files"].items()}
        roles = {name: entry["role"] for name, entry in document["files"].items()}
        return Lock(
            files=files,
            roles=roles,
            texts=dict(document.get("texts", {})),
            sealed=tuple(document.get("sealed", SEALED)),
            forbidden=tuple(document.get("forbidden", FORBIDDEN)),
            brickyard=str(document.get("brickyard", "")),
            digest=digest,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise LockError(
            f"{path} is not a brickyard lock ({error}); restore it from the template."
        ) from error


def compare(
    root: Path,
    files: Mapping[str, str],
    roles: Mapping[str, Role] | None = None,
    sealed: Iterable[str] = (),
    forbidden: Iterable[str] = (),
) -> list[Finding]:
    """Compare the tree at `root` with the teacher's checksums; return what differs.

    A protected file differs when it is missing, is a symbolic link (the teacher's
    never are) or has another SHA-256. In a sealed folder, any file the lock does not
    list counts as added; a forbidden path counts when it exists at all.
    """
    roles = roles or {}
    findings = []
    for path, expected in sorted(files.items()):
        role = roles.get(path, TOOLING)
        target = root / path
        if not target.exists() and not target.is_symlink():
            findings.append(Finding(path, "missing", role))
        elif (
            target.is_symlink()
            or not target.is_file()
            or sha256_file(target) != expected
        ):
            findings.append(Finding(path, "modified", role))
    for folder in sealed:
        role = SPEC if folder.startswith("quiz") else TOOLING
        for path in walk_files(root, folder):
            if path not in files:
                findings.append(Finding(path, "added", role))
    for path in forbidden:
        target = root / path
        if target.exists() or target.is_symlink():
            findings.append(Finding(path, "forbidden", TOOLING))
    return findings


def check_tree(root: Path, lock: Lock) -> list[Finding]:
    """Compare every file the lock protects in the tree at `root`."""
    return compare(root, lock.files, lock.roles, lock.sealed, lock.forbidden)


def is_exercise_spec(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return len(parts) == 3 and parts[0] == "exercises" and parts[2] == "exercise.yaml"


def markdown(findings: list[Finding], lock: Lock) -> str:
    """A Markdown section for the workflow's summary page."""
    lines = ["## brickyard: the teacher's files", ""]
    if not findings:
        lines.append(
            "Every file the teacher's lock protects is unchanged"
            f" (lock {lock.digest[:12]})."
        )
        return "\n".join(lines) + "\n"
    lines.append(
        "These files differ from the teacher's template. Specs are graded from the"
        " teacher's copy, so changing them changes nothing; a changed file an"
        " exercise gives (its app, its wheels) is reported to the teacher; a changed"
        " grader stops grading. Restore them with `git checkout <first commit> --"
        " PATH`."
    )
    lines.append("")
    lines += [
        f"- `{finding.path}` {finding.describe().partition(' ')[2]}"
        for finding in findings
    ]
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `brickyard verify` and of this file run as a script."""
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="the student's tree (default: here)",
    )
    parser.add_argument(
        "--lock",
        type=Path,
        help=f"the teacher's lock (default: ROOT/{LOCK_FILE})",
    )
    parser.add_argument(
        "--digest",
        metavar="SHA256",
        help=f"the lock's pinned SHA-256 (default: the environment variable"
        f" {DIGEST_ENV}, if set)",
    )
    parser.add_argument(
        "--allow-spec-changes",
        action="store_true",
        help="exit 0 when only specs or the quiz bank changed (grading with"
        " `--specs-from` uses the teacher's copies of those)",
    )
    parser.add_argument(
        "--markdown", type=Path, metavar="FILE", help="append a Markdown summary"
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="write the findings as JSON"
    )


def verify(args: argparse.Namespace) -> int:
    """Compare a tree with the teacher's lock, print what differs; return the status."""
    root = Path(args.root).resolve()
    lock_path = args.lock or root / LOCK_FILE
    pinned = args.digest or os.environ.get(DIGEST_ENV, "").strip() or None
    try:
        lock = read_lock(lock_path, pinned)
    except LockError as error:
        print(f"brickyard verify: {error}", file=sys.stderr)
        return EXIT_UNVERIFIABLE
    findings = check_tree(root, lock)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "lock": lock.digest,
                    "intact": not findings,
                    "findings": [
                        {"path": f.path, "change": f.change, "role": f.role}
                        for f in findings
                    ],
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    if args.markdown:
        with Path(args.markdown).open("a", encoding="utf-8") as handle:
            handle.write(markdown(findings, lock))
    if not findings:
        print(
            f"verify: the {len(lock.files)} files of the teacher's lock"
            f" ({lock.digest[:12]}) are unchanged."
        )
        return EXIT_INTACT
    print(f"verify: {len(findings)} of the teacher's files differ in {root}:")
    for finding in findings:
        print(f"  {finding.role:<8} {finding.describe()}")
    tooling = [finding for finding in findings if finding.role == TOOLING]
    if args.allow_spec_changes and not tooling:
        print(
            "verify: only specs, quiz files or files the exercises give differ;"
            " grading uses the teacher's copies of specs and quiz from the lock, and"
            " reports the others."
        )
        return EXIT_INTACT
    if tooling:
        print(
            "verify: the grader or its tooling was changed, so this tree's grading"
            " cannot be trusted. Restore the files listed above from the template."
        )
    return EXIT_CHANGED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="integrity.py",
        description="Check a student's tree against the teacher's brickyard.lock.",
    )
    add_arguments(parser)
    return verify(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
