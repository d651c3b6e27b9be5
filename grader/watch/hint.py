"""`brickyard hint SELECTOR`: every hint of one exercise, the failing checks first."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Any

from grader.spec import Exercise, SpecError, load_exercise
from grader.watch.state import STATE_FILE, ExerciseProgress, Progress
from grader.workspace import SelectionError, require_exercises, select

#: Exit statuses, as `brickyard grade` uses them.
EXIT_OK, EXIT_USAGE = 0, 2


def hint_lines(
    exercise: Exercise, last: ExerciseProgress | None, width: int = 88
) -> list[str]:
    """The hints of `exercise` as lines of text, the checks that failed last first.

    `last` is the exercise's last full grade (from the state file), if any. Hidden
    checks keep their hints to themselves, as they keep their results.
    """
    visible = [check for check in exercise.checks if check.visibility == "visible"]
    failed = set(last.failed) if last else set()
    ordered = [c for c in visible if c.id in failed] + [
        c for c in visible if c.id not in failed
    ]
    if last is None:
        lines = [
            "Not graded by `brickyard watch` yet: every check's hint, in the"
            " exercise's order."
        ]
    else:
        when = last.graded.replace("T", " ")[:16]
        verdict = "full marks" if last.done else "failing checks first"
        lines = [
            f"Last graded {when} UTC: {last.score}/{last.max_score} points; {verdict}."
        ]
    for check in ordered:
        state = "FAIL" if check.id in failed else ("pass" if last else "    ")
        lines.append("")
        points = f"{check.points} point{'s' if check.points != 1 else ''}"
        lines.append(f"  {state}  {check.title}  [{check.id}, {points}]")
        text = check.hint.strip() or "(this check has no hint)"
        lines += textwrap.wrap(
            text,
            width=max(width, 40),
            initial_indent="        Try: ",
            subsequent_indent="             ",
        )
    hidden = sum(check.points for check in exercise.checks) - sum(
        check.points for check in visible
    )
    if hidden:
        lines += [
            "",
            f"  and {hidden} points in hidden checks, whose hints stay hidden",
        ]
    return lines


def add_parser(commands: Any) -> None:
    """Add `hint` to the command line's subcommands."""
    parser = commands.add_parser(
        "hint", help="show the hints of one exercise, the failing checks first"
    )
    parser.add_argument(
        "selector",
        nargs="?",
        metavar="SELECTOR",
        help="exercise number or name (default: the first not at full marks)",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="the tree whose exercises/ to read (default: here)",
    )


def run(args: argparse.Namespace) -> int:
    """Print the hints of the exercise `args.selector`, or of the first unfinished."""
    root = args.root.resolve()
    try:
        folders = require_exercises(root)
        if args.selector is None:
            # Full marks everywhere: the hints of the first exercise still help.
            folder = Progress.load(root).first_unfinished(folders) or folders[0]
        else:
            folder = select(folders, [args.selector])[0]
        exercise = load_exercise(folder.path)
    except (SelectionError, SpecError) as error:
        print(f"brickyard: {error}", file=sys.stderr)
        return EXIT_USAGE
    last = Progress.load(root).exercises.get(exercise.id)
    print(f"Hints for {exercise.id}: {exercise.title}")
    for line in hint_lines(exercise, last):
        print(line)
    if last is None:
        print(
            f"\n(`nox -s watch` saves each grade in {STATE_FILE}; then the checks"
            " that failed come first.)"
        )
    return EXIT_OK
