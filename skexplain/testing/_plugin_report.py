"""The ``--skexplain-report`` file: JSON, or a self-contained HTML table (stdlib only)."""
import datetime
import html
import json
import pathlib

__all__ = ["report_payload", "write_report"]


def report_payload(records):
    """The report as a JSON-serialisable dict: a summary and one entry per assertion."""
    from .. import __version__

    failed = sum(not r["passed"] for r in records)
    return {
        "skexplain_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "summary": {"assertions": len(records), "passed": len(records) - failed,
                    "failed": failed, "tests": len({r["test"] for r in records})},
        "assertions": list(records),
    }


def _cell(value):
    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


_STYLE = """body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eee}tr.failed td.outcome{color:#b00;font-weight:bold}
tr.passed td.outcome{color:#070}pre{margin:0;white-space:pre-wrap;font-size:90%}"""


def _html(payload):
    s = payload["summary"]
    rows = []
    for r in payload["assertions"]:
        outcome = "passed" if r["passed"] else "failed"
        cells = [r["test"] or "", r["helper"], outcome, _cell(r["statistic"]),
                 _cell(r["threshold"])]
        tds = "".join(f'<td{" class=outcome" if i == 2 else ""}>{html.escape(c)}</td>'
                      for i, c in enumerate(cells))
        rows.append(f'<tr class="{outcome}">{tds}<td><pre>{html.escape(r["message"])}'
                    f'</pre></td></tr>')
    # the data ride along for machines; "</" cannot close the script inside JSON
    data = json.dumps(payload, allow_nan=False, default=str).replace("</", "<\\/")
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        "<title>skexplain explanation assertions</title>"
        f"<style>{_STYLE}</style></head><body>\n"
        "<h1>skexplain explanation assertions</h1>\n"
        f"<p>{s['assertions']} assertions in {s['tests']} tests: {s['passed']} passed, "
        f"{s['failed']} failed (skexplain {html.escape(payload['skexplain_version'])}, "
        f"{html.escape(payload['created'])}).</p>\n"
        "<table><thead><tr><th>test</th><th>helper</th><th>outcome</th><th>statistic</th>"
        "<th>threshold</th><th>message</th></tr></thead><tbody>\n"
        + "\n".join(rows) + "\n</tbody></table>\n"
        f'<script type="application/json" id="skexplain-report-data">{data}</script>\n'
        "</body></html>\n")


def write_report(path, records):
    """Write the report of ``records`` to ``path``; HTML when it ends in .html or .htm."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = report_payload(records)
    if path.suffix.lower() in (".html", ".htm"):
        text = _html(payload)
    else:
        text = json.dumps(payload, indent=2, allow_nan=False, default=str) + "\n"
    path.write_text(text, encoding="utf-8")
    return payload
