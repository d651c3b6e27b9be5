"""A Markdown summary (`--markdown FILE`), for `$GITHUB_STEP_SUMMARY` and reviews."""

from __future__ import annotations

from pathlib import Path

from grader.reports.model import GradingReport, shown_feedback


def markdown_summary(report: GradingReport) -> str:
    """Return the summary: the total, a table per exercise, failures in detail."""
    lines = [
        f"## brickyard: {report.score}/{report.max_score} points",
        "",
        "| exercise | points | result |",
        "|---|---|---|",
    ]
    for exercise in report.exercises:
        verdict = (
            "cannot be graded"
            if exercise.error
            else ("full marks" if exercise.score == exercise.max_score else "to do")
        )
        lines.append(
            f"| {exercise.id} | {exercise.score}/{exercise.max_score} | {verdict} |"
        )
    hidden = report.hidden_points()
    if hidden:
        lines += ["", f"_{hidden} more points come from hidden checks._"]
    for exercise in report.exercises:
        failing = [
            c for c in exercise.checks if not c.passed and c.visibility == "visible"
        ]
        if not failing and not exercise.error:
            continue
        lines += ["", f"### {exercise.id}", ""]
        if exercise.error:
            lines += ["```", exercise.error, "```"]
        for check in failing:
            feedback = shown_feedback(check).replace("\n", " ")
            title = check.title or check.id
            lines.append(f"- **{title}** ({check.max_score} points): {feedback}")
    return "\n".join(lines) + "\n"


def write_markdown(report: GradingReport, path: Path) -> None:
    """Append the summary to `path` (GitHub's step summary file is shared)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(markdown_summary(report))
