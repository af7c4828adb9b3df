"""The event catalogue: names follow domain:verb, and the README lists every event."""

from __future__ import annotations

import re

from server.realtime import events
from tests.support.processes import ROOT


def test_names_are_domain_verb_and_unique():
    names = [e.name for e in events.CATALOGUE]
    assert len(names) == len(set(names))
    for name in names:
        # a domain may carry a digit of its clinical name (`news2:updated`); it starts with a letter
        assert re.fullmatch(r"[a-z][a-z0-9_]*:[a-z_]+", name), name
    assert not re.fullmatch(r"[a-z][a-z0-9_]*:[a-z_]+", "2fa:sent")


def test_readme_catalogue_is_generated_from_the_module():
    readme = (ROOT / "README.md").read_text()
    assert events.markdown() in readme, "run: python -m server.realtime.events --update-readme"
