"""The search index, made so that a pasted error message finds the section that explains it.

Material's search plugin reads each page's HTML into one entry per section (a heading with
an id and what follows it), and its worker ranks them with lunr, without penalising long
entries. What this module changes in the index it writes (``on_post_build``), and why:

* An example notebook is indexed by section. mkdocs-jupyter wraps every cell in its own
  ``<div>``, and the plugin ends a section where the element holding its heading ends, so
  a notebook's sections held only their Markdown cell and its page entry held every code
  cell and output: 20 to 40 thousand characters that share a word with almost anything
  pasted. Read without the cells' wrappers (:func:`flat_notebook`), each section runs up
  to the next heading, as a Markdown page's does.
* A message a page prints (a ``#> ...Error: ...`` line) gets an entry of its own, titled
  with the message and leading to its line, unless a heading carries it (the
  troubleshooting page's sections): in a section's text among its code, a message lost to
  any page whose title shared one of its words.

Besides, the separator (``plugins: search: separator`` in mkdocs.yml) splits words at
punctuation too, so ``torch.Size([16])`` in a message and in a page are the same words,
and the query is cleaned in the browser before the worker sees it
(``docs/_overrides/assets/javascripts/search-paste.js``): quotes, minus signs, the numbers
of the reader's own run.

>>> flat_notebook('<div class="cell"><h2 id="a">A<a class="anchor-link" href="#a">¶</a></h2>'
...               '</div><div><pre>x</pre></div>')
'<h2 id="a">A</h2><pre>x</pre>'
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from types import SimpleNamespace

#: The cells' wrappers (what is inside them stays), and the "¶" links of their headings,
#: which would end each section's title in the results.
_WRAPPERS = re.compile(r'</?div\b[^>]*>|<a class="anchor-link"[^>]*>[^<]*</a>')


def flat_notebook(content: str) -> str:
    """A notebook page's HTML without its cells' wrappers: headings and cells side by side."""
    return _WRAPPERS.sub("", content)


#: A ``#>`` line as the build shows it (``on_page_content`` marks it ``primer-output``) that
#: prints an exception or a warning: its line's id and the message.
PRINTED_MESSAGE = re.compile(
    r'<span id="(?P<anchor>__span-\d+-\d+)">(?:<a [^>]*></a>)?'
    r'<span class="c1 primer-output">#&gt; (?P<message>[\w.]+(?:Error|Warning|Exception): [^<]*)<'
)
HEADING = re.compile(r"<h[1-6][^>]*>(?P<title>.*?)</h[1-6]>", re.S)
#: A heading that carries a message holds it in code: three words or more.
MESSAGE_IN_CODE = re.compile(r"<code>[^<]*?(?:[^<\s]+\s+){2}[^<\s]+[^<]*</code>")


def printed_messages(content: str) -> list[tuple[str, str]]:
    """``(line id, message)`` of each exception or warning a page's ``#>`` lines print,
    except under a heading that carries a message (it is that section's to be found by).

    >>> line = '<span id="__span-2-4"><span class="c1 primer-output">#&gt; {}</span>'
    >>> printed_messages('<h2 id="t">Types</h2>' + line.format("TypeError: no") + "<p>x</p>")
    [('__span-2-4', 'TypeError: no')]
    >>> printed_messages('<h3 id="m"><code>bad value here</code></h3>' + line.format("ValueError: bad value here"))
    []
    """
    headings = [(m.start(), m["title"]) for m in HEADING.finditer(content)]
    found = []
    for m in PRINTED_MESSAGE.finditer(content):
        above = [title for at, title in headings if at < m.start()]
        if not (above and MESSAGE_IN_CODE.search(above[-1])):
            found.append((m["anchor"], m["message"].strip()))
    return found


def _words(text: str) -> list[str]:
    """The words of ``text`` (markup and entities read), lower case: no numbers, no
    punctuation, no single letters."""
    return re.findall(r"[a-z]{2,}", html.unescape(re.sub(r"<[^>]+>", " ", text)).lower())


def carried(message: str, titles: list[set[str]]) -> bool:
    """Whether a heading carries ``message``: one title (its set of words) holds the first
    three words after its type (``RuntimeError:``). It is that section's to be found by.

    >>> titles = [set(_words("<code>mat1 and mat2 shapes cannot be multiplied (32x8)</code>"))]
    >>> carried("RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)", titles)
    True
    >>> carried("RuntimeError: Inference tensors do not track version counter.", titles)
    False
    """
    opening = set(_words(message.split(": ", 1)[-1])[:3])
    return any(opening <= title for title in titles)


class IndexEdits:
    """What the build changes in the written index: each notebook page's entries by section,
    and an entry for each message a page prints."""

    def __init__(self) -> None:
        self.notebooks: dict[str, SimpleNamespace] = {}
        self.messages: dict[str, list[tuple[str, str]]] = {}

    def clear(self) -> None:
        self.notebooks.clear()
        self.messages.clear()

    def add(self, page, html: str) -> None:
        """Keep what the index needs of a page as the build renders it (its HTML unchanged)."""
        if page.file.src_uri.endswith(".ipynb"):
            self.notebooks[page.url] = SimpleNamespace(
                content=flat_notebook(html),
                toc=page.toc,
                url=page.url,
                meta=page.meta,
                title=page.title,
            )
        elif found := printed_messages(html):
            self.messages[page.url] = found

    def notebook_entries(self, config: dict, url: str) -> list[dict]:
        """The index entries of the notebook page at ``url``, one per section, made by the
        search plugin's own reader."""
        from material.plugins.search.plugin import SearchIndex

        index = SearchIndex(**config)
        index.add_entry_from_context(self.notebooks[url])
        return index.entries

    def edited(self, data: dict) -> list[dict]:
        """The index's entries, edited: a page's own come first, as the worker expects."""
        docs: dict[str, list[dict]] = {}
        for doc in data["docs"]:
            docs.setdefault(doc["location"].split("#")[0], []).append(doc)
        titles = [set(_words(doc["title"])) for doc in data["docs"]]
        for url in docs:
            if url in self.notebooks:
                docs[url] = self.notebook_entries(data["config"], url)
            docs[url] += [
                {"location": f"{url}#{anchor}", "title": message, "text": ""}
                for anchor, message in self.messages.get(url, [])
                if not carried(message, titles)
            ]
        return [doc for entries in docs.values() for doc in entries]

    def rewrite(self, index_path: Path) -> None:
        """Edit the index the search plugin wrote."""
        if not index_path.exists():
            return
        data = json.loads(index_path.read_text(encoding="utf-8"))
        data["docs"] = self.edited(data)
        index_path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
