"""Re-checking an open document recomputes only its own facts: the other files' results (on
disk by mtime and size, open documents by their text) are reused until they change."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kerascheck.lsp import Linter

TRAIN = "import keras\nimport seed\nmodel = keras.Sequential()\nmodel.fit(x)\n"
SEEDED = "import keras\nkeras.utils.set_random_seed(0)\n"


def test_other_files_facts_are_reused_until_their_text_changes(tmp_path: Path) -> None:
    (tmp_path / "kerascheck.toml").write_text("select = ['KC3']\n", encoding="utf-8")
    train, seed, other = tmp_path / "train.py", tmp_path / "seed.py", tmp_path / "other.py"
    train.write_text(TRAIN, encoding="utf-8")
    seed.write_text("import keras\n", encoding="utf-8")
    other.write_text("import keras\nx = 1\n", encoding="utf-8")
    linter = Linter()
    opened = {str(seed): SEEDED}  # seed.py is open in the editor, with unsaved text

    def check(text: str) -> tuple[list[str], dict[str, object]]:
        outcome = linter.check(str(train), text, opened)
        return [f.code for f in outcome.findings], {path: entry[1] for path, entry in outcome.loaded.facts.items()}

    codes, first = check(TRAIN)
    assert "KC301" not in codes  # the open text of seed.py seeds the program
    codes, second = check(TRAIN + "# an edit of train.py\n")
    assert "KC301" not in codes
    assert second[str(seed)] is first[str(seed)] and second[str(other)] is first[str(other)]  # not checked again
    opened[str(seed)] = "import keras\n"  # the seed removed in the editor
    codes, third = check(TRAIN)
    assert "KC301" in codes and third[str(seed)] is not first[str(seed)] and third[str(other)] is first[str(other)]


# -- a real session: after each edit, the server says what ``kerascheck check`` says --------------

#: ``(old, new)`` replacements applied one after the other to ``so_dcgan_training_true.py``, each
#: sent as a ranged change, the way an editor sends typing: a seed added at the top (a project
#: fact: KC301 goes), a finding removed inside a function, a new function with a bug, a comment
#: indented after a function, a syntax error and its fix, the seed removed again.
EDITS = (
    ("from tensorflow.keras import layers\n", "from tensorflow.keras import layers\n\ntf.keras.utils.set_random_seed(0)\n"),
    ("generator(test_input, training=True)", "generator(test_input, training=False)"),
    ('generator.save("generator.keras")\n', 'generator.save("generator.keras")\n\n\ndef infer(model, x):\n    return model.predict_classes(x)\n'),
    ("def make_discriminator():", "    # a comment that joins make_generator's block\ndef make_discriminator():"),
    ("def infer(model, x):", "def infer(model, x:"),
    ("def infer(model, x:", "def infer(model, x):"),
    ("\ntf.keras.utils.set_random_seed(0)\n", "\n"),
    ("generator(test_input, training=False)", "generator(test_input, training=True)"),
)


def _check_json(path: Path) -> list[tuple[str, int, int, str]]:
    run = subprocess.run(
        [sys.executable, "-m", "kerascheck", "check", str(path), "--output-format", "json"],
        capture_output=True, text=True, cwd=path.parent, timeout=120,
    )
    assert run.returncode in (0, 1), run.stderr
    return sorted((f["code"], f["location"]["row"] - 1, f["location"]["column"] - 1, f["message"]) for f in json.loads(run.stdout))


@pytest.mark.slow
def test_each_edit_gets_the_findings_kerascheck_check_gives(tmp_path: Path) -> None:
    pytest_lsp = pytest.importorskip("pytest_lsp")
    from lsprotocol import types

    source = Path(__file__).parent / "corpus" / "so_dcgan_training_true.py"
    target = tmp_path / "train.py"
    text = source.read_text(encoding="utf-8")
    target.write_text(text, encoding="utf-8")
    uri = target.as_uri()

    def position(offset: int) -> types.Position:
        before = text[:offset]
        return types.Position(line=before.count("\n"), character=offset - (before.rfind("\n") + 1))

    async def session() -> list[tuple[list[tuple[str, int, int, str]], str]]:
        client = pytest_lsp.LanguageClient()
        await client.start_io(sys.executable, "-m", "kerascheck", "lsp")
        await client.initialize_session(
            types.InitializeParams(capabilities=pytest_lsp.client_capabilities("visual-studio-code"), root_uri=tmp_path.as_uri())
        )
        nonlocal text
        seen = []
        try:
            published = client.protocol.wait_for_notification_async(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
            )
            params = await asyncio.wait_for(published, 60)
            for version, (old, new) in enumerate(EDITS, start=2):
                start = text.index(old)
                change = types.TextDocumentContentChangePartial(
                    range=types.Range(start=position(start), end=position(start + len(old))), text=new
                )
                text = text[:start] + new + text[start + len(old) :]
                published = client.protocol.wait_for_notification_async(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
                client.text_document_did_change(
                    types.DidChangeTextDocumentParams(
                        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=[change]
                    )
                )
                params = await asyncio.wait_for(published, 60)
                assert params.version == version
                diagnostics = sorted((str(d.code), d.range.start.line, d.range.start.character, d.message) for d in params.diagnostics)
                seen.append((diagnostics, text))
        finally:
            await client.shutdown_session()
            await client.stop()
        return seen

    seen = asyncio.run(session())
    codes: set[str] = set()
    for diagnostics, version_text in seen:
        target.write_text(version_text, encoding="utf-8")  # the CLI reads the version from disk
        assert diagnostics == _check_json(target), version_text
        codes.update(code for code, *_ in diagnostics)
    assert {"KC301", "KC201", "KC001"} <= codes  # the edits made findings come and go
