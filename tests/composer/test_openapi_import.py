"""``twinchat tools import``: OpenAPI 3.0/3.1 operations become tool files that load and answer,
and what a tool cannot carry is named."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime

import pytest
import yaml

from twinchat.composer.tools.declare import declared_tools
from twinchat.composer.tools.openapi import OpenAPIError, import_openapi
from twinchat.inventory.tools import ToolContext

TWINCHAT = shutil.which("twinchat", path=os.path.dirname(sys.executable)) or "twinchat"

SPEC_30 = {
    "openapi": "3.0.3",
    "info": {"title": "tickets", "version": "1"},
    "components": {
        "schemas": {
            "Priority": {"type": "string", "enum": ["low", "high"], "nullable": True, "example": "low"},
            "Node": {"type": "object", "properties": {"name": {"type": "string"},
                                                      "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}},
            "Ticket": {"type": "object", "required": ["title", "id"], "properties": {
                "id": {"type": "string", "readOnly": True},
                "title": {"type": "string", "minLength": 1, "xml": {"name": "t"}},
                "priority": {"$ref": "#/components/schemas/Priority"},
                "budget": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
                "tree": {"$ref": "#/components/schemas/Node"}}},
        },
        "parameters": {"Shop": {"name": "shop", "in": "query", "required": True, "schema": {"type": "integer"}}},
        "securitySchemes": {"oauth": {"type": "oauth2", "flows": {"clientCredentials": {
            "tokenUrl": "https://example.com/token", "scopes": {}}}}},
    },
    "paths": {
        "/tickets": {
            "parameters": [{"$ref": "#/components/parameters/Shop"}],
            "post": {
                "operationId": "TicketCreate", "summary": "创建工单", "description": "按 schema 创建售后工单",
                "security": [{"oauth": []}],
                "parameters": [{"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                               {"name": "dry_run", "in": "query", "description": "只校验", "schema": {"type": "boolean"}}],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Ticket"}},
                    "multipart/form-data": {"schema": {"type": "object"}}}},
                "responses": {"201": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Ticket"}}}}},
            },
            "get": {"operationId": "SearchSolution", "parameters": [
                {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}}},
        },
        "/uploads": {"put": {"summary": "上传附件", "requestBody": {"content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
            "responses": {"204": {"description": "ok"}}}},
    },
}


@pytest.fixture()
def spec_30(tmp_path):
    path = tmp_path / "tickets.json"
    path.write_text(json.dumps(SPEC_30, ensure_ascii=False), encoding="utf-8")
    return path


def _tool_file(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_each_operation_becomes_a_tool_file_with_one_json_schema(spec_30, tmp_path):
    report = import_openapi(spec_30, tmp_path / "out")
    assert [(t.name, t.method, t.path) for t in report.tools] == [
        ("SearchSolution", "GET", "/tickets"), ("TicketCreate", "POST", "/tickets"), ("put_uploads", "PUT", "/uploads")]
    doc = _tool_file(tmp_path / "out" / "TicketCreate.yaml")
    assert doc["description"] == "创建工单 按 schema 创建售后工单"
    params = doc["parameters"]
    assert params["required"] == ["shop", "title"] and params["additionalProperties"] is False
    props = params["properties"]
    assert list(props) == ["shop", "dry_run", "title", "priority", "budget", "tree"]  # readOnly id left out
    assert props["dry_run"] == {"type": "boolean", "description": "只校验"}
    assert props["title"] == {"type": "string", "minLength": 1}  # xml left out
    assert props["priority"] == {"type": ["string", "null"], "enum": ["low", "high", None], "examples": ["low"]}
    assert props["budget"] == {"type": "number", "exclusiveMinimum": 0}
    assert props["tree"]["properties"]["children"]["items"] == {}  # Node inside Node: any value there
    assert doc["result"]["properties"]["id"] == {"type": "string", "readOnly": True}
    assert doc["implementation"] == {"rules": {"cases": [{"result": {"ok": True, "operation": "TicketCreate"}}]}}


def test_what_a_tool_cannot_carry_is_named(spec_30, tmp_path):
    report = import_openapi(spec_30, tmp_path / "out")
    notes = {t.name: t.notes for t in report.tools}
    assert notes["TicketCreate"] == ["header parameter 'X-Trace' (not a tool argument)",
                                     "file upload as multipart/form-data (not a tool argument)",
                                     "security scheme 'oauth' (credentials are not tool arguments)"]
    assert notes["put_uploads"] == ["no operationId; named 'put_uploads'",
                                    "file upload as application/octet-stream (not a tool argument)"]
    assert report.notes == [
        "security scheme 'oauth' with auth flows clientCredentials (tools take no credentials; not imported)",
        "recursive schema #/components/schemas/Node (cut where it contains itself: any value there)"]
    text = (tmp_path / "out" / "TicketCreate.yaml").read_text(encoding="utf-8")
    assert "# Not imported: header parameter 'X-Trace' (not a tool argument)" in text


def test_imported_files_load_and_answer_at_once(spec_30, tmp_path, world):
    import_openapi(spec_30, tmp_path / "out", ["TicketCreate", "SearchSolution"])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["SearchSolution.yaml", "TicketCreate.yaml"]
    built = {t.name: t for t in declared_tools([tmp_path / "out"])}
    ctx = ToolContext(world, datetime(2026, 11, 25, 10, 0))
    assert built["TicketCreate"](ctx, {"shop": 1, "title": "屏幕坏了", "priority": None}) == {
        "ok": True, "operation": "TicketCreate"}
    assert built["TicketCreate"](ctx, {"shop": 1, "title": ""})["error"]["field"] == "title"
    assert built["SearchSolution"](ctx, {"shop": 1})["error"]["field"] == "q"  # shop: the path's own parameter


def test_an_unknown_operation_and_an_existing_file_are_refused_before_writing(spec_30, tmp_path):
    with pytest.raises(OpenAPIError, match=r"tickets\.json: no operation 'TicketCreat' \(did you mean 'TicketCreate'\?\); "
                                           r"operations: SearchSolution, TicketCreate, put_uploads$"):
        import_openapi(spec_30, tmp_path / "out", ["TicketCreat"])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "TicketCreate.yaml").write_text("mine\n", encoding="utf-8")
    with pytest.raises(OpenAPIError, match=r"TicketCreate\.yaml: file exists; pass --force to replace it$"):
        import_openapi(spec_30, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["TicketCreate.yaml"]
    assert (tmp_path / "out" / "TicketCreate.yaml").read_text(encoding="utf-8") == "mine\n"


def test_the_command_imports_and_says_one_line_for_a_file_that_is_not_openapi(spec_30, tmp_path):
    done = subprocess.run([TWINCHAT, "tools", "import", str(spec_30), "-o", str(tmp_path / "out"), "--only",
                           "SearchSolution"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"wrote {tmp_path / 'out' / 'SearchSolution.yaml'} (GET /tickets)"
    swagger = tmp_path / "old.yaml"
    swagger.write_text("swagger: '2.0'\npaths: {}\n", encoding="utf-8")
    done = subprocess.run([TWINCHAT, "tools", "import", str(swagger), "-o", str(tmp_path / "o2")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert (done.returncode, done.stderr) == (1, f"Error: {swagger}: not an OpenAPI 3.0 or 3.1 description "
                                                 "(openapi: '2.0')\n")
    assert not (tmp_path / "o2").exists()
