"""The pieces the pages share: the DOT graph's escaping, the safe CSV, number formats."""

from __future__ import annotations

import io
import re

import pandas as pd

from dashboard import formats
from dashboard.downloads import csv_bytes, parquet_bytes
from dashboard.graph import dependency_dot, quote
from models.export import safe_for_spreadsheets

DOT_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
EVIL = 'x"]; pwned -> owned [label="\\N <script>alert(1)</script>\nline'


def _health(name: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            dict(
                repo="acme/web",
                workflow_path=".github/workflows/d.yml",
                workflow_name=name,
                runs=10,
                success_rate=0.5,
                duration_p50_seconds=90.0,
            )
        ]  # fmt: skip
    )


def _dependencies(target: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            dict(repo="acme/web", workflow_path=".github/workflows/d.yml", workflow_name=EVIL, kind="workflow", job_id=None, target_repo=None, target_path=None, target=None, is_manual_only=True),
            dict(repo="acme/web", workflow_path=".github/workflows/d.yml", workflow_name=EVIL, kind="deploys_to", job_id="ship", target_repo=None, target_path=None, target=target, is_manual_only=True),
            dict(repo="acme/web", workflow_path=".github/workflows/d.yml", workflow_name=EVIL, kind="calls", job_id="b", target_repo="acme/web", target_path=".github/workflows/b.yml", target=target, is_manual_only=True),
        ]
    )  # fmt: skip


def test_github_text_cannot_escape_its_dot_string():
    dot = dependency_dot(_health(EVIL), _dependencies(EVIL))
    for line in dot.splitlines():
        outside = DOT_STRING.sub("", line)
        assert '"' not in outside and "pwned" not in outside, line
    assert "\\\\N" in dot  # a backslash from GitHub stays a backslash, not a DOT escape
    assert "manual only" in dot and "50% success · p50 1.5 min" in dot


def test_quote_makes_one_single_line_dot_string():
    assert quote('a "b" \\c\nd') == '"a \\"b\\" \\\\c d"'
    assert quote(None) == '""'


def test_csv_download_is_the_export_csv_with_formulas_neutralised():
    frame = pd.DataFrame({"title": ["=HYPERLINK(\"http://x\")", "+1", "-cmd", "@SUM(A1)", "fine"], "n": [-1, 2, 3, 4, 5]})  # fmt: skip
    data = csv_bytes(frame)
    assert data == safe_for_spreadsheets(frame).to_csv(index=False).encode()
    back = pd.read_csv(io.BytesIO(data))
    assert back["title"].tolist()[:4] == ['\'=HYPERLINK("http://x")', "'+1", "'-cmd", "'@SUM(A1)"]
    assert back["n"].tolist() == [-1, 2, 3, 4, 5]  # numbers stay numbers
    assert pd.read_parquet(io.BytesIO(parquet_bytes(frame))).equals(frame)


def test_formats_pick_readable_units_and_say_no_data():
    assert formats.duration(45 * 60) == "45 min"
    assert formats.duration(4 * 3600) == "4.0 h"
    assert formats.duration(3 * 86400) == "3.0 d"
    assert formats.duration(float("nan")) == "no data"
    assert formats.percent(1 / 3) == "33.3%"
    assert formats.percent(None) == "no data"
