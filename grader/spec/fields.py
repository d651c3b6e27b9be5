"""Reading plain YAML data into typed dataclasses, collecting every problem found."""

from __future__ import annotations

import dataclasses
import difflib
import keyword
import re
import types
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from grader.spec.errors import Problem

T = TypeVar("T")

#: Docker's memory notation as the loader and the schema accept it: `256m`, `1g`.
MEMORY_PATTERN = r"^[0-9]+(\.[0-9]+)?[kKmMgG]?[bB]?$"


def bounded(default: Any, low: float, high: float, unit: str) -> Any:
    """A number field's default and the range it must stay in (`unit`, e.g. "s").

    The loader rejects a value outside the range and the schema states it.
    """
    return dataclasses.field(default=default, metadata={"range": (low, high, unit)})


def memory(default: str, low: str, high: str) -> Any:
    """A memory field's default and the sizes it must stay between, inclusive."""
    return dataclasses.field(default=default, metadata={"memory": (low, high)})


def range_problem(
    field: dataclasses.Field[Any], value: object, where: str
) -> Problem | None:
    """Say how `value` falls outside the range its field declares, if it does."""
    if "range" in field.metadata and isinstance(value, (int, float)):
        low, high, unit = field.metadata["range"]
        if not low <= value <= high:
            return Problem(
                where,
                f"{value!r} is out of range",
                f"use a number from {low} to {high} ({unit})",
            )
    if "memory" in field.metadata and isinstance(value, str):
        low, high = field.metadata["memory"]
        size = memory_size(value)
        if size is None:
            return Problem(
                where,
                f"{value!r} is not a memory size",
                "write a number with k, m or g after it, e.g. 256m or 1g",
            )
        if not (memory_size(low) or 0) <= size <= (memory_size(high) or 0):
            return Problem(
                where,
                f"{value!r} is out of range",
                f"use a size from {low} to {high}",
            )
    return None


def memory_size(text: str) -> int | None:
    """Read Docker's memory notation into bytes; None when it is not one."""
    if not re.match(MEMORY_PATTERN, text.strip()):
        return None
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    number = text.strip().lower().removesuffix("b")
    if number[-1] in units:
        return int(float(number[:-1]) * units[number[-1]])
    return int(float(number))


def parse_dataclass(
    cls: type[T], raw: object, where: str, problems: list[Problem]
) -> T | None:
    """Build `cls` from a mapping; on a bad value append a Problem and return None."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        problems.append(
            Problem(
                where,
                f"expected a mapping of fields, got {describe(raw)}",
                mapping_fix(cls),
            )
        )
        return None
    hints = get_type_hints(cls)
    fields = {yaml_key(field.name): field for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    ok = True
    for key, value in raw.items():
        name = str(key)
        if name not in fields:
            problems.append(unknown_field(where, name, list(fields)))
            ok = False
            continue
        hint = hints[fields[name].name]
        converted = convert(hint, value, join(where, name), problems)
        out_of_range = range_problem(fields[name], converted, join(where, name))
        if out_of_range is not None:
            problems.append(out_of_range)
            ok = False
        elif converted is _INVALID:
            ok = False
        else:
            values[fields[name].name] = converted
    for name, field in fields.items():
        has_default = (
            field.default is not dataclasses.MISSING
            or field.default_factory is not dataclasses.MISSING
        )
        if field.name not in values and not has_default and name not in raw:
            problems.append(
                Problem(
                    join(where, name),
                    "is required but missing",
                    f"add `{name}: <{type_name(hints[field.name])}>`",
                )
            )
            ok = False
    if not ok:
        return None
    try:
        return cls(**values)
    except ValueError as error:
        # A class may check its fields together in __post_init__ (at least one of two
        # set, say) and raise ValueError(problem, fix); that is an authoring error too.
        problem, fix = (*error.args, "see the documentation of these fields")[:2]
        problems.append(Problem(where or "(file)", str(problem), str(fix)))
        return None


_INVALID = object()


def yaml_key(name: str) -> str:
    """The key a field is written with: `from_` is `from` (a Python keyword) in YAML."""
    bare = name.removesuffix("_")
    return bare if bare != name and keyword.iskeyword(bare) else name


def convert(hint: Any, value: object, where: str, problems: list[Problem]) -> Any:
    """Check `value` against the type `hint`; return it converted or _INVALID."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [option for option in get_args(hint) if option is not type(None)]
        if value is None and len(options) < len(get_args(hint)):
            return None
        return convert(options[0], value, where, problems)
    if origin is Literal:
        allowed = get_args(hint)
        if value in allowed:
            return value
        choices = ", ".join(repr(choice) for choice in allowed)
        problems.append(
            Problem(where, f"{value!r} is not allowed", f"use one of {choices}")
        )
        return _INVALID
    if origin in (list, tuple):
        if not isinstance(value, list):
            problems.append(
                Problem(
                    where,
                    f"expected a list, got {describe(value)}",
                    "write a YAML list",
                )
            )
            return _INVALID
        (item_hint, *_) = get_args(hint) or (Any,)
        items = [
            convert(item_hint, item, f"{where}[{i}]", problems)
            for i, item in enumerate(value)
        ]
        if any(item is _INVALID for item in items):
            return _INVALID
        return tuple(items) if origin is tuple else items
    if origin is dict:
        _, value_hint = get_args(hint)
        if not isinstance(value, dict):
            problems.append(
                Problem(
                    where,
                    f"expected a mapping, got {describe(value)}",
                    "write `key: value` lines",
                )
            )
            return _INVALID
        result = {}
        for key, item in value.items():
            converted = convert(value_hint, item, join(where, str(key)), problems)
            if converted is _INVALID:
                return _INVALID
            result[str(key)] = converted
        return result
    if dataclasses.is_dataclass(hint):
        parsed = parse_dataclass(hint, value, where, problems)  # type: ignore[arg-type]
        return _INVALID if parsed is None else parsed
    return convert_scalar(hint, value, where, problems)


def convert_scalar(
    hint: Any, value: object, where: str, problems: list[Problem]
) -> Any:
    """Check a scalar: str, int, float or bool (YAML's own types, no guessing)."""
    if hint is Any:
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        problems.append(
            Problem(
                where,
                f"expected true or false, got {describe(value)}",
                "write true or false",
            )
        )
        return _INVALID
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        problems.append(
            Problem(
                where,
                f"expected a whole number, got {describe(value)}",
                "write a number such as 2, without quotes",
            )
        )
        return _INVALID
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        problems.append(
            Problem(
                where,
                f"expected a number, got {describe(value)}",
                "write a number such as 2.5, without quotes",
            )
        )
        return _INVALID
    if hint is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            # YAML reads `8000` or `3.11` as numbers; text fields take them as written.
            return str(value)
        problems.append(
            Problem(
                where,
                f"expected text, got {describe(value)}",
                "write the value as text (quote it if needed)",
            )
        )
        return _INVALID
    raise TypeError(f"unsupported field type {hint!r} at {where}")


def unknown_field(where: str, name: str, known: list[str]) -> Problem:
    """Return the Problem for a field the spec does not define, with a suggestion."""
    close = difflib.get_close_matches(name, known, n=1)
    fix = (
        f"did you mean `{close[0]}`?"
        if close
        else "remove it; known fields: " + ", ".join(known)
    )
    return Problem(join(where, name), "is not a known field", fix)


def mapping_fix(cls: type) -> str:
    names = ", ".join(field.name for field in dataclasses.fields(cls))
    return (
        f"write a mapping with fields among: {names}"
        if names
        else "write an empty mapping {}"
    )


def describe(value: object) -> str:
    """Show a bad value with its YAML type, e.g. `'two' (text)`."""
    kinds = {
        bool: "true/false",
        int: "number",
        float: "number",
        str: "text",
        list: "list",
        dict: "mapping",
    }
    kind = kinds.get(type(value), "nothing" if value is None else type(value).__name__)
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{shown} ({kind})"


def join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def type_name(hint: Any) -> str:
    origin = get_origin(hint)
    if origin in (list, tuple):
        return "list"
    if origin is dict:
        return "mapping"
    if origin is Literal:
        return " | ".join(repr(choice) for choice in get_args(hint))
    return getattr(hint, "__name__", str(hint))
