"""Configuration: ``[tool.kerascheck]`` in ``pyproject.toml`` or a ``kerascheck.toml``.

Discovery walks up from the first checked path (or the working directory) and takes the first
``kerascheck.toml`` or ``pyproject.toml`` that has a ``[tool.kerascheck]`` table. Every key is
validated; a mistake raises :class:`ConfigError` naming the file, the key and what is wrong.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from kerascheck.findings import Severity
from kerascheck.records import record

if TYPE_CHECKING:  # only annotations: the cached fast path loads this module without the rules
    from kerascheck.checkdoc import Documented


class ConfigError(Exception):
    """A configuration mistake; ``str()`` is the message users see."""

    def __init__(self, source: str, key: str | None, problem: str) -> None:
        self.source, self.key, self.problem = source, key, problem
        where = f"{source}: " + (f"key '{key}': " if key else "")
        super().__init__(where + problem)


@record
class Config:
    """Resolved settings for one run (immutable; CLI flags produce a modified copy)."""

    path: str | None = None  # the file it came from, None for defaults
    root: str = "."  # directory relative paths (exclude, per-file-ignores) are taken from
    select: tuple[str, ...] | None = None  # None: every rule that is on by default
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    severity: tuple[tuple[str, Severity], ...] = ()
    options: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    target_keras: str = "3"
    plugins: tuple[str, ...] = ()
    plugin_options: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    #: Modules of the project that re-export Keras (``{"myproj.nn": "keras.layers"}``).
    keras_modules: tuple[tuple[str, str], ...] = ()
    #: Probe settings from ``[tool.kerascheck.probe]``.
    probe: tuple[tuple[str, Any], ...] = ()
    cache: bool = True
    cache_dir: str = ".kerascheck_cache"
    #: The documentation site every ``docs_url`` points into (None: kerascheck's published site).
    docs_base_url: str | None = None
    #: Files larger than this many bytes are not parsed (KC002): libcst's parser needs several
    #: hundred times a file's size in memory (a 3 MB file: about 2 GB).
    max_file_size: int = 2_000_000

    @property
    def all_excludes(self) -> tuple[str, ...]:
        return (*self.exclude, *self.extend_exclude)

    def options_for(self, check: type[Documented]) -> dict[str, Any]:
        table = dict(self.options)
        merged: dict[str, Any] = {}
        for key in (check.name, check.code):
            merged.update(dict(table.get(key, ())))
        return merged

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **changes)


class _Key(NamedTuple):  # a NamedTuple: a dataclass costs ~0.4 ms to create at start-up
    kind: type | tuple[type, ...]
    description: str


_LIST = "a list of strings"
_KEYS: dict[str, _Key] = {
    "select": _Key(list, _LIST),
    "extend-select": _Key(list, _LIST),
    "ignore": _Key(list, _LIST),
    "per-file-ignores": _Key(dict, "a table of glob = [codes]"),
    "exclude": _Key(list, _LIST),
    "extend-exclude": _Key(list, _LIST),
    "respect-gitignore": _Key(bool, "true or false"),
    "severity": _Key(dict, 'a table of CODE = "error" | "warning" | "info"'),
    "options": _Key(dict, "a table of per-rule option tables"),
    "target-keras": _Key(str, 'a version string such as "3" or "2.15"'),
    "plugins": _Key(list, "a list of plugin module names"),
    "plugin-options": _Key(dict, "a table of per-plugin option tables"),
    "keras-modules": _Key(dict, 'a table of module = "keras.module" it re-exports'),
    "probe": _Key(dict, "a table of probe settings"),
    "cache": _Key(bool, "true or false"),
    "cache-dir": _Key(str, "a directory path"),
    "docs-base-url": _Key(str, 'the URL of the documentation site, e.g. "https://docs.example.com/kerascheck/"'),
    "max-file-size": _Key(int, "a size in bytes (an integer > 0)"),
}

#: ``[tool.kerascheck.probe]`` keys and their types (the single table: ``kerascheck probe``
#: reads it too).
PROBE_KEYS: dict[str, type | tuple[type, ...]] = {
    "timeout": (int, float),
    "custom-objects": list,
    "sample": str,
    "seed": int,
    "jobs": int,
}

#: ``"3"``, ``"2.15"``, ``"3.1.0"``: ASCII digits only, a few of them.
_VERSION = re.compile(r"[0-9]{1,4}(?:\.[0-9]{1,4}){0,2}", re.ASCII)
_DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*", re.ASCII)


def find_config_file(start: Path) -> Path | None:
    """The nearest ``kerascheck.toml`` or ``pyproject.toml`` with ``[tool.kerascheck]``."""
    start = start.resolve()
    if start.is_file():
        start = start.parent
    for directory in (start, *start.parents):
        candidate = directory / "kerascheck.toml"
        if candidate.is_file():
            return candidate
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and _has_tool_table(candidate):
            return candidate
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    # Cheap pre-check before parsing: most pyproject files are not ours. Bytes, so that a file
    # that is not UTF-8 but mentions kerascheck is reported (by _read_toml), not skipped.
    return b"kerascheck" in data and _tool_table(_read_toml(path), str(path)) is not None


def _tool_table(data: Mapping[str, Any], source: str) -> Any:
    """``[tool.kerascheck]``, also written ``[tool]`` + ``kerascheck = {...}`` (one TOML table)."""
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, Mapping):
        raise ConfigError(source, "tool", f"must be a table, not {_type_name(tool)}")
    return tool.get("kerascheck")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), None, f"invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), None, f"not UTF-8 text (TOML files must be UTF-8): byte {exc.start}") from None
    except RecursionError:
        raise ConfigError(str(path), None, "invalid TOML: nested too deeply") from None
    except OSError as exc:
        raise ConfigError(str(path), None, f"cannot read: {exc.strerror or exc}") from None


def load_config(explicit: str | None = None, start: Path | None = None) -> Config:
    """Load the configuration: ``explicit`` file if given, else discovered from ``start``."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(explicit, None, "no such configuration file")
    else:
        found = find_config_file(start or Path.cwd())
        if found is None:
            # Without a config file, relative patterns are taken from the working directory.
            return Config(root=str(Path.cwd()))
        path = found
    data = _read_toml(path)
    if path.name == "pyproject.toml" or "tool" in data:
        table = _tool_table(data, str(path))
        if table is None:
            if path.name == "pyproject.toml":
                raise ConfigError(str(path), None, "has no [tool.kerascheck] table")
            table = data
    else:
        table = data
    return parse_table(table, source=str(path), root=str(path.resolve().parent))


def parse_table(table: Mapping[str, Any], *, source: str, root: str) -> Config:
    """Validate a ``[tool.kerascheck]`` table and build a :class:`Config`."""
    if not isinstance(table, Mapping):
        raise ConfigError(source, "tool.kerascheck", "must be a table")
    for key, value in table.items():
        spec = _KEYS.get(key)
        if spec is None:
            import difflib

            close = difflib.get_close_matches(key.replace("_", "-"), list(_KEYS), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(source, key, f"unknown option{hint}; known: {', '.join(sorted(_KEYS))}")
        if not isinstance(value, spec.kind) or (spec.kind is not bool and isinstance(value, bool)):
            raise ConfigError(source, key, f"must be {spec.description}, not {_type_name(value)}")
        if spec.description == _LIST and isinstance(value, list):  # the kind check above made it a list
            _check_strings(value, source, key)

    def strings(key: str) -> tuple[str, ...]:
        return tuple(table.get(key, ()))

    per_file: list[tuple[str, tuple[str, ...]]] = []
    for pattern, codes in table.get("per-file-ignores", {}).items():
        if not isinstance(codes, list):
            raise ConfigError(source, f"per-file-ignores.{pattern}", "must be a list of codes")
        _check_strings(codes, source, f"per-file-ignores.{pattern}")
        per_file.append((pattern, tuple(codes)))

    severities: list[tuple[str, Severity]] = []
    for code, level in table.get("severity", {}).items():
        try:
            severities.append((code, Severity(level)))
        except ValueError:
            raise ConfigError(
                source, f"severity.{code}", f"must be 'error', 'warning' or 'info', not {level!r}"
            ) from None

    options = _tables(table.get("options", {}), source, "options")
    plugin_options = _tables(table.get("plugin-options", {}), source, "plugin-options")
    keras_modules = []
    for module, target in table.get("keras-modules", {}).items():
        if not _DOTTED_NAME.fullmatch(module):
            raise ConfigError(source, f"keras-modules.{module!r}", "must be a dotted module name (e.g. \"myproj.nn\")")
        if not isinstance(target, str) or not _DOTTED_NAME.fullmatch(target):
            raise ConfigError(source, f"keras-modules.{module}", "must be a dotted module name (a string such as \"keras.layers\")")
        keras_modules.append((module, target))

    target = check_target_keras(table.get("target-keras", "3"), source)

    probe = table.get("probe", {})
    check_probe_options(probe, source)

    max_file_size = table.get("max-file-size", Config.max_file_size)
    if max_file_size <= 0:
        raise ConfigError(source, "max-file-size", f"must be a size in bytes greater than 0, not {max_file_size}")

    return Config(
        path=source,
        root=root,
        select=strings("select") if "select" in table else None,
        extend_select=strings("extend-select"),
        ignore=strings("ignore"),
        per_file_ignores=tuple(per_file),
        exclude=strings("exclude"),
        extend_exclude=strings("extend-exclude"),
        respect_gitignore=table.get("respect-gitignore", True),
        severity=tuple(severities),
        options=options,
        target_keras=target,
        plugins=strings("plugins"),
        plugin_options=plugin_options,
        keras_modules=tuple(keras_modules),
        probe=tuple(sorted(probe.items())),
        cache=table.get("cache", True),
        cache_dir=table.get("cache-dir", ".kerascheck_cache"),
        docs_base_url=table.get("docs-base-url"),
        max_file_size=max_file_size,
    )


def check_probe_options(probe: Mapping[str, Any], source: str) -> None:
    """:class:`ConfigError` naming ``source`` and the key for an unknown or mistyped
    ``[tool.kerascheck.probe]`` option."""
    for key, value in probe.items():
        expected = PROBE_KEYS.get(key)
        if expected is None:
            raise ConfigError(source, f"probe.{key}", f"unknown option; known: {', '.join(sorted(PROBE_KEYS))}")
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(source, f"probe.{key}", f"has the wrong type ({_type_name(value)})")


def check_target_keras(target: str, source: str, key: str = "target-keras") -> str:
    """``target`` if it names Keras 2 or 3 (``"3"``, ``"2.15"``), else a ConfigError."""
    if not _VERSION.fullmatch(target) or int(target.split(".", 1)[0]) not in (2, 3):
        shown = target if len(target) <= 40 else target[:40] + "..."
        raise ConfigError(source, key, f'must name Keras 2 or 3 with ASCII digits (e.g. "3", "2.15"), not {shown!r}')
    return target


def _tables(value: Mapping[str, Any], source: str, key: str) -> tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]:
    result = []
    for name, entries in value.items():
        if not isinstance(entries, Mapping):
            raise ConfigError(source, f"{key}.{name}", "must be a table of option = value")
        result.append((name, tuple(sorted(entries.items()))))
    return tuple(result)


def _check_strings(values: Iterable[Any], source: str, key: str) -> None:
    for value in values:
        if not isinstance(value, str):
            raise ConfigError(source, key, f"must be a list of strings, found {_type_name(value)} {value!r}")


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


# -- validation against the loaded checks -----------------------------------------------------


def validate_against(config: Config, checks: Mapping[str, type[Documented]]) -> None:
    """Every code, prefix and slug in the config names a loaded check; options exist and have
    the right type. Called once the plugins are loaded."""
    source = config.path or "command line"
    selectors = [
        ("select", config.select or ()),
        ("extend-select", config.extend_select),
        ("ignore", config.ignore),
        *((f"per-file-ignores.{p}", codes) for p, codes in config.per_file_ignores),
        ("severity", [code for code, _ in config.severity]),
    ]
    for key, values in selectors:
        check_selectors(values, checks, source, key)
    by_name = {check.name: check for check in checks.values()}
    for name, entries in config.options:
        check = checks.get(name) or by_name.get(name)
        if check is None:
            raise ConfigError(source, f"options.{name}", "unknown rule code or name")
        for option, value in entries:
            if option not in check.options:
                known = ", ".join(sorted(check.options)) or "none"
                raise ConfigError(
                    source, f"options.{name}.{option}", f"unknown option for {check.code} (known: {known})"
                )
            default = check.options[option]
            if default is not None and not _same_kind(default, value):
                raise ConfigError(
                    source,
                    f"options.{name}.{option}",
                    f"must be {_type_name(default)}, not {_type_name(value)}",
                )


def check_selectors(selectors: Iterable[str], checks: Mapping[str, type[Documented]], source: str, key: str) -> None:
    """Every selector names a loaded check (code, prefix or slug)."""
    for selector in selectors:
        if not any(selector_matches(selector, check) for check in checks.values()):
            raise ConfigError(source, key, f"unknown rule code, prefix or name {selector!r}")


def validate_plugin_options(config: Config, defaults: Mapping[str, Mapping[str, Any]]) -> None:
    """``[tool.kerascheck.plugin-options.<plugin>]`` names a plugin with that option and type."""
    source = config.path or "command line"
    for plugin, entries in config.plugin_options:
        known = defaults.get(plugin)
        if known is None:
            names = ", ".join(sorted(defaults)) or "none"
            raise ConfigError(source, f"plugin-options.{plugin}", f"no loaded plugin has options under this name (plugins with options: {names})")
        for option, value in entries:
            if option not in known:
                raise ConfigError(source, f"plugin-options.{plugin}.{option}", f"unknown option (known: {', '.join(sorted(known))})")
            if known[option] is not None and not _same_kind(known[option], value):
                raise ConfigError(source, f"plugin-options.{plugin}.{option}", f"must be {_type_name(known[option])}, not {_type_name(value)}")


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)) and isinstance(value, (int, float)):
        return isinstance(default, float) or isinstance(value, int)
    return isinstance(value, type(default))


def selector_matches(selector: str, check: type[Documented]) -> bool:
    """``ALL``, a code, a code prefix (``KC1``), or a slug names ``check``."""
    if selector == "ALL":
        return True
    if selector == check.name:
        return True
    return bool(selector) and check.code.startswith(selector.upper()) and selector[0].isalpha()


def _specificity(selector: str, check: type[Documented]) -> int:
    if selector == "ALL":
        return 1
    if selector == check.name or selector.upper() == check.code:
        return 100
    return 1 + len(selector)


def is_enabled(config: Config, check: type[Documented], *, path: str | None = None) -> bool:
    """Whether ``check`` runs, ruff-style: the most specific matching selector wins, ``ignore``
    wins ties. Checks that are off by default need their exact code or slug."""
    explicit = {check.code, check.name}
    best_on, best_off = -1, -1
    enable_selectors = list(config.extend_select)
    if config.select is None:
        if check.default_enabled:
            best_on = 0
    else:
        enable_selectors.extend(config.select)
    for selector in enable_selectors:
        if selector_matches(selector, check) and (check.default_enabled or selector.upper() in explicit or selector in explicit):
            best_on = max(best_on, _specificity(selector, check))
    ignores = list(config.ignore)
    if path is not None:
        ignores.extend(per_file_ignores_for(config, path))
    for selector in ignores:
        if selector_matches(selector, check):
            best_off = max(best_off, _specificity(selector, check))
    return best_on >= 0 and best_on > best_off


def per_file_ignores_for(config: Config, path: str) -> list[str]:
    if not config.per_file_ignores:
        return []
    import fnmatch

    try:
        resolved = Path(path).resolve()
    except (OSError, RuntimeError):  # a symlink loop: match the path as given
        resolved = Path(path).absolute()
    try:
        rel = resolved.relative_to(Path(config.root).resolve()).as_posix()
    except ValueError:
        rel = Path(path).as_posix()
    codes: list[str] = []
    for pattern, selected in config.per_file_ignores:
        if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(resolved.name, pattern):
            codes.extend(selected)
    return codes


def severity_for(config: Config, check: type[Documented]) -> Severity:
    for selector, level in config.severity:
        if selector_matches(selector, check):
            return level
    return check.severity


def split_selectors(values: Sequence[str] | None) -> tuple[str, ...]:
    """``--select KC1,KC2 --select KC3`` -> ``("KC1", "KC2", "KC3")``."""
    result: list[str] = []
    for value in values or ():
        result.extend(part.strip() for part in value.split(",") if part.strip())
    return tuple(result)
