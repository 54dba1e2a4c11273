import numpy as np
import pandas as pd
import pytest

from sklearn_lc.utils import (
    LightCurveError,
    LightCurveTypeError,
    check_light_curves,
    from_long_frame,
    to_padded_array,
)


def _curves():
    rng = np.random.RandomState(1)
    out = []
    for n in (5, 8, 4):
        t = np.sort(rng.uniform(0, 100, n))
        out.append((t, rng.normal(15, 1, n), rng.uniform(0.01, 0.1, n)))
    return out


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for u, v in zip(x, y):
            np.testing.assert_array_equal(u, v)
            assert u.dtype == np.float64


def test_every_input_form_round_trips():
    ref = check_light_curves(_curves())
    forms = {
        "tuples": [tuple(lc) for lc in _curves()],
        "lists": [list(map(list, lc)) for lc in _curves()],
        "tuple_of_tuples": tuple(tuple(lc) for lc in _curves()),
        "arrays_n3": [np.column_stack(lc) for lc in _curves()],
        "arrays_3n": [np.vstack(lc) for lc in _curves()],
        "object_array": np.array([np.column_stack(lc) for lc in _curves()], dtype=object),
        "dicts": [dict(time=t, mag=m, err=e) for t, m, e in _curves()],
        "frame": pd.DataFrame(
            {
                "time": [lc[0] for lc in _curves()],
                "mag": [lc[1] for lc in _curves()],
                "err": [lc[2] for lc in _curves()],
            }
        ),
        "padded": to_padded_array(_curves()),
    }
    for name, X in forms.items():
        _assert_same(check_light_curves(X), ref), name
    long = pd.DataFrame(
        [(f"s{i}", t, m, e) for i, lc in enumerate(_curves()) for t, m, e in zip(*lc)],
        columns=["id", "time", "mag", "err"],
    )
    lcs, ids = from_long_frame(long.sample(frac=1.0, random_state=0).sort_values("id"))
    _assert_same(lcs, ref)
    assert list(ids) == ["s0", "s1", "s2"]


def test_frame_custom_columns_and_missing_err():
    df = pd.DataFrame({"t": [np.array([2.0, 1.0])], "m": [np.array([5.0, 6.0])]})
    (t, m, e), = check_light_curves(df, columns=("t", "m", "e"))
    np.testing.assert_array_equal(t, [1.0, 2.0])
    np.testing.assert_array_equal(m, [6.0, 5.0])
    assert np.isnan(e).all()


def test_two_column_forms_give_nan_errors():
    out = check_light_curves([np.array([[0.0, 1.0], [1.0, 2.0], [2.0, 3.0], [3.0, 4.0]])])
    assert np.isnan(out[0][2]).all()
    np.testing.assert_array_equal(out[0][1], [1.0, 2.0, 3.0, 4.0])
    out = check_light_curves([np.array([[0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0]])])
    np.testing.assert_array_equal(out[0][1], [1.0, 2.0, 3.0, 4.0])


def test_sorting_within_star_and_order_of_stars():
    X = [([3.0, 1.0, 2.0], [30.0, 10.0, 20.0], [0.3, 0.1, 0.2]), ([9.0, 8.0], [1.0, 2.0])]
    out = check_light_curves(X)
    np.testing.assert_array_equal(out[0][0], [1, 2, 3])
    np.testing.assert_array_equal(out[0][1], [10, 20, 30])
    np.testing.assert_array_equal(out[0][2], [0.1, 0.2, 0.3])
    np.testing.assert_array_equal(out[1][1], [2.0, 1.0])


def test_duplicated_times_keep_their_order():
    out = check_light_curves([([1.0, 0.0, 1.0], [5.0, 4.0, 6.0])])
    np.testing.assert_array_equal(out[0][1], [4.0, 5.0, 6.0])


def test_integer_input_is_cast():
    out = check_light_curves([(np.arange(4), np.arange(4) * 2, np.ones(4, dtype=int))])
    assert out[0][0].dtype == np.float64


good = ([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [0.1, 0.1, 0.1])


@pytest.mark.parametrize(
    "bad, match",
    [
        (([0.0, np.nan, 2.0], [1.0, 2.0, 3.0]), "non-finite"),
        (([0.0, 1.0, 2.0], [1.0, np.inf, 3.0]), "non-finite"),
        (([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [0.1, np.inf, 0.1]), "non-finite"),
        (([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [0.1, -0.1, 0.1]), "negative error"),
        (([0.0, 1.0, 2.0], [1.0, 2.0]), "mismatched array lengths"),
        (([0.0, 1.0], [1.0, 2.0], [0.1, 0.1, 0.1]), "mismatched"),
        (np.zeros((3, 4, 5)), "must be 1-D|2-D|columns"),
        (np.zeros((4, 5)), "neither 2 nor 3 columns"),
        (([[0.0, 1.0]], [[1.0, 2.0]]), "must be 1-D"),
        (([0.0], [1.0], [0.1], [0.2]), "got a sequence of 4"),
        (5.0, "scalar"),
        (([], []), "fewer than min_points"),
    ],
)
def test_invalid_star_names_its_index(bad, match):
    with pytest.raises(ValueError, match=match) as exc:
        check_light_curves([good, good, bad])
    assert "light curve 2" in str(exc.value)


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "a string",
        (["a", "b"], [1.0, 2.0]),
        ([0.0, 1.0], [None, object()]),
        ([0.0, 1.0], np.array([1 + 1j, 2])),
    ],
)
def test_non_numeric_star_raises_type_error(bad):
    with pytest.raises(TypeError, match="light curve 1"):
        check_light_curves([good, bad])


@pytest.mark.parametrize("X", [None, "abc", 3.5, {1, 2}])
def test_non_collection_raises_type_error(X):
    with pytest.raises(TypeError):
        check_light_curves(X)


def test_non_numeric_padded_array_raises_type_error():
    with pytest.raises(TypeError):
        check_light_curves(np.array([[["a", "b"]]]))


def test_empty_collection_raises():
    with pytest.raises(ValueError, match="empty"):
        check_light_curves([])


def test_min_points_names_star():
    with pytest.raises(ValueError, match="light curve 1: has 2 valid point"):
        check_light_curves([good, ([0.0, 1.0], [1.0, 2.0])], min_points=3)


def test_drop_points_drops_points_never_stars():
    X = [good, ([0.0, np.nan, 2.0, 3.0], [1.0, 2.0, np.inf, 4.0], [0.1, 0.1, 0.1, np.inf])]
    out = check_light_curves(X, on_invalid="drop_points")
    assert len(out) == 2
    np.testing.assert_array_equal(out[1][0], [0.0])
    with pytest.raises(ValueError, match="light curve 1"):
        check_light_curves(X, on_invalid="drop_points", min_points=2)


def test_drop_points_still_refuses_negative_errors():
    X = [([0.0, 1.0], [1.0, 2.0], [0.1, -1.0])]
    with pytest.raises(ValueError, match="light curve 0: negative error"):
        check_light_curves(X, on_invalid="drop_points")


def test_bad_options():
    with pytest.raises(ValueError, match="on_invalid"):
        check_light_curves([good], on_invalid="ignore")
    with pytest.raises(ValueError, match="min_points"):
        check_light_curves([good], min_points=-1)


def test_padded_array_rules():
    X = to_padded_array([good, ([5.0], [1.0], [0.1])])
    assert X.shape == (2, 3, 3)
    out = check_light_curves(X)
    assert [len(lc[0]) for lc in out] == [3, 1]
    X[1, 0, 1] = np.nan  # a real point with a NaN magnitude is not padding
    with pytest.raises(ValueError, match="light curve 1: .*non-finite"):
        check_light_curves(X)
    with pytest.raises(ValueError, match="3-D"):
        check_light_curves(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="2\\|3"):
        check_light_curves(np.zeros((4, 3, 5)))


def test_frame_errors():
    with pytest.raises(ValueError, match="missing"):
        check_light_curves(pd.DataFrame({"a": [1]}))
    long = pd.DataFrame({"time": [0.0, 1.0], "mag": [1.0, 2.0]})
    with pytest.raises(ValueError, match="from_long_frame"):
        check_light_curves(long)
    bad = pd.DataFrame({"time": [np.array([0.0, 1.0])], "mag": [np.array(["x", "y"])]})
    with pytest.raises(TypeError, match="light curve 0"):
        check_light_curves(bad)


def test_from_long_frame_first_seen_order_and_errors():
    df = pd.DataFrame(
        {
            "star": [7, 3, 7, 3, 9],
            "mjd": [2.0, 1.0, 1.0, 0.0, 4.0],
            "m": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    lcs, ids = from_long_frame(df, id="star", time="mjd", mag="m", err=None)
    assert ids.tolist() == [7, 3, 9]
    np.testing.assert_array_equal(lcs[0][0], [1.0, 2.0])
    np.testing.assert_array_equal(lcs[0][1], [3.0, 1.0])
    assert np.isnan(lcs[2][2]).all()
    with pytest.raises(ValueError, match="missing column"):
        from_long_frame(df)
    df.loc[4, "m"] = np.nan
    with pytest.raises(ValueError, match="light curve 2"):
        from_long_frame(df, id="star", time="mjd", mag="m")
    with pytest.raises(TypeError):
        from_long_frame([1, 2, 3])


def test_revalidation_is_identity_and_pickles():
    import pickle

    out = check_light_curves([good])
    assert check_light_curves(out) is out
    back = pickle.loads(pickle.dumps(out))
    _assert_same(back, out)
    # a stricter second call still checks
    with pytest.raises(ValueError, match="min_points"):
        check_light_curves(out, min_points=5)


@pytest.mark.parametrize("shape", [(3, 3), (3, 2), (2, 3), (2, 2)])
def test_arrays_with_both_sides_2_or_3_are_ambiguous(shape):
    # (3, 2) is 3 points of (t, m) or (t, m, err) rows of 2 points: refused, never guessed
    a = np.arange(float(np.prod(shape))).reshape(shape)
    with pytest.raises(LightCurveError, match=r"light curve 1: an array of shape") as exc:
        check_light_curves([good, a])
    assert exc.value.index == 1
    assert str(shape) in str(exc.value) and "(t, m, err) tuple" in str(exc.value)
    # the layouts that are not ambiguous are still read; a tuple says it exactly
    (t, m, _), = check_light_curves([tuple(a)])
    np.testing.assert_array_equal(t, a[0])
    np.testing.assert_array_equal(m, a[1])
    for n in (1, 4, 7):
        rows = np.column_stack([np.arange(n) * 1.0, np.ones(n), np.full(n, 0.1)])
        (t, _, e), = check_light_curves([rows])
        assert t.size == n and np.all(e == 0.1)
        (t, _, e), = check_light_curves([rows.T])
        assert t.size == n and np.all(e == 0.1)


def test_padded_input_with_two_or_three_points_per_star():
    # padded stars become (t, m, err) tuples internally, so short stars are not ambiguous
    X = to_padded_array([good, ([5.0, 6.0], [1.0, 2.0], [0.1, 0.2])])
    out = check_light_curves(X)
    np.testing.assert_array_equal(out[1][0], [5.0, 6.0])
    np.testing.assert_array_equal(out[1][2], [0.1, 0.2])


def test_error_carries_the_index_and_pickles():
    import pickle

    with pytest.raises(LightCurveError) as exc:
        check_light_curves([good, good, ([0.0, 1.0], [1.0, np.nan])])
    err = exc.value
    assert (err.index, err.star, err.source) == (2, None, None)
    assert isinstance(err, ValueError) and "non-finite" in err.problem
    back = pickle.loads(pickle.dumps(err.located(star="4099", source="x.csv")))
    assert type(back) is LightCurveError and back.index == 2
    assert str(back) == f"x.csv: star 4099: {err.problem}"
    with pytest.raises(LightCurveTypeError) as exc:
        check_light_curves([good, (["a", "b"], [1.0, 2.0])])
    assert isinstance(exc.value, TypeError) and exc.value.index == 1
    back = pickle.loads(pickle.dumps(exc.value))
    assert type(back) is LightCurveTypeError and back.index == 1
    # ids print plainly, whatever their type
    assert "star 4099:" in str(LightCurveError(0, "p", star=np.int64(4099), source="f"))


def test_from_long_frame_error_names_the_star():
    df = pd.DataFrame({"id": ["a", "a", "b", "b"], "time": [0.0, 1.0, 0.0, 1.0],
                       "mag": [1.0, 2.0, np.nan, 2.0]})
    with pytest.raises(LightCurveError, match=r"light curve 1 \(star b\): 1 non-finite") as exc:
        from_long_frame(df)
    assert exc.value.index == 1 and exc.value.star == "b"


@pytest.mark.parametrize("X", [{"a": good, "b": good}, {"time": good[0], "mag": good[1]}])
def test_dict_collection_says_what_to_pass(X):
    with pytest.raises(TypeError, match=r"got a dict: .*(list\(d.values\(\)\)|\[your_dict\])"):
        check_light_curves(X)


def test_masked_points_are_never_data():
    t = np.ma.array([0.0, 1.0, 2.0, 3.0], mask=[0, 0, 1, 0])
    m = np.ma.array([10.0, 999.0, 11.0, 12.0], mask=[0, 1, 0, 0])
    e = np.ma.array([0.1, 0.1, 0.1, -5.0], mask=[0, 0, 0, 1])  # masked negative error: missing
    with pytest.raises(LightCurveError, match=r"light curve 1: 2 non-finite") as exc:
        check_light_curves([good, (t, m, e)])
    assert "drop_points" in str(exc.value)
    (tt, mm, ee), = check_light_curves([(t, m, e)], on_invalid="drop_points")
    np.testing.assert_array_equal(tt, [0.0, 3.0])
    np.testing.assert_array_equal(mm, [10.0, 12.0])
    assert ee[0] == 0.1 and np.isnan(ee[1])
    # a masked (n, 3) array and a masked padded 3-D array follow the same rule
    arr = np.ma.column_stack([t, m, e])
    (tt, mm, _), = check_light_curves([arr], on_invalid="drop_points")
    np.testing.assert_array_equal(mm, [10.0, 12.0])
    padded = np.ma.masked_invalid(to_padded_array([good, ([5.0], [1.0], [0.1])]))
    padded[0, 1, 1] = np.ma.masked
    with pytest.raises(LightCurveError, match="light curve 0"):
        check_light_curves(padded)
    out = check_light_curves(padded, on_invalid="drop_points")
    assert [lc[0].size for lc in out] == [2, 1]
    assert 999.0 not in np.concatenate([lc[1] for lc in out])
    # the data under the mask are not read, even when the mask hides a string-free NaN
    clean = np.ma.array([0.0, 1.0, 2.0], mask=False)
    (tt, _, _), = check_light_curves([(clean, clean, clean)])
    np.testing.assert_array_equal(tt, [0.0, 1.0, 2.0])


def test_max_points_names_star():
    big = (np.arange(10.0), np.ones(10))
    with pytest.raises(ValueError, match="light curve 1: has 10 points, more than max_points=5"):
        check_light_curves([good, big], max_points=5)
    out = check_light_curves([good, big], max_points=10)
    assert check_light_curves(out, max_points=20) is out
    with pytest.raises(ValueError, match="more than max_points"):
        check_light_curves(out, max_points=5)
    with pytest.raises(ValueError, match="max_points must be"):
        check_light_curves([good], max_points=0)


def test_nan_errors_with_negative_values_still_refused():
    with pytest.raises(ValueError, match="light curve 0: negative error"):
        check_light_curves([([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [np.nan, -0.1, 0.1])])
