"""How much of a static run the project phase costs (issue 12): per-file checks, the import
scan inside them, the program model, and ``Engine.finish`` (project rules, suppressions, sort).

    python bench/project_phase.py ../shared/corpus/keras-io

CPU seconds of this process, ``-j 1``, no result cache.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kerascheck.findings import Location
from kerascheck.python_api import open_session
from kerascheck.static import files, programs
from kerascheck.static.engine import Engine, check_paths, iter_targets


def main(target: str) -> None:
    session = open_session(config_path=None, start=Path(target), overrides={"cache": False})
    engine = Engine(session.registry.rules, session.config, session.registry.config_options)
    paths = iter_targets(session.config, [target])
    began = time.process_time()
    results = check_paths(engine, paths, jobs=1)
    checked = time.process_time()
    model = engine.program_model(results)
    modelled = time.process_time()
    findings = engine.finish(results)
    finished = time.process_time()
    scan_began = time.process_time()
    for path in paths:
        try:
            source = files.read(path)
        except files.UnreadableSource:
            continue
        programs.scan_imports(source.text, path, lambda line, column, where=path: Location(where, line, column))
    scanned = time.process_time()
    print(f"{len(results)} files, {len(model.programs)} programs, {len(findings)} findings")
    print(f"per-file checks        {checked - began:8.3f} s")
    print(f"  of which import scan {scanned - scan_began:8.3f} s  (measured again, separately)")
    print(f"program model          {modelled - checked:8.3f} s")
    print(f"Engine.finish          {finished - modelled:8.3f} s  ({(finished - modelled) / (finished - began) * 100:.2f} % of the run)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
