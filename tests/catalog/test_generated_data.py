"""The committed catalog data is exactly what scripts/generate_catalog.py produces."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "src" / "appevents" / "catalog" / "data"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_catalog", REPO / "scripts" / "generate_catalog.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_data_is_up_to_date(reference_dir: Path, tmp_path: Path) -> None:
    generator = load_generator()
    assert generator.main(["--reference", str(reference_dir), "--out", str(tmp_path)]) == 0
    generated = sorted(p.name for p in tmp_path.iterdir())
    assert generated == sorted(p.name for p in DATA.iterdir() if p.is_file())
    stale = [n for n in generated if (tmp_path / n).read_bytes() != (DATA / n).read_bytes()]
    assert stale == [], f"run scripts/generate_catalog.py: {stale} differ from what it generates"


def test_schemas_and_licences_are_verbatim_copies(reference_dir: Path) -> None:
    apps = reference_dir / "stripe-apps"
    assert (DATA / "stripe-app.schema.json").read_bytes() == (
        apps / "stripe-app.schema.json"
    ).read_bytes()
    assert (DATA / "LICENSE-stripe-apps").read_bytes() == (apps / "LICENSE").read_bytes()
    assert (DATA / "LICENSE-stripe-openapi").read_bytes() == (
        reference_dir / "stripe-openapi" / "LICENSE"
    ).read_bytes()


def test_generator_refuses_a_directory_without_the_table(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        load_generator().main(["--reference", str(tmp_path), "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert not (tmp_path / "out").exists()
