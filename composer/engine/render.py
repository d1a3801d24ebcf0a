"""Sandboxed Jinja2 rendering of unit templates and expressions.

Every user-supplied template and expression is compiled in one
:class:`~jinja2.sandbox.SandboxedEnvironment` with ``StrictUndefined`` (a missing variable is an
error, never an empty string) and twinchat's filters (:mod:`.filters`). There is one accelerated
path: each template and expression is compiled to one Python function where :mod:`.compiled`
supports every part of it, under the same sandbox rules (:mod:`.sandbox`); Jinja2 renders
whatever the compiled function cannot decide, and everything it does not support.
"""

from __future__ import annotations

import re
from functools import lru_cache
from types import CodeType
from typing import TYPE_CHECKING, Any

from twinchat.composer.engine import limits
from twinchat.composer.engine.alternatives import Alternatives, parse_alternatives
from twinchat.composer.engine.compile_cache import CompileCache, cache_dir, default_signature, env_signature
from twinchat.composer.engine.compiled_parts import Written, define_with, references, runtime_helpers
from twinchat.composer.engine.filters import FILTERS
from twinchat.composer.engine.limits import MAX_TEXT
from twinchat.composer.engine.sandbox import Fallback, parse
from twinchat.composer.errors import ComposerError, LimitError

if TYPE_CHECKING:  # Jinja2 is imported when a template is parsed, compiled or rendered by it
    import jinja2
    from jinja2 import nodes
    from jinja2.environment import TemplateExpression
    from jinja2.sandbox import SandboxedEnvironment

__all__ = ["make_env", "variables_of", "TemplateCache", "LimitedSandbox"]


def make_env() -> SandboxedEnvironment:
    """A fresh sandbox with StrictUndefined, twinchat's filters, and no method written as text
    (a :class:`.environment.LimitedSandbox`)."""
    from twinchat.composer.engine.environment import new_env

    return new_env()


def __getattr__(name: str) -> Any:
    """``LimitedSandbox`` (:mod:`.environment`), imported with Jinja2 when first asked for."""
    if name == "LimitedSandbox":
        from twinchat.composer.engine.environment import LimitedSandbox

        return LimitedSandbox
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def variables_of(env: SandboxedEnvironment, source: str, *, expression: bool = False) -> tuple[set[str], set[str]]:
    """The undeclared variables of a template (or expression) and the filters it uses.

    Raises :class:`jinja2.TemplateSyntaxError` for bad syntax (callers add file and line). When a
    filter is unknown, the variables are not computed (an empty set is returned with the filters).
    The answer for a text is kept across runs (:mod:`.compile_cache`), as compiled code is."""
    cache, kind = checks_cache(env), "variables of an expression" if expression else "variables of a template"
    kept = cache.get(kind, source)
    if type(kept) is tuple and len(kept) == 2 and all(type(k) is tuple for k in kept):
        return set(kept[0]), set(kept[1])
    from jinja2 import meta, nodes

    ast = parse(env, source, expression=expression)
    used_filters = {f.name for f in ast.find_all(nodes.Filter)}
    # when a filter is unknown, that is the problem to report first
    names = set() if used_filters - set(env.filters) else set(meta.find_undeclared_variables(ast))
    cache.put(kind, source, (tuple(sorted(names)), tuple(sorted(used_filters))))
    return names, used_filters


def checks_cache(env: SandboxedEnvironment) -> CompileCache:
    """The compile cache of ``env``'s settings, kept on it (made again if its filters or tests change)."""
    held = env.__dict__.get("twinchat_compile_cache")
    filters, tests = frozenset(env.filters), frozenset(env.tests)
    if held is None or held[0] != filters or held[1] != tests:
        held = env.__dict__["twinchat_compile_cache"] = (filters, tests, CompileCache(cache_dir(), env_signature(env)))
    cache: CompileCache = held[2]
    return cache


class TemplateCache:
    """Compiled templates and expressions of one environment, compiled once each: to one Python
    function where :mod:`.compiled` supports every part of them (Jinja2 decides whatever that
    function cannot), else by the sandboxed environment. What compiling gives is kept across
    runs (:mod:`.compile_cache`): a process reads the code instead of compiling it again."""

    def __init__(self, env: SandboxedEnvironment | None = None, calls: frozenset[str] = frozenset()) -> None:
        """``env``: the environment to compile in (default: :func:`make_env`'s, made when a template
        first needs Jinja2: compiled code read from the compile cache runs without it)."""
        self._env = env
        self._default = env is None  # the cache key of :func:`make_env`'s settings needs no environment
        self.calls = calls  # the variables compiled code may call (see .compiled.compile_expression_code)
        self._templates: dict[str, Any] = {}
        self._expressions: dict[str, Any] = {}
        self._alternatives: dict[str, Alternatives] = {}
        self._kept: CompileCache | None = None  # made when the first template compiles
        self._helpers: dict[str, Any] | None = None  # what compiled code calls (see compiled_parts.define_with)

    @property
    def env(self) -> SandboxedEnvironment:
        """The sandboxed environment templates compile and render in (made when first asked for)."""
        if self._env is None:
            self._env = make_env()
        return self._env

    def _env_or_maker(self) -> Any:
        """The environment if there is one, else the function making it (called only if needed)."""
        return self._env if self._env is not None else lambda: self.env

    def _define(self, written: Written) -> Any:
        if self._helpers is None:
            self._helpers = runtime_helpers(self._env_or_maker())
        return define_with(self._helpers, written)

    def alternatives(self, text: str) -> Alternatives:
        """Template ``text`` read for inline alternatives (once per text); AlternativesError if malformed."""
        alts = self._alternatives.get(text)
        if alts is None:
            alts = self._alternatives[text] = parse_alternatives(text)
        return alts

    def render_text(self, text: str, context: dict[str, Any], rng: Any = None,
                    choices: tuple[int, ...] | None = None) -> str:
        """Render a template that may hold alternatives: with ``choices``, or drawn from ``rng``
        (which is drawn from only when the text has alternatives), else their first branches."""
        alts = self.alternatives(text)
        if not alts.groups:
            return self.render(alts.source, context)
        if choices is None:
            choices = alts.draw(rng) if rng is not None else (0,) * len(alts.groups)
        return self.render(alts.source, alts.scope(context, choices))

    def _fresh(self) -> None:
        from twinchat.composer.engine.environment import LimitedSandbox

        if isinstance(self.env, LimitedSandbox):
            self.env.fresh()

    def _cache(self) -> CompileCache:
        if self._kept is None:
            if self._default:  # make_env's settings: the key needs no environment
                signature = default_signature(FILTERS, self.calls)
            else:
                signature = env_signature(self.env, FILTERS, self.calls)
            self._kept = CompileCache(cache_dir(), signature)
        return self._kept

    def _fast(self, source: str, *, expression: bool) -> Any:
        """The compiled function of a template (or expression), or None where there is none: made
        from the compile cache's code where it holds it, else written, compiled and kept there."""
        cache, kind = self._cache(), "fast expression" if expression else "fast template"
        entry = cache.get(kind, source)
        if entry == ():
            return None
        if entry is not None:
            fn = self._defined(entry)
            if fn is not None:
                return fn
        tree = _parsed(self.env, "{{ " + source + " }}" if expression else source)  # parsed once, for both questions
        if tree is None:
            return None  # not Jinja2: rendering says why
        written: Written | None = None
        if not _makes_tree(source, tree):
            from twinchat.composer.engine.compiled import write_expression, write_template

            write = write_expression if expression else write_template
            written = write(self.env, source, FILTERS, tree, self.calls)
        if written is None:
            cache.put(kind, source, ())
            return None
        if written.recipe is not None:
            cache.put(kind, source, (written.code, written.name, written.recipe))
        return self._define(written)

    def _defined(self, entry: Any) -> Any:
        """The function a compile cache entry's code defines; None for an entry that is not one."""
        if not (type(entry) is tuple and len(entry) == 3 and type(entry[0]) is CodeType
                and entry[1] in ("render", "evaluate") and type(entry[2]) is tuple):
            return None
        names = references(self._env_or_maker(), FILTERS, entry[2])
        return None if names is None else self._define(Written(entry[0], entry[1], names, entry[2]))

    def _jinja_template(self, source: str) -> jinja2.Template:
        """Jinja2's template of ``source`` as ``env.from_string`` makes it, its code read from the
        compile cache where it holds it."""
        cache = self._cache()
        code = cache.get("jinja template", source)
        if type(code) is not CodeType:
            code = self.env.compile(source)  # a syntax error raises here, as from_string raises it
            cache.put("jinja template", source, code)
        return self.env.template_class.from_code(self.env, code, self.env.make_globals(None), None)

    def _jinja_expression(self, expression: str) -> TemplateExpression:
        """Jinja2's expression as ``env.compile_expression(…, undefined_to_none=False)`` makes it,
        its code read from the compile cache where it holds it."""
        import jinja2
        from jinja2 import nodes
        from jinja2.environment import TemplateExpression
        from jinja2.parser import Parser

        cache = self._cache()
        code = cache.get("jinja expression", expression)
        if type(code) is not CodeType:
            try:
                parser = Parser(self.env, expression, state="variable")
                expr = parser.parse_expression()
            except jinja2.TemplateSyntaxError:
                expr = None
            if expr is None or not parser.stream.eos:  # Jinja2 raises the error, with its message
                return self.env.compile_expression(expression, undefined_to_none=False)
            expr.set_environment(self.env)
            body = [nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)]
            code = self.env.compile(nodes.Template(body, lineno=1))
            cache.put("jinja expression", expression, code)
        template = self.env.template_class.from_code(self.env, code, self.env.make_globals(None), None)
        return TemplateExpression(template, False)

    def _compile_template(self, source: str) -> tuple[Any, Any]:
        """(the compiled function, or None where there is none; Jinja2's rendering)."""
        fast = self._fast(source, expression=False)
        compiled: list[Any] = [] if fast is not None else [self._jinja_template(source)]  # else on first use

        def render_jinja(context: dict[str, Any]) -> str:
            import jinja2

            if not compiled:
                compiled.append(self._jinja_template(source))
            self._fresh()
            try:
                return compiled[0].render(context)
            except limits.LimitBreak as exc:
                raise LimitError(str(exc)) from exc
            except jinja2.TemplateError as exc:  # render() names the template
                raise ComposerError(str(exc)) from exc
            except _TEMPLATE_FAULTS as exc:  # {{ 1 // n }} with n = 0, {{ 'a' + 1 }}: the template's fault
                raise ComposerError(f"{type(exc).__name__}: {exc}") from exc
        return fast, render_jinja

    def render(self, source: str, context: dict[str, Any]) -> str:
        """Render template ``source`` with ``context``; a render failure is a ComposerError."""
        compiled = self._templates.get(source)
        if compiled is None:
            compiled = self._templates[source] = self._compile_template(source)
        fast, render_jinja = compiled
        try:
            if fast is None:
                text = render_jinja(context)
            else:
                try:
                    text = fast(context)
                except Exception:  # noqa: BLE001 - Fallback, or an error: Jinja2 renders it and says what is wrong
                    text = render_jinja(context)
        except ComposerError as exc:
            raise type(exc)(f"cannot render {source[:40]!r}: {exc}") from exc
        if len(text) > MAX_TEXT:
            raise LimitError(f"cannot render {source[:40]!r}: the text has {len(text):,} characters, past the "
                                f"limit of {MAX_TEXT:,}")
        return text

    def _compile_expression(self, expression: str) -> Any:
        fast = self._fast(expression, expression=True)
        # Jinja2's compiled expression: now when there is no fast path, else on its first fallback
        compiled = [] if fast is not None else [self._jinja_expression(expression)]

        def evaluate(context: dict[str, Any]) -> Any:
            import jinja2

            if not compiled:
                compiled.append(self._jinja_expression(expression))
            self._fresh()
            try:
                value = compiled[0](context)
            except limits.LimitBreak as exc:
                raise LimitError(str(exc)) from exc
            except jinja2.TemplateError as exc:
                raise ComposerError(str(exc)) from exc
            except _TEMPLATE_FAULTS as exc:
                raise ComposerError(f"{type(exc).__name__}: {exc}") from exc
            if isinstance(value, jinja2.Undefined):
                raise ComposerError(value._undefined_message)
            return value
        def evaluate_named(context: dict[str, Any]) -> Any:  # a failure names the expression
            try:
                return evaluate(context)
            except ComposerError as exc:
                raise type(exc)(f"cannot evaluate {expression!r}: {exc}") from exc
        if fast is None:
            return evaluate_named

        def evaluate_fast(context: dict[str, Any]) -> Any:
            try:
                return fast(context)
            except (Fallback, *_TEMPLATE_FAULTS):  # a fault: Jinja2 evaluates it again and says what is wrong
                return evaluate_named(context)
            except ComposerError as exc:
                raise type(exc)(f"cannot evaluate {expression!r}: {exc}") from exc
        return evaluate_fast

    @staticmethod
    def path(expression: str) -> str | None:
        """The path of a bare path expression (``person.name``), for :func:`.compiled.paths_reader`; else None."""
        m = _PATH_ONLY.match(expression)
        return m.group(1) if m else None

    def compiled(self, expression: str) -> Any:
        """``fn(context)`` evaluating ``expression``; errors are ComposerErrors naming it."""
        fn = self._expressions.get(expression)
        if fn is None:
            fn = self._expressions[expression] = self._compile_expression(expression)
        return fn

    def evaluate(self, expression: str, context: dict[str, Any]) -> Any:
        """Evaluate a Jinja2 expression; undefined results are errors, not None."""
        fn = self._expressions.get(expression)
        if fn is None:
            fn = self._expressions[expression] = self._compile_expression(expression)
        return fn(context)


#: Errors a template's own arithmetic, comparisons or lookups raise while it renders (Jinja2 lets them
#: through): a division by zero, adding text to a number, an index past the end.
_TEMPLATE_FAULTS = (ArithmeticError, TypeError, ValueError, LookupError, AttributeError)

#: A bare path (``person.name``): label readers read several at once (:func:`.compiled.paths_reader`).
_PATH_ONLY = re.compile(r"^\s*([A-Za-z]\w*(?:\.[A-Za-z]\w*)*)\s*$")


def _parsed(env: SandboxedEnvironment, source: str) -> nodes.Template | None:
    """``source`` parsed, or None when it is not valid Jinja2 (rendering it says why)."""
    import jinja2

    try:
        return env.parse(source)
    except jinja2.TemplateSyntaxError:
        return None


def _makes_tree(source: str, ast: nodes.Template) -> bool:
    """Whether a template (``source``, parsed as ``ast``) multiplies or raises to a power: it renders
    in the sandbox, which checks what ``*`` and ``**`` make (the compiled path counts loop
    iterations as the sandbox does, and leaves a rendering past the limit to it). Only the ``*``
    and ``**`` operators make those nodes: a source without a ``*`` is not walked."""
    from jinja2 import nodes

    return "*" in source and ast.find((nodes.Mul, nodes.Pow)) is not None  # one walk of the tree for both


@lru_cache(maxsize=1)
def _known_filters() -> frozenset[str]:
    return frozenset(make_env().filters)
