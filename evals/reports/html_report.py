"""The HTML report: one self-contained page with charts (PNG data URIs) and the failing cases.

Everything taken from the data — case texts, model output, names — is escaped; the page
loads nothing from anywhere. Charts: the suite's headline metrics per variant; replies: a
confusion-matrix heat map per variant; research: precision and recall per field; drafts:
the judge's rubric and pairwise win rates when the run was judged.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from evals.reports.charts import bar_chart, heatmap
from evals.reports.tables import HEADLINE, failures, fmt, metrics_rows, usage_rows
from evals.results import CaseRecord, EvalReport, VariantResult

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:80rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font-size:.8rem;max-width:28rem}
img{max-width:100%;margin:.5rem 0}
.meta{color:#555}
.why{color:#a00}
"""


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="num">{escape(c)}</td>' if i else f"<td>{escape(c)}</td>" for i, c in enumerate(row)
        ) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(uri: str, alt: str) -> str:
    return f'<img src="{uri}" alt="{escape(alt)}">'


def _headline_chart(report: EvalReport) -> str:
    names = [m for m in HEADLINE.get(report.suite, ()) if any(m in v.metrics for v in report.variants)]
    if not names:
        return ""
    series = {v.name: [v.metrics.get(m) for m in names] for v in report.variants}
    return _img(bar_chart(f"{report.suite}: headline metrics by variant", names, series), "headline metrics")


def _confusion_charts(report: EvalReport) -> list[str]:
    charts = []
    for variant in report.variants:
        confusion = variant.details.get("confusion")
        if not confusion or not confusion.get("matrix"):
            continue
        uri = heatmap(f"confusion: {variant.name}", confusion["labels"], confusion["columns"], confusion["matrix"])
        charts.append(_img(uri, f"confusion matrix of {variant.name}"))
    return charts


def _field_charts(report: EvalReport) -> list[str]:
    fields = list(dict.fromkeys(f for v in report.variants for f in v.details.get("fields", {})))
    if not fields:
        return []
    out = []
    for measure in ("precision", "recall"):
        series = {v.name: [v.details["fields"].get(f, {}).get(measure) for f in fields] for v in report.variants}
        out.append(_img(bar_chart(f"{measure} by field", fields, series), f"{measure} by field"))
    return out


def _judge_charts(report: EvalReport) -> list[str]:
    out = []
    criteria = [m for m in dict.fromkeys(m for v in report.variants for m in v.metrics) if m.startswith("judge_")]
    if criteria:
        series = {v.name: [v.metrics.get(c) for c in criteria] for v in report.variants}
        out.append(_img(bar_chart("judge rubric (1-5)", criteria, series, limit=(0.0, 5.0)), "judge rubric"))
    rates = report.comparisons.get("pairwise", {}).get("win_rate")
    if rates:
        out.append(_img(bar_chart("pairwise win rate", list(rates), {"win rate": list(rates.values())}),
                        "pairwise win rates"))
    return out


def _pre(data: Any) -> str:
    if not data:
        return "<pre>–</pre>"
    return f"<pre>{escape(json.dumps(data, ensure_ascii=False, indent=1, default=str))}</pre>"


def _case_row(case: CaseRecord) -> str:
    why = "; ".join(case.notes) or case.error or "failed"
    if case.error and case.notes:
        why += f"; error: {case.error}"
    return (
        f"<tr><td>{escape(case.case_id)}</td><td>{_pre(case.input)}</td><td>{_pre(case.expected)}</td>"
        f'<td>{_pre(case.output)}</td><td class="why">{escape(why)}</td></tr>'
    )


def _failures(variant: VariantResult) -> str:
    shown, total = failures(variant)
    title = f"<h3>{escape(variant.name)}: {total} of {len(variant.cases)} failed</h3>"
    if not shown:
        return title
    rows = "".join(_case_row(case) for case in shown)
    more = f"<p>… and {total - len(shown)} more in report.json</p>" if total > len(shown) else ""
    head = "<tr><th>case</th><th>input</th><th>expected</th><th>output</th><th>why</th></tr>"
    return f"{title}<table><thead>{head}</thead><tbody>{rows}</tbody></table>{more}"


def _pairwise(report: EvalReport) -> str:
    pairwise = report.comparisons.get("pairwise")
    if not pairwise:
        return ""
    rows = [[key, str(e["left_wins"]), str(e["right_wins"]), str(e["ties"])] for key, e in pairwise["pairs"].items()]
    note = (f"<p class=\"meta\">Order of each pair drawn with seed {escape(str(pairwise.get('seed')))}; the draft "
            f"shown first won {escape(fmt(pairwise.get('first_shown_win_rate')))} of the decided comparisons.</p>")
    return "<h2>Pairwise judge</h2>" + _table(["pair (left vs right)", "left wins", "right wins", "ties"], rows) + note


def render_html(report: EvalReport) -> str:
    """The whole report page."""
    data = report.dataset
    charts = [_headline_chart(report), *_confusion_charts(report), *_field_charts(report), *_judge_charts(report)]
    title = f"Eval report: {report.suite}"
    split = f", split {data.split}" if data.split else ""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Dataset {escape(data.path)} ({data.rows} cases{escape(split)}, sha256 '
        f"{escape(data.digest)}) · {report.created_at:%Y-%m-%d %H:%M} UTC · {report.seconds:.1f} s</p>",
        "<h2>Metrics</h2>",
        _table(*metrics_rows(report)),
        "<h2>Charts</h2>",
        *[c for c in charts if c],
        "<h2>Model usage</h2>",
        _table(*usage_rows(report)),
        _pairwise(report),
        "<h2>Failing cases</h2>",
        *(_failures(v) for v in report.variants),
        "</body></html>",
    ]
    return "\n".join(parts)
