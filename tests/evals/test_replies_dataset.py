"""The labelled reply dataset: size, coverage, a clean split, and loud failures on bad rows."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from agents.reply_types import ReplyLabel
from evals.datasets.schema import REPLIES_PATH, DatasetError, load_replies, summary


def test_shipped_dataset_size_and_coverage() -> None:
    rows = load_replies()
    counts = summary(rows)
    assert len(rows) >= 450
    assert set(counts["label"]) == {label.value for label in ReplyLabel}
    assert min(counts["label"].values()) >= 30
    assert 0.4 <= counts["language"]["de"] / len(rows) <= 0.6
    for label in ReplyLabel:
        for language in ("en", "de"):
            assert sum(1 for r in rows if r.label is label and r.language == language) >= 15, (label, language)


def test_split_is_stratified_and_never_shares_a_row() -> None:
    rows = load_replies()
    for label in ReplyLabel:
        group = [r for r in rows if r.label is label]
        share = sum(1 for r in group if r.split == "test") / len(group)
        assert 0.25 <= share <= 0.35, label
    train = load_replies(split="train")
    test = load_replies(split="test")
    assert len(train) + len(test) == len(rows)
    assert not {r.id for r in train} & {r.id for r in test}
    assert not {r.body for r in train} & {r.body for r in test}


def test_hard_cases_are_present() -> None:
    rows = load_replies()
    text = {r.id: f"{r.subject}\n{r.body}" for r in rows}

    def has(label: ReplyLabel, needle: str) -> bool:
        return any(needle in text[r.id] for r in rows if r.label is label)

    assert has(ReplyLabel.out_of_office, "bis einschließlich 15.01.2027")
    assert has(ReplyLabel.out_of_office, "ab dem 3. Februar wieder erreichbar")
    assert has(ReplyLabel.unsubscribe, "Art. 21 DSGVO")
    assert has(ReplyLabel.not_now, "Q3")
    assert any(r.label is ReplyLabel.referral and r.fields.referred_email is None for r in rows)
    reports = [r for r in rows if r.raw and "multipart/report" in r.raw]
    assert len(reports) >= 20
    assert {r.fields.bounce_kind for r in rows if r.label is ReplyLabel.bounce} == {"hard", "soft"}
    assert has(ReplyLabel.auto_reply, "Ticket")
    assert any("Grüezi" in t for t in text.values()) and any("Jänner" in t for t in text.values())
    assert any("\n> " in r.body for r in rows)  # quoted history below replies


def test_every_row_parses_as_the_classifier_input() -> None:
    for row in load_replies():
        reply = row.to_input()
        assert reply.header("from") and (reply.text or reply.body), row.id


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "replies.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _good(**changes: object) -> str:
    row = json.loads(REPLIES_PATH.read_text(encoding="utf-8").splitlines()[0])
    row.update(changes)
    return json.dumps({k: v for k, v in row.items() if v is not None}, ensure_ascii=False)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", r"replies\.jsonl:2: not valid JSON"),
        ("[1, 2]", r":2: a row must be a JSON object"),
        (_good(label="maybe"), r":2: field 'label': Input should be"),
        (_good(label=None), r":2: field 'label': Field required"),
        (_good(split="dev"), r":2: field 'split'"),
        (_good(body=""), r":2: field 'body'"),
        (_good(headers={"To": "x@y.example"}), r":2: .*From header"),
        (_good(fields={"return_date": "15.01.2027"}), r":2: field 'fields.return_date'"),
        (_good(fields={"referred_email": "kein Mail"}), r":2: field 'fields.referred_email'"),
        (_good(extra="x"), r":2: field 'extra': Extra inputs"),
        (_good(id="interested-de-999"), r":2: .*must start with 'interested-en-'"),
    ],
)
def test_malformed_rows_name_line_and_field(tmp_path: Path, bad: str, message: str) -> None:
    path = _write(tmp_path, [_good(id="interested-en-900"), bad])
    with pytest.raises(DatasetError, match=message):
        load_replies(path)


def test_duplicate_ids_empty_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r":2: field 'id': .* already used on line 1"):
        load_replies(_write(tmp_path, [_good(), _good()]))
    with pytest.raises(DatasetError, match="no rows"):
        load_replies(_write(tmp_path, [""]))
    with pytest.raises(DatasetError, match="cannot read dataset"):
        load_replies(tmp_path / "missing.jsonl")


def test_blank_lines_are_skipped_and_split_filter_works(tmp_path: Path) -> None:
    path = _write(
        tmp_path, [_good(id="interested-en-901", split="train"), "", _good(id="interested-en-902", split="test")]
    )
    assert [r.id for r in load_replies(path)] == ["interested-en-901", "interested-en-902"]
    assert [r.id for r in load_replies(path, split="test")] == ["interested-en-902"]
    assert Counter(r.split for r in load_replies(path)) == {"train": 1, "test": 1}
