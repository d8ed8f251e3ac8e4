"""Training, saving and loading the full set of models (all models x both feature sets).

Models (``MODEL_SPECS``): BC-L and BC-S separate the ``BC_PAIR`` banks (r
against s); OCC-L and OCC-S are trained once per bank found in the data, so
a new bank (e.g. i) automatically gets its own one-class models. Every model
is trained for every feature set (Er, Pb and their subsets without Pr / Dy,
``features.FEATURE_SETS``) on the training split of the banks, with the
validation split as its evaluation set (it picks the kept epoch).

Training is full-batch on a few hundred patterns, so one CPU thread per
model is fastest (more threads only add overhead on matrices this small);
independent models run in ``n_jobs`` worker processes.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from .banks import BankConfig, Banks, build_banks
from .data import PACKAGE_DATA, DataTableError
from .features import FEATURE_SETS, pattern_features
from .models import OneClassProcessModel, ProcessClassifier

MODEL_SPECS: dict[str, dict] = {
    "BC-L": {"kind": "bc", "hidden": 25},
    "BC-S": {"kind": "bc", "hidden": 5},
    "OCC-L": {"kind": "occ", "hidden": (64, 32)},
    "OCC-S": {"kind": "occ", "hidden": (32, 16)},
}
BC_PAIR = ("r", "s")  # (positive, negative) banks of the binary classifiers
DEFAULT_MODELS_DIR = PACKAGE_DATA / "models"
MANIFEST = "manifest.json"
# Not ".pt": the repository ignores *.pt, and these files are shipped as package data.
MODEL_SUFFIX = ".torch"


@dataclass
class TrainSettings:
    """Optimisation settings shared by all models (epochs are reduced in tests)."""

    bc_epochs: int = 10000
    # The autoencoders keep their best-validation epoch; with 30,000 epochs that fell at
    # epochs 140-1520, so 4,000 leaves a wide margin at an eighth of the cost.
    occ_epochs: int = 4000
    lr: float = 1e-3
    nu: float = 0.05
    seed: int = 0
    # Feature sets to train (default: all; the tests train only the two base sets).
    feature_sets: tuple[str, ...] = tuple(FEATURE_SETS)


@dataclass
class ModelSuite:
    """Fitted models keyed ``"BC-L_Er"`` / ``"OCC-L_r_Er"``, with the banks they were trained on."""

    models: dict
    banks: Banks
    settings: TrainSettings
    info: dict = field(default_factory=dict)

    @property
    def feature_sets(self) -> list[str]:
        """Feature sets with trained models, in ``FEATURE_SETS`` order."""
        have = {key.rsplit("_", 1)[1] for key in self.models}
        return [f for f in FEATURE_SETS if f in have]

    @property
    def processes(self) -> list[str]:
        return self.banks.processes

    def bc(self, name: str, feature_set: str) -> ProcessClassifier:
        return self.models[f"{name}_{feature_set}"]

    def occ(self, name: str, process: str, feature_set: str) -> OneClassProcessModel:
        return self.models[f"{name}_{process}_{feature_set}"]

    def save(self, directory: str | Path) -> Path:
        """Write one file per model, ``banks.csv`` (patterns and split) and ``manifest.json``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for key, model in self.models.items():
            model.save(directory / f"{key}{MODEL_SUFFIX}")
        self.banks.patterns.to_csv(directory / "banks.csv", index=False)
        manifest = {
            "models": sorted(self.models),
            "bank_config": self.banks.config.to_dict(),
            "bank_log": self.banks.log,
            "settings": asdict(self.settings),
            "info": self.info,
        }
        (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, default=_json_default) + "\n")
        return directory

    @classmethod
    def load(cls, directory: str | Path | None = None) -> "ModelSuite":
        """Read a suite written by :meth:`save` (default: the models shipped with the package)."""
        directory = Path(directory) if directory is not None else DEFAULT_MODELS_DIR
        path = directory / MANIFEST
        if not path.is_file():
            raise DataTableError(
                f"no trained models in {str(directory)!r} (missing {MANIFEST}); "
                "run `python -m nnn.classifier train --out DIR` first"
            )
        manifest = json.loads(path.read_text())
        models = {}
        for key in manifest["models"]:
            cls_ = ProcessClassifier if key.startswith("BC") else OneClassProcessModel
            models[key] = cls_.load(directory / f"{key}{MODEL_SUFFIX}")
        config = manifest["bank_config"]
        config["thin_processes"] = tuple(config.get("thin_processes", ("r",)))
        banks = Banks(
            patterns=pd.read_csv(directory / "banks.csv", keep_default_na=True),
            config=BankConfig(**config),
            log=manifest["bank_log"],
        )
        settings = dict(manifest["settings"])
        if "feature_sets" in settings:
            settings["feature_sets"] = tuple(settings["feature_sets"])
        return cls(models=models, banks=banks, settings=TrainSettings(**settings), info=manifest["info"])


def _json_default(obj):
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    raise TypeError(f"not JSON serialisable: {type(obj)}")


def _worker_init() -> None:
    # One thread per model: full-batch steps on a few hundred rows gain nothing from more.
    torch.set_num_threads(1)


def _fit_job(key: str, estimator, X, y, eval_set):
    """Fit one estimator (runs in a worker process); returns (key, fitted, (wall s, CPU s))."""
    _worker_init()
    start, cpu = time.perf_counter(), time.process_time()
    if y is None:
        estimator.fit(X, eval_set=eval_set)
    else:
        estimator.fit(X, y, eval_set=eval_set)
    return key, estimator, (time.perf_counter() - start, time.process_time() - cpu)


def training_jobs(banks: Banks, settings: TrainSettings) -> list[tuple]:
    """(key, unfitted estimator, X_train, y_train or None, eval_set) for every model."""
    patterns = banks.patterns
    split = patterns["split"].to_numpy()
    process = patterns["process"].to_numpy().astype(str)
    jobs = []
    unknown = [f for f in settings.feature_sets if f not in FEATURE_SETS]
    if unknown:
        raise ValueError(f"unknown feature set(s) {unknown!r}; choose from {list(FEATURE_SETS)}")
    for fset in settings.feature_sets:
        X, usable = pattern_features(patterns, fset)
        train, val = usable & (split == "train"), usable & (split == "val")
        for name, spec in MODEL_SPECS.items():
            if spec["kind"] == "bc":
                pair = np.isin(process, BC_PAIR)
                est = ProcessClassifier(hidden=spec["hidden"], epochs=settings.bc_epochs, lr=settings.lr,
                                        positive=BC_PAIR[0], random_state=settings.seed)
                jobs.append((f"{name}_{fset}", est, X[train & pair], process[train & pair],
                             (X[val & pair], process[val & pair])))
            else:
                for proc in banks.processes:
                    own = process == proc
                    est = OneClassProcessModel(hidden=spec["hidden"], epochs=settings.occ_epochs, lr=settings.lr,
                                               nu=settings.nu, random_state=settings.seed)
                    jobs.append((f"{name}_{proc}_{fset}", est, X[train & own], None, X[val & own]))
    return jobs


def train_suite(data_dir=None, bank_config: BankConfig | None = None, settings: TrainSettings | None = None,
                n_jobs: int = 2, progress: bool = True) -> ModelSuite:
    """Build the banks and train every model; ``info`` records the wall-clock times (s)."""
    settings = settings or TrainSettings()
    start = time.perf_counter()
    banks = build_banks(data_dir, bank_config)
    jobs = training_jobs(banks, settings)
    # Longest jobs first so the workers finish together.
    jobs.sort(key=lambda j: -(j[1].epochs * (sum(j[1].hidden) if isinstance(j[1].hidden, tuple) else j[1].hidden)))
    models, seconds = {}, {}
    bar = tqdm(total=len(jobs), desc="training models", disable=not progress)
    if n_jobs <= 1:
        torch_threads = torch.get_num_threads()
        try:
            for key, est, X, y, ev in jobs:
                est.set_params(progress=progress)
                key, fitted, secs = _fit_job(key, est, X, y, ev)
                fitted.set_params(progress=False)
                models[key], seconds[key] = fitted, secs
                bar.update(1)
        finally:
            torch.set_num_threads(torch_threads)
    else:
        # fork (as torch's own DataLoader does on Linux; torch resets its thread pool in the child):
        # spawn would re-run a user's script in each worker unless it has a __main__ guard.
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        ctx = multiprocessing.get_context(method)
        with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as pool:
            futures = [pool.submit(_fit_job, *job) for job in jobs]
            for fut in as_completed(futures):
                key, fitted, secs = fut.result()
                models[key], seconds[key] = fitted, secs
                bar.set_postfix_str(key)
                bar.update(1)
    bar.close()
    # CPU seconds as well as wall-clock: on a shared machine the wall time depends on the load.
    info = {
        "train_seconds_total": round(time.perf_counter() - start, 2),
        "cpu_seconds_models": round(sum(v[1] for v in seconds.values()), 2),
        "train_seconds_per_model": {k: round(v[0], 2) for k, v in sorted(seconds.items())},
        "cpu_seconds_per_model": {k: round(v[1], 2) for k, v in sorted(seconds.items())},
        "n_jobs": n_jobs,
        "torch_version": torch.__version__,
    }
    return ModelSuite(models=dict(sorted(models.items())), banks=banks, settings=settings, info=info)
