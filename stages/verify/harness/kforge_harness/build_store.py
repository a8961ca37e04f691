"""The build store: content-addressed extension builds, written by build workers, read by GPU workers.

Layout under the store's root (a folder any number of hosts can read; see PROTOCOL.md for an object store):
  <key>/entry.json        what was built: name, toolchain, the files' sizes and sha256, build seconds
  <key>/<name>/           torch's build folder of one load_inline call (<name>.so and its sources)
  evidence/<digest>.json  one candidate's build evidence (compile log, flags, seconds), by source + toolchain
  .tmp/                   builds in progress: a killed build leaves its folder here, never under <key>
  .locks/<key>.lock       flock: builders of one key on one host wait for each other instead of both compiling

A key is the sha256 of what load_inline compiles (its arguments, `building.inline_build_key`) and the
toolchain it compiles with (`toolchain_id`). An entry appears by one rename of a finished folder, so a
reader sees all of it or nothing; `lookup` also checks every file against entry.json, so an entry copied
in part (an interrupted sync from an object store) is not used either.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

ENTRY = "entry.json"


class BuildStoreError(Exception):
    """The build store cannot be used (not writable, not a folder)."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


class BuildStore:
    def __init__(self, root: Path):
        self.root = root

    def key(self, call_key: str, toolchain: dict[str, Any]) -> str:
        return digest({"call": call_key, "toolchain": toolchain})

    def lookup(self, key: str, name: str) -> Path | None:
        """The build folder of a complete entry, or None (absent, torn, or for another extension name)."""
        entry = self.root / key
        try:
            meta = json.loads((entry / ENTRY).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("name") != name or not isinstance(meta.get("files"), dict) or not meta["files"]:
            return None
        for rel, want in meta["files"].items():
            path = entry / rel
            try:
                if path.stat().st_size != want["size"] or _sha256(path) != want["sha256"]:
                    return None
            except (OSError, KeyError, TypeError):
                return None
        return entry / name

    def meta(self, key: str) -> dict[str, Any]:
        try:
            return json.loads((self.root / key / ENTRY).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    @contextmanager
    def building(self, key: str) -> Iterator[Path]:
        """A fresh folder to build `key` in, under .tmp/ (removed afterwards unless published), held with
        the key's flock so that a second builder on this host waits and then finds the entry."""
        for sub in (".tmp", ".locks"):
            try:
                (self.root / sub).mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise BuildStoreError(f"build store {self.root} is not writable ({e}); give --build-store a "
                                      "folder this user can write") from e
        fd = os.open(self.root / ".locks" / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        tmp = self.root / ".tmp" / f"{key}-{uuid.uuid4().hex[:12]}"
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            tmp.mkdir()
            yield tmp
        finally:
            os.close(fd)
            shutil.rmtree(tmp, ignore_errors=True)

    def publish(self, key: str, tmp: Path, name: str, meta: dict[str, Any]) -> bool:
        """Write entry.json into the finished build folder and rename it into place. False when an
        entry for `key` is there already (another builder's, complete: same inputs, same output)."""
        files = {}
        for path in sorted((tmp / name).rglob("*")):
            if path.is_file() and path.name != "lock":
                files[str(path.relative_to(tmp))] = {"size": path.stat().st_size, "sha256": _sha256(path)}
        (tmp / ENTRY).write_text(json.dumps({**meta, "key": key, "name": name, "files": files}, indent=1),
                                 encoding="utf-8")
        try:
            os.rename(tmp, self.root / key)
            return True
        except OSError:  # ENOTEMPTY/EEXIST: the key is published already
            return False

    def evidence_path(self, kernel_source: str, toolchain: dict[str, Any]) -> Path:
        return self.root / "evidence" / f"{digest({'source': kernel_source, 'toolchain': toolchain})}.json"

    def write_evidence(self, path: Path, evidence: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        tmp.write_text(json.dumps(evidence), encoding="utf-8")
        os.replace(tmp, path)

    @staticmethod
    def read_evidence(path: Path) -> dict[str, Any] | None:
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None
