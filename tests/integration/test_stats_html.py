"""`supportbot stats --html FILE` after a scripted chat: a report that opens offline, with the
charts when matplotlib is installed and the tables (and what the charts need) when it is not."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli_runner import run

SCRIPT = "how can I pay?\n/helpful\nwhat's the weather in Rome tomorrow\n/human\n"


def chatted(tmp_path: Path) -> Path:
    assert run(["chat"], tmp_path, stdin=SCRIPT).returncode == 0
    return tmp_path


def test_stats_html_writes_a_self_contained_report_with_the_charts(tmp_path: Path) -> None:
    result = run(["stats", "--since", "1d", "--html", "report.html"], chatted(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Total: 2 conversation(s), 1 escalation(s)" in result.stdout  # the table as before
    assert "Report written to report.html" in result.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 1
    assert re.findall(r"<script|<link|@import|url\(|https?://", page) == []
    assert "what&#x27;s the weather in Rome tomorrow" in page
    assert "<th>CSAT</th>" in page and "<th>7 days from</th>" in page


def test_stats_html_beside_json_keeps_stdout_one_json_document(tmp_path: Path) -> None:
    result = run(["stats", "--since", "1d", "--json", "--html", "r.html"], chatted(tmp_path))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"median_minutes_to_first_reply", "csat", "csat_rated"} <= set(data["stages"][0])
    assert (tmp_path / "r.html").exists()


def test_without_the_charts_extra_the_report_has_the_tables_and_says_so(tmp_path: Path) -> None:
    # A matplotlib that cannot be imported shadows the installed one, as on a plain install.
    shadow = tmp_path / "shadow" / "matplotlib"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('not installed')\n", encoding="utf-8")
    result = run(["stats", "--since", "1d", "--html", "report.html"], chatted(tmp_path),
                 PYTHONPATH=str(shadow.parent))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "without charts" in result.stderr and "supportbot[charts]" in result.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<img" not in page and "supportbot[charts]" in page
    assert re.search(r"<tr><td>\w+</td><td>2</td><td>1</td><td>50%</td><td>1</td>", page)


def test_stats_html_into_a_missing_folder_fails_with_one_line(tmp_path: Path) -> None:
    result = run(["stats", "--html", "no/such/folder/r.html"], tmp_path)
    assert result.returncode == 1
    assert "supportbot: --html: cannot write no/such/folder/r.html: No such file" in result.stderr
    assert "Traceback" not in result.stderr
