"""Everything this site needs a GPU for, done in one command on a lent GPU machine.

A GPU machine is lent rarely and briefly, bare (its own ``python3`` with torch, no Jupyter,
no network), and gets only a copy of this checkout. So the work is split in three
(CONTRIBUTING.md, "Rendering on a GPU"):

``prepare`` (here; :mod:`primersite.render.gpu_handoff`)
    gathers in ``.gpu/`` what the machine lacks (the Jupyter wheels, the CIFAR-10 archive,
    the pages' GPU blocks, the commit) and airbench94's script in ``.vendor/``.
``run --out DIR`` (there)
    installs the wheels, extracts the data, records the GPU blocks, renders the GPU
    examples (``cifar10_train``, whose checkpoints it publishes for
    ``pretrained_inference``, then ``pretrained_inference`` and ``cifar10_speedrun``),
    each step in its own process with its own time limit inside one deadline, a failed
    step logged and the rest carried on, and packs the results into
    ``DIR/gpu-session.tar.gz`` (in parts under the device tool's file limit) beside
    ``log.txt`` and ``summary.json``. ``--dry-run`` runs the same steps here on the CPU
    at smoke size, so the command cannot rot between GPU sessions; a test runs it.
``bring DIR`` (here; :mod:`primersite.render.gpu_handoff`)
    puts the notebooks, checkpoints and block records into the checkout.

This module imports only the standard library: it runs before the wheels are installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from primersite import ROOT
from primersite.git import COMMIT_ENV
from primersite.render.gpu_carry import CARRY, write_archive

#: Examples rendered with their GPU_RENDER_ARGS, in this order (pretrained_inference loads
#: the checkpoints cifar10_train has just published).
EXAMPLES = ("cifar10_train", "pretrained_inference", "cifar10_speedrun")
#: Seconds each step may take at most on the GPU (the deadline may leave it less).
BUDGETS = {"wheels": 60, "data": 60, "gpu blocks": 90, "cifar10_train": 180}
BUDGETS |= {"publish": 30, "pretrained_inference": 170, "cifar10_speedrun": 240}
RESERVE = 20  # seconds kept back for packing


class SessionError(RuntimeError):
    """A step that cannot start; the message is one line."""


@dataclass
class Session:
    out: Path
    dry_run: bool
    deadline: float  # time.monotonic() by which packing must start
    stage: Path = field(init=False)
    steps: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stage = Path(tempfile.mkdtemp(prefix="gpu-session-"))
        for folder in ("notebooks", "failed", "weights"):
            (self.stage / folder).mkdir()

    def log(self, text: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {text}"
        print(line, flush=True)
        with open(self.stage / "log.txt", "a") as f:
            f.write(line + "\n")

    def run(self, name: str, command: list[str], **kwargs) -> bool:
        """Run one step's command with its budget; log its output; True if it succeeded."""
        left = self.deadline - time.monotonic()
        limit = min(BUDGETS.get(name, 120), left)
        if limit < 5:
            self.steps.append({"step": name, "status": "not run: no time left"})
            self.log(f"{name}: not run, {left:.0f} s left")
            return False
        self.log(f"{name}: {' '.join(command)} (limit {limit:.0f} s)")
        started = time.monotonic()
        try:
            proc = subprocess.run(
                command, capture_output=True, text=True, timeout=limit, cwd=ROOT, **kwargs
            )
            status = "ok" if proc.returncode == 0 else f"failed (exit status {proc.returncode})"
            output = proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as err:
            status = f"timed out after {limit:.0f} s"
            output = _text(err.stdout) + _text(err.stderr)
        seconds = round(time.monotonic() - started, 1)
        with open(self.stage / "log.txt", "a") as f:
            f.write(output[-20000:] + "\n")
        self.steps.append({"step": name, "status": status, "seconds": seconds})
        self.log(f"{name}: {status} in {seconds} s")
        return status == "ok"


def _text(data) -> str:
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else (data or "")


# --- on the GPU machine (or here, with --dry-run) ------------------------------------------


def _environment(site: Path | None) -> None:
    """What every step's process gets: the carried wheels, this checkout's packages, the commit."""
    paths = [str(site)] if site else []
    paths += [str(ROOT / "src"), str(ROOT / "tools"), os.environ.get("PYTHONPATH", "")]
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    commit = CARRY / "commit"
    if commit.is_file():
        os.environ.setdefault(COMMIT_ENV, commit.read_text().strip())
    os.environ.setdefault("MPLBACKEND", "Agg")


def install_wheels(s: Session) -> None:
    if s.dry_run:
        s.steps.append({"step": "wheels", "status": "skipped: the dry run uses this environment"})
        return _environment(None)
    site = Path(tempfile.gettempdir()) / "gpu-session-site"
    wheels = sorted(str(p) for p in (CARRY / "whl").glob("*.whl"))
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps"]
    if wheels and s.run("wheels", [*command, "--target", str(site), *wheels]):
        return _environment(site)
    s.log("wheels: none carried or not installed; the renders will fail without Jupyter")
    _environment(None)


def prepare_data(s: Session) -> Path:
    """The CIFAR-10 folder the renders read: extracted from the carried archive, or a fixture."""
    if s.dry_run:
        sys.path.insert(0, str(ROOT / "src"))
        from torchprimer.cifar import make_fixture

        s.steps.append({"step": "data", "status": "ok: a fixture (dry run)"})
        return make_fixture(s.stage / "fixture", per_class=4)
    target = ROOT / ".data" / "cifar10"
    if not (target / ".extracted").is_file():
        partial = target.with_name("cifar10.partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        archive = CARRY / "cifar10-jpeg.tar.xz"
        if s.run("data", ["tar", "xJf", str(archive), "-C", str(partial)]):
            shutil.rmtree(target, ignore_errors=True)
            partial.rename(target)
            (target / ".extracted").touch()
    return target


def record_blocks(s: Session) -> None:
    """The pages' GPU blocks, each run on its own (exported here by ``prepare``)."""
    py = sys.executable
    blocks = CARRY / "blocks"
    extra = []
    if s.dry_run:  # run two, exported now unless prepared: the dry run checks the plumbing
        if not (blocks / "index.json").is_file():
            blocks = s.stage / "blocks"
            s.run(
                "export blocks", [py, "-m", "primersite.render.gpu_blocks", "export", str(blocks)]
            )
        extra = ["--allow-cpu", "--limit", "2"]
    results = s.stage / "gpu-blocks.json"
    command = [py, "-m", "primersite.render.gpu_blocks", "run", str(blocks), "--out", str(results)]
    s.run("gpu blocks", [*command, "--jobs", "4", "--timeout", "120", *extra])


def render(s: Session, name: str, data: Path) -> bool:
    command = [sys.executable, "-m", "primersite.render", name]
    command += ["--output-dir", str(s.stage / "notebooks"), "--failed-dir", str(s.stage / "failed")]
    if not s.dry_run:
        return s.run(name, [*command, "--gpu"])
    smoke = ["--smoke", "--data", str(data)]
    if name == "cifar10_train":
        smoke += ["--out", str(s.stage / "runs" / "cifar10_train")]
    return s.run(name, [*command, "--allow-dirty", "--", *smoke])


def publish(s: Session) -> None:
    """cifar10_train's checkpoints become the published ones (a copy comes back in the results)."""
    run_dir = s.stage / "runs" / "cifar10_train" if s.dry_run else ROOT / "runs" / "cifar10_train"
    weights = s.stage / "weights"
    command = [
        sys.executable,
        "-m",
        "primersite.render.weights",
        "--no-digits",
        "--from",
        str(run_dir),
    ]
    # the dry run publishes into the results only, never into this checkout's weights
    if s.run("publish", [*command] + (["--to", str(weights)] if s.dry_run else [])):
        if not s.dry_run:
            for path in run_dir.glob("*.*"):
                shutil.copy(path, weights / path.name)


def save_on_cuda(s: Session) -> None:
    """A small checkpoint saved from the GPU: loading it where there is none shows that error."""
    if s.dry_run:
        return
    target = s.stage / "weights" / "linear-saved-on-cuda.pt"
    code = (
        "import sys, torch; torch.manual_seed(0); "
        "torch.save(torch.nn.Linear(2, 2).cuda().state_dict(), sys.argv[1])"
    )
    s.run("cuda checkpoint", [sys.executable, "-c", code, str(target)])


def describe_machine(s: Session) -> None:
    """The GPU as the machine's driver reports it, into the log (the stamps name torch's)."""
    query = "name,memory.total,driver_version,clocks.max.sm"
    if not s.dry_run:
        s.run("nvidia-smi", ["nvidia-smi", f"--query-gpu={query}", "--format=csv"])


def pack(s: Session) -> None:
    """``gpu-session.tar.gz`` in parts the device tool can return, plus the log and summary."""
    summary = {
        "dry_run": s.dry_run,
        "commit": os.environ.get(COMMIT_ENV, ""),
        "finished_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "steps": s.steps,
    }
    (s.stage / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    s.out.mkdir(parents=True, exist_ok=True)
    write_archive(s.stage, s.out, leave_out={"fixture", "blocks", "runs"})
    for name in ("log.txt", "summary.json"):
        shutil.copy(s.stage / name, s.out / name)


def run(out: Path, dry_run: bool, seconds: float) -> int:
    s = Session(out, dry_run, time.monotonic() + seconds - RESERVE)
    s.log(f"gpu session {'dry run ' if dry_run else ''}in {ROOT}, {seconds:.0f} s in all")
    install_wheels(s)
    describe_machine(s)
    data = prepare_data(s)
    record_blocks(s)
    if render(s, "cifar10_train", data):
        publish(s)
    render(s, "pretrained_inference", data)
    render(s, "cifar10_speedrun", data)
    save_on_cuda(s)
    failed = [step["step"] for step in s.steps if not step["status"].startswith(("ok", "skipped"))]
    s.log(
        f"done: {len(s.steps) - len(failed)} steps ok" + (f", not ok: {failed}" if failed else "")
    )
    pack(s)
    shutil.rmtree(s.stage, ignore_errors=True)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m primersite.render.gpu_session", description=__doc__.splitlines()[0]
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    p = verbs.add_parser("prepare", help="gather in .gpu/ what the GPU machine needs (here)")
    p.add_argument("--archive", type=Path, default=ROOT.parent / "shared/data/cifar10-jpeg.tar.xz")
    p.add_argument("--airbench-repo", type=Path, default=None, help="a git dir of cifar10-airbench")
    r = verbs.add_parser("run", help="do the GPU work (there), or --dry-run it here on the CPU")
    r.add_argument("--out", type=Path, required=True, help="folder for the results")
    r.add_argument("--dry-run", action="store_true", help="every step at smoke size, on the CPU")
    r.add_argument("--seconds", type=float, default=560, help="deadline for the whole run")
    b = verbs.add_parser("bring", help="put a run's results into this checkout (here)")
    b.add_argument("results", type=Path, help="the folder holding gpu-session.tar.gz[.partN]")
    args = parser.parse_args(argv)
    try:
        if args.verb == "run":
            return run(args.out, args.dry_run, args.seconds)
        from primersite.render import gpu_handoff  # here only: it needs git and torchprimer

        if args.verb == "prepare":
            return gpu_handoff.prepare(args.archive, args.airbench_repo)
        return gpu_handoff.bring(args.results)
    except (
        SessionError,
        ValueError,
        OSError,
        subprocess.CalledProcessError,
        tarfile.TarError,
    ) as err:
        print(f"gpu session: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
