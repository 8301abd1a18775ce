"""The checker's own tests: each way a page could lie must make it fail.

Every page is run once, in a fresh process from an empty folder; these tests write small
pages into a temporary folder and evaluate them exactly as pytest evaluates docs/.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from _pytest.outcomes import Skipped
from primersite.check.fill import fill
from primersite.check.items import page_sybil
from primersite.check.lex import read
from primersite.check.rules import problems
from primersite.check.verdicts import CheckFailure


def write(tmp_path: Path, text: str, name: str = "page.md") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def evaluate_all(path: Path, kinds=("text", "block", "script")) -> int:
    """Evaluate every item of a page as pytest would (text, blocks, script), or those of
    ``kinds``; return the block count."""
    document = page_sybil(path=str(path.parent), patterns=[path.name]).parse(path)
    examples = [e for e in document if e.parsed.kind in kinds]
    for example in examples:
        example.evaluate()
    return sum(1 for e in examples if e.parsed.kind == "block")


GOOD = """\
    # Good

    ```python
    x = 2
    print(x + 1)
    #> 3
    ```

    ```python title="second.py" hl_lines="2"
    for i in range(2):
        print(i * x)
    #> 0
    #> 2
    ```
"""


def test_good_page_passes(tmp_path):
    assert evaluate_all(write(tmp_path, GOOD)) == 2


def test_wrong_output_line_names_page_and_line_and_shows_diff(tmp_path):
    path = write(tmp_path, GOOD.replace("#> 3", "#> 4"))
    with pytest.raises(CheckFailure) as err:
        evaluate_all(path)
    message = str(err.value)
    assert f"{path}:6:" in message  # the page line of the wrong '#>' line
    assert "-4" in message and "+3" in message  # a unified diff: page vs printed


def test_printing_without_output_lines_fails(tmp_path):
    path = write(tmp_path, GOOD.replace("    #> 3\n", ""))
    with pytest.raises(CheckFailure, match="differs from the page"):
        evaluate_all(path)


def test_output_in_a_loop_is_checked_line_by_line(tmp_path):
    path = write(tmp_path, GOOD.replace("#> 2\n", "#> 3\n"))
    with pytest.raises(CheckFailure, match=r"-3\n\+2"):
        evaluate_all(path)


@pytest.mark.parametrize(
    "fence",
    [
        '```python title="a.py"',
        "```py",
        "```Python",
        "```{.python .annotate}",
        '```python hl_lines="1"',
        "```python3",
        "~~~python",
        "```{#demo .python}",
        "``` { .python }",
        "```.python",
        "````python",
    ],
)
def test_every_python_fence_form_runs(tmp_path, fence):
    close = fence[0] * (4 if fence.startswith("````") else 3)
    path = write(tmp_path, f"# T\n\n{fence}\nprint(1 + 1)\n#> 3\n{close}\n")
    with pytest.raises(CheckFailure, match=r"-3\n\+2"):
        evaluate_all(path)


@pytest.mark.parametrize(
    "lang", ["sage", "pyi", "py2", "python2", "pycon", "numpy", "ipython", "bazel", "pytb"]
)
def test_fences_shown_as_python_but_not_run_are_refused(tmp_path, lang):
    path = write(tmp_path, f"# T\n\n```{lang}\nprint(1 + 1)\n```\n")
    with pytest.raises(CheckFailure, match="shown as Python but is not run"):
        evaluate_all(path)


@pytest.mark.parametrize("lang", ["text", "bash", "", "console"])
def test_unchecked_output_in_other_fences_is_refused(tmp_path, lang):
    path = write(tmp_path, f"# T\n\n```{lang}\nprint(1 + 1)\n#> 3\n```\n")
    with pytest.raises(CheckFailure, match="is not run, so its output is unchecked"):
        evaluate_all(path)


def test_shell_blocks_show_commands_not_output(tmp_path):
    fine = write(
        tmp_path,
        "# T\n\n```bash\n# a comment\nOMP_NUM_THREADS=1 python -m pip install torch \\\n  torchvision\n"
        "torchrun --standalone --nproc_per_node=2 train.py\n```\n",
        "fine.md",
    )
    assert problems(read(fine.read_text())) == []
    pasted = write(
        tmp_path,
        "# T\n\n```bash\npython -c 'import torch; print(torch.__version__)'\n2.14.1\n```\n",
    )
    with pytest.raises(CheckFailure, match="line 2: '2.14.1' is not a command"):
        evaluate_all(pasted)


def test_a_fence_in_an_html_comment_is_refused(tmp_path):
    # it would run, and change what the visible block prints, while no reader sees it
    path = write(
        tmp_path,
        "# T\n\n<!--\n```python\nx = 41\n```\n-->\n\n```python\nprint(x + 1)\n#> 42\n```\n",
    )
    with pytest.raises(CheckFailure, match="inside an HTML comment"):
        evaluate_all(path)


def test_snippets_inside_a_fence_run_what_the_page_shows(tmp_path, monkeypatch):
    import primersite.check.items

    monkeypatch.setattr(primersite.check.items, "ROOT", tmp_path)
    (tmp_path / "snip.py").write_text('print("from the file")\n')
    good = write(tmp_path, '# T\n\n```python\n--8<-- "snip.py"\n#> from the file\n```\n', "good.md")
    assert evaluate_all(good) == 1
    bad = write(tmp_path, '# T\n\n```python\n--8<-- "snip.py"\n#> something else\n```\n', "bad.md")
    with pytest.raises(CheckFailure, match=r"-something else\n\+from the file"):
        evaluate_all(bad)


def test_snippets_outside_a_fence_are_refused():
    assert any(
        "snippet outside a code block" in p for p in problems(read('# T\n\n--8<-- "other.md"\n'))
    )


def test_indented_fence_in_admonition_and_tab_runs(tmp_path):
    path = write(
        tmp_path,
        """\
        # T

        !!! note
            ```python
            y = 5
            print(y)
            #> 5
            ```

        === "Tab"

            ```py
            print(y * 2)
            #> 11
            ```
        """,
    )
    with pytest.raises(CheckFailure, match=r"-11\n\+10"):
        evaluate_all(path)


def test_bare_skip_fails(tmp_path):
    path = write(tmp_path, "# T\n\n<!-- skip: next -->\n```python\nraise SystemExit(1)\n```\n")
    with pytest.raises(CheckFailure, match="bare skip"):
        evaluate_all(path)


def test_skip_with_reason_skips_and_reports_it(tmp_path):
    path = write(
        tmp_path,
        '# T\n\n<!-- skip: next "needs the internet" -->\n```python\nraise SystemExit(1)\n```\n',
    )
    with pytest.raises(Skipped, match="needs the internet"):
        evaluate_all(path)
    # a skipped block is not in the script either
    assert read(path.read_text()).plan({}).script == ""


def test_a_skip_runs_when_its_data_is_there(tmp_path, monkeypatch):
    text = '# T\n\n<!-- skip: next if-missing DEMO_DATA "needs the demo data" -->\n```python\nprint(2)\n#> 3\n```\n'
    path = write(tmp_path, text)
    monkeypatch.delenv("DEMO_DATA", raising=False)
    with pytest.raises(Skipped, match="needs the demo data"):
        evaluate_all(path)
    monkeypatch.setenv("DEMO_DATA", str(tmp_path))
    with pytest.raises(CheckFailure, match=r"-3\n\+2"):
        evaluate_all(path)


def test_skip_not_followed_by_python_fails(tmp_path):
    path = write(tmp_path, '# T\n\n<!-- skip: next "why" -->\n\nText.\n```bash\nls\n```\n')
    with pytest.raises(CheckFailure, match="not followed by a python block"):
        evaluate_all(path)


@pytest.mark.parametrize("category", ["DeprecationWarning", "FutureWarning", "UserWarning"])
def test_warning_in_a_snippet_is_an_error(tmp_path, category):
    page = f'# T\n\n```python\nimport warnings\n\nwarnings.warn("old", {category}, stacklevel=1)\n```\n'
    with pytest.raises(CheckFailure, match=f"{category}: old"):
        evaluate_all(write(tmp_path, page))


def test_prompts_are_refused(tmp_path):
    path = write(tmp_path, "# T\n\n```python\n>>> 1 + 1\n2\n```\n")
    with pytest.raises(CheckFailure, match="prompts are not allowed"):
        evaluate_all(path)


def test_namespace_is_fresh_per_page(tmp_path):
    a = "# A\n\n```python\nimport torch\n\nsecret = torch.ones(1)\n```\n"
    evaluate_all(write(tmp_path, a, "a.md"))
    b = '# B\n\n```python\nprint("torch" in dir(), "secret" in dir())\n#> False False\n```\n'
    path = write(tmp_path, b, "b.md")
    assert evaluate_all(path) == 1


def test_a_block_that_needs_an_earlier_pages_state_fails(tmp_path):
    a = "# A\n\n```python\nimport math\n\nradius = math.sqrt(4.0)\n```\n"
    evaluate_all(write(tmp_path, a, "a.md"))
    b = "# B\n\n```python\nprint(math.pi * radius**2)\n#> 12.566370614359172\n```\n"
    path = write(tmp_path, b, "b.md")
    with pytest.raises(CheckFailure, match="NameError: name 'math' is not defined"):
        evaluate_all(path, kinds=("block", "script"))
    # the page's own lint says so before any run: the names come from nowhere on this page
    with pytest.raises(CheckFailure, match="ruff F821: Undefined name `math`"):
        evaluate_all(path, kinds=("text",))


def test_blocks_run_top_to_bottom(tmp_path):
    # block 1 uses a name only block 2 defines: each block alone is fine, the page is not
    path = write(
        tmp_path, "# T\n\n```python\nprint(later)\n```\n\nText.\n\n```python\nlater = 1\n```\n"
    )
    with pytest.raises(CheckFailure, match="NameError: name 'later' is not defined"):
        evaluate_all(path, kinds=("block", "script"))


def test_a_page_that_fails_only_as_a_script(tmp_path):
    # every statement prints what its #> lines say, but the script prints more on its way out
    path = write(
        tmp_path,
        "# T\n\n```python\nimport atexit\natexit.register(print, 'bye')\nprint('hi')\n#> hi\n```\n",
    )
    document = page_sybil(path=str(tmp_path), patterns=[path.name]).parse(path)
    items = {e.parsed.kind: e for e in document}
    items["block"].evaluate()  # the block's own verdict holds
    with pytest.raises(CheckFailure, match=r"output differs from the page(.|\n)*\+bye"):
        items["script"].evaluate()


@pytest.mark.parametrize(
    "ending",
    [
        "import os\n\nos._exit(0)",
        "import sys\n\nsys.exit(0)",
        "import os\nimport signal\n\nos.kill(os.getpid(), signal.SIGKILL)",
    ],
)
def test_a_page_cannot_end_the_run_early_and_green(tmp_path, ending):
    path = write(
        tmp_path,
        f"# T\n\n```python\nprint(1)\n#> 1\n```\n\n```python\n{ending}\n```\n\n"
        "```python\nprint(2)\n#> 2\n```\n",
    )
    with pytest.raises(CheckFailure, match="never ran|process ended|SystemExit"):
        evaluate_all(path)


def test_a_page_runs_in_an_empty_folder(tmp_path):
    (tmp_path / "data.txt").write_text("beside the page")
    path = write(
        tmp_path,
        "# T\n\n```python\nimport os\n\nprint(sorted(os.listdir(\".\")))\n#> ['page_page.py']\n```\n",
    )
    assert evaluate_all(path) == 1


def test_a_write_outside_the_page_folder_fails(tmp_path):
    target = tmp_path / "committed.txt"
    code = f'target = "{target}"\nwith open(target, "w") as f:\n    f.write("changed")\n'
    path = write(tmp_path, f"# T\n\n```python\n{code}```\n")
    with pytest.raises(CheckFailure, match=f"wrote outside its folder: {target}"):
        evaluate_all(path)


def test_a_committed_figure_must_be_what_the_page_draws(tmp_path):
    from PIL import Image

    draw = '# T\n\n```python\nfrom PIL import Image\n\nImage.new("RGB", (30, 20), "{}").save("t-fig.png")\n```\n'
    Image.new("RGB", (30, 20), "white").save(tmp_path / "t-fig.png")
    assert evaluate_all(write(tmp_path, draw.format("white"), "t.md")) == 1
    with pytest.raises(
        CheckFailure, match=r"committed t-fig.png is not what the page draws: 100.0% of its pixels"
    ):
        evaluate_all(write(tmp_path, draw.format("red"), "t.md"))


def test_fill_writes_what_runs_print(tmp_path):
    path = write(
        tmp_path, "# T\n\n!!! note\n    ```python\n    print(6 * 7)\n    #> stale\n    ```\n"
    )
    text, run = fill(path)
    assert run.ok and "    print(6 * 7)\n    #> 42\n" in text and "stale" not in text
    assert evaluate_all(write(tmp_path, text)) == 1


def test_fill_leaves_a_page_that_fails_as_it_was(tmp_path, capsys):
    from primersite.__main__ import main

    page = "# T\n\n```python\nprint(1)\n#> 1\nraise ValueError('boom')\nprint(3)\n#> 3\n```\n"
    path = write(tmp_path, page)
    assert main(["fill", str(path)]) == 1
    assert path.read_text() == page  # the outputs after the failure are not lost
    err = capsys.readouterr().err
    assert "stopped early at line 6 (ValueError: boom); page left as it was" in err


def test_lex_ignores_fences_shown_inside_a_longer_fence():
    page = read("````markdown\n```python\nboom()\n```\n````\n")
    assert [b.python for b in page.blocks] == [False]


def test_front_matter_is_read_and_not_a_block():
    page = read(
        "---\ndescription: A page.\nbuilds_on:\n  - a.md\n---\n# T\n\n```python\nx = 1\n```\n"
    )
    assert page.meta == {"description": "A page.", "builds_on": ["a.md"]}
    assert [b.line for b in page.python_blocks] == [8]


def test_a_submodule_only_preloading_imported_is_refused(tmp_path):
    # the runner preloads matplotlib.pyplot; a fresh interpreter would not have it after `import matplotlib`
    page = "# T\n\n```python\nimport matplotlib\n\nprint(matplotlib.pyplot.__name__)\n#> matplotlib.pyplot\n```\n"
    with pytest.raises(CheckFailure, match="uses matplotlib.pyplot without importing it"):
        evaluate_all(write(tmp_path, page))
    fine = page.replace("import matplotlib\n", "import matplotlib.pyplot\n")
    assert evaluate_all(write(tmp_path, fine, "fine.md")) == 1


def test_a_page_and_tests_that_share_a_costly_start_each_run_on_one_worker():
    """The scheduler's units of work (conftest.py at the repository's root)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "root_conftest", Path(__file__).resolve().parents[1] / "conftest.py"
    )
    root = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(root)
    assert root.scope_of("docs/tensors/tensors.md::line:33,column:1") == "pages"
    assert root.scope_of("tests/test_checker.py::test_fill_writes_what_runs_print") == "pages"
    assert (
        root.scope_of("src/torchprimer/digits.py::line:6,column:1") == "src/torchprimer/digits.py"
    )
    assert root.scope_of("tests/test_render.py::test_cli_gpu_render_needs_a_gpu") == "render"
    assert root.scope_of("tests/test_examples.py::test_smoke_run[handwriting]") == "python-fork"
    assert (
        root.scope_of("tests/test_checkpoint.py::test_cli_one_line_per_file_and_exit_status")
        == "python-fork"
    )
    assert (
        root.scope_of("tests/test_checkpoint.py::test_cli_x")
        == "tests/test_checkpoint.py::test_cli_x"
    )


# --- the page model: read once, frozen, what every part of the site reads ------------------


def test_a_page_is_read_once_into_a_frozen_model():
    import dataclasses

    page = read(
        "---\ndescription: D.\n---\n# Title\n\n```python\n# Not a title\nx = 2\nprint(x)\n#> 2\n"
        'print(x + 1, "and")\n#> 3 and\n```\n\n!!! claim wrong "Tensors are arrays."\n    No.\n'
    )
    assert (page.title, page.meta) == ("Title", {"description": "D."})
    [block] = page.python_blocks
    assert [(s.first, s.last, s.expected) for s in block.statements] == [
        (8, 8, ()),
        (9, 9, ((10, "2"),)),
        (11, 11, ((12, "3 and"),)),
    ]
    plan = page.plan({})
    assert plan is page.plan({"UNRELATED": "1"})  # worked out once per environment that matters
    assert (plan.expected_stdout, plan.index(block)) == ("2\n3 and\n", 0)
    [claim] = page.claims
    assert (claim.verdict, claim.anchor, claim.line) == ("wrong", "claim-tensors-are-arrays", 15)
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.title = "Another"


def test_skip_directives_are_found_by_sybils_lexer_and_read_strictly():
    text = (
        '!!! note\n    <!-- skip: next "indented" -->\n    ```python\n    x = 1\n    ```\n\n'
        '<!--\nskip: next "over two lines" -->\n```python\ny = 2\n```\n\n'
        "<!-- skipping ahead is no directive -->\n```python\nz = 3\n```\n"
    )
    page = read(text)
    assert [b.skip_reason for b in page.python_blocks] == ["indented", "over two lines", None]
    assert [d.line for d in page.directives] == [2, 7]
    page = read('<!-- skip: next "over\n   two lines" -->\n```python\ny = 2\n```\n')
    assert page.python_blocks[0].skip_reason is None  # a reason stays on one line
    assert "is not allowed" in problems(page)[0]


def test_a_claim_needs_a_known_verdict():
    found = problems(read('# T\n\n!!! claim maybe "PyTorch is fast."\n    Text.\n'))
    assert found == [
        "line 3: a claim needs a verdict (holds, caveat, wrong, outdated) and a statement: "
        '!!! claim <verdict> "statement"'
    ]


def test_output_before_any_statement_and_code_that_does_not_parse_are_refused():
    assert problems(read("# T\n\n```python\n#> 1\nprint(1)\n```\n"))[0] == (
        "line 4: '#>' output line before any statement"
    )
    assert problems(read("# T\n\n```python\nprint(1\n```\n"))[0].startswith(
        "line 4: a python block that does not parse:"
    )


def test_fill_leaves_a_block_that_includes_a_file_as_it_stands(tmp_path, monkeypatch):
    import primersite.check.fill

    monkeypatch.setattr(primersite.check.fill, "ROOT", tmp_path)
    (tmp_path / "snip.py").write_text('print("from the file")\n')
    page = '# T\n\n```python\n--8<-- "snip.py"\n```\n\n```python\nprint(2)\n#> stale\n```\n'
    text, run = fill(write(tmp_path, page))
    assert run.ok and text == page.replace("#> stale", "#> 2")


# --- the page's code meets the package's bar (ruff) ---------------------------------------


def test_page_code_is_linted_and_format_checked_as_a_readers_script():
    page = read(
        "# T\n\n```python\nimport os\n\nvalues=[1, 2]\n```\n\nText.\n\n"
        "```python\nimport math\n\nfor i in values:\n    print(math.pi)\n#> 3.141592653589793\n"
        "#> 3.141592653589793\n```\n"
    )
    assert problems(page) == [
        "line 4: ruff F401: `os` imported but unused",
        "line 14: ruff B007: Loop control variable `i` not used within loop body",
        "line 6: ruff format would write this differently (ruff format --diff)",
    ]
    # names from earlier blocks count, a late import is a teaching habit, #> lines are output
    fine = "```python\nvalues = [1, 2]\n```\n\n```python\nimport math\n\nprint(math.fsum(values))\n#> 3.0\n```\n"
    assert problems(read(fine)) == []


def test_what_the_workers_share_is_made_once_per_run_and_a_failure_is_kept(tmp_path_factory):
    from conftest import once_per_run

    calls = []

    def make(folder: Path) -> str | None:
        calls.append(folder)
        (folder / "made.txt").write_text("x")
        return None

    first = once_per_run(tmp_path_factory, "shared-demo", make)
    again = once_per_run(tmp_path_factory, "shared-demo", make)
    assert first == again and len(calls) == 1 and (first / "made.txt").read_text() == "x"

    def broken(folder: Path) -> str | None:
        calls.append(folder)
        return "it broke"

    for _ in range(2):
        with pytest.raises(pytest.fail.Exception, match="shared-broken: it broke"):
            once_per_run(tmp_path_factory, "shared-broken", broken)
    assert len(calls) == 2  # the broken one ran once
