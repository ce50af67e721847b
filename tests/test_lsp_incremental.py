"""Re-checking an open document recomputes only its own facts: the other files' results (on
disk by mtime and size, open documents by their text) are reused until they change."""

from __future__ import annotations

from pathlib import Path

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
