"""Files, folders and globs given by users → the files to read."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

from apiprobe.errors import DataFormatError

__all__ = ["expand_paths"]


def expand_paths(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    what: str,
    suffixes: tuple[str, ...] | None = None,
) -> list[Path]:
    """The files named by ``paths``: files as given, folders read recursively, globs expanded.

    Hidden files are skipped in folders; ``suffixes`` (lower-case, e.g.
    ``(".json", ".gz")``) filters the files found in folders. A file appears
    once even when named twice.

    Raises
    ------
    DataFormatError
        A path that does not exist, a glob that matches nothing, a folder with no ``what`` files.
    """
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    out: dict[Path, None] = {}
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(
                f
                for f in p.rglob("*")
                if f.is_file()
                and not f.name.startswith(".")
                and (suffixes is None or f.name.lower().endswith(suffixes))
            )
            if not found:
                kinds = f" ({', '.join('*' + s for s in suffixes)})" if suffixes else ""
                raise DataFormatError(f"{p}: directory holds no {what} files{kinds}")
            out.update(dict.fromkeys(found))
        elif p.exists():
            out[p] = None
        elif any(ch in str(item) for ch in "*?["):
            matches = sorted(Path(m) for m in glob.glob(str(item), recursive=True) if Path(m).is_file())
            if not matches:
                raise DataFormatError(f"{item}: no file matches this pattern")
            out.update(dict.fromkeys(matches))
        else:
            raise DataFormatError(f"{item}: no such file or directory")
    return list(out)
