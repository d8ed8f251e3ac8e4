"""Chunked, resumable HDF5 storage of emulator training sets.

While a set is generated, its state lives in ``OUT.parts/`` next to the final file ``OUT``:

* ``spec.json``  -- every setting that determines the samples (network + file hash, n, seed,
  ranges, times, tolerances, chunk size); a restart with different settings is refused;
* ``inputs.h5``  -- all inputs, drawn once at the start (deterministic from the seed);
* ``chunk_NNNNNN.h5`` -- the outputs of one finished chunk.  Each is written to a ``.tmp``
  name and renamed atomically, so a killed run leaves only whole chunks behind.

When all chunks exist they are consolidated into ``OUT`` (again via a temporary name and an
atomic rename) and ``OUT.parts/`` is removed.  Layout of the final file::

    /times                      (n_fixed,)            the fixed output times [s] (9, 1e-6..100)
    /outputs/t                  (n, n_times)          each sample's output times [s]: the fixed
                                                      ones plus ``n_random_times`` log-uniform in
                                                      ``dt_range``, drawn per chunk, merged, sorted
    /inputs/logT, /inputs/logrho (n,)                 log10 T [K], log10 rho [g/cm3]
    /inputs/X0                  (n, n_iso)            initial mass fractions
    /inputs/Ye0                 (n,)
    /inputs/family              (n,) int8             0 = broad mixture, 1 = Si-burning-dominated
    /outputs/X                  (n, n_times, n_iso)   mass fractions at each time t
    /outputs/eps_nuc            (n, n_times)          erg/g released over [0, t_k]
    /outputs/eps_nu             (n, n_times)          erg/g/s neutrino loss averaged over [0, t_k]
    /outputs/Ye                 (n, n_times)
    /outputs/n_steps, /outputs/status (n,)            integrator steps and status (0 = ok)

Every output time of a sample is a training pair (X0 -> X(t)) for the one model that takes
log10 dt as an input: 9 + 8 = 17 pairs per integration by default.

Root attributes: ``format`` ("nnn-dataset-2"), ``network``, ``network_hash``, ``isotopes``,
``A``, ``Z``, ranges, ``seed``, ``nnn_version``, ``rtol``/``atol``, ``n_failed``, timings.
Failed samples (status != 0) are kept; the trainer skips them and says how many.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import h5py
import numpy as np

from nnn.emulate import sampling as sp

FORMAT = "nnn-dataset-2"
#: The network whose training sets (and emulator) the tools make unless told otherwise.
DEFAULT_NETWORK = "mesa_80"
#: The fixed output times (s) of every sample: 9 log-spaced, 1e-6 .. 100 s (the paper's dt).
DEFAULT_TIMES = tuple(float(t) for t in np.logspace(-6, 2, 9))
#: samples that share their random output times (one burn_batch call)
TIME_BLOCK = 64


@dataclass
class DatasetSpec:
    """Every setting that determines a training set; its field defaults are the one
    definition of the generation defaults (``nnn.emulate.generate`` and its command line
    take them from here)."""

    network: str
    network_hash: str
    isotopes: list
    A: list
    Z: list
    n_samples: int
    seed: int = 0
    logT_range: tuple = sp.LOGT_RANGE
    logrho_range: tuple = sp.LOGRHO_RANGE
    ye_range: tuple = sp.YE_RANGE
    frac_broad: float = sp.FRAC_BROAD
    times: tuple = DEFAULT_TIMES
    n_random_times: int = 8
    dt_range: tuple = None  # (first, last) of ``times`` unless given
    rtol: float = 1e-6   # generation tolerances (the evaluation's noise floor uses them too)
    atol: float = 1e-10
    chunk_size: int = 64
    nnn_version: str = field(default="", compare=False)

    def __post_init__(self):
        if self.dt_range is None:
            self.dt_range = (float(min(self.times)), float(max(self.times)))

    def key(self) -> dict:
        """The settings that must match for a restart to continue the same set."""
        d = asdict(self)
        d.pop("nnn_version")
        return json.loads(json.dumps(d))

    @property
    def n_chunks(self) -> int:
        return (self.n_samples + self.chunk_size - 1) // self.chunk_size

    def chunk_slice(self, i: int) -> slice:
        return slice(i * self.chunk_size, min((i + 1) * self.chunk_size, self.n_samples))

    def sample_times(self, sl: slice) -> np.ndarray:
        """Output times (s) of samples ``sl`` (c, n_times): the fixed times plus
        ``n_random_times`` drawn log-uniformly in ``dt_range``, sorted.  Random times train the
        model between the fixed ones (any dt, continuously).  They are drawn per block of
        ``TIME_BLOCK`` consecutive samples (deterministic from the seed and the block, so the
        set does not depend on the chunk size): the engine's ``times=`` is shared by one
        ``burn_batch`` call, and a block is one call."""
        lo, hi = np.log10(self.dt_range[0]), np.log10(self.dt_range[1])
        out = np.empty((sl.stop - sl.start, self.n_times))
        for b in range(sl.start // TIME_BLOCK, (sl.stop - 1) // TIME_BLOCK + 1):
            rng = np.random.default_rng([self.seed, 20251203, b])
            extra = 10.0 ** rng.uniform(lo, hi, int(self.n_random_times))
            t = np.sort(np.concatenate([self.times, extra]))
            a, z = max(sl.start, b * TIME_BLOCK), min(sl.stop, (b + 1) * TIME_BLOCK)
            out[a - sl.start:z - sl.start] = t
        return out

    @property
    def n_times(self) -> int:
        return len(self.times) + int(self.n_random_times)


def parts_dir(out) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".parts")


def _atomic_h5(path: Path):
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        tmp.unlink()
    return tmp


def start_or_resume(out, spec: DatasetSpec, make_inputs, overwrite=False):
    """Create ``OUT.parts`` (calling ``make_inputs()`` -> dict of arrays) or check that the
    existing one was started with the same settings.  Returns the list of finished chunks."""
    out = Path(out)
    pdir = parts_dir(out)
    if out.exists() and not overwrite:
        raise FileExistsError(f"dataset {str(out)!r} already exists (pass --overwrite to "
                              "replace it)")
    if overwrite:
        if pdir.exists():
            shutil.rmtree(pdir)
        if out.exists():
            out.unlink()
    spec_file = pdir / "spec.json"
    if pdir.exists() and spec_file.exists():
        old = json.loads(spec_file.read_text())
        new = spec.key()
        diff = [k for k in new if old.get(k) != new[k]]
        if diff:
            k = diff[0]
            raise ValueError(f"cannot resume {str(out)!r}: setting {k!r} was {old.get(k)!r} "
                             f"when the run started and is {new[k]!r} now (use the same "
                             "settings, or --overwrite to start again)")
    else:
        pdir.mkdir(parents=True, exist_ok=True)
    inp = pdir / "inputs.h5"
    if not inp.exists():
        arrays = make_inputs()
        tmp = _atomic_h5(inp)
        with h5py.File(tmp, "w") as f:
            for k, v in arrays.items():
                f.create_dataset(k, data=v)
        os.replace(tmp, inp)
    if not spec_file.exists():
        tmp = spec_file.with_name("spec.json.tmp")
        tmp.write_text(json.dumps(asdict(spec), indent=1))
        os.replace(tmp, spec_file)
    for stale in pdir.glob("*.tmp"):
        stale.unlink()
    return finished_chunks(out, spec)


def read_inputs(out) -> dict:
    with h5py.File(parts_dir(out) / "inputs.h5", "r") as f:
        return {k: f[k][...] for k in f}


def chunk_path(out, i: int) -> Path:
    return parts_dir(out) / f"chunk_{i:06d}.h5"


def finished_chunks(out, spec: DatasetSpec) -> list:
    done = []
    for i in range(spec.n_chunks):
        p = chunk_path(out, i)
        if p.exists():
            try:
                with h5py.File(p, "r") as f:
                    ok = f.attrs.get("complete", False) and f["status"].shape[0] == (
                        spec.chunk_slice(i).stop - spec.chunk_slice(i).start)
            except OSError:
                ok = False
            if ok:
                done.append(i)
            else:
                p.unlink()
    return done


def write_chunk(out, i: int, result: dict):
    p = chunk_path(out, i)
    tmp = _atomic_h5(p)
    with h5py.File(tmp, "w") as f:
        for k in ("t", "X", "eps_nuc", "eps_nu", "Ye", "n_steps", "status"):
            f.create_dataset(k, data=result[k])
        f.attrs["wall"] = float(result.get("wall", 0.0))
        f.attrs["complete"] = True
    os.replace(tmp, p)


def consolidate(out, spec: DatasetSpec, compression="lzf", extra_attrs=None, parts_of=None,
                keep_parts=False):
    """Merge inputs and all chunk files into the final HDF5 file, then remove the parts.

    ``parts_of``: take the parts of another (unfinished, larger) run of the same settings
    instead of ``OUT.parts`` -- see :func:`finish_prefix`."""
    out = Path(out)
    src = Path(parts_of) if parts_of is not None else out
    pdir = parts_dir(src)
    inputs = {k: v[: spec.n_samples] for k, v in read_inputs(src).items()}
    n, nt, ni = spec.n_samples, spec.n_times, len(spec.isotopes)
    cs = min(spec.chunk_size, n)
    tmp = _atomic_h5(out)
    wall = 0.0
    n_steps_total = 0
    with h5py.File(tmp, "w") as f:
        f.create_dataset("times", data=np.asarray(spec.times, float))
        g = f.create_group("inputs")
        for k, v in inputs.items():
            chunks = (cs,) + v.shape[1:]
            g.create_dataset(k, data=v, chunks=chunks, compression=compression)
        o = f.create_group("outputs")
        dsets = {
            "t": o.create_dataset("t", (n, nt), "f8", chunks=(cs, nt), compression=compression),
            "X": o.create_dataset("X", (n, nt, ni), "f8", chunks=(cs, nt, ni),
                                  compression=compression),
            "eps_nuc": o.create_dataset("eps_nuc", (n, nt), "f8", chunks=(cs, nt),
                                        compression=compression),
            "eps_nu": o.create_dataset("eps_nu", (n, nt), "f8", chunks=(cs, nt),
                                       compression=compression),
            "Ye": o.create_dataset("Ye", (n, nt), "f8", chunks=(cs, nt), compression=compression),
            "n_steps": o.create_dataset("n_steps", (n,), "i8", chunks=(cs,)),
            "status": o.create_dataset("status", (n,), "i4", chunks=(cs,)),
        }
        for i in range(spec.n_chunks):
            sl = spec.chunk_slice(i)
            with h5py.File(chunk_path(src, i), "r") as c:
                for k, d in dsets.items():
                    d[sl] = c[k][...]
                wall += float(c.attrs.get("wall", 0.0))
        status = dsets["status"][...]
        n_steps_total = int(dsets["n_steps"][...].sum())
        a = f.attrs
        a["format"] = FORMAT
        for k, v in asdict(spec).items():
            a[k] = json.dumps(v) if isinstance(v, (list, tuple, dict)) else v
        a["n_failed"] = int(np.count_nonzero(status))
        a["burn_wall_s"] = wall
        a["n_steps_total"] = n_steps_total
        for k, v in (extra_attrs or {}).items():
            a[k] = json.dumps(v) if isinstance(v, (list, tuple, dict)) else v
    os.replace(tmp, out)
    if not keep_parts:
        shutil.rmtree(pdir)
    return out


def finish_prefix(run, n_samples: int, out, compression="lzf"):
    """A finished dataset ``out`` of the first ``n_samples`` samples of the unfinished run
    ``run`` (its ``RUN.parts`` stay, so the run can still be resumed).

    The samplers draw sample by sample (Sobol points and compositions in sequence), and the
    random output times depend on the block only, so the result is the set that
    ``python -m nnn.generate --n N`` with the same other settings would make: a long
    generation can feed training before it ends."""
    pdir = parts_dir(run)
    spec = DatasetSpec(**json.loads((pdir / "spec.json").read_text()))
    if n_samples < 1 or n_samples % spec.chunk_size or n_samples > spec.n_samples:
        raise ValueError(f"n_samples must be a positive multiple of the chunk size "
                         f"{spec.chunk_size} and <= {spec.n_samples}, got {n_samples!r}")
    d = asdict(spec)
    d["n_samples"] = int(n_samples)
    sub = DatasetSpec(**d)
    missing = [i for i in range(sub.n_chunks) if i not in finished_chunks(run, spec)]
    if missing:
        raise ValueError(f"run {str(run)!r} has not finished chunk {missing[0]} of the first "
                         f"{n_samples} samples yet")
    return consolidate(out, sub, compression=compression, parts_of=run, keep_parts=True,
                       extra_attrs={"prefix_of": str(run)})


# ---------------------------------------------------------------- reading


def _attr(a, k):
    v = a[k]
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, str) and v[:1] in "[{":
        return json.loads(v)
    return v.item() if hasattr(v, "item") else v


def read_meta(path) -> dict:
    """Root attributes of a finished dataset (JSON-decoded)."""
    path = Path(path)
    if not path.exists():
        hint = ""
        if parts_dir(path).exists():
            hint = (f" ({str(parts_dir(path))!r} exists: the generation did not finish; "
                    "run the same `python -m nnn.generate` command again to resume it)")
        raise FileNotFoundError(f"dataset {str(path)!r} does not exist{hint}")
    try:
        with h5py.File(path, "r") as f:
            meta = {k: _attr(f.attrs, k) for k in f.attrs}
    except OSError as e:
        raise ValueError(f"dataset {str(path)!r} is not a readable HDF5 file: {e}") from None
    if meta.get("format") != FORMAT:
        raise ValueError(f"dataset {str(path)!r} has format {meta.get('format')!r}, "
                         f"expected {FORMAT!r}")
    return meta


def dt_index(meta, dt: float) -> int:
    """Index of ``dt`` among the dataset's fixed output times (ValueError if absent)."""
    times = np.asarray(meta["times"], float)
    j = int(np.argmin(np.abs(np.log10(times) - np.log10(dt)))) if dt > 0 else -1
    if dt <= 0 or abs(times[j] - dt) > 1e-6 * dt:
        raise ValueError(f"dt={dt!r} is not in the dataset; its output times are "
                         + ", ".join(f"{t:.0e}" for t in times))
    return j


#: A burned-start pair (X(t_i) -> X(t_j)) needs t_j >= this x t_i (the step is at least half
#: the time burned so far)
BURNED_MIN_RATIO = 2.0
#: A burned-start pair's energy, the difference of two integrals over [0, t], is kept only
#: where the step's part is at least this fraction of the larger integral; below it the
#: generation's rtol (1e-6) is amplified past 1e-4, and in the tests it reached 100 % and
#: 1000x (energy released early, in the first microseconds).  Elsewhere it is NaN: unknown
RESOLVED_FRACTION = 1e-2


def burned_start_pairs(t, X, eps_nuc, eps_nu, n_per_sample, seed, dt_min):
    """Pairs (X(t_i) -> X(t_j)), i < j, from the outputs of each sample's one integration.

    A stellar code chains burn steps: from the second step on, a step starts from a burned,
    quasi-equilibrated composition, which the sampler's fresh mixtures (X0 -> X(t)) never
    are.  T and rho are constant along a sample's integration, so X(t_j) is exactly the burn
    of X(t_i) over dt = t_j - t_i; the energies are differences of the stored integrals:
    eps_nuc [erg/g] = E(t_j) - E(t_i), eps_nu [erg/g/s] = (t_j eps_nu_j - t_i eps_nu_i) / dt.

    ``t``, ``eps_nuc``, ``eps_nu`` (n, n_times), ``X`` (n, n_times, n_iso).  Up to
    ``n_per_sample`` pairs per sample are drawn (seeded: ``seed`` and the sample's row) among
    those with t_j >= ``BURNED_MIN_RATIO`` t_i and dt >= ``dt_min``.  Returns (row, i, j,
    dt, X0, X, eps_nuc, eps_nu), flat over pairs; X0 is clipped at 0 and renormalised, as a
    stellar code would pass it.  An energy the outputs do not resolve
    (``RESOLVED_FRACTION``) is NaN."""
    n, nt = t.shape
    ii, jj = np.triu_indices(nt, k=1)
    rows, si, sj = [], [], []
    for r in range(n):
        ok = (t[r, jj] >= BURNED_MIN_RATIO * t[r, ii]) & (t[r, jj] - t[r, ii] >= dt_min)
        cand = np.flatnonzero(ok)
        if not len(cand):
            continue
        rng = np.random.default_rng([int(seed), 7919, r])
        pick = rng.choice(cand, size=min(int(n_per_sample), len(cand)), replace=False)
        rows.append(np.full(len(pick), r))
        si.append(ii[pick])
        sj.append(jj[pick])
    row, i, j = (np.concatenate(v) if v else np.zeros(0, int) for v in (rows, si, sj))
    dt = t[row, j] - t[row, i]
    X0 = np.clip(X[row, i], 0.0, None)
    X0 /= X0.sum(axis=1, keepdims=True)
    e_nuc = eps_nuc[row, j] - eps_nuc[row, i]
    nu_i, nu_j = t[row, i] * eps_nu[row, i], t[row, j] * eps_nu[row, j]  # erg/g lost by t
    e_nu = (nu_j - nu_i) / dt
    big = np.maximum(np.abs(eps_nuc[row, i]), np.abs(eps_nuc[row, j]))
    e_nuc[~(np.abs(e_nuc) >= RESOLVED_FRACTION * big)] = np.nan
    big = np.maximum(np.abs(nu_i), np.abs(nu_j))
    e_nu[~(nu_j - nu_i >= RESOLVED_FRACTION * big)] = np.nan  # a loss: never negative
    return row, i, j, dt, X0, X[row, j], e_nuc, e_nu


def load_pairs(path, dt=None, keep_failed=False, burned_starts=0, seed=0):
    """Training pairs (X0 -> X(t)) of a dataset, one per sample and output time.

    Returns flat arrays over pairs: logT, logrho, X0 (p, n_iso), dt (p,), X (p, n_iso),
    eps_nuc, eps_nu, Ye, ``sample`` (the sample index, to split train/validation by
    sample, never by pair) and ``burned`` (True for a burned-start pair).  ``dt``: keep only
    that fixed output time.  Samples whose integration failed are dropped unless
    ``keep_failed`` (``n_failed`` says how many).  ``burned_starts``: add up to that many
    pairs per sample that start from the sample's own burned composition
    (:func:`burned_start_pairs`, drawn with ``seed``)."""
    if not (isinstance(burned_starts, (int, np.integer)) and not isinstance(burned_starts, bool)
            and burned_starts >= 0):
        raise ValueError(f"burned_starts must be an integer >= 0, got {burned_starts!r}")
    if burned_starts and dt is not None:
        raise ValueError("burned_starts needs all output times (dt=None), got "
                         f"dt={dt!r}")
    meta = read_meta(path)
    j = None if dt is None else dt_index(meta, dt)
    with h5py.File(path, "r") as f:
        status = f["outputs/status"][...]
        good = np.ones_like(status, bool) if keep_failed else status == 0
        t = f["outputs/t"][...][good]
        if j is not None:  # the fixed time's column differs per chunk: find it by value
            tj = float(np.asarray(meta["times"])[j])
            sel = np.abs(t - tj) <= 1e-9 * tj
            if not np.all(sel.sum(axis=1) == 1):
                raise ValueError(f"dataset {str(path)!r}: dt={tj!r} is not an output of every "
                                 "sample")
            cols = np.argmax(sel, axis=1)
        else:
            cols = None
        # each array is read once: the burned-start pairs below use the same ones
        inp = {k: f[f"inputs/{k}"][...][good] for k in ("logT", "logrho", "X0")}
        out = {k: f[f"outputs/{k}"][...][good] for k in ("X", "eps_nuc", "eps_nu", "Ye")}
    n_good, nt = t.shape
    sample = np.flatnonzero(good)
    if cols is not None:
        d = dict(inp)
        d.update({k: v[np.arange(n_good), cols] for k, v in out.items()})
        d["sample"], d["dt"] = sample, t[np.arange(n_good), cols]
        d["burned"] = np.zeros(n_good, bool)
    else:
        # every output time a pair; X0 and X (the big arrays: 262,144 mesa_80 samples with 8
        # burned starts are 4 GB each) are filled in place, never concatenated
        if burned_starts:
            row, _, jb, bdt, bX0, bX, b_nuc, b_nu = burned_start_pairs(
                t, out["X"], out["eps_nuc"], out["eps_nu"], burned_starts, seed,
                float(meta["dt_range"][0]))
        else:
            row = jb = np.zeros(0, int)
            bdt = b_nuc = b_nu = np.zeros(0)
            bX0 = bX = np.zeros((0, inp["X0"].shape[1]))
        nf, ni = n_good * nt, inp["X0"].shape[1]
        X0 = np.empty((nf + len(row), ni))
        X0[:nf].reshape(n_good, nt, ni)[...] = inp["X0"][:, None, :]
        X0[nf:] = bX0
        del bX0
        X = np.empty_like(X0)
        X[:nf] = out.pop("X").reshape(nf, ni)
        X[nf:] = bX
        del bX

        def flat(v, extra):  # (n_good, n_times) or (n_good,) -> per pair, burned ones last
            v = v.reshape(nf) if v.ndim == 2 else np.repeat(v, nt)
            return np.concatenate([v, extra])

        d = {"logT": flat(inp["logT"], inp["logT"][row]),
             "logrho": flat(inp["logrho"], inp["logrho"][row]), "X0": X0,
             "eps_nuc": flat(out["eps_nuc"], b_nuc), "eps_nu": flat(out["eps_nu"], b_nu),
             "Ye": flat(out["Ye"], out["Ye"][row, jb]), "X": X,
             "sample": flat(sample, sample[row]), "dt": flat(t, bdt),
             "burned": np.concatenate([np.zeros(nf, bool), np.ones(len(row), bool)])}
    d["n_failed"] = int(np.count_nonzero(status != 0))
    d["meta"] = meta
    return d


#: Settings that must agree between the sets trained on together (:func:`load_sets`)
_SHARED_KEYS = ("network", "network_hash", "isotopes", "logT_range", "logrho_range", "ye_range",
                "dt_range")


def as_paths(data) -> list:
    """One dataset path or several, as a list."""
    return [data] if isinstance(data, (str, Path)) else list(data)


def load_sets(paths, burned_starts=0, seed=0):
    """:func:`load_pairs` of one dataset or several of one network, domain and dt range (for
    example a set from the sampler and one whose starts are a model's own outputs), as one:
    sample indices run on from set to set; ``meta`` is the first set's with ``n_samples`` and
    ``n_failed`` summed and ``sets`` listing each set's path, seed and size."""
    paths = as_paths(paths)
    if not paths:
        raise ValueError("no dataset given")
    sets = [load_pairs(p, burned_starts=burned_starts, seed=seed) for p in paths]
    if len(sets) == 1:
        return sets[0]
    first = sets[0]["meta"]
    for p, s in zip(paths[1:], sets[1:]):
        for k in _SHARED_KEYS:
            if json.dumps(s["meta"].get(k)) != json.dumps(first.get(k)):
                raise ValueError(f"dataset {str(p)!r}: its {k} ({s['meta'].get(k)!r}) differs "
                                 f"from that of {str(paths[0])!r} ({first.get(k)!r})")
    meta = dict(first)
    meta["n_samples"] = sum(int(s["meta"]["n_samples"]) for s in sets)
    meta["n_failed"] = sum(int(s["n_failed"]) for s in sets)
    meta["sets"] = [{"path": str(Path(p).resolve()), "seed": int(s["meta"]["seed"]),
                     "n_samples": int(s["meta"]["n_samples"])} for p, s in zip(paths, sets)]
    out = {"meta": meta, "n_failed": meta["n_failed"]}
    offset = np.cumsum([0] + [int(s["meta"]["n_samples"]) for s in sets[:-1]])
    for k in [k for k in sets[0] if k not in ("meta", "n_failed")]:
        parts = [s.pop(k) + (o if k == "sample" else 0) for s, o in zip(sets, offset)]
        out[k] = np.concatenate(parts)
        del parts
    return out
