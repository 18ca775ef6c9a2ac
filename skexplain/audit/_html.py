"""One self-contained HTML page for an :class:`AuditReport`.

Inline CSS, figures as ``data:image/png;base64`` URIs, no script, no link to
anything outside the file (only ``#section`` anchors).
"""
import html

import numpy as np

from ._findings import fmt

__all__ = ["SECTIONS", "render"]

#: (id, heading, how to read it), in page order; "per-class" only for classifiers.
SECTIONS = (
    ("findings", "Findings", "Plain-words statements computed from the numbers below; "
     "warnings are highlighted."),
    ("importance", "Global importance", "Mean |attribution| per feature over the explained "
     "rows, with a 95% bootstrap interval over rows; longer bars matter more."),
    ("summary", "Summary (beeswarm)", "One dot per row and feature: position = attribution "
     "(right pushes the prediction up), colour = the feature's value."),
    ("dependence", "Dependence of the top features", "Each top feature's value against its "
     "attribution; the slope shows how the model uses it, colour a possible interaction."),
    ("per-class", "Per-class views", "Importance for each class's predicted probability."),
    ("example-rows", "Example rows", "How single predictions are built: from the base value "
     "(average prediction over the background) through each feature's attribution."),
    ("sanity", "Sanity check", "Explanations of a model retrained on permuted labels should "
     "look different; high similarity means the explanation ignores what was learned."),
    ("agreement", "Agreement between explainers", "A second method explains the same rows; "
     "agreement means the top-feature story does not hang on one method."),
    ("details", "Details", "How this report was made: explainer and why, model, data, "
     "background, seed, versions and timings."),
)

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
max-width:1000px;margin:0 auto;padding:1em 1.5em;color:#1f2328;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;
margin-top:1.8em}.how{color:#57606a;font-style:italic;margin-top:-.4em}
nav a{margin-right:.9em;color:#0969da;text-decoration:none}
.box{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.8em 1.2em}
.box table td,.box table th{padding:.15em .8em .15em 0;border:none}
table.kv th{font-weight:600;color:#424a53;vertical-align:top}
table{border-collapse:collapse;margin:.6em 0}th,td{border-bottom:1px solid #d8dee4;
padding:.3em .7em;text-align:left}td.num,th.num{text-align:right;
font-variant-numeric:tabular-nums}
ul.findings{padding-left:0;list-style:none}ul.findings li{padding:.45em .7em;margin:.3em 0;
border-left:4px solid #2da44e;background:#f6fff8}ul.findings li.warning{
border-left-color:#d1242f;background:#fff5f5}
figure{margin:1em 0}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));
gap:0 1.2em}figure img{max-width:100%;height:auto;border:1px solid #eaeef2}
figcaption{color:#57606a;font-size:.92em}.ok{color:#1a7f37;font-weight:600}
.bad{color:#cf222e;font-weight:600}pre{white-space:pre-wrap;background:#f6f8fa;padding:.6em}
"""


def _e(text):
    return html.escape(str(text), quote=True)


def _num(x):
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "n/a"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return fmt(float(x))


def _table(header, rows, numeric=()):
    head = "".join(f'<th class="num">{_e(h)}</th>' if i in numeric else f"<th>{_e(h)}</th>"
                   for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(
        f'<td class="num">{_e(c)}</td>' if i in numeric else f"<td>{_e(c)}</td>"
        for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _kv_table(rows):
    """A two-column table of labels and values, without a header row."""
    body = "".join(f"<tr><th scope=\"row\">{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="kv"><tbody>{body}</tbody></table>'


def _figures(items):
    return "".join(
        f'<figure><img alt="{_e(f["caption"])}" src="data:image/png;base64,{f["png"]}">'
        f"<figcaption>{_e(f['caption'])}</figcaption></figure>" for f in items)


def _grid(figures_html):
    """Small figures side by side (as many columns as the window fits)."""
    return f'<div class="grid">{figures_html}</div>' if figures_html else ""


def _importance(report):
    frame = report.importance
    cols = ["rank", "feature", "mean_abs", "ci_low", "ci_high", "share"]
    has_se = frame["stderr"].notna().any()
    cols += ["stderr"] if has_se else []
    rows = [[int(r["rank"]), r["feature"], _num(r["mean_abs"]), _num(r["ci_low"]),
             _num(r["ci_high"]), f"{r['share']:.1%}"] + ([_num(r["stderr"])] if has_se else [])
            for _, r in frame.iterrows()]
    header = ["#", "feature", "mean |attribution|", "95% low", "95% high", "share"] + (
        ["estimator s.e."] if has_se else [])
    return (f"<p>Main view: {_e(report.main_view)}.</p>"
            + _table(header, rows, numeric={0, 2, 3, 4, 5, 6})
            + _figures(report.figures.get("importance", [])))


def _per_class(report):
    frame = report.importance
    classes = [c for c in frame.columns if c.startswith("mean_abs[")]
    rows = [[r["feature"]] + [_num(r[c]) for c in classes] for _, r in frame.iterrows()]
    header = ["feature"] + [c[len("mean_abs["):-1] for c in classes]
    return (_table(header, rows, numeric=set(range(1, len(header))))
            + _figures(report.figures.get("per_class", [])))


def _sanity(report):
    s = report.sanity
    if not s["ran"]:
        return f"<p>{_e(s['reason'])}</p>"
    verdict = '<span class="ok">passed</span>' if s["passed"] else '<span class="bad">failed</span>'
    rows = [["test", s["test"]], ["similarity metric", s["metric"]],
            ["similarity (trained vs permuted-label model)", _num(s["statistic"])],
            ["pass threshold (at most)", _num(s["threshold"])], ["rows compared", s["n_rows"]],
            ["background rows (subsample of the audit's)", s.get("n_background", "")],
            ["label permutations averaged", s["n_permutations"]],
            ["training score of the permuted-label models (mean)",
             _num(s["permuted_train_score"])]]
    return f"<p>Verdict: {verdict}.</p>" + _kv_table(rows)


def _agreement(report):
    a = report.agreement
    if a is None:
        return f"<p>{_e(report.details.get('agreement_note', 'Skipped.'))}</p>"
    rows = [["explainers", f"{report.explainer_name} vs {a['other']}"],
            ["rows compared", a["n_rows"]],
            ["mean per-row Spearman over the top features (1 = same order)",
             _num(a["spearman_mean"])],
            [f"top-{a['k']} overlap of the global rankings", f"{a['top_k_overlap']:.0%}"],
            [f"top {a['k']} by {report.explainer_name} on these rows",
             ", ".join(a["top_k_main"])],
            [f"top {a['k']} by {a['other']} on these rows", ", ".join(a["top_k_other"])]]
    return _kv_table(rows)


def _details(report):
    d = report.details
    rows = [["explainer", report.explainer_name], ["why", report.explainer_reason],
            ["explainer parameters", ", ".join(f"{k}={v}" for k, v in
                                               d["explainer_params"].items())],
            ["data shape", " x ".join(map(str, d["data_shape"]))],
            ["rows explained", d["rows_note"]], ["background", d["background"]],
            ["random_state", d["random_state"]], ["y given", d["y_given"]],
            ["skexplain version", d["skexplain_version"]],
            ["timings (s)", ", ".join(f"{k} {v:.2f}" for k, v in d["timings_s"].items())]]
    if report.additivity is not None:
        rows.append(["additivity: max |sum + base - f(x)|", _num(report.additivity["max_gap"])])
    types = _table(["column", "type"], list(d["column_types"].items()))
    notes = "".join(f"<p>{_e(n)}</p>" for n in report.figures.get("notes", []))
    return (_kv_table(rows) + "<h3>Columns</h3>" + types + "<h3>Model</h3><pre>"
            + _e(d["model"]) + "</pre>" + notes)


def _summary_box(report):
    warnings = sum(f["severity"] == "warning" for f in report.findings)
    s, a = report.sanity, report.agreement
    sanity = (("FAILED: " + s["reason"].split(": ", 1)[-1] if s.get("passed") is False
               else "skipped")
              if not s["ran"] else (
        f"{'passed' if s['passed'] else 'FAILED'} (similarity {_num(s['statistic'])}, "
        f"at most {_num(s['threshold'])} to pass)"))
    rows = [["model", report.details.get("model_name", "")],
            ["task", f"{report.task}: {report.main_view}"],
            ["explainer", report.explainer_name],
            ["rows explained", report.details["rows_note"]],
            ["top features", ", ".join(report.top_features)],
            ["score on the data given", "n/a (no y)" if report.score is None else
             f"{report.score['name']} = {report.score['value']:.3f}"],
            ["sanity check", sanity],
            ["agreement", "skipped" if a is None else
             f"Spearman {_num(a['spearman_mean'])} with {a['other']}"],
            ["findings", f"{len(report.findings)} ({warnings} warning(s))"]]
    return '<div class="box">' + _kv_table(rows) + "</div>"


def render(report):
    """The report's HTML page as a string."""
    bodies = {
        "findings": '<ul class="findings">' + "".join(
            f'<li class="{_e(f["severity"])}">{_e(f["text"])}</li>' for f in report.findings)
        + "</ul>",
        "importance": _importance(report),
        "summary": _figures(report.figures.get("summary", [])),
        "dependence": _grid(_figures(report.figures.get("dependence", []))),
        "per-class": _per_class(report),
        "example-rows": _figures(report.figures.get("example_rows", [])),
        "sanity": _sanity(report), "agreement": _agreement(report),
        "details": _details(report),
    }
    shown = [s for s in SECTIONS if s[0] != "per-class" or report.task == "classification"]
    nav = "".join(f'<a href="#{sid}">{_e(head)}</a>' for sid, head, _ in shown)
    parts = [f'<section id="{sid}"><h2>{_e(head)}</h2><p class="how">{_e(how)}</p>'
             f"{bodies[sid] or '<p>No figure.</p>'}</section>" for sid, head, how in shown]
    title = f"skexplain audit: {report.details.get('model_name', 'model')} ({report.task})"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{_e(title)}</h1>{_summary_box(report)}<nav>{nav}</nav>"
            + "".join(parts) + "</body></html>\n")
