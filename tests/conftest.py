"""Shared fixtures: one generated BCP-scale sample for the whole session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sample of 12 schools over three terms, refreshed once by the real pipeline."""
    root = tmp_path_factory.mktemp("dashboard")
    generate(root / "sample", schools=12, seed=5, terms=3)
    shutil.copytree(root / "sample" / "landing", root / "home" / "landing")
    env = {
        **os.environ,
        "SENDWATCH_HOME": str(root / "home"),
        "SENDWATCH_REGISTER": str(root / "sample" / "register.csv"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "sendwatch.cli", "refresh"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    os.environ.update({k: env[k] for k in ("SENDWATCH_HOME", "SENDWATCH_REGISTER")})
    yield root
    for key in ("SENDWATCH_HOME", "SENDWATCH_REGISTER"):
        os.environ.pop(key, None)
