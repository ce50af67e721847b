"""Findings the engine itself produces (KC000-KC003), documented like every other rule."""

from __future__ import annotations

from collections.abc import Sequence

from kerascheck.findings import Severity
from kerascheck.hookspecs import hookimpl
from kerascheck.rule import Invalid, Rule, Valid


class InternalError(Rule):
    """
    ## What it does
    Reports that a rule (built-in or from a plugin) raised an exception on this file.

    ## Why is this bad?
    The crashing rule could not finish checking the file, so its findings for that file may be
    missing. Every other rule's findings are still reported.

    ## Example
    A plugin rule that assumes every call has a positional argument and indexes ``args[0]``.

    ## Use instead
    Report the message (it names the rule and its module) to the plugin's authors; meanwhile
    ``ignore`` that rule for the affected files.
    """

    code = "KC000"
    name = "internal-error"
    summary = "A rule crashed on this file; other findings are unaffected"
    severity = Severity.ERROR
    requires_keras = False


class SyntaxErrorRule(Rule):
    """
    ## What it does
    Reports a file that Python itself rejects (``compile()`` fails), with Python's message:
    what its parser refuses, and what its compiler refuses after parsing (``return`` or
    ``await`` outside a function, ``break`` outside a loop, duplicate arguments, a late
    ``from __future__`` import). Notebook cells are judged one by one, as IPython runs them
    (top-level ``await`` allowed); a failing cell is reported and the others are checked.

    ## Why is this bad?
    The file cannot run, and kerascheck cannot analyse it for any other problem.

    ## Example
    ```python
    model.fit(x, y epochs=3)
    ```

    ## Use instead
    ```python
    model.fit(x, y, epochs=3)
    ```
    """

    code = "KC001"
    name = "syntax-error"
    summary = "Python rejects the file"
    severity = Severity.ERROR
    requires_keras = False
    INVALID = (
        Invalid("model.fit(x, y epochs=3)\n", line=1, message="syntax error"),
        Invalid("import keras\nmodel = keras.Sequential()\nreturn model\n", line=3, message="'return' outside function"),
        Invalid("for batch in data:\n    pass\nbreak\n", line=3, message="'break' outside loop"),
        Invalid("def build(units, units):\n    pass\n", line=1, message="duplicate argument 'units'"),
        Invalid("import os\nfrom __future__ import annotations\n", line=2, message="from __future__ imports must occur"),
    )
    VALID = ("model.fit(x, y, epochs=3)\n", "from __future__ import annotations\nimport keras\n", "def build():\n    return 1\n")


class NotAnalysed(Rule):
    """
    ## What it does
    Reports valid Python that kerascheck could not analyse: source the libcst parser rejects,
    expressions nested past the recursion limit, undecodable bytes, unreadable or binary files.

    ## Why is this bad?
    Nothing in the file was checked, so problems in it go unreported. The run continues with
    the other files.

    ## Example
    A file saved as Latin-1 that declares no ``# -*- coding: latin-1 -*-`` cookie.

    ## Use instead
    Fix the encoding or permissions the message names, or exclude generated files.
    """

    code = "KC002"
    name = "not-analysed"
    summary = "The file could not be analysed (the message says why)"
    severity = Severity.INFO
    requires_keras = False


class UnusedSuppression(Rule):
    """
    ## What it does
    Reports a ``# noqa: KC...`` or ``# kerascheck: ignore[...]`` comment naming a kerascheck
    rule that found nothing on that line (or, for ``ignore-file``, in that file).

    ## Why is this bad?
    Stale suppressions hide future problems on the line and mislead readers into thinking
    something is wrong there.

    ## Example
    ```python
    import keras
    preds = model.predict(x)  # noqa: KC101
    ```

    ## Use instead
    ```python
    import keras
    preds = model.predict(x)
    ```
    """

    code = "KC003"
    name = "unused-suppression"
    summary = "A suppression comment suppresses nothing"
    severity = Severity.WARNING
    requires_keras = False
    INVALID = (
        Invalid("import keras\npreds = model.predict(x)  # noqa: KC101\n", line=2, also_select=("KC101",)),
        Invalid("import keras\n# kerascheck: ignore-file[KC102]\n", line=2, also_select=("KC1",)),
    )
    VALID = (
        Valid("import keras\npreds = model.predict(x)  # noqa: E501\n", also_select=("KC1",)),
        Valid("import keras\npreds = model.predict(x)  # noqa\n", also_select=("KC1",)),
        Valid("import keras\nm = keras.Sequential()\np = m.predict_classes(x)  # noqa: KC101\n", also_select=("KC1",)),
        Valid("import keras\nm = keras.Sequential()\np = m.predict_classes(  # kerascheck: ignore[KC101]\n    x,\n)\n", also_select=("KC1",)),
    )


@hookimpl
def kerascheck_register_rules() -> Sequence[type[Rule]]:
    return [InternalError, SyntaxErrorRule, NotAnalysed, UnusedSuppression]
