"""Names of the causes a finding can be about, for checks whose code covers several.

KC605 reports five different loss/activation mismatches and KP108 three different output
problems. Such a check says which cause a finding is about in ``Finding.extra`` under
:data:`CAUSE`, so :mod:`kerascheck.agreement` pairs a static finding with the probe finding of
the same cause by these names, never by reading messages (docs/probe-mapping.md has the pairs).
Plain strings: they cross the probe subprocess and the result cache as they are.
"""

from __future__ import annotations

from typing import Any

from kerascheck.findings import Finding

#: The ``Finding.extra`` key.
CAUSE = "cause"

# -- KC605 (static): the loss does not match the output activation -------------------------------
#: ``from_logits=True`` after a softmax/sigmoid output: the activation is applied twice.
FROM_LOGITS_AFTER_ACTIVATION = "from-logits-after-activation"
#: A categorical cross-entropy over a one-unit output (always 0).
CATEGORICAL_LOSS_ONE_UNIT = "categorical-loss-one-unit"
#: A categorical cross-entropy over sigmoid outputs.
CATEGORICAL_LOSS_ON_SIGMOID = "categorical-loss-on-sigmoid"
#: A binary cross-entropy over a softmax output of several units.
BINARY_LOSS_ON_SOFTMAX = "binary-loss-on-softmax"

# -- shared by KC605 (a binary loss on it) and KP108 (the layer measured) -----------------------
#: A softmax over a single unit: its output is always exactly 1.0.
ONE_UNIT_SOFTMAX = "one-unit-softmax"

# -- KP108 (probe): what the model returns -----------------------------------------------------
#: The output is not a probability although the compiled loss expects one.
OUTPUT_NOT_PROBABILITY = "output-not-probability"
#: ``predict`` returns a dict while ``model(x)`` does not (a custom ``predict_step``).
PREDICT_RETURNS_DICT = "predict-returns-dict"


def tagged(cause: str) -> tuple[tuple[str, Any], ...]:
    """The ``extra`` of a finding about ``cause`` (``finding_at(..., extra=tagged(ONE_UNIT_SOFTMAX))``)."""
    return ((CAUSE, cause),)


def cause_of(finding: Finding) -> str | None:
    """The cause ``finding`` names in its ``extra``; None for a check with one cause."""
    value = dict(finding.extra).get(CAUSE)
    return value if isinstance(value, str) else None
