"""OpenAPI schemas as the JSON Schema of a tool file: references inlined, 3.0's dialect translated.

OpenAPI 3.1 schemas are JSON Schema 2020-12 already; 3.0 schemas are a dialect of their own:
``nullable: true`` becomes a ``null`` type, a boolean ``exclusiveMinimum``/``exclusiveMaximum``
becomes the number it qualifies, ``example`` becomes ``examples``. Keywords that describe HTTP or
XML rather than a value (``xml``, ``externalDocs``, ``discriminator``) are left out. Every local
``$ref`` (``#/components/schemas/Order``) is replaced by what it names; one that is not local, or
that does not resolve, or a schema that contains itself, is noted and replaced by ``{}`` (any value).
"""

from __future__ import annotations

from typing import Any

__all__ = ["SchemaReader"]

_DROPPED = ("xml", "externalDocs", "discriminator")


class SchemaReader:
    """Reads schemas of one OpenAPI document; ``notes`` collects what could not be carried over."""

    def __init__(self, document: dict[str, Any], version: str) -> None:
        self.document = document
        self.v30 = version.startswith("3.0")
        self.notes: list[str] = []

    def resolve(self, value: Any, seen: tuple[str, ...] = ()) -> Any:
        """``value`` with a top-level ``$ref`` followed (objects such as parameters and bodies)."""
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            ref = value["$ref"]
            if ref in seen:
                self.notes.append(f"recursive reference {ref} (replaced by any value)")
                return {}
            seen = (*seen, ref)
            value = self._target(ref)
        return value

    def _target(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            self.notes.append(f"external reference {ref} (not fetched; replaced by any value)")
            return {}
        node: Any = self.document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                self.notes.append(f"reference {ref} does not resolve (replaced by any value)")
                return {}
            node = node[part]
        return node

    def schema(self, value: Any, seen: tuple[str, ...] = (), *, writing: bool = True) -> Any:
        """A schema with every reference inlined and 3.0's dialect translated. ``writing``: the
        schema of a request, where ``readOnly`` properties (the server's to fill) are left out."""
        if isinstance(value, list):
            return [self.schema(v, seen, writing=writing) for v in value]
        if not isinstance(value, dict):
            return value
        if isinstance(value.get("$ref"), str):
            ref = value["$ref"]
            if ref in seen:
                self.notes.append(f"recursive schema {ref} (cut where it contains itself: any value there)")
                return {}
            return self.schema(self._target(ref), (*seen, ref), writing=writing)
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in _DROPPED:
                continue
            if key == "properties" and isinstance(item, dict):
                out[key] = {k: self.schema(v, seen, writing=writing) for k, v in item.items()
                            if not (writing and isinstance(v, dict) and self.resolve(v, seen).get("readOnly"))}
            elif key in ("enum", "const", "default", "examples"):
                out[key] = item
            elif key == "example" and self.v30:
                out["examples"] = [item]
            else:
                out[key] = self.schema(item, seen, writing=writing)
        if "required" in out and "properties" in out:
            out["required"] = [r for r in out["required"] if r in out["properties"]]
            if not out["required"]:
                del out["required"]
        return self._from_30(out) if self.v30 else out

    @staticmethod
    def _from_30(out: dict[str, Any]) -> dict[str, Any]:
        if out.pop("nullable", False) is True and "type" in out:
            kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*kinds, "null"]
            if isinstance(out.get("enum"), list) and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if isinstance(out.get(bound), bool):
                if out.pop(bound) and limit in out:
                    out[bound] = out.pop(limit)
        return out
