"""Saving and loading fitted models safely: sklearn_lc's one on-disk format.

Everything sklearn_lc saves (:func:`save_model`, ``CNNClassifier.save``,
``MaskedPretrainer.save``, ``sklearn-lc train``) is a **model directory**::

    MODEL_DIR/
      model.json                           format, format_version, kind, versions, steps
      step1-randomforestclassifier.skops   a scikit-learn estimator (skops: JSON + arrays)
      step1-cnnclassifier.safetensors      a network: tensors + its JSON configuration

``model.json`` says what the directory holds (``kind``):

- ``"pipeline"``: a fitted :class:`~sklearn.pipeline.Pipeline` ending in a
  classifier; :func:`load_model` returns the pipeline;
- ``"network"``: one deep classifier (``CNNClassifier``, ``TransferClassifier``...);
  :func:`load_model` returns the estimator;
- ``"encoder"``: a :class:`~sklearn_lc.MaskedPretrainer` or
  :class:`~sklearn_lc.EncoderEmbedding` (a transformer encoder).

Each step is stored one of three ways, recorded as its ``store``:

- ``"params"``: the pure scikit-learn transformers of sklearn_lc
  (``FeatureExtractor``, ``WindowPad``, ``DmDtImage``...): constructor
  parameters and fitted attributes as JSON inside ``model.json``;
- ``"skops"``: the scikit-learn estimators of the allow-list
  (:data:`sklearn_lc.recipes.SKLEARN_ALLOWED`), as `skops
  <https://skops.readthedocs.io>`_ files; the schema is audited first (only
  scikit-learn, NumPy and builtin types; no functions) and the file must hold
  exactly the class ``model.json`` names;
- ``"safetensors"``: networks and encoders: tensors in a ``.safetensors`` file
  whose header metadata holds the JSON configuration (class, constructor
  parameters, fitted attributes, the torch module classes and arguments).
  Every tensor shape is checked against the configuration *before* a module is
  built.

Loading never unpickles anything, never imports a class named by a file (all
classes come from allow-lists), and every file's SHA-256 digest must match
``model.json``. Anything malformed gives a ``ValueError`` naming the file.
Directories of format version 1 (sklearn_lc 0.1), ``config.json`` +
``weights.safetensors`` directories of ``CNNClassifier.save`` and
``name.json`` + ``name.safetensors`` weight files of ``MaskedPretrainer.save``
from that release still load, through the same checks; save them again to
convert them.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from ._model_files import (
    MAX_HEADER_BYTES,
    build_checked_modules,
    check_attr_name,
    from_json,
    load_skops_checked,
    read_safetensors_header,
    to_json,
    write_safetensors,
)
from ._version import __version__
from .recipes import MODEL_RECIPES, SKLEARN_ALLOWED, allowed_classes, build_model

__all__ = [
    "FORMAT_VERSION",
    "KINDS",
    "MODEL_RECIPES",
    "build_model",
    "load_model",
    "read_model_config",
    "save_model",
]

FORMAT = "sklearn_lc-model"
#: Version of the on-disk format written by :func:`save_model`.
FORMAT_VERSION = 2
#: What a model directory can hold.
KINDS = ("pipeline", "network", "encoder")
CONFIG_FILE = "model.json"
#: Key of the JSON configuration in the metadata of a ``.safetensors`` file.
META_KEY = "sklearn_lc"
STORES = ("params", "skops", "safetensors")


# --------------------------------------------------------------------------- helpers

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _holds_modules(obj: Any) -> bool:
    cls = obj if inspect.isclass(obj) else type(obj)
    return isinstance(getattr(cls, "_saved_modules", None), dict)


def _object_kind(cls: type) -> str:
    from .classifiers._base import BaseLCNet

    return "network" if issubclass(cls, BaseLCNet) else "encoder"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a is b or a == b)
    except Exception:  # noqa: BLE001 - arrays and odd objects: treat as different
        return False


def _constructor_params(est: BaseEstimator, all_params: bool = False) -> dict:
    """JSON of the constructor parameters that differ from the class defaults.

    With ``all_params`` every parameter is written, defaults included, so that
    a later release with other defaults rebuilds the step exactly as it was
    fitted (used for the ``params`` store of sklearn_lc's own transformers).
    """
    defaults: dict = {}
    for klass in type(est).__mro__:  # skorch keeps its own defaults in NeuralNet.__init__
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for k, p in inspect.signature(init).parameters.items():
            if p.default is not inspect.Parameter.empty:
                defaults.setdefault(k, p.default)
    objects = getattr(type(est), "_object_params", ())
    name = type(est).__name__
    out = {}
    for key, value in est.get_params(deep=False).items():
        if key.startswith("_"):
            continue
        if not all_params and key in defaults and _same(value, defaults[key]):
            continue
        try:
            out[key] = to_json(value, f"parameter {key} of {name}")
        except ValueError as exc:
            if key in objects:  # e.g. a fitted estimator as source: not needed to predict
                out[key] = None
                continue
            raise ValueError(f"cannot save parameter {key}={value!r} of {name}: only "
                             "JSON-serialisable parameters can be stored safely") from exc
    return out


def _fitted_attrs(est: BaseEstimator) -> dict:
    """JSON of every instance attribute that is not a constructor parameter."""
    params = set(est.get_params(deep=False))
    out = {}
    for key, value in vars(est).items():
        if key in params:
            continue
        if key.startswith("__") or not (key.endswith("_") or key.startswith("_")):
            raise ValueError(f"cannot save {type(est).__name__}: attribute {key!r} is neither "
                             "a parameter nor a fitted attribute")
        out[key] = to_json(value, f"attribute {key} of {type(est).__name__}")
    return out


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:60] or "step"


def _read_json(file: Path, what: str) -> Any:
    try:
        if file.stat().st_size > MAX_HEADER_BYTES:
            raise ValueError(f"{file}: too large for a {what}")
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{file}: cannot be read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{file}: not valid JSON ({exc})") from exc


def _class_for(name: Any, where: str) -> type:
    allowed = allowed_classes()
    if not isinstance(name, str) or name not in allowed:
        raise ValueError(f"{where}: class {name!r} is not allowed in sklearn_lc model files")
    return allowed[name]


def _cpu_if_no_cuda(params: dict, where: Any) -> dict:
    dev = params.get("device")
    if isinstance(dev, str) and dev.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            warnings.warn(f"{where}: saved for device {dev!r}; CUDA is not available, "
                          "loading on CPU", UserWarning, stacklevel=4)
            params = dict(params, device="cpu")
    return params


def _classes_json(est: Any, where: Any) -> list:
    classes = getattr(est, "classes_", None)
    if classes is None:
        raise ValueError(f"{where}: the last step is not a fitted classifier (no classes_)")
    return to_json(np.asarray(classes).tolist(), "classes")


# --------------------------------------------------------------- safetensors objects

def _write_object(est: Any, file: Path) -> None:
    """Write a network or encoder estimator as one ``.safetensors`` file with its config."""
    cls = type(est)
    name = cls.__name__
    specs = est._module_specs()
    tensors = {}
    modules = {}
    for prefix, attr in cls._saved_modules.items():
        module = getattr(est, attr, None)
        if module is None:
            raise ValueError(f"cannot save {name}: it is not fitted (no {attr})")
        spec = specs.get(prefix)
        if spec is None:
            raise ValueError(f"cannot save {name}: its network was given as a module "
                             "instance or class outside sklearn_lc.nn, which cannot be "
                             "rebuilt safely; use the module__* parameters instead")
        for k, v in module.state_dict().items():
            tensors[f"{prefix}.{k}"] = v
        modules[prefix] = {"class": spec["class"],
                           "kwargs": to_json(dict(spec["kwargs"]), f"arguments of {prefix}")}
    attrs = {k: to_json(getattr(est, k), f"attribute {k} of {name}")
             for k in cls._saved_attrs if hasattr(est, k)}
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": _object_kind(cls),
        "class": name,
        "sklearn_lc_version": __version__,
        "params": _constructor_params(est),
        "attrs": attrs,
        "modules": modules,
    }
    write_safetensors(file, tensors, {META_KEY: json.dumps(config)})


def read_object_config(file: str | os.PathLike) -> tuple[dict, dict]:
    """Read the JSON configuration and tensor header of a network's ``.safetensors`` file.

    Parameters
    ----------
    file : str or path-like
        A ``.safetensors`` file written by :func:`save_model`.

    Returns
    -------
    config : dict
        ``class``, ``kind``, ``params``, ``attrs``, ``modules`` (undecoded JSON).
    header : dict
        Tensor name to ``(dtype, shape)``.
    """
    file = Path(file)
    header, metadata = read_safetensors_header(file)
    text = metadata.get(META_KEY)
    if text is None:
        raise ValueError(f"{file}: no sklearn_lc configuration in its metadata")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{file}: configuration is not valid JSON ({exc})") from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"{file}: not a sklearn_lc network file")
    if config.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{file}: format version {config.get('format_version')!r} is not "
                         f"supported (this sklearn_lc reads version {FORMAT_VERSION})")
    for key, typ in (("kind", str), ("class", str), ("params", dict), ("attrs", dict),
                     ("modules", dict)):
        if not isinstance(config.get(key), typ):
            raise ValueError(f"{file}: configuration entry {key!r} is missing or malformed")
    return config, header


def restore_object(cls: type, params: dict, attrs: dict, specs: dict, file: Path,
                   header: dict) -> Any:
    """Build the modules of ``specs`` from ``file`` (checked) and rebuild a ``cls`` around them."""
    if not _holds_modules(cls):
        raise ValueError(f"{file}: {cls.__name__} is not a network or encoder estimator")
    if set(specs) != set(cls._saved_modules) and set(specs) != {""}:
        raise ValueError(f"{file}: modules {sorted(specs)} do not match {cls.__name__} "
                         f"({sorted(cls._saved_modules)})")
    for k in attrs:
        if k not in cls._saved_attrs:
            raise ValueError(f"{file}: {k!r} is not a saved attribute of {cls.__name__}")
    modules = build_checked_modules(file, specs, header)
    if "" in modules:
        (prefix,) = cls._saved_modules
        modules = {prefix: modules[""]}
        specs = {prefix: specs[""]}
    params = _cpu_if_no_cuda(params, file)
    try:
        return cls._from_saved(params, attrs, modules, specs)
    except Exception as exc:  # noqa: BLE001 - untrusted parameters reach the constructor
        raise ValueError(f"{file}: cannot rebuild {cls.__name__} from its configuration "
                         f"({type(exc).__name__}: {exc})") from exc


def _load_object(file: Path, expected: str | None = None) -> Any:
    config, header = read_object_config(file)
    cls = _class_for(config["class"], str(file))
    if expected is not None and config["class"] != expected:
        raise ValueError(f"{file}: holds a {config['class']}, model.json says {expected}")
    if not _holds_modules(cls) or config["kind"] != _object_kind(cls):
        raise ValueError(f"{file}: {cls.__name__} cannot be stored as kind "
                         f"{config['kind']!r}")
    params = from_json(config["params"], f"{file} params")
    attrs = from_json(config["attrs"], f"{file} attrs")
    specs = {}
    for prefix, spec in config["modules"].items():
        if not isinstance(spec, dict):
            raise ValueError(f"{file}: module {prefix!r} is malformed")
        specs[prefix] = {**spec, "kwargs": from_json(spec.get("kwargs"), f"{file} {prefix}")}
    return restore_object(cls, params, attrs, specs, file, header)


# ------------------------------------------------------------------------ params store

def _restore_params_step(cls: type, params: Any, attrs: Any, where: str) -> Any:
    if not isinstance(params, dict) or not isinstance(attrs, dict):
        raise ValueError(f"{where}: 'params' and 'attrs' must be mappings")
    params = from_json(params, where)
    attrs = from_json(attrs, where)
    known = set(cls._get_param_names())
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"{where}: {cls.__name__} has no parameter(s) {unknown}")
    try:
        est = cls(**params)
        if hasattr(est, "_validate_params"):
            est._validate_params()
    except Exception as exc:  # noqa: BLE001 - untrusted parameter values
        raise ValueError(f"{where}: bad parameters for {cls.__name__} ({exc})") from exc
    for key, value in attrs.items():
        setattr(est, check_attr_name(key, cls, where) if not key.startswith("_")
                else _private_attr(key, cls, where), value)
    return est


def _private_attr(name: str, cls: type, where: str) -> str:
    if not re.fullmatch(r"_[A-Za-z][A-Za-z0-9_]*", name) or name.endswith("__") \
            or hasattr(cls, name):
        raise ValueError(f"{where}: {name!r} is not an attribute {cls.__name__} can hold")
    return name


# -------------------------------------------------------------------------- writing

def _store_of(est: Any, step: str) -> str:
    cls = type(est)
    allowed = allowed_classes()
    if allowed.get(cls.__name__) is not cls:
        raise ValueError(f"cannot save step {step!r}: class {cls.__name__} is not on the "
                         "allow-list of sklearn_lc model files")
    if _holds_modules(cls):
        return "safetensors"
    if cls.__name__ in SKLEARN_ALLOWED:
        return "skops"
    return "params"


def _write_steps(steps: list, folder: Path) -> list[dict]:
    import skops.io as sio

    entries = []
    for k, (step_name, est) in enumerate(steps):
        store = _store_of(est, step_name)
        entry: dict = {"name": str(step_name), "class": type(est).__name__, "store": store}
        stem = f"step{k}-{_safe_name(str(step_name))}"
        if store == "params":
            entry["params"] = _constructor_params(est, all_params=True)
            entry["attrs"] = _fitted_attrs(est)
            entries.append(entry)
            continue
        file = f"{stem}.{store}"
        if store == "skops":
            # deflated: a forest's node arrays shrink about nine-fold
            sio.dump(est, folder / file, compression=zipfile.ZIP_DEFLATED)
        else:
            _write_object(est, folder / file)
        entry["file"] = file
        entry["sha256"] = _sha256(folder / file)
        entries.append(entry)
    return entries


def _replace_dir(path: Path, overwrite: bool, write) -> None:
    """Write a directory beside ``path`` with ``write(tmp)``, then move it into place."""
    if path.exists():
        if not path.is_dir():
            raise ValueError(f"{path}: exists and is not a directory")
        if any(path.iterdir()):
            if not overwrite:
                raise ValueError(f"{path}: directory exists and is not empty "
                                 "(use overwrite=True)")
            if not ((path / CONFIG_FILE).is_file() or (path / "config.json").is_file()):
                raise ValueError(f"{path}: not a sklearn_lc model directory; refusing to "
                                 "replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        write(tmp)
        os.chmod(tmp, 0o755)
        for f in tmp.iterdir():
            os.chmod(f, 0o644)
        if path.exists():
            old = tmp.with_name(tmp.name + ".old")
            path.rename(old)
            tmp.rename(path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def save_model(
    model: Any,
    path: str | os.PathLike,
    *,
    name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Save a fitted model to a model directory, without pickle.

    Parameters
    ----------
    model : Pipeline or estimator
        A fitted pipeline ending in a classifier, whose steps are allowed
        classes (see :func:`~sklearn_lc.recipes.allowed_classes`), saved as
        kind ``"pipeline"``; a fitted deep classifier (kind ``"network"``); a
        fitted ``MaskedPretrainer`` or ``EncoderEmbedding`` (kind
        ``"encoder"``); or another fitted classifier of the allow-list (a
        one-step pipeline).
    path : str or path-like
        Directory to create.
    name : str, optional
        Recipe name recorded in ``model.json``.
    metadata : mapping, optional
        Extra JSON-serialisable information (training data, scores).
    overwrite : bool, default=False
        Replace an existing model directory. The new directory is written
        beside it and moved into place at the end, so an interrupted save
        leaves the old one intact.

    Returns
    -------
    path : Path
        The model directory.

    Raises
    ------
    ValueError
        For a class off the allow-list, an unfitted model, a parameter that
        cannot be stored as JSON, or an existing directory (without
        ``overwrite``).

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_lc import FeatureExtractor, make_light_curves
    >>> from sklearn_lc.model_io import load_model, save_model
    >>> X, y = make_light_curves(4, random_state=0)
    >>> pipe = make_pipeline(FeatureExtractor(), RandomForestClassifier(10, random_state=0))
    >>> pipe = pipe.fit(X, y)
    >>> folder = save_model(pipe, tempfile.mkdtemp() + "/model")
    >>> (load_model(folder).predict(X) == pipe.predict(X)).all()
    np.True_
    """
    import sklearn

    path = Path(path)
    if isinstance(model, Pipeline):
        kind, steps = "pipeline", list(model.steps)
    elif _holds_modules(model):
        kind, steps = _object_kind(type(model)), [(type(model).__name__.lower(), model)]
    elif isinstance(model, BaseEstimator):
        kind, steps = "pipeline", [(type(model).__name__.lower(), model)]
    else:
        raise TypeError(f"save_model takes a fitted pipeline or estimator, got "
                        f"{type(model).__name__}")
    if not steps:
        raise ValueError("the pipeline has no steps")
    classes = None if kind == "encoder" else _classes_json(steps[-1][1], "save_model")
    meta = to_json(dict(metadata or {}), "metadata")

    def write(folder: Path) -> None:
        import torch

        entries = _write_steps(steps, folder)
        config = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kind": kind,
            "sklearn_lc_version": __version__,
            "sklearn_version": sklearn.__version__,
            "numpy_version": np.__version__,
            "torch_version": torch.__version__.split("+")[0],
            "name": name,
            "classes": classes,
            "steps": entries,
            "metadata": meta,
        }
        (folder / CONFIG_FILE).write_text(json.dumps(config, indent=1) + "\n")

    _replace_dir(path, overwrite, write)
    return path


# -------------------------------------------------------------------------- reading

def read_model_config(path: str | os.PathLike) -> dict:
    """Read and check ``model.json`` of a model directory.

    Parameters
    ----------
    path : str or path-like
        The model directory.

    Returns
    -------
    config : dict
        The parsed configuration (format version 1 or 2).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If ``model.json`` is missing, not JSON, or not a sklearn_lc model file
        of a supported version.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such model directory")
    cfg_path = path / CONFIG_FILE
    if not path.is_dir() or not cfg_path.is_file():
        raise ValueError(f"{path}: not a sklearn_lc model directory (no {CONFIG_FILE})")
    config = _read_json(cfg_path, CONFIG_FILE)
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"{cfg_path}: not a sklearn_lc model file")
    version = config.get("format_version")
    if version not in (1, FORMAT_VERSION):
        raise ValueError(f"{cfg_path}: model format version {version!r} is not supported "
                         f"(this sklearn_lc reads versions 1 and {FORMAT_VERSION})")
    kind = config.get("kind", "pipeline") if version == 1 else config.get("kind")
    if kind not in KINDS:
        raise ValueError(f"{cfg_path}: unknown kind {kind!r} (expected one of {KINDS})")
    steps = config.get("steps")
    if not isinstance(steps, list) or not steps or not all(isinstance(s, dict) for s in steps):
        raise ValueError(f"{cfg_path}: 'steps' must be a non-empty list of objects")
    if kind != "pipeline" and len(steps) != 1:
        raise ValueError(f"{cfg_path}: a {kind} directory holds exactly one step")
    if kind != "encoder" and not isinstance(config.get("classes"), list):
        raise ValueError(f"{cfg_path}: 'classes' must be a list")
    return config


def step_file(path: Path, entry: dict, k: int, suffix: str) -> Path:
    """Return the checked file of step ``k``: a plain name in ``path``, SHA-256 as recorded."""
    cfg = path / CONFIG_FILE
    name = entry.get("file")
    if (not isinstance(name, str) or Path(name).name != name or name in ("", ".", "..")
            or not name.endswith(suffix)):
        raise ValueError(f"{cfg}: step {k} names a bad file {name!r} (expected a *{suffix} "
                         "file in the model directory)")
    file = path / name
    if not file.is_file():
        raise ValueError(f"{file}: missing (step {k} of {cfg})")
    if _sha256(file) != entry.get("sha256"):
        raise ValueError(f"{file}: contents do not match the SHA-256 in {CONFIG_FILE} "
                         "(file altered or corrupted)")
    return file


def _load_steps_v2(path: Path, config: dict) -> list:
    cfg = path / CONFIG_FILE
    steps = []
    names = set()
    for k, entry in enumerate(config["steps"]):
        step_name = entry.get("name")
        if not isinstance(step_name, str) or not step_name or step_name in names:
            raise ValueError(f"{cfg}: step {k} has a missing or repeated name {step_name!r}")
        names.add(step_name)
        cls = _class_for(entry.get("class"), f"{cfg}: step {k}")
        store = entry.get("store")
        expected = ("safetensors" if _holds_modules(cls)
                    else "skops" if cls.__name__ in SKLEARN_ALLOWED else "params")
        if store != expected:
            raise ValueError(f"{cfg}: step {k} ({cls.__name__}) has store {store!r}; "
                             f"{cls.__name__} is only loaded from store {expected!r}")
        if store == "params":
            est = _restore_params_step(cls, entry.get("params"), entry.get("attrs"),
                                       f"{cfg}: step {k}")
        elif store == "skops":
            est = load_skops_checked(step_file(path, entry, k, ".skops"), cls)
        else:
            est = _load_object(step_file(path, entry, k, ".safetensors"), cls.__name__)
        steps.append((step_name, est))
    return steps


def _check_classes(config: dict, final: Any, where: Path) -> None:
    recorded = config.get("classes")
    own = to_json(np.asarray(getattr(final, "classes_", [])).tolist(), "classes")
    if recorded != own:
        raise ValueError(f"{where}: classes {recorded} recorded in {CONFIG_FILE} differ from "
                         f"the classes {own} of the last step's own file")


def _warn_versions(path: Path, config: dict) -> None:
    import sklearn

    saved = config.get("sklearn_lc_version")
    if saved != __version__:
        warnings.warn(f"model {path} was saved with sklearn_lc {saved}, this is {__version__}; "
                      "predictions may differ or loading may fail", UserWarning, stacklevel=3)
    if config.get("sklearn_version") != sklearn.__version__:
        warnings.warn(f"model {path} was saved with scikit-learn {config.get('sklearn_version')}, "
                      f"this is {sklearn.__version__}", UserWarning, stacklevel=3)


def load(path: str | os.PathLike, kind: str | None = None, warn: bool = True) -> Any:
    """:func:`load_model` with version warnings optional (shipped weights load silently)."""
    from . import _model_legacy as legacy

    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} or None, got {kind!r}")
    path = Path(path)
    if path.name == CONFIG_FILE and path.is_file():
        path = path.parent
    stem = legacy.weights_stem(path)
    if stem is not None:
        obj = legacy.load_weights_pair(stem)
        found = "network" if hasattr(obj, "classes_") else "encoder"
    elif path.is_dir() and not (path / CONFIG_FILE).exists() and (path / "config.json").is_file():
        obj, found = legacy.load_network_dir(path), "network"
    else:
        config = read_model_config(path)
        found = config.get("kind", "pipeline")
        if warn:
            _warn_versions(path, config)
        if config["format_version"] == 1:
            steps = legacy.load_steps_v1(path, config)
        else:
            steps = _load_steps_v2(path, config)
        final = steps[-1][1]
        if found != "encoder":
            _check_classes(config, final, path / CONFIG_FILE)
        if found == "pipeline":
            try:
                obj = Pipeline(steps)
            except Exception as exc:  # noqa: BLE001 - e.g. a step that is not a transformer
                raise ValueError(f"{path / CONFIG_FILE}: the steps do not form a pipeline "
                                 f"({exc})") from exc
        else:
            obj = final
            if _object_kind(type(obj)) != found:
                raise ValueError(f"{path / CONFIG_FILE}: kind {found!r} cannot hold a "
                                 f"{type(obj).__name__}")
    if kind is not None and found != kind:
        raise ValueError(f"{path}: holds a {found}, not a {kind}")
    return obj


def load_model(path: str | os.PathLike, *, kind: str | None = None) -> Any:
    """Load a model directory written by :func:`save_model` (or by sklearn_lc 0.1).

    Parameters
    ----------
    path : str or path-like
        The model directory (or, for files of sklearn_lc 0.1, a
        ``name.safetensors`` + ``name.json`` weights pair).
    kind : {"pipeline", "network", "encoder"} or None, default=None
        Refuse a directory holding anything else.

    Returns
    -------
    model : Pipeline or estimator
        The fitted pipeline (kind ``"pipeline"``), or the fitted estimator.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        Naming the file, if anything is missing, altered (SHA-256 mismatch),
        malformed, of a class off the allow-lists, inconsistent (tensor
        shapes against the configuration, classes of ``model.json`` against
        those of the last step) or of another ``kind``. Nothing is unpickled.

    Warns
    -----
    UserWarning
        When the model was saved by another version of sklearn_lc or
        scikit-learn.
    """
    return load(path, kind=kind, warn=True)
