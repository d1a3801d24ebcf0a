"""The parts around :mod:`.compiled`'s code writer: what it reads of a parsed template first
(:func:`set_before_read`, :func:`parse_expression`), and what it writes (:class:`Written`) made a
function again — :func:`define` runs the code with the runtime helpers that read attributes as the
sandbox does, and :func:`references` makes the values the code reads by reference again from the
written recipe, in another process (the compiled-template cache, :mod:`.compile_cache`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import CodeType, FunctionType
from typing import TYPE_CHECKING, Any, NamedTuple

from twinchat.composer.engine.limits import checked_mod
from twinchat.composer.engine.sandbox import Fallback, groupby_key, runtime, sort_key

if TYPE_CHECKING:  # Jinja2 is imported where a template is parsed, not where compiled code is defined
    from jinja2 import nodes
    from jinja2.sandbox import SandboxedEnvironment

__all__ = ["HELPERS", "PLAIN", "Written", "define", "define_with", "parse_expression", "references", "runtime_helpers",
           "set_before_read"]


def set_before_read(tree: nodes.Template) -> bool:
    """Whether a name the template sets at its top level is read in a statement before that
    ``set`` (Jinja2 then reads the template's own, not yet assigned, variable: left to it)."""
    from jinja2 import nodes

    def targets(node: nodes.Assign) -> set[str]:
        return {n.name for n in (node.target, *node.target.find_all(nodes.Name)) if isinstance(n, nodes.Name)}

    assigned = set().union(*(targets(n) for n in tree.body if isinstance(n, nodes.Assign)))
    seen: set[str] = set()
    for node in tree.body:
        if assigned - seen and {n.name for n in node.find_all(nodes.Name) if n.ctx == "load"} & (assigned - seen):
            return True
        if isinstance(node, nodes.Assign):
            seen |= targets(node)
    return False


def parse_expression(env: SandboxedEnvironment, expression: str,
                     tree: nodes.Template | None = None) -> nodes.Node | None:
    """The parsed ``expression`` (one expression node; ``tree``: ``{{ expression }}`` parsed
    already, if the caller has it), or None for anything else (a syntax error included: Jinja2
    reports those itself, with its own message)."""
    from jinja2 import nodes

    if tree is None:
        try:
            tree = env.parse("{{ " + expression + " }}")
        except Exception:  # noqa: BLE001
            return None
    body = tree.body
    if len(body) != 1 or not isinstance(body[0], nodes.Output) or len(body[0].nodes) != 1:
        return None
    return body[0].nodes[0]


class Written(NamedTuple):
    """A template or expression written as Python: ``code`` defines the function ``name``, which
    reads the runtime helpers and ``names``; ``recipe`` says how :func:`references` makes
    ``names`` again in another process (None where one of them cannot be)."""

    code: CodeType
    name: str
    names: dict[str, Any]
    recipe: tuple[tuple[Any, ...], ...] | None


def define(env: SandboxedEnvironment, written: Written) -> Any:
    """The function that ``written`` defines, with the runtime helpers (reading attributes as
    ``env``'s sandbox does) and its references; None if it cannot be defined."""
    helpers = env.__dict__.get("twinchat_runtime")  # the same for every function of one environment
    if helpers is None:
        helpers = env.__dict__["twinchat_runtime"] = runtime_helpers(env)
    return define_with(helpers, written)


def runtime_helpers(env: SandboxedEnvironment | Callable[[], SandboxedEnvironment]) -> dict[str, Any]:
    """The runtime helpers compiled code reads, attributes read as ``env``'s sandbox reads them
    (``env`` may be a function giving it, called when an attribute is first checked)."""
    return {**runtime(env), "_call": _call}


def define_with(helpers: dict[str, Any], written: Written) -> Any:
    """The function that ``written`` defines, with ``helpers`` (:func:`runtime_helpers`) and its
    references; None if it cannot be defined."""
    namespace = {**helpers, **written.names}
    try:
        exec(written.code, namespace)  # noqa: S102 - written from a parsed template
    except (SyntaxError, RecursionError, MemoryError):
        return None
    return namespace[written.name]


def references(env: SandboxedEnvironment | Callable[[], SandboxedEnvironment], own_filters: Mapping[str, Any],
               recipe: tuple[tuple[Any, ...], ...]) -> dict[str, Any] | None:
    """The references a :class:`Written`'s code reads, made again from its ``recipe`` for ``env``
    (``own_filters`` as when it was written); None if the recipe names something there is not.
    ``env`` may be a function giving an environment that holds ``own_filters`` as they are (called
    only for a recipe that names the environment)."""
    made = hasattr(env, "filters")
    own = {n: f for n, f in own_filters.items() if env.filters.get(n) is f} if made else own_filters  # type: ignore[union-attr]
    names: dict[str, Any] = {}
    for i, how in enumerate(recipe):
        kind, *args = how
        if kind == "value" and len(args) == 1 and type(args[0]) in PLAIN:
            value = args[0]
        elif kind == "env" and not args:
            value = env if made else env()  # type: ignore[operator]
        elif kind == "helper" and len(args) == 1 and args[0] in HELPERS:
            value = HELPERS[args[0]]
        elif kind == "filter" and len(args) == 1 and args[0] in own:
            value = own[args[0]]
        elif kind == "sort_key" and len(args) == 1 and isinstance(args[0], str):
            value = sort_key(args[0])
        else:
            return None
        names[f"_k{i}"] = value
    return names


def _call(func: Any, /, *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)`` where the sandbox calls ``func`` as it is: a plain Python function
    with no attribute of its own (Jinja2 reads ``unsafe_callable``, ``alters_data`` and
    ``jinja_pass_arg`` there); anything else — and a StopIteration, which Jinja2 turns into an
    undefined value — is Jinja2's to decide."""
    if type(func) is not FunctionType or func.__dict__:
        raise Fallback
    try:
        return func(*args, **kwargs)
    except StopIteration:
        raise Fallback from None


#: constants the code reads by reference that a recipe holds as they are
PLAIN = frozenset({str, int, float, bool, type(None)})
class _Helpers(Mapping[str, Any]):
    """The module-level functions the code reads by reference, by the names a recipe gives them
    (Jinja2's ``groupby`` imported when it is asked for)."""

    _OWN = {"checked_mod": checked_mod, "groupby_key": groupby_key}
    _NAMES = (*_OWN, "sync_do_groupby")

    def __getitem__(self, name: str) -> Any:
        if name == "sync_do_groupby":
            import jinja2.filters

            return jinja2.filters.sync_do_groupby
        return self._OWN[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._NAMES)

    def __len__(self) -> int:
        return len(self._NAMES)


#: the module-level functions the code reads by reference, by the names a recipe gives them
HELPERS: Mapping[str, Any] = _Helpers()
