"""What a bulk run tells the teacher: the gradebook, pass rates and the distribution."""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import jinja2

from grader import __version__
from grader.checks.registry import brief
from grader.teacher.bulk import Graded
from grader.teacher.specs import INTEGRITY_EXERCISE

INTEGRITY_KIND = "teacher_files_intact"
#: The score distribution's bins, in percent of the maximum: 0-9, 10-19, ... 90-100.
BINS = 10


@dataclass
class Row:
    """One student's line of the gradebook."""

    name: str
    scores: dict[str, int]
    total: int | None
    max_total: int | None
    status: str
    #: The teacher's files this submission changed (specs, grader, workflow).
    changed: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def percent(self) -> float | None:
        if self.total is None or not self.max_total:
            return None
        return 100.0 * self.total / self.max_total


@dataclass
class CheckRate:
    """How many graded students passed one check."""

    exercise: str
    check: str
    title: str
    points: int
    passed: int = 0
    graded: int = 0

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


@dataclass
class ClassSummary:
    """Everything the gradebook, the terminal summary and the HTML report show."""

    rows: list[Row]
    exercises: list[str]
    maxima: dict[str, int]
    rates: list[CheckRate]
    #: (label, count) per bin of the total score in percent.
    histogram: list[tuple[str, int]]

    @property
    def graded(self) -> list[Row]:
        return [row for row in self.rows if row.total is not None]

    @property
    def hardest(self) -> list[CheckRate]:
        """Checks by pass rate, lowest first; the ones the class struggles with."""
        return sorted(
            (rate for rate in self.rates if rate.graded),
            key=lambda rate: (rate.rate, rate.exercise, rate.check),
        )

    def mean(self) -> float | None:
        values = [row.percent for row in self.graded if row.percent is not None]
        return statistics.mean(values) if values else None

    def median(self) -> float | None:
        values = [row.percent for row in self.graded if row.percent is not None]
        return statistics.median(values) if values else None


def summarize(results: list[Graded], expected: list[str]) -> ClassSummary:
    """Gather the results of a bulk run; `expected` orders the exercise columns."""
    exercises: list[str] = []
    maxima: dict[str, int] = {}
    rates: dict[tuple[str, str], CheckRate] = {}
    for graded in results:
        for exercise in graded.report.exercises if graded.report else []:
            if exercise.id == INTEGRITY_EXERCISE:
                continue
            if exercise.id not in exercises:
                exercises.append(exercise.id)
            maxima[exercise.id] = max(maxima.get(exercise.id, 0), exercise.max_score)
            for check in exercise.checks:
                if check.kind == INTEGRITY_KIND:
                    continue
                rate = rates.setdefault(
                    (exercise.id, check.id),
                    CheckRate(exercise.id, check.id, check.title, check.max_score),
                )
                rate.graded += 1
                rate.passed += int(check.passed)
    order = {name: index for index, name in enumerate(expected)}
    exercises.sort(key=lambda name: (order.get(name, len(order)), name))

    rows = [row_of(graded, exercises) for graded in results]
    counts = [0] * BINS
    for row in rows:
        if row.percent is not None:
            counts[min(BINS - 1, int(row.percent // (100 / BINS)))] += 1
    step = 100 // BINS
    labels = [
        f"{low}-{low + step - 1}%" if low + step < 100 else f"{low}-100%"
        for low in range(0, 100, step)
    ]
    ordered_rates = sorted(
        rates.values(), key=lambda rate: order.get(rate.exercise, len(order))
    )
    return ClassSummary(
        rows, exercises, maxima, ordered_rates, list(zip(labels, counts, strict=True))
    )


def row_of(graded: Graded, exercises: list[str]) -> Row:
    """The gradebook row of one submission."""
    report = graded.report
    if report is None:
        return Row(graded.name, {}, None, None, graded.status, error=graded.error or "")
    scores = {
        exercise.id: exercise.score
        for exercise in report.exercises
        if exercise.id in exercises
    }
    changed = []
    for exercise in report.exercises:
        for check in exercise.checks:
            if check.kind == INTEGRITY_KIND and not check.passed:
                changed += [name for name in check.evidence if name != "compared with"]
    return Row(
        graded.name,
        scores,
        report.score,
        report.max_score,
        graded.status,
        sorted(set(changed)),
        graded.error or "",
    )


def write_gradebook(summary: ClassSummary, path: Path) -> None:
    """Write the gradebook: one row per student, one column per exercise, total."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["student", *summary.exercises, "total", "max", "changed_files", "error"]
        )
        for row in summary.rows:
            writer.writerow(
                [
                    row.name,
                    *(row.scores.get(name, "") for name in summary.exercises),
                    "" if row.total is None else row.total,
                    "" if row.max_total is None else row.max_total,
                    brief(row.changed, 10),
                    row.error,
                ]
            )


def print_summary(summary: ClassSummary, stream: TextIO) -> None:
    """Print the pass rate of every check (hardest first) and the distribution."""
    graded = len(summary.graded)
    write = stream.write
    write(f"\n{graded} of {len(summary.rows)} submission(s) graded")
    mean, median = summary.mean(), summary.median()
    if mean is not None and median is not None:
        write(f"; mean {mean:.0f}%, median {median:.0f}% of the points")
    write("\n\nPass rate of every check, hardest first:\n")
    for rate in summary.hardest:
        bar = "#" * round(rate.rate * 20)
        write(
            f"  {rate.rate:>4.0%} {bar:<20} {rate.passed}/{rate.graded}"
            f"  {rate.exercise} {rate.check}: {rate.title}\n"
        )
    write("\nScore distribution (share of the maximum):\n")
    for label, count in summary.histogram:
        write(f"  {label:>8} {'#' * count:<{max(1, graded)}} {count}\n")
    changed = [row for row in summary.rows if row.changed]
    if changed:
        write(
            "\nSubmissions that changed the teacher's files (graded with the"
            " teacher's all the same):\n"
        )
        for row in changed:
            write(f"  {row.name}: {brief(row.changed)}\n")
    failed = [row for row in summary.rows if row.error]
    if failed:
        write("\nSubmissions that could not be graded:\n")
        for row in failed:
            write(f"  {row.name}: {row.error}\n")


def render_html(summary: ClassSummary, title: str) -> str:
    """The class report as one self-contained HTML page (no scripts, no network)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("grader", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["brief"] = brief
    by_exercise: dict[str, list[CheckRate]] = {}
    for rate in summary.rates:
        by_exercise.setdefault(rate.exercise, []).append(rate)
    peak = max((count for _, count in summary.histogram), default=0)
    return environment.get_template("class-report.html.j2").render(
        title=title,
        summary=summary,
        by_exercise=by_exercise,
        peak=max(1, peak),
        version=__version__,
    )
