"""One home, one name, one definition (issue 12, section 7).

- the emulator's Python lives in ``nnn.emulate``; ``nnn.generate``, ``nnn.train``,
  ``nnn.pipeline``, ``nnn.evaluate`` and ``nnn.Emulator`` are thin entry points to it;
- every class of the package has its own name, and only the Python runtime is ``Emulator``
  (libnnn's class and its binding are ``Runtime``);
- defaults and the training domain have one definition, and what Python shows as a default
  is what the C++ side uses (read through the bindings, not re-typed);
- a model file's metadata is decoded by one function, once per load.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import nnn
from nnn import _core
from nnn.emulate import dataset as ds
from nnn.emulate import model_file
from nnn.emulate import sampling as sp

PKG = Path(nnn.__file__).parent
ROOT = Path(__file__).resolve().parents[2]


def _py_files():
    return sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def _code(path: Path) -> str:
    """The source without comments and prose (docstrings and messages may quote numbers);
    strings without blanks (dict keys such as "rtol") are kept."""
    import io
    import tokenize

    toks = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    return " ".join(t.string for t in toks if t.type != tokenize.COMMENT and not (
        t.type == tokenize.STRING and any(c.isspace() for c in t.string)))


def _emulator_module():
    from nnn.emulate import runtime

    if not runtime.has_libtorch():
        pytest.skip("nnn was built without libtorch")
    from nnn import _emulator

    return _emulator


# ------------------------------------------------------------------ one home

@pytest.mark.parametrize("shim, home, names", [
    ("generate", "generate", ("main", "generate")),
    ("train", "train", ("main", "train")),
    ("pipeline", "pipeline", ("main", "run")),
    ("evaluate", "evaluate", ("main", "evaluate")),
])
def test_command_modules_are_thin_entry_points(shim, home, names):
    import importlib

    top = importlib.import_module(f"nnn.{shim}")
    impl = importlib.import_module(f"nnn.emulate.{home}")
    for n in names:
        assert getattr(top, n) is getattr(impl, n)
    src = (PKG / f"{shim}.py").read_text()
    assert len(src.splitlines()) <= 10, f"nnn/{shim}.py should only forward to nnn.emulate.{home}"
    assert not [n for n in ast.walk(ast.parse(src)) if isinstance(n, (ast.FunctionDef,
                                                                        ast.ClassDef))]


def test_nnn_emulator_is_the_runtime_class():
    from nnn.emulate.runtime import Emulator

    assert nnn.Emulator is Emulator
    assert not (PKG / "emulator.py").exists(), "the runtime wrapper lives in nnn/emulate/runtime.py"


# ------------------------------------------------------------------ one name per class

def test_class_names_are_unique_in_the_package():
    where = {}
    for p in _py_files():
        for node in ast.walk(ast.parse(p.read_text(), str(p))):
            if isinstance(node, ast.ClassDef):
                where.setdefault(node.name, []).append(str(p.relative_to(PKG)))
    dup = {k: v for k, v in where.items() if len(v) > 1}
    assert not dup, f"classes defined more than once: {dup}"
    assert where["Emulator"] == ["emulate/runtime.py"]
    assert where["BurnStepNet"] == ["emulate/model.py"]       # the torch module
    assert where["LoadedModel"] == ["emulate/model.py"]       # a scripted model in Python
    assert where["DatasetSpec"] == ["emulate/dataset.py"]     # a training set's settings


def test_cpp_layers_are_not_called_emulator():
    em = _emulator_module()
    assert hasattr(em, "Runtime") and not hasattr(em, "Emulator")
    hdr = (ROOT / "src/cpp/emulator/emulator.hpp").read_text()
    assert re.search(r"^class Runtime \{", hdr, re.M)
    assert not re.search(r"^class Emulator\b", hdr, re.M)


# ------------------------------------------------------------------ one definition

def test_runtime_burn_defaults_are_the_engines():
    from nnn.emulate.runtime import Emulator

    d = _core.DEFAULTS
    for method in (Emulator.burn, Emulator.burn_batch):
        par = inspect.signature(method).parameters
        assert par["rtol"].default == d["rtol"] and par["atol"].default == d["atol"]
        assert par["max_steps"].default == d["max_steps"]
        assert par["integrator"].default == d["integrator"]


def test_runtime_settings_are_libnnn_config():
    """The C header documents each setting's default in brackets; they and Python's
    default_config() are libnnn's Config (nnn_emulator_default_config is checked against
    default_config() in tests/emulator/test_emulator_c.py)."""
    _emulator_module()
    from nnn.emulate.runtime import default_config

    cfg = default_config()
    hdr = (ROOT / "include/nnn_emulator.h").read_text()
    block = hdr[hdr.index("typedef struct nnn_emulator_config"):]
    block = block[:block.index("} nnn_emulator_config;")]
    doc = {m[1]: float(m[2]) for m in re.finditer(
        r"^\s*(?:double|int)\s+(\w+);.*\[([-+0-9.e]+)\]", block, re.M)}
    doc["threads"] = doc.pop("torch_threads")
    assert set(doc) == set(cfg)
    for k, v in doc.items():
        assert float(cfg[k]) == v, f"{k}: include/nnn_emulator.h says {v}, libnnn {cfg[k]}"


def test_documented_runtime_defaults_are_libnnns():
    """docs/emulator_runtime.md's settings table shows libnnn's Config values."""
    _emulator_module()
    from nnn.emulate.runtime import default_config

    cfg = default_config()
    text = (ROOT / "docs/emulator_runtime.md").read_text()
    table = text[text.index("| setting (Python / C) | default | meaning |"):]
    seen = set()
    for row in table.splitlines()[2:]:
        if not row.startswith("|"):
            break
        cells = [c.strip() for c in row.strip("|").split("|")]
        names = [n for n in re.findall(r"`(\w+)`", cells[0]) if n != "torch_threads"]
        values = [v.split()[0] for v in cells[1].split(",")]
        assert len(names) == len(values), row
        for n, v in zip(names, values):
            want = {"on": True, "off": False}.get(v, v)
            assert cfg[n] == (want if isinstance(want, bool) else float(want)), (n, v, cfg[n])
            seen.add(n)
    assert seen == set(cfg)


def test_model_format_names_are_libnnns():
    em = _emulator_module()
    assert model_file.FORMAT == em.FORMAT
    assert model_file.META_NAME == em.META_NAME


def test_generation_defaults_have_one_definition():
    from nnn.emulate.generate import DEFAULT_N_SAMPLES, build_parser, generate

    spec = ds.DatasetSpec
    par = inspect.signature(generate).parameters
    cli = build_parser().parse_args(["--out", "x.h5"])
    for field, arg, opt in (("seed", "seed", "seed"), ("logT_range", "logT_range", "logT"),
                            ("logrho_range", "logrho_range", "logrho"),
                            ("ye_range", "ye_range", "ye"), ("frac_broad", "frac_broad",
                                                             "frac_broad"),
                            ("n_random_times", "n_random_times", "n_random_times"),
                            ("rtol", "rtol", "rtol"), ("atol", "atol", "atol"),
                            ("chunk_size", "chunk_size", "chunk_size")):
        want = getattr(spec, field)
        assert par[arg].default == want, arg
        assert getattr(cli, opt) == want, opt
    assert par["n_samples"].default == cli.n_samples == DEFAULT_N_SAMPLES
    assert par["network"].default == cli.network == ds.DEFAULT_NETWORK
    # the training domain: sampling.py's, and the evaluation's test domain is the same
    assert (spec.logT_range, spec.logrho_range, spec.ye_range) == \
        (sp.LOGT_RANGE, sp.LOGRHO_RANGE, sp.YE_RANGE)
    from nnn.emulate import evaluate as ev

    assert ev.DOMAIN == {"logT": sp.LOGT_RANGE, "logrho": sp.LOGRHO_RANGE, "Ye": sp.YE_RANGE}
    assert ev.GENERATION_TOL == {"rtol": spec.rtol, "atol": spec.atol}
    assert ev.TARGET_TOL == {"rtol": _core.DEFAULTS["rtol"], "atol": _core.DEFAULTS["atol"]}


def test_evaluate_and_train_cli_defaults_are_the_functions():
    from nnn.emulate import evaluate as ev
    from nnn.emulate import train as tr

    par = inspect.signature(ev.evaluate).parameters
    a = ev.build_parser().parse_args(["--out", "o"])
    assert a.network == par["network"].default == ds.DEFAULT_NETWORK
    assert a.n_test == par["n_test"].default and a.threads == par["n_threads"].default
    assert a.small_net == par["small_net"].default
    par = inspect.signature(tr.train).parameters
    a = tr.build_parser().parse_args(["--data", "d", "--out", "o"])
    for k, v in tr.DEFAULTS.items():
        assert par[k].default == v and getattr(a, k) == v, k


def test_domain_and_engine_defaults_are_not_retyped():
    """The literals of the training domain live in sampling.py only, and no emulator module
    re-types the engine's burn defaults (500000 steps, rtol 1e-8 / atol 1e-12) in code."""
    domain = [re.compile(r"\(\s*%s\s*,\s*%s\s*\)" % tuple(re.escape(repr(float(v))) for v in r))
              for r in (sp.LOGT_RANGE, sp.LOGRHO_RANGE, sp.YE_RANGE)]
    engine = re.compile(r"\b500_?000\b|rtol\W{1,8}1e-0?8\b|atol\W{1,8}1e-12\b")
    found = []
    for p in _py_files():
        rel = str(p.relative_to(PKG))
        code = _code(p)
        if rel != "emulate/sampling.py":
            found += [f"{rel}: {r.pattern}" for r in domain if r.search(code)]
        if rel.startswith("emulate/") or rel in ("generate.py", "train.py", "pipeline.py",
                                                  "evaluate.py"):
            found += [f"{rel}: {m.group(0)!r}" for m in engine.finditer(code)]
    assert not found, found


def test_shipped_models_carry_the_training_domain():
    """The shipped models' domain (what libnnn reads) is sampling.py's and the generation
    times' range; the metadata read without torch (model_file) matches."""
    import math

    for net in ("mesa_80", "mesa_151"):
        meta = model_file.read_metadata(model_file.shipped_model_path(net))
        d = meta["domain"]
        assert tuple(d["logT"]) == sp.LOGT_RANGE and tuple(d["logrho"]) == sp.LOGRHO_RANGE
        assert tuple(d["Ye"]) == sp.YE_RANGE
        assert d["logdt"] == pytest.approx([math.log10(ds.DEFAULT_TIMES[0]),
                                            math.log10(ds.DEFAULT_TIMES[-1])], abs=1e-12)


# ------------------------------------------------------------------ metadata read once

def test_metadata_is_decoded_once_per_load(monkeypatch):
    """Every reader goes through model_file.parse_metadata, once per load: the runtime
    (with and without a network given), the training tools' load_model."""
    calls = []
    real = model_file.parse_metadata

    def counting(text, source="model"):
        calls.append(source)
        return real(text, source)

    monkeypatch.setattr(model_file, "parse_metadata", counting)
    path = model_file.shipped_model_path("mesa_80")
    from nnn.emulate.model import load_model

    lm = load_model(path)
    assert len(calls) == 1 and lm.meta["network"] == "mesa_80"
    _emulator_module()
    for network in (None, "mesa_80"):
        calls.clear()
        em = nnn.Emulator.load(path, network=network)
        assert len(calls) == 1, (network, calls)
        assert em.meta == lm.meta


def test_metadata_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pt.*does not exist"):
        model_file.read_metadata(tmp_path / "nope.pt")
    with pytest.raises(model_file.ModelFileError, match="is a directory"):
        model_file.read_metadata(tmp_path)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a zip")
    with pytest.raises(model_file.ModelFileError, match="bad.pt.*not a TorchScript model file"):
        model_file.read_metadata(bad)
    for text, words in (("", "has no nnn_meta.json"), ("[1]", "not a JSON object"),
                        ("{", "not valid JSON"),
                        ('{"format": "nnn-emulator-1"}', "retrain it with python -m nnn.train"),
                        ('{"format": "other"}', "format 'other', expected 'nnn-emulator-2'")):
        with pytest.raises(model_file.ModelFileError, match=re.escape(words)):
            model_file.parse_metadata(text, "'m.pt'")
