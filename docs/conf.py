"""Sphinx configuration of the sklearn_lc documentation.

Build: ``make -C docs html`` (warnings are errors). The API page is generated
here from ``sklearn_lc.__all__``; the benchmark page includes the committed
``benchmarks/results/*.md`` tables.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import shutil
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")

import sklearn_lc  # noqa: E402

project = "sklearn_lc"
author = "sklearn_lc developers"
copyright = "2026, sklearn_lc developers"  # noqa: A001
release = sklearn_lc.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "examples", "**.ipynb_checkpoints",
                    "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip",
                    "auto_examples/*.md5", "auto_examples/*.codeobj.json"]
templates_path = ["_templates"]
html_static_path = []
nitpicky = False

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_lc {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": False,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"**": ["sidebar-nav-bs"]}

myst_enable_extensions = []
suppress_warnings = ["myst.header", "myst.xref_missing", "myst.xref_ambiguous", "config.cache"]


def _have_data() -> bool:
    from sklearn_lc.datasets import get_data_home

    return any((d / "crts_drake14" / "crts_drake14.npz").is_file() for d in get_data_home())


sphinx_gallery_conf = {
    "examples_dirs": ["examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "doc_module": ("sklearn_lc",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sklearn_lc": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "plot_gallery": "True",
    "abort_on_example_error": True,
}


# --------------------------------------------------------------------------- generated pages

def _kind(obj) -> str:
    from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin

    if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
        if issubclass(obj, ClassifierMixin):
            return "Classifiers"
        if issubclass(obj, TransformerMixin):
            return "Transformers"
        if hasattr(obj, "fit_resample"):
            return "Samplers"
        return "Other estimators"
    if inspect.isclass(obj):
        return "Other classes"
    return "Functions"


ORDER = ("Transformers", "Classifiers", "Samplers", "Other estimators", "Other classes",
         "Functions")


API_HEAD = """API reference
=============

Everything exported by :mod:`sklearn_lc` (its ``__all__``), generated from the
docstrings. Estimators follow the scikit-learn API: parameters are set in the
constructor, ``fit`` learns, fitted attributes end with ``_``.

"""

API_TAIL = """Utilities
---------

.. currentmodule:: sklearn_lc

.. autosummary::
   :toctree: .
   :nosignatures:

   utils.to_padded_array
   utils.LightCurveError
   utils.LightCurveTypeError
   sampling.leaked_duplicates
   datasets.get_data_home

Reading files
-------------

.. currentmodule:: sklearn_lc

.. autosummary::
   :toctree: .
   :nosignatures:

   io.read_light_curves
   io.iter_long_table
   io.read_input
   io.light_curve_digests

Period search
-------------

:mod:`sklearn_lc.periodogram` (see :doc:`../user_guide/periods`).

.. currentmodule:: sklearn_lc.periodogram

.. autosummary::
   :toctree: .
   :nosignatures:

   best_period
   best_period_multiband
   find_periods
   best_frequency
   PeriodResult
   gls_power
   ls_power
   ls_best_frequency
   ls_grid
   fft_backend

{dask_section}Plotting
--------

:mod:`sklearn_lc.plot` needs matplotlib (``pip install "sklearn_lc[plot]"``).

.. currentmodule:: sklearn_lc.plot

.. autosummary::
   :toctree: .
   :nosignatures:

   plot_light_curve
   estimate_period
   plot_dmdt
   plot_class_medians
   plot_confusion_matrix
   plot_f1_bars
   plot_history

Model directories
-----------------

The functions behind ``sklearn-lc train``, ``predict`` and ``evaluate`` (see
:doc:`../cli` and :doc:`../user_guide/persistence`).

.. currentmodule:: sklearn_lc

.. autosummary::
   :toctree: .
   :nosignatures:

   model_io.save_model
   model_io.load_model
   model_io.read_model_config
   recipes.build_model
   recipes.allowed_classes

Transfer weights
----------------

.. currentmodule:: sklearn_lc

.. autosummary::
   :toctree: .
   :nosignatures:

   transfer.save_weights
   transfer.shipped_weights
"""


DASK_SECTION = """Dask
----

:mod:`sklearn_lc.dask` needs the ``dask`` extra (``pip install "sklearn_lc[dask]"``).

.. currentmodule:: sklearn_lc

.. autosummary::
   :toctree: .
   :nosignatures:

   dask.map_transform
   dask.ParallelPostFit

"""


def _write_if_changed(out: Path, text: str) -> Path:
    out.parent.mkdir(exist_ok=True)
    if not out.is_file() or out.read_text() != text:
        out.write_text(text)
    return out


def write_api_page() -> Path:
    """Write ``generated/api.rst``: an autosummary of everything in ``__all__``."""
    groups: dict[str, list[str]] = {}
    for name in sorted(sklearn_lc.__all__, key=str.lower):
        if name.startswith("_"):
            continue
        obj = getattr(sklearn_lc, name)
        groups.setdefault(_kind(obj), []).append(name)
    lines = [API_HEAD]
    for kind in ORDER:
        names = groups.get(kind)
        if not names:
            continue
        lines += [kind, "-" * len(kind), "", ".. currentmodule:: sklearn_lc", "",
                  ".. autosummary::", "   :toctree: .", "   :nosignatures:", ""]
        lines += [f"   {n}" for n in names]
        lines.append("")
    dask_section = ""
    if importlib.util.find_spec("dask") is not None:
        dask_section = DASK_SECTION
    lines.append(API_TAIL.replace("{dask_section}", dask_section))
    return _write_if_changed(HERE / "generated" / "api.rst", "\n".join(lines))


def write_benchmarks() -> Path:
    """Write ``generated/benchmarks.rst`` including every ``benchmarks/results/*.md``."""
    results = sorted((ROOT / "benchmarks" / "results").glob("*.md"))
    lines = []
    if not results:
        lines += ["No benchmark results are committed yet.", ""]
    # the suite's reports: "suite" (every pipeline), "suite_robust" (rows rerun with the
    # robust period search, FeatureExtractor's default since 0.2)
    for suite in sorted((ROOT / "benchmarks" / "results").glob("suite*")):
        if not (suite / "suite_summary.md").is_file():
            continue
        lines += [f".. include:: ../benchmarks/results/{suite.name}/suite_summary.md",
                  "   :parser: myst_parser.sphinx_", ""]
        for png in sorted(suite.glob("*.png")):
            target = HERE / "generated" / f"{suite.name}_{png.name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(png, target)
            lines += [f".. image:: /generated/{suite.name}_{png.name}", "   :width: 600px", ""]
    for md in results:
        lines += [f".. include:: ../benchmarks/results/{md.name}",
                  "   :parser: myst_parser.sphinx_", ""]
    return _write_if_changed(HERE / "generated" / "benchmarks.inc", "\n".join(lines) + "\n")


write_api_page()
write_benchmarks()
