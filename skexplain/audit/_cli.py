"""The ``skexplain`` command line: ``skexplain audit``."""
import argparse
import os
import pathlib
import sys
import time
import warnings

from ._demo import DATASETS
from ._loading import EX_DATAERR, EX_NOINPUT, EX_NOPERM, EX_UNAVAILABLE, LoadError

EX_CANTCREAT = 73  # sysexits.h: cannot create an output file

EPILOG = f"""\
examples:
  skexplain audit                       audit the embedded demo, write report.html
  skexplain audit --model model.skops --data table.csv --target price
  skexplain audit --model model.joblib --trust-model --data table.csv --out audit.html

model files:
  .skops              loaded with skops (pip install "skexplain[skops]"); types
                      skops does not trust by default need --trust-model
  .pkl .pickle .joblib  unpickling runs code stored in the file: refused
                      unless --trust-model (only for files you created or trust)

exit status:
  0   the report was written
  1   the audit itself failed (--debug shows the traceback)
  2   usage error (bad or missing options)
  {EX_DATAERR}  bad data (EX_DATAERR): a CSV that cannot be parsed or has no rows, a
      --target column it lacks, columns that do not match the model's
  {EX_NOINPUT}  missing or unreadable input file (EX_NOINPUT)
  {EX_UNAVAILABLE}  a .skops model but the skops package is not installed (EX_UNAVAILABLE)
  {EX_CANTCREAT}  cannot write the report (EX_CANTCREAT): --out/--json in a folder that
      cannot be created, a directory, or no permission
  {EX_NOPERM}  untrusted model (EX_NOPERM): a pickle/joblib file or untrusted skops
      types without --trust-model
"""


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {value}")
    return value


def build_parser():
    """The ``skexplain`` parser with its ``audit`` subcommand."""
    parser = argparse.ArgumentParser(
        prog="skexplain", description="Explain and audit scikit-learn models. Without a "
        "command, runs 'audit' (on the embedded demo without --model/--data).")
    commands = parser.add_subparsers(dest="command", metavar="{audit}")
    audit = commands.add_parser(
        "audit", help="audit a model on a CSV (or the embedded demo) into an HTML report",
        description="Audit a fitted model on the rows of a CSV file and write one "
        "self-contained HTML report (importance, dependence, sanity check, agreement "
        "between explainers, findings). Without --model and --data, audits the embedded "
        "demo: a Pipeline fitted on a dataset bundled with scikit-learn.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = audit.add_argument
    add("--model", metavar="PATH", help="fitted model file (.skops, .pkl, .pickle, .joblib)")
    add("--data", metavar="CSV", help="CSV file with a header row: the rows to audit "
        "(comma-separated; ';', tab or '|' when the header has no comma)")
    add("--target", metavar="COL", help="target column of the CSV (dropped from the "
        "features; used by the report when given)")
    add("--out", metavar="PATH", default="report.html",
        help="where to write the HTML report (default: report.html)")
    add("--json", metavar="PATH", help="also write the report's numbers as JSON")
    add("--trust-model", action="store_true",
        help="load pickle/joblib files and skops types not trusted by default (runs code "
        "from the file: only for files you created or trust)")
    add("--explainer", choices=("auto", "exact", "kernel"), default="auto",
        help="auto: exact Shapley values for few features, KernelSHAP otherwise "
        "(default: auto)")
    add("--rows", type=_positive_int, metavar="N", help="rows to explain (default: the "
        "audit's)")
    add("--background", type=_positive_int, metavar="N",
        help="background rows drawn from the data (default: the audit's)")
    add("--top", type=_positive_int, default=5, metavar="N",
        help="top features shown in detail (default: 5)")
    add("--seed", type=int, default=0, metavar="N", help="random seed (default: 0)")
    add("--dataset", choices=sorted(DATASETS), default=None,
        help="demo only: the bundled dataset (default: diabetes)")
    add("--quiet", action="store_true", help="no progress bars and no summary (progress "
        "bars are only drawn when stderr is a terminal)")
    add("--debug", action="store_true", help="show the traceback when the audit fails")
    return parser, audit


def _parse(argv):
    parser, audit = build_parser()
    argv = list(argv)
    if not argv or argv[0] not in ("audit", "-h", "--help"):
        argv.insert(0, "audit")  # no command: audit
    args = parser.parse_args(argv)
    if (args.model is None) != (args.data is None):
        given, needed = ("--model", "--data") if args.data is None else ("--data", "--model")
        audit.error(f"{given} needs {needed}: pass both to audit your model, or neither "
                    "to audit the embedded demo")
    if args.model is not None and args.dataset is not None:
        audit.error("--dataset chooses the embedded demo; it cannot be combined with "
                    "--model/--data")
    if args.model is None and (args.target is not None or args.trust_model):
        option = "--target" if args.target is not None else "--trust-model"
        audit.error(f"{option} applies to --model/--data; the embedded demo needs neither")
    return args


def _inputs(args, say):
    """``(model, X, y, title)`` from the files or the demo; raises LoadError."""
    if args.model is None:
        from ._demo import load_demo

        dataset = args.dataset or "diabetes"
        say(f"Demo: {DATASETS[dataset]}; fitting a gradient-boosting Pipeline ...")
        model, X, y = load_demo(dataset)
        return model, X, y, f"demo: {dataset}"
    from ._loading import ignore_missing_feature_names, load_data, load_model, match_columns

    model = load_model(args.model, trust_model=args.trust_model)
    X, y = load_data(args.data, target=args.target)
    X = match_columns(model, X, target=args.target)
    if getattr(model, "feature_names_in_", None) is None:
        ignore_missing_feature_names()
    say(f"Model: {type(model).__name__} from {args.model}; data: {X.shape[0]} rows x "
        f"{X.shape[1]} columns from {args.data}")
    return model, X, y, f"{args.model} on {args.data}"


def _audit_kwargs(args):
    # a bar redrawn with carriage returns is noise in a log file or a pipe: terminals only
    bar = not args.quiet and sys.stderr.isatty()
    kwargs = dict(explainer=args.explainer, top=args.top, random_state=args.seed,
                  verbose=1 if bar else 0)
    if args.rows is not None:
        kwargs["n_rows"] = args.rows
    if args.background is not None:
        kwargs["n_background"] = args.background
    return kwargs


def _summary(report, say):
    """The explainer and why, the findings: what a person reads first."""
    name = getattr(report, "explainer_name", None)
    why = getattr(report, "explainer_reason", None)
    if why and name and str(why).startswith(str(name)):
        say(f"Explainer: {why}")  # the reason already names it
    elif name:
        say(f"Explainer: {name}" + (f" ({why})" if why else ""))
    findings = list(getattr(report, "findings", []) or [])
    say(f"Findings ({len(findings)}):")
    for finding in findings:
        if isinstance(finding, dict):
            severity, text = finding.get("severity", "info"), finding.get("text", finding)
        else:
            severity, text = getattr(finding, "severity", "info"), getattr(finding, "text",
                                                                          finding)
        say(f"  - {'' if severity == 'info' else severity.upper() + ': '}{text}")


def _writable(path, option):
    """``path`` as a Path whose folder exists (created); checked before a long audit."""
    path = pathlib.Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LoadError(f"{option} {str(path)!r}: cannot create its folder "
                        f"({exc.strerror or exc})", EX_CANTCREAT) from None
    if path.is_dir():
        raise LoadError(f"{option} {str(path)!r}: expected a file name, found a directory",
                        EX_CANTCREAT)
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise LoadError(f"{option} {str(path)!r}: no permission to write there", EX_CANTCREAT)
    return path


def _write(write, path, option):
    try:
        return write(path)
    except OSError as exc:  # the disk filled up, the folder vanished
        raise LoadError(f"{option} {str(path)!r}: cannot write the file "
                        f"({exc.strerror or exc})", EX_CANTCREAT) from None


def run(args, say):
    """Audit and write the report(s); returns the exit status."""
    from skexplain.audit import audit

    start = time.perf_counter()
    out = _writable(args.out, "--out")
    json_out = _writable(args.json, "--json") if args.json else None
    with warnings.catch_warnings():  # filters set while loading end with the audit
        model, X, y, _ = _inputs(args, say)
        report = audit(model, X, y, **_audit_kwargs(args))
    out = _write(report.to_html, out, "--out")
    if json_out:
        _write(report.to_json, json_out, "--json")
    _summary(report, say)
    say(f"Report written to {out} ({time.perf_counter() - start:.0f} s)")
    if args.json:
        say(f"JSON written to {args.json}")
    return 0


def main(argv=None):
    """Run ``skexplain [audit] [options]``; returns the exit status.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success; see ``skexplain audit --help`` for the others.
    """
    args = _parse(sys.argv[1:] if argv is None else argv)

    def say(line):
        if not args.quiet:
            print(line, flush=True)

    try:
        return run(args, say)
    except LoadError as exc:
        print(f"skexplain audit: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("skexplain audit: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the audit itself: one line unless --debug
        if args.debug:
            raise
        print(f"skexplain audit: error: the audit failed: {type(exc).__name__}: {exc} "
              "(--debug shows the traceback)", file=sys.stderr)
        return 1
