"""Read resolv.conf: the resolver configuration glibc and Go's pure resolver use.

``read_resolv_conf`` opens a path (a missing file gives the resolv.conf(5)
defaults, as glibc does); ``parse_resolv_conf`` takes the text. The result,
:class:`ResolvConf`, feeds :func:`apiprobe.analyze.expand_name` and
:func:`apiprobe.analyze.detect_dns_faults`.
"""

from __future__ import annotations

import dataclasses
import socket
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from apiprobe.errors import DataFormatError

__all__ = ["ResolvConf", "parse_resolv_conf", "read_resolv_conf"]

# resolv.conf(5) limits (glibc silently caps larger values).
_MAX_NDOTS = 15
_MAX_TIMEOUT = 30
_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class ResolvConf:
    """The resolver configuration that glibc and Go read from ``/etc/resolv.conf``.

    Defaults are those of resolv.conf(5) for a missing file or keyword.

    Attributes
    ----------
    nameservers : tuple of str
        Server addresses in order (default: the local machine, ``127.0.0.1``).
        glibc and Go use only the first three.
    search : tuple of str
        Search domains, without trailing dots (``domain`` sets a one-entry list;
        the last ``search``/``domain`` line wins).
    ndots : int
        Names with fewer dots are tried with the search domains first (default 1, max 15).
    timeout : int
        Seconds to wait for one server before trying the next (default 5, max 30).
    attempts : int
        Rounds over the server list before giving up (default 2, max 5).
    rotate : bool
        Spread queries over the servers instead of always starting with the first.
    options : tuple of str
        Other ``options`` (``edns0``, ``single-request``, ``use-vc``, ``no-tld-query``, ...) verbatim.
    unparsed : tuple of str
        Lines that were not understood (kept, never silently dropped).
    source : str or None
        Path the configuration came from; None when parsed from text.
    """

    nameservers: tuple[str, ...] = ("127.0.0.1",)
    search: tuple[str, ...] = ()
    ndots: int = 1
    timeout: int = 5
    attempts: int = 2
    rotate: bool = False
    options: tuple[str, ...] = ()
    unparsed: tuple[str, ...] = ()
    source: str | None = None

    def worst_case_ms(self) -> float:
        """Longest a lookup can wait on servers that never answer: timeout × attempts × servers (≤ 3), ms."""
        return 1000.0 * self.timeout * self.attempts * max(1, min(3, len(self.nameservers)))


def _option_int(value: str, cap: int) -> int | None:
    try:
        n = int(value)
    except ValueError:
        return None
    return min(max(n, 0), cap) if n >= 0 else None


def parse_resolv_conf(text: str, *, source: str | None = None) -> ResolvConf:
    """Parse the text of a resolv.conf file.

    Understands ``nameserver``, ``search``, ``domain`` and ``options``
    (``ndots:n``, ``timeout:n``, ``attempts:n``, ``rotate``; others are kept in
    ``options``). Comment lines start with ``#`` or ``;``. Lines that cannot be
    understood are kept in ``unparsed``. A keyword that is absent keeps its
    resolv.conf(5) default; the search list then stays empty (glibc would
    derive it from the host name — :func:`read_resolv_conf` does that).

    Parameters
    ----------
    text : str
        The file's contents.
    source : str, optional
        Where the text came from, recorded in the result.

    Returns
    -------
    ResolvConf
        The configuration; absent keywords keep their defaults.
    """
    nameservers: list[str] = []
    search: list[str] | None = None
    ndots, timeout, attempts, rotate = 1, 5, 2, False
    options: list[str] = []
    unparsed: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        keyword, *values = line.split()
        if keyword == "nameserver" and values:
            nameservers.append(values[0])
        elif keyword == "search" and values:
            search = [v.rstrip(".") for v in values if v.rstrip(".")]
        elif keyword == "domain" and values:
            search = [values[0].rstrip(".")] if values[0].rstrip(".") else []
        elif keyword == "options" and values:
            for opt in values:
                key, _, value = opt.partition(":")
                parsed: int | None = None
                if key == "ndots" and (parsed := _option_int(value, _MAX_NDOTS)) is not None:
                    ndots = parsed
                elif key == "timeout" and (parsed := _option_int(value, _MAX_TIMEOUT)) is not None:
                    timeout = max(parsed, 1)
                elif key == "attempts" and (parsed := _option_int(value, _MAX_ATTEMPTS)) is not None:
                    attempts = max(parsed, 1)
                elif key == "rotate" and not value:
                    rotate = True
                elif key in ("ndots", "timeout", "attempts"):
                    unparsed.append(f"options {opt}")
                else:
                    options.append(opt)
        elif keyword in ("sortlist", "lookup", "family"):
            options.append(line)  # understood by some resolvers, irrelevant to name expansion
        else:
            unparsed.append(line)
    return ResolvConf(
        nameservers=tuple(nameservers) or ResolvConf.nameservers,
        search=tuple(search or ()),
        ndots=ndots,
        timeout=timeout,
        attempts=attempts,
        rotate=rotate,
        options=tuple(options),
        unparsed=tuple(unparsed),
        source=source,
    )


def _local_domain() -> tuple[str, ...]:
    """glibc's default search list: the host name minus its first label (none without a dot)."""
    host = socket.gethostname()
    _, dot, domain = host.partition(".")
    return (domain.rstrip("."),) if dot and domain.rstrip(".") else ()


def read_resolv_conf(path: str | PathLike[str] = "/etc/resolv.conf") -> ResolvConf:
    """Read a resolv.conf file (see :func:`parse_resolv_conf`).

    A missing file gives the resolv.conf(5) defaults (nameserver 127.0.0.1,
    ndots 1, timeout 5 s, attempts 2). As glibc does, a file without
    ``search`` or ``domain`` gets the local domain from the host name.

    Parameters
    ----------
    path : str or path-like, default "/etc/resolv.conf"
        The file to read.

    Returns
    -------
    ResolvConf
        The configuration, with ``source`` set to ``path``.

    Raises
    ------
    DataFormatError
        When the file exists but cannot be read as text (permissions, a
        directory, not UTF-8).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ResolvConf(search=_local_domain(), source=str(p))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"{p}: cannot read resolv.conf: {exc}") from exc
    conf = parse_resolv_conf(text, source=str(p))
    has_search = any(line.split()[:1] in (["search"], ["domain"]) for line in text.splitlines())
    if not has_search:
        conf = dataclasses.replace(conf, search=_local_domain())
    return conf
