"""brickyard: a Docker concepts quiz and auto-graded exercise kit."""

__version__ = "0.1.0"
