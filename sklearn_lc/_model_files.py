"""The file-level pieces of :mod:`sklearn_lc.model_io`: JSON, safetensors, skops.

Nothing here unpickles. Every reader takes its file as untrusted: a malformed
or hostile file gives a ``ValueError`` that names it.

- :func:`to_json` / :func:`from_json`: the one JSON cleaner. Values that JSON
  cannot hold exactly raise (nothing is dropped); tuples and NumPy arrays are
  tagged so that they come back as they went in.
- :func:`read_safetensors_header`: parses and checks a ``.safetensors`` header
  (tensor names, dtypes, shapes, offsets, metadata) without reading tensors.
- :func:`build_checked_modules`: rebuilds torch modules from JSON
  specifications, first on the ``meta`` device (nothing allocated) to compare
  every tensor shape with the file's header, then for real, then loads the
  tensors.
- :func:`load_skops_checked`: opens a ``.skops`` file only after an audit of its
  schema (plain scikit-learn / NumPy / builtin types, no functions).
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "build_checked_modules",
    "from_json",
    "load_skops_checked",
    "read_safetensors_header",
    "to_json",
]

#: Largest safetensors header (JSON) and model.json read, in bytes.
MAX_HEADER_BYTES = 64 * 2**20
#: safetensors dtype name -> bytes per element
_DTYPE_SIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2,
               "I8": 1, "U8": 1, "BOOL": 1}
_ARRAY_KINDS = "biufUO"
_ATTR_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*_$")


# ------------------------------------------------------------------------------ JSON

def to_json(value: Any, what: str) -> Any:
    """Return a JSON-ready copy of ``value``; raise ``ValueError`` naming ``what`` if impossible.

    ``None``, booleans, numbers (NumPy scalars included; NaN and infinities
    are kept), strings, lists and string-keyed mappings pass; a tuple becomes
    ``{"__tuple__": [...]}`` and an ndarray of booleans, numbers or strings
    ``{"__ndarray__": {"dtype", "shape", "data"}}``. Anything else (objects,
    functions, classes, non-string keys) raises: nothing is silently dropped.

    Parameters
    ----------
    value : object
        What to store.
    what : str
        Its name, for the error message.

    Returns
    -------
    json_value : object
        Made only of dicts, lists, str, int, float, bool and None.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ARRAY_KINDS:
            raise ValueError(f"{what}: an array of dtype {value.dtype} cannot be stored as JSON")
        flat = value.ravel().tolist()
        if value.dtype.kind == "O":
            for v in flat:
                if not (v is None or isinstance(v, (bool, int, float, str, np.generic))):
                    raise ValueError(f"{what}: an object array holding a {type(v).__name__} "
                                     "cannot be stored as JSON")
        return {"__ndarray__": {"dtype": value.dtype.str, "shape": list(value.shape),
                                "data": [to_json(v, what) for v in flat]}}
    if isinstance(value, tuple):
        return {"__tuple__": [to_json(v, f"{what}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [to_json(v, f"{what}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{what}: mapping key {k!r} is not a string; it cannot be "
                                 "stored as JSON")
            if k in ("__tuple__", "__ndarray__"):
                raise ValueError(f"{what}: key {k!r} is reserved")
            out[k] = to_json(v, f"{what}[{k!r}]")
        return out
    raise ValueError(f"{what}: a {type(value).__name__} cannot be stored as JSON (only "
                     "numbers, strings, booleans, None, lists, tuples, dicts and arrays)")


def from_json(value: Any, what: str) -> Any:
    """Undo :func:`to_json` (tuples and arrays come back); raise ``ValueError`` on bad tags."""
    if isinstance(value, list):
        return [from_json(v, what) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        items = value["__tuple__"]
        if len(value) != 1 or not isinstance(items, list):
            raise ValueError(f"{what}: malformed tuple")
        return tuple(from_json(v, what) for v in items)
    if "__ndarray__" in value:
        spec = value["__ndarray__"]
        if len(value) != 1 or not isinstance(spec, dict):
            raise ValueError(f"{what}: malformed array")
        try:
            dtype = np.dtype(str(spec["dtype"]))
            shape = tuple(int(s) for s in spec["shape"])
            data = spec["data"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{what}: malformed array ({exc})") from exc
        if dtype.kind not in _ARRAY_KINDS or not isinstance(data, list):
            raise ValueError(f"{what}: malformed array (dtype {dtype})")
        if any(s < 0 for s in shape) or math.prod(shape) != len(data):
            raise ValueError(f"{what}: array shape {shape} does not match its {len(data)} values")
        if any(isinstance(v, (list, dict)) for v in data):
            raise ValueError(f"{what}: malformed array (nested values)")
        try:
            arr = np.empty(len(data), dtype=dtype)
            arr[:] = data
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"{what}: array values do not fit dtype {dtype} ({exc})") from exc
        return arr.reshape(shape)
    return {k: from_json(v, f"{what}[{k!r}]") for k, v in value.items()}


def check_attr_name(name: Any, cls: type, where: str) -> str:
    """Return ``name`` if it can be a fitted attribute of ``cls`` (``x_``, not a class member)."""
    if not isinstance(name, str) or not _ATTR_NAME.match(name) or hasattr(cls, name):
        raise ValueError(f"{where}: {name!r} is not a fitted attribute of {cls.__name__}")
    return name


# ----------------------------------------------------------------------- safetensors

def read_safetensors_header(file: Path) -> tuple[dict[str, tuple[str, tuple]], dict]:
    """Parse and check the header of a ``.safetensors`` file, without reading the tensors.

    Parameters
    ----------
    file : Path
        The file.

    Returns
    -------
    tensors : dict
        Tensor name to ``(dtype, shape)``.
    metadata : dict of str to str
        The ``__metadata__`` entry (empty when absent).

    Raises
    ------
    ValueError
        Naming the file: truncated, a header that is not JSON, offsets that
        do not tile the data exactly, unknown dtypes...
    """
    def bad(reason: str) -> ValueError:
        return ValueError(f"{file}: not a valid safetensors file ({reason})")

    try:
        size = file.stat().st_size
        with open(file, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise bad("truncated")
            n = int.from_bytes(head, "little")
            if n < 2 or n > size - 8 or n > MAX_HEADER_BYTES:
                raise bad(f"header length {n} does not fit a {size}-byte file")
            raw = f.read(n)
    except OSError as exc:
        raise ValueError(f"{file}: cannot be read ({exc})") from exc
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad(f"header is not JSON: {exc}") from exc
    if not isinstance(header, dict):
        raise bad("header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise bad("__metadata__ is not a mapping of strings")
    tensors: dict[str, tuple[str, tuple]] = {}
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict):
            raise bad(f"entry {name!r} is not an object")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in _DTYPE_SIZE:
            raise bad(f"tensor {name!r} has unsupported dtype {dtype!r}")
        if (not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool)
                                                    and s >= 0 for s in shape)):
            raise bad(f"tensor {name!r} has a bad shape {shape!r}")
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1]):
            raise bad(f"tensor {name!r} has bad offsets {offsets!r}")
        if offsets[1] - offsets[0] != math.prod(shape) * _DTYPE_SIZE[dtype]:
            raise bad(f"tensor {name!r}: {offsets[1] - offsets[0]} bytes for shape {shape}")
        tensors[name] = (dtype, tuple(shape))
        spans.append((offsets[0], offsets[1]))
    end = 0
    for a, b in sorted(spans):
        if a != end:
            raise bad("tensor data overlaps or leaves gaps")
        end = b
    if end != size - 8 - n:
        raise bad(f"data is {size - 8 - n} bytes, the header describes {end}")
    return tensors, metadata


def _torch_dtype_name(dtype: Any) -> str:
    import torch

    names = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16",
             torch.bfloat16: "BF16", torch.int64: "I64", torch.int32: "I32", torch.int16: "I16",
             torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}
    return names.get(dtype, str(dtype))


def write_safetensors(file: Path, tensors: dict, metadata: dict[str, str]) -> None:
    """Write CPU copies of ``tensors`` with string ``metadata``."""
    from safetensors.torch import save_file

    save_file({k: v.detach().cpu().clone().contiguous() for k, v in tensors.items()},
              str(file), metadata=metadata)


@cache
def module_classes() -> dict[str, type]:
    """Return the torch module classes a saved network may name (those of :mod:`sklearn_lc.nn`)."""
    import inspect

    import torch

    from . import nn

    out = {}
    for name in nn.__all__:
        obj = getattr(nn, name, None)
        if inspect.isclass(obj) and issubclass(obj, torch.nn.Module):
            out[name] = obj
    from .transfer._masking import ReconstructionHead

    out["ReconstructionHead"] = ReconstructionHead
    return out


def _key(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _ints(value: Any):
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _ints(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _ints(v)


def build_checked_modules(file: Path, specs: Any, header: dict[str, tuple[str, tuple]]) -> dict:
    """Rebuild the modules described by ``specs`` and load their tensors from ``file``.

    ``specs`` maps a prefix to ``{"class": NAME, "kwargs": {...}}``; the
    tensors of a module are the file's tensors named ``PREFIX.<state_dict key>``
    (the prefix ``""``, for files of earlier releases: the bare keys).
    Before anything is allocated: every integer argument must be at most the
    number of values in the file, and the module built on the ``meta`` device
    must have exactly the file's tensor names, shapes and dtypes. Only then is
    the module built on CPU (in a forked RNG) and loaded.

    Parameters
    ----------
    file : Path
        The ``.safetensors`` file.
    specs : dict
        Module specifications (decoded JSON).
    header : dict
        :func:`read_safetensors_header` of ``file``.

    Returns
    -------
    modules : dict
        Prefix to the loaded module (CPU, eval mode).
    """
    import torch

    if not isinstance(specs, dict) or not specs:
        raise ValueError(f"{file}: no module specifications")
    if "" in specs and len(specs) > 1:
        raise ValueError(f"{file}: an unprefixed module must be the only one")
    classes = module_classes()
    n_values = sum(math.prod(shape) for _, shape in header.values())
    claimed: set[str] = set()
    plans = {}
    for prefix, spec in specs.items():
        if not isinstance(spec, dict) or set(spec) != {"class", "kwargs"}:
            raise ValueError(f"{file}: module {prefix!r} needs exactly 'class' and 'kwargs'")
        cls = classes.get(spec["class"]) if isinstance(spec["class"], str) else None
        kwargs = spec["kwargs"]
        if cls is None:
            raise ValueError(f"{file}: module {prefix!r} has class {spec['class']!r}, which is "
                             f"not a network of sklearn_lc.nn")
        if not isinstance(kwargs, dict):
            raise ValueError(f"{file}: module {prefix!r} kwargs must be a mapping")
        big = [v for v in _ints(kwargs) if abs(v) > max(n_values, 1)]
        if big:
            raise ValueError(f"{file}: module {prefix!r} argument {big[0]} is larger than the "
                             f"{n_values} values the file holds (configuration and weights "
                             "do not match)")
        try:
            with torch.device("meta"):
                meta = cls(**kwargs)
        except Exception as exc:  # noqa: BLE001 - any failure of an untrusted configuration
            raise ValueError(f"{file}: module {prefix!r} cannot be built from its "
                             f"configuration ({type(exc).__name__}: {exc})") from exc
        expected = {_key(prefix, k): (_torch_dtype_name(v.dtype), tuple(v.shape))
                    for k, v in meta.state_dict().items()}
        mine = {k for k in header if not prefix or k.startswith(prefix + ".")}
        if set(expected) != mine:
            missing = sorted(set(expected) - mine)[:3]
            extra = sorted(mine - set(expected))[:3]
            raise ValueError(f"{file}: tensors do not match the configuration of module "
                             f"{prefix!r} (missing {missing}, unexpected {extra})")
        for k, (dtype, shape) in expected.items():
            if header[k] != (dtype, shape):
                raise ValueError(f"{file}: tensor {k!r} is {header[k][0]} {list(header[k][1])}, "
                                 f"the configuration gives {dtype} {list(shape)}")
        total = sum(t.numel() for t in meta.parameters()) + sum(t.numel() for t in meta.buffers())
        if total > 2 * n_values + 10**6:
            raise ValueError(f"{file}: module {prefix!r} would hold {total} values, far more "
                             f"than the {n_values} in the file")
        claimed |= mine
        plans[prefix] = (cls, kwargs)
    if claimed != set(header):
        raise ValueError(f"{file}: tensors {sorted(set(header) - claimed)[:3]} belong to no "
                         "module")
    from safetensors.torch import load_file

    try:
        tensors = load_file(str(file), device="cpu")
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types
        raise ValueError(f"{file}: the tensors cannot be read ({exc})") from exc
    out = {}
    for prefix, (cls, kwargs) in plans.items():
        with torch.random.fork_rng(devices=[]):  # loading must not consume the caller's RNG
            module = cls(**kwargs)
        n = len(prefix) + 1 if prefix else 0
        state = {k[n:]: v for k, v in tensors.items() if not prefix or k.startswith(prefix + ".")}
        try:
            module.load_state_dict(state, strict=True)
        except Exception as exc:  # noqa: BLE001
            raise ValueError(f"{file}: tensors of module {prefix!r} do not load ({exc})") from exc
        out[prefix] = module.eval()
    return out


# ---------------------------------------------------------------------------- skops

#: skops node loaders of plain data and scikit-learn objects; functions, methods,
#: ``__reduce__`` constructors, operator functions and the like are refused.
_SKOPS_LOADERS = frozenset({
    "ObjectNode", "DictNode", "ListNode", "TupleNode", "JsonNode", "NdArrayNode",
    "DTypeNode", "TypeNode", "TreeNode", "LossNode", "RandomGeneratorNode",
    "RandomStateNode", "SliceNode", "SetNode",
})
#: types beyond skops's defaults that hold only arrays.
_SKOPS_EXTRA_TRUSTED = frozenset({
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "numpy.dtype",
})
_BUILTIN_TYPES = frozenset({"dict", "list", "tuple", "str", "int", "float", "bool",
                            "NoneType", "set", "frozenset", "slice", "complex"})


def _audit_schema(node: Any, file: Path, top: tuple[str, str] | None, ours: bool) -> None:
    """Walk a skops schema: only plain loaders and sklearn / numpy / builtin types."""
    stack = [(node, True)]
    while stack:
        n, is_top = stack.pop()
        if isinstance(n, list):
            stack.extend((v, False) for v in n)
            continue
        if not isinstance(n, dict):
            continue
        if "__loader__" in n:
            loader, module, cls = n.get("__loader__"), n.get("__module__"), n.get("__class__")
            if loader not in _SKOPS_LOADERS:
                raise ValueError(f"{file}: refusing skops node {loader!r} ({module}.{cls})")
            if not isinstance(module, str) or not isinstance(cls, str):
                raise ValueError(f"{file}: malformed skops schema")
            if is_top and ours:
                # the class may have moved since the file was written: name only
                if top is not None and cls != top[1]:
                    raise ValueError(f"{file}: holds a {cls}, expected {top[1]}")
            elif module == "builtins":
                if cls not in _BUILTIN_TYPES:
                    raise ValueError(f"{file}: refusing builtin {cls!r}")
            elif not (module == "numpy" or module.startswith(("numpy.", "sklearn."))):
                raise ValueError(f"{file}: refusing type {module}.{cls} (only scikit-learn, "
                                 "NumPy and builtin types are loaded from .skops files)")
            if is_top and top is not None and not ours and (module, cls) != top:
                raise ValueError(f"{file}: holds a {module}.{cls}, expected {top[0]}.{top[1]}")
        stack.extend((v, False) for v in n.values() if isinstance(v, (dict, list)))


def load_skops_checked(file: Path, cls: type, ours: bool = False) -> Any:
    """Load a ``.skops`` file that must hold a ``cls``, after auditing its schema.

    Parameters
    ----------
    file : Path
        The file.
    cls : type
        The expected class: a scikit-learn estimator, or (``ours=True``, for
        files of format version 1) a pure scikit-learn transformer of
        sklearn_lc whose state is plain data and whose ``__setstate__`` is
        scikit-learn's.
    ours : bool, default=False
        Trust ``cls`` itself (the file's top-level class is mapped to it).

    Returns
    -------
    est : object
        An instance of exactly ``cls``.
    """
    import skops.io as sio
    from sklearn.base import BaseEstimator

    if ours and getattr(cls, "__setstate__", None) is not BaseEstimator.__setstate__:
        raise ValueError(f"{file}: {cls.__name__} cannot be loaded from a .skops file")
    try:
        with zipfile.ZipFile(file) as z:
            names = z.namelist()
            schema = json.loads(z.read("schema.json").decode("utf-8"))
            if not isinstance(schema, dict):
                raise ValueError("schema is not an object")
            _audit_schema(schema, file, (cls.__module__, cls.__name__), ours)
            if ours:  # the class may have moved since the file was written
                schema = dict(schema, __module__=cls.__module__, __class__=cls.__name__)
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w") as out:
                    for name in names:
                        data = (json.dumps(schema).encode() if name == "schema.json"
                                else z.read(name))
                        out.writestr(name, data)
                buf.seek(0)
                source: Any = buf
            else:
                source = file
            untrusted = sio.get_untrusted_types(data=source.getvalue() if ours else None,
                                                file=None if ours else file)
            allowed = set(_SKOPS_EXTRA_TRUSTED)
            if ours:
                allowed.add(f"{cls.__module__}.{cls.__name__}")
            bad = sorted(set(untrusted) - allowed)
            if bad:
                raise ValueError(f"refusing to load unexpected type(s) {bad}")
            if ours:
                buf.seek(0)
            est = sio.load(source, trusted=list(untrusted))
    except ValueError as exc:
        msg = str(exc)
        raise ValueError(msg if msg.startswith(str(file)) else f"{file}: {msg}") from exc
    except Exception as exc:  # noqa: BLE001 - zipfile, JSON, skops and sklearn errors
        raise ValueError(f"{file}: not a loadable .skops file ({type(exc).__name__}: "
                         f"{exc})") from exc
    if type(est) is not cls:
        raise ValueError(f"{file}: holds a {type(est).__name__}, expected {cls.__name__}")
    return est
