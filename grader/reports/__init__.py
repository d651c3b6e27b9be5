"""Reports: the results of a grading run turned into text, JSON and other formats."""

from grader.reports.model import GradingReport

__all__ = ["GradingReport"]
