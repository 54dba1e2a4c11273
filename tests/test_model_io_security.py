"""Hostile and damaged model directories: refused with a ValueError naming the file.

Every malicious directory is built here, in a temporary folder, from a real
saved model: the attacker edits ``model.json`` too (the SHA-256 digests are
recomputed), since the digest only protects against accidents.
"""

import hashlib
import json
import pickle
import resource
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from safetensors.torch import load_file, save_file
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline

from sklearn_lc import FeatureExtractor, FeatureMLPClassifier, make_light_curves
from sklearn_lc.model_io import load_model, save_model
from sklearn_lc.utils.estimator_checks import make_check_input


class _Payload:
    """Unpickling this creates a file (what an attacker's code would do)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


class CNNClassifier:
    """Stand-in whose skops file is relabelled as sklearn_lc's CNNClassifier."""


def _malicious_skops(file: Path, target: Path) -> None:
    """A skops file claiming CNNClassifier, whose state holds pickled bytes for skorch."""
    obj = CNNClassifier()
    obj.__dict__["__cuda_dependent_attributes__"] = pickle.dumps(_Payload(target))
    sio.dump(obj, file)
    _edit_schema(file, lambda s: s.update(__module__="sklearn_lc.classifiers._cnn"))


def _edit_schema(file: Path, edit) -> None:
    with zipfile.ZipFile(file) as z:
        items = {n: z.read(n) for n in z.namelist()}
    schema = json.loads(items["schema.json"])
    edit(schema)
    items["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(file, "w") as z:
        for n, d in items.items():
            z.writestr(n, d)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _config(d: Path) -> dict:
    return json.loads((d / "model.json").read_text())


def _write_config(d: Path, config: dict, reseal: bool = True) -> None:
    if reseal:  # the attacker recomputes the digests
        for step in config["steps"]:
            if "file" in step and (d / step["file"]).is_file():
                step["sha256"] = _sha(d / step["file"])
    (d / "model.json").write_text(json.dumps(config))


def _edit_network_file(file: Path, edit) -> None:
    """Rewrite a network file's JSON configuration (tensors unchanged)."""
    from safetensors import safe_open

    with safe_open(str(file), "pt") as f:
        meta = f.metadata()
    tensors = load_file(str(file))
    config = json.loads(meta["sklearn_lc"])
    edit(config)
    save_file(tensors, str(file), metadata={"sklearn_lc": json.dumps(config)})


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("saved")
    X, y = make_light_curves(3, n_points=(40, 60), random_state=0)
    pipe = make_pipeline(FeatureExtractor(), RandomForestClassifier(5, random_state=0)).fit(X, y)
    save_model(pipe, root / "rf")
    Xf, yf = make_check_input("features", n_per_class=6)
    net = FeatureMLPClassifier(module__hidden=(8,), max_epochs=1, random_state=0).fit(Xf, yf)
    save_model(net, root / "net")
    return root


@pytest.fixture
def rf(saved, tmp_path):
    return Path(shutil.copytree(saved / "rf", tmp_path / "rf"))


@pytest.fixture
def net(saved, tmp_path):
    return Path(shutil.copytree(saved / "net", tmp_path / "net"))


def _refused(path, match, *names):
    """Assert load_model raises ValueError matching ``match`` and naming each of ``names``."""
    with pytest.raises(ValueError, match=match) as info:
        load_model(path)
    for name in names:
        assert str(name) in str(info.value), str(info.value)
    return info.value


# ------------------------------------------------------------------ code on load

@pytest.mark.parametrize("case", ["v2-claims-network", "v2-claims-forest", "v1-claims-network",
                                  "v1-claims-transformer", "nested-in-forest"])
def test_pickle_payload_in_a_skops_step_never_runs(rf, tmp_path, case):
    target = tmp_path / "PAYLOAD_RAN"
    config = _config(rf)
    step = config["steps"][1]
    file = rf / step["file"]
    if case == "nested-in-forest":  # the network hides inside the forest's estimators_
        fake = tmp_path / "fake.skops"
        _malicious_skops(fake, target)
        with zipfile.ZipFile(fake) as z:
            fake_schema = json.loads(z.read("schema.json"))
            extra = {n: z.read(n) for n in z.namelist() if n != "schema.json"}

        def put(schema):
            schema["content"]["content"]["estimators_"]["content"][0] = fake_schema
        _edit_schema(file, put)
        with zipfile.ZipFile(file, "a") as z:
            for n, d in extra.items():
                z.writestr(n, d)
    else:
        _malicious_skops(file, target)
    if case == "v2-claims-network":
        step["class"] = "CNNClassifier"
        expect = (r"only loaded from store 'safetensors'", rf / "model.json")
    elif case in ("v2-claims-forest", "nested-in-forest"):
        expect = (r"refusing", file)
    else:  # format version 1 (sklearn_lc 0.1): steps were 'kind': 'skops'
        config["format_version"] = 1
        sk0 = rf / "step0-fe.skops"
        sio.dump(FeatureExtractor(), sk0)
        config["steps"][0] = {"name": "featureextractor", "class": "FeatureExtractor",
                              "kind": "skops", "file": sk0.name}
        step.pop("store")
        step["kind"] = "skops"
        step["class"] = "CNNClassifier" if case == "v1-claims-network" else "WindowPad"
        expect = ((r"never loaded from a \.skops file", rf / "model.json")
                  if case == "v1-claims-network" else (r"holds a CNNClassifier", file))
    _write_config(rf, config)
    _refused(rf, *expect)
    assert not target.exists(), "the pickled payload ran"


def test_the_payload_is_real(tmp_path):
    # what the tests above refuse would create the file if it were unpickled
    target = tmp_path / "PAYLOAD_RAN"
    pickle.loads(pickle.dumps(_Payload(target))).close()
    assert target.exists()


def test_params_step_cannot_plant_methods_or_unknown_parameters(rf):
    config = _config(rf)
    for attrs, params, match in (({"transform": 1}, {}, "not a fitted attribute"),
                                 ({"__class__": "x"}, {}, "not an attribute"),
                                 ({"_validate_params": 0}, {}, "not an attribute"),
                                 ({}, {"evil": 1}, "no parameter"),
                                 ({}, {"n_jobs": "many"}, "bad parameters")):
        config["steps"][0]["attrs"] = attrs
        config["steps"][0]["params"] = params
        _write_config(rf, config)
        _refused(rf, match, rf / "model.json")


# ------------------------------------------------------------- network configs

def test_oversized_network_configuration_is_refused_before_allocating(net):
    file = next(net.glob("*.safetensors"))
    assert file.stat().st_size < 10_000

    def huge(config):
        config["modules"]["module"]["kwargs"]["hidden"] = {"__tuple__": [60000, 60000]}
    _edit_network_file(file, huge)
    _write_config(net, _config(net))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _refused(net, "larger than", file)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 500  # 60000 x 60000 float32 weights would be 14 GB
    # the same through a config.json directory of sklearn_lc 0.1
    legacy = net.parent / "legacy"
    legacy.mkdir()
    tensors = {k[len("module."):]: v for k, v in load_file(str(file)).items()}
    save_file(tensors, str(legacy / "weights.safetensors"))
    state = {"format": "sklearn_lc-net", "class": "FeatureMLPClassifier", "classes": ["a", "b"],
             "input_shape": [16], "class_weight": None,
             "module_kwargs": {"n_features": 16, "n_classes": 2, "hidden": [60000, 60000]}}
    (legacy / "config.json").write_text(json.dumps({"params": {}, "state": state}))
    _refused(legacy, "larger than", legacy / "weights.safetensors")


def test_configuration_that_does_not_match_the_tensors_is_refused(net):
    file = next(net.glob("*.safetensors"))
    original = file.read_bytes()
    for edit, match in (
        (lambda c: c["modules"]["module"]["kwargs"].update(hidden={"__tuple__": [6]}),
         "configuration gives"),
        (lambda c: c["modules"]["module"]["kwargs"].update(n_features=3), "configuration"),
        (lambda c: c["modules"]["module"].update({"class": "Linear"}), "not a network"),
        (lambda c: c["modules"]["module"]["kwargs"].update(bogus=1), "cannot be built"),
        (lambda c: c.update({"class": "RandomForestClassifier"}), "holds a RandomForest"),
        (lambda c: c["attrs"].update(evil_=1), "not a saved attribute"),
        (lambda c: c["params"].update(lr="abc", module="os.system"), "cannot rebuild"),
    ):
        file.write_bytes(original)
        _edit_network_file(file, edit)
        _write_config(net, _config(net))
        _refused(net, match, file)


def test_classes_must_agree_with_the_last_steps_own_file(rf, net):
    config = _config(rf)
    config["classes"] = config["classes"][::-1]
    _write_config(rf, config)
    _refused(rf, "differ", rf / "model.json")
    file = next(net.glob("*.safetensors"))

    def swap(c):
        arr = c["attrs"]["classes_inferred_"]["__ndarray__"]
        arr["data"] = arr["data"][::-1]
    _edit_network_file(file, swap)
    _write_config(net, _config(net))
    _refused(net, "differ", net / "model.json")


# ----------------------------------------------------------------- damaged files

def _truncate(file: Path) -> None:
    file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])


def _flip(file: Path, at: int) -> None:
    data = bytearray(file.read_bytes())
    data[at] ^= 0xFF
    file.write_bytes(bytes(data))


DAMAGE = {
    "truncated-skops": r"not a loadable \.skops file",
    "truncated-safetensors": "not a valid safetensors file",
    "flipped-skops-unsealed": "do not match the SHA-256",
    "flipped-safetensors-header": "not a valid safetensors file",
    "flipped-safetensors-length": "header length",
    "missing-step": "missing",
    "missing-model-json": "not a sklearn_lc model directory",
    "model-json-garbage": "cannot be read",
    "step-without-name": "missing or repeated name",
    "steps-not-a-list": "'steps' must be a non-empty list",
    "path-traversal": "bad file",
    "empty-safetensors": "truncated",
    "legacy-config-garbage": "bad or missing state",
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damaged_directories_give_value_errors_naming_the_file(rf, net, case):
    sk = rf / _config(rf)["steps"][1]["file"]
    st = next(net.glob("*.safetensors"))
    d, named = rf, sk
    if case == "truncated-skops":
        _truncate(sk)
        _write_config(rf, _config(rf))
    elif case == "truncated-safetensors":
        d, named = net, st
        _truncate(st)
        _write_config(net, _config(net))
    elif case == "flipped-skops-unsealed":
        _flip(sk, sk.stat().st_size // 2)
    elif case == "flipped-safetensors-header":
        d, named = net, st
        _flip(st, 20)
        _write_config(net, _config(net))
    elif case == "flipped-safetensors-length":
        d, named = net, st
        _flip(st, 2)
        _write_config(net, _config(net))
    elif case == "missing-step":
        sk.unlink()
    elif case == "missing-model-json":
        (rf / "model.json").unlink()
        named = rf
    elif case == "model-json-garbage":
        (rf / "model.json").write_bytes(b"\x00\xffnot json")
        named = rf / "model.json"
    elif case == "step-without-name":
        config = _config(rf)
        del config["steps"][0]["name"]
        _write_config(rf, config)
        named = rf / "model.json"
    elif case == "steps-not-a-list":
        config = _config(rf)
        config["steps"] = {"0": 1}
        _write_config(rf, config)
        named = rf / "model.json"
    elif case == "path-traversal":
        config = _config(rf)
        config["steps"][1]["file"] = "../rf/" + sk.name
        _write_config(rf, config)
        named = rf / "model.json"
    elif case == "empty-safetensors":
        d, named = net, st
        st.write_bytes(b"")
        _write_config(net, _config(net))
    elif case == "legacy-config-garbage":  # a config.json directory of sklearn_lc 0.1
        d = net.parent / "legacy"
        d.mkdir()
        shutil.copy(st, d / "weights.safetensors")
        (d / "config.json").write_text('{"params": {}, "state": {"class": "CNNClassifier"}}')
        named = d
    _refused(d, DAMAGE[case], named)


def test_wrong_kinds_are_refused(rf, net):
    with pytest.raises(ValueError, match="holds a network, not a encoder"):
        load_model(net, kind="encoder")
    with pytest.raises(ValueError, match="kind must be"):
        load_model(net, kind="anything")
    original = (rf / "model.json").read_text()
    for edit, match in (
        (lambda c: c.update(kind="network"), "exactly one step"),
        (lambda c: c.update(kind="bogus"), "unknown kind"),
        (lambda c: c.update(format_version=7), "version 7"),
        (lambda c: c["steps"][1].update(store="params"), "only loaded from store 'skops'"),
        (lambda c: c["steps"][0].update(store="safetensors"), "only loaded from store"),
        (lambda c: c["steps"][1].update({"class": "SVC"}), "'SVC' is not allowed"),
        (lambda c: c["steps"][1].update({"class": "ExtraTreesClassifier"}), "expected"),
    ):
        config = json.loads(original)
        edit(config)
        _write_config(rf, config)
        _refused(rf, match, rf)
    assert isinstance(load_model(net), FeatureMLPClassifier)
    assert np.asarray(load_model(net).classes_).tolist() == ["a", "b", "c"]
