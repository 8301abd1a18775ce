"""TensorBoard shows the run that docs/tools/tensorboard.md logs.

The page's own code (all its blocks, as the reader runs them) writes ``runs/digits-mlp`` in
a temporary folder; ``tensorboard --logdir runs`` serves it on localhost, exactly as the page
tells the reader to; Chromium loads the web interface and must find the run, its scalar tags
and the last logged loss, the same number TensorBoard's own reader gets from the file.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from primersite.check.lex import read_page
from primersite.check.runs import RUNS

from conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "tools" / "tensorboard.md"
RUN = "digits-mlp"
SHOTS = ROOT / "artifacts" / "screenshots"
TENSORBOARD = Path(sys.executable).with_name(
    "tensorboard"
)  # the venv's command, as a reader runs it

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """The page's run by the checker (a fresh process, an empty folder; shared with the page's
    own checks when this worker made them): it leaves its log in ./runs/."""
    page = read_page(PAGE, ROOT)
    run = RUNS.run(PAGE, page, page.plan(os.environ))
    assert run.ok, f"the TensorBoard page fails as a script:\n{run.stderr[-3000:]}"
    work = tmp_path_factory.mktemp("tensorboard-page")
    for name, data in run.files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(data)
    assert (work / "runs" / RUN).is_dir()
    return work / "runs"


@pytest.fixture(scope="module")
def tensorboard_url(runs) -> str:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen(
        [str(TENSORBOARD), "--logdir", str(runs), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"tensorboard exited with {proc.returncode}:\n{proc.stdout.read()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as reply:
                    if reply.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"tensorboard did not answer on {url} within 120 s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def last_scalar(runs: Path, tag: str) -> tuple[int, float]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    log = EventAccumulator(str(runs / RUN))
    log.Reload()
    event = log.Scalars(tag)[-1]
    return event.step, event.value


def test_tensorboard_shows_the_pages_run(runs, tensorboard_url, page, context, assert_clean):
    step, value = last_scalar(runs, "loss/train")
    # forceSVG: TensorBoard draws its charts with WebGL, which a browser without a GPU
    # (this headless one) lacks; its SVG renderer draws the same curves.
    page.goto(tensorboard_url + "?forceSVG=true#timeseries", wait_until="networkidle")
    page.locator("runs-table").get_by_text(RUN, exact=True).wait_for(timeout=30_000)
    page.locator("input[placeholder='Filter tags (regex)']").fill("loss/")
    page.keyboard.press("Escape")  # close the tag suggestions over the cards
    titles = page.locator("scalar-card tb-truncated-path")
    titles.first.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => document.querySelectorAll('scalar-card tb-truncated-path').length >= 2",
        timeout=30_000,
    )
    assert sorted(titles.all_text_contents()) == ["loss/test", "loss/train"]
    card = page.locator("scalar-card").filter(
        has=page.locator("tb-truncated-path", has_text="loss/train")
    )
    page.wait_for_function(
        "run => Array.from(document.querySelectorAll('scalar-card')).some(c => c.innerText.includes(run))",
        arg=RUN,
        timeout=30_000,
    )
    cells = [c.strip() for c in card.inner_text().split("\n") if c.strip()]
    row = cells.index(RUN)  # the data table: run, smoothed, value, step, relative time
    shown_value, shown_step = float(cells[row + 2]), int(cells[row + 3])
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "tensorboard.png"))
    assert_clean(context.watch.problems, "TensorBoard")
    assert shown_step == step
    assert math.isclose(shown_value, value, rel_tol=1e-3), (shown_value, value)
