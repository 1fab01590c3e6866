"""Files, folders and globs given by users → the files to read, without the files of other kinds.

:func:`expand_paths` lists the files; :func:`evidence_files` also judges each
one by its content (:mod:`apiprobe.load._sniff`): a file of another kind
found in a folder or by a glob is skipped and recorded (``file``, ``kind``,
``what``, ``reader``), and :func:`warn_skipped` says so once; a file of
another kind named explicitly is refused with a :class:`DataFormatError`
naming the reader to use (:func:`refusal` writes that message for every loader).
"""

from __future__ import annotations

import glob
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from apiprobe.errors import DataFormatError
from apiprobe.load._sniff import WEAK_KINDS, Sniffed, judge_file

__all__ = ["evidence_files", "expand_paths", "refusal", "skipped_list", "warn_skipped"]

#: How many skipped files a message lists by name.
_LISTED = 12


@dataclass(frozen=True)
class _Found:
    path: Path
    label: str  # the path relative to the folder it was found in, else as given
    explicit: bool  # named as a file, not found in a folder or by a glob


def _expand(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], what: str, suffixes: tuple[str, ...] | None
) -> list[_Found]:
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    out: dict[Path, _Found] = {}

    def add(found: _Found) -> None:
        if found.path not in out or (found.explicit and not out[found.path].explicit):
            out[found.path] = found

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
            for f in found:
                add(_Found(f, f.relative_to(p).as_posix(), explicit=False))
        elif p.exists():
            add(_Found(p, str(p), explicit=True))
        elif any(ch in str(item) for ch in "*?["):
            matches = sorted(Path(m) for m in glob.glob(str(item), recursive=True) if Path(m).is_file())
            if not matches:
                raise DataFormatError(f"{item}: no file matches this pattern")
            pattern = str(item)
            base = Path(os.path.dirname(pattern[: min(pattern.index(ch) for ch in "*?[" if ch in pattern)]) or ".")
            for m in matches:
                add(_Found(m, m.relative_to(base).as_posix() if m.is_relative_to(base) else str(m), explicit=False))
        else:
            raise DataFormatError(f"{item}: no such file or directory")
    return list(out.values())


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

    Parameters
    ----------
    paths : str, path-like or iterable of them
        Files, folders and glob patterns.
    what : str
        What the files should be (``"log"``), for the messages.
    suffixes : tuple of str, optional
        Keep only the files found in folders whose names end so.

    Returns
    -------
    list of pathlib.Path
        The files, in the order given (a folder's files sorted).

    Raises
    ------
    DataFormatError
        A path that does not exist, a glob that matches nothing, a folder with no ``what`` files.
    """
    return [f.path for f in _expand(paths, what, suffixes)]


def refusal(name: str, found: Sniffed, shape: str, kind: str, expected: str, *, unknown: bool = False) -> str | None:
    """The message refusing a file given to the reader of ``kind``, or None when the reader should try it.

    A file of another kind is refused, naming the reader to use; a private key
    always; with ``unknown``, binary data of no known kind too. A file whose kind
    is only told by elimination (a JSON payload) or that is visibly broken is
    left to the reader, whose own error says more.

    Parameters
    ----------
    name : str
        The file, for the message.
    found, shape
        What :func:`~apiprobe.load._sniff.judge_file` or ``judge_bytes`` said.
    kind : str
        The kind the reader reads (a key of :data:`~apiprobe.load._sniff.EVIDENCE_KINDS`).
    expected : str
        The kind in words, for the message (``"a log file"``).
    unknown : bool, default False
        Refuse binary data of no known kind as well.

    Returns
    -------
    str or None
        ``"<name>: this is <what>, not <expected>: read it with <reader>"``, or None.
    """
    if found.kind == kind:
        return None
    if found.kind is not None and found.kind not in WEAK_KINDS:
        return f"{name}: this is {found.what}, not {expected}: read it with {found.reader}"
    if found.kind is None and (shape == "secret" or (unknown and shape == "binary" and found.problem is None)):
        return f"{name}: this is {found.what}, not {expected}"
    return None


def _where(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> str:
    if not isinstance(paths, (str, os.PathLike, list, tuple)):
        return "the paths given"  # an iterator, already consumed
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    return ", ".join(str(p) for p in items[:3]) + (f" (+{len(items) - 3} more)" if len(items) > 3 else "")


def skipped_list(skipped: list[dict[str, str | None]]) -> str:
    """The skipped files in words: ``"cpu.pb.gz → a gzip-compressed pprof profile → read_pprof; …"``.

    Parameters
    ----------
    skipped : list of dict
        Records of :func:`evidence_files` (``file``, ``label``, ``kind``, ``what``, ``reader``).

    Returns
    -------
    str
        One entry per file (the first dozen, then how many more).
    """
    parts = [
        f"{s.get('label') or s['file']} → {s['what']} → {s['reader'] or 'no apiprobe reader'}"
        for s in skipped[:_LISTED]
    ]
    more = f"; and {len(skipped) - _LISTED} more" if len(skipped) > _LISTED else ""
    return "; ".join(parts) + more


def evidence_files(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    kind: str,
    what: str,
    try_shapes: frozenset[str] = frozenset(),
    try_suffixes: tuple[str, ...] | None = None,
    refuse_explicit: bool = True,
) -> tuple[list[Path], list[dict[str, str | None]]]:
    """The files of ``paths`` that the reader of ``kind`` should read, and those of other kinds it skips.

    Each file is judged by its content (:func:`apiprobe.load._sniff.judge_file`).
    Found in a folder or by a glob, a file is kept when it is of ``kind``, or
    of no known kind and of a shape in ``try_shapes`` (and, with
    ``try_suffixes``, named so); any other is skipped and recorded. Named
    explicitly, a file of another kind (or a private key, or binary data of no
    known kind) is refused.

    Parameters
    ----------
    paths : str, path-like or iterable of them
        Files, folders and glob patterns, as :func:`expand_paths` takes them.
    kind : str
        The evidence kind the reader reads (a key of :data:`apiprobe.load._sniff.EVIDENCE_KINDS`).
    what : str
        That kind in words, as the messages say it (``"log"``: "no log file among …").
    try_shapes : frozenset of str
        Shapes of files of no known kind to read anyway (``prose``, ``text``, ``empty``).
    try_suffixes : tuple of str, optional
        Only files of no known kind whose names end so are read anyway.
    refuse_explicit : bool, default True
        Refuse an explicitly named file of another kind (a private key is refused always).

    Returns
    -------
    (list of pathlib.Path, list of dict)
        The files to read, and one record per skipped file: ``file`` (its path),
        ``label`` (the path within the folder), ``kind``, ``what`` and ``reader``.

    Raises
    ------
    DataFormatError
        A path that does not exist, a glob that matches nothing, an empty folder,
        an explicit file of another kind (naming the reader to use), or files
        that are all of other kinds (listing them).
    """
    keep: list[Path] = []
    skipped: list[dict[str, str | None]] = []
    for found in _expand(paths, what, None):
        sniffed, shape = judge_file(found.path)
        if found.explicit:
            message = refusal(str(found.path), sniffed, shape, kind, f"a {what} file", unknown=True)
            if message is not None and (refuse_explicit or shape == "secret"):
                raise DataFormatError(message)
            keep.append(found.path)
        elif sniffed.kind == kind or (
            sniffed.kind is None
            and shape in try_shapes
            and (try_suffixes is None or found.path.name.lower().endswith(try_suffixes))
        ):
            keep.append(found.path)
        else:
            skipped.append(
                {
                    "file": str(found.path),
                    "label": found.label,
                    "kind": sniffed.kind,
                    "what": sniffed.what,
                    "reader": sniffed.reader,
                }
            )
    if not keep:
        raise DataFormatError(f"{_where(paths)}: no {what} file among {len(skipped)}: {skipped_list(skipped)}")
    return keep, skipped


def warn_skipped(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    skipped: list[dict[str, str | None]],
    what: str,
    *,
    stacklevel: int = 3,
) -> list[dict[str, str | None]]:
    """One warning naming the skipped files and their readers; the records for ``df.attrs["skipped"]``.

    Parameters
    ----------
    paths : str, path-like or iterable of them
        What the user asked to read, for the message.
    skipped : list of dict
        The records of :func:`evidence_files`.
    what : str
        The kind read, in words (``"log"``).
    stacklevel : int, default 3
        As :func:`warnings.warn` takes it, counted from this function.

    Returns
    -------
    list of dict
        The records with ``file``, ``kind``, ``what`` and ``reader`` (the label dropped).
    """
    if skipped:
        warnings.warn(
            f"{_where(paths)}: skipped {len(skipped)} file(s) that are not {what} files (df.attrs['skipped']): "
            + skipped_list(skipped),
            stacklevel=stacklevel,
        )
    return [{k: s[k] for k in ("file", "kind", "what", "reader")} for s in skipped]
