"""The machinery behind the PyTorch Primer site, kept apart from the ``torchprimer`` package.

``torchprimer`` is what readers install and import. This package builds and checks the
site from a source checkout, in three wings, each importing only the ones below it:

* :mod:`primersite.check` reads a page once into a frozen model, runs it in a sandbox and
  gives the verdicts (and ``fill``); its rules (:mod:`primersite.check.rules`) are where a
  new check goes;
* :mod:`primersite.render` executes the examples into stamped, sealed notebooks, publishes
  the weights and runs the GPU session;
* :mod:`primersite.build` is the MkDocs side: the hooks, the downloads, the API reference.

Beside them, the few facts all three read: the checkout (:data:`ROOT`), the lock
(:mod:`primersite.lock`) and git (:mod:`primersite.git`). ``python -m primersite`` is an
author's loop on pages. It is installed from ``tools/`` into the development environment
only (see CONTRIBUTING.md).
"""

from pathlib import Path

#: The checkout this package was installed from: the site machinery works on a source tree.
ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
