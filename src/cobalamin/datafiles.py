"""Reading cobalamin's YAML data files: one reader, one validation style, located errors.

Every knowledge file (packs, rule files, catalogues, regimens, foods, parameters) is read here:
YAML is parsed safely and validated with a pydantic model, and a problem is a
``KnowledgeError`` naming the file, the line and column (from the YAML marks) and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from cobalamin.errors import KnowledgeError

__all__ = [
    "YamlDocument",
    "data_path",
    "load_model",
    "parse_yaml_text",
    "read_yaml",
    "read_yaml_document",
]

M = TypeVar("M", bound=BaseModel)
_STEP = re.compile(r"\.?([^.\[\]]+)|\[([^\]]+)\]")


def data_path(*parts: str) -> Path:
    """Path of a file or folder inside the package's ``data`` folder."""
    return Path(str(resources.files("cobalamin").joinpath("data", *parts)))


@dataclass(frozen=True)
class YamlDocument:
    """Parsed YAML with its node tree, so that a field path can be turned into a line."""

    path: str
    data: Any
    node: yaml.Node | None

    def locate(self, where: str) -> tuple[int, int] | None:
        """Line and column (1-based) of the deepest node a field path such as
        ``tables[b12_band].rules[nice_low].when.b12`` reaches; list items are found by index
        or by their ``id``."""
        node = self.node
        found: tuple[int, int] | None = None
        for match in _STEP.finditer(where):
            step = match.group(1) or match.group(2) or ""
            node, mark = _child(node, step.strip())
            if node is None:
                break
            found = mark
        return found

    def error(self, where: str, message: str) -> KnowledgeError:
        return KnowledgeError(self.where(where), message)

    def where(self, where: str) -> str:
        """``file, line L, col C: field`` (the line part only when the field is found)."""
        spot = self.locate(where) if where else None
        head = self.path if spot is None else f"{self.path}, line {spot[0]}, col {spot[1]}"
        return f"{head}: {where}" if where else head


def _child(node: yaml.Node | None, step: str) -> tuple[yaml.Node | None, tuple[int, int]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == step:
                return value, (key.start_mark.line + 1, key.start_mark.column + 1)
    if isinstance(node, yaml.SequenceNode):
        items = node.value
        if step.isdigit() and int(step) < len(items):
            item = items[int(step)]
            return item, (item.start_mark.line + 1, item.start_mark.column + 1)
        for item in items:
            if isinstance(item, yaml.MappingNode):
                for key, value in item.value:
                    if (
                        getattr(key, "value", None) == "id"
                        and getattr(value, "value", None) == step
                    ):
                        return item, (item.start_mark.line + 1, item.start_mark.column + 1)
    return None, (0, 0)


def read_yaml_document(path: Path) -> YamlDocument:
    """Parse one YAML file safely, keeping its node tree for error locations."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KnowledgeError(str(path), f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise KnowledgeError(str(path), "is not UTF-8 text") from None
    return parse_yaml_text(text, str(path))


def parse_yaml_text(text: str, name: str) -> YamlDocument:
    """Parse YAML text (a file's or an upload's) safely, keeping its node tree."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{name}, line {mark.line + 1}, col {mark.column + 1}" if mark else name
        raise KnowledgeError(where, f"YAML syntax: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise KnowledgeError(name, f"YAML: {exc}") from None
    return YamlDocument(name, data, node)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; a syntax error names the file, line and column."""
    return read_yaml_document(path).data


def load_model(path: Path, model: type[M], *, extra: dict[str, Any] | None = None) -> M:
    """Read a YAML file into a pydantic model; a problem names file, line, column and field."""
    document = read_yaml_document(path)
    raw = document.data
    if extra:
        raw = {**extra, **(raw or {})}
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-"))
        raise document.error(where, first["msg"].removeprefix("Value error, ")) from None
