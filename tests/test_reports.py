"""Report formats made from recorded results: JUnit, Gradescope, Classroom, Markdown."""

from __future__ import annotations

import base64
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from grader.prompts import render_classroom_workflow
from grader.reports.classroom import runner_results, step_output
from grader.reports.gradescope import gradescope_results
from grader.reports.html import render_html
from grader.reports.junit import write_junit
from grader.reports.markdown import markdown_summary
from grader.reports.model import GradingReport
from grader.reports.terminal import TerminalReport

RECORDED = Path(__file__).parent / "resources" / "report-01-starter.json"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def report() -> GradingReport:
    data = json.loads(RECORDED.read_text())
    graded = GradingReport.from_dict(data)
    # Mark one failing check hidden, as a teacher may.
    graded.exercises[0].checks[-1].visibility = "hidden"
    return graded


def test_json_round_trip_keeps_scores(report: GradingReport) -> None:
    data = json.loads(RECORDED.read_text())

    assert report.score == data["score"]
    assert report.max_score == data["max_score"]
    assert (
        GradingReport.from_dict(report.to_dict()).to_dict()["exercises"]
        == (report.to_dict()["exercises"])
    )


def test_junit_has_a_case_per_check_with_points_and_feedback(
    report: GradingReport, tmp_path: Path
) -> None:
    path = tmp_path / "junit.xml"
    checks = report.exercises[0].checks

    write_junit(report, path)

    root = ET.parse(path).getroot()
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(checks)
    failed = [case for case in cases if case.find("failure") is not None]
    visible = [check for check in checks if check.visibility == "visible"]
    assert len(failed) == sum(not check.passed for check in visible)
    for case, check in zip(cases, visible, strict=False):
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert properties["score"] == str(check.score)
        assert properties["max_score"] == str(check.max_score)
        assert properties["feedback"] == check.feedback
        assert properties["hint"] == check.hint
        assert check.feedback in (case.findtext("system-out") or "")
    suite = root.find("./testsuite/properties")
    assert suite is not None
    totals = {p.get("name"): p.get("value") for p in suite}
    assert totals == {"score": "3", "max_score": "7", "hidden_points": "2"}


def test_junit_tells_only_that_a_hidden_check_exists(
    report: GradingReport, tmp_path: Path
) -> None:
    path = tmp_path / "junit.xml"
    hidden = report.exercises[0].checks[-1]

    write_junit(report, path)

    text = path.read_text()
    assert hidden.title not in text and hidden.id not in text
    assert hidden.title == "docker stop stops the container within 3 s"
    assert "docker stop" not in text and hidden.hint not in text
    root = ET.parse(path).getroot()
    case = root.findall("./testsuite/testcase")[-1]
    assert case.get("name") == "hidden check 1"
    assert case.find("failure") is None and case.find("system-out") is None
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties == {"visibility": "hidden", "max_score": "2"}
    assert root.get("failures") == "2"


def test_gradescope_results_have_the_documented_fields(report: GradingReport) -> None:
    results = gradescope_results(report)

    assert isinstance(results["score"], int | float)
    assert isinstance(results["execution_time"], int)
    for test in results["tests"]:
        assert {
            "name",
            "score",
            "max_score",
            "status",
            "output",
            "visibility",
        } <= test.keys()
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in (
            "visible",
            "hidden",
            "after_due_date",
            "after_published",
        )
    assert sum(test["score"] for test in results["tests"]) == report.score
    assert results["tests"][-1]["visibility"] == "hidden"
    # The run's own output is always shown: it counts the visible checks only.
    assert results["output"] == (
        "brickyard graded 1 exercise(s): 3/7 points, and 2 points in checks shown"
        " later."
    )


def test_classroom_runner_is_base64_json_with_integer_points(
    report: GradingReport,
) -> None:
    exercise = report.exercises[0]

    line = step_output(exercise)

    assert line.startswith("result=")
    decoded = json.loads(base64.b64decode(line.removeprefix("result=")))
    assert decoded == runner_results(exercise)
    assert decoded["version"] == 1 and decoded["status"] == "fail"
    assert decoded["max_score"] == exercise.max_score
    assert all(isinstance(test["score"], int) for test in decoded["tests"])
    assert sum(test["score"] for test in decoded["tests"]) == exercise.score


def test_classroom_folds_hidden_checks_into_one_neutral_entry(
    report: GradingReport,
) -> None:
    exercise = report.exercises[0]
    # A hidden check that passed, beside the hidden one that failed.
    exercise.checks[1].visibility = "hidden"

    decoded = runner_results(exercise)

    text = json.dumps(decoded)
    for check in (exercise.checks[1], exercise.checks[-1]):
        assert check.title not in text and check.id not in text
    assert len(decoded["tests"]) == len(exercise.checks) - 1
    folded = decoded["tests"][-1]
    assert folded["name"].startswith("hidden checks worth 4 points")
    assert folded["status"] == "pass" and folded["message"] == ""
    # Classroom's grade is the sum of the scores: the hidden points still count.
    assert folded["score"] == 2
    assert sum(test["score"] for test in decoded["tests"]) == exercise.score


def test_markdown_summary_shows_visible_scores_and_the_hidden_points(
    report: GradingReport,
) -> None:
    text = markdown_summary(report)

    # Visible checks only, as the terminal counts them: 3 of 7, 2 points hidden.
    assert "## brickyard: 3/7 points" in text
    assert "| 01-first-image | 3/7 | to do |" in text
    assert "_And 2 points in hidden checks, shown after grading closes._" in text
    hidden = report.exercises[0].checks[-1]
    assert hidden.title not in text
    assert "(1 point):" in text and "(1 points)" not in text


def test_classroom_workflow_has_a_runner_per_exercise() -> None:
    folders = sorted(path for path in (REPO / "exercises").iterdir() if path.is_dir())

    workflow = yaml.safe_load(render_classroom_workflow(folders))

    job = workflow["jobs"]["run-autograding-tests"]
    # The teacher reveals after_due_date checks by setting a variable, no edit.
    assert job["env"]["BRICKYARD_AFTER_DUE_DATE"] == (
        "${{ vars.BRICKYARD_AFTER_DUE_DATE }}"
    )
    steps = job["steps"]
    reporter = steps[-1]
    runners = reporter["with"]["runners"].split(",")
    assert runners == [f"ex{folder.name[:2]}" for folder in folders]
    step_ids = {step.get("id") for step in steps}
    for runner in runners:
        assert runner in step_ids
        assert (
            f"steps.{runner}.outputs.result"
            in reporter["env"][f"{runner.upper()}_RESULTS"]
        )


def test_terminal_tells_hidden_points_without_their_verdict(
    report: GradingReport,
) -> None:
    stream = io.StringIO()
    terminal = TerminalReport(stream=stream)
    hidden = report.exercises[0].checks[-1]

    for check in report.exercises[0].checks:
        terminal.check_line(check)
    terminal.summary(report)

    text = stream.getvalue()
    assert hidden.title not in text
    assert f"and {hidden.max_score} points in hidden checks" in text
    visible_max = report.max_score - hidden.max_score
    assert f"/{visible_max}" in text


def test_after_due_date_checks_are_hidden_until_grading_closes(
    report: GradingReport, tmp_path: Path
) -> None:
    late = report.exercises[0].checks[2]
    late.visibility = "after_due_date"
    exercise = report.exercises[0]

    def shown_everywhere(graded: GradingReport) -> list[bool]:
        stream = io.StringIO()
        terminal = TerminalReport(stream=stream, after_due_date=graded.after_due_date)
        for check in exercise.checks:
            terminal.check_line(check)
        write_junit(graded, tmp_path / "junit.xml")
        return [
            late.title in markdown_summary(graded),
            late.title in stream.getvalue(),
            late.id in (tmp_path / "junit.xml").read_text(),
            late.title in json.dumps(runner_results(exercise, graded.after_due_date)),
            late.title in render_html(graded),
        ]

    assert shown_everywhere(report) == [False] * 5
    report.after_due_date = True
    assert shown_everywhere(report) == [True] * 5
    # Gradescope applies the visibility itself, whatever the run was told.
    assert gradescope_results(report)["tests"][2]["visibility"] == "after_due_date"
    again = GradingReport.from_dict(report.to_dict())
    assert again.after_due_date


def test_control_characters_from_the_engine_never_reach_a_report(
    report: GradingReport, tmp_path: Path
) -> None:
    data = report.to_dict()
    check = data["exercises"][0]["checks"][2]
    check["feedback"] = "Step 1/2 : \x1b[2J\x1b]0;owned\x07FROM \x00\x08junk\r\nnext"
    check["evidence"] = {"build log": ["\x1b[31mred\x1b[0m", "\x9bbell\x07"]}

    cleaned = GradingReport.from_dict(data)
    stream = io.StringIO()
    TerminalReport(stream=stream).check_line(cleaned.exercises[0].checks[2])
    write_junit(cleaned, tmp_path / "junit.xml")

    texts = [
        stream.getvalue(),
        markdown_summary(cleaned),
        (tmp_path / "junit.xml").read_text(),
        render_html(cleaned),
    ]
    for text in texts:
        assert not any(ord(c) < 32 and c not in "\n\t" for c in text), repr(text)
        assert "\x9b" not in text and "owned" not in text
    assert cleaned.exercises[0].checks[2].feedback == "Step 1/2 : FROM junk\nnext"
    assert cleaned.exercises[0].checks[2].evidence == {"build log": ["red", "bell"]}
    ET.parse(tmp_path / "junit.xml")
