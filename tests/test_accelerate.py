"""Multi-GPU / mixed-precision training through skorch's Accelerate integration.

The deep estimators are skorch nets, so Hugging Face Accelerate plugs in with
skorch's ``AccelerateMixin`` (documented in the user guide). On CI this runs on
the CPU: it shows the combination constructs, trains and predicts.
"""

import numpy as np
import pytest

accelerate = pytest.importorskip("accelerate")

from skorch.hf import AccelerateMixin  # noqa: E402

from sklearn_lc import CNNClassifier  # noqa: E402
from sklearn_lc.utils.estimator_checks import make_check_input  # noqa: E402


class AcceleratedCNN(AccelerateMixin, CNNClassifier):
    """CNNClassifier trained through an ``accelerate.Accelerator``."""


def test_accelerated_cnn_trains_on_cpu():
    X, y = make_check_input("image", n_per_class=8)
    params = CNNClassifier._get_test_params()
    # the accelerator places the model and data, so the net must not (device=None)
    params.update(max_epochs=3, validation_fraction=None, device=None)
    net = AcceleratedCNN(accelerator=accelerate.Accelerator(cpu=True), **params)
    net.fit(X, y)
    proba = net.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(net.predict(X)) <= {"a", "b", "c"}
    assert len(net.history_) == 3
    losses = net.history_[:, "train_loss"]
    assert np.all(np.isfinite(losses))
