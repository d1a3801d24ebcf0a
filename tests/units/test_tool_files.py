"""Every bad tool file is one located line on stderr and exit code 1: a catalogue of one small file
per case (``tests/units/invalid_tools/``), each checked with ``twinchat units check`` as a user
runs it, against a real world (queries are prepared against it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FOLDER = Path(__file__).parent / "invalid_tools"
TWINCHAT = shutil.which("twinchat", path=os.path.dirname(sys.executable)) or "twinchat"

#: file stem -> the exact stderr ({file} is the file's name as given on the command line)
EXPECTED = {
    'bad_name': "Error: {file}:2: tool 'issue invoice', field name: tool name 'issue invoice' is not 1-64 letters, digits, _ or -",
    'missing_parameters': "Error: {file}:1: tool 'amount_of', field parameters: required field is missing",
    'parameters_not_object': "Error: {file}:4: tool 'amount_of', field parameters: parameters must be a JSON Schema with type: object",
    'python_not_a_target': "Error: {file}:10: tool 'amount_of', field implementation.python: python target 'invoicing_backend.issue' is not module:function",
    'python_not_callable': "Error: {file}:10: tool 'amount_of', field implementation.python: 'json:__name__' is not a function but str",
    'python_unknown_module': "Error: {file}:10: tool 'amount_of', field implementation.python: cannot import 'invoicing_backend:issue': ModuleNotFoundError: No module named 'invoicing_backend'",
    'ref_missing': "Error: {file}:9: tool 'amount_of', field parameters.properties.order_no.$ref: $ref '#/$defs/order_number' does not resolve (only references within the file, like '#/$defs/name')",
    'ref_remote': "Error: {file}:7: tool 'amount_of', field parameters.properties.order_no.$ref: $ref 'https://example.com/schemas/order.json' does not resolve (only references within the file, like '#/$defs/name')",
    'rules_error_code': "Error: {file}:12: tool 'amount_of', field implementation.rules.cases.0.error.code: error code 'OrderNotFound' is not snake_case (a-z, 0-9, _)",
    'rules_last_case_conditional': "Error: {file}:14: tool 'amount_of', field implementation.rules.cases.1.when: the last case must have no `when`: it is what the tool gives when no other case holds",
    'rules_private_attribute': "Error: {file}:12: tool 'amount_of', field implementation.rules.cases.0.result.leak: the sandbox refuses the attribute '__class__'",
    'rules_result_and_error': "Error: {file}:12: tool 'amount_of', field implementation.rules.cases.0.result: a case gives exactly one of result or error",
    'rules_syntax_error': "Error: {file}:12: tool 'amount_of', field implementation.rules.cases.0.when: template syntax error: unexpected end of the expression (in 'order_no ==')",
    'rules_unknown_variable': "Error: {file}:12: tool 'amount_of', field implementation.rules.cases.0.result.order: unknown variable 'order_number'; the tool's texts read: args, now, order_no, serial",
    'schema_bad_minimum': "Error: {file}:7: tool 'amount_of', field parameters.properties.qty.minimum: invalid JSON Schema: 'one' is not of type 'number'",
    'schema_bad_type': "Error: {file}:7: tool 'amount_of', field parameters.properties.order_no.type: invalid JSON Schema: 'strin' is not valid under any of the given schemas",
    'shadows_builtin': "Error: {file}:2: tool 'check_delivery', field name: tool 'check_delivery' is already a built-in tool; a tool file cannot replace it (choose another name)",
    'sql_brace_format': "Error: {file}:12: tool 'amount_of', field implementation.sql.queries.0.sql: '{' outside quotes looks like string formatting or a positional parameter; pass values as named parameters (:name)",
    'sql_list_without_name': "Error: {file}:12: tool 'amount_of', field implementation.sql.queries.0.name: a query with rows: list needs a name (its key in the result)",
    'sql_missing_column': "Error: {file}:12: tool 'amount_of', field implementation.sql.queries.0.sql: it does not prepare against the world: no such column: amount",
    'sql_missing_table': "Error: {file}:12: tool 'amount_of', field implementation.sql.queries.0.sql: it does not prepare against the world: no such table: invoices",
    'sql_percent_format': "Error: {file}:12: tool 'amount_of', field implementation.sql.queries.0.sql: '%s' is a string-formatting placeholder; pass values as named parameters (:name), never formatted into the SQL",
    'sql_positional': "Error: {file}:12: tool 'amount_of', field implementation.sql.queries.0.sql: '?' outside quotes looks like string formatting or a positional parameter; pass values as named parameters (:name)",
    'sql_schema_change': "Error: {file}:13: tool 'amount_of', field implementation.sql.queries.0.sql: only SELECT, INSERT, UPDATE and DELETE statements are allowed",
    'sql_two_statements': "Error: {file}:12: tool 'amount_of', field implementation.sql.queries.0.sql: one statement per query (found ';' inside)",
    'sql_unknown_parameter': "Error: {file}:12: tool 'amount_of', field implementation.sql.queries.0.sql: parameter :orderno is no argument of the tool; parameters: :now, :order_no",
    'sql_write_static': "Error: {file}:13: tool 'amount_of', field implementation.sql.queries.0.sql: it writes to 'products', a table of the world no tool may change",
    'sql_write_undeclared': "Error: {file}:12: tool 'amount_of', field implementation.sql.queries.0.sql: it writes to 'orders' but the tool does not say writes: true",
    'two_implementations': "Error: {file}:9: tool 'amount_of', field implementation: an implementation is exactly one of sql, rules, python (found rules, python)",
    'unknown_field': "Error: {file}:4: tool 'amount_of', field timeout: unknown field 'timeout'",
}


def _run(*args: str, cwd: Path = FOLDER) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TWINCHAT, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_the_catalogue_is_complete():
    assert len(EXPECTED) >= 15
    assert sorted(p.stem for p in FOLDER.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_a_bad_tool_file_is_one_located_line(stem, world_path):
    name = f"{stem}.yaml"
    done = _run("units", "check", name, "--db", str(world_path))
    assert done.returncode == 1
    assert done.stderr == EXPECTED[stem].replace("{file}", name) + "\n"
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_every_command_that_reads_units_stops_on_a_bad_tool_file(world_path, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(FOLDER / "sql_missing_table.yaml", folder)
    line = EXPECTED["sql_missing_table"].replace("{file}", str(folder / "sql_missing_table.yaml")) + "\n"
    for args in (["tools", "call", "amount_of", "{}", "--db", str(world_path)],
                 ["generate", "address_extraction", "-n", "1", "-o", str(tmp_path / "s.jsonl"), "--db", str(world_path)],
                 ["units", "check", str(folder), "--db", str(world_path)]):
        done = _run(*args, "--units", str(folder), cwd=tmp_path) if args[0] != "units" else _run(*args, cwd=tmp_path)
        assert (done.returncode, done.stderr) == (1, line), args
    assert not (tmp_path / "s.jsonl").exists()
    listed = _run("tools", "list", "--units", str(folder), cwd=tmp_path)  # no world given: the file's shape only
    assert listed.returncode == 0 and "amount_of" in listed.stdout.splitlines()[-1]
