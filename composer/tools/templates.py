"""The texts of tool files compiled in the sandbox unit templates render in.

Declared tools (``twinchat.inventory.tools.declared``) render nothing themselves; this is the
:class:`~twinchat.inventory.tools.declared.Templates` the composer hands them: Jinja2's sandbox
with twinchat's limits and filters (:func:`~twinchat.composer.engine.render.make_env`),
``StrictUndefined``, and the load-time checks unit templates get — syntax, unknown filters,
attributes the sandbox refuses, variables the tool does not have.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jinja2

from twinchat.composer.engine.render import TemplateCache, make_env, variables_of
from twinchat.composer.engine.sandbox import refused_attributes
from twinchat.inventory.tools.declared import HELPERS
from twinchat.inventory.tools.declared.tool import Render

__all__ = ["SandboxTemplates"]

_ONE_EXPRESSION = re.compile(r"\s*\{\{(?P<expr>(?:(?!\{\{|\}\}|\{%|\{#).)*)\}\}\s*", re.S)


class SandboxTemplates:
    """Compiles conditions, results and messages of tool files (one sandbox for them all)."""

    def __init__(self) -> None:
        self.env = make_env()
        #: compiled once each, to one Python function where the fast path supports them (as unit
        #: templates are; it calls the runner's helpers such as ``serial`` itself), else by the sandbox
        self.cache = TemplateCache(self.env, frozenset(HELPERS))

    def _check(self, source: str, names: frozenset[str], expression: bool) -> None:
        try:
            variables, filters = variables_of(self.env, source, expression=expression)
            refused = refused_attributes(self.env, source, expression=expression)
        except jinja2.TemplateSyntaxError as exc:
            raise ValueError(f"template syntax error: {exc.message}") from exc
        unknown_filters = sorted(filters - set(self.env.filters))
        if unknown_filters:
            raise ValueError(f"unknown filter {unknown_filters[0]!r}")
        if refused:
            raise ValueError(f"the sandbox refuses the attribute {refused[0]!r}")
        unknown = sorted(variables - names)
        if unknown:
            raise ValueError(f"unknown variable {unknown[0]!r}; the tool's texts read: {', '.join(sorted(names))}")

    def expression(self, source: str, names: frozenset[str]) -> Render:
        self._check(source, names, True)
        return self.cache.compiled(source)

    def template(self, source: str, names: frozenset[str]) -> Render:
        whole = _ONE_EXPRESSION.fullmatch(source)
        if whole is not None:
            return self.expression(whole.group("expr").strip(), names)
        self._check(source, names, False)
        render = self.cache.render

        def text(scope: Mapping[str, Any]) -> str:
            return render(source, scope)  # type: ignore[arg-type]

        return text
