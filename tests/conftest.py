"""Fixtures the test modules share: the built site (built once per run), a static server for
it, the browser, and :func:`run_python`, which runs scripts and commands as ``python`` would
(in forks of the session's script runner, :func:`primersite.pytest_plugin.script_runner`).

The site is built by the first test that asks for it and kept for the rest of the run;
with pytest-xdist the workers share that one build through a lock in the run's common
temporary folder. The browser is Debian's Chromium (its headless shell where installed)
driven by Playwright (Playwright's own browser download is never used: the tests run
offline); without it the browser tests skip, saying how to install it.
"""

from __future__ import annotations

import http.server
import importlib.util
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from primersite.check.preload import sets_environment_before_torch
from primersite.pytest_plugin import script_runner

from torchprimer.examples_cli import ARGV_ENV
from torchprimer.torchrun_env import LAUNCH_VARS

ROOT = Path(__file__).resolve().parents[1]
# The browser CHROMIUM names (a CI runner's preinstalled Chrome); otherwise Debian's
# Chromium headless shell (the same engine, lighter: see the Makefile's `browser` target),
# or Debian's full Chromium.
BROWSERS = [Path("/usr/bin/chromium-headless-shell"), Path("/usr/bin/chromium")]
CHROMIUM = Path(
    os.environ.get("CHROMIUM") or next((p for p in BROWSERS if p.exists()), BROWSERS[0])
)
NO_CHROMIUM = (
    f"browser tests need Chromium at {CHROMIUM}: `make test` installs it when run as root "
    "with apt-get; otherwise install it with `sudo apt-get install chromium-headless-shell`"
)
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Headless, and quiet: no GPU, no QUIC, no first-run, update or sync traffic. The machine may
# be offline, and any request the browser makes on its own would count as a failed request.
# No host but this one resolves: a page's request elsewhere fails in the browser itself
# (and is reported by watch()), without routing every request through Python.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, " + ", ".join(f"EXCLUDE {h}" for h in LOCAL_HOSTS),
]
# Pages are checked at rest: with reduced motion the theme's transitions (tabs fading in,
# colours changing with the scheme) end at once instead of being waited out frame by frame.
CONTEXT = {"reduced_motion": "reduce"}
BUILD_ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def script_env(**extra: str) -> dict[str, str]:
    """The environment a test's ``python`` gets: this one's, with figures drawn to files and
    without the variables of a launcher pytest itself may run under (torchrun's, or an
    example's arguments), plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k != ARGV_ENV and k not in LAUNCH_VARS and not k.startswith(("TORCHELASTIC_", "PET_"))
    }
    env["MPLBACKEND"] = "Agg"
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
    )
    return {**env, **extra}


def new_python(target, args, cwd, timeout: float = 600, *, module: bool = False, **env: str):
    """``python TARGET ARGS`` (``python -m TARGET ARGS`` with ``module``) in a new interpreter."""
    return subprocess.run(
        [sys.executable, *(["-m", target] if module else [str(target)]), *map(str, args)],
        cwd=cwd,
        env=script_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_python(target, args, cwd, timeout: float = 600, *, module: bool = False):
    """``python TARGET ARGS`` (``-m`` with ``module``) run in ``cwd``, in a fresh process forked
    from one that has already imported torch (:class:`primersite.check.scripts.ScriptRunner`),
    so that each test worker pays that import once. A target that reaches a submodule only that
    preloading imported fails the test. A new interpreter (:func:`new_python`) for a target
    that sets the environment before it imports torch (the fork would ignore it), or for
    every target with ``PRIMERSITE_NO_ZYGOTE=1``. Either way the result has
    CompletedProcess's names."""
    source = Path(importlib.util.find_spec(target).origin if module else target)
    if os.environ.get("PRIMERSITE_NO_ZYGOTE") == "1" or sets_environment_before_torch(
        source.read_text(encoding="utf-8")
    ):
        return new_python(target, args, cwd, timeout, module=module)
    run = script_runner(script_env()).run(target, list(args), cwd, timeout, module=module)
    name = target if module else Path(target).name
    assert not run.timed_out, f"{name} {' '.join(map(str, args))}: timed out after {timeout} s"
    assert run.undeclared == [], (
        f"{name} reaches {run.undeclared} without importing them: it works only "
        "because the test runner imported them first"
    )
    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_site(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env=BUILD_ENV,
    )


def once_per_run(tmp_path_factory, name: str, make: Callable[[Path], str | None]) -> Path:
    """The folder ``name`` that ``make(folder)`` filled, once per test run: the first xdist
    worker to ask runs it while the others wait on a lock in the run's common folder, then
    find what it made. ``make`` returns None, or why it failed: a failure is kept, and fails
    every test that asks, without running ``make`` again."""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    # an xdist worker's base is popen-gwN inside the run's folder, which the workers share;
    # without xdist the base is the run's folder itself (its parent holds every past run)
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out, failed = shared / name, shared / f"{name}.failed"
    with FileLock(str(shared / f"{name}.lock")):
        if not (out / ".done").exists() and not failed.exists():
            out.mkdir(exist_ok=True)
            failure = make(out)
            if failure is None:
                (out / ".done").write_text("ok")
            else:
                failed.write_text(failure)
    if not (out / ".done").exists():
        pytest.fail(f"{name}: {failed.read_text()[-5000:]}")
    return out


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """``mkdocs build --strict`` of the checkout, once per test run."""

    def build(out: Path) -> str | None:
        proc = build_site(out)
        return None if proc.returncode == 0 else f"mkdocs build --strict failed:\n{proc.stderr}"

    return once_per_run(tmp_path_factory, "built-site", build)


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site; a missing address gets the site's 404.html, as on GitHub Pages."""

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # keep pytest's output for failures

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.exists():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@pytest.fixture(scope="session")
def base_url(built_site) -> str:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *args: SiteHandler(*args, directory=str(built_site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class Watch:
    """Everything that went wrong while a page was open, in words a failure can print."""

    problems: list[str] = field(default_factory=list)
    allowed_status: set[tuple[str, int]] = field(default_factory=set)

    def allow(self, url: str, status: int) -> None:
        self.allowed_status.add((url, status))


def watch(context) -> Watch:
    """Record console errors, uncaught exceptions, failed requests and other hosts' requests."""
    seen = Watch()

    def request(req):
        host = urlsplit(req.url).hostname
        if host is not None and host not in LOCAL_HOSTS:  # data: and blob: URLs have no host
            seen.problems.append(f"request to another host: {req.url}")

    def console(msg):
        where = msg.location.get("url", "")
        if msg.type == "error" and not any(
            where == url and str(status) in msg.text for url, status in seen.allowed_status
        ):
            seen.problems.append(f"console error: {msg.text} ({where})")

    def response(resp):
        if resp.status >= 400 and (resp.url, resp.status) not in seen.allowed_status:
            seen.problems.append(f"HTTP {resp.status}: {resp.url}")

    def failed(req):
        if urlsplit(req.url).hostname in LOCAL_HOSTS:  # other hosts are reported by request()
            seen.problems.append(f"request failed: {req.url} ({req.failure})")

    context.on("request", request)
    context.on("console", console)
    context.on("weberror", lambda err: seen.problems.append(f"uncaught error: {err.error}"))
    context.on("response", response)
    context.on("requestfailed", failed)
    return seen


def assert_clean(problems: list[str], where: str) -> None:
    """Fail with every distinct problem listed, one a line."""
    unique = list(dict.fromkeys(problems))
    assert not unique, f"{where}, as a reader sees it:\n  " + "\n  ".join(unique)


@pytest.fixture
def context(browser):
    """A fresh desktop browser context in the light scheme; ``context.watch`` records what went wrong."""
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, color_scheme="light", **CONTEXT
    )
    ctx.watch = watch(ctx)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def new_context(browser):
    """Make more watched contexts (other viewports, schemes, permissions); all closed afterwards."""
    made = []

    def make(**options):
        ctx = browser.new_context(**{**CONTEXT, **options})
        ctx.watch = watch(ctx)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture(name="assert_clean")
def assert_clean_fixture():
    return assert_clean
