"""Read playbooks and content libraries from YAML files.

A playbook file may keep its copy in locale files (`locale_files`, paths relative to the
playbook file, merged in order: a later file's template replaces an earlier one of the
same name, its strings replace single entries). The result is the canonical document the
API stores and serves, with every locale inline. Problems are reported with the file and
line they come from.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from rebook.playbooks.content import EMPTY_LIBRARY, ContentLibrary
from rebook.playbooks.document import ContentLibraryDoc, TemplateSetFileDoc, to_library
from rebook.playbooks.selection import PlaybookSelection, SelectionDoc, to_selection
from rebook.playbooks.validation import (
    LoadedPlaybook,
    PlaybookInvalid,
    PlaybookIssue,
    pydantic_issues,
    validate_playbook,
)


@dataclass(frozen=True)
class _Source:
    file: Path
    node: yaml.Node | None


def load_playbook(path: str | Path, *, library: ContentLibrary = EMPTY_LIBRARY) -> LoadedPlaybook:
    """Read, merge and validate a playbook file. Raises PlaybookInvalid."""
    path = Path(path)
    data, root = _read_yaml(path)
    sources: dict[tuple[str, str, str], _Source] = {}
    merged = _merge_locale_files(path, data, sources)
    try:
        return validate_playbook(merged, library=library, from_disk=True)
    except PlaybookInvalid as err:
        raise PlaybookInvalid([_locate(i, path, root, sources) for i in err.issues]) from None


def canonical_document(loaded: LoadedPlaybook) -> dict[str, Any]:
    """The document as the API stores it: locales inline, no file references."""
    data: dict[str, Any] = loaded.document.model_dump(mode="json", exclude_none=True)
    data.pop("locale_files", None)
    return data


def load_content_library(path: str | Path) -> ContentLibrary:
    path = Path(path)
    data, root = _read_yaml(path)
    try:
        return to_library(ContentLibraryDoc.model_validate(data))
    except ValidationError as err:
        raise PlaybookInvalid([_locate(i, path, root, {}) for i in pydantic_issues(err)]) from None


def load_selection(path: str | Path) -> PlaybookSelection:
    """Read the selection rules file (rebook/playbooks/selection.py). Raises
    PlaybookInvalid (which playbooks exist is the catalog's to check)."""
    path = Path(path)
    data, root = _read_yaml(path)
    try:
        return to_selection(SelectionDoc.model_validate(data))
    except ValidationError as err:
        raise PlaybookInvalid([_locate(i, path, root, {}) for i in pydantic_issues(err)]) from None


def locale_files_of(path: str | Path) -> tuple[Path, ...]:
    """The locale files a playbook file names, without validating anything: what a
    catalog watches besides the file itself. Unreadable or odd files name none."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return ()
    files = data.get("locale_files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        return ()
    return tuple((path.parent / str(name)).resolve() for name in files)


# ---------------------------------------------------------------------------- internals


def _read_yaml(path: Path) -> tuple[dict[str, Any], yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PlaybookInvalid(
            [PlaybookIssue("", f"cannot read: {err.strerror}", str(path))]
        ) from None
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(err, "problem", None) or str(err)
        raise PlaybookInvalid(
            [PlaybookIssue("", f"not valid YAML: {problem}", str(path), line)]
        ) from None
    if not isinstance(data, dict):
        raise PlaybookInvalid([PlaybookIssue("", "must be a mapping of fields", str(path), 1)])
    return data, root


def _merge_locale_files(
    path: Path, data: dict[str, Any], sources: dict[tuple[str, str, str], _Source]
) -> dict[str, Any]:
    files = data.get("locale_files") or []
    if not isinstance(files, list):
        return data  # the model reports the wrong type
    locales: dict[str, dict[str, Any]] = {}
    for name in files:
        file = (path.parent / str(name)).resolve()
        raw, root = _read_yaml(file)
        try:
            TemplateSetFileDoc.model_validate(raw)
        except ValidationError as err:
            raise PlaybookInvalid(
                [_locate(i, file, root, {}) for i in pydantic_issues(err)]
            ) from None
        locale = str(raw["locale"])
        target = locales.setdefault(locale, {"strings": {}, "templates": {}})
        for section in ("strings", "templates"):
            values = raw.get(section) or {}
            nodes = _child(root, section)
            for key, value in values.items():
                current = target[section].get(key)
                if section == "strings" and isinstance(current, dict) and isinstance(value, dict):
                    value = {**current, **value}
                target[section][key] = value
                sources[(locale, section, key)] = _Source(file, _child(nodes, key))
    for locale, inline in (data.get("locales") or {}).items():
        target = locales.setdefault(locale, {"strings": {}, "templates": {}})
        if isinstance(inline, dict):
            for section in ("strings", "templates"):
                target[section].update(inline.get(section) or {})
            extra = {k: v for k, v in inline.items() if k not in ("strings", "templates")}
            target.update(extra)  # unknown fields: the model reports them
    merged = dict(data)
    if locales:
        merged["locales"] = locales
    return merged


def _locate(
    issue: PlaybookIssue,
    path: Path,
    root: yaml.Node | None,
    sources: dict[tuple[str, str, str], _Source],
) -> PlaybookIssue:
    if issue.file:
        return issue
    parts = _split(issue.path)
    file, node = path, root
    if len(parts) >= 4 and parts[0] == "locales":
        source = sources.get((str(parts[1]), str(parts[2]), str(parts[3])))
        if source is not None:
            file, node, parts = source.file, source.node, parts[4:]
    for part in parts:
        child = _child(node, part)
        if child is None:
            break
        node = child
    line = node.start_mark.line + 1 if node is not None else None
    return replace(issue, file=str(file), line=line)


def _split(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for dotted in path.split("."):
        name, *indexes = dotted.split("[")
        if name:
            parts.append(name)
        parts.extend(int(index.rstrip("]")) for index in indexes)
    return parts


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(key, str):
        for key_node, value in node.value:
            if key_node.value == key:
                found: yaml.Node = value
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        child: yaml.Node = node.value[key]
        return child
    return None
