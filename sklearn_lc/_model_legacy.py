"""Readers of the files written by sklearn_lc 0.1, through the checks of format 2.

- model directories of format version 1 (``model.json`` with ``skops`` and
  ``skorch`` steps);
- ``config.json`` + ``weights.safetensors`` directories of ``BaseLCNet.save``;
- ``name.json`` + ``name.safetensors`` weight files (``sklearn_lc-weights``) of
  ``MaskedPretrainer.save`` and ``save_weights``.

Networks are rebuilt from their JSON configuration with every tensor shape
checked against the file first (:func:`~sklearn_lc._model_files.build_checked_modules`);
``.skops`` steps are audited, and only scikit-learn estimators and the pure
scikit-learn transformers of sklearn_lc are accepted from them (never a network).
Saving a loaded object again writes format 2.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np

from ._model_files import load_skops_checked, read_safetensors_header

LEGACY_NET_FORMAT = "sklearn_lc-net"
LEGACY_WEIGHTS_FORMAT = "sklearn_lc-weights"


def _tuples(value: Any) -> Any:
    """Turn lists back into tuples (format 1 stored tuples as JSON lists)."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


def _full_spec(module_cls: type, kwargs: dict, where: Any) -> dict:
    from .classifiers._base import module_spec

    try:
        return module_spec(module_cls, kwargs)
    except TypeError as exc:
        raise ValueError(f"{where}: module arguments do not fit {module_cls.__name__} "
                         f"({exc})") from exc


def _network(cls: type, params: Any, state: Any, file: Path, where: Any) -> Any:
    """Rebuild a network saved by ``save_model_state`` of sklearn_lc 0.1."""
    from .classifiers._base import BaseLCNet
    from .model_io import restore_object

    if not (inspect.isclass(cls) and issubclass(cls, BaseLCNet)):
        raise ValueError(f"{where}: {getattr(cls, '__name__', cls)} is not a network")
    if not isinstance(state, dict) or state.get("format") != LEGACY_NET_FORMAT:
        raise ValueError(f"{where}: not {cls.__name__} weights (bad or missing state)")
    if state.get("class") != cls.__name__:
        raise ValueError(f"{where}: holds a {state.get('class')!r}, not a {cls.__name__}")
    if not isinstance(params, dict):
        raise ValueError(f"{where}: parameters must be a mapping")
    params = _tuples(params)
    try:
        classes = np.asarray(state["classes"])
        input_shape = tuple(int(s) for s in state["input_shape"])
        cw = state.get("class_weight")
        class_weight = None if cw is None else np.asarray(cw, dtype=np.float32)
        module_kwargs = _tuples(dict(state.get("module_kwargs") or {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where}: malformed network state ({exc})") from exc
    if classes.ndim != 1 or classes.dtype.kind not in "biufU":
        raise ValueError(f"{where}: malformed classes")
    header, _ = read_safetensors_header(file)
    from .transfer._classifier import TransferClassifier

    if issubclass(cls, TransferClassifier):
        spec = _transfer_spec(params, len(classes), where)
    else:
        if params.get("module") is not None:
            raise ValueError(f"{where}: a network given as a custom module cannot be loaded")
        spec = _full_spec(cls._default_module, module_kwargs, where)
    attrs = {"classes_inferred_": classes, "input_shape_": input_shape,
             "class_weight_": class_weight}
    if issubclass(cls, TransferClassifier):
        from .transfer._classifier import _input_kind_of

        attrs["source_input_kind_"] = _input_kind_of(params.get("source", "crts"))
    return restore_object(cls, params, attrs, {"": spec}, file, header)


def _transfer_spec(params: dict, n_classes: int, where: Any) -> dict:
    """Return the module spec of a TransferClassifier of 0.1, read from its (string) source."""
    from .transfer._classifier import load_source_module

    source = params.get("source", "crts")
    if not isinstance(source, str):
        raise ValueError(f"{where}: a TransferClassifier saved by sklearn_lc 0.1 is rebuilt "
                         "from its source, which was not saved; refit it")
    try:
        _, info = load_source_module(source, params.get("head_hidden", (128,)))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{where}: its source {source!r} cannot be read ({exc}); refit the "
                         "TransferClassifier with this release") from exc
    spec = dict(info["spec"])
    spec["kwargs"] = dict(spec["kwargs"], n_classes=n_classes)
    return spec


# ------------------------------------------------------------------ format 1 dirs

def _add_new_params(est: Any) -> None:
    """Give a transformer saved by 0.1 the parameters added since, as it computed then.

    The class's ``_params_since_0_1`` names the values that reproduce 0.1
    (``FeatureExtractor``: UPSILoN's period and phases); other new parameters
    get their constructor default.
    """
    old = getattr(type(est), "_params_since_0_1", {})
    signature = inspect.signature(type(est).__init__).parameters
    for key in type(est)._get_param_names():
        if key not in vars(est):
            setattr(est, key, old[key] if key in old else signature[key].default)


def load_steps_v1(path: Path, config: dict) -> list:
    """Load the steps of a format-1 model directory."""
    from .model_io import CONFIG_FILE, step_file
    from .recipes import SKLEARN_ALLOWED, allowed_classes

    cfg = path / CONFIG_FILE
    allowed = allowed_classes()
    steps = []
    for k, entry in enumerate(config["steps"]):
        cls_name = entry.get("class")
        if not isinstance(cls_name, str) or cls_name not in allowed:
            raise ValueError(f"{cfg}: step {k} has class {cls_name!r}, which is not allowed")
        cls = allowed[cls_name]
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError(f"{cfg}: step {k} has no name")
        kind = entry.get("kind")
        holds_modules = isinstance(getattr(cls, "_saved_modules", None), dict)
        if kind == "skops":
            if holds_modules:
                raise ValueError(f"{cfg}: step {k}: {cls_name} is never loaded from a .skops "
                                 "file (it would run code); refit and save it with this release")
            ours = cls_name not in SKLEARN_ALLOWED
            est = load_skops_checked(step_file(path, entry, k, ".skops"), cls, ours=ours)
            if ours:
                _add_new_params(est)
        elif kind == "skorch":
            file = step_file(path, entry, k, ".safetensors")
            est = _network(cls, entry.get("params", {}), entry.get("state"), file, file)
        else:
            raise ValueError(f"{cfg}: step {k} has unknown kind {kind!r}")
        steps.append((name, est))
    return steps


def load_network_dir(path: Path) -> Any:
    """Load a ``config.json`` + ``weights.safetensors`` directory of ``BaseLCNet.save`` (0.1)."""
    from .model_io import _read_json
    from .recipes import allowed_classes

    config = _read_json(path / "config.json", "network configuration")
    if not isinstance(config, dict) or not isinstance(config.get("state"), dict):
        raise ValueError(f"{path / 'config.json'}: not a sklearn_lc network configuration")
    cls_name = config["state"].get("class")
    cls = allowed_classes().get(cls_name) if isinstance(cls_name, str) else None
    if cls is None:
        raise ValueError(f"{path / 'config.json'}: class {cls_name!r} is not allowed")
    file = path / "weights.safetensors"
    if not file.is_file():
        raise ValueError(f"{file}: missing")
    return _network(cls, config.get("params", {}), config["state"], file, path / "config.json")


# ------------------------------------------------------------------ weight pairs

def weights_stem(path: Path) -> Path | None:
    """Return the stem of a 0.1 weights pair (``stem.json`` + ``stem.safetensors``), else None."""
    stem = path.with_suffix("") if path.suffix in (".json", ".safetensors") else path
    if path.is_dir() or not Path(str(stem) + ".json").is_file():
        return None
    if not Path(str(stem) + ".safetensors").is_file():
        raise ValueError(f"{stem}.safetensors: missing (the weights of {stem}.json)")
    return stem


def load_weights_pair(stem: Path) -> Any:
    """Load a 0.1 weights pair: a MaskedPretrainer or a FeatureMLPClassifier."""
    from .model_io import _read_json, restore_object

    cfg_file = Path(str(stem) + ".json")
    file = Path(str(stem) + ".safetensors")
    config = _read_json(cfg_file, "weights configuration")
    if not isinstance(config, dict) or config.get("format") != LEGACY_WEIGHTS_FORMAT:
        raise ValueError(f"{cfg_file}: not a sklearn_lc weights file")
    header, _ = read_safetensors_header(file)
    kind = config.get("kind")
    try:
        if kind == "transformer-encoder":
            from .transfer._pretrainer import MaskedPretrainer

            enc = dict(config["encoder_config"])
            specs = {"encoder": {"class": "AstromerEncoder", "kwargs": enc},
                     "reconstruction": {"class": "ReconstructionHead",
                                        "kwargs": {"d_model": int(enc["d_model"])}}}
            p = config.get("pretrainer_params", {})
            params = {k: v for k, v in p.items() if k in MaskedPretrainer._get_param_names()}
            history = list(config.get("history", []))
            attrs = {"history_": history, "d_model_": int(enc["d_model"]),
                     "best_epoch_": int(config.get("best_epoch", len(history)))}
            return restore_object(MaskedPretrainer, params, attrs, specs, file, header)
        if kind == "feature-mlp":
            from .classifiers._feature_mlp import FeatureMLPClassifier

            mp = dict(config["module_params"])
            spec = _full_spec(FeatureMLPClassifier._default_module, _tuples(mp), cfg_file)
            params = {"module__hidden": tuple(mp.get("hidden", (64, 128, 256))),
                      "module__dropout": float(mp.get("dropout", 0.1))}
            classes = np.asarray([str(c) for c in config["classes"]])
            attrs = {"classes_inferred_": classes, "input_shape_": (int(mp["n_features"]),),
                     "class_weight_": None}
            return restore_object(FeatureMLPClassifier, params, attrs, {"module": spec},
                                  file, header)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{cfg_file}: malformed weights configuration ({exc})") from exc
    raise ValueError(f"{cfg_file}: unknown weights kind {kind!r}")
