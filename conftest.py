"""Collects every page under docs/ and every docstring example under src/ as tests.

Nothing is injected into a page's namespace: each page runs in a fresh one, as a script
would (see tests/doccheck.py for the rules).
"""

from pathlib import Path

from sybil import Sybil
from sybil.parsers.rest import DocTestParser

from doccheck import page_sybil

ROOT = Path(__file__).resolve().parent

pytest_collect_file = (
    page_sybil(patterns=["*.md"], path=str(ROOT / "docs"))
    + Sybil(parsers=[DocTestParser()], patterns=["*.py"], path=str(ROOT / "src"))
).pytest()
