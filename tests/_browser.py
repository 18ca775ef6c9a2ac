"""Load a local HTML file in headless Chromium: console errors, DOM, screenshot.

The browser is driven through the DevTools protocol over
``--remote-debugging-pipe`` (file descriptors 3 and 4, NUL-separated JSON), so
no websocket library and no network port are needed, and console messages
keep their level (``--enable-logging=stderr`` logs every level as INFO).

``find_browser()`` returns None when no Chromium/Chrome executable exists;
``render(path)`` returns a :class:`Rendered` with the console errors, the
rendered DOM and the PNG bytes of the first screen.  ``render(path,
actions=[...])`` first acts on the loaded page -- real mouse clicks and drags
(``Input.dispatchMouseEvent`` at an element's position) and JavaScript whose
values come back in ``Rendered.results`` -- then reads the DOM.
"""
import base64
import fcntl
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
    results: list = field(default_factory=list)   # one per action (eval: its value)
    requests: list = field(default_factory=list)  # the URL of every request the page made


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
        elif method == "Network.requestWillBeSent":
            rendered.requests.append(params["request"]["url"])
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            rendered.errors.append(f"{entry.get('source')}: {entry.get('text')} "
                                   f"{entry.get('url', '')}".strip())


def _evaluate(pipe, session, expression):
    """The value of a JavaScript expression (promises awaited); a thrown error raises."""
    reply = pipe.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True}, session=session)
    if "exceptionDetails" in reply:
        details = reply["exceptionDetails"]
        text = details.get("exception", {}).get("description") or details.get("text")
        raise RuntimeError(f"the page's script failed: {text}\nscript: {expression}")
    return reply["result"].get("value")


_CENTRE = """(function (selector, scroll) {
  var el = document.querySelector(selector);
  if (!el) return null;
  if (scroll) el.scrollIntoView({block: "center", inline: "center"});
  var box = el.getClientRects()[0] || el.getBoundingClientRect();
  return [box.left + box.width / 2, box.top + box.height / 2];
})(%s, %s)"""


def _centre(pipe, session, selector, width, height, scroll):
    """The viewport position of an element's centre (its first line box)."""
    point = _evaluate(pipe, session, _CENTRE % (json.dumps(selector), json.dumps(scroll)))
    if point is None:
        raise LookupError(f"no element matches the selector {selector!r}")
    if not (0 <= point[0] < width and 0 <= point[1] < height):
        raise LookupError(f"{selector!r} is outside the {width}x{height} viewport at {point}")
    return point


def _mouse(pipe, session, kind, point, buttons):
    button = "none" if kind == "mouseMoved" and not buttons else "left"
    pipe.send("Input.dispatchMouseEvent", {
        "type": kind, "x": point[0], "y": point[1], "button": button, "buttons": buttons,
        "clickCount": 1}, session=session)


def _act(pipe, session, action, width, height):
    """Perform one action (see :func:`render`); returns its result."""
    kind, *args = action
    if kind == "eval":
        return _evaluate(pipe, session, args[0])
    if kind == "wait":
        time.sleep(args[0])
        return None
    if kind in ("click", "drag"):
        press = _centre(pipe, session, args[0], width, height, scroll=True)
        # a drag's end must be on the same screen: scrolling to it would move the start
        release = _centre(pipe, session, args[-1], width, height, scroll=False)
        _mouse(pipe, session, "mouseMoved", press, 0)
        _mouse(pipe, session, "mousePressed", press, 1)
        _mouse(pipe, session, "mouseMoved", release, 1)
        _mouse(pipe, session, "mouseReleased", release, 0)
        return None
    raise ValueError(f"unknown action {kind!r}; expected 'eval', 'click', 'drag' or 'wait'")


def _drive(pipe, url, width, height, settle, actions, results):
    target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = pipe.send("Target.attachToTarget", {"targetId": target,
                                                  "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        pipe.send(f"{domain}.enable", session=session)
    pipe.send("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        session=session)
    pipe.send("Page.navigate", {"url": url}, session=session)
    pipe.wait_for("Page.loadEventFired")
    time.sleep(settle)  # late console messages (timers, image decoding)
    for action in actions:
        results.append(_act(pipe, session, action, width, height))
    dom = _evaluate(pipe, session, "document.documentElement.outerHTML")
    png = pipe.send("Page.captureScreenshot", {"format": "png"}, session=session)
    return dom, base64.b64decode(png["data"])


def _high_pipe():
    """``os.pipe()`` with both ends moved to fds >= 5 (still close-on-exec)."""
    ends = []
    for fd in os.pipe():
        ends.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5))
        os.close(fd)
    return tuple(ends)


def render(path, *, browser=None, width=1280, height=900, timeout=60, settle=0.5, actions=()):
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
        Seconds to wait after the load event before acting and reading the DOM.
    actions : sequence of tuple, default=()
        Done in order after the load, before the DOM is read:
        ``("eval", js)`` evaluates the expression ``js`` (a promise is
        awaited; a thrown error raises RuntimeError); ``("click", selector)``
        presses and releases the left button on the element's centre;
        ``("drag", from_selector, to_selector)`` presses on the first element,
        moves to the second and releases there (both scrolled into view; a
        LookupError when one is absent or off screen); ``("wait", seconds)``.

    Returns
    -------
    Rendered
        ``errors`` (console errors, uncaught exceptions, failed resource
        loads), ``messages`` (every console call), ``dom`` (the rendered
        ``<html>`` after the actions), ``png`` (the screenshot of the first
        screen), ``results`` (one per action: an eval's value, else None),
        ``requests`` (the URL of every request, the page's own included).
    """
    browser = browser or find_browser()
    if browser is None:
        raise FileNotFoundError(INSTALL_HINT)
    url = pathlib.Path(path).resolve().as_uri()
    # every end at fd 5 or above: fds 0-2 may be closed in the caller (os.pipe would then
    # hand out 0-2, clobbered by the child's stdio), and 3-4 are where the child wants them
    to_browser, from_browser = _high_pipe(), _high_pipe()

    def child_fds():  # the browser reads commands on fd 3, writes replies on fd 4
        os.dup2(to_browser[0], 3)  # dup2 clears close-on-exec: these two are inherited
        os.dup2(from_browser[1], 4)

    with tempfile.TemporaryDirectory() as profile:
        # close_fds=False (the caller's fds are close-on-exec anyway): pass_fds=(3, 4)
        # would need fds 3 and 4 open in the caller, else "[Errno 9] Bad file descriptor"
        proc = subprocess.Popen(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-pipe", f"--user-data-dir={profile}",
             f"--window-size={width},{height}", "--hide-scrollbars", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=child_fds, close_fds=False)
        os.close(to_browser[0])
        os.close(from_browser[1])
        pipe = _Pipe(proc, to_browser[1], from_browser[0], timeout)
        rendered = Rendered()
        try:
            rendered.dom, rendered.png = _drive(pipe, url, width, height, settle, actions,
                                                rendered.results)
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
    return rendered
