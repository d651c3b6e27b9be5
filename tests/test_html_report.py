"""The HTML report: made from the JSON form, self-contained, and drawn by a browser."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
from pathlib import Path

import docker
import pytest

from grader.engine.labels import EXERCISE
from grader.reports.html import format_bytes, layer_chart, render_html
from grader.reports.model import GradingReport
from tests.conftest import CASES, run_brickyard

RECORDED = Path(__file__).parent / "resources" / "report-wasteful-image.json"
CASE = CASES / "reports" / "01-wasteful-image"


@pytest.fixture
def report() -> GradingReport:
    return GradingReport.from_dict(json.loads(RECORDED.read_text()))


def test_bytes_read_as_docker_shows_them() -> None:
    assert [format_bytes(n) for n in (0, 999, 4200, 300_000, 122_066_415)] == [
        "0 B",
        "999 B",
        "4.2 kB",
        "300 kB",
        "122 MB",
    ]


def test_the_json_form_carries_the_layers_through(report: GradingReport) -> None:
    again = GradingReport.from_dict(report.to_dict())

    assert again.exercises[0].images == report.exercises[0].images
    assert again.engine == report.engine


def test_page_shows_score_feedback_evidence_and_the_chart(
    report: GradingReport,
) -> None:
    page = render_html(report)

    assert '<span class="score">3</span>/<span class="max-score">4</span>' in page
    assert "The image declares port 8000" in page
    # Feedback is text, never markup.
    assert "the port &lt;the app&gt; listens on" in page
    assert "line 1: FROM debian:bookworm-slim" in page
    assert page.count('<g class="step') == 6
    assert page.count('<rect class="wasted"') == 1
    assert "COPY file:7c6f78f3d87f in /opt/blob.bin" in page
    assert "/opt/blob.bin" in page and "300 kB" in page


def test_page_needs_nothing_from_outside(report: GradingReport) -> None:
    page = render_html(report)

    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page


def test_hidden_checks_keep_their_verdict(report: GradingReport) -> None:
    hidden = report.exercises[0].checks[-1]
    hidden.visibility = "hidden"

    page = render_html(report)

    assert hidden.title not in page and hidden.feedback not in page
    assert "A hidden check worth 1 point:" in page
    # The total shown counts visible checks; the hidden points are told apart.
    assert '<span class="score">3</span>/<span class="max-score">3</span>' in page
    assert "and 1 point in hidden checks" in page


def test_base_layers_do_not_squash_the_students_bars(report: GradingReport) -> None:
    chart = layer_chart(report.exercises[0].images[0])

    base, copy = chart["rows"][0], chart["rows"][1]
    assert base["cut"] and base["width"] == chart["bar_width"]
    assert copy["width"] == chart["bar_width"] and not copy["cut"]
    assert copy["wasted_width"] == copy["width"]


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def run_chromium(browser: str, page: Path, profile: Path, *extra: str) -> str:
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--window-size=1200,1600",
            *extra,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.engine
def test_report_of_a_graded_image_renders_in_chromium(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    target = tmp_path / "tree" / "exercises" / CASE.name
    shutil.copytree(CASE, target)
    # A file the Dockerfile copies in and then deletes in a later layer.
    (target / "blob.bin").write_bytes(random.Random(5).randbytes(300_000))
    html, data = tmp_path / "report.html", tmp_path / "report.json"

    graded = run_brickyard(
        "grade",
        "--root",
        str(tmp_path / "tree"),
        "--html",
        str(html),
        "--json",
        str(data),
    )

    assert graded.returncode == 0, graded.stderr
    assert "Traceback" not in graded.stdout + graded.stderr
    image = graded.exercise(CASE.name)["images"][0]
    assert image["wasted_bytes"] == 300_000
    assert [step["layer"] for step in image["steps"][:3]] == [True, True, True]
    assert (
        engine.containers.list(all=True, filters={"label": f"{EXERCISE}={CASE.name}"})
        == []
    )
    assert (
        engine.images.list(all=True, filters={"label": f"{EXERCISE}={CASE.name}"}) == []
    )

    browser = find_chromium()
    if browser is None:
        pytest.skip(
            "chromium is not installed: `nox -s tests` installs Debian's package as"
            " root; elsewhere install chromium to run this test"
        )
    dom = run_chromium(browser, html, tmp_path / "profile", "--dump-dom")
    screenshot = tmp_path / "report.png"
    run_chromium(browser, html, tmp_path / "profile", f"--screenshot={screenshot}")
    print(f"screenshot of the HTML report: {screenshot}")

    assert '<span class="score">3</span>/<span class="max-score">4</span>' in dom
    assert re.search(r'<svg class="layers"[^>]*viewBox="0 0 1000 \d+"', dom)
    assert len(re.findall(r'<rect class="wasted"', dom)) == 1
    assert "300 kB" in dom and "RUN rm /opt/blob.bin" in dom
    assert screenshot.stat().st_size > 10_000
    assert os.access(screenshot, os.R_OK)
