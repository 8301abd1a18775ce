"""PyTorch Primer's tested package: what the pages and examples reuse.

Importing it does no work: submodules are imported where they are used.
"""

__version__ = "0.1.0"
