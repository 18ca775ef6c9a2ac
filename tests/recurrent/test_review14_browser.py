"""tests/_browser.render from a plain script whose standard fds are closed (review of issue 14).

Before the fix, os.pipe() handed out fds 0-2 there, which the child's stdio
redirection clobbered (BrokenPipeError), and pass_fds=(3, 4) needed fds 3 and 4
open in the caller (OSError [Errno 9] Bad file descriptor otherwise).
"""
import pathlib
import subprocess
import sys

import pytest

import _browser

SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
import _browser
rendered = _browser.render({page!r}, timeout=30)
with open({out!r}, "w") as f:
    f.write("ok" if "marker-r14" in rendered.dom and not rendered.errors else "bad")
"""


@pytest.mark.parametrize("closed", ["<&-", ">&- 2>&-", "<&- >&- 2>&-"])
def test_render_from_a_script_with_closed_standard_fds(tmp_path, closed):
    if _browser.find_browser() is None:
        pytest.skip(_browser.INSTALL_HINT)
    page, out = tmp_path / "page.html", tmp_path / "out.txt"
    page.write_text("<html><body><p id='marker-r14'>hi</p></body></html>")
    script = tmp_path / "script.py"
    tests = str(pathlib.Path(_browser.__file__).parent)
    script.write_text(SCRIPT.format(tests=tests, page=str(page), out=str(out)))
    subprocess.run(["sh", "-c", f'exec "$0" "$1" {closed}', sys.executable, str(script)],
                   timeout=120, check=False)
    assert out.read_text() == "ok"
