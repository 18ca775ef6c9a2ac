"""Load a local HTML file in headless Chromium: console errors, DOM, screenshot.

The browser is driven through the DevTools protocol over
``--remote-debugging-pipe`` (file descriptors 3 and 4, NUL-separated JSON), so
no websocket library and no network port are needed, and console messages
keep their level (``--enable-logging=stderr`` logs every level as INFO).

``find_browser()`` returns None when no Chromium/Chrome executable exists;
``render(path)`` returns a :class:`Rendered` with the console errors, the
rendered DOM and the PNG bytes of the first screen.
"""
import base64
import json
import os
import pathlib
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
INSTALL_HINT = ("no Chromium/Chrome executable found (looked for $SKEXPLAIN_BROWSER and "
                f"{', '.join(NAMES)} on PATH); install one, e.g. on Debian/Ubuntu: "
                "apt-get install -y chromium")


def find_browser():
    """The path of a Chromium or Chrome executable, or None."""
    override = os.environ.get("SKEXPLAIN_BROWSER")
    if override:
        return shutil.which(override)
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Rendered:
    """What the browser saw: errors (console, uncaught, failed loads), DOM, screenshot."""

    errors: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    dom: str = ""
    png: bytes = b""


class _Pipe:
    """One DevTools session over the browser's fds 3 (commands) and 4 (replies)."""

    def __init__(self, proc, write_fd, read_fd, timeout):
        self.proc, self.write_fd, self.read_fd = proc, write_fd, read_fd
        self.deadline = time.monotonic() + timeout
        self.buffer, self.events, self.next_id = b"", [], 0

    def _message(self):
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the browser did not answer in time")
            ready, _, _ = select.select([self.read_fd], [], [], left)
            chunk = os.read(self.read_fd, 1 << 20) if ready else b""
            if ready and not chunk:
                raise RuntimeError(f"the browser closed the pipe (exit {self.proc.poll()})")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method, params=None, session=None):
        """Send one command and return its result; events seen meanwhile are kept."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method):
        """Block until the event ``method`` arrives (events before it are kept)."""
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._message()
            self.events.append(event)
            if event.get("method") == method:
                return event


def _collect(events, rendered):
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", "")))
                            for a in params.get("args", []))
            rendered.messages.append(f"console.{params.get('type')}: {text}")
            if params.get("type") in ("error", "assert"):
                rendered.errors.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text")
            rendered.errors.append(f"uncaught: {text}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            rendered.errors.append(f"{entry.get('source')}: {entry.get('text')} "
                                   f"{entry.get('url', '')}".strip())


def _drive(pipe, url, width, height, settle):
    target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = pipe.send("Target.attachToTarget", {"targetId": target,
                                                  "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        pipe.send(f"{domain}.enable", session=session)
    pipe.send("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        session=session)
    pipe.send("Page.navigate", {"url": url}, session=session)
    pipe.wait_for("Page.loadEventFired")
    time.sleep(settle)  # late console messages (timers, image decoding)
    dom = pipe.send("Runtime.evaluate", {"expression": "document.documentElement.outerHTML",
                                         "returnByValue": True}, session=session)
    png = pipe.send("Page.captureScreenshot", {"format": "png"}, session=session)
    return dom["result"]["value"], base64.b64decode(png["data"])


def render(path, *, browser=None, width=1280, height=900, timeout=60, settle=0.5):
    """Open the local file ``path`` in headless Chromium and report what it shows.

    Parameters
    ----------
    path : str or path-like
        An HTML file; loaded as a ``file://`` URL.
    browser : str or None, default=None
        The executable; None uses :func:`find_browser`.
    width, height : int, default=1280, 900
        The viewport, in CSS pixels: the screenshot shows this first screen.
    timeout : float, default=60
        Seconds for the whole session.
    settle : float, default=0.5
        Seconds to wait after the load event before reading the DOM.

    Returns
    -------
    Rendered
        ``errors`` (console errors, uncaught exceptions, failed resource
        loads), ``messages`` (every console call), ``dom`` (the rendered
        ``<html>``), ``png`` (the screenshot of the first screen).
    """
    browser = browser or find_browser()
    if browser is None:
        raise FileNotFoundError(INSTALL_HINT)
    url = pathlib.Path(path).resolve().as_uri()
    to_browser, from_browser = os.pipe(), os.pipe()

    def child_fds():  # the browser reads commands on fd 3, writes replies on fd 4
        read, write = os.dup(to_browser[0]), os.dup(from_browser[1])  # above 3 and 4
        os.dup2(read, 3)
        os.dup2(write, 4)

    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-pipe", f"--user-data-dir={profile}",
             f"--window-size={width},{height}", "--hide-scrollbars", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=child_fds, pass_fds=(3, 4))  # kept open after preexec_fn
        os.close(to_browser[0])
        os.close(from_browser[1])
        pipe = _Pipe(proc, to_browser[1], from_browser[0], timeout)
        rendered = Rendered()
        try:
            rendered.dom, rendered.png = _drive(pipe, url, width, height, settle)
            _collect(pipe.events, rendered)
            try:
                pipe.send("Browser.close")
            except (RuntimeError, TimeoutError, OSError):
                pass  # it may close the pipe before answering
        finally:
            os.close(to_browser[1])
            os.close(from_browser[0])
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stderr.close()
    return rendered
