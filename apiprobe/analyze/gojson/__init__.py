"""Go ``encoding/json`` rules for *your* structs and *your* payloads (handbook §2.3).

The handbook claims that a struct tag ``json:""`` hides a field. It does not:
Go falls back to the field name, matched case-insensitively. This module
knows the real rules of Go 1.19's encoding/json, ported from its source and
checked against a Go toolchain (``tests/analyze/test_gojson.py``):

* :func:`parse_go_structs` reads struct types from Go source;
* :func:`simulate_unmarshal` predicts what ``json.Unmarshal(payload, &v)``
  leaves in ``v``, the error it returns, and the fate of every payload key;
* :func:`simulate_marshal` predicts the bytes ``json.Marshal(v)`` emits;
* :func:`audit_struct_tags` lists struct-tag traps with the fix;
* :func:`audit_payloads` aggregates key fates over many real payloads.

Rules simulated (Go 1.19): syntax check of the whole payload before decoding
(Go's scanner messages), exact then case-insensitive key matching (ASCII,
Kelvin sign and long s exact; other Unicode approximated), duplicate keys
(last wins; objects decode into the existing value, so nested structs, maps
and pointers merge while slices reuse their backing array), ``-`` and ``-,``,
malformed/misspelled tags ignored, literal tag names, unexported fields
ignored, ``,string``, type mismatches and overflow keeping the zero value and
returning the first error (``,string`` misuse on a non-number aborts at once),
``null`` (no-op for values, nil for pointers/maps/slices/interfaces), embedded
promotion with Go's dominance rules, pointer allocation (embedded pointers
are allocated as soon as one of their keys appears), maps (string and integer
keys), arrays, ``interface{}`` (float64 numbers), ``[]byte`` (base64),
``json.RawMessage`` and ``json.Number``, every predeclared type (``error`` and
other non-empty interfaces refuse values, ``complex64``/``complex128`` are
unsupported as in Go) and generic types instantiated in fields
(``Items Page[int]``, named ``Page[int]`` in errors as reflect does).

Wording follows Go 1.19's encoding/json; newer Go names the whole path in type
errors and changed a few messages (the differences are recorded side by side
in ``tests/analyze/gojson_cases.py``, ``CHANGED_SINCE_1_19``).

Not simulated: custom ``UnmarshalJSON``/``UnmarshalText`` methods (declared,
on generic receivers such as ``*Option[T]``, or promoted from an embedded field
as embedding ``time.Time`` does; two at one depth cancel) and types from other
packages (``time.Time``, an embedded ``metav1.TypeMeta`` whose promoted keys are
unknown): their keys are reported with outcome ``not_simulated`` and their
values are ``pandas.NA`` (custom ``MarshalJSON`` stops :func:`simulate_marshal`);
base64 error offsets for some malformed
inputs; non-ASCII case folding beyond Python's lower/upper; JSON nested past
about a thousand levels (a clear error; Go decodes up to 10,000).

Layout (private modules, one responsibility each):

* ``_gotokens`` / ``_gosource``: Go source → :class:`GoStruct` / :class:`GoField` / :class:`GoType`;
* ``_fields``: struct tags, encoding/json's ``typeFields`` and key folding;
* ``_scanner``: Go's JSON syntax check, the tree parser and string unquoting;
* ``_values``: the Python model of Go values;
* ``_decoder`` / ``_decode``: the decoder and :func:`simulate_unmarshal`;
* ``_encode``: :func:`simulate_marshal`;
* ``_audit``: :func:`audit_struct_tags` and :func:`audit_payloads`.
"""

from apiprobe.analyze.gojson._audit import audit_payloads, audit_struct_tags
from apiprobe.analyze.gojson._decode import KEY_OUTCOMES as KEY_OUTCOMES  # importable as before, not in __all__
from apiprobe.analyze.gojson._decode import UnmarshalResult, simulate_unmarshal
from apiprobe.analyze.gojson._encode import simulate_marshal
from apiprobe.analyze.gojson._gosource import GoField, GoStruct, GoType, parse_go_structs
from apiprobe.analyze.gojson._guess import guess_request_struct

__all__ = [
    "GoField",
    "GoStruct",
    "GoType",
    "UnmarshalResult",
    "audit_payloads",
    "audit_struct_tags",
    "guess_request_struct",
    "parse_go_structs",
    "simulate_marshal",
    "simulate_unmarshal",
]
