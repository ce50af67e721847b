"""Fetch the held-out corpus: 16 Keras packages from PyPI that no label of ``real`` or ``keras-io``
was ever tuned on, pinned by version and SHA-256.

    python bench/heldout_fetch.py DEST        # then: bench/real_corpus_score.py --corpus-dir DEST --corpus heldout

Each distribution is downloaded with ``pip download --no-deps`` (never installed, never run) and
unpacked into ``DEST/heldout/<name>/``: a wheel's files as they are, an sdist's source tree (its
tests and scripts included). Those folders are the scorer's units (one project root each).
Labels: ``bench/real_labels/heldout.jsonl``. Needs network access to PyPI; no TensorFlow.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

#: name -> (pinned requirement, file pip downloads, its SHA-256)
PACKAGES: dict[str, tuple[str, str, str]] = {
    "autokeras": ("autokeras==3.0.0", "autokeras-3.0.0-py3-none-any.whl", "5a80d31b751eb2c40ddfd323b96c798a65e9cc2ee7c5ed00af41ef7a5e195aec"),
    "deepctr": ("deepctr==0.9.4", "deepctr-0.9.4-py3-none-any.whl", "2890be2410e328bddcc9efbce302f5025098c7298e113fa740f20947301df4a2"),
    "deepface": ("deepface==0.0.103", "deepface-0.0.103-py3-none-any.whl", "9f56eceb3c564fe0ac4a69911cd7b489bde8a8f591061b382c55b807e03f0e1a"),
    "elephas": ("elephas==7.3.0", "elephas-7.3.0-py3-none-any.whl", "56936b443bab89f0938994537b1349c25280f4026569deeac31b180321c8d14e"),
    "hyperas": ("hyperas==0.4.1", "hyperas-0.4.1-py3-none-any.whl", "9e69d3febe72a67b857d055943d129688a0aa069718c2a9522c030801e18cc45"),
    "imageai": ("imageai==3.0.3", "imageai-3.0.3-py3-none-any.whl", "204e065ecb051bce50e7202446b4880ec6517288c4799c1a6a8c055f2e93b28b"),
    "kapre": ("kapre==0.4.1", "kapre-0.4.1-py3-none-any.whl", "bb38f31025b533998fcc6747e21aa43a54706ccc2e7ef6221315de9351c33fe4"),
    "keras-bert": ("keras-bert==0.89.0", "keras-bert-0.89.0.tar.gz", "d35457c91130e23fc9a97181b0eb5c7b81d6945b40edc52310f6f713ed4eaecd"),
    "keras-ocr": ("keras-ocr==0.9.3", "keras_ocr-0.9.3-py3-none-any.whl", "8fdbb9044a814910e86d3853f5e7f13085c98ac210f27204fe75f4f8c4ac6262"),
    "keras-retinanet": ("keras-retinanet==1.0.0", "keras-retinanet-1.0.0.tar.gz", "895c08949fefbb6915a6b94722ff78e3bed000ab62005b720204c05b476cdea8"),
    "keras-rl2": ("keras-rl2==1.0.5", "keras_rl2-1.0.5-py3-none-any.whl", "296e758bf4660531f51927c4fae983538a7b8bfd9f92b1082433ed44baff9aef"),
    "keras-tuner": ("keras-tuner==1.4.8", "keras_tuner-1.4.8-py3-none-any.whl", "53034e71608051a17c7f764f282e1e54b52c4d69c05a30f1e8891c8e5ea7739f"),
    "keras-unet-collection": (
        "keras-unet-collection==0.1.13",
        "keras_unet_collection-0.1.13-py3-none-any.whl",
        "12ce8457c0eb99ca987633a58954ed62459bcf4c13f4450764df6462cdcc5186",
    ),
    "ktrain": ("ktrain==0.41.4", "ktrain-0.41.4.tar.gz", "170b77c58bcaf0b112fdf4cea1e52165b82d76a5031878bb7be170d468792cf5"),
    "spektral": ("spektral==1.3.1", "spektral-1.3.1-py3-none-any.whl", "12f50967d80a5fc7dd639c2a3e25a202d720934b837f61f6a6686f51ce731ba3"),
    "talos": ("talos==2.0.10", "talos-2.0.10-py3-none-any.whl", "1b2086f628e90044e895710d0861c052c2d94c2849494b47dbbfe93cbabc621a"),
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _unpack(archive: Path, target: Path) -> None:
    target.mkdir(parents=True)
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel:
            wheel.extractall(target)
        return
    with tarfile.open(archive) as sdist, tempfile.TemporaryDirectory() as scratch:
        sdist.extractall(scratch, filter="data")
        (top,) = Path(scratch).iterdir()  # an sdist holds one "<name>-<version>/" folder
        for item in top.iterdir():
            shutil.move(str(item), target / item.name)


def fetch(dest: Path) -> list[str]:
    """Download and unpack every package not yet in ``dest/heldout``; the names fetched."""
    corpus = dest / "heldout"
    corpus.mkdir(parents=True, exist_ok=True)
    fetched = []
    with tempfile.TemporaryDirectory() as downloads:
        for name, (requirement, filename, digest) in sorted(PACKAGES.items()):
            target = corpus / name
            if target.is_dir():
                continue
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", downloads, requirement]
            subprocess.run(command, check=True)
            archive = Path(downloads) / filename
            if not archive.is_file():
                raise SystemExit(f"pip did not download {filename} for {requirement}")
            if _sha256(archive) != digest:
                raise SystemExit(f"{filename}: SHA-256 {_sha256(archive)} is not the pinned {digest}")
            _unpack(archive, target)
            fetched.append(name)
    return fetched


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="directory to create heldout/ in (the scorer's --corpus-dir)")
    args = parser.parse_args()
    fetched = fetch(args.dest)
    print(f"{len(fetched)} packages fetched into {args.dest / 'heldout'} ({len(PACKAGES)} in the corpus)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
