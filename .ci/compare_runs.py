"""Check that the torch-less test run of .ci/run really ran the sklearn tests.

Usage: python .ci/compare_runs.py WITH_TORCH.xml WITHOUT_TORCH.xml (pytest's
``--junitxml`` reports).  Every test that passed with torch must, without
torch, pass, or skip because an optional dependency is missing, or be absent
because it lives in a torch-only place: a test module under ``tests/gradient/``
or named ``*_torch.py``, a doctest of a skexplain module that cannot be
imported without torch, or a parametrization made only when torch is there
(``tests/test_common.py`` checks a torch model only then) of a test function
that did run.  Anything else (sklearn tests skipped with a torch module, say)
is an error.  Prints the counts; exits 1 on an error.
"""
import importlib
import sys
import xml.etree.ElementTree as ET

OPTIONAL = ("torch", "captum", "shap", "lime", "skimage", "distributed", "dask", "skops")


def outcomes(path):
    """``{"classname::name": (status, skip message)}`` of a junit XML report."""
    found = {}
    for case in ET.parse(path).iter("testcase"):
        skipped = case.find("skipped")
        if skipped is not None:
            status, message = "skipped", skipped.get("message", "")
        elif case.find("failure") is not None or case.find("error") is not None:
            status, message = "failed", ""
        else:
            status, message = "passed", ""
        found[f"{case.get('classname')}::{case.get('name')}"] = (status, message)
    return found


def needs_torch(module):
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        return (exc.name or "").split(".")[0] == "torch"
    except Exception:
        return False
    return False


def torch_only(key):
    module = key.split("::")[0]
    if module.startswith("tests."):
        return module.startswith("tests.gradient.") or module.endswith("_torch")
    return module.startswith("skexplain") and needs_torch(module)


def compare(with_torch, without_torch):
    """``(counts, problems)``: what became of each test that passed with torch."""
    counts = {"passed": 0, "skipped (optional dependency)": 0, "torch-only, not collected": 0,
              "parametrizations made only with torch": 0}
    functions = {key.split("[")[0] for key in without_torch}
    problems = []
    for key, (status, _) in sorted(with_torch.items()):
        if status != "passed":
            continue
        if key not in without_torch:
            if torch_only(key):
                counts["torch-only, not collected"] += 1
            elif "[" in key and key.split("[")[0] in functions:
                counts["parametrizations made only with torch"] += 1
            else:
                problems.append(f"{key}: not run without torch")
            continue
        status, message = without_torch[key]
        if status == "passed":
            counts["passed"] += 1
        elif status == "skipped" and any(name in message for name in OPTIONAL):
            counts["skipped (optional dependency)"] += 1
        else:
            problems.append(f"{key}: {status} without torch {message!r}")
    if not counts["passed"]:
        problems.append("no test passed without torch")
    return counts, problems


def main(argv):
    with_torch, without_torch = outcomes(argv[0]), outcomes(argv[1])
    counts, problems = compare(with_torch, without_torch)
    n_ref = sum(status == "passed" for status, _ in with_torch.values())
    print(f"Of the {n_ref} tests that passed with torch, without torch: "
          + ", ".join(f"{n} {what}" for what, n in counts.items()) + ".")
    for problem in problems[:30]:
        print(f"  {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} tests that passed with torch did not run without it.",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
