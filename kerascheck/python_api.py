"""The Python API: ``kerascheck.check`` (static) and ``kerascheck.probe`` (dynamic)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kerascheck.checkdoc import Documented
from kerascheck.config import (
    Config,
    check_selectors,
    check_target_keras,
    load_config,
    selector_matches,
    split_selectors,
    validate_against,
    validate_plugin_options,
)
from kerascheck.findings import Finding
from kerascheck.plugins import Registry, load_plugins
from kerascheck.records import record


@record
class Session:
    """Configuration and plugins for one run, validated against each other."""

    config: Config
    registry: Registry
    plugins: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()


def open_session(
    *,
    config_path: str | None = None,
    start: Path | None = None,
    plugins: Sequence[str] = (),
    blocked: Sequence[str] = (),
    overrides: dict[str, Any] | None = None,
    extend_select: Sequence[str] = (),
    extend_ignore: Sequence[str] = (),
    allow_config_plugins: bool = False,
    plugin_search: str | None = None,
) -> Session:
    """Load config and plugins (``ConfigError``/``PluginError`` on mistakes).

    ``overrides`` replace config values (``--select``); ``extend_select``/``extend_ignore``
    add to the configured lists (``--extend-select``, ``--ignore``). Validated once, together.
    ``plugins`` (``-p``) are imported with ``plugin_search`` first on ``sys.path``; the
    configuration's own ``plugins`` only with ``allow_config_plugins`` (see
    :func:`kerascheck.plugins.config_plugins_to_load`).
    """
    config = load_config(config_path, start)
    changes = dict(overrides or {})
    if "target_keras" in changes:
        check_target_keras(changes["target_keras"], "command line", "--target-keras")
    if extend_select:
        changes["extend_select"] = (*config.extend_select, *split_selectors(extend_select))
    if changes:
        config = config.with_overrides(**changes)
    from kerascheck.plugins import config_plugins_to_load
    from kerascheck.static.cache_dir import configured_directory

    configured_directory(config)  # a cache-dir naming the project, home or a parent is a mistake
    configured, config_search = config_plugins_to_load(
        config.plugins, source=config.path or "configuration", root=config.root,
        allowed=allow_config_plugins, command_line=plugins,
    )
    extra = (*configured, *plugins)
    registry = load_plugins(plugins, blocked=blocked, search=plugin_search, config_plugins=configured, config_search=config_search)
    # A selector given on the command line is blamed on it, not on the configuration file.
    for key, given in (("--select", changes.get("select", ())), ("--extend-select", extend_select), ("--ignore", extend_ignore)):
        check_selectors(split_selectors(given), registry.checks, "command line", key)
    ignore = config.ignore
    cli_selected = (*changes.get("select", ()), *split_selectors(extend_select))
    if cli_selected:  # as in ruff: selecting on the command line re-enables what the config ignores
        ignore = unignore(ignore, cli_selected, registry.checks)
    if extend_ignore:
        ignore = (*ignore, *split_selectors(extend_ignore))
    if ignore != config.ignore:
        config = config.with_overrides(ignore=ignore)
    validate_against(config, registry.checks)
    validate_plugin_options(config, registry.config_options)
    return Session(config, registry, tuple(extra), tuple(blocked))


def unignore(ignore: Sequence[str], selected: Sequence[str], checks: Mapping[str, type[Documented]]) -> tuple[str, ...]:
    """``ignore`` without the checks ``selected`` names: a selector that covers none of them is
    kept as written; one that does is replaced by the codes it covers that stay ignored."""
    kept: list[str] = []
    for selector in ignore:
        covered = [c for c in checks.values() if selector_matches(selector, c)]
        released = [c for c in covered if any(selector_matches(s, c) for s in selected)]
        if not released:
            kept.append(selector)
        else:
            kept.extend(c.code for c in sorted(covered, key=lambda c: c.code) if c not in released)
    return tuple(kept)


def check(
    paths: Sequence[str | Path] | str | Path = (),
    *,
    source: str | None = None,
    filename: str = "<string>.py",
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    config: str | None = None,
    target_keras: str | None = None,
    jobs: int | None = 1,
    on_file: Callable[[Any], None] | None = None,
    allow_config_plugins: bool = False,
) -> list[Finding]:
    """Check files/directories (or one ``source`` string) and return the findings.

    ``select``/``ignore`` take codes, prefixes or slugs and replace/extend the configuration.
    ``allow_config_plugins`` imports the plugins the configuration file names (code from the
    project: only for a project you trust).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    start = Path(paths[0]) if paths else Path(filename).parent
    overrides: dict[str, Any] = {}
    if select is not None:
        overrides["select"] = split_selectors(select)
    if target_keras is not None:
        overrides["target_keras"] = target_keras
    session = open_session(
        config_path=config, start=start, overrides=overrides, extend_ignore=ignore, allow_config_plugins=allow_config_plugins
    )
    # A library call does not write a cache into the working directory behind the caller's back.
    return run_check(session, [str(p) for p in paths], source=source, filename=filename, jobs=jobs, on_file=on_file, cache=False)[0]


def run_check(
    session: Session,
    paths: Sequence[str],
    *,
    source: str | None = None,
    filename: str = "-",
    jobs: int | None = None,
    on_file: Callable[[Any], None] | None = None,
    keep_source: bool = False,
    cache: bool | None = None,
) -> tuple[list[Finding], list[Any]]:
    """Run the static engine; returns the findings and the per-file results.

    ``cache``: use the result cache (``None``: as configured, ``cache = true`` by default).
    Stdin and ``keep_source`` runs (fixer, LSP) never use it.
    """
    from functools import partial

    from kerascheck.static.engine import Engine, check_paths, iter_targets

    engine = Engine(session.registry.rules, session.config, session.registry.config_options)
    if source is not None:
        results = [engine.check_file(filename, stdin_text=source, keep_source=keep_source)]
    else:
        targets = iter_targets(session.config, paths)
        single = partial(engine.check_file, keep_source=True) if keep_source else None
        results = check_paths(
            engine,
            targets,
            jobs=jobs,
            plugin_spec=(session.plugins, session.blocked),
            on_result=on_file,
            check_one=single,
            cache=_result_cache(session) if cache is not False and not keep_source and session.config.cache else None,
        )
    return engine.finish(results, root=Path(session.config.root)), results


def _result_cache(session: Session) -> Any:
    from kerascheck.static.cache import ResultCache

    return ResultCache.for_session(session)


def probe(
    model_or_path: Any,
    sample: str | None = None,
    select: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[Finding]:
    """Probe a saved model (path) or an in-memory Keras model; see ``kerascheck.probes.probe_function``."""
    from kerascheck.probes.probe_function import probe as run_probe

    return run_probe(model_or_path, sample=sample, select=select, **kwargs)
