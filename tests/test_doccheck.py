"""The checker's own tests: each way a page could lie must make it fail."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from _pytest.outcomes import Skipped
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser

from doccheck import CheckFailure, fill_outputs, lex, page_script, page_sybil, uncollected_fences
from pagescript import run_page_script


def write(tmp_path: Path, text: str, name: str = "page.md") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def evaluate_all(path: Path) -> int:
    """Run every example of a page as pytest would; return how many there were."""
    document = page_sybil(path=str(path.parent), patterns=[path.name]).parse(path)
    examples = list(document)
    for example in examples:
        example.evaluate()
    return len(examples)


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
    ['```python title="a.py"', "```py", "```Python", "```{.python .annotate}", '```python hl_lines="1"',
     "```python3", "~~~python"],
)
def test_fences_with_attributes_are_collected(tmp_path, fence):
    close = "~~~" if fence.startswith("~") else "```"
    page = f"# T\n\n{fence}\nprint(1 + 1)\n#> 2\n{close}\n"
    path = write(tmp_path, page)
    ours = page_sybil(path=str(tmp_path), patterns=["*.md"])
    assert uncollected_fences(path, ours) == []
    assert evaluate_all(path) == 1


def test_uncollected_fence_is_detected(tmp_path):
    # sybil's own markdown parser skips a fence with attributes: the guard must see it
    path = write(tmp_path, '# T\n\n```python title="a.py"\nprint(1)\n```\n\n```python\nx = 1\n```\n')
    plain = Sybil(parsers=[PythonCodeBlockParser()], patterns=["*.md"], path=str(tmp_path))
    assert uncollected_fences(path, plain) == [3]


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
    path = write(tmp_path, '# T\n\n<!-- skip: next "needs the internet" -->\n```python\nraise SystemExit(1)\n```\n')
    with pytest.raises(Skipped, match="needs the internet"):
        evaluate_all(path)
    assert page_script(path.read_text())[0] == ""  # a skipped block is not in the script either


def test_skip_not_followed_by_python_fails(tmp_path):
    path = write(tmp_path, '# T\n\n<!-- skip: next "why" -->\n\nText.\n```bash\nls\n```\n')
    with pytest.raises(CheckFailure, match="not followed by a python block"):
        evaluate_all(path)


@pytest.mark.parametrize("category", ["DeprecationWarning", "FutureWarning", "UserWarning"])
def test_warning_in_a_snippet_is_an_error(tmp_path, category):
    page = f"# T\n\n```python\nimport warnings\nwarnings.warn('old', {category})\n```\n"
    with pytest.raises(Warning, match="old"):
        evaluate_all(write(tmp_path, page))


def test_prompts_are_refused(tmp_path):
    path = write(tmp_path, "# T\n\n```pycon\n>>> 1 + 1\n2\n```\n")
    with pytest.raises(CheckFailure, match="prompts are not allowed"):
        evaluate_all(path)


def test_namespace_is_fresh_per_page(tmp_path):
    evaluate_all(write(tmp_path, "# A\n\n```python\nimport torch\nsecret = 1\n```\n", "a.md"))
    path = write(tmp_path, "# B\n\n```python\nprint('torch' in dir(), 'secret' in dir())\n#> False False\n```\n", "b.md")
    assert evaluate_all(path) == 1


def test_page_that_fails_top_to_bottom_fails_as_a_script(tmp_path):
    # block 1 uses a name only block 2 defines: each block alone is fine, the page is not
    path = write(tmp_path, "# T\n\n```python\nprint(later)\n```\n\nText.\n\n```python\nlater = 1\n```\n")
    result = run_page_script(path)
    assert result.returncode != 0
    assert "NameError: name 'later' is not defined" in result.stderr


def test_page_script_output_is_compared(tmp_path):
    path = write(tmp_path, "# T\n\n```python\nprint('a')\n#> a\n```\n")
    result = run_page_script(path)
    assert result.returncode == 0 and result.stdout == result.expected == "a\n"


def test_fill_outputs_writes_what_runs_print(tmp_path):
    text = "# T\n\n!!! note\n    ```python\n    print(6 * 7)\n    #> stale\n    ```\n"
    filled = fill_outputs(text, "page.md")
    assert "    print(6 * 7)\n    #> 42\n" in filled and "stale" not in filled
    assert evaluate_all(write(tmp_path, filled)) == 1


def test_lex_ignores_fences_shown_inside_a_longer_fence():
    page = lex("````markdown\n```python\nboom()\n```\n````\n")
    assert [b.python for b in page.blocks] == [False]


def test_report_counts_fences_runs_and_reasoned_skips(tmp_path):
    from doccheck import report

    write(tmp_path, '# A\n\n```python\nx = 1\n```\n\n<!-- skip: next "offline" -->\n```py\nx = 2\n```\n', "a.md")
    write(tmp_path, "# B\n\n````markdown\n```python\nnot code\n```\n````\n", "b.md")
    text = report(tmp_path)
    assert "pages: 2" in text and "python fences found: 2" in text and "blocks run: 1" in text
    assert "a.md:8: offline" in text
