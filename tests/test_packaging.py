"""The built package holds every file of the source tree that the service reads.

A deployment installs a wheel (deploy/README.md), not the checkout: a file left out
of it (the migrations, the console's templates) breaks every process at start,
which the editable install the tests run on would never show.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(180)
def test_the_wheel_holds_every_file_of_the_package(tmp_path):
    source = tmp_path / "source"
    # A copy, so the build's own folders (build/, *.egg-info) stay out of the tree.
    shutil.copytree(
        ROOT / "connector",
        source / "connector",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    built = subprocess.run(
        # "./": a bare "source" would be a project name on PyPI.
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q"]
        + ["-w", "out", "./source"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "out").glob("retell_connector-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packed = {name for name in archive.namelist() if name.startswith("connector/")}
    expected = {
        str(path.relative_to(source))
        for path in (source / "connector").rglob("*")
        if path.is_file()
    }
    assert expected - packed == set()
    assert "connector/store/migrations/env.py" in packed
