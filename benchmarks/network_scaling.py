"""How the engine scales to large ReacLib networks (issue 14, "Scale").

    python benchmarks/network_scaling.py [--out ~/.cache/nnn/scaling] [--plot FILE]
                                         [--nets scale_300 scale_1000 ...] [--reps 3]

1. Writes the isotope lists of the scaling networks (NETS below) from the
   nuclei of pynucastro's ReacLibLibrary that have a ground-state spin (needed
   for detailed balance): n..Zn within a band around the valley of stability
   (~300), everything n..Zn (~650), and Fe-to-Bi bands with n, p, he4 for
   neutron captures (~1000 and ~2000).
2. Builds each with the project's builder (``python -m nnn.network build``,
   ReacLib + tabulated weak rates + detailed balance) into --out, one at a
   time, skipping nets already built (resumable); the builder's wall time and
   peak RSS come from ``/usr/bin/time -v`` (else getrusage of the child). A
   build that passes --build-timeout or --build-mem-gb is stopped and recorded
   as the measured limit.
3. Loads each net, also the shipped approx21, mesa_80 and mesa_151 (the small
   end), and reports species, rates, the structural nonzeros of the Jacobian
   (diagonal included), the entries of its LU factors after the engine's
   minimum-degree ordering (nonzeros + fill), the same for SuperLU's
   multiple-minimum-degree ordering of A + A^T (scipy) as a reference
   ordering, and the load (setup) time.
4. Burns each at its case (CASES) on one thread: steps, RHS evaluations,
   Jacobians, LU factorisations (load-independent), ms per burn and ms per
   step (min of --reps), and work per step.
5. Prints a table and plots ms per step against species, rates and rates + LU
   entries on log-log axes with a fitted slope (--plot).

Timings are only kept when the 1-minute load average is below --max-load when
they are taken (the machine is shared); otherwise the row says "busy" and only
the operation counts are reported. The load average is printed with the
results. Results also go to OUT/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

#: Shipped networks measured as the small end of the scaling curve.
SHIPPED = ("approx21_cr60_plus_co56", "mesa_80", "mesa_151")
#: ... burned at the Si-burning case
CASES_FOR_SHIPPED = "si"


def z_valley(A):
    """Z of the valley of stability at mass number A (semi-empirical mass formula)."""
    return A / (1.98 + 0.0155 * A ** (2.0 / 3.0))


def _band(z_min, z_max, half_width, always=()):
    """Selector: nuclei with z_min <= Z <= z_max and |Z - z_valley(A)| <= half_width,
    plus the named nuclei ``always``; only nuclei with a known ground-state spin
    (the builder derives every reverse rate by detailed balance, and pynucastro's
    DerivedRate refuses a nucleus without one: 648 of the 1001 ReacLib nuclei
    n..Zn, 3289 of 8087 in all)."""
    def select(nuclei):
        keep = [n for n in nuclei if n.spin_states is not None and (
                (z_min <= n.Z <= z_max and abs(n.Z - z_valley(n.A)) <= half_width)
                or n.raw in always)]
        return sorted(set(keep), key=lambda n: (n.Z, n.A))
    return select


#: name -> (description, selector of ReacLib nuclei, burn case)
NETS = {
    "scale_300": ("n..Zn, |Z - Z_valley(A)| <= 2.5", _band(0, 30, 2.5), "si"),
    "scale_650": ("every ReacLib nucleus n..Zn with a spin", _band(0, 30, 1e9), "si"),
    "fe_bi_1000": ("n, p, he4 + Fe..Bi, |Z - Z_valley(A)| <= 3.3",
                   _band(26, 83, 3.3, ("n", "p", "he4")), "ncap"),
    "fe_bi_2000": ("n, p, he4 + Fe..Bi, |Z - Z_valley(A)| <= 7",
                   _band(26, 83, 7.0, ("n", "p", "he4")), "ncap"),
}

#: burn cases: composition, T (K), rho (g/cm^3), dt (s)
CASES = {
    # Si burning: the case of bench_engine.py and the issue's VODE comparison
    "si": ({"si28": 0.6, "s32": 0.4}, 3.5e9, 1e8, 1.0),
    # neutron captures on an iron seed: 1 % free neutrons (~0.6 per seed
    # nucleus) at 1e9 K, 1e6 g/cm^3 -- captures, (g,n) and beta decays
    "ncap": ({"fe56": 0.99, "n": 0.01}, 1.0e9, 1.0e6, 1.0),
}


def default_out() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nnn" / "scaling"


def load_average() -> float:
    return os.getloadavg()[0]


# -- 1. isotope lists -------------------------------------------------------------
def write_isotope_lists(names, out: Path) -> dict:
    """OUT/NAME.txt for each scaling net (existing lists are kept); name -> path."""
    paths = {name: out / f"{name}.txt" for name in names}
    todo = [name for name, p in paths.items() if not p.exists()]
    if todo:
        import pynucastro as pyna
        nuclei = pyna.ReacLibLibrary().get_nuclei()
        for name in todo:
            desc, select, _ = NETS[name]
            chosen = select(nuclei)
            paths[name].write_text(f"# {name}: {desc} ({len(chosen)} ReacLib nuclei; "
                                   "benchmarks/network_scaling.py)\n"
                                   + "\n".join(n.raw for n in chosen) + "\n")
    return paths


# -- 2. builds ------------------------------------------------------------------------
def _parse_time_v(text: str) -> dict:
    """Peak RSS (MiB) and user+system CPU seconds from ``/usr/bin/time -v``."""
    out = {}
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if m:
        out["peak_rss_mib"] = int(m.group(1)) / 1024
    cpu = [float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", text)]
    if cpu:
        out["cpu_s"] = sum(cpu)
    return out


def build(name: str, isotopes: Path, out: Path, timeout_s: float, mem_gb: float) -> dict:
    """Build OUT/NAME.net with the project's builder unless OUT/NAME.build.json says it
    was built; returns the build record (wall_s, peak_rss_mib, ...)."""
    record_path = out / f"{name}.build.json"
    net_path = out / f"{name}.net"
    if record_path.exists() and net_path.exists():
        return json.loads(record_path.read_text())
    cmd = [sys.executable, "-m", "nnn.network", "build", "--isotopes", str(isotopes),
           "--name", name, "--out", str(out)]
    time_v = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if time_v:
        cmd = [time_v, "-v"] + cmd
    limit = int(mem_gb * 2**30)

    def cap_memory():  # the builder fails with MemoryError rather than take the machine
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0 = load_average()
    t0 = time.perf_counter()
    record = {"name": name, "command": " ".join(cmd), "timeout_s": timeout_s, "mem_limit_gb": mem_gb}
    # own session: a timeout stops the builder, not only /usr/bin/time around it
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=cap_memory, start_new_session=True)
    try:
        stdout, stderr = p.communicate(timeout=timeout_s)
        record["returncode"] = p.returncode
        record["stdout"] = stdout.strip()
        record.update(_parse_time_v(stderr))
        if p.returncode != 0:
            # the builder's own last line, before /usr/bin/time's report
            own = stderr.split("Command being timed")[0].splitlines()
            own = [ln for ln in own if ln.strip() and not ln.startswith("Command exited")]
            record["error"] = own[-1].strip() if own else f"exit status {p.returncode}"
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        record["returncode"] = None
        record["error"] = f"build stopped after --build-timeout {timeout_s:g} s"
    record["wall_s"] = time.perf_counter() - t0
    if "peak_rss_mib" not in record:
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if after.ru_maxrss > before.ru_maxrss:  # kB on Linux: the largest child so far
            record["peak_rss_mib"] = after.ru_maxrss / 1024
    record["load_average"] = [load0, load_average()]
    if record.get("returncode") == 0:
        record_path.write_text(json.dumps(record, indent=1))  # only finished builds are skipped later
    return record


# -- 3. structure ---------------------------------------------------------------------
def superlu_entries(net) -> int:
    """Entries of L + U (diagonal once) that SuperLU's MMD ordering of A + A^T gives for
    the network's pattern, without pivoting: a reference for the engine's ordering."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    n = net.n_species
    rows, cols = [], []
    pattern = jacobian_pattern(net)
    for i, js in enumerate(pattern):
        rows += [i] * len(js)
        cols += list(js)
    vals = np.where(np.array(rows) == np.array(cols), 10.0 * n, -1.0)
    a = sp.csc_matrix((vals, (rows, cols)), shape=(n, n))
    lu = splu(a, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
              options={"SymmetricMode": True})
    return int(lu.L.nnz + lu.U.nnz - n)


def jacobian_pattern(net):
    """Row i -> sorted columns of the structural nonzeros of dY/dt (diagonal added),
    from the numeric Jacobian at a state with every abundance nonzero (the
    exact form, which includes the nn_g rates' Y_n column)."""
    X = np.full(net.n_species, 1.0 / net.n_species)
    J = net.jacobian(3e9, 1e7, X, exact=True)
    nz = J != 0
    np.fill_diagonal(nz, True)
    return [np.flatnonzero(row) for row in nz]


def lu_work(net) -> tuple:
    """(LU entries, multiply-adds per factorisation) of elimination without pivoting in
    the engine's order, counted here in numpy from the Jacobian's numeric pattern: the
    entries must equal net.lu_entries (tests/engine/test_network_scaling.py checks the
    same count); the multiply-adds are what factor() does per call."""
    pattern = jacobian_pattern(net)
    n = net.n_species
    order = net.lu_order
    pos = np.empty(n, int)
    pos[order] = np.arange(n)
    f = np.zeros((n, n), bool)
    for i, js in enumerate(pattern):
        f[pos[i], pos[js]] = True
    madds = 0
    for k in range(n):
        rows = np.flatnonzero(f[k + 1:, k]) + k + 1
        upper = f[k, k + 1:]
        madds += len(rows) * int(upper.sum())
        if len(rows):
            f[rows, k + 1:] |= upper
    return int(f.sum()), madds


def structure(name_or_path) -> tuple:
    import nnn
    t0 = time.perf_counter()
    net = nnn.Network.load(name_or_path)
    load_s = time.perf_counter() - t0
    row = {"species": net.n_species, "rates": net.n_rates,
           "jacobian_nonzeros": net.jacobian_nonzeros, "lu_entries": net.lu_entries,
           "load_s": load_s, "load_average_load": load_average(),
           "dense_matrix_mib": 2 * 8 * net.n_species**2 / 2**20}
    row["fill_ratio"] = row["lu_entries"] / row["jacobian_nonzeros"]
    entries, row["lu_madds"] = lu_work(net)
    if entries != row["lu_entries"]:
        raise RuntimeError(f"{name_or_path}: the engine's LU has {row['lu_entries']} entries, "
                           f"an elimination in its order {entries}")
    try:
        row["superlu_mmd_entries"] = superlu_entries(net)
    except Exception as e:  # a reference only: never stop the benchmark for it
        row["superlu_mmd_entries"] = None
        row["superlu_error"] = repr(e)
    return net, row


# -- 4. burns -------------------------------------------------------------------------
def wait_quiet(max_load: float, wait_s: float) -> float:
    """Wait up to wait_s for the 1-minute load average to drop below max_load; returns it."""
    t_end = time.monotonic() + wait_s
    while load_average() >= max_load and time.monotonic() < t_end:
        time.sleep(5)
    return load_average()


def burn(net, case: str, reps: int, max_load: float, wait_s: float = 0.0) -> dict:
    X, T, rho, dt = CASES[case]
    X = {k: v for k, v in X.items()}
    r = net.burn(T=T, rho=rho, X=X, dt=dt)  # warm-up; also the operation counts
    wait_quiet(max_load, wait_s)
    row = {"case": case, "T": T, "rho": rho, "dt": dt, "steps": int(r.n_steps),
           "rejected": int(r.n_rejected), "rhs": int(getattr(r, "n_rhs", -1)),
           "jac": int(getattr(r, "n_jac", -1)), "lu": int(getattr(r, "n_lu", -1)),
           "eps_nuc": float(r.eps_nuc)}
    times = []
    for _ in range(reps):
        load = load_average()
        t0 = time.perf_counter()
        net.burn(T=T, rho=rho, X=X, dt=dt)
        elapsed = time.perf_counter() - t0
        if load < max_load and load_average() < max_load:
            times.append(elapsed)
    row["load_average_burn"] = load_average()
    row["ms_per_burn"] = 1e3 * min(times) if times else None
    row["ms_per_step"] = row["ms_per_burn"] / row["steps"] if times else None
    return row


def work_per_step(row) -> float:
    """Load-independent cost model of one step: rate evaluations (RHS calls x rates)
    plus LU multiply-adds (factorisations x multiply-adds each), per step."""
    return (row["rhs"] * row["rates"] + row["lu"] * row["lu_madds"]) / row["steps"]


# -- 5. table and plot ----------------------------------------------------------------
def fit_slope(x, y):
    """Least-squares slope of log y against log x (None with < 2 points)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2:
        return None
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def print_table(rows):
    head = (f"{'net':<24}{'species':>8}{'rates':>8}{'J nnz':>8}{'LU':>8}{'fill':>6}{'MMD LU':>8}"
            f"{'load s':>8}{'build s':>8}{'RSS MiB':>8}{'case':>5}{'steps':>7}{'RHS':>7}{'Jac':>5}"
            f"{'LU#':>5}{'LU madds':>10}{'work/step':>10}{'ms/burn':>9}{'ms/step':>9}")
    print(head)
    for r in rows:
        def f(key, fmt):
            v = r.get(key)
            return format(v, fmt) if v is not None else "-"
        print(f"{r['name']:<24}{r['species']:>8}{r['rates']:>8}{r['jacobian_nonzeros']:>8}"
              f"{r['lu_entries']:>8}{r['fill_ratio']:>6.2f}{f('superlu_mmd_entries', 'd'):>8}"
              f"{r['load_s']:>8.2f}{f('build_wall_s', '.0f'):>8}{f('build_peak_rss_mib', '.0f'):>8}"
              f"{r.get('case', '-'):>5}{f('steps', 'd'):>7}{f('rhs', 'd'):>7}{f('jac', 'd'):>5}"
              f"{f('lu', 'd'):>5}{f('lu_madds', 'd'):>10}{f('work_per_step', '.3g'):>10}"
              f"{(f('ms_per_burn', '.1f') if r.get('ms_per_burn') else 'busy'):>9}"
              f"{(f('ms_per_step', '.3f') if r.get('ms_per_step') else 'busy'):>9}")


def _loglog_fit(ax, x, y, rows, ylabel, xlabel):
    """Points (labelled by net, coloured by case), a fitted power law; returns the slope."""
    for r, xi, yi in zip(rows, x, y):
        ax.plot(xi, yi, "o", color="C0" if r.get("case") == "si" else "C1")
        ax.annotate(r["name"].replace("approx21_cr60_plus_co56", "approx21"), (xi, yi),
                    fontsize=7, xytext=(3, 3), textcoords="offset points")
    slope = fit_slope(x, y)
    if slope is not None:
        c = np.polyfit(np.log(x), np.log(y), 1)
        xx = np.geomspace(min(x), max(x), 20)
        ax.plot(xx, np.exp(np.polyval(c, np.log(xx))), "k--", lw=1, label=f"slope {slope:.2f}")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "not timed (machine busy)", transform=ax.transAxes, ha="center")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return slope


def plot(rows, path: Path):
    """ms per step against species, rates and rates + LU entries (timed rows), the
    load-independent work per step, and the LU's size; returns the fitted slopes."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timed = [r for r in rows if r.get("ms_per_step")]
    fig, axes = plt.subplots(1, 5, figsize=(22, 4.4))
    slopes = {}
    for ax, (label, get) in zip(axes, [("species", lambda r: r["species"]),
                                       ("rates", lambda r: r["rates"]),
                                       ("rates + LU entries", lambda r: r["rates"] + r["lu_entries"])]):
        slopes[label] = _loglog_fit(ax, [get(r) for r in timed], [r["ms_per_step"] for r in timed],
                                    timed, "ms per step (1 thread)", label)
    slopes["work per step vs rates + LU entries"] = _loglog_fit(
        axes[3], [r["rates"] + r["lu_entries"] for r in rows], [r["work_per_step"] for r in rows], rows,
        "rate evaluations + LU multiply-adds per step", "rates + LU entries")
    ax = axes[4]
    n = [r["species"] for r in rows]
    ax.plot(n, [r["jacobian_nonzeros"] for r in rows], "s", label="Jacobian nonzeros")
    ax.plot(n, [r["lu_entries"] for r in rows], "o", label="LU entries (engine ordering)")
    mmd = [(r["species"], r["superlu_mmd_entries"]) for r in rows if r.get("superlu_mmd_entries")]
    if mmd:
        ax.plot(*zip(*mmd), "x", label="LU entries (SuperLU MMD of A+A^T)")
    ax.plot(n, [r["lu_madds"] for r in rows], "^", label="LU multiply-adds per factorisation")
    ax.plot(n, [r["rates"] for r in rows], "v", label="rates")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("species")
    ax.legend(fontsize=7)
    fig.suptitle("nnn engine scaling (blue: Si burning 3.5e9 K, 1e8 g/cm3, 1 s; "
                 "orange: n capture on Fe56, 1e9 K, 1e6 g/cm3, 1 s)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return slopes


def main(argv=None):
    from tqdm import tqdm

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=default_out(), help="cache of lists, nets, results")
    p.add_argument("--nets", nargs="*", default=list(NETS), choices=list(NETS),
                   help="scaling nets to build and measure (none: the shipped nets only)")
    p.add_argument("--shipped", nargs="*", default=list(SHIPPED), help="shipped nets (small end)")
    p.add_argument("--plot", type=Path, default=None, help="plot file (default OUT/network_scaling.png)")
    p.add_argument("--reps", type=int, default=3, help="timed burns per net (min is kept)")
    p.add_argument("--max-load", type=float, default=1.5,
                   help="timings taken at a higher 1-minute load average are dropped")
    p.add_argument("--build-timeout", type=float, default=1200.0, help="s per builder run")
    p.add_argument("--build-mem-gb", type=float, default=12.0, help="address-space cap of the builder")
    p.add_argument("--no-build", action="store_true", help="measure only nets already built")
    p.add_argument("--wait-quiet", type=float, default=0.0,
                   help="s to wait per net for the load average to drop below --max-load")
    a = p.parse_args(argv)
    a.out = a.out.expanduser()
    a.out.mkdir(parents=True, exist_ok=True)
    plot_path = a.plot or a.out / "network_scaling.png"

    lists = write_isotope_lists(a.nets, a.out)
    builds = {}
    for name in tqdm(a.nets, desc="build", unit="net"):
        if a.no_build and not (a.out / f"{name}.net").exists():
            continue
        builds[name] = build(name, lists[name], a.out, a.build_timeout, a.build_mem_gb)
        b = builds[name]
        if b.get("returncode") != 0:
            tqdm.write(f"{name}: build failed or stopped ({b.get('error')}); wall {b['wall_s']:.0f} s, "
                       f"peak RSS {b.get('peak_rss_mib', float('nan')):.0f} MiB")

    targets = [(s, s, CASES_FOR_SHIPPED) for s in a.shipped]
    targets += [(n, str(a.out / f"{n}.net"), NETS[n][2]) for n in a.nets
                if builds.get(n, {}).get("returncode") == 0]
    rows = []
    for name, path, case in tqdm(targets, desc="measure", unit="net"):
        net, row = structure(path)
        row["name"] = name
        b = builds.get(name, {})
        row["build_wall_s"] = b.get("wall_s")
        row["build_peak_rss_mib"] = b.get("peak_rss_mib")
        row["build_load_average"] = b.get("load_average")
        row.update(burn(net, case, a.reps, a.max_load, a.wait_quiet))
        row["work_per_step"] = work_per_step(row)
        rows.append(row)
        del net

    load = load_average()
    print(f"\nload average now {load:.2f} (1 min); timings kept only below {a.max_load} "
          f"('busy' otherwise); cores {os.cpu_count()}")
    print_table(rows)
    slopes = plot(rows, plot_path)
    timed = [r for r in rows if r.get("ms_per_step")]
    fills = [r["fill_ratio"] for r in rows]
    print(f"\nfill (LU entries / Jacobian nonzeros): {min(fills):.2f} .. {max(fills):.2f}")
    for label, s in slopes.items():
        if label.startswith("work"):
            print(f"slope of log(work/step) against log(rates + LU entries): {s:.2f} over "
                  f"{len(rows)} nets (operation counts: load-independent)")
            continue
        print(f"slope of log(ms/step) against log({label}): "
              + (f"{s:.2f} over {len(timed)} timed nets" if s is not None else "not timed (busy)"))
    print(f"plot: {plot_path}")
    (a.out / "results.json").write_text(json.dumps({"rows": rows, "slopes": slopes,
                                                    "load_average": load}, indent=1))
    return 0

if __name__ == "__main__":
    sys.exit(main())
