"""Training-set generation for the NNN emulators: ``python -m nnn.generate``.

Draws (log T, log rho) from a scrambled Sobol sequence and compositions with
``ye_lo <= Ye <= ye_hi`` (see :mod:`nnn.emulate.sampling` for the distribution), burns every
sample once with outputs at 9 log-spaced times 1e-6 .. 100 s plus 8 times drawn log-uniformly
in the same range (per block of 64 samples), every one of them a training pair for the one model that takes
log10 dt as an input, and stores everything in a chunked HDF5 file (see :mod:`nnn.emulate.dataset`).

The run is resumable: finished chunks are kept in ``OUT.parts/``; running the same command
again continues where a killed run stopped.  Locally all cores are used (the engine's
``burn_batch`` threads); ``--workers N`` burns N chunks at once in N processes of one engine
thread each, which keeps many cores busy through the slow zones of a chunk (a chunk's
threads wait for its slowest zone); ``--scheduler ADDRESS`` sends the chunks to a
dask.distributed cluster instead.

Example::

    python -m nnn.generate --network mesa_80 --n 65536 --out data/mesa_80.h5
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

import numpy as np

from nnn.cli import Parser, fail
from nnn.emulate import dataset as ds
from nnn.emulate.burn import burn_chunk, load_network, network_spec
from nnn.emulate.sampling import (check_not_test_seed, electron_fraction, random_compositions,
                                  range_arg, sobol_thermo)


def _version():
    try:
        import nnn

        return nnn.__version__
    except Exception:  # pragma: no cover
        return "unknown"


def make_inputs(spec: ds.DatasetSpec) -> dict:
    """All inputs of a set, deterministic from ``spec.seed``."""
    logT, logrho = sobol_thermo(spec.n_samples, spec.logT_range, spec.logrho_range,
                                seed=spec.seed)
    rng = np.random.default_rng([spec.seed, 20250301])
    X0, fam = random_compositions(spec.n_samples, spec.isotopes, spec.A, spec.Z,
                                  ye_range=spec.ye_range, frac_broad=spec.frac_broad, rng=rng)
    return {"logT": logT, "logrho": logrho, "X0": X0,
            "Ye0": electron_fraction(X0, spec.A, spec.Z), "family": fam}


def with_starts(inputs: dict, X, spec: ds.DatasetSpec) -> dict:
    """``inputs`` (:func:`make_inputs`) with other starting compositions ``X`` (n, n_iso),
    clipped at 0 and renormalised as a stellar code would pass them, and their Ye: for the
    ``starts`` of :func:`generate`."""
    X = np.clip(np.asarray(X, float), 0.0, None)
    X /= X.sum(axis=1, keepdims=True)
    return {**inputs, "X0": X, "Ye0": electron_fraction(X, spec.A, spec.Z)}


#: Samples per set unless told otherwise (the other defaults: :class:`DatasetSpec`'s fields).
DEFAULT_N_SAMPLES = 4096
_SPEC = ds.DatasetSpec


def generate(out, network=ds.DEFAULT_NETWORK, n_samples=DEFAULT_N_SAMPLES, seed=_SPEC.seed,
             logT_range=_SPEC.logT_range, logrho_range=_SPEC.logrho_range,
             ye_range=_SPEC.ye_range, frac_broad=_SPEC.frac_broad, times=None,
             n_random_times=_SPEC.n_random_times, rtol=_SPEC.rtol, atol=_SPEC.atol,
             chunk_size=_SPEC.chunk_size, n_threads=0, scheduler=None, overwrite=False,
             progress=True, compression="lzf", kill_after_chunks=None, n_workers=1,
             starts=None):
    """Generate (or resume) a training set; returns the path of the finished HDF5 file.

    ``network``: name, path or loaded ``nnn.Network``.  ``scheduler``: a dask.distributed
    scheduler address (or a ``Client``) to run the chunks on a cluster.  ``n_workers`` > 1:
    that many local processes, one chunk and one engine thread each.
    ``kill_after_chunks`` (testing): SIGKILL this process after that many chunks of this run.
    ``starts``: (description, function spec -> inputs dict) to burn other starting
    compositions than the sampler's (e.g. a model's own chained outputs,
    benchmarks/emulator_own_starts.py); the description is stored as the set's ``starts``."""
    if int(n_samples) < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    # every option the burns take, checked before any sample or thread starts
    # (the engine's own check: rtol/atol in (0, 1), not NaN)
    from nnn import _core
    _core.check_options(float(rtol), float(atol))
    if int(n_threads) < 0:
        raise ValueError(f"n_threads = {n_threads!r} must be >= 0 (0: all cores)")
    if int(n_workers) < 1:
        raise ValueError(f"n_workers = {n_workers!r} must be >= 1")
    if int(n_workers) > 1 and scheduler is not None:
        raise ValueError(f"n_workers = {n_workers!r} and a scheduler ({scheduler!r}) exclude "
                         "each other: the scheduler's workers burn the chunks")
    check_not_test_seed(seed)  # the evaluation's seed: no training set may share it
    times = ds.DEFAULT_TIMES if times is None else tuple(float(t) for t in times)
    if len(times) == 0 or any(not (t > 0 and np.isfinite(t)) for t in times) or \
            list(times) != sorted(times):
        raise ValueError(f"times must be positive, finite and increasing, got {times!r}")
    if int(n_random_times) < 0:
        raise ValueError(f"n_random_times must be >= 0, got {n_random_times!r}")
    net = load_network(network)
    spec = ds.DatasetSpec(
        network=str(net.name), network_hash=str(net.file_hash), isotopes=list(net.isotopes),
        A=[int(a) for a in net.A], Z=[int(z) for z in net.Z], n_samples=int(n_samples),
        seed=int(seed), logT_range=tuple(map(float, logT_range)),
        logrho_range=tuple(map(float, logrho_range)), ye_range=tuple(map(float, ye_range)),
        frac_broad=float(frac_broad), times=times, n_random_times=int(n_random_times),
        rtol=float(rtol), atol=float(atol),
        chunk_size=int(chunk_size), nnn_version=_version())
    starts_note, make = starts if starts is not None else ("sampler", make_inputs)
    done = set(ds.start_or_resume(out, spec, lambda: make(spec), overwrite=overwrite))
    todo = [i for i in range(spec.n_chunks) if i not in done]
    inputs = ds.read_inputs(out)

    from tqdm.auto import tqdm

    bar = tqdm(total=spec.n_samples, initial=sum(_len(spec, i) for i in done), unit="sample",
               desc=f"generate {spec.network}", disable=not progress, smoothing=0.1)
    t0 = time.perf_counter()
    n_new = 0

    def finished(i, res):
        nonlocal n_new
        ds.write_chunk(out, i, res)
        n_new += 1
        bar.update(_len(spec, i))
        nfail = int(np.count_nonzero(res["status"]))
        if nfail:
            bar.set_postfix(failed=nfail)
        if kill_after_chunks is not None and n_new >= kill_after_chunks:
            bar.close()
            sys.stdout.flush()
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    def args(i):
        sl = spec.chunk_slice(i)
        return (inputs["logT"][sl], inputs["logrho"][sl], inputs["X0"][sl],
                spec.sample_times(sl))

    if scheduler is not None:
        _run_dask(scheduler, net, todo, args, spec, finished)
    elif int(n_workers) > 1:
        _run_processes(int(n_workers), net, todo, args, spec, finished)
    else:
        for i in todo:
            finished(i, burn_chunk(net, *args(i), spec.rtol, spec.atol, n_threads))
    bar.close()
    elapsed = time.perf_counter() - t0
    n_run = sum(_len(spec, i) for i in todo)
    path = ds.consolidate(out, spec, compression=compression, extra_attrs={
        "last_run_samples": n_run, "last_run_wall_s": elapsed,
        "samples_per_s": (n_run / elapsed) if elapsed > 0 and n_run else 0.0,
        "n_threads": n_threads, "n_workers": int(n_workers),
        "scheduler": str(scheduler) if scheduler else "local", "starts": str(starts_note),
        **_mass_excess(net)})
    return path


def _mass_excess(net) -> dict:
    """Mass excesses (MeV) for the trainer's energy-conserving option (``nnn.Network``
    has them; the tests' stand-in networks do not)."""
    me = getattr(net, "mass_excess_MeV", None)
    return {} if me is None else {"mass_excess_MeV": [float(v) for v in me]}


def _len(spec, i):
    sl = spec.chunk_slice(i)
    return sl.stop - sl.start


def _run_dask(scheduler, net, todo, args, spec, finished):
    from dask.distributed import Client, as_completed

    client = scheduler if hasattr(scheduler, "submit") else Client(scheduler)
    try:
        netspec = network_spec(net)
        futs = {}
        for i in todo:
            f = client.submit(burn_chunk, netspec, *args(i), spec.rtol, spec.atol,
                              1, key=f"nnn-burn-{spec.network}-{spec.seed}-{i}", pure=False)
            futs[f] = i
        for f in as_completed(list(futs)):
            finished(futs[f], f.result())
    finally:
        if client is not scheduler:
            client.close()


def _run_processes(n_workers, net, todo, args, spec, finished):
    """The chunks on ``n_workers`` local processes (spawned: the engine's threads do not
    survive a fork), one engine thread each, finished in whatever order they end."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    netspec = network_spec(net)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
        # at most two chunks queued per worker, so the parent holds few results at once
        pending, queue = {}, list(todo)
        while queue or pending:
            while queue and len(pending) < 2 * n_workers:
                i = queue.pop(0)
                f = pool.submit(burn_chunk, netspec, *args(i), spec.rtol, spec.atol, 1)
                pending[f] = i
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for f in done:
                finished(pending.pop(f), f.result())


def build_parser():
    p = Parser(prog="python -m nnn.generate", description=__doc__.split("\n")[0])
    p.add_argument("--network", default=ds.DEFAULT_NETWORK,
                   help=f"network name or file ({ds.DEFAULT_NETWORK})")
    p.add_argument("--n", type=int, default=DEFAULT_N_SAMPLES, dest="n_samples",
                   help=f"number of samples ({DEFAULT_N_SAMPLES})")
    p.add_argument("--out", required=True, help="output HDF5 file")
    p.add_argument("--seed", type=int, default=_SPEC.seed)
    p.add_argument("--logT", type=range_arg, default=_SPEC.logT_range,
                   help="log10 T range LO,HI (K)")
    p.add_argument("--logrho", type=range_arg, default=_SPEC.logrho_range,
                   help="log10 rho range LO,HI (g/cm3)")
    p.add_argument("--ye", type=range_arg, default=_SPEC.ye_range, help="Ye range LO,HI")
    p.add_argument("--frac-broad", type=float, default=_SPEC.frac_broad,
                   help="fraction of broad mixtures (rest: Si-burning dominated)")
    p.add_argument("--times", type=lambda s: [float(v) for v in s.split(",")], default=None,
                   help="fixed output times in s (default: "
                        f"{', '.join(f'{t:g}' for t in ds.DEFAULT_TIMES)})")
    p.add_argument("--random-times", type=int, default=_SPEC.n_random_times,
                   dest="n_random_times",
                   help="extra output times per chunk, log-uniform between the first and last "
                        "fixed time")
    p.add_argument("--rtol", type=float, default=_SPEC.rtol)
    p.add_argument("--atol", type=float, default=_SPEC.atol)
    p.add_argument("--chunk-size", type=int, default=_SPEC.chunk_size)
    p.add_argument("--threads", type=int, default=0, help="engine threads (0 = all cores)")
    p.add_argument("--workers", type=int, default=1, dest="n_workers",
                   help="local processes burning one chunk each (1: this process, with "
                        "--threads engine threads)")
    p.add_argument("--scheduler", default=None, help="dask.distributed scheduler address")
    p.add_argument("--overwrite", action="store_true", help="discard an existing set/parts")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--kill-after-chunks", type=int, default=None, help=argparse.SUPPRESS)
    return p


def main(argv=None):
    a = build_parser().parse_args(argv)
    try:
        path = generate(a.out, network=a.network, n_samples=a.n_samples, seed=a.seed,
                        logT_range=a.logT, logrho_range=a.logrho, ye_range=a.ye,
                        frac_broad=a.frac_broad, times=a.times,
                        n_random_times=a.n_random_times, rtol=a.rtol, atol=a.atol,
                        chunk_size=a.chunk_size, n_threads=a.threads, scheduler=a.scheduler,
                        overwrite=a.overwrite, progress=not a.no_progress,
                        kill_after_chunks=a.kill_after_chunks, n_workers=a.n_workers)
    except (ValueError, OSError, RuntimeError) as e:    # NnnError is a RuntimeError
        return fail(e)
    meta = ds.read_meta(path)
    print(f"wrote {path}: {meta['n_samples']} samples of {meta['network']}, "
          f"{meta['n_failed']} failed, {meta['samples_per_s']:.1f} samples/s this run")
    if meta["n_failed"] >= meta["n_samples"]:      # nothing to train on is a failure
        print("error: every sample failed (see the dataset's messages)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
