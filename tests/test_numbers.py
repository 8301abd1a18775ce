"""Numbers in prose that restate an output are tied to it (``primersite.check.numbers``):
change the output without the prose and the page fails, naming its line."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from primersite.check import numbers
from primersite.check.lex import read, read_page
from primersite.check.rules import problems, untied_numbers

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def page(body: str, uri: str | None = None):
    return read(textwrap.dedent(body), uri=uri)


def untied(body: str, uri: str | None = None) -> list[str]:
    return list(untied_numbers(page(body, uri)))


TIED = """\
    # Counting

    ```python
    print(650, 0.4812)
    #> 650 0.4812
    ```

    The layer has {count} weights, and the loss is {loss}.
"""


def test_a_number_that_restates_an_output_passes():
    assert untied(TIED.format(count="650", loss="0.48")) == []


def test_a_changed_output_fails_naming_the_prose_line():
    found = untied(TIED.format(count="651", loss="0.48"))
    assert found and found[0].startswith("line 8: 651 is in no output of this page")
    assert len(found) == 1


@pytest.mark.parametrize(
    ("prose", "output", "tied"),
    [
        ("0.48", "0.4812", True),
        ("0.49", "0.4812", False),
        ("82%", "0.8213", True),
        ("83%", "0.8213", False),
        ("8,970", "8970", True),
        ("about 3,000", "2913", True),
        ("3,000", "2913", False),  # without "about" it claims four digits
        ("1.3 million", "1284000", True),
        ("0.4812", "0.48", False),  # more precise than the output
    ],
)
def test_rounding_as_the_prose_rounds(prose, output, tied):
    stated = numbers.stated_numbers(page(f"# T\n\nIt is {prose} here.\n"))
    assert len(stated) == 1
    assert numbers.tied(stated[0], numbers.output_values(output)) is tied


@pytest.mark.parametrize(
    "sentence",
    [
        "It came out in 2017.",
        "Install PyTorch 2.14 and Python 3.12.",
        "CIFAR-10 and ResNet-18 in 16-bit.",
        "See section 5.2 and issue #1234.",
        "It took 3 steps.",
        "On 12 September it ran.",
    ],
)
def test_years_versions_names_references_and_small_counts_are_not_outputs(sentence):
    assert numbers.stated_numbers(page(f"# T\n\n{sentence}\n")) == []


def test_a_number_the_code_names_needs_no_output():
    body = """\
        # T

        ```python
        width = 128
        ```

        A width of 128, not 129.
    """
    assert [p.split(":")[0] for p in untied(body)] == ["line 7"]
    assert "129" in untied(body)[0]


def test_a_number_from_elsewhere_names_its_source_in_its_sentence():
    assert untied("# T\n\nThe largest float16 is 65,504 ([IEEE](https://ieee.org)).\n") == []
    assert untied("# T\n\nThe largest float16 is 65,504[^1].\n\n[^1]: IEEE 754.\n") == []
    assert untied("# T\n\nThe largest float16 is 65,504. See [IEEE](https://ieee.org).\n") != []


def test_a_marked_paragraph_needs_a_reason():
    marked = '# T\n\n<!-- numbers: next "worked arithmetic: 3 x 17" -->\n\nThat is 51.\n\nNot 52.\n'
    found = untied(marked)
    assert len(found) == 1 and found[0].startswith("line 7: 52")
    bare = "# T\n\n<!-- numbers: next -->\n\nThat is 51.\n"
    assert untied(bare) != []


def test_a_linked_notebooks_output_ties_a_number(tmp_path):
    notebooks = sorted((DOCS / "examples").glob("*.ipynb"))
    name = next(p.name for p in notebooks if p.stem == "cifar10_train")
    # the example's run prints its test accuracy as "test accuracy 0.9xxx"-like numbers:
    # any number of its outputs, written as prose would write it, ties
    from primersite.check.linked import notebook

    shown, _ = notebook(f"examples/{name}")
    value = next(v for v, d in numbers.output_values(shown) if d >= 3 and 0 < v < 1)
    prose = f"{round(value, 3)}"
    body = f"# T\n\nThe [run](../examples/{name}) reached {prose}.\n"
    assert untied(body, uri="networks/page.md") == []
    assert untied(f"# T\n\nThe run reached {prose}.\n", uri="networks/page.md") != []


def test_every_page_ties_its_numbers():
    found = {
        p.relative_to(DOCS).as_posix(): list(untied_numbers(read_page(p, ROOT)))
        for p in sorted(DOCS.rglob("*.md"))
    }
    assert {k: v for k, v in found.items() if v} == {}
    assert sum(len(numbers.stated_numbers(read_page(p, ROOT))) for p in DOCS.rglob("*.md")) > 300


def test_a_real_page_fails_when_an_output_changes_and_its_prose_does_not():
    """Plant a change: the output a number of gan.md's prose restates is changed in
    the page's ``#>`` lines (as a re-run printing another value would); the page fails,
    naming the prose line."""
    path = DOCS / "networks" / "gan.md"
    real = read_page(path, ROOT)
    assert not list(untied_numbers(real))
    outputs = numbers.output_values(numbers.page_outputs(real))
    code = numbers.page_code(real)
    marked = numbers.directive_spans(real.text)
    target = next(
        n
        for n in numbers.stated_numbers(real)
        if numbers.tied(n, outputs)
        and not numbers.named_in_code(n, code)
        and not any(start <= n.start < end for start, end, _ in marked)
        and n.decimals > 0
    )

    def changed(line: str) -> str:
        if not line.lstrip().startswith("#>"):
            return line
        return numbers.NUMBER.sub(
            lambda m: "999999" if numbers.tied(target, [numbers.parse(m)]) else m[0], line
        )

    planted = "".join(changed(line) for line in real.text.splitlines(keepends=True))
    assert planted != real.text
    found = problems(read(planted, snippet_base=ROOT, uri="networks/gan.md"))
    assert any(
        re.match(rf"line {target.line}: {re.escape(target.text)} is in no output", p) for p in found
    ), found
