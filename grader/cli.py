"""The `brickyard` command: grade exercises, prepare base images, clean up."""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import sys
import tempfile
import time
from pathlib import Path

import docker
import pytest

from grader import __version__
from grader.engine import cleanup
from grader.engine.client import EngineUnavailable, connect
from grader.engine.labels import RunIdentity
from grader.interrupts import stop_on_sigterm
from grader.plugin import ExerciseResult, GradingPlugin
from grader.quiz import command as quiz_command
from grader.quiz.grading import SELECTOR as QUIZ_SELECTOR
from grader.quiz.grading import grade_quiz, has_quiz, terminal_checks
from grader.quiz.keys import keys_given
from grader.reports.json_report import write_json
from grader.reports.model import (
    AFTER_DUE_DATE_VARIABLE,
    GradingReport,
    after_due_date_from_env,
)
from grader.reports.terminal import TerminalReport, silence
from grader.spec import SpecError, load_exercise
from grader.teacher import commands as teacher_commands
from grader.watch import command as watch_command
from grader.watch import hint as hint_command
from grader.workspace import (
    ExerciseFolder,
    SelectionError,
    discover,
    missing_solutions,
    require_exercises,
    select,
    solutions_overlay,
)

log = logging.getLogger(__name__)

#: Exit statuses: grading ran (whatever the score), or it could not run and why.
EXIT_GRADED, EXIT_USAGE, EXIT_NO_ENGINE, EXIT_STOPPED, EXIT_INTERRUPTED = (
    0,
    2,
    3,
    4,
    130,
)
#: Quiz keys were given (--quiz-keys, BRICKYARD_QUIZ_KEYS) but could not grade it.
EXIT_QUIZ_KEYS = 5
#: Grading ran, but a report file asked for could not be written.
EXIT_REPORT = 6


class GradingStopped(Exception):
    """The grading run itself failed (not the student's work); the message says so."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if getattr(args, "verbose", False):
        # The grader's own log only: urllib3's and docker's debug lines would bury
        # the results.
        logging.getLogger("grader").setLevel(logging.DEBUG)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handler = {
        "grade": run_grade,
        "validate": run_validate,
        "images": run_images,
        "clean": run_clean,
        "docs": run_docs,
        "classroom": run_classroom,
        "quiz": quiz_command.run,
        "hint": hint_command.run,
        "watch": watch_command.run,
        # Teachers' commands; this also wraps `grade` for --specs-from.
        **teacher_commands.handlers(grade=run_grade),
    }[args.command]
    try:
        return handler(args)
    except EngineUnavailable as error:
        print(f"brickyard: {error}", file=sys.stderr)
        return EXIT_NO_ENGINE
    except GradingStopped as error:
        print(f"brickyard: {error}", file=sys.stderr)
        return EXIT_STOPPED
    except KeyboardInterrupt:
        print(
            "brickyard: interrupted; what this run created on the engine was removed.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The output went to a reader that stopped (`| head`): it has what it
        # wanted, so end without a word.
        silence(sys.stdout)
        return EXIT_GRADED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="brickyard", description="Grade Docker exercises on a real engine."
    )
    parser.add_argument(
        "--version", action="version", version=f"brickyard {__version__}"
    )
    commands = parser.add_subparsers(dest="command")

    grade = commands.add_parser(
        "grade", help="build and run the exercises and grade them"
    )
    grade.add_argument(
        "selectors",
        nargs="*",
        metavar="SELECTOR",
        help="exercise number (01) or name (first-image), or `quiz`; all when none",
    )
    grade.add_argument(
        "--quiz-keys",
        type=Path,
        metavar="FILE",
        help="grade the quiz with this clear keys file (default: the environment"
        " variable BRICKYARD_QUIZ_KEYS, else quiz/practice.yaml)",
    )
    grade.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="the tree whose exercises/ to grade (default: here)",
    )
    grade.add_argument(
        "--solutions",
        action="store_true",
        help="grade each exercise with its solution laid over the starter"
        " (in a temporary copy)",
    )
    grade.add_argument(
        "--json", type=Path, metavar="FILE", help="write the results as JSON"
    )
    grade.add_argument(
        "--junit", type=Path, metavar="FILE", help="write the results as JUnit XML"
    )
    grade.add_argument(
        "--gradescope",
        type=Path,
        metavar="FILE",
        help="write Gradescope's results.json",
    )
    grade.add_argument(
        "--markdown",
        type=Path,
        metavar="FILE",
        help="append a Markdown summary (e.g. to $GITHUB_STEP_SUMMARY)",
    )
    grade.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="write an HTML report, with a chart of each image's layers and wasted"
        " bytes (measuring them takes a few seconds per image)",
    )
    grade.add_argument(
        "--after-due-date",
        action="store_true",
        help="grading has closed: show `after_due_date` checks like visible ones in"
        f" every report (or set {AFTER_DUE_DATE_VARIABLE}=1)",
    )
    loudness = grade.add_mutually_exclusive_group()
    loudness.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show evidence for passing checks and the grader's log",
    )
    loudness.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="show only failing checks and the scores",
    )

    images = commands.add_parser(
        "images", help="make the base images the exercises use available"
    )
    images.add_argument(
        "--stand-in",
        action="store_true",
        help="build stand-ins even where a registry answers",
    )
    images.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="also record the offline Debian packages that this tree's exercises"
        " list (default: here)",
    )

    classroom = commands.add_parser(
        "classroom",
        help="print one exercise's GitHub Classroom result line from a JSON report",
    )
    classroom.add_argument("exercise", help="exercise number or name, e.g. 01")
    classroom.add_argument(
        "--report", type=Path, required=True, help="the JSON report of `grade --json`"
    )
    classroom.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="the tree graded, where the exercise's points are read when the report"
        " is missing (default: here)",
    )
    classroom.add_argument(
        "--after-due-date",
        action="store_true",
        help="grading has closed: list `after_due_date` checks one by one (or set"
        f" {AFTER_DUE_DATE_VARIABLE}=1)",
    )

    validate = commands.add_parser(
        "validate",
        help="prove solutions score full marks and starters fail as their specs say",
    )
    validate.add_argument(
        "selectors",
        nargs="*",
        metavar="SELECTOR",
        help="exercise number or name; all when none",
    )
    validate.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="the tree to validate (default: here)",
    )

    commands.add_parser(
        "clean", help="remove what killed grading runs left on the engine"
    )

    docs = commands.add_parser(
        "docs", help="write the check reference and the JSON Schema"
    )
    docs.add_argument(
        "--check", action="store_true", help="only say whether they are current"
    )
    docs.add_argument(
        "--root", type=Path, default=Path("."), help="the repository to write into"
    )
    quiz_command.add_parser(commands)
    hint_command.add_parser(commands)
    watch_command.add_parser(commands)
    teacher_commands.add_parsers(commands)
    return parser


def choose_folders(root: Path, selectors: list[str]) -> list[ExerciseFolder] | None:
    """Return the selected exercise folders, or None after saying what is wrong."""
    try:
        return select(require_exercises(root), selectors)
    except SelectionError as error:
        quiz = f"\n  {QUIZ_SELECTOR}  the concepts quiz" if has_quiz(root) else ""
        print(f"brickyard: {error}{quiz}", file=sys.stderr)
        return None


def run_grade(args: argparse.Namespace) -> int:
    root = args.root.resolve()
    # The quiz is graded when no selector is given (if the tree has one) or named.
    selectors = [item for item in args.selectors if item.lower() != QUIZ_SELECTOR]
    quiz_named = len(selectors) < len(args.selectors)
    with_quiz = quiz_named or (not args.selectors and has_quiz(root))
    quiz_only = (quiz_named and not selectors) or (
        with_quiz and not selectors and not discover(root)
    )
    chosen = [] if quiz_only else choose_folders(root, selectors)
    if chosen is None:
        return EXIT_USAGE

    # The quiz alone needs no engine.
    client = connect() if chosen else None
    after_due_date = getattr(args, "after_due_date", False) or after_due_date_from_env()
    terminal = TerminalReport(
        verbose=args.verbose, quiet=args.quiet, after_due_date=after_due_date
    )
    engine = client.version().get("Version", "?") if client else ""
    what = "solutions" if args.solutions else "your work"
    terminal.write(
        f"brickyard {__version__}: grading {what} in {len(chosen)} exercise(s)"
        + (" and the quiz" if with_quiz else "")
        + (f" on Docker Engine {engine}" if client else "")
    )

    started = time.monotonic()
    identity = RunIdentity()
    results: list[ExerciseResult] = []
    # Only the HTML report draws the layers; measuring them is not free.
    layers = getattr(args, "html", None) is not None
    with stop_on_sigterm():
        if client and args.solutions:
            results = grade_solutions(root, chosen, client, identity, terminal, layers)
        elif client:
            results = grade_folders(chosen, client, identity, terminal, layers)
    status = EXIT_GRADED
    if with_quiz:
        quiz_keys = getattr(args, "quiz_keys", None)
        quiz = grade_quiz(root, quiz_keys, solutions=args.solutions)
        # CI that supplies keys must not pass silently with the quiz ungraded.
        if quiz.error and keys_given(quiz_keys):
            status = EXIT_QUIZ_KEYS
        terminal.heading(quiz.id, quiz.title)
        if quiz.error:
            terminal.exercise_error(quiz)
        # One line for all the questions not answered, not a block for each.
        for check in terminal_checks(quiz):
            terminal.listen("check_done", check)
        results.append(quiz)
    report = GradingReport(
        results,
        identity.run_id,
        time.monotonic() - started,
        engine,
        after_due_date=after_due_date,
    )
    terminal.summary(report)
    if not args.solutions:
        record_progress(root, results)
    if not write_reports(args, report, terminal) and status == EXIT_GRADED:
        status = EXIT_REPORT
    if status == EXIT_QUIZ_KEYS:
        print(
            "brickyard: the quiz keys given could not grade the quiz (see `quiz`"
            f" above); exit status {EXIT_QUIZ_KEYS}",
            file=sys.stderr,
        )
    return status


def record_progress(root: Path, results: list[ExerciseResult]) -> None:
    """Save each exercise's grade in .brickyard/progress.json, as `watch` does.

    `watch` then starts at the first exercise not at full marks, and `hint` lists
    the checks that failed first. An exercise that could not be graded is left as
    it was.
    """
    from grader.quiz.grading import QUIZ_ID
    from grader.watch.state import Progress

    graded = [item for item in results if not item.error and item.id != QUIZ_ID]
    if not graded:
        return
    progress = Progress.load(root)
    for exercise in graded:
        progress.record(exercise.id, exercise.checks)
    progress.save()


def grade_solutions(
    root: Path,
    folders: list[ExerciseFolder],
    client: docker.DockerClient,
    identity: RunIdentity,
    terminal: TerminalReport,
    collect_layers: bool,
) -> list[ExerciseResult]:
    """Grade the solutions of `folders`; one without a solution folder is an error."""
    missing = missing_solutions(root, folders)
    results = {}
    for folder in folders:
        if folder.id in missing:
            unsolved = ExerciseResult(folder.id, "", error=missing[folder.id])
            with contextlib.suppress(SpecError):
                # Its points still count, so the total says a solution is missing.
                spec = load_exercise(folder.path)
                unsolved.title = spec.title
                unsolved.max_score_declared = spec.max_score
            results[folder.id] = unsolved
            terminal.exercise_error(unsolved)
    solvable = [folder for folder in folders if folder.id not in missing]
    if solvable:
        with solutions_overlay(root, solvable) as copies:
            graded = grade_folders(copies, client, identity, terminal, collect_layers)
        results.update((result.id, result) for result in graded)
    return [results[folder.id] for folder in folders if folder.id in results]


def write_reports(
    args: argparse.Namespace, report: GradingReport, terminal: TerminalReport
) -> bool:
    """Write every report file the command line asked for; False if one failed.

    A report that cannot be written is said in one line; the others are still
    written.
    """
    from grader.reports.gradescope import write_gradescope
    from grader.reports.html import write_html
    from grader.reports.junit import write_junit
    from grader.reports.markdown import write_markdown

    writers = [
        (args.json, write_json, "JSON report", "results.json"),
        (args.junit, write_junit, "JUnit XML", "junit.xml"),
        (args.gradescope, write_gradescope, "Gradescope results", "results.json"),
        (args.markdown, write_markdown, "Markdown summary", "summary.md"),
        (getattr(args, "html", None), write_html, "HTML report", "report.html"),
    ]
    written = True
    for path, write, name, example in writers:
        if not path:
            continue
        try:
            write(report, path)
        except OSError as error:
            written = False
            message = report_error(name, path, error, example)
            print(f"brickyard: {message}", file=sys.stderr)
            continue
        terminal.write(f"{name}: {path}")
    return written


def report_error(name: str, path: Path, error: OSError, example: str) -> str:
    """Say why the report `name` could not be written to `path`, and what to do."""
    if path.is_dir():
        problem = "it is a folder"
        fix = f"name a file in it instead, e.g. {path / example}"
    elif isinstance(error, PermissionError):
        problem = "permission denied"
        fix = "name a file in a folder you can write to"
    else:
        problem = error.strerror or str(error)
        fix = "name a file in a folder that exists and that you can write to"
    return f"cannot write the {name} to {path}: {problem}; {fix}."


def grade_folders(
    folders: list[ExerciseFolder],
    client: docker.DockerClient,
    identity: RunIdentity,
    terminal: TerminalReport,
    collect_layers: bool = False,
) -> list[ExerciseResult]:
    """Grade `folders` through pytest with the grading plugin; return their results.

    With `collect_layers`, each exercise's image is measured for the HTML report.
    """
    plugin = GradingPlugin(
        client, identity, terminal.listen, collect_layers=collect_layers
    )
    results: dict[str, ExerciseResult] = {}
    specs = []
    for folder in folders:
        spec = folder.path / "exercise.yaml"
        if spec.is_file():
            specs.append(str(spec))
        else:
            missing = ExerciseResult(
                folder.id,
                "",
                error=f"{spec} is missing: this folder has no exercise spec,"
                " so it cannot be graded.",
            )
            results[folder.id] = missing
            terminal.exercise_error(missing)
    status: int = pytest.ExitCode.OK
    if specs:
        with tempfile.TemporaryDirectory(prefix="brickyard-pytest-") as scratch:
            ini = Path(scratch) / "pytest.ini"
            ini.write_text("[pytest]\n")
            status = pytest.main(pytest_arguments(ini, specs), plugins=[plugin])
    if status == pytest.ExitCode.INTERRUPTED:
        # pytest has run its session finish, so the plugin has cleaned up.
        raise KeyboardInterrupt
    if status not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise GradingStopped(
            f"the grading run stopped early (pytest exit status {int(status)}); the"
            " lines above say why. This is a problem in the grader: run again with"
            " --verbose and report it."
        )
    results.update(plugin.exercises)
    return [results[folder.id] for folder in folders if folder.id in results]


def pytest_arguments(ini: Path, specs: list[str]) -> list[str]:
    """pytest's command line for grading: no terminal output, no student conftest."""
    return [
        "-c",
        str(ini),
        "--rootdir",
        str(ini.parent),
        "-p",
        "no:terminal",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:doctest",
        "-p",
        "no:warnings",
        # Progress is written to the terminal while checks run (checks never print).
        "--capture=no",
        # A student's conftest.py must never run inside the grader.
        "--noconftest",
        *specs,
    ]


def run_classroom(args: argparse.Namespace) -> int:
    """Print `result=<base64>` for one exercise, for a workflow step's output.

    When the report is missing or unreadable (grading crashed), the line still
    comes, as a runner with status error and no points, so Classroom shows why.
    """
    import json

    from grader.reports.classroom import step_output

    try:
        data = json.loads(args.report.read_text(encoding="utf-8"))
        report = GradingReport.from_dict(data)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        return classroom_without_report(args, error)
    after_due_date = (
        args.after_due_date or after_due_date_from_env() or report.after_due_date
    )
    wanted = args.exercise.lower()
    for exercise in report.exercises:
        number, _, slug = exercise.id.partition("-")
        if wanted in (exercise.id, slug) or (
            wanted.isdigit() and number.isdigit() and int(wanted) == int(number)
        ):
            print(step_output(exercise, after_due_date))
            return EXIT_GRADED
    known = ", ".join(exercise.id for exercise in report.exercises)
    print(
        f"brickyard: {args.exercise!r} is not in {args.report} ({known}).",
        file=sys.stderr,
    )
    return EXIT_USAGE


def classroom_without_report(args: argparse.Namespace, error: Exception) -> int:
    """Print an error runner for an exercise whose report cannot be read."""
    from grader.reports.classroom import encode_results, error_results

    name, most = declared_points(args.root.resolve(), args.exercise)
    reason = (
        "does not exist"
        if isinstance(error, FileNotFoundError)
        else f"cannot be read ({error})"
    )
    message = (
        f"Grading did not run to the end: the report {args.report}, which"
        f" `brickyard grade --json` writes, {reason}. Look at the log of the step"
        " that graded (Grade every exercise) for what stopped it, fix that and push"
        " again."
    )
    print(encode_results(error_results(name, most, message)))
    print(f"brickyard: {message}", file=sys.stderr)
    return EXIT_STOPPED


def declared_points(root: Path, selector: str) -> tuple[str, int]:
    """The id and the points of the exercise `selector` names in `root`.

    What cannot be found or loaded is worth 0 points under the selector's name:
    the runner that reports it must be printed all the same.
    """
    from grader.quiz.bank import BankError, load_bank
    from grader.quiz.grading import QUIZ_ID, quiz_folder

    if selector.lower() == QUIZ_SELECTOR:
        try:
            return QUIZ_ID, load_bank(quiz_folder(root)).max_score
        except (BankError, OSError):
            return QUIZ_ID, 0
    try:
        found = select(discover(root), [selector])
    except SelectionError:
        return selector, 0
    if not found:
        return selector, 0
    try:
        return found[0].id, load_exercise(found[0].path).max_score
    except (SpecError, OSError):
        return found[0].id, 0


def run_validate(args: argparse.Namespace) -> int:
    """Grade solutions and starters; report every exercise whose grading is off."""

    root = args.root.resolve()
    chosen = choose_folders(root, args.selectors)
    if chosen is None:
        return EXIT_USAGE
    client = connect()
    terminal = TerminalReport()
    # The checks' own lines are not shown: validate reports one verdict per exercise.
    silent = TerminalReport(stream=io.StringIO())
    identity = RunIdentity()
    terminal.write(
        f"validating {len(chosen)} exercise(s): grading solutions, then starters"
    )
    with stop_on_sigterm():
        with solutions_overlay(root, chosen) as copies:
            solved = {
                result.id: result
                for result in grade_folders(copies, client, identity, silent)
            }
        starters = {
            result.id: result
            for result in grade_folders(chosen, client, identity, silent)
        }

    problems = []
    terminal.write()
    for folder in chosen:
        try:
            expected = set(load_exercise(folder.path).starter_fails)
        except SpecError as error:
            problems.append(str(error))
            continue
        solution, starter = solved.get(folder.id), starters.get(folder.id)
        if solution is None or starter is None or solution.error or starter.error:
            problems.append(f"{folder.id}: could not be graded")
            continue
        failed = {check.id for check in starter.checks if not check.passed}
        verdicts = []
        if solution.score != solution.max_score:
            lost = ", ".join(check.id for check in solution.checks if not check.passed)
            verdicts.append(
                f"the solution scores {solution.score}/{solution.max_score} (fails"
                f" {lost})"
            )
        if failed != expected:
            verdicts.append(
                f"the starter fails {sorted(failed)}, but starter_fails lists"
                f" {sorted(expected)}"
            )
        if starter.score >= starter.max_score:
            verdicts.append("the starter scores full marks")
        status = "ok" if not verdicts else "WRONG: " + "; ".join(verdicts)
        terminal.write(
            f"  {folder.id:<28} solution {solution.score}/{solution.max_score},"
            f" starter {starter.score}/{starter.max_score}: {status}"
        )
        if verdicts:
            problems.append(f"{folder.id}: " + "; ".join(verdicts))
    if problems:
        terminal.write(
            "\nvalidate: grading does not follow the exercises' intent:\n  "
            + "\n  ".join(problems)
        )
        return 1
    terminal.write(
        "\nvalidate: every solution scores full marks and every starter fails as"
        " expected."
    )
    return EXIT_GRADED


def run_images(args: argparse.Namespace) -> int:
    from grader.engine.images import StandInError, ensure_images
    from grader.engine.packages import PackageCacheError, ensure_cache

    client = connect()

    def progress(line: str) -> None:
        print(f"images: {line}", flush=True)

    try:
        ensure_images(client, progress=progress, force_stand_in=args.stand_in)
        wanted = packages_wanted(args.root)
        if wanted:
            ensure_cache(client, wanted, progress=progress, refresh=True)
    except (StandInError, PackageCacheError) as error:
        print(f"brickyard: {error}", file=sys.stderr)
        return 1
    return 0


def packages_wanted(root: Path) -> list[str]:
    """Return the Debian packages that the exercises under `root` install offline.

    A spec that does not load is left to grading, which reports it.
    """

    wanted: set[str] = set()
    for folder in discover(root):
        try:
            exercise = load_exercise(folder.path)
        except SpecError:
            continue
        wanted.update(exercise.image.packages)
    return sorted(wanted)


def run_clean(args: argparse.Namespace) -> int:
    client = connect()
    removed = cleanup.remove_orphans(client)
    print(f"removed {removed} object(s) left by grading runs whose process has ended")
    return 0


def generated_files(root: Path) -> dict[Path, str]:
    """The files made from the code: the check reference, the JSON Schema, prompts."""
    from grader.checks.reference import render_reference
    from grader.prompts import render_classroom_workflow, render_prompt
    from grader.spec.schema import render_schema

    files = {
        root / "docs" / "checks.md": render_reference(),
        root / "schema" / "exercise.schema.json": render_schema(),
    }
    folders = discover(root)
    for folder in folders:
        files[folder.path / "README.md"] = render_prompt(folder.path)
    workflow = root / ".github" / "workflows" / "classroom.yml"
    files[workflow] = render_classroom_workflow(
        [folder.path for folder in folders], quiz=has_quiz(root)
    )
    return files


def run_docs(args: argparse.Namespace) -> int:
    stale = []
    for path, text in generated_files(args.root.resolve()).items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if args.check and stale:
        names = ", ".join(str(path) for path in stale)
        print(f"brickyard: {names} out of date; run 'nox -s docs'.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
