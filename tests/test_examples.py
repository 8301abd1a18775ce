"""Every example script runs with --smoke on the CPU, on data the test makes, and fails clearly.

Examples are discovered (every examples/*.py), so a new example is covered the moment it
lands. One that declares ``EXAMPLE_DATA = "cifar10"`` gets ``--data <fixture>``, a tiny fake
CIFAR-10 made by :func:`torchprimer.cifar.make_fixture`; the real archive is never needed.

Each run is ``python SCRIPT ARGS`` in an empty folder, in a fresh process forked from one
that has already imported torch (``conftest.run_python``): the import is paid once per test
worker. One test here checks that such a fork and a new ``python`` give the same output,
exit status and files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from primersite.render.examples import discover

from conftest import new_python, run_python
from torchprimer.cifar import make_fixture
from torchprimer.examples_cli import ARGV_ENV, ExampleParser, example_argv, parse_args

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = discover()
CIFAR_EXAMPLES = [e for e in EXAMPLES if e.data == "cifar10"]


@pytest.fixture(scope="module")
def cifar_fixture(tmp_path_factory) -> Path:
    return make_fixture(tmp_path_factory.mktemp("data") / "cifar10", per_class=4, seed=0)


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_smoke_run(example, cifar_fixture, tmp_path):
    args = ["--smoke"] + (["--data", str(cifar_fixture)] if example.data == "cifar10" else [])
    # run from an empty folder: whatever the example writes lands there, not in the repo
    proc = run_python(example.path, args, cwd=tmp_path)
    assert proc.returncode == 0, f"{example.name} --smoke failed:\n{proc.stderr[-3000:]}"


@pytest.mark.parametrize(
    "target, args, module",
    [
        (EXAMPLES[0].path, ["--no-such-option"], False),
        (ROOT / "examples" / "pretrained_inference.py", ["--smoke", "--data", "nowhere"], False),
        ("torchprimer.checkpoint", [], True),
    ],
    ids=["bad-option", "missing-data", "module"],
)
def test_a_fork_runs_a_script_as_python_does(target, args, module, tmp_path):
    """The fork the tests run scripts in (``conftest.run_python``) and a new interpreter: the
    same output, exit status and files left behind."""
    if os.environ.get("PRIMERSITE_NO_ZYGOTE") == "1":
        pytest.skip("PRIMERSITE_NO_ZYGOTE=1: every script runs in a new interpreter already")
    (tmp_path / "python").mkdir()
    (tmp_path / "fork").mkdir()
    plain = new_python(target, args, cwd=tmp_path / "python", module=module)
    forked = run_python(target, args, cwd=tmp_path / "fork", module=module)
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        plain.returncode,
        plain.stdout,
        plain.stderr,
    )
    assert plain.returncode != 0 and plain.stderr  # a failure, so there is something to compare
    assert list((tmp_path / "fork").iterdir()) == list((tmp_path / "python").iterdir())


@pytest.mark.parametrize("sets_env, fresh", [(False, False), (True, True)])
def test_a_script_that_configures_torch_before_importing_it_gets_a_new_interpreter(
    sets_env, fresh, tmp_path
):
    """A fork has torch imported already and would ignore settings made for its import."""
    if os.environ.get("PRIMERSITE_NO_ZYGOTE") == "1":
        pytest.skip("PRIMERSITE_NO_ZYGOTE=1: every script runs in a new interpreter already")
    script = tmp_path / "demo.py"
    script.write_text(
        "import os\nimport sys\n"
        + ("os.environ['TORCH_CPP_LOG_LEVEL'] = 'ERROR'\n" if sets_env else "")
        + "print('torch' in sys.modules)\nimport torch\n"
    )
    assert run_python(script, [], tmp_path).stdout == f"{not fresh}\n"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_bad_argument_is_one_line_and_exit_2(example, tmp_path):
    proc = run_python(example.path, ["--no-such-option"], cwd=tmp_path, timeout=300)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--no-such-option" in lines[0], proc.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("example", CIFAR_EXAMPLES, ids=[e.name for e in CIFAR_EXAMPLES])
def test_missing_data_folder_is_one_line_and_exit_1(example, tmp_path):
    missing = tmp_path / "no-cifar-here"
    proc = run_python(example.path, ["--smoke", "--data", str(missing)], cwd=tmp_path, timeout=300)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0] and "not found" in lines[0], proc.stderr
    assert list(tmp_path.iterdir()) == []


# --- torchprimer.examples_cli -------------------------------------------------------------------


def test_example_argv_prefers_environment(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["script.py", "--from-argv"])
    monkeypatch.delenv(ARGV_ENV, raising=False)
    assert example_argv() == ["--from-argv"]
    monkeypatch.setenv(ARGV_ENV, '["--from-env", "1"]')
    assert example_argv() == ["--from-env", "1"]


@pytest.mark.parametrize("raw", ["--epochs 2", '{"epochs": 2}', '["--epochs", 2]'])
def test_example_argv_rejects_bad_environment(monkeypatch, raw):
    monkeypatch.setenv(ARGV_ENV, raw)
    with pytest.raises(ValueError, match=ARGV_ENV):
        example_argv()


def test_parser_error_is_one_line(capsys):
    parser = ExampleParser(prog="demo.py")
    parser.add_argument("--epochs", type=int)
    with pytest.raises(SystemExit) as info:
        parse_args(parser, ["--epochs", "two"], install_hook=False)
    assert info.value.code == 2
    assert (
        capsys.readouterr().err
        == "demo.py: error: argument --epochs: invalid int value: 'two' (see --help)\n"
    )


def test_torchprimer_errors_are_one_line_as_a_script(tmp_path):
    script = tmp_path / "demo.py"
    script.write_text(
        "from torchprimer.examples_cli import ExampleParser, parse_args\n"
        "from torchprimer.cifar import load_cifar10_folder\n"
        "args = parse_args(ExampleParser(prog='demo.py'))\n"
        "load_cifar10_folder('nowhere')\n"
    )
    proc = run_python(script, [], cwd=tmp_path, timeout=300)
    assert proc.returncode == 1
    assert proc.stderr.startswith("demo.py: error: nowhere: CIFAR-10 folder not found")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_other_errors_keep_their_traceback(tmp_path):
    script = tmp_path / "demo.py"
    script.write_text(
        "from torchprimer.examples_cli import ExampleParser, parse_args\n"
        "args = parse_args(ExampleParser(prog='demo.py'))\n"
        "raise KeyError('a bug, not bad input')\n"
    )
    proc = run_python(script, [], cwd=tmp_path, timeout=300)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "KeyError" in proc.stderr


@pytest.mark.parametrize("damage", ["truncated", "SHA-256 mismatch"])
def test_pretrained_inference_refuses_a_damaged_checkpoint(cifar_fixture, tmp_path, damage):
    import shutil

    weights = ROOT / "src" / "torchprimer" / "weights"
    committed = {p.name: p.read_bytes() for p in weights.iterdir()}
    copy = Path(shutil.copy(weights / "cifar10_resnet_small.pt", tmp_path))
    shutil.copy(weights / "cifar10_resnet_small.json", tmp_path)
    data = copy.read_bytes()
    copy.write_bytes(
        data[: len(data) // 2] if damage == "truncated" else data[:-1] + bytes([data[-1] ^ 1])
    )
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    proc = run_python(
        ROOT / "examples" / "pretrained_inference.py",
        ["--smoke", "--data", str(cifar_fixture), "--checkpoint", str(copy)],
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert (
        len(lines) == 1
        and lines[0].startswith("pretrained_inference.py: error: ")
        and damage in lines[0]
    ), proc.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert {p.name: p.read_bytes() for p in weights.iterdir()} == committed


# --- numbers on the command line are checked where they are parsed -------------------------

BAD_VALUE = {
    "positive_int": "0",
    "nonnegative_int": "-1",
    "positive_float": "-5",
    "nonnegative_float": "-1",
    "positive_int_list": "64,0",
}


def numeric_options(path: Path) -> dict[str, str]:
    """``{"--epochs": "positive_int", ...}``: each option of an example and the type that checks it."""
    import ast

    found = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", None) == "add_argument"
            and node.args
        ):
            kind = next((k.value for k in node.keywords if k.arg == "type"), None)
            if isinstance(kind, ast.Name) and isinstance(node.args[0], ast.Constant):
                found[node.args[0].value] = kind.id
    return found


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_every_numeric_option_is_checked_when_parsed(example):
    plain = {
        opt: kind for opt, kind in numeric_options(example.path).items() if kind in ("int", "float")
    }
    assert plain == {}, (
        "numeric options without a range check (use torchprimer.examples_cli's types)"
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_a_bad_number_is_one_line_and_exit_2_even_with_smoke(example, tmp_path):
    option, kind = next((o, k) for o, k in numeric_options(example.path).items() if k in BAD_VALUE)
    proc = run_python(example.path, [option, BAD_VALUE[kind], "--smoke"], cwd=tmp_path, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"argument {option}:" in lines[0], proc.stderr
    assert list(tmp_path.iterdir()) == []
