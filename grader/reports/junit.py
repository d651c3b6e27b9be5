"""JUnit XML (`--junit FILE`): one test suite per exercise, one test case per check.

Each test case carries its points as properties (`score`, `max_score`, `kind`); a
failed check is a `<failure>` whose message is the first line of its feedback and
whose text holds the feedback, the hint and the evidence. Hidden checks keep their
points but show no feedback.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from grader.checks.result import CheckResult
from grader.reports.model import GradingReport, shown_feedback


def junit_tree(report: GradingReport) -> ET.ElementTree:
    """Build the XML tree of `report`."""
    root = ET.Element(
        "testsuites",
        name="brickyard",
        tests=str(sum(len(e.checks) for e in report.exercises)),
        failures=str(sum(not c.passed for e in report.exercises for c in e.checks)),
        time=f"{report.seconds:.2f}",
    )
    for exercise in report.exercises:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=exercise.id,
            tests=str(len(exercise.checks)),
            failures=str(sum(not check.passed for check in exercise.checks)),
            errors="1" if exercise.error else "0",
            time=f"{sum(check.seconds for check in exercise.checks):.2f}",
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("score", exercise.score),
            ("max_score", exercise.max_score),
        ):
            ET.SubElement(properties, "property", name=name, value=str(value))
        if exercise.error:
            case = ET.SubElement(
                suite, "testcase", classname=exercise.id, name="exercise.yaml"
            )
            ET.SubElement(
                case, "error", message="the exercise cannot be graded"
            ).text = exercise.error
        for check in exercise.checks:
            add_case(suite, check)
    return ET.ElementTree(root)


def add_case(suite: ET.Element, check: CheckResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=check.exercise,
        name=check.id,
        time=f"{check.seconds:.2f}",
    )
    properties = ET.SubElement(case, "properties")
    for name, value in (
        ("title", check.title),
        ("kind", check.kind),
        ("score", check.score),
        ("max_score", check.max_score),
        ("visibility", check.visibility),
    ):
        ET.SubElement(properties, "property", name=name, value=str(value))
    if check.passed:
        return
    text = shown_feedback(check)
    tag = "error" if check.status == "error" else "failure"
    failure = ET.SubElement(case, tag, message=text.splitlines()[0] if text else "")
    failure.text = text


def write_junit(report: GradingReport, path: Path) -> None:
    """Write `report` as JUnit XML to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = junit_tree(report)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
