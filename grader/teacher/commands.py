"""The teachers' commands: `template`, `verify`, `bulk`, `new`, `grade --specs-from`.

`grader/cli.py` calls `add_parsers` from its `build_parser` and merges `handlers`
into its table of commands; nothing else of the command line knows about them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

Handler = Callable[[argparse.Namespace], int]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Add the teachers' subcommands, and `--specs-from` to `grade`."""
    from grader.teacher import integrity

    grade = commands.choices.get("grade")
    if grade is not None:
        grade.add_argument(
            "--specs-from",
            type=Path,
            metavar="REF",
            help="grade with the teacher's specs: REF is a brickyard.lock, the"
            " template `nox -s template` wrote, or the teacher's repository; changed"
            " teacher files are reported in the results",
        )

    template = commands.add_parser(
        "template",
        help="write the student template: exercises and quiz without answers",
        description="Write the repository students receive into OUT: starters and"
        " prompts, the quiz without clear keys, the grader, the Classroom workflow, a"
        " student README and brickyard.lock. No solutions, tests or teacher notes.",
    )
    template.add_argument("out", type=Path, metavar="OUT", help="a new, empty folder")
    template.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="the teacher's repository (default: here)",
    )
    template.add_argument(
        "--withhold-quiz",
        action="store_true",
        help="leave quiz/practice.yaml out: only CI with the keys can score the quiz",
    )
    template.add_argument(
        "--replace",
        action="store_true",
        help="empty OUT first (its .git is kept), to export into a template checkout",
    )

    verify = commands.add_parser(
        "verify",
        help="compare a student's tree with the teacher's brickyard.lock",
        description="List every file of the teacher's lock that a student's tree"
        " changed, deleted or added. Exit status 0: intact; 1: changed; 2: the lock"
        " cannot be used.",
    )
    integrity.add_arguments(verify)

    bulk = commands.add_parser(
        "bulk",
        help="grade every submission in a folder into a gradebook and class report",
        description="Grade each folder under DIR (one per student) with the teacher's"
        " specs; write a gradebook CSV, an HTML class report and per-student results."
        " A submission unchanged since its last grade is not graded again.",
    )
    bulk.add_argument("folder", type=Path, metavar="DIR", help="one folder per student")
    bulk.add_argument(
        "selectors",
        nargs="*",
        metavar="SELECTOR",
        help="grade only these exercises (number or name, or `quiz`); all when none",
    )
    bulk.add_argument(
        "--template",
        type=Path,
        default=Path("."),
        help="the teacher's template, its brickyard.lock, or the teacher's repository"
        " (default: here)",
    )
    bulk.add_argument(
        "-j",
        "--jobs",
        type=positive_int,
        default=1,
        help="submissions graded at once (1 or more; default: 1)",
    )
    bulk.add_argument(
        "--out",
        type=Path,
        default=Path("brickyard-grades"),
        help="where the gradebook and reports go (default: brickyard-grades)",
    )
    bulk.add_argument(
        "--reports",
        action="store_true",
        help="also write a Markdown report per student",
    )
    bulk.add_argument(
        "--quiz-keys",
        type=Path,
        metavar="FILE",
        help="score the quiz with these clear keys (e.g. solutions/quiz/keys.yaml)",
    )
    bulk.add_argument(
        "--timeout",
        type=int,
        default=1800,
        help="seconds one submission may take (default: 1800)",
    )
    bulk.add_argument(
        "--regrade",
        action="store_true",
        help="grade every submission again, changed or not",
    )

    new = commands.add_parser(
        "new",
        help="scaffold a new exercise (prompt, spec, starter, solution)",
        description="Write exercises/NN-slug/ and solutions/NN-slug/ from templates:"
        " a working draft that `nox -s validate` accepts, to make your own.",
    )
    new.add_argument("name", metavar="NN-slug", help="e.g. 10-compose-networks")
    new.add_argument("--title", help="the exercise's title (default: from the slug)")
    new.add_argument(
        "--root", type=Path, default=Path("."), help="the repository (default: here)"
    )


def positive_int(text: str) -> int:
    """Parse a count of 1 or more, for `-j`; argparse turns the error into exit 2."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a count of submissions to grade at once; give 1 or more,"
            " e.g. -j 2"
        )
    return value


def handlers(grade: Handler) -> dict[str, Handler]:
    """The teachers' handlers; `grade` is wrapped to honour `--specs-from`."""
    return {
        "grade": with_teacher_specs(grade),
        "template": run_template,
        "verify": run_verify,
        "bulk": run_bulk,
        "new": run_new,
    }


def with_teacher_specs(grade: Handler) -> Handler:
    """Wrap `grade` so that `--specs-from` grades a tree laid out with teacher specs."""

    def run(args: argparse.Namespace) -> int:
        if getattr(args, "specs_from", None) is None:
            return grade(args)
        from grader.teacher.integrity import LockError
        from grader.teacher.specs import INTEGRITY_EXERCISE, graded_tree, load_reference

        if args.solutions:
            print(
                "brickyard: --specs-from grades a student's work; --solutions grades"
                " the teacher's. Use one of them.",
                file=sys.stderr,
            )
            return EXIT_USAGE
        try:
            reference = load_reference(args.specs_from)
        except LockError as error:
            print(f"brickyard: {error}", file=sys.stderr)
            return EXIT_USAGE
        submission = args.root.resolve()
        with tempfile.TemporaryDirectory(prefix="brickyard-graded-") as scratch:
            args.root = graded_tree(submission, reference, Path(scratch))
            exercises = [item for item in args.selectors if item.lower() != "quiz"]
            if exercises:
                args.selectors = [INTEGRITY_EXERCISE, *args.selectors]
            return grade(args)

    return run


def run_template(args: argparse.Namespace) -> int:
    from grader.teacher.export import ExportError, export_template

    try:
        done = export_template(
            args.root, args.out, withhold_quiz=args.withhold_quiz, replace=args.replace
        )
    except ExportError as error:
        print(f"brickyard: {error}", file=sys.stderr)
        return EXIT_FAILED
    quiz = {
        "practice": "practice mode (salted digests, no clear keys)",
        "withheld": "withheld (CI needs the keys: BRICKYARD_QUIZ_KEYS)",
        "none": "no quiz",
    }[done.quiz]
    print(
        f"template: wrote {done.files} files to {done.out}\n"
        f"  exercises: {', '.join(done.exercises)}\n"
        f"  quiz: {quiz}\n"
        f"  brickyard.lock: {done.lock_digest} (pinned in"
        " .github/workflows/classroom.yml)\n"
        "Next: commit OUT to a new repository, mark it as a template, and create the"
        " Classroom assignment from it (docs/teachers.md)."
    )
    return EXIT_OK


def run_verify(args: argparse.Namespace) -> int:
    from grader.teacher.integrity import verify

    return verify(args)


def run_bulk(args: argparse.Namespace) -> int:
    from grader.engine.client import connect
    from grader.teacher.bulk import (
        BulkInterrupted,
        BulkOptions,
        ProgressBar,
        check_selectors,
        find_submissions,
        prepare_reference,
    )
    from grader.teacher.bulk import run_bulk as grade_all
    from grader.teacher.classreport import (
        print_summary,
        render_html,
        summarize,
        write_gradebook,
    )
    from grader.teacher.export import ExportError
    from grader.teacher.integrity import LockError
    from grader.workspace import SelectionError

    folder = args.folder.resolve()
    if not folder.is_dir():
        print(f"brickyard: {folder} is not a folder of submissions.", file=sys.stderr)
        return EXIT_USAGE
    out = args.out.resolve()
    submissions = find_submissions(folder, out)
    if not submissions:
        print(
            f"brickyard: {folder} holds no submission folders (one per student, as"
            " `gh classroom clone student-repos` makes them).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    connect()  # a missing engine is said once, here, not once per submission
    out.mkdir(parents=True, exist_ok=True)
    try:
        reference = prepare_reference(args.template, out)
    except (LockError, ExportError) as error:
        print(f"brickyard: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        check_selectors(list(args.selectors), reference)
    except SelectionError as error:
        print(f"brickyard: {error}", file=sys.stderr)
        return EXIT_USAGE
    options = BulkOptions(
        submissions=folder,
        out=out,
        selectors=list(args.selectors),
        jobs=args.jobs,
        reports=args.reports,
        quiz_keys=args.quiz_keys.resolve() if args.quiz_keys else None,
        timeout=args.timeout,
        regrade=args.regrade,
    )
    print(
        f"bulk: grading {len(submissions)} submission(s) from {folder} with the"
        f" teacher's lock {reference.lock.digest[:12]}, {options.jobs} at a time"
    )
    interrupted = False
    try:
        results = grade_all(options, reference, ProgressBar(len(submissions)))
    except BulkInterrupted as stopped:
        interrupted, results = True, stopped.results
        print(
            f"\nbulk: interrupted; {len(results)} of {len(submissions)} submission(s)"
            " had finished and are in the gradebook; the graders that were running"
            " removed what they made. Run the same command again to grade the rest.",
            file=sys.stderr,
        )

    summary = summarize(results, reference.lock.exercises)
    write_gradebook(summary, out / "gradebook.csv")
    (out / "class-report.html").write_text(
        render_html(summary, f"{folder.name}: class report"), encoding="utf-8"
    )
    print_summary(summary, sys.stdout)
    graded = sum(1 for result in results if result.status == "graded")
    cached = sum(1 for result in results if result.status == "cached")
    failed = sum(1 for result in results if result.status == "failed")
    print(
        f"\nbulk: {graded} graded, {cached} unchanged since their last grade,"
        f" {failed} failed\n"
        f"  gradebook:    {out / 'gradebook.csv'}\n"
        f"  class report: {out / 'class-report.html'}\n"
        f"  per student:  {out / 'students'}"
    )
    return EXIT_INTERRUPTED if interrupted else EXIT_OK


def run_new(args: argparse.Namespace) -> int:
    from grader.teacher.scaffold import ScaffoldError, scaffold_exercise

    try:
        made = scaffold_exercise(args.root.resolve(), args.name, args.title)
    except ScaffoldError as error:
        print(f"brickyard: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"new: wrote exercise {made.id}:")
    for path in made.files:
        print(f"  {path}")
    print(
        f"Next: write the task in its README.md, replace the checks in exercise.yaml,"
        f" then prove it with `nox -s validate -- {made.id[:2]}` (docs/authoring.md)."
    )
    return EXIT_OK
