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


def test_junit_has_a_case_per_check_with_points(
    report: GradingReport, tmp_path: Path
) -> None:
    path = tmp_path / "junit.xml"

    write_junit(report, path)

    root = ET.parse(path).getroot()
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(report.exercises[0].checks)
    failed = [case for case in cases if case.find("failure") is not None]
    assert len(failed) == sum(not check.passed for check in report.exercises[0].checks)
    properties = {p.get("name"): p.get("value") for p in cases[0].iter("property")}
    assert {"score", "max_score", "kind", "visibility"} <= properties.keys()
    hidden = cases[-1].find("failure")
    assert hidden is not None and "hidden" in (hidden.text or "")


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
    hidden = decoded["tests"][-1]
    assert hidden["name"].startswith("hidden check") and hidden["message"] == ""


def test_markdown_summary_shows_total_and_failures_but_not_hidden(
    report: GradingReport,
) -> None:
    text = markdown_summary(report)

    assert f"{report.score}/{report.max_score} points" in text
    assert "| 01-first-image |" in text
    hidden = report.exercises[0].checks[-1]
    assert hidden.title not in text
    assert "hidden checks" in text


def test_classroom_workflow_has_a_runner_per_exercise() -> None:
    folders = sorted(path for path in (REPO / "exercises").iterdir() if path.is_dir())

    workflow = yaml.safe_load(render_classroom_workflow(folders))

    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
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
