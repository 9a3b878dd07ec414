"""The production model file, ``model.npz``: numbers and text only, so that loading it runs no code.

A pickle (the article's ``feature.pkl`` and ``model.pkl``) rebuilds its objects by calling the
functions it names: whoever can replace it, and the model card's hash beside it, runs their code in
the service. This file is a zip of ``.npy`` arrays (numpy's ``savez``), read with
``allow_pickle=False``, whose format is a header in Python literals and raw bytes. Before any array is
read, each member's header is checked: numbers or text only. A member that holds Python objects (which
numpy would unpickle) is refused with the names its pickle would import, read from its opcodes by
:func:`pickle_imports`, never run. What the arrays mean is ``spamcheck.serving.npz_model``'s.
"""

from __future__ import annotations

import io
import json
import pickletools
import zipfile

import numpy as np

FORMAT = "spamcheck-linear-model/1"
SPEC = "spec"  # the member that holds the JSON description: format, vectorizers, threshold
_TRUSTED_KINDS = "biufU"  # bool, signed and unsigned integers, floats, unicode text


class ModelFileError(ValueError):
    """The file is not a model file this service reads, or holds something it does not load."""


class UntrustedContent(ModelFileError):
    """The file holds pickled Python objects: loading them would import and call ``imports``."""

    def __init__(self, message: str, imports: list[str]):
        super().__init__(message)
        self.imports = imports


_STRINGS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8"}


def pickle_imports(blob: bytes) -> list[str]:
    """The functions and classes a pickle would import when loaded (``module.name``), read from its
    opcodes with the standard library's ``pickletools``: nothing is imported or called.

    Protocols 0-3 name them with GLOBAL; 4 and later with STACK_GLOBAL, which takes the last two
    strings pushed, each perhaps fetched back from the pickle's memo (MEMOIZE / PUT, then GET)."""
    found, strings, memo, last = set(), [], {}, None
    try:
        for opcode, arg, _ in pickletools.genops(blob):
            name = opcode.name
            if name == "MEMOIZE":
                memo[len(memo)] = last
                continue
            if name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[arg] = last
                continue
            last = None
            if name in ("GET", "BINGET", "LONG_BINGET"):
                last = memo.get(arg)
                if isinstance(last, str):
                    strings.append(last)
            elif name in _STRINGS:
                last = arg if isinstance(arg, str) else arg.decode("latin-1")
                strings.append(last)
            elif name == "GLOBAL":
                found.add(arg.replace(" ", "."))
            elif name == "STACK_GLOBAL" and len(strings) >= 2:
                found.add(f"{strings[-2]}.{strings[-1]}")
    except Exception:  # a damaged or truncated pickle: name what was read before it ended
        found.add("(unreadable pickle)")
    return sorted(found)


def _read_member(source: str, archive: zipfile.ZipFile, member: str) -> np.ndarray:
    """One member's array, once its header says numbers or text: anything else is refused unread."""
    with archive.open(member) as stream:
        try:
            version = np.lib.format.read_magic(stream)
            read_header = (
                np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            )
            dtype = read_header(stream)[2]  # Python literals, parsed by ast.literal_eval: nothing runs
        except ValueError as exc:
            raise ModelFileError(f"{source}: {member} is not a numpy array ({exc})") from None
        if dtype.hasobject:
            imports = pickle_imports(stream.read())
            raise UntrustedContent(
                f"{source}: {member} holds pickled Python objects, which would import and run "
                f"{', '.join(imports) or 'code'} when loaded; this service loads numbers and text only. "
                "Export the model again with `make train`.",
                imports,
            )
        if dtype.kind not in _TRUSTED_KINDS:
            raise ModelFileError(f"{source}: {member} has dtype {dtype}; this service loads numbers and text only")
    with archive.open(member) as stream:
        return np.lib.format.read_array(stream, allow_pickle=False)


def parse(blob: bytes, source: str) -> tuple[dict, dict[str, np.ndarray]]:
    """The JSON description and the arrays by name of the model file ``blob`` (read from ``source``,
    which errors name); :class:`UntrustedContent` when it holds what only pickle loads, else
    :class:`ModelFileError` for any other problem."""
    stream = io.BytesIO(blob)
    if not zipfile.is_zipfile(stream):
        if blob[:1] == b"\x80":  # a pickle's PROTO opcode: refuse it by name, as a member would be
            imports = pickle_imports(blob)
            raise UntrustedContent(
                f"{source} is a pickle, which would import and run {', '.join(imports) or 'code'} when "
                "loaded; this service loads a model.npz of numbers and text only. Export the model "
                "again with `make train`.",
                imports,
            )
        raise ModelFileError(f"{source} is not a model.npz (not a zip archive): export it again with `make train`.")
    try:
        with zipfile.ZipFile(stream) as archive:
            arrays = {
                member.removesuffix(".npy"): _read_member(source, archive, member) for member in archive.namelist()
            }
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ModelFileError(f"{source} is damaged ({type(exc).__name__}: {exc}): export it again.") from None
    try:
        spec = json.loads(str(arrays.pop(SPEC)))
    except (KeyError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{source} has no readable {SPEC!r} description ({exc!r}): export it again.") from None
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        found = spec.get("format") if isinstance(spec, dict) else spec
        raise ModelFileError(f"{source} is in format {found!r}, not {FORMAT!r}: export it again.")
    return spec, arrays


def to_bytes(spec: dict, arrays: dict[str, np.ndarray]) -> bytes:
    """The file's bytes: the description (``parse``'s, or one without its format) and the arrays
    (numbers or text only), as ``np.savez_compressed`` lays them out, but with fixed timestamps, so
    that the same model always gives the same bytes (and the same sha256 and model version)."""
    described = {"format": FORMAT, **spec} | {"format": FORMAT}  # the format first, whatever spec says
    members = {SPEC: np.array(json.dumps(described)), **arrays}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in members.items():
            if array.dtype.hasobject or array.dtype.kind not in _TRUSTED_KINDS:
                raise ModelFileError(f"array {name!r} has dtype {array.dtype}: a model file holds numbers or text only")
            member = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(member, "w", force_zip64=True) as stream:
                np.lib.format.write_array(stream, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()
