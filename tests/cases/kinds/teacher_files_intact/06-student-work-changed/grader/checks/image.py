"""The teacher's module."""
