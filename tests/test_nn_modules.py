"""Tests of the pure-torch networks (sklearn_lc.nn._modules)."""

import ast
from pathlib import Path

import numpy as np
import pytest
import torch

from sklearn_lc.nn import (
    CNNLSTM,
    AstromerEncoder,
    DmDtCNN,
    TimePositionalEncoding,
    TransformerNet,
    masked_mean,
    n_parameters,
    sequence_mask,
)


def _windows(lengths, L, seed=0, garbage=False):
    """WindowPad-like windows: real points first, zero (or garbage) padding after."""
    rng = np.random.RandomState(seed)
    X = np.zeros((len(lengths), L, 4), dtype=np.float32)
    for i, k in enumerate(lengths):
        t = np.sort(rng.uniform(0, 500, k))
        X[i, :k, 0] = t - t.mean()
        X[i, :k, 1] = rng.normal(0, 0.3, k)
        X[i, :k, 2] = 0.02
        X[i, :k, 3] = 1.0
        if garbage:
            X[i, k:, :3] = rng.normal(0, 1e3, (L - k, 3))
            X[i, k:, 0] = np.nan
    return X


def _pad(X, L):
    out = np.zeros((X.shape[0], L, X.shape[2]), dtype=np.float32)
    out[:, : X.shape[1]] = X
    return out


def test_modules_know_nothing_of_sklearn_or_skorch():
    src = Path(__file__).parents[1] / "sklearn_lc" / "nn" / "_modules.py"
    tree = ast.parse(src.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    assert "torch" in names
    assert not names & {"sklearn", "skorch", "sklearn_lc"}


@pytest.mark.parametrize("shape", [(1, 23, 24), (3, 90, 53), (1, 12, 12), (2, 5, 7)])
def test_cnn_any_image_size(shape):
    torch.manual_seed(0)
    net = DmDtCNN(in_channels=shape[0], n_classes=4, n_filters=4, n_dense=8).eval()
    x = torch.rand(3, *shape)
    assert net(x).shape == (3, 4)
    assert net.embed(x).shape == (3, net.embedding_dim)


def test_common_layout_encoder_head_out():
    nets = [
        DmDtCNN(n_classes=3, n_filters=4),
        CNNLSTM(n_classes=3, n_filters=4, hidden_size=8),
        TransformerNet(n_classes=3, d_model=16, head_hidden=(8,)),
        TransformerNet(n_classes=3, d_model=16, head="lstm", head_hidden=(8,)),
    ]
    for net in nets:
        assert isinstance(net.encoder, torch.nn.Module)
        assert isinstance(net.head.out, torch.nn.Linear)
        assert net.head.out.out_features == 3
        assert n_parameters(net) > 0


def test_replace_output_layer_and_freeze_encoder():
    torch.manual_seed(0)
    net = TransformerNet(n_classes=3, d_model=16, head_hidden=(8,))
    net.head.out = torch.nn.Linear(net.head.out.in_features, 5)
    for p in net.encoder.parameters():
        p.requires_grad_(False)
    x = torch.as_tensor(_windows([30, 12], 40))
    loss = net(x).sum()
    loss.backward()
    assert net(x).shape == (2, 5)
    assert all(p.grad is None for p in net.encoder.parameters())
    assert net.head.out.weight.grad is not None


def test_time_positional_encoding_formula():
    d = 8
    pe = TimePositionalEncoding(d, base=1000.0)
    t = torch.tensor([[0.0, 0.5, 3.0, 250.0]])
    out = pe(t).numpy()[0]
    for k in range(d):
        w = 1.0 / 1000.0 ** (2 * (k // 2) / d)
        ref = np.sin(w * t.numpy()[0]) if k % 2 == 0 else np.cos(w * t.numpy()[0])
        np.testing.assert_allclose(out[:, k], ref, atol=1e-5)
    # the highest frequency is 1 rad/day, the lowest 1000**(-(d-2)/d)
    assert out[0, 0] == 0.0 and out[0, 1] == 1.0


def test_transformer_uses_times_not_positions():
    """Shifting observations in time changes the output; re-indexing does not matter."""
    torch.manual_seed(0)
    net = TransformerNet(n_classes=2, d_model=16, head_hidden=(8,), dropout=0.0).eval()
    X = _windows([20], 30)
    X2 = X.copy()
    X2[0, :20, 0] *= 1.7  # same order and indices, other times
    with torch.no_grad():
        a = net(torch.as_tensor(X))
        b = net(torch.as_tensor(X2))
    assert not torch.allclose(a, b)


@pytest.mark.parametrize(
    "make",
    [
        lambda: CNNLSTM(n_classes=3, n_filters=4, hidden_size=8, n_conv=2),
        lambda: CNNLSTM(n_classes=3, n_filters=4, hidden_size=8, bidirectional=True, pool=1),
        lambda: TransformerNet(n_classes=3, d_model=16, head_hidden=(8,)),
        lambda: TransformerNet(n_classes=3, d_model=16, head="lstm", head_hidden=(8,)),
    ],
)
def test_sequence_padding_never_changes_the_output(make):
    torch.manual_seed(0)
    net = make().eval()
    X = _windows([200, 57, 3, 1, 120], 200)
    X300 = _pad(X, 300)
    Xg = _pad(_windows([200, 57, 3, 1, 120], 200), 300)
    Xg[:, 200:, :3] = 7.0e3  # garbage in padded rows (mask 0)
    Xg[1, 57:, 1] = np.nan
    with torch.no_grad():
        a = net(torch.as_tensor(X)).numpy()
        b = net(torch.as_tensor(X300)).numpy()
        c = net(torch.as_tensor(Xg)).numpy()
        e1 = net.embed(torch.as_tensor(X)).numpy()
        e2 = net.embed(torch.as_tensor(Xg)).numpy()
    assert np.all(np.isfinite(c))
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(a, c, atol=1e-6)
    np.testing.assert_allclose(e1, e2, atol=1e-6)


def test_sequence_padding_changes_output_when_mask_is_ignored():
    """Guard against a vacuous padding test: unmasked extra points do change things."""
    torch.manual_seed(0)
    net = CNNLSTM(n_classes=3, n_filters=4, hidden_size=8).eval()
    X = _windows([50], 60)
    X2 = X.copy()
    X2[0, 50:, 1] = 5.0
    X2[0, 50:, 3] = 1.0
    with torch.no_grad():
        assert not torch.allclose(net(torch.as_tensor(X)), net(torch.as_tensor(X2)))


def test_embed_is_masked_mean_of_encoder():
    torch.manual_seed(0)
    net = TransformerNet(n_classes=2, d_model=16, head_hidden=(8,)).eval()
    x = torch.as_tensor(_windows([10, 25], 30))
    with torch.no_grad():
        h = net.encoder(x)
        emb = net.embed(x)
    assert emb.shape == (2, 16)
    torch.testing.assert_close(emb[0], h[0, :10].mean(0))
    torch.testing.assert_close(emb[1], h[1, :25].mean(0))
    assert torch.all(h[0, 10:] == 0)


def test_encoder_attend_mask_excludes_keys():
    """Hiding an observation from the keys changes the others' outputs, not the padding."""
    torch.manual_seed(0)
    net = TransformerNet(n_classes=2, d_model=16, head_hidden=(8,), dropout=0.0).eval()
    x = torch.as_tensor(_windows([20], 24))
    attend = sequence_mask(x).clone()
    attend[0, 5] = False
    with torch.no_grad():
        full = net.encode(x)
        part = net.encode(x, attend)
        x2 = x.clone()
        x2[0, 5, 1] = 10.0  # the hidden observation's magnitude is not seen
        part2 = net.encode(x2, attend)
    assert not torch.allclose(full, part)
    idx = [i for i in range(20) if i != 5]
    torch.testing.assert_close(part[0, idx], part2[0, idx])


def test_masked_mean_and_empty_window():
    h = torch.arange(12.0).reshape(1, 4, 3)
    m = torch.tensor([[True, True, False, False]])
    torch.testing.assert_close(masked_mean(h, m), torch.tensor([[1.5, 2.5, 3.5]]))
    x = torch.zeros(1, 5, 4)  # no real observation at all
    assert sequence_mask(x).tolist() == [[True, False, False, False, False]]
    net = TransformerNet(n_classes=2, d_model=16, head_hidden=(8,)).eval()
    assert torch.all(torch.isfinite(net(x)))


@pytest.mark.parametrize("num_layers", [1, 2])
def test_last_hidden_equals_the_packed_sequence_state(num_layers):
    """The unpacked LSTM read at the last real step gives the packed LSTM's final state."""
    from torch.nn.utils.rnn import pack_padded_sequence

    from sklearn_lc.nn._modules import last_hidden

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 8, num_layers=num_layers, batch_first=True).eval()
    lengths = torch.tensor([30, 7, 1, 19])
    h = torch.randn(4, 30, 3)
    mask = torch.arange(30)[None, :] < lengths[:, None]
    h = torch.where(mask[..., None], h, torch.full_like(h, 1e3))  # loud padding
    with torch.no_grad():
        got = last_hidden(lstm, h, mask)
        packed = pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
        _, (hn, _) = lstm(packed)
    torch.testing.assert_close(got, hn[-1], rtol=1e-5, atol=1e-6)


def test_attention_dropout_reaches_every_block_and_the_saved_config():
    from sklearn_lc.transfer._encoder import build_encoder, encoder_config

    enc = AstromerEncoder(d_model=16, n_heads=2, n_blocks=3, attention_dropout=0.25)
    assert [b.self_attn.dropout for b in enc.blocks.layers] == [0.25] * 3
    assert all(b.self_attn.dropout == 0.0 for b in AstromerEncoder(16, 2).blocks.layers)
    cfg = encoder_config(enc)
    assert cfg["attention_dropout"] == 0.25 and cfg["dropout"] == 0.1
    again = build_encoder(**cfg)
    assert [b.self_attn.dropout for b in again.blocks.layers] == [0.25] * 3
    # in training mode it acts, and it is the only randomness when the other dropout is 0
    x = torch.as_tensor(_windows([20], 20))
    for p_att, differ in ((0.5, True), (0.0, False)):
        enc = AstromerEncoder(16, 2, dropout=0.0, attention_dropout=p_att).train()
        torch.manual_seed(0)
        a = enc(x)
        torch.manual_seed(1)
        b = enc(x)
        assert (not torch.allclose(a, b)) is differ


def test_mag_scale_multiplies_the_magnitudes_and_is_rebuilt_from_the_config():
    from sklearn_lc.nn import AstromerEncoder
    from sklearn_lc.transfer._encoder import build_encoder, encoder_config

    torch.manual_seed(0)
    x = torch.zeros(3, 20, 4)
    x[..., 0] = torch.rand(3, 20).sort(dim=1).values
    x[..., 1] = 0.1 * torch.randn(3, 20)
    x[..., 3] = 1.0
    scaled = AstromerEncoder(16, 2, 1, time_encoding="periodic", mag_scale=10.0).eval()
    plain = AstromerEncoder(16, 2, 1, time_encoding="periodic").eval()
    plain.load_state_dict(scaled.state_dict())  # no new tensor: same weights load
    x10 = x.clone()
    x10[..., 1] *= 10
    torch.testing.assert_close(scaled(x), plain(x10))
    assert not torch.allclose(scaled(x), plain(x))
    cfg = encoder_config(scaled)
    assert cfg["time_encoding"] == "periodic" and cfg["mag_scale"] == 10.0
    again = build_encoder(**cfg).eval()
    again.load_state_dict(scaled.state_dict())
    torch.testing.assert_close(again(x), scaled(x))
    # a time encoder's config keeps the keys it always had
    assert "mag_scale" not in encoder_config(AstromerEncoder(16, 2, 1))
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="mag_scale"):
            AstromerEncoder(16, 2, 1, mag_scale=bad)
