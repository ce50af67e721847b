"""Loading plugins: built-ins, installed distributions (entry points), and ``-p module``.

Importing a plugin runs its code, so where a module name comes from decides whether it is
imported: built-ins and installed distributions (entry points) always, ``-p MODULE`` because the
command line says so (imported with the working directory first on ``sys.path``), and modules a
configuration file names in ``plugins = [...]`` only with ``--allow-config-plugins`` (imported
with the configuration file's directory first on ``sys.path``): a configuration file can come
with a cloned repository, and it is data, never code (see SECURITY.md). Without the flag, a
configured module that is not an installed plugin is a configuration error naming it.

Built-in rules, probes and reporters are plugin modules registered through the same hooks a
third-party distribution implements. Every check's code prefix belongs to exactly one plugin
distribution; two distributions claiming one prefix, or two checks with one code, is an error
that names both.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import field
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pluggy and the hook specifications load with the first plugin (PluginError must not)
    import pluggy
from kerascheck.checkdoc import Documented
from kerascheck.class_table import ClassTable
from kerascheck.records import record

ENTRY_POINT_GROUP = "kerascheck"
BUILTIN_DISTRIBUTION = "kerascheck"

#: The built-in plugin modules, registered exactly like third-party ones.
BUILTIN_PLUGINS = (
    "kerascheck.rules.core",
    "kerascheck.rules.legacy_api",
    "kerascheck.rules.inference",
    "kerascheck.rules.seeds",
    "kerascheck.rules.persistence",
    "kerascheck.rules.prediction",
    "kerascheck.rules.training",
    "kerascheck.rules.state",
    "kerascheck.probes.builtin",
    "kerascheck.report.builtin",
)


class PluginError(Exception):
    """A plugin could not be loaded or conflicts with another; the message names them."""


@record
class PluginInfo:
    """One loaded plugin, as ``kerascheck plugins`` lists it."""

    name: str  # entry-point name or module name
    distribution: str
    version: str
    module: str
    prefixes: tuple[str, ...] = ()


@record(frozen=False)
class Registry:
    """Everything the loaded plugins contributed."""

    manager: pluggy.PluginManager
    rules: dict[str, type[Any]] = field(default_factory=dict)
    probes: dict[str, type[Any]] = field(default_factory=dict)
    #: Output formats; a plugin's entries given as ``"module:Class"`` are imported when used.
    reporters: ClassTable = field(default_factory=ClassTable)
    plugins: list[PluginInfo] = field(default_factory=list)
    config_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ``-p no:NAME`` names that matched no plugin (the CLI warns about them).
    unknown_blocked: tuple[str, ...] = ()
    #: The checks added so far by prefix (the first of each) and by name, for the conflict checks.
    _by_prefix: dict[str, type[Documented]] = field(default_factory=dict, repr=False, compare=False)
    _by_name: dict[str, type[Documented]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def checks(self) -> dict[str, type[Documented]]:
        """Rules and probes together, by code."""
        return {**self.rules, **self.probes}

    def find(self, code_or_name: str) -> type[Documented] | None:
        key = code_or_name.strip()
        checks = self.checks
        if key.upper() in checks:
            return checks[key.upper()]
        for check in checks.values():
            if check.name == key:
                return check
        return None

    def prefixes(self) -> tuple[str, ...]:
        return tuple(sorted({check.prefix() for check in self.checks.values()}))

    def fingerprint(self) -> tuple[tuple[str, str, str], ...]:
        """Which plugin distributions and versions are loaded (part of the cache key)."""
        return tuple(sorted((p.module, p.distribution, p.version) for p in self.plugins))


def source_fingerprint(plugins: Iterable[tuple[str, str, str]]) -> tuple[tuple[str, int, int], ...]:
    """``(file, mtime_ns, size)`` of every Python file of the plugins whose code can change
    without a new version: ``-p`` modules (version ``"local"``) and editable installs.

    ``plugins`` is :meth:`Registry.fingerprint`. The whole top-level package of each such
    plugin module counts, so a rule class defined beside the hook module is covered too. The
    result cache makes this part of its key, so editing a rule never serves stale results.
    """
    import os
    import sys

    files: set[str] = set()
    for module_name, distribution, version in plugins:
        if distribution == BUILTIN_DISTRIBUTION or not (version == "local" or _is_editable(distribution)):
            continue
        module = sys.modules.get(module_name)
        top = sys.modules.get(module_name.split(".")[0])
        for candidate in (top, module):
            root = getattr(candidate, "__path__", None)
            if root:  # a package: every .py file under its directories
                for directory in root:
                    for folder, _, names in os.walk(directory):
                        files.update(os.path.join(folder, n) for n in names if n.endswith(".py"))
                break
            file = getattr(candidate, "__file__", None)
            if file and candidate is module:
                files.add(file)
    stats = []
    for file in sorted(files):
        try:
            st = os.stat(file)
        except OSError:
            continue
        stats.append((file, st.st_mtime_ns, st.st_size))
    return tuple(stats)


#: distribution -> editable, as the remembered entry-point scan says (no metadata read).
_EDITABLE: dict[str, bool] = {}


def _is_editable(distribution: str) -> bool:
    """Installed with ``pip install -e`` (PEP 610 ``direct_url.json``: ``dir_info.editable``)."""
    if distribution in _EDITABLE:
        return _EDITABLE[distribution]
    import json
    from importlib import metadata

    try:
        text = metadata.distribution(distribution).read_text("direct_url.json")
    except (metadata.PackageNotFoundError, OSError):
        return False
    try:
        return bool(json.loads(text or "{}").get("dir_info", {}).get("editable", False))
    except (ValueError, AttributeError):
        return False


def _new_manager() -> pluggy.PluginManager:
    import types

    import pluggy

    from kerascheck import hookspecs

    #: What pluggy can take a hook implementation from (a function, or a method wrapper).
    hookable = (types.FunctionType, types.MethodType, staticmethod, classmethod)

    class Manager(pluggy.PluginManager):
        def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
            # pluggy looks at every attribute of a plugin module with inspect.getattr_static: a
            # rule module has hundreds (its classes, its imports), which cost more than the rest
            # of its registration. Only a function or method wrapper can be a hook
            # implementation, so anything else in a module's namespace is skipped unread.
            if isinstance(plugin, types.ModuleType) and not isinstance(vars(plugin).get(name), hookable):
                return None
            return super().parse_hookimpl_opts(plugin, name)

    manager = Manager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


@contextlib.contextmanager
def _first_on_path(directory: str | None) -> Iterator[None]:
    """``directory`` first on ``sys.path`` while a local plugin is imported, then removed."""
    if directory is None:
        yield
        return
    sys.path.insert(0, directory)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(directory)


def _import(module: str, origin: str, search: str | None = None) -> ModuleType:
    try:
        with _first_on_path(search):
            # ``__import__``, not ``importlib.import_module``: the same import, but one that
            # ``python -X importtime`` sees (it times only imports made by the interpreter).
            __import__(module)
            return sys.modules[module]
    except Exception as exc:  # a broken plugin must name itself, not crash the linter
        raise PluginError(f"cannot import plugin {module!r} ({origin}): {type(exc).__name__}: {exc}") from None


def installed_plugin_modules() -> frozenset[str]:
    """The modules installed distributions register in the ``kerascheck`` entry-point group."""
    from kerascheck.entry_point_cache import entry_points

    return frozenset(ep.module for ep in entry_points(ENTRY_POINT_GROUP))


def config_plugins_to_load(
    configured: Sequence[str], *, source: str, root: str, allowed: bool, command_line: Sequence[str] = ()
) -> tuple[tuple[str, ...], str | None]:
    """Which of a configuration's ``plugins`` to import, and from where: ``(modules, search)``.

    Without ``allowed`` (``--allow-config-plugins``) nothing a configuration names is imported:
    a module that is an installed plugin (loaded through its entry point anyway) or named on the
    command line too is fine, any other is a :class:`~kerascheck.config.ConfigError`.
    """
    if not configured:
        return (), None
    if allowed:
        return tuple(configured), root
    from kerascheck.config import ConfigError

    known = installed_plugin_modules() | set(command_line)
    refused = [module for module in configured if module not in known]
    if refused:
        names = ", ".join(repr(m) for m in refused)
        raise ConfigError(
            source,
            "plugins",
            f"not importing {names}: a configuration file cannot make kerascheck run code. "
            "Pass --allow-config-plugins to import the plugins it names (from the configuration's "
            "directory), or install the plugin as a distribution (entry points load without the flag)",
        )
    return (), None


def _version_of(distribution: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        from kerascheck import __version__

        return __version__ if distribution == BUILTIN_DISTRIBUTION else "unknown"


def load_plugins(
    extra: Sequence[str] = (),
    *,
    blocked: Iterable[str] = (),
    use_entry_points: bool = True,
    search: str | None = None,
    config_plugins: Sequence[str] = (),
    config_search: str | None = None,
) -> Registry:
    """Build the registry: built-ins, then entry points, then ``extra`` modules (``-p``, imported
    with ``search`` first on ``sys.path``), then ``config_plugins`` (already allowed by
    :func:`config_plugins_to_load`, imported with ``config_search`` first).

    ``blocked`` names plugins not to load (``-p no:NAME``): a distribution name as ``kerascheck
    plugins`` prints it, an entry-point name, or a module name.
    """
    blocked = set(blocked)
    matched: set[str] = set()
    manager = _new_manager()
    registry = Registry(manager)
    sources: list[tuple[str, str, str, str, str | None]] = []  # (name, module, distribution, version, search)
    from kerascheck import __version__ as builtin_version  # no metadata scan for our own version
    for builtin in BUILTIN_PLUGINS:
        sources.append((builtin, builtin, BUILTIN_DISTRIBUTION, builtin_version, None))
    if use_entry_points:
        from kerascheck.entry_point_cache import entry_points  # the metadata scan, remembered

        for entry_point in entry_points(ENTRY_POINT_GROUP):
            _EDITABLE[entry_point.distribution] = entry_point.editable
            sources.append((entry_point.name, entry_point.module, entry_point.distribution, entry_point.version, None))
    for configured in config_plugins:
        sources.append((configured, configured, configured, "local", config_search))
    for local in extra:
        sources.append((local, local, local, "local", search))

    for name, module_name, distribution, version, directory in sources:
        names = {name, module_name, distribution, _normalized(distribution)} & (blocked | {_normalized(b) for b in blocked})
        if names:
            matched.update(b for b in blocked if b in names or _normalized(b) in names)
            continue
        if manager.get_plugin(module_name) is not None:
            continue  # the same module named twice (entry point and -p)
        module = _import(module_name, f"from {distribution}", directory)
        _check_hook_names(module, distribution)
        try:
            manager.register(module, name=module_name)
            manager.check_pending()  # an implementation of a hook kerascheck does not have
        except Exception as exc:
            raise PluginError(f"plugin {module_name!r} ({distribution}) is invalid: {exc}") from None
        prefixes = _collect(registry, manager, module, name, distribution)
        registry.plugins.append(PluginInfo(name, distribution, version, module_name, prefixes))
    registry.unknown_blocked = tuple(sorted(blocked - matched))
    return registry


def _normalized(distribution: str) -> str:
    """PEP 503 form, so ``-p no:kerascheck_tf1`` and ``-p no:kerascheck-tf1`` both match."""
    import re

    return re.sub(r"[-_.]+", "-", distribution).lower()


def hook_names() -> frozenset[str]:
    """The names of kerascheck's hooks."""
    from kerascheck import hookspecs

    return frozenset(name for name in dir(hookspecs) if name.startswith(f"{hookspecs.PROJECT_NAME}_"))


def _check_hook_names(module: ModuleType, distribution: str) -> None:
    """A misspelt hook, or a hook without ``@hookimpl``, would be silently ignored: refuse it."""
    from kerascheck import hookspecs

    marker = f"{hookspecs.PROJECT_NAME}_impl"
    known = hook_names()
    for attribute, value in vars(module).items():
        if not attribute.startswith(f"{hookspecs.PROJECT_NAME}_") or not callable(value):
            continue
        if attribute not in known:
            import difflib  # only to word the error

            close = difflib.get_close_matches(attribute, sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (hooks: {', '.join(sorted(known))})"
            raise PluginError(f"plugin {module.__name__!r} ({distribution}) defines {attribute!r}, which is not a kerascheck hook{hint}")
        if not hasattr(value, marker) and getattr(value, "__module__", None) == module.__name__:
            raise PluginError(
                f"plugin {module.__name__!r} ({distribution}): {attribute!r} is not marked with @kerascheck.hookimpl, so it would never be called"
            )


def _results(hook_caller: Any, module: ModuleType) -> list[Any]:
    """Call one hook on one plugin only (so each result can be attributed to its plugin)."""
    impls = [impl for impl in hook_caller.get_hookimpls() if impl.plugin is module]
    return [impl.function() for impl in impls]


def _collect(
    registry: Registry,
    manager: pluggy.PluginManager,
    module: ModuleType,
    plugin_name: str,
    distribution: str,
) -> tuple[str, ...]:
    module_name = module.__name__
    hooks = manager.hook
    prefixes: set[str] = set()
    try:
        rule_lists = _results(hooks.kerascheck_register_rules, module)
        probe_lists = _results(hooks.kerascheck_register_probes, module)
        reporter_maps = _results(hooks.kerascheck_register_reporters, module)
        option_maps = _results(hooks.kerascheck_add_config_options, module)
    except Exception as exc:
        raise PluginError(f"plugin {module_name!r} ({distribution}) failed to register: {type(exc).__name__}: {exc}") from None
    for kind, lists, table in (("rule", rule_lists, registry.rules), ("probe", probe_lists, registry.probes)):
        for checks in lists:
            for check in checks or ():
                _add_check(registry, table, check, kind, module_name, distribution)
                prefixes.add(check.prefix())
    for mapping in reporter_maps:
        for fmt in mapping or {}:
            if fmt in registry.reporters:
                raise PluginError(f"output format {fmt!r} is registered twice (second by {module_name!r})")
            registry.reporters.add(fmt, mapping.entry(fmt) if isinstance(mapping, ClassTable) else mapping[fmt])
    for mapping in option_maps:
        if mapping:
            registry.config_options.setdefault(plugin_name, {}).update(mapping)
    return tuple(sorted(prefixes))


def _add_check(
    registry: Registry,
    table: dict[str, type[Any]],
    check: type[Documented],
    kind: str,
    module_name: str,
    distribution: str,
) -> None:
    if not (isinstance(check, type) and issubclass(check, Documented)):
        problems = ["is not a kerascheck Rule or Probe subclass"]
    elif distribution == BUILTIN_DISTRIBUTION:
        problems = []  # the test suite checks the built-ins' metadata (parsing 60 docstrings is slow)
    else:
        problems = check.metadata_problems()
    if problems:
        raise PluginError(f"{kind} {getattr(check, '__name__', check)!r} from {module_name!r}: {'; '.join(problems)}")
    existing = registry.rules.get(check.code) or registry.probes.get(check.code)
    if existing is not None:
        raise PluginError(
            f"code {check.code} is claimed twice: by {existing.__module__}.{existing.__qualname__} "
            f"({existing.plugin}) and by {check.__module__}.{check.__qualname__} ({distribution})"
        )
    prefix = check.prefix()
    other = registry._by_prefix.get(prefix)  # every check of a prefix comes from one plugin
    if other is not None and other.plugin != distribution:
        raise PluginError(
            f"prefix {prefix!r} is claimed by two plugins: {other.plugin!r} "
            f"({other.__module__}) and {distribution!r} ({module_name})"
        )
    other = registry._by_name.get(check.name)
    if other is not None:
        raise PluginError(
            f"rule name {check.name!r} is claimed twice: {other.code} ({other.plugin}) and "
            f"{check.code} ({distribution})"
        )
    check.plugin = distribution
    table[check.code] = check
    registry._by_prefix.setdefault(prefix, check)
    registry._by_name[check.name] = check
