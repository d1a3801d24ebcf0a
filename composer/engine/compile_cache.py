"""Compiled templates kept across runs, as Python keeps ``__pycache__``.

Compiling a template — parsing it, writing its Python code (:mod:`.compiled`, or Jinja2's code
generator) and compiling that — costs far more than running it, and every process compiles the
same built-in templates again: each ``compose`` worker, each ``generate``. This cache keeps what
compiling gives — a code object, and for the fast path the list of references its code reads
(constants, filters, the environment) — marshalled to one file per template under
``$XDG_CACHE_HOME/twinchat`` (else ``~/.cache/twinchat``), in a directory named by a hash of the
Python, Jinja2 and twinchat versions and of the sources that write the code. A process reads a
template's file instead of compiling it; the code it reads is the code it would have compiled,
run in the same sandbox, with the same environment.

Each entry names its own key (the template's text, its kind, the environment's settings): an
entry for anything else, unreadable, truncated or from another version is ignored and written
again. Files are written under a temporary name and renamed into place, so a reader never sees
half an entry. Only a directory the user owns, that no one else may write, is read.
``TWINCHAT_CACHE_DIR`` moves the cache elsewhere; set to ``off`` (or empty) it turns it off.

The cache is bounded: one version's directory holds at most :data:`MAX_ENTRIES` entries (past
them templates compile as before and nothing more is written), and when a version first writes
to its directory, other versions' directories unused for :data:`STALE_DAYS` days are removed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import re
import stat
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["ENV_VAR", "CompileCache", "cache_dir", "default_signature", "env_signature"]

#: The environment variable that moves the cache (a directory) or turns it off (``off`` or empty).
ENV_VAR = "TWINCHAT_CACHE_DIR"
_OFF = {"", "0", "off", "no", "false", "none"}
#: The modules whose code decides what a template compiles to: a change to any of them is a new cache.
_WRITERS = ("render", "environment", "compiled", "compiled_parts", "sandbox", "limits", "filters", "compile_cache")
#: What starts every entry: a change of the layout of entries is a new cache.
_FORMAT = 1
#: An entry's file: the SHA-256 of the rest, then the marshalled (format, key, payload).
_SUM = 32
#: At most this many entries in one version's directory (a few KB each; the built-in units'
#: texts make about 1,000).
MAX_ENTRIES = 20_000
#: Another version's directory whose entries have not changed for this many days is removed when
#: this version first writes to its own.
STALE_DAYS = 30
_VERSION_DIR = re.compile(r"templates-[0-9a-f]{16}")


def cache_dir() -> Path | None:
    """The directory of this version's entries, or None when the cache is off (or the sources
    that write the code cannot be read to name it)."""
    value = os.environ.get(ENV_VAR)
    if value is not None:
        if value.strip().lower() in _OFF:
            return None
        base = Path(value).expanduser()
    else:
        home = os.environ.get("XDG_CACHE_HOME")
        base = (Path(home) if home and os.path.isabs(home) else Path.home() / ".cache") / "twinchat"
    tag = _version_tag()
    return None if tag is None else base / f"templates-{tag}"


@lru_cache(maxsize=1)
def _version_tag() -> str | None:
    digest = hashlib.sha256()
    for part in (importlib.util.MAGIC_NUMBER, sys.version.encode(), _jinja_version().encode(), str(_FORMAT).encode()):
        digest.update(part + b"\0")
    here = Path(__file__).parent
    try:
        for name in _WRITERS:
            digest.update((here / f"{name}.py").read_bytes() + b"\0")
    except OSError:  # installed without its sources (a zip): nothing names the code it writes
        return None
    return digest.hexdigest()[:16]


#: how Jinja2's ``__init__`` names its version
_VERSION_LINE = re.compile(r'^__version__ = "([^"\n]+)"$', re.MULTILINE)


def _jinja_version() -> str:
    """Jinja2's ``__version__``, read from its ``__init__`` without importing it (a process whose
    templates all come from the cache never does), else from the module itself."""
    module = sys.modules.get("jinja2")
    if module is None:
        spec = importlib.util.find_spec("jinja2")
        if spec is not None and spec.origin is not None and spec.origin.endswith("__init__.py"):
            try:
                with open(spec.origin, encoding="utf-8") as f:
                    found = _VERSION_LINE.findall(f.read())
            except (OSError, ValueError):
                found = []
            if len(found) == 1:
                return str(found[0])
        import jinja2 as module
    return str(module.__version__)


def default_signature(own_filters: Any = (), calls: Any = ()) -> str:
    """The signature of :func:`~twinchat.composer.engine.render.make_env`'s environment, found
    without making it: everything :func:`env_signature` reads of it is decided by the code of the
    modules that name this cache's directory (:data:`_WRITERS`) and by Jinja2's version, which
    names it too, but twinchat's own filters (a plugin may add some: they are named here, as
    env_signature names them) and the variables compiled code may call."""
    filters = sorted((name, f"{getattr(f, '__module__', '')}.{getattr(f, '__qualname__', type(f).__qualname__)}")
                     for name, f in own_filters.items()) if own_filters else []
    parts = ["twinchat.composer.engine.render.make_env", filters, sorted(calls)]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def env_signature(env: Any, own_filters: Any = (), calls: Any = ()) -> str:
    """What an environment's settings decide of compiled code: its class, syntax and whitespace
    options, how it writes values, its filters and tests (their names, and how Jinja2 calls them),
    which of them are twinchat's or Jinja2's own (the fast path calls those directly), and the
    variables compiled code may call."""
    import jinja2.filters
    import jinja2.tests

    def described(table: Any, defaults: Any) -> list[Any]:
        return sorted((name, f"{getattr(f, '__module__', '')}.{getattr(f, '__qualname__', type(f).__qualname__)}",
                       str(getattr(f, "jinja_pass_arg", None)), own_filters.get(name) is f if own_filters else False,
                       defaults.get(name) is f) for name, f in table.items())
    parts = [
        f"{type(env).__module__}.{type(env).__qualname__}",
        [getattr(env, name) for name in (
            "block_start_string", "block_end_string", "variable_start_string", "variable_end_string",
            "comment_start_string", "comment_end_string", "line_statement_prefix", "line_comment_prefix",
            "trim_blocks", "lstrip_blocks", "newline_sequence", "keep_trailing_newline", "optimized",
            "is_async", "autoescape")],
        f"{env.undefined.__module__}.{env.undefined.__qualname__}",
        [f"{c.__module__}.{c.__qualname__}" for c in (env.code_generator_class, env.context_class, env.template_class)],
        sorted(getattr(env, "intercepted_binops", ())), sorted(getattr(env, "intercepted_unops", ())),
        env.finalize is not None,
        sorted(env.extensions),
        described(env.filters, jinja2.filters.FILTERS),
        described(env.tests, jinja2.tests.TESTS),
        sorted(calls),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class CompileCache:
    """The entries of one directory, for environments of one signature: :meth:`get` a compiled
    template's payload, :meth:`put` one. Reading or writing that fails leaves the cache out."""

    def __init__(self, directory: Path | None, signature: str) -> None:
        self.directory = directory if directory is not None and _usable(directory) else None
        self._where = str(self.directory)
        self.signature = signature
        self.read = self.written = 0  # entries this cache read and wrote

    def _key(self, kind: str, source: str) -> tuple[str, str]:
        key = f"{self.signature}\0{kind}\0{source}"
        name = f"{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}.bin"
        return key, os.path.join(self._where, name)

    def get(self, kind: str, source: str) -> Any:
        """The payload stored for ``source`` compiled as ``kind``, or None (none stored, or an
        entry that is not one: unreadable, truncated, another key or format)."""
        if self.directory is None:
            return None
        key, path = self._key(kind, source)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return None
        body = data[_SUM:]
        if data[:_SUM] != hashlib.sha256(body).digest():  # truncated, or changed since it was written
            return None
        try:
            entry = marshal.loads(body)
        except (EOFError, ValueError, TypeError):
            return None
        if type(entry) is not tuple or len(entry) != 3 or entry[0] != _FORMAT or entry[1] != key:
            return None
        self.read += 1
        return entry[2]

    def put(self, kind: str, source: str, payload: Any) -> None:
        """Store ``payload`` (marshallable) for ``source`` compiled as ``kind``: written under a
        temporary name, then renamed into place. A cache that cannot be written is left out."""
        if self.directory is None or _room(self._where) <= 0:
            return
        key, path = self._key(kind, source)
        try:
            body = marshal.dumps((_FORMAT, key, payload))
        except ValueError:  # something marshal cannot write: compiled again next time
            return
        data = hashlib.sha256(body).digest() + body
        import tempfile  # only when an entry is written: a warm run reads its entries

        try:
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
                self.written += 1
                _ROOM[self._where] -= 1
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:  # a full disk or a read-only directory: templates compile as before
            self.directory = None


#: the entries each directory this process writes to may still take (counted at its first write)
_ROOM: dict[str, int] = {}


def _room(where: str) -> int:
    """How many more entries ``where`` may take; at this process's first write to an empty one
    (a new version's), other versions' stale directories beside it are removed."""
    room = _ROOM.get(where)
    if room is None:
        try:
            count = sum(1 for e in os.scandir(where) if e.name.endswith(".bin"))
        except OSError:
            count = MAX_ENTRIES
        room = _ROOM[where] = MAX_ENTRIES - count
        if count == 0:
            _remove_stale(where)
    return room


def _remove_stale(where: str) -> None:
    """Remove the other versions' directories beside ``where`` whose entries have not changed for
    :data:`STALE_DAYS` days (only directories named as this module names them)."""
    parent, own = os.path.split(where)
    oldest = time.time() - STALE_DAYS * 86_400
    try:
        others = [e for e in os.scandir(parent) if e.name != own and _VERSION_DIR.fullmatch(e.name)]
        for entry in others:
            if entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < oldest:
                import shutil

                shutil.rmtree(entry.path, ignore_errors=True)
    except OSError:
        pass


#: directories checked already, by this process: whether each may be used
_CHECKED: dict[Path, bool] = {}


def _usable(directory: Path) -> bool:
    """Whether ``directory`` may hold the cache: made if missing (for the user alone), owned by the
    user and writable by no one else, as Python reads ``__pycache__`` only where its user may
    write (checked once per process)."""
    ok = _CHECKED.get(directory)
    if ok is None:
        ok = _CHECKED[directory] = _make_private(directory)
    return ok


def _make_private(directory: Path) -> bool:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.stat(directory, follow_symlinks=False)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
        return False  # another user's, or writable by others: its entries could be anyone's code
    return True
