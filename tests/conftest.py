"""Shared fixtures: one generated BCP-scale sample for the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest

from sendwatch.generate import GenerationSummary, generate

SAMPLE_SEED = 1


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    """The default sample set (113 BCP-calibrated schools, six terms, seed 1)."""
    out = tmp_path_factory.mktemp("sample") / "sample"
    summary = generate(out, seed=SAMPLE_SEED)
    return out, summary
