"""JUnit XML (`--junit FILE`): one test suite per exercise, one test case per check.

Each test case carries its points (`score`, `max_score`), `kind`, `title`,
`feedback` and `hint` as properties, and the same text in `<system-out>`; a failed
check is also a `<failure>` whose message is the first line of its feedback and
whose text holds the feedback, the hint and the evidence. A hidden check is a test
case named `hidden check N` that carries only `visibility` and `max_score`: no title,
no score, no feedback and never a failure, so nothing tells whether it passed. The
suites' scores and failure counts leave hidden checks out and say how many points
they hide (`hidden_points`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from grader.checks.result import CheckResult
from grader.plugin import ExerciseResult
from grader.reports.model import (
    GradingReport,
    full_feedback,
    hidden_points,
    is_hidden,
    shown_score,
)


def junit_tree(report: GradingReport) -> ET.ElementTree:
    """Build the XML tree of `report`."""
    after = report.after_due_date
    root = ET.Element(
        "testsuites",
        name="brickyard",
        tests=str(sum(len(e.checks) for e in report.exercises)),
        failures=str(sum(count_failures(e, after) for e in report.exercises)),
        time=f"{report.seconds:.2f}",
    )
    for exercise in report.exercises:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=exercise.id,
            tests=str(len(exercise.checks)),
            failures=str(count_failures(exercise, after)),
            errors="1" if exercise.error else "0",
            time=f"{sum(check.seconds for check in exercise.checks):.2f}",
        )
        hidden = hidden_points(exercise.checks, after)
        add_properties(
            suite,
            score=shown_score(exercise, after),
            max_score=exercise.max_score - hidden,
            hidden_points=hidden,
        )
        if exercise.error:
            case = ET.SubElement(
                suite, "testcase", classname=exercise.id, name="exercise.yaml"
            )
            ET.SubElement(
                case, "error", message="the exercise cannot be graded"
            ).text = exercise.error
        number = 0
        for check in exercise.checks:
            if is_hidden(check.visibility, after):
                number += 1
                add_hidden_case(suite, check, number)
            else:
                add_case(suite, check)
    return ET.ElementTree(root)


def count_failures(exercise: ExerciseResult, after_due_date: bool) -> int:
    """The visible checks of `exercise` that did not pass."""
    return sum(
        not check.passed
        for check in exercise.checks
        if not is_hidden(check.visibility, after_due_date)
    )


def add_properties(parent: ET.Element, **values: object) -> None:
    properties = ET.SubElement(parent, "properties")
    for name, value in values.items():
        ET.SubElement(properties, "property", name=name, value=str(value))


def add_case(suite: ET.Element, check: CheckResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=check.exercise,
        name=check.id,
        time=f"{check.seconds:.2f}",
    )
    add_properties(
        case,
        title=check.title,
        kind=check.kind,
        score=check.score,
        max_score=check.max_score,
        visibility=check.visibility,
        feedback=check.feedback,
        hint=check.hint,
    )
    text = full_feedback(check)
    ET.SubElement(case, "system-out").text = text
    if check.passed:
        return
    tag = "error" if check.status == "error" else "failure"
    failure = ET.SubElement(case, tag, message=text.splitlines()[0] if text else "")
    failure.text = text


def add_hidden_case(suite: ET.Element, check: CheckResult, number: int) -> None:
    """A hidden check: that it exists and what it is worth, nothing more."""
    case = ET.SubElement(
        suite, "testcase", classname=check.exercise, name=f"hidden check {number}"
    )
    add_properties(case, visibility=check.visibility, max_score=check.max_score)


def write_junit(report: GradingReport, path: Path) -> None:
    """Write `report` as JUnit XML to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = junit_tree(report)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
