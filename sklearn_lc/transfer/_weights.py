"""Weights for transfer: the ones shipped with the package, and files written by users.

Weights are model directories of :mod:`sklearn_lc.model_io` (kind
``"encoder"``: a :class:`~sklearn_lc.MaskedPretrainer`; kind ``"network"``: a
fitted deep classifier). Shipped weights live in ``sklearn_lc/transfer/weights/``
and are named by their folder (``"crts"``, ``"folded"``, ``"crts-features"``,
``"crts-hybrid"``). Weight files of
sklearn_lc 0.1 (``name.json`` + ``name.safetensors``) load too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["SHIPPED_DIR", "load_weights", "resolve_weights", "save_weights", "shipped_weights",
           "weights_info"]

#: Folder of the weights shipped with the package.
SHIPPED_DIR = Path(__file__).resolve().parent / "weights"


def shipped_weights() -> list[str]:
    """Names of the weights shipped with the package.

    Returns
    -------
    names : list of str
        E.g. ``["crts", "crts-features", "crts-hybrid", "folded"]``.

    Examples
    --------
    >>> from sklearn_lc.transfer import shipped_weights
    >>> "crts" in shipped_weights()
    True
    """
    return sorted(p.name for p in SHIPPED_DIR.iterdir() if (p / "model.json").is_file())


def _is_name(source: Any) -> bool:
    return isinstance(source, str) and os.sep not in source and "/" not in source


def resolve_weights(source: str | os.PathLike) -> Path:
    """Return the model directory (or 0.1 weights stem) that ``source`` names.

    Parameters
    ----------
    source : str or path-like
        A shipped name, a model directory, or a 0.1 weights file
        (``name.safetensors`` / ``name.json`` or their stem).

    Returns
    -------
    path : Path

    Raises
    ------
    ValueError
        If nothing is found there.
    """
    if _is_name(source) and (SHIPPED_DIR / source / "model.json").is_file():
        return SHIPPED_DIR / source
    path = Path(source)
    if path.is_dir() and ((path / "model.json").is_file() or (path / "config.json").is_file()):
        return path
    stem = path.with_suffix("") if path.suffix in (".json", ".safetensors") else path
    if Path(str(stem) + ".json").is_file() and Path(str(stem) + ".safetensors").is_file():
        return stem
    raise ValueError(f"no weights found at {str(source)!r}: expected a model directory "
                     f"(with model.json) or a shipped name among {shipped_weights()}")


def _shipped(path: Path) -> bool:
    return path.parent == SHIPPED_DIR


def load_weights(source: str | os.PathLike, kind: str | None = None) -> Any:
    """Load the estimator stored at ``source`` (shipped name or model directory).

    Parameters
    ----------
    source : str or path-like
        See :func:`resolve_weights`.
    kind : {"network", "encoder"} or None
        Refuse anything else.

    Returns
    -------
    est : estimator
        The fitted :class:`~sklearn_lc.MaskedPretrainer`, network estimator or
        :class:`~sklearn_lc.EncoderEmbedding`.
    """
    from ..model_io import load

    path = resolve_weights(source)
    est = load(path, kind=kind, warn=not _shipped(path))
    if kind is None and not hasattr(type(est), "_saved_modules"):
        raise ValueError(f"{source}: holds a pipeline, not network or encoder weights")
    return est


def weights_info(source: str | os.PathLike) -> dict:
    """Describe stored weights without building them: ``{"kind", "class", "input"}``.

    ``input`` is what the network takes: ``"sequence"`` (WindowPad windows),
    ``"image"`` or ``"features"``.
    """
    from ..model_io import read_model_config, read_object_config
    from ..recipes import allowed_classes

    path = resolve_weights(source)
    if not path.is_dir():  # weights pair of 0.1
        try:
            kind = json.loads(Path(str(path) + ".json").read_text()).get("kind")
        except (OSError, ValueError, AttributeError) as exc:
            raise ValueError(f"{path}.json: not a weights file ({exc})") from exc
        if kind == "feature-mlp":
            return {"kind": "network", "class": "FeatureMLPClassifier", "input": "features"}
        return {"kind": "encoder", "class": "MaskedPretrainer", "input": "sequence"}
    if not (path / "model.json").is_file():  # config.json directory of 0.1
        config = json.loads((path / "config.json").read_text())
        name = (config.get("state") or {}).get("class")
        cls = allowed_classes().get(name)
        return {"kind": "network", "class": name,
                "input": getattr(cls, "_input_kind", "sequence") if isinstance(
                    getattr(cls, "_input_kind", None), str) else "sequence"}
    config = read_model_config(path)
    kind = config.get("kind")
    step = config["steps"][0]
    if kind == "encoder" or config.get("format_version") != 2:
        return {"kind": kind, "class": step.get("class"), "input": "sequence"}
    obj, _ = read_object_config(path / str(step.get("file")))
    cls = allowed_classes().get(obj["class"])
    kind_attr = obj.get("attrs", {}).get("source_input_kind_")
    if isinstance(kind_attr, str):
        return {"kind": kind, "class": obj["class"], "input": kind_attr}
    inp = getattr(cls, "_input_kind", "sequence")
    return {"kind": kind, "class": obj["class"], "input": inp if isinstance(inp, str)
            else "sequence"}


def save_weights(estimator: Any, path: str | os.PathLike, metadata: dict | None = None) -> Path:
    """Save a fitted network (or pretrainer) as transferable weights.

    The same as :func:`sklearn_lc.model_io.save_model`, replacing an existing
    model directory. The directory can then be given as ``source`` to
    :class:`~sklearn_lc.TransferClassifier` or ``weights`` to
    :class:`~sklearn_lc.EncoderEmbedding`.

    Parameters
    ----------
    estimator : estimator
        A fitted deep classifier (e.g. ``FeatureMLPClassifier``) or
        :class:`~sklearn_lc.MaskedPretrainer`.
    path : str or path-like
        Destination directory (a trailing ``.safetensors`` or ``.json``, the
        file names of sklearn_lc 0.1, is dropped).
    metadata : dict, optional
        Extra JSON-serialisable information.

    Returns
    -------
    path : Path
        The model directory.
    """
    from ..model_io import save_model

    p = Path(path)
    if p.suffix in (".safetensors", ".json"):
        p = p.with_suffix("")
    return save_model(estimator, p, metadata=metadata, overwrite=True)
