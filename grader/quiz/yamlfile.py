"""Reading the quiz's YAML files with the line each mapping starts on, for errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

#: The key under which a mapping read by `read_yaml` records its first line.
LINE = "__line__"


class _LineLoader(yaml.SafeLoader):
    """A safe loader that notes where each mapping starts."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


class YamlFileError(ValueError):
    """A YAML file cannot be read; the message names the file and the line."""


def read_yaml(path: Path) -> Any:
    """Load `path`; every mapping in it carries its first line under `LINE`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise YamlFileError(f"{path}: cannot be read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise YamlFileError(f"{path}: is not UTF-8 text") from None
    try:
        # _LineLoader is a SafeLoader: it builds plain data only.
        return yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise YamlFileError(f"{path}: {where}not valid YAML: {problem}") from None


def line_of(data: Any) -> int | None:
    """Return the line a mapping read by `read_yaml` starts on."""
    return data.get(LINE) if isinstance(data, dict) else None


def without_lines(data: Any) -> Any:
    """Return `data` with the line notes removed, for values kept as they are."""
    if isinstance(data, dict):
        return {key: without_lines(value) for key, value in data.items() if key != LINE}
    if isinstance(data, list):
        return [without_lines(item) for item in data]
    return data
