"""The pack registry: every pack by id, built in or in a site folder, whatever its file name.

Built-in packs ship in ``cobalamin/data/packs``; a site (a laboratory, a hospital) adds its own
in folders given with ``--pack-path`` or ``COBALAMIN_PACK_PATH``. A pack is found by the ``id``
inside the file, so a copied file may have any name. A site pack can extend a built-in or
another site pack; it can never take a built-in pack's id.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cobalamin.datafiles import YamlDocument
from cobalamin.errors import InputError, KnowledgeError, PackError
from cobalamin.knowledge.loader import RuleCatalogues, RuleFileReader, merge_override, parse_pack
from cobalamin.knowledge.model import Pack
from cobalamin.knowledge.sources import fast_yaml_document

__all__ = ["PackRegistry"]

_SUFFIXES = (".yaml", ".yml")


class PackRegistry:
    """Finds, loads and caches packs by id (or by the path of a pack file)."""

    def __init__(
        self, builtin: Path, site_folders: Sequence[Path], catalogues: RuleCatalogues
    ) -> None:
        self.builtin_folder = builtin
        self.site_folders = tuple(Path(p) for p in site_folders)
        self.catalogues = catalogues
        self._index: dict[str, Path] | None = None
        self._builtin_ids: list[str] = []
        self._documents: dict[Path, YamlDocument] = {}
        self._packs: dict[str, Pack] = {}

    def _document(self, path: Path) -> YamlDocument:
        found = self._documents.get(path)
        if found is None:
            found = self._documents[path] = fast_yaml_document(path)
        return found

    def _scan(self) -> dict[str, Path]:
        if self._index is not None:
            return self._index
        index: dict[str, Path] = {}
        for path in sorted(self.builtin_folder.glob("*.yaml")):
            index[self._id_of(path)] = path
        self._builtin_ids = sorted(index)
        for folder in self.site_folders:
            if not folder.is_dir():
                raise InputError("pack-path", f"{folder} is not a folder")
            for path in sorted(p for p in folder.iterdir() if p.suffix in _SUFFIXES):
                pack_id = self._id_of(path)
                if pack_id in index:
                    other = index[pack_id]
                    what = "a built-in pack" if pack_id in self._builtin_ids else str(other)
                    raise KnowledgeError(
                        f"{path}: id", f"{pack_id!r} is already the id of {what}; give it its own"
                    )
                index[pack_id] = path
        self._index = index
        return index

    def rescan(self) -> None:
        """Read the site folders again (a site pack was added or replaced); the built-in
        packs stay loaded."""
        builtin = self.builtin_folder
        self._index = None
        self._documents = {p: d for p, d in self._documents.items() if p.parent == builtin}
        self._packs = {k: v for k, v in self._packs.items() if Path(k).parent == builtin}

    def _id_of(self, path: Path) -> str:
        data = self._document(path).data
        pack_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(pack_id, str) or not pack_id:
            raise KnowledgeError(f"{path}: id", "a pack file needs an id")
        return pack_id

    def ids(self) -> list[str]:
        """Every pack id: the built-in ones first, then site packs, each sorted."""
        index = self._scan()
        site = sorted(i for i in index if i not in self._builtin_ids)
        return [*self._builtin_ids, *site]

    def builtin_ids(self) -> list[str]:
        self._scan()
        return list(self._builtin_ids)

    def is_builtin(self, pack_id: str) -> bool:
        self._scan()
        return pack_id in self._builtin_ids

    def path_of(self, pack_id: str) -> Path:
        path = self._scan().get(pack_id)
        if path is None:
            raise InputError(
                "pack",
                f"unknown pack {pack_id!r}",
                ", ".join(self.ids()) + ", or a path to a .yaml pack",
            )
        return path

    def load(self, ref: str) -> Pack:
        """A pack by id, or by the path of a pack file."""
        candidate = Path(ref)
        if candidate.suffix in _SUFFIXES and candidate.is_file():
            return self._load_path(candidate.resolve())
        return self._load_path(self.path_of(ref))

    def _load_path(self, path: Path) -> Pack:
        key = str(path)
        if key not in self._packs:
            self._packs[key] = self._parse(path)
        return self._packs[key]

    def _parse(self, path: Path) -> Pack:
        document = self._document(path)
        chain = [str(path)]

        def resolve(parent_id: str) -> tuple[dict[str, Any], YamlDocument | None]:
            parent_path = self.path_of(parent_id)
            if str(parent_path) in chain:
                raise PackError(str(path), f"extends: cycle through {parent_id!r}")
            chain.append(str(parent_path))
            parent = self._document(parent_path)
            raw = dict(parent.data)
            if raw.get("extends"):
                grand, _ = resolve(str(raw["extends"]))
                reader = RuleFileReader(str(parent_path), self.catalogues, parent)
                raw = merge_override(reader, grand, raw)
            return raw, parent

        return parse_pack(document.data, str(path), self.catalogues, resolve, document)
