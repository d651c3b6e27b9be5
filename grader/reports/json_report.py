"""The JSON report (`--json FILE`)."""

from __future__ import annotations

import json
from pathlib import Path

from grader.reports.model import GradingReport


def write_json(report: GradingReport, path: Path) -> None:
    """Write `report` as JSON to `path`, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(report.to_dict(), indent=2, default=str) + "\n", encoding="utf-8"
    )
