"""The tool file spec: what a ``kind: tool`` file may say, as pydantic models.

A **tool file** declares one tool the dialogues may call, beside the unit files that call it:

* ``name`` (what function-calling data calls it), ``description``, whether it ``writes``;
* ``parameters`` — its arguments as a JSON Schema object (types, ``required``, ``enum``, ``format``
  ``date``/``date-time``, ``pattern``, ``minimum``/``maximum``, arrays, nested objects, local
  ``$ref``\\ s); every call is checked against it;
* optionally ``result`` — a JSON Schema of what it returns (documentation for the API's readers);
* exactly one ``implementation``: ``sql`` (parameterized queries over the world), ``rules``
  (conditions over the arguments and world lookups, each giving a result or an error) or
  ``python`` (``module:function``).

Texts in ``rules`` (conditions, results, error messages) and in the error messages of ``sql`` are
Jinja2, rendered in the same sandbox as unit templates; the SQL itself is never a template: its
values come in only as named parameters (``:order_no``), and anything that looks like string
formatting (``%s``, ``{name}``) is refused.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

__all__ = ["ToolSpec", "Implementation", "SqlImpl", "RulesImpl", "Query", "Case", "ErrorSpec", "TOOL_NAME",
           "ROW_SHAPES"]

#: What function-calling APIs accept as a function name.
TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: How a query's rows become part of the result.
ROW_SHAPES = ("one", "list", "count", "none")
_CODE = re.compile(r"[a-z][a-z0-9_]*")
_TARGET = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


def _new_list() -> list[Any]:
    """A new empty list: a default factory pydantic need not tokenize a builtin's signature for
    (see twinchat.units.spec.new_dict)."""
    return []


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _problem(message: str, *loc: str | int) -> PydanticCustomError:
    return PydanticCustomError("tool", message, {"at": list(loc)})


class ErrorSpec(_Spec):
    """A tool error the tool returns: ``{"error": {"code", "message", "field"}}``."""

    code: str = Field(description="Stable snake_case code, e.g. order_not_found.")
    message: str = Field(min_length=1, description="What the dialogue shows (a Jinja2 template over the arguments).")
    field: str | None = Field(default=None, description="The argument at fault, if any.")

    @field_validator("code")
    @classmethod
    def _snake(cls, value: str) -> str:
        if not _CODE.fullmatch(value):
            raise ValueError(f"error code {value!r} is not snake_case (a-z, 0-9, _)")
        return value


class Query(_Spec):
    """One SQL statement over the world, with named parameters (``:name``) only."""

    sql: str = Field(min_length=1, description="One SQL statement; values only as :name parameters.")
    rows: Literal["one", "list", "count", "none"] = Field(
        default="one", description="one row (an object), a list of rows, a count, or none (a write).")
    name: str | None = Field(default=None, description=(
        "Key of the shaped rows in the result (sql) or the variable holding them (rules); "
        "a `one` row without a name adds its columns to the result."))
    missing: ErrorSpec | None = Field(default=None, description="For rows: one — the error when there is no row.")

    @model_validator(mode="after")
    def _shape(self) -> Query:
        if self.rows in ("list", "count") and self.name is None:
            raise _problem(f"a query with rows: {self.rows} needs a name (its key in the result)", "name")
        if self.rows == "none" and (self.name is not None or self.missing is not None):
            raise _problem("a query with rows: none (a write) has no name and no missing error", "rows")
        if self.missing is not None and self.rows != "one":
            raise _problem("missing (the error when there is no row) applies to rows: one", "missing")
        return self


class SqlImpl(_Spec):
    """Queries run in order; their shaped rows make the result. The first ``missing`` row ends
    the call with its declared error."""

    queries: list[Query] = Field(min_length=1, description="The statements, run in order.")


class Case(_Spec):
    """One rule: when ``when`` holds (or always, without it), the tool gives ``result`` or ``error``."""

    when: str | None = Field(default=None, description="A Jinja2 expression over the arguments and lookups.")
    result: Any = Field(default=None, description=(
        "The result: an object whose strings are templates; a string that is exactly one "
        "{{ expression }} keeps the expression's value (a number, a list, null)."))
    error: ErrorSpec | None = Field(default=None, description="The tool error to give instead.")

    @model_validator(mode="after")
    def _one_outcome(self) -> Case:
        if (self.result is None) == (self.error is None):
            raise _problem("a case gives exactly one of result or error", "result")
        if self.result is not None and not isinstance(self.result, dict):
            raise _problem("a result is an object (a mapping of keys to values)", "result")
        return self


class RulesImpl(_Spec):
    """Lookups (SQL queries, run first) and cases, the first that holds wins; the last has no ``when``."""

    lookups: list[Query] = Field(default_factory=_new_list, description="World lookups, each a named query.")
    cases: list[Case] = Field(min_length=1, description="The rules, in order; the first that holds wins.")

    @model_validator(mode="after")
    def _complete(self) -> RulesImpl:
        for i, lookup in enumerate(self.lookups):
            if lookup.name is None:
                raise _problem("a lookup needs a name (the variable its rows are read by)", "lookups", i)
        if self.cases[-1].when is not None:
            raise _problem("the last case must have no `when`: it is what the tool gives when no other "
                           "case holds", "cases", len(self.cases) - 1, "when")
        return self


class Implementation(_Spec):
    """Exactly one of ``sql``, ``rules``, ``python``."""

    sql: SqlImpl | None = None
    rules: RulesImpl | None = None
    python: str | None = Field(default=None, description="module:function, called as function(ctx, arguments).")

    @model_validator(mode="after")
    def _exactly_one(self) -> Implementation:
        given = [k for k in ("sql", "rules", "python") if getattr(self, k) is not None]
        if len(given) != 1:
            raise _problem("an implementation is exactly one of sql, rules, python"
                           + (f" (found {', '.join(given)})" if given else ""))
        if self.python is not None and not _TARGET.fullmatch(self.python):
            raise _problem(f"python target {self.python!r} is not module:function", "python")
        return self


class ToolSpec(_Spec):
    """A ``kind: tool`` file."""

    kind: Literal["tool"]
    name: str = Field(description="The function name (1-64 letters, digits, _ or -).")
    description: str = Field(min_length=1, description="What the tool does, for the model reading the schema.")
    writes: bool = Field(default=False, description=(
        "Whether it writes to the world (its writes last until the session ends)."))
    parameters: dict[str, Any] = Field(description="The arguments: a JSON Schema of type object.")
    result: dict[str, Any] | None = Field(default=None, description="A JSON Schema of the result (optional).")
    implementation: Implementation

    @field_validator("name")
    @classmethod
    def _function_name(cls, value: str) -> str:
        if not TOOL_NAME.fullmatch(value):
            raise ValueError(f"tool name {value!r} is not 1-64 letters, digits, _ or -")
        return value

    @field_validator("parameters")
    @classmethod
    def _object(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value.get("type") != "object":
            raise ValueError("parameters must be a JSON Schema with type: object")
        return value

    @model_validator(mode="after")
    def _writes_need_sql(self) -> ToolSpec:
        sql = self.implementation.sql
        if sql is not None and not self.writes and any(q.rows == "none" for q in sql.queries):
            i = next(i for i, q in enumerate(sql.queries) if q.rows == "none")
            raise _problem("a query with rows: none writes; say writes: true", "implementation", "sql", "queries",
                           i, "rows")
        return self
