"""A self-contained HTML report (`--html FILE`): scores, feedback, and image bytes.

The page is made from the JSON form of the report (`GradingReport.to_dict()`), so a
saved `--json` file carries all it needs. Each image gets a chart of its layers drawn
as inline SVG: one bar per `docker history` step, its wasted bytes in another colour.
No script and no outside file: the page opens offline, in any browser.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jinja2

from grader import __version__
from grader.reports.model import GradingReport, is_hidden

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("grader", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)

#: Geometry of a layer chart, in SVG user units (the chart scales to the page).
CHART_WIDTH = 1000
LABEL_WIDTH = 400
BAR_WIDTH = 370
ROW_HEIGHT = 24
CHART_TOP = 8
#: A digest in a legacy builder's COPY or ADD history entry.
_DIGEST = re.compile(r"\b(file|dir|multi):([0-9a-f]{64})\b")
#: Characters of an instruction that fit beside its bar.
LABEL_CHARS = 54


def format_bytes(count: float) -> str:
    """Show a byte count as Docker does, in decimal units (`193 MB`, `4.2 kB`)."""
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def shown_value(value: Any) -> str:
    """An evidence value as text: JSON for structures, as it is for the rest."""
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return str(value)


def shorten_digests(instruction: str) -> str:
    """Cut the content digests the legacy builder writes (`COPY file:<64 hex>`)."""
    return _DIGEST.sub(lambda match: f"{match[1]}:{match[2][:12]}", instruction)


def layer_chart(image: dict[str, Any]) -> dict[str, Any]:
    """Lay out the bars of one image's chart.

    Bars are to scale with the largest layer the student's steps made, so their
    differences show; a base-image layer larger than that is drawn cut short, with
    its true size written beside it.
    """
    steps: list[dict[str, Any]] = list(image.get("steps", []))
    own = [step["size"] for step in steps if not step.get("base")]
    scale = max(own or [step["size"] for step in steps] or [1]) or 1
    rows = []
    for index, step in enumerate(steps):
        size, wasted = int(step["size"]), int(step.get("wasted", 0))
        width = min(size / scale, 1.0) * BAR_WIDTH
        instruction = shorten_digests(" ".join(str(step["instruction"]).split()))
        label = instruction
        if len(label) > LABEL_CHARS:
            label = label[: LABEL_CHARS - 3] + "..."
        rows.append(
            {
                **step,
                "label": label,
                "instruction": instruction,
                "y": CHART_TOP + index * ROW_HEIGHT,
                "width": round(max(width, 1.0 if size else 0.0), 1),
                "wasted_width": round(min(wasted / scale, 1.0) * BAR_WIDTH, 1),
                "cut": size > scale,
            }
        )
    user = int(image.get("user_bytes", 0))
    wasted = int(image.get("wasted_bytes", 0))
    return {
        **image,
        "rows": rows,
        "height": CHART_TOP * 2 + len(rows) * ROW_HEIGHT,
        "width": CHART_WIDTH,
        "bar_x": LABEL_WIDTH,
        "bar_width": BAR_WIDTH,
        "value_x": LABEL_WIDTH + BAR_WIDTH + 10,
        "wasted_share": f"{wasted / user:.0%}" if user else "",
    }


def render_html(report: GradingReport) -> str:
    """Return the report as one HTML page."""
    data = report.to_dict()
    # As at the terminal, a hidden check's verdict stays out: the scores shown
    # count visible checks, and hidden points are told apart.
    score, most = 0, 0
    for exercise in data["exercises"]:
        for check in exercise["checks"]:
            check["hidden"] = is_hidden(check["visibility"], report.after_due_date)
        visible = [c for c in exercise["checks"] if not c["hidden"]]
        hidden = sum(c["max_score"] for c in exercise["checks"] if c["hidden"])
        exercise["shown_score"] = sum(c["score"] for c in visible)
        exercise["shown_max"] = exercise["max_score"] - hidden
        exercise["charts"] = [layer_chart(image) for image in exercise["images"]]
        score, most = score + exercise["shown_score"], most + exercise["shown_max"]
    template = _ENVIRONMENT.get_template("report.html.j2")
    return template.render(
        report=data,
        score=score,
        max_score=most,
        hidden=report.hidden_points(),
        share=score / most if most else 0.0,
        version=__version__,
        format_bytes=format_bytes,
        shown_value=shown_value,
    )


def write_html(report: GradingReport, path: Path) -> None:
    """Write the HTML report to `path`, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
