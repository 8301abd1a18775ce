"""The check wing: a page read once into a frozen model, run in a sandbox, and judged.

* the page: :mod:`~primersite.check.page` (the model) and :mod:`~primersite.check.lex`
  (reading Markdown into it);
* the sandbox: :mod:`~primersite.check.sandbox` (settings and capture files),
  :mod:`~primersite.check.runner`, :mod:`~primersite.check.child`,
  :mod:`~primersite.check.zygote` and :mod:`~primersite.check.preload`;
* the verdicts: :mod:`~primersite.check.verdicts` (blocks and script),
  :mod:`~primersite.check.rules` (the page's text: the place to add a check),
  :mod:`~primersite.check.gpu_check` (GPU blocks against their records);
* for authors and pytest: :mod:`~primersite.check.fill` and :mod:`~primersite.check.items`.

The sandbox modules, :mod:`~primersite.check.gpu_records` and this package's face import
only the standard library: a GPU machine runs them with nothing but torch installed.
"""
