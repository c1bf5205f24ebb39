"""Pieces of the web pages: claim segments and SVG charts (escaped, no inline style)."""

from __future__ import annotations

from api.charts import funnel_chart, reply_rate_chart
from api.schemas import Funnel, PromptReplyRate
from api.web import Segment, claim_segments


def test_claims_become_their_own_segments() -> None:
    body = "Hallo. Sie bauen Halle 3. Und Halle 3 ist groß."
    segments, missing = claim_segments(body, ["Halle 3", "nicht im Text", "Halle 3"])
    assert "".join(s.text for s in segments) == body
    assert [s for s in segments if s.claim is not None] == [Segment("Halle 3", 0), Segment("Halle 3", 2)]
    assert missing == [1]


def test_empty_claim_is_missing() -> None:
    segments, missing = claim_segments("abc", [""])
    assert segments == [Segment("abc")] and missing == [0]


def test_funnel_chart_escapes_and_has_no_inline_style() -> None:
    svg = str(funnel_chart(Funnel(found=10, researched=8, drafted=5, approved=4, sent=4, replied=2, interested=1)))
    assert svg.startswith("<svg") and 'data-stage="replied">2 (20 %)</text>' in svg
    assert "style=" not in svg and "<script" not in svg


def test_reply_rate_chart_escapes_labels() -> None:
    rate = PromptReplyRate(prompt_id="<b>x</b>", prompt_version="1", sent=4, replied=1, interested=1, reply_rate=0.25)
    svg = str(reply_rate_chart([rate]))
    assert "&lt;b&gt;x&lt;/b&gt;" in svg and "<b>" not in svg and "25 %" in svg
    assert "No first mails sent yet." in str(reply_rate_chart([]))
