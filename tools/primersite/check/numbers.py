"""The numbers a page's prose states, and whether each is tied to an output.

A number in prose that restates an output (a parameter count, a loss, an accuracy, a
timing) must be tied to it: the checker finds it among the outputs the page shows (its
``#>`` lines), those of an example notebook the page links to, or those of a page its
paragraph links to, rounded as the prose rounds it (``0.48`` is ``0.4812``; ``82%`` is
``0.8213``; ``8,970`` is ``8970``; after "about", ``3,000`` is ``2,913``). Change the
output and the prose goes stale: the rule (``untied_numbers`` in
:mod:`primersite.check.rules`) names the page line.

What is set aside as not restating an output, each by a rule a reader can check:

* what is not prose: code blocks, code spans (but a span that is only a number), link
  targets, HTML, math, the front matter, a figure's description (the figure is checked
  against what the page draws), footnote definitions (they are the sources);
* numbers the code names: a literal of the page's code, a number of its shell commands
  or code spans, a literal of a linked example notebook's code (a layer's width, a
  learning rate, a seed);
* years (1900 to 2099) and dates (12 September); versions (after a product name such as
  PyTorch or Python, after "version" or "since", with two points, before "release");
  names (CIFAR-10, ResNet-18, 16-bit); references (section 5.2, step 3, issue #1234);
  list and heading enumerations (``1.``); whole numbers up to 10, the prose's counts;
* numbers from elsewhere that name their source in their sentence: a footnote (``[^1]``)
  or a link to another site;
* numbers under ``<!-- numbers: next "why" -->`` (the next paragraph, table or list),
  the site's own that are none of these: worked arithmetic, reading times.

>>> from primersite.check.lex import read
>>> [n.text for n in stated_numbers(read("# T\\n\\nIt has 650 weights, 2 layers, in 2024.\\n"))]
['650']
>>> tied(stated_numbers(read("# T\\n\\nAbout 0.48.\\n"))[0], output_values("loss 0.4812"))
True
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass

from primersite.check.page import OUTPUT_MARK, Page

#: A number as prose writes it: thousands separated by commas, a decimal point, an exponent,
#: then % or a multiplier (3x, 3×); not part of a word or of a longer number.
NUMBER = re.compile(
    r"(?<![\w.,])(?P<num>\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:_\d{3})*)(?P<frac>\.\d+)?"
    r"(?P<exp>e[-+]?\d+)?(?:(?P<unit> ?%|x(?![\w])|×)|(?P<scale> thousand| million| billion|[kMB]))?"
    r"(?![\w]|\.\d|,\d)"
)
SCALES = {" thousand": 1e3, " million": 1e6, " billion": 1e9, "k": 1e3, "M": 1e6, "B": 1e9}
#: After these a whole number ending in zeros is rounded: about 3,000 is 2,913.
ABOUT = re.compile(r"(?i:\b(?:about|around|roughly|nearly|almost|approximately|some)|[~≈])\s*$")
#: Before these a number is a reference, not a quantity.
REFERENCES = re.compile(
    r"(?i:\b(?:section|chapter|figure|fig\.|table|step|page|part|equation|eq\.))\s*$"
)
#: After these a number is a version (a number with a point, also after "since" and the like).
PRODUCTS = re.compile(
    r"(?i:\b(?:pytorch|torch|python|torchvision|torchaudio|cuda|cudnn|numpy|jupyter|mkdocs|"
    r"macos|windows|ubuntu|debian|onnx|opset|triton|tensorboard|capability|capabilities|"
    r"version|versions|release|v))\s*$"
)
MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
SINCE = re.compile(r"(?i:\b(?:since|after|before|until|(?:older|newer|earlier|later) than))\s*$")
DIRECTIVE = re.compile(r'<!--\s*numbers:\s*next\s+"(?P<reason>[^"\n]*\S[^"\n]*)"\s*-->')
SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z(`*_])|\n\s*\n")


@dataclass(frozen=True)
class Stated:
    """A number the prose states: where, as written, its value and how it is rounded."""

    line: int
    start: int  # offset in the page's text
    text: str
    value: float
    decimals: int
    percent: bool


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def blanked(text: str, spans) -> str:
    """``text`` with each ``(start, end)`` of ``spans`` blanked: spaces, its lines kept, so
    offsets and line numbers still point where they did."""
    chars = list(text)
    for start, end in spans:
        _blank(chars, start, end)
    return "".join(chars)


def prose(page: Page) -> str:
    """The page's text with everything that is not prose blanked (offsets and lines kept)."""
    text = blanked(page.text, [(0, page.body_start), *((b.start, b.end) for b in page.blocks)])
    chars = list(text)
    spans = [
        r"!\[[^\]]*\]\([^)]*\)",  # a figure: its description is checked with the figure
        r"<!--.*?-->",
        r"\$\$.*?\$\$",
        r"(?<![\\\w])\$[^$\n]+\$",
        r"\]\([^)\s]*\)",  # a link's target
        r"<[a-zA-Z/][^>\n]*>",  # tags and their attributes
        r"^\[\^[^\]]+\]:.*(?:\n(?: {4}|\t).*)*",  # footnote definitions: the sources
        r"\{[#.][^}\n]*\}",  # attribute lists: {#anchor}
    ]
    for pattern in spans:
        for m in re.finditer(pattern, text, re.S | re.M):
            _blank(chars, m.start(), m.end())
    text = "".join(chars)
    for m in re.finditer(r"(`+)(?P<code>.+?)\1", text, re.S):
        if not re.fullmatch(r"\s*[-\d.,%]+\s*", m["code"]):  # code, not a value
            _blank(chars, m.start(), m.end())
    return "".join(chars)


def parse(m: re.Match) -> tuple[float, int]:
    """A matched number's value (commas and underscores dropped) and the decimal place it is
    written to (6.1e-05: 6; 6.55e+04: -2, the hundreds)."""
    whole = m["num"].replace(",", "").replace("_", "")
    frac = m["frac"] or ""
    exp = m["exp"] or ""
    places = (len(frac) - 1 if frac else 0) - (int(exp[1:]) if exp else 0)
    value = float(whole + frac + exp)
    if m["scale"]:  # 1.3 billion: written to a tenth of a billion
        scale = SCALES[m["scale"]]
        return value * scale, places - round(math.log10(scale))
    return value, places


def _exempt(text: str, m: re.Match, value: float, decimals: int) -> bool:
    """Years, dates, versions, names, references, enumerations and the prose's small counts
    (the module's docstring)."""
    before = text[max(0, m.start() - 40) : m.start()]
    after = text[m.end() : m.end() + 3]
    line_start = text.rfind("\n", 0, m.start()) + 1
    lead = text[line_start : m.start()]
    whole = decimals == 0 and not m["exp"] and not m["unit"]
    return (
        (whole and 1900 <= value <= 2099 and "," not in m["num"])
        or bool(PRODUCTS.search(before))
        or (bool(m["frac"]) and bool(SINCE.search(before)))
        or bool(re.match(r"\.\d", after))  # 1.1.0
        or bool(re.search(r"\w-$", before))  # CIFAR-10, ResNet-18
        or bool(re.match(r"-(?:bit|D\b)", text[m.end() : m.end() + 4]))  # 16-bit, 2-D
        or before.endswith("#")  # an issue's number
        or bool(REFERENCES.search(before))  # section 5.2
        or bool(re.match(rf"\s+{MONTH}\b", text[m.end() : m.end() + 12]))  # 12 September
        or bool(re.match(r"\s+releases?\b", text[m.end() : m.end() + 10]))  # the 0.1 release
        or (
            whole
            and re.fullmatch(r"\s*(?:[-*+]\s+|#+\s+)?", lead) is not None
            and after[:1] in ".)"
        )
        or (whole and value <= 10)
    )


def stated_numbers(page: Page) -> list[Stated]:
    """Every number the page's prose states that a rule of the module docstring does not
    set aside as not restating an output."""
    text = prose(page)
    found = []
    for m in NUMBER.finditer(text):
        value, decimals = parse(m)
        if _exempt(text, m, value, decimals):
            continue
        if (
            decimals == 0
            and not (m["frac"] or m["exp"] or m["scale"])
            and ABOUT.search(text[max(0, m.start() - 12) : m.start()])
        ):  # about 3,000: rounded to its last digit that is not 0
            digits = m["num"].replace(",", "").replace("_", "")
            decimals = -(len(digits) - len(digits.rstrip("0")))
        line = text.count("\n", 0, m.start()) + 1
        percent = (m["unit"] or "").strip() == "%"
        found.append(Stated(line, m.start(), m[0], value, decimals, percent))
    return found


def output_values(text: str) -> list[tuple[float, int]]:
    """``(value, decimals)`` of each number in ``text`` (an output), as prose would write it."""
    return [parse(m) for m in NUMBER.finditer(text.replace("−", "-"))]


def page_outputs(page: Page) -> str:
    """What the page shows its blocks printed: every ``#>`` line."""
    return "\n".join(t for b in page.python_blocks for _, t in b.expected_lines)


def code_values(source: str) -> set[float]:
    """The numbers a piece of code names: its numeric literals (a page's ``#>`` lines are
    comments, so they are left out)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {
        abs(float(n.value))
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and type(n.value) in (int, float)
    }


def page_code(page: Page) -> set[float]:
    """The numbers the page's code names: its python blocks' literals (without their ``#>``
    lines), and the numbers of its shell commands and code spans."""
    values: set[float] = set()
    for b in page.python_blocks:
        lines = [ln for ln in b.source.splitlines() if not ln.strip().startswith(OUTPUT_MARK)]
        values |= code_values("\n".join(lines))
    for b in (b for b in page.blocks if b.shell):  # a command's arguments
        values |= {abs(v) for v, _ in output_values(b.source)}
    outside_blocks = blanked(page.text, [(b.start, b.end) for b in page.blocks])
    for m in re.finditer(r"(`+)(?P<code>.+?)\1", outside_blocks, re.S):
        values |= {abs(v) for v, _ in output_values(m["code"])}
    return values


def _round(value: float, decimals: int) -> float:
    return round(value + (1e-12 if value >= 0 else -1e-12), decimals)


def tied(number: Stated, outputs: list[tuple[float, int]]) -> bool:
    """Whether an output, rounded as the prose rounds it, is ``number`` (a percentage may
    restate a fraction)."""
    want = abs(number.value)
    for value, decimals in outputs:
        scales = (1, 100) if number.percent else (1,)
        for scale in scales:
            shown = abs(value) * scale
            places = decimals - (2 if scale == 100 else 0)
            if places < number.decimals:
                continue  # the prose is more precise than the output
            if _round(shown, number.decimals) == want:
                return True
    return False


def named_in_code(number: Stated, code: set[float]) -> bool:
    want = abs(number.value)
    return want in code or (number.percent and want / 100 in code)


def directive_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, reason)`` of the text each ``<!-- numbers: next "why" -->`` covers:
    the next paragraph, table or list (up to a blank line)."""
    spans = []
    for m in DIRECTIVE.finditer(text):
        start = m.end()
        while start < len(text) and text[start] in " \t\n":
            start += 1
        blank = re.search(r"\n[ \t]*\n", text[start:])
        spans.append((start, start + blank.start() if blank else len(text), m["reason"]))
    return spans


def paragraph_of(text: str, at: int) -> tuple[int, int]:
    """Where the paragraph (table, list) around offset ``at`` starts and ends."""
    before = [m.end() for m in re.finditer(r"\n[ \t]*\n", text[:at])]
    after = re.search(r"\n[ \t]*\n", text[at:])
    return (before[-1] if before else 0), (at + after.start() if after else len(text))


def sentence_of(text: str, at: int) -> str:
    """The sentence of the page's text around offset ``at``."""
    starts = [m.end() for m in SENTENCE_END.finditer(text, 0, at)]
    end = SENTENCE_END.search(text, at)
    return text[starts[-1] if starts else 0 : end.end() if end else len(text)]


def names_its_source(text: str, number: Stated) -> bool:
    """A footnote reference or a link to another site in the number's sentence."""
    sentence = sentence_of(text, number.start)
    return bool(re.search(r"\[\^[^\]]+\]|\]\(https?://|<https?://", sentence))
