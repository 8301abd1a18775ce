"""The machinery behind the PyTorch Primer site, kept apart from the ``torchprimer`` package.

``torchprimer`` is what readers install and import. This package is what builds and
checks the site from a source checkout: the page reader (:mod:`~primersite.pages`), the
page runner and checker (:mod:`~primersite.runner`, :mod:`~primersite.checker`), the
example renderer and its stamps (:mod:`~primersite.render`,
:mod:`~primersite.provenance`), the downloads and the MkDocs hooks. It is installed
from ``tools/`` into the development environment only (see CONTRIBUTING.md).
"""

from pathlib import Path

#: The checkout this package was installed from: the site machinery works on a source tree.
ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
