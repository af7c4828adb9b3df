"""The contract tests run without rate limits and with a LoRaWAN webhook secret (tests/contract/cast.py)."""

from __future__ import annotations

import pytest

from tests.contract.cast import unlimited


@pytest.fixture
def settings(settings):
    return unlimited(settings)
