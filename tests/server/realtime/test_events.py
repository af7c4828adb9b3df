"""The event catalogue: names follow domain:verb, and the README lists every event."""

from __future__ import annotations

import re

from server.realtime import events
from tests.support.processes import ROOT


def test_names_are_domain_verb_and_unique():
    names = [e.name for e in events.CATALOGUE]
    assert len(names) == len(set(names))
    for name in names:
        assert re.fullmatch(r"[a-z_]+:[a-z_]+", name), name


def test_readme_catalogue_is_generated_from_the_module():
    readme = (ROOT / "README.md").read_text()
    assert events.markdown() in readme, "run: python -m server.realtime.events --update-readme"
