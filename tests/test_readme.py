"""README.rst is true: every python snippet runs verbatim, each on its own, and
the shell commands it gives are the ones ``.ci/run`` runs."""
import pathlib
import re
import shlex
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.rst").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def literal_blocks(text):
    """``(kind, code)`` of each indented block after a line ending with ``::``.

    ``kind`` is the directive's language for ``.. code-block:: python`` and
    ``"literal"`` for a paragraph ending with ``::``.
    """
    lines = text.splitlines()
    blocks = []
    for i, line in enumerate(lines):
        directive = re.match(r"\.\. code-block::\s*(\w+)\s*$", line)
        if not directive and not (line.rstrip().endswith("::") and not line.startswith("..")):
            continue
        body = []
        for follower in lines[i + 1:]:
            if follower.strip() and not follower.startswith((" ", "\t")):
                break
            body.append(follower)
        code = textwrap.dedent("\n".join(body)).strip("\n")
        blocks.append((directive[1] if directive else "literal", code + "\n"))
    return blocks


PYTHON_BLOCKS = [code for kind, code in literal_blocks(README) if kind == "python"]


COMMANDS = ("pip ", "python ", "skexplain ")


def readme_commands():
    """The shell commands of README.rst's literal blocks (pip, python and skexplain
    lines; ``a && b`` is two commands)."""
    return [part.strip() for kind, code in literal_blocks(README) if kind == "literal"
            for line in code.splitlines() for part in line.split("&&")
            if part.strip().startswith(COMMANDS)]


def normalize(tokens):
    """``python -m pip`` is ``pip``; ``--quiet`` only changes the output."""
    if tokens[:3] == ["python", "-m", "pip"]:
        tokens = ["pip"] + tokens[3:]
    return [t for t in tokens if t not in ("--quiet", "-q")]


def ci_commands():
    commands = []
    for line in CI.splitlines():
        line = line.strip()
        if line.startswith(COMMANDS):
            commands.append(normalize(shlex.split(line)))
    return commands


def runs_in_ci(command):
    """The command, verbatim, possibly followed by options (``-ra``, ``--junitxml=...``)."""
    wanted = normalize(shlex.split(command))
    return any(ci[:len(wanted)] == wanted and all(t.startswith("-") for t in ci[len(wanted):])
               for ci in ci_commands())


def test_snippets_are_found():
    assert len(PYTHON_BLOCKS) >= 2
    assert all("import" in code for code in PYTHON_BLOCKS)  # each one stands alone


@pytest.mark.parametrize("code", PYTHON_BLOCKS, ids=[f"block{i}" for i in
                                                     range(len(PYTHON_BLOCKS))])
def test_python_snippet_runs_verbatim(code, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    try:
        exec(compile(code, "README.rst", "exec"), {"__name__": "__readme__"})
    finally:
        plt.close("all")


def test_shell_commands_are_run_by_ci():
    commands = readme_commands()
    for expected in ("pip install .", "skexplain audit", "python -m pytest",
                     'pip install ".[test]"', 'pip install ".[test,parity,dask]"'):
        assert expected in commands
    missing = [c for c in commands if not runs_in_ci(c)]
    assert not missing, f"README.rst commands that .ci/run does not run: {missing}"


def test_command_matching_is_strict():
    assert runs_in_ci("python -m pytest")  # run as "python -m pytest -q -ra --junitxml=..."
    assert not runs_in_ci("skexplain audit --rows 2")
    assert not runs_in_ci("pip install .[skops,docs]")
    assert literal_blocks("Run::\n\n    python -m x\n\ntext\n") == [("literal", "python -m x\n")]
    assert runs_in_ci("skexplain audit") and not runs_in_ci("skexplain")
