"""Server-side SVG charts for the dashboard: no script, no external asset, labels escaped.

Only SVG presentation attributes are used (no ``style``), so the strict
Content-Security-Policy (no inline styles) holds.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from api.schemas import Funnel, PromptReplyRate

FUNNEL_STAGES = ("found", "researched", "drafted", "approved", "sent", "replied", "interested")
_BAR = "#2f6fdf"
_BAR_SOFT = "#9cb8ef"
_TEXT = "#1d2433"


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        *body,
        "</svg>",
    ]
    return Markup("".join(parts))


def funnel_chart(funnel: Funnel) -> Markup:
    """Horizontal bars, one per stage, with count and share of found."""
    values = [(stage, int(getattr(funnel, stage))) for stage in FUNNEL_STAGES]
    top = max((v for _, v in values), default=0) or 1
    row, label_w, width = 30, 110, 640
    bar_w = width - label_w - 110
    body: list[str] = []
    for i, (stage, value) in enumerate(values):
        y = i * row + 6
        w = round(bar_w * value / top)
        share = f"{100 * value / funnel.found:.0f} %" if funnel.found else "–"
        body.append(f'<text x="0" y="{y + 15}" font-size="13" fill="{_TEXT}">{escape(stage)}</text>')
        body.append(f'<rect x="{label_w}" y="{y}" width="{max(w, 1)}" height="20" rx="3" fill="{_BAR}">'
                    f"<title>{escape(stage)}: {value}</title></rect>")
        body.append(f'<text x="{label_w + max(w, 1) + 6}" y="{y + 15}" font-size="13" fill="{_TEXT}" '
                    f'class="value" data-stage="{escape(stage)}">{value} ({escape(share)})</text>')
    return _svg(width, len(values) * row + 8, "Lead funnel", body)


def reply_rate_chart(rates: list[PromptReplyRate]) -> Markup:
    """Vertical bars of reply rate per prompt version (interested share darker)."""
    if not rates:
        return _svg(640, 40, "Reply rate by prompt version",
                    [f'<text x="0" y="24" font-size="13" fill="{_TEXT}">No first mails sent yet.</text>'])
    height, base, col_w = 220, 180, 90
    width = max(640, len(rates) * col_w + 60)
    body = [f'<line x1="40" y1="{base}" x2="{width - 10}" y2="{base}" stroke="{_TEXT}" stroke-width="1"/>']
    for tick in (0.25, 0.5, 0.75, 1.0):
        y = base - round(150 * tick)
        body.append(f'<text x="0" y="{y + 4}" font-size="11" fill="{_TEXT}">{int(tick * 100)} %</text>')
        body.append(f'<line x1="40" y1="{y}" x2="{width - 10}" y2="{y}" stroke="#dde3ee" stroke-width="1"/>')
    for i, rate in enumerate(rates):
        x = 50 + i * col_w
        h = round(150 * rate.reply_rate)
        hi = round(150 * (rate.interested / rate.sent)) if rate.sent else 0
        label = f"{rate.prompt_id} v{rate.prompt_version}"
        body.append(f'<rect x="{x}" y="{base - h}" width="50" height="{max(h, 1)}" fill="{_BAR_SOFT}">'
                    f"<title>{escape(label)}: {rate.replied}/{rate.sent} replied</title></rect>")
        body.append(f'<rect x="{x}" y="{base - hi}" width="50" height="{hi}" fill="{_BAR}">'
                    f"<title>{escape(label)}: {rate.interested} interested</title></rect>")
        body.append(f'<text x="{x}" y="{base - h - 6}" font-size="12" fill="{_TEXT}">'
                    f"{100 * rate.reply_rate:.0f} %</text>")
        body.append(f'<text x="{x}" y="{base + 16}" font-size="11" fill="{_TEXT}">{escape(label[:14])}</text>')
        body.append(f'<text x="{x}" y="{base + 30}" font-size="11" fill="{_TEXT}">n={rate.sent}</text>')
    return _svg(width, height, "Reply rate by prompt version", body)
