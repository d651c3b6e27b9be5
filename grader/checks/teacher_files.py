"""Integrity check: the teacher's files in a submission are the teacher's."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader.checks.registry import Need, Outcome, brief, check_kind
from grader.engine.session import ExerciseSession
from grader.teacher.integrity import compare, sha256_file


@dataclass(frozen=True)
class TeacherFilesParams:
    """The teacher's checksums of files a student must leave as they are."""

    #: Each protected file, relative to `submission`, with the SHA-256 of the
    #: teacher's copy.
    files: dict[str, str]
    #: The submission's folder; a relative path is read from the exercise folder.
    submission: str = "."
    #: Folders under `submission` that only the teacher fills: any other file in
    #: them counts as a change.
    sealed: list[str] = field(default_factory=list)
    #: Paths under `submission` that must not exist at all.
    forbidden: list[str] = field(default_factory=list)
    #: Where the checksums come from, named in the message (e.g. the lock's digest).
    reference: str = "the teacher's template"


@check_kind("teacher_files_intact", Need.FILES, TeacherFilesParams)
def teacher_files_intact(
    session: ExerciseSession, params: TeacherFilesParams
) -> Outcome:
    """The teacher's files (specs, grader, quiz bank) are unchanged in the submission.

    Every listed file is hashed and compared with the teacher's SHA-256; in the
    sealed folders a file the teacher did not ship counts as added, and a forbidden
    path counts when it exists. `brickyard grade --specs-from` adds this check, with
    0 points, to each exercise it grades with the teacher's spec and to an exercise
    `00-teacher-files` for the grader itself: the grading already ignores the
    student's copies, and this check says so, naming each changed file, instead of
    letting a change pass unseen. A submission that leaves the files alone passes,
    whatever else it changes.

    Example:
        - id: teacher-spec
          kind: teacher_files_intact
          title: exercise.yaml is the teacher's
          points: 0
          params:
            submission: /home/teacher/class/alice
            files:
              exercises/01-first-image/exercise.yaml: 5d41402abc4b2a76b9719d911017c592
    """
    root = Path(params.submission)
    if not root.is_absolute():
        root = session.folder / root
    findings = compare(root, params.files, None, params.sealed, params.forbidden)
    evidence: dict[str, object] = {"compared with": params.reference}
    if not findings:
        return Outcome(
            True,
            f"The {len(params.files)} file(s) of the teacher checked here are"
            " unchanged.",
            evidence,
        )
    for finding in findings:
        target = root / finding.path
        if finding.change == "modified" and target.is_file():
            evidence[finding.path] = (
                f"changed: SHA-256 {sha256_file(target)[:12]}, the teacher's"
                f" {params.files[finding.path][:12]}"
            )
        else:
            evidence[finding.path] = (
                finding.describe().removeprefix(finding.path).strip()
            )
    names = brief([finding.path for finding in findings], 5)
    return Outcome(
        False,
        f"{len(findings)} of the teacher's files differ in your repository: {names}."
        " Grading used the teacher's versions, so these changes had no"
        " effect on your points, and your teacher sees this list.",
        evidence,
    )
