"""The result of one check: data that every report format is made from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["passed", "failed", "error"]
#: Who sees a check's result: everyone, the teacher only, or all after the due date.
Visibility = Literal["visible", "hidden", "after_due_date"]


@dataclass
class CheckResult:
    """One check of one exercise as graded."""

    exercise: str
    id: str
    title: str
    kind: str
    status: Status
    score: int
    max_score: int
    #: What was measured and why it matters.
    feedback: str
    #: What to try next; empty when the check passed.
    hint: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    visibility: Visibility = "visible"

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["passed"] = self.passed
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        fields = {key: value for key, value in data.items() if key != "passed"}
        return cls(**fields)
