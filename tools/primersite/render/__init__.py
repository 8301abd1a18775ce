"""The render wing: example scripts executed into stamped, sealed notebooks, the weights
they publish, and the GPU session that does both on a lent GPU machine.

* :mod:`~primersite.render.examples`: what an example script declares;
* :mod:`~primersite.render.renderer` (``python -m primersite.render``),
  :mod:`~primersite.render.kernel` and :mod:`~primersite.render.provenance` (stamps, seals);
* :mod:`~primersite.render.weights`: publishing the checkpoints ``hubconf.py`` serves;
* the GPU session: :mod:`~primersite.render.gpu_session` (its steps there),
  :mod:`~primersite.render.gpu_handoff` (prepare and bring, here),
  :mod:`~primersite.render.gpu_blocks` (recording the pages' GPU blocks) and
  :mod:`~primersite.render.gpu_export` (their export and merge, here).

This package's face imports nothing: the GPU session runs from it with the standard
library and torch only.
"""
