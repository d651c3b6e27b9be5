"""A Markdown summary (`--markdown FILE`), for `$GITHUB_STEP_SUMMARY` and reviews.

As at the terminal, the scores count the checks the student sees; hidden checks are
told only as the points they are worth, never by title or verdict.
"""

from __future__ import annotations

from pathlib import Path

from grader.reports.model import (
    GradingReport,
    is_hidden,
    points,
    shown_feedback,
    shown_max,
    shown_score,
)


def markdown_summary(report: GradingReport) -> str:
    """Return the summary: the total, a table per exercise, failures in detail."""
    after = report.after_due_date
    lines = [
        f"## brickyard: {report.shown_score()}/{report.shown_max()} points",
        "",
        "| exercise | points | result |",
        "|---|---|---|",
    ]
    for exercise in report.exercises:
        score, most = shown_score(exercise, after), shown_max(exercise, after)
        shown = [c for c in exercise.checks if not is_hidden(c.visibility, after)]
        verdict = (
            "cannot be graded"
            if exercise.error
            else (
                "full marks"
                if score == most and all(check.passed for check in shown)
                else "to do"
            )
        )
        lines.append(f"| {exercise.id} | {score}/{most} | {verdict} |")
    hidden = report.hidden_points()
    if hidden:
        lines += [
            "",
            f"_And {points(hidden)} in hidden checks, shown after grading closes._",
        ]
    for exercise in report.exercises:
        failing = [
            check
            for check in exercise.checks
            if not check.passed and not is_hidden(check.visibility, after)
        ]
        if not failing and not exercise.error:
            continue
        lines += ["", f"### {exercise.id}", ""]
        if exercise.error:
            lines += ["```", exercise.error, "```"]
        for check in failing:
            feedback = shown_feedback(check, after).replace("\n", " ")
            title = check.title or check.id
            lines.append(f"- **{title}** ({points(check.max_score)}): {feedback}")
    return "\n".join(lines) + "\n"


def write_markdown(report: GradingReport, path: Path) -> None:
    """Append the summary to `path` (GitHub's step summary file is shared)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(markdown_summary(report))
