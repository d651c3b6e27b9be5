"""The exercise spec: `exercise.yaml` loaded and validated into typed objects."""

from grader.spec.errors import SpecError
from grader.spec.loader import load_exercise
from grader.spec.model import CheckSpec, ComposeSpec, ContainerSpec, Exercise, ImageSpec

__all__ = [
    "CheckSpec",
    "ComposeSpec",
    "ContainerSpec",
    "Exercise",
    "ImageSpec",
    "SpecError",
    "load_exercise",
]
