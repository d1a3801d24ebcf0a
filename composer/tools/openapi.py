"""``twinchat tools import``: one tool file per operation of an OpenAPI 3.0/3.1 description.

Each operation (or those named with ``only``) becomes a ``kind: tool`` file: ``operationId`` is the
tool's name, ``summary``/``description`` its description, the path and query parameters and the
JSON request body its parameters (one JSON Schema object, references inlined: see
:mod:`.openapi_schema`), the JSON schema of its first 2xx response its ``result``. Its
implementation is a ``rules`` stub giving a success result, so units can call the tool at once;
replace it with the real rules or SQL.

What a tool cannot carry is named in the report, never dropped silently: callbacks, webhooks,
header and cookie parameters, file uploads and other non-JSON bodies, security schemes and their
auth flows, references that are not local. Nothing is written unless every file can be: a file
that exists already is refused (unless ``force``), before any is written.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from twinchat.composer.errors import ComposerError
from twinchat.composer.tools.openapi_schema import SchemaReader
from twinchat.units.loader import did_you_mean
from twinchat.units.tool_spec import TOOL_NAME

__all__ = ["import_openapi", "ImportReport", "ImportedTool", "OpenAPIError"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_UPLOADS = ("multipart/form-data", "application/octet-stream")


class OpenAPIError(ComposerError):
    """An OpenAPI file that cannot be imported (unreadable, not OpenAPI 3, an unknown --only name)."""


@dataclass
class ImportedTool:
    """One operation made into a tool file."""

    name: str
    method: str
    path: str
    file: Path
    document: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """What an import wrote, and what it could not carry over (per tool, and for the whole file)."""

    tools: list[ImportedTool]
    notes: list[str]


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OpenAPIError(f"{path}: cannot read: {exc}") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise OpenAPIError(f"{path}: not {'JSON' if path.suffix == '.json' else 'YAML'}: "
                           f"{' '.join(str(exc).split())}") from exc
    if not isinstance(data, dict) or not str(data.get("openapi", "")).startswith(("3.0", "3.1")):
        found = data.get("openapi") or data.get("swagger") if isinstance(data, dict) else None
        raise OpenAPIError(f"{path}: not an OpenAPI 3.0 or 3.1 description (openapi: {found!r})")
    if not isinstance(data.get("paths") or {}, dict):
        raise OpenAPIError(f"{path}: paths is not a mapping")
    return data


def _name(op: dict[str, Any], method: str, route: str, notes: list[str]) -> str:
    given = op.get("operationId")
    if isinstance(given, str) and TOOL_NAME.fullmatch(given):
        return given
    made = re.sub(r"[^A-Za-z0-9]+", "_", f"{method}_{route}").strip("_")[:64]
    notes.append(f"operationId {given!r} is no function name; named {made!r}" if given else
                 f"no operationId; named {made!r}")
    return made


def _parameters(reader: SchemaReader, op: dict[str, Any], shared: list[Any], notes: list[str]
                ) -> tuple[dict[str, Any], list[str]]:
    """Path and query parameters (the operation's over the path's of the same name and place)."""
    chosen: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*shared, *(op.get("parameters") or [])]:
        param = reader.resolve(raw)
        if isinstance(param, dict) and "name" in param:
            chosen[(param.get("in", ""), param["name"])] = param
    props: dict[str, Any] = {}
    required: list[str] = []
    for (place, name), param in chosen.items():
        if place not in ("path", "query"):
            notes.append(f"{place} parameter {name!r} (not a tool argument)")
            continue
        schema = param.get("schema")
        if schema is None and isinstance(param.get("content"), dict) and param["content"]:
            schema = next(iter(param["content"].values())).get("schema")
        prop = reader.schema(schema or {})
        if param.get("description") and "description" not in prop:
            prop = {**prop, "description": param["description"]}
        props[name] = prop
        if place == "path" or param.get("required"):
            required.append(name)
    return props, required


def _body(reader: SchemaReader, op: dict[str, Any], props: dict[str, Any], required: list[str],
          notes: list[str]) -> None:
    body = reader.resolve(op.get("requestBody"))
    if not isinstance(body, dict) or not isinstance(body.get("content"), dict):
        return
    content = body["content"]
    kind = next((k for k in content if k == "application/json" or k.endswith("+json")), None)
    kind = kind or next((k for k in content if k == "application/x-www-form-urlencoded"), None)
    for other in content:
        if other != kind:
            what = "file upload" if other in _UPLOADS or other.startswith(("image/", "video/", "audio/")) else "body"
            notes.append(f"{what} as {other} (not a tool argument)")
    if kind is None:
        return
    schema = reader.schema(content[kind].get("schema") or {})
    if schema.get("type") == "object" and isinstance(schema.get("properties"), dict):
        for name, prop in schema["properties"].items():
            key = name if name not in props else f"body_{name}"
            if key != name:
                notes.append(f"body property {name!r} has a parameter's name; named {key!r}")
            props[key] = prop
            if name in schema.get("required", []) and body.get("required", False):
                required.append(key)
    else:
        props["body"] = schema
        if body.get("required"):
            required.append("body")


def _result(reader: SchemaReader, op: dict[str, Any]) -> dict[str, Any] | None:
    for code, raw in sorted((op.get("responses") or {}).items()):
        response = reader.resolve(raw)
        if str(code).startswith("2") and isinstance(response, dict):
            for kind, media in (response.get("content") or {}).items():
                if kind == "application/json" or kind.endswith("+json"):
                    return reader.schema(media.get("schema") or {}, writing=False) or None
    return None


def _tool(reader: SchemaReader, method: str, route: str, op: dict[str, Any], shared: list[Any]) -> ImportedTool:
    notes: list[str] = []
    name = _name(op, method, route, notes)
    props, required = _parameters(reader, op, shared, notes)
    _body(reader, op, props, required, notes)
    for callback in op.get("callbacks") or {}:
        notes.append(f"callback {callback!r} (a call from the API back to its client; not imported)")
    for requirement in op.get("security") or []:
        for scheme in requirement:
            notes.append(f"security scheme {scheme!r} (credentials are not tool arguments)")
    parameters: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        parameters["required"] = list(dict.fromkeys(required))
    parameters["additionalProperties"] = False
    text = " ".join(p.strip() for p in (op.get("summary"), op.get("description")) if isinstance(p, str) and p.strip())
    document: dict[str, Any] = {"kind": "tool", "name": name, "description": text or f"{method.upper()} {route}",
                                "parameters": parameters}
    result = _result(reader, op)
    if result:
        document["result"] = result
    document["implementation"] = {"rules": {"cases": [{"result": {"ok": True, "operation": name}}]}}
    return ImportedTool(name, method.upper(), route, Path(), document, notes)


def _document_notes(data: dict[str, Any]) -> list[str]:
    notes = [f"webhook {w!r} (not imported)" for w in data.get("webhooks") or {}]
    schemes = ((data.get("components") or {}).get("securitySchemes") or {})
    for name, scheme in schemes.items():
        flows = ", ".join((scheme.get("flows") or {}) if isinstance(scheme, dict) else ())
        notes.append(f"security scheme {name!r}" + (f" with auth flows {flows}" if flows else "")
                     + " (tools take no credentials; not imported)")
    return notes


def _header(source: Path, tool: ImportedTool) -> str:
    lines = [f"# {tool.name}: {tool.method} {tool.path}, imported from {source.name} with `twinchat tools import`.",
             "# The rules below are a stub that always succeeds: replace them with rules or sql over the world."]
    lines += [f"# Not imported: {note}" for note in tool.notes]
    return "\n".join(lines) + "\n"


def import_openapi(source: str | os.PathLike[str], out_dir: str | os.PathLike[str], only: list[str] | None = None,
                   *, force: bool = False) -> ImportReport:
    """Write one tool file per operation of the OpenAPI file ``source`` into ``out_dir``."""
    path, out = Path(source), Path(out_dir)
    data = _read(path)
    reader = SchemaReader(data, str(data["openapi"]))
    made = []
    for route, item in (data.get("paths") or {}).items():
        item = reader.resolve(item)
        for method in _METHODS:
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                made.append(_tool(reader, method, route, item[method], item.get("parameters") or []))
    if only:
        names = {t.name for t in made}
        for wanted in only:
            if wanted not in names:
                raise OpenAPIError(f"{path}: no operation {wanted!r}{did_you_mean(wanted, names)}; "
                                   f"operations: {', '.join(sorted(names))}")
        made = [t for t in made if t.name in only]
    seen: set[str] = set()
    for tool in made:
        if tool.name in seen:
            raise OpenAPIError(f"{path}: operationId {tool.name!r} is used twice")
        seen.add(tool.name)
        tool.file = out / f"{tool.name}.yaml"
        if tool.file.exists() and not force:
            raise OpenAPIError(f"{tool.file}: file exists; pass --force to replace it")
    notes = _document_notes(data) + list(dict.fromkeys(reader.notes))
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:  # every file written under a temporary name first, then all renamed into place
        for tool in made:
            text = yaml.safe_dump(tool.document, allow_unicode=True, sort_keys=False, width=100)
            tmp = tool.file.with_name(f".{tool.file.name}.importing")
            written.append(tmp)
            tmp.write_text(_header(path, tool) + text, encoding="utf-8")
        for tool, tmp in zip(made, written):
            tmp.replace(tool.file)
    finally:
        for tmp in written:
            tmp.unlink(missing_ok=True)
    return ImportReport(made, notes)
