"""The JSON Schema of `exercise.yaml`, made from the same dataclasses the loader reads.

Editors that read JSON Schema (VS Code's YAML extension, JetBrains IDEs) validate a
spec while a teacher writes it when the file starts with
`# yaml-language-server: $schema=<path to schema/exercise.schema.json>`.
A test keeps the committed schema equal to what this module makes.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import textwrap
import types
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from grader.checks.registry import all_kinds
from grader.spec.fields import MEMORY_PATTERN, yaml_key
from grader.spec.loader import _CheckFields, _ExerciseFields

SCHEMA_ID = "https://brickyard.invalid/schema/exercise.schema.json"


def field_docs(cls: type) -> dict[str, str]:
    """Return each field's `#:` comment, read from the class's source."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    docs: dict[str, str] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            comment: list[str] = []
            line = node.lineno - 2
            while line >= 0 and lines[line].strip().startswith("#:"):
                comment.insert(0, lines[line].strip()[2:].strip())
                line -= 1
            if comment:
                docs[node.target.id] = " ".join(comment)
    return docs


def type_schema(hint: Any) -> dict[str, Any]:
    """Return the JSON Schema of one field type."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [type_schema(option) for option in get_args(hint)]
        return {"anyOf": options}
    if hint is type(None):
        return {"type": "null"}
    if origin is Literal:
        return {"enum": list(get_args(hint))}
    if origin in (list, tuple):
        (item,) = get_args(hint)[:1] or (Any,)
        return {"type": "array", "items": type_schema(item)}
    if origin is dict:
        _, value = get_args(hint)
        return {"type": "object", "additionalProperties": type_schema(value)}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return object_schema(hint)
    simple: dict[Any, dict[str, Any]] = {
        str: {"type": ["string", "number"]},
        int: {"type": "integer"},
        float: {"type": "number"},
        bool: {"type": "boolean"},
    }
    return dict(simple.get(hint, {}))


def object_schema(cls: type, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return the JSON Schema of a dataclass read by the loader."""
    hints = get_type_hints(cls)
    docs = field_docs(cls)
    properties: dict[str, Any] = {}
    required = []
    for field in dataclasses.fields(cls):
        if field.name in skip:
            continue
        schema = type_schema(hints[field.name])
        if field.name in docs:
            schema["description"] = docs[field.name]
        if "range" in field.metadata:
            schema["minimum"], schema["maximum"], _ = field.metadata["range"]
        if "memory" in field.metadata:
            schema["pattern"] = MEMORY_PATTERN
        if field.default is not dataclasses.MISSING and is_json(field.default):
            schema["default"] = field.default
        properties[yaml_key(field.name)] = schema
        if (
            field.default is dataclasses.MISSING
            and field.default_factory is dataclasses.MISSING
        ):
            required.append(yaml_key(field.name))
    result: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        result["required"] = required
    result["additionalProperties"] = False
    if cls.__doc__:
        result["description"] = " ".join(cls.__doc__.split())
    return result


def is_json(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def exercise_schema() -> dict[str, Any]:
    """Return the whole schema: the exercise, its checks, each kind's params."""
    kinds = all_kinds()
    check = object_schema(_CheckFields, skip=("params",))
    check["properties"]["kind"] = {"enum": sorted(kinds)}
    check["properties"]["params"] = {"type": "object"}
    check["allOf"] = [
        {
            "if": {"properties": {"kind": {"const": name}}},
            "then": {"properties": {"params": {"$ref": f"#/$defs/{name}"}}},
        }
        for name in sorted(kinds)
    ]
    schema = object_schema(_ExerciseFields, skip=("checks",))
    schema["properties"]["checks"] = {
        "type": "array",
        "minItems": 1,
        "items": {"$ref": "#/$defs/check"},
    }
    schema["required"] = ["id", "title", "concept", "checks"]
    schema["properties"]["id"]["pattern"] = r"^\d{2}-[a-z0-9]+(-[a-z0-9]+)*$"
    definitions: dict[str, Any] = {"check": check}
    for name, kind in sorted(kinds.items()):
        params = object_schema(kind.params)
        params["description"] = kind.summary
        definitions[name] = params
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "brickyard exercise.yaml",
        **schema,
        "$defs": definitions,
    }


def render_schema() -> str:
    """Return the schema as the committed file holds it."""
    return json.dumps(exercise_schema(), indent=2, sort_keys=False) + "\n"
