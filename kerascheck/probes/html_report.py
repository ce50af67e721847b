"""Self-contained HTML reports: ``kerascheck probe --report report.html`` and
``KerascheckCallback(report="fit.html")``.

Probe report, per model: its status, its findings, and for KP102/KP104 findings a plot of
where outputs diverge (the largest absolute difference at every layer, log scale, the first
layer past the tolerance highlighted). Training report: the callback's findings and the
monitored metric per epoch, with the best and the last epoch marked (the gap KP201 reports).
Inline CSS and SVG only: no script, no network, opens anywhere.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path

from kerascheck.findings import Finding

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #1d1d1f; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; word-break: break-all; }
.status { font-weight: 600; } .clean { color: #1a7f37; } .problems { color: #cf222e; }
table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #ddd; padding: .35em .5em;
  text-align: left; vertical-align: top; } .error { color: #cf222e; } .warning { color: #9a6700; }
.info { color: #57606a; } code { font-size: .95em; } figure { margin: 1em 0; }
figcaption { color: #57606a; font-size: .9em; } svg text { font: 11px system-ui, sans-serif; }
"""
#: Differences below this are drawn as zero on the log axis.
_FLOOR = 1e-12
_BAR_HEIGHT = 16
_LABEL_WIDTH = 220
_PLOT_WIDTH = 460


def render(findings: Sequence[Finding], targets: Sequence[str], tool_version: str = "") -> str:
    """The report page for ``targets`` (in order) and their ``findings``."""
    by_target: dict[str, list[Finding]] = {label: [] for label in targets}
    for finding in findings:
        by_target.setdefault(finding.location.path, []).append(finding)
    problems = sum(1 for label in by_target if by_target[label])
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>kerascheck probe report</title><style>{_STYLE}</style></head><body>",
        "<h1>kerascheck probe report</h1>",
        f"<p>{len(by_target)} model(s) probed, {problems} with findings, {len(findings)} finding(s)"
        + (f" · kerascheck {html.escape(tool_version)}" if tool_version else "")
        + "</p>",
    ]
    for label, found in by_target.items():
        parts.append(_model_section(label, found))
    parts.append("</body></html>")
    return "\n".join(parts)


def write(path: str | Path, findings: Sequence[Finding], targets: Sequence[str], tool_version: str = "") -> None:
    Path(path).write_text(render(findings, targets, tool_version), encoding="utf-8")


def render_training(
    findings: Sequence[Finding], monitor: str, curve: Sequence[tuple[int, float]], best_epoch: int | None
) -> str:
    """The training report: findings and the ``monitor`` curve with best and last epochs marked."""
    rows = "".join(
        f'<tr><td><code>{f.code}</code></td><td class="{f.severity.value}">{f.severity.value}</td>'
        f"<td>{html.escape(f.message)}</td></tr>"
        for f in findings
    )
    table = (
        f"<table><thead><tr><th>code</th><th>severity</th><th>message</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else '<p class="status clean">No findings.</p>'
    )
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>kerascheck training report</title><style>{_STYLE}</style></head><body>",
        f"<h1>kerascheck training report: {html.escape(monitor)}</h1>",
        table,
        training_curve(monitor, curve, best_epoch) if curve else f"<p>{html.escape(monitor)} was never logged.</p>",
        "</body></html>",
    ])


def write_training(
    path: str | Path, findings: Sequence[Finding], monitor: str, curve: Sequence[tuple[int, float]], best_epoch: int | None
) -> None:
    Path(path).write_text(render_training(findings, monitor, curve, best_epoch), encoding="utf-8")


def training_curve(monitor: str, curve: Sequence[tuple[int, float]], best_epoch: int | None) -> str:
    """A line per epoch of ``monitor``; the best epoch in green, the last in red, the gap between."""
    width, height, margin = 640, 260, 50
    epochs = [epoch for epoch, _ in curve]
    values = [value for _, value in curve]
    low, high = min(values), max(values)
    spread = (high - low) or 1.0

    def point(epoch: int, value: float) -> tuple[float, float]:
        x = margin + (width - 2 * margin) * (epoch - epochs[0]) / max(epochs[-1] - epochs[0], 1)
        y = height - margin - (height - 2 * margin) * (value - low) / spread
        return x, y

    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(e, v) for e, v in curve))
    marks = []
    last_epoch, last_value = curve[-1]
    best_value = dict(curve).get(best_epoch) if best_epoch is not None else None
    if best_value is not None and best_epoch is not None:
        bx, by = point(best_epoch, best_value)
        lx, ly = point(last_epoch, last_value)
        marks.append(
            f'<circle class="best" cx="{bx:.1f}" cy="{by:.1f}" r="5" fill="#1a7f37"><title>best: epoch '
            f"{best_epoch + 1}, {best_value:.6g}</title></circle>"
            f'<text x="{bx:.1f}" y="{by - 9:.1f}" text-anchor="middle">best {best_value:.4g}</text>'
        )
        if last_epoch != best_epoch:
            marks.append(
                f'<line class="gap" x1="{lx:.1f}" y1="{by:.1f}" x2="{lx:.1f}" y2="{ly:.1f}" stroke="#cf222e" '
                'stroke-dasharray="4 3"/>'
            )
        marks.append(
            f'<circle class="last" cx="{lx:.1f}" cy="{ly:.1f}" r="5" fill="#cf222e"><title>last: epoch '
            f"{last_epoch + 1}, {last_value:.6g}</title></circle>"
            f'<text x="{lx:.1f}" y="{ly + 16:.1f}" text-anchor="end">last {last_value:.4g}</text>'
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(monitor)} per epoch">'
        f'<polyline class="curve" points="{points}" fill="none" stroke="#0969da" stroke-width="2"/>'
        f'{"".join(marks)}'
        f'<text x="{margin}" y="{height - 15}">epoch {epochs[0] + 1}</text>'
        f'<text x="{width - margin}" y="{height - 15}" text-anchor="end">epoch {epochs[-1] + 1}</text>'
        f'<text x="5" y="{margin - 10}">{html.escape(monitor)} {high:.4g}</text>'
        f'<text x="5" y="{height - margin + 4}">{low:.4g}</text></svg>'
    )
    return (
        f'<figure class="training-curve">{svg}<figcaption>{html.escape(monitor)} per epoch; green: the best '
        "epoch, red: the last one, whose weights the model keeps unless something restores the best."
        "</figcaption></figure>"
    )


def _model_section(label: str, found: Sequence[Finding]) -> str:
    status = (
        '<p class="status clean">No findings.</p>'
        if not found
        else f'<p class="status problems">{len(found)} finding(s).</p>'
    )
    rows = []
    plots = []
    for finding in found:
        extra = dict(finding.extra)
        layers = extra.get("layers") or ()
        listed = (
            f"<details><summary>all {len(layers)} layers</summary>{html.escape(', '.join(layers))}</details>"
            if len(layers) > 1
            else ""
        )
        link = f' <a href="{html.escape(finding.docs_url)}">docs</a>' if finding.docs_url else ""
        rows.append(
            f'<tr><td><code>{finding.code}</code>{link}</td>'
            f'<td class="{finding.severity.value}">{finding.severity.value}</td>'
            f"<td>{html.escape(finding.location.logical or '')}</td>"
            f"<td>{html.escape(finding.message)}{listed}</td></tr>"
        )
        divergence = extra.get("divergence")
        if divergence:
            plots.append(divergence_plot(finding, divergence))
    table = (
        "<table><thead><tr><th>code</th><th>severity</th><th>layer</th><th>message</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else ""
    )
    return f'<section class="model" data-model="{html.escape(label)}"><h2>{html.escape(label)}</h2>{status}{table}{"".join(plots)}</section>'


def divergence_plot(finding: Finding, divergence: Sequence[tuple[str, float]]) -> str:
    """A horizontal bar per layer: its largest output difference, log scale, culprit highlighted."""
    values = [(str(name), float(value)) for name, value in divergence]
    finite = [v for _, v in values if math.isfinite(v) and v > _FLOOR]
    top = math.log10(max(finite)) if finite else 0.0
    bottom = math.log10(min(finite)) - 1 if finite else -1.0
    span = max(top - bottom, 1e-9)
    height = _BAR_HEIGHT * len(values) + 30
    width = _LABEL_WIDTH + _PLOT_WIDTH + 90
    bars = []
    for index, (name, value) in enumerate(values):
        y = 10 + index * _BAR_HEIGHT
        if not math.isfinite(value):
            length, shown = float(_PLOT_WIDTH), "inf"
        elif value <= _FLOOR:
            length, shown = 0.0, "0"
        else:
            length, shown = _PLOT_WIDTH * (math.log10(value) - bottom) / span, f"{value:.3g}"
        culprit = name == finding.location.logical
        colour = "#cf222e" if culprit else "#0969da"
        bars.append(
            f'<text x="{_LABEL_WIDTH - 6}" y="{y + 12}" text-anchor="end">{html.escape(_short(name))}</text>'
            f'<rect class="bar{" culprit" if culprit else ""}" data-layer="{html.escape(name)}" x="{_LABEL_WIDTH}" '
            f'y="{y + 2}" width="{length:.1f}" height="{_BAR_HEIGHT - 4}" fill="{colour}">'
            f"<title>{html.escape(name)}: {shown}</title></rect>"
            f'<text x="{_LABEL_WIDTH + length + 4:.1f}" y="{y + 12}">{shown}</text>'
        )
    axis_y = 10 + len(values) * _BAR_HEIGHT + 14
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="largest output difference per layer">{"".join(bars)}'
        f'<text x="{_LABEL_WIDTH}" y="{axis_y}">10^{bottom:.0f}</text>'
        f'<text x="{_LABEL_WIDTH + _PLOT_WIDTH}" y="{axis_y}" text-anchor="end">10^{top:.1f} (log scale)</text></svg>'
    )
    what = "two predictions of the same input" if finding.code == "KP102" else "the model and its reloaded copy"
    return (
        f'<figure class="divergence" data-code="{finding.code}">{svg}<figcaption>{finding.code}: largest '
        f"absolute difference between {what}, per layer in order; red: the first layer past the "
        "tolerance.</figcaption></figure>"
    )


def _short(name: str, limit: int = 32) -> str:
    return name if len(name) <= limit else "…" + name[-(limit - 1):]
