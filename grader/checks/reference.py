"""The check reference (docs/checks.md), made from the check kinds themselves.

Each kind's docstring gives its summary, explanation and example; each parameter's
`#:` comment gives its description. A test keeps the committed page equal to this.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Any, get_args, get_type_hints

from grader.checks.registry import CheckKind, Need, all_kinds
from grader.spec.fields import yaml_key
from grader.spec.schema import field_docs

_PHASES = {
    Need.FILES: "Static checks: the files alone, no engine",
    Need.IMAGE: "Image checks: the built image, never started",
    Need.REBUILD: "Cache checks: a rebuild after an edit",
    Need.CONTAINER: "Container checks: the shared running container",
    Need.OWN_CONTAINER: "Container checks with containers of their own",
    Need.STACK: "Compose checks: the running stack",
    Need.STACK_CHANGES: "Compose checks that change the stack",
}

_HEADER = """\
# Check reference

Every check in an `exercise.yaml` names a `kind` from this page and gives its
`params`. Each check also has an `id`, a `title`, `points`, `feedback` (why it
matters, shown when it fails) and a `hint` (what to try next). Checks of an exercise
run in the order of the sections below: static checks first, so they answer at once,
and checks that change or stop what they run last. The image, the running container
and the compose stack are each made once per exercise and shared.

This page is generated from the check kinds (`nox -s docs`); do not edit it by hand.
The JSON Schema for editors is `schema/exercise.schema.json`.
"""


def type_name(hint: Any) -> str:
    text = str(hint).replace("typing.", "")
    text = re.sub(r"<class '([^']*)'>", r"\1", text)
    text = re.sub(r"\bgrader(?:\.\w+)*\.(\w+)", r"\1", text)
    return text.replace("NoneType", "None")


def nested_types(hint: Any) -> list[type]:
    """The dataclasses a parameter's type holds: `Action`, `list[Link]`, ..."""
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return [hint]
    return [found for arg in get_args(hint) for found in nested_types(arg)]


def field_table(cls: type) -> list[str]:
    """The Markdown table of a dataclass's fields: name, type, default, meaning."""
    hints = get_type_hints(cls)
    docs = field_docs(cls)
    lines = ["| parameter | type | default | meaning |", "|---|---|---|---|"]
    for field in dataclasses.fields(cls):
        meaning = docs.get(field.name, "").replace("|", "\\|")
        kind_type = type_name(hints[field.name]).replace("|", "\\|")
        default = default_text(field)
        name = yaml_key(field.name)
        lines.append(f"| `{name}` | `{kind_type}` | {default} | {meaning} |")
    return lines


def default_text(field: dataclasses.Field[Any]) -> str:
    if field.default is not dataclasses.MISSING:
        return "`" + repr(field.default).replace("\n", "\\n") + "`"
    if field.default_factory is not dataclasses.MISSING:
        return "`" + repr(field.default_factory()) + "`"
    return "required"


def kind_section(kind: CheckKind) -> str:
    """Return the Markdown section of one kind."""
    doc = inspect.cleandoc(kind.run.__doc__ or kind.summary)
    body, _, example = doc.partition("Example:")
    lines = [f"### `{kind.name}`", "", body.strip(), ""]
    if dataclasses.fields(kind.params):
        lines += [*field_table(kind.params), ""]
    else:
        lines += ["No parameters.", ""]
    # The fields of the mappings some parameters take (an `Action`, each `Link`),
    # each type once, in the order the parameters name them.
    hints = get_type_hints(kind.params)
    seen: list[type] = []
    pending = [
        t for f in dataclasses.fields(kind.params) for t in nested_types(hints[f.name])
    ]
    while pending:
        nested = pending.pop(0)
        if nested in seen:
            continue
        seen.append(nested)
        summary = " ".join((nested.__doc__ or "").split())
        lines += [f"`{nested.__name__}`: {summary}", "", *field_table(nested), ""]
        inner = get_type_hints(nested)
        pending += [
            t for f in dataclasses.fields(nested) for t in nested_types(inner[f.name])
        ]
    if example.strip():
        lines += ["```yaml", inspect.cleandoc(example), "```", ""]
    return "\n".join(lines)


def render_reference() -> str:
    """Return the whole reference page."""
    kinds = all_kinds()
    parts = [_HEADER]
    for need, heading in _PHASES.items():
        members = sorted(
            (kind for kind in kinds.values() if kind.needs == need),
            key=lambda kind: kind.name,
        )
        if not members:
            continue
        parts.append(f"## {heading}\n")
        parts += [kind_section(kind) for kind in members]
    return "\n".join(parts).rstrip() + "\n"
