"""The build wing: what MkDocs shows of a page, computed from the page model, never typed.

* :mod:`~primersite.build.hooks`: the MkDocs hooks (``hooks:`` in mkdocs.yml), which read
  every page once into its model and hand the facts to the parts below;
* :mod:`~primersite.build.rewrite`: each page's Markdown, edited where the model says: its
  header (:mod:`~primersite.build.header`), its skip notes
  (:mod:`~primersite.build.notes`) and its claims (:mod:`~primersite.build.claims`);
* :mod:`~primersite.build.nav`: the learning path and each page's "Next" link;
* :mod:`~primersite.build.downloads`: every page as a script and a notebook;
  :mod:`~primersite.build.wheel`: the ``torchprimer`` wheel the headers link to;
  :mod:`~primersite.build.examples_table`: the table of examples;
* :mod:`~primersite.build.apidocs`: the API reference's docstrings, read as Markdown.
"""
