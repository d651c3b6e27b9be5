"""The USER comparisons of `image_config`: every spelling of root is root."""

from __future__ import annotations

import pytest

from grader.checks.image import is_root, same_user


@pytest.mark.parametrize("user", ["", "root", "0", "0:0", "root:root", "0:staff"])
def test_root_in_any_spelling_is_root(user: str) -> None:
    assert is_root(user)


@pytest.mark.parametrize("user", ["app", "1000", "nobody:nogroup", "1000:0"])
def test_other_users_are_not_root(user: str) -> None:
    assert not is_root(user)


@pytest.mark.parametrize(
    ("actual", "wanted"),
    [("0", "root"), ("", "0:0"), ("root", "0"), ("app:app", "app"), ("1000", "1000")],
)
def test_same_user_matches(actual: str, wanted: str) -> None:
    assert same_user(actual, wanted)


@pytest.mark.parametrize(
    ("actual", "wanted"),
    [
        ("nobody", "app"),
        ("0", "app"),
        ("app", "root"),
        ("app", "app:app"),
        ("0:5", "0:0"),
    ],
)
def test_same_user_rejects(actual: str, wanted: str) -> None:
    assert not same_user(actual, wanted)
