#include "burn.hpp"

#include <atomic>
#include <algorithm>
#include <cmath>
#include <thread>

#include "burn_system.hpp"
#include "eos.hpp"
#include "format.hpp"
#include "integrator.hpp"
#include "kinetics.hpp"
#include "network_limit.hpp"
#include "sums.hpp"

namespace nnn {

std::unique_ptr<Integrator> make_rodas4(const Network& net, const SparseLU& lu);
std::unique_ptr<Integrator> make_bdf(const Network& net, const SparseLU& lu);

std::unique_ptr<Integrator> make_integrator(const std::string& name, const Network& net,
                                            const SparseLU& lu) {
  if (name == "bdf") return make_bdf(net, lu);
  if (name == "rodas4") return make_rodas4(net, lu);
  throw Error(Status::BadInput, "integrator = '" + name + "' is unknown (use auto, bdf or rodas4)");
}

namespace {
std::string where(int zone) { return zone >= 0 ? " (zone " + repr(zone) + ")" : ""; }
}  // namespace

static BurnResult burn_with(const Network& net, const Thermo& th, const double* X0,
                            const std::vector<double>& times, const BurnOptions& opt,
                            const std::string& integrator_name);
static BurnResult burn_mode(const Network& net, const Thermo& th, const double* X0,
                            const std::vector<double>& times, const BurnOptions& opt);
// burn_zone(z) for z < n_zones on n_threads threads; failures into each zone's status
template <class BurnZone>
static std::vector<BurnResult> run_zones(int n_zones, int n_threads, BurnZone burn_zone);

void check_zone(const Network& net, double T, double rho, const double* X, int zone) {
  if (!std::isfinite(T) || T <= 0)
    throw Error(Status::BadInput, "T = " + repr(T) + " K is invalid: must be finite and > 0" + where(zone));
  if (T < kReacLibTMin || T > kReacLibTMax)
    throw Error(Status::BadInput, "T = " + repr(T) + " K is outside [" + repr(kReacLibTMin) + ", " +
                                      repr(kReacLibTMax) + "] K, where the ReacLib rate fits hold "
                                      "(above it matter is in NSE: use an NSE table)" + where(zone));
  if (!std::isfinite(rho) || rho <= 0)
    throw Error(Status::BadInput, "rho = " + repr(rho) + " g/cm^3 is invalid: must be finite and > 0" + where(zone));
  const int n = net.n_species();
  // a NaN or infinity makes the sum non-finite: the culprit is searched only then
  const double sum_X = sum(X, n);
  if (!std::isfinite(sum_X) || min_of(X, n) < 0) {
    for (int i = 0; i < n; ++i)
      if (!std::isfinite(X[i]) || X[i] < 0)
        throw Error(Status::BadInput, "X[" + net.isotopes[i].name + "] = " + repr(X[i]) +
                                          " is invalid: mass fractions must be finite and >= 0" + where(zone));
  }
  if (std::abs(sum_X - 1) > kSumTolerance)
    throw Error(Status::BadInput, "sum of X = " + repr(sum_X) + " differs from 1 by more than " +
                                      repr(kSumTolerance) + where(zone));
}

void check_times(const std::vector<double>& times) {
  if (times.empty()) throw Error(Status::BadInput, "times is empty: give dt or output times");
  double prev = 0;
  for (size_t k = 0; k < times.size(); ++k) {
    if (!std::isfinite(times[k]) || times[k] <= prev)
      throw Error(Status::BadInput, "times[" + repr(k) + "] = " + repr(times[k]) +
                                        " s is invalid: output times must be finite, > 0 and increasing");
    prev = times[k];
  }
}

void check_dt(double dt) {
  if (!std::isfinite(dt) || dt <= 0)
    throw Error(Status::BadInput, "dt = " + repr(dt) + " s is invalid: must be finite and > 0");
}

void check_options(const BurnOptions& opt) {
  if (!(opt.rtol > 0 && opt.rtol < 1)) throw Error(Status::BadInput, "rtol = " + repr(opt.rtol) + " must be in (0, 1)");
  if (!(opt.atol > 0 && opt.atol < 1)) throw Error(Status::BadInput, "atol = " + repr(opt.atol) + " must be in (0, 1)");
  if (opt.max_steps <= 0) throw Error(Status::BadInput, "max_steps = " + repr(opt.max_steps) + " must be > 0");
  if (opt.integrator != "auto" && opt.integrator != "bdf" && opt.integrator != "rodas4")
    throw Error(Status::BadInput, "integrator = " + quoted(opt.integrator) + " is unknown (use auto, bdf or rodas4)");
}

double electron_fraction(const Network& net, const double* X) {
  double zy = 0, ay = 0;
  for (int i = 0; i < net.n_species(); ++i) {
    zy += net.isotopes[i].Z * X[i] / net.isotopes[i].A;
    ay += X[i];
  }
  return zy / ay;
}

BurnResult burn(const Network& net, double T, double rho, const double* X0,
                const std::vector<double>& times, const BurnOptions& opt) {
  check_options(opt);
  check_zone(net, T, rho, X0);
  check_times(times);
  Thermo th;
  th.T0 = T;
  th.rho0 = rho;
  return burn_mode(net, th, X0, times, opt);
}

namespace {
// Validation of the modes beyond check_zone / check_times.
void check_history(const History& h, const std::vector<double>& times, int zone = -1) {
  try {
    h.check_covers(times.back());
  } catch (const Error& e) {
    throw Error(e.status(), e.what() + where(zone));
  }
}

// The zone's X must sum to 1 within kSumTolerance; T0, rho must be in the
// EOS's domain (its message names the limit).
void check_self_heating(const Network& net, double T0, double rho, const double* X, int zone = -1) {
  double sumY = 0, sumAY = 0, sumZY = 0;
  for (int i = 0; i < net.n_species(); ++i) {
    sumY += X[i] / net.isotopes[i].A;
    sumAY += X[i];
    sumZY += X[i] * net.isotopes[i].Z / net.isotopes[i].A;
  }
  try {
    stellar_eos(T0, rho, sumAY / sumY, sumZY / sumAY);
  } catch (const Error& e) {
    throw Error(Status::BadInput, std::string("self-heating burn: ") + e.what() + where(zone));
  }
}
}  // namespace

BurnResult burn_history(const Network& net, const History& history, const double* X0,
                        const std::vector<double>& times, const BurnOptions& opt) {
  check_options(opt);
  check_times(times);
  check_history(history, times);
  double T, rho;
  history.at(0.0, T, rho);
  check_zone(net, T, rho, X0);
  Thermo th;
  th.mode = BurnMode::History;
  th.history = &history;
  return burn_mode(net, th, X0, times, opt);
}

BurnResult burn_self_heating(const Network& net, double T0, double rho, const double* X0,
                             const std::vector<double>& times, const BurnOptions& opt) {
  check_options(opt);
  check_zone(net, T0, rho, X0);
  check_times(times);
  check_self_heating(net, T0, rho, X0);
  Thermo th;
  th.mode = BurnMode::SelfHeating;
  th.T0 = T0;
  th.rho0 = rho;
  th.thermal_neutrinos = opt.thermal_neutrinos;
  return burn_mode(net, th, X0, times, opt);
}

static BurnResult burn_mode(const Network& net, const Thermo& th, const double* X0,
                            const std::vector<double>& times, const BurnOptions& opt) {
  if (opt.integrator != "auto") return burn_with(net, th, X0, times, opt, opt.integrator);
  // BDF first (fastest, measured in bdf.cpp); the rare zone it cannot finish
  // (0.2 % of mesa_80 training samples, mostly NSE at 6e9 K, 1e9 g/cm^3 near
  // 30 s) is burned again from the start by RODAS4, whose one-step error
  // control does not depend on a history. The message says so.
  BurnResult r = burn_with(net, th, X0, times, opt, "bdf");
  if (r.status != Status::IntegratorFailed) return r;
  // Not after bdf used up max_steps: RODAS4 takes 6 RHS and an LU per step
  // against bdf's ~2.5 RHS and ~0.2 LU, and no such burn has been finished
  // by it. Measured: the medium domain sweep (20000 steps, 3 x 1560 burns)
  // has 49 of them and RODAS4 finished none (the 16 it rescued were bdf
  // stalls, at 1e10 K and rho 1e4-1e6 g/cm^3, which bdf itself burns since
  // its e_nu row has a round-off floor); at the default max_steps it only
  // doubled the time to the failure (mesa_151 at 1e10 K, 1e10 g/cm^3, dt
  // 1e6 s: 27 s of bdf, then 55 s more; docs/domain.md).
  if (r.n_steps + r.n_rejected >= opt.max_steps) {
    r.message += "; rodas4 not tried (auto does not retry a burn that used up max_steps)";
    return r;
  }
  BurnResult r2 = burn_with(net, th, X0, times, opt, "rodas4");
  r2.n_steps += r.n_steps;
  r2.n_rejected += r.n_rejected;
  r2.n_rhs += r.n_rhs;
  r2.n_jac += r.n_jac;
  r2.n_lu += r.n_lu;
  // each message names its integrator once ("bdf: ..."), except burn()'s own
  auto named = [](const char* who, const std::string& m) {
    return m.rfind(std::string(who) + ":", 0) == 0 ? m : std::string(who) + ": " + m;
  };
  r2.message = r2.status == Status::Ok ? "" : named("bdf", r.message) + "; " + named("rodas4", r2.message);
  return r2;
}

static BurnResult burn_with(const Network& net, const Thermo& th, const double* X0,
                            const std::vector<double>& times, const BurnOptions& opt,
                            const std::string& integrator_name) {
  const int n = net.n_species();
  const auto& iso = net.isotopes;

  BurnResult res;
  res.n_species = n;
  res.n_times = static_cast<int>(times.size());
  res.X.assign(static_cast<size_t>(n) * times.size(), 0.0);
  res.eps_nuc.assign(times.size(), 0.0);
  res.eps_nu.assign(times.size(), 0.0);
  res.Ye.assign(times.size(), 0.0);
  res.T.assign(times.size(), 0.0);
  res.eps_nu_thermal.assign(times.size(), 0.0);

  double sum = 0;
  for (int i = 0; i < n; ++i) sum += X0[i];
  BurnState s;
  s.Y.resize(n);
  std::vector<double> Y0(n);
  for (int i = 0; i < n; ++i) Y0[i] = s.Y[i] = X0[i] / sum / iso[i].A;
  s.ye0 = electron_fraction_of_molar(net, Y0.data());

  BurnSystem sys(net, th);
  s.T = th.T0;
  if (th.mode == BurnMode::History) {
    double rho0;
    th.history->at(0.0, s.T, rho0);
  }
  IntegratorOptions iopt{opt.rtol, opt.atol, opt.max_steps};
  auto integrator = make_integrator(integrator_name, net, net.lu);
  const Constants& c = net.constants;
  // history samples inside the burn: stops where the integrator restarts
  const std::vector<double> breaks =
      th.mode == BurnMode::History ? th.history->breakpoints(0.0, times.back()) : std::vector<double>{};
  size_t b = 0;
  int k = 0;
  try {
    for (; k < res.n_times; ++k) {
      for (; b < breaks.size() && breaks[b] <= times[k]; ++b) {
        integrator->integrate(sys, s, breaks[b], iopt);
        integrator->restart();
      }
      integrator->integrate(sys, s, times[k], iopt);
      res.table_clamped |= sys.table_clamped();
      // Clip round-off negatives (|X| <= max(100 atol, 1e-10)); larger ones are a failure.
      double* X = &res.X[static_cast<size_t>(k) * n];
      double total = 0;
      for (int i = 0; i < n; ++i) {
        double x = s.Y[i] * iso[i].A;
        if (x < 0) {
          if (x < -std::max(100 * opt.atol, 1e-10))
            throw Error(Status::IntegratorFailed, "X[" + iso[i].name + "] = " + repr(x) +
                                                      " became negative beyond round-off at t = " + repr(times[k]) + " s");
          x = 0;
        }
        X[i] = x;
        total += x;
      }
      if (std::abs(total - 1) > std::abs(res.mass_drift)) res.mass_drift = total - 1;
      for (int i = 0; i < n; ++i) X[i] /= total;
      // energy from mass excesses: e = -N_A sum dY_i (A_i m_u + dm_i) c^2, written
      // as dm_i plus m_u * d(sum X) to avoid cancelling ~1e4 MeV masses
      double dE = 0, dSumX = 0;
      for (int i = 0; i < n; ++i) {
        const double dY = s.Y[i] - Y0[i];
        dE += dY * iso[i].dm_MeV;
        dSumX += dY * iso[i].A;
      }
      dE += dSumX * c.m_u_MeV;
      res.eps_nuc[k] = -c.N_A * c.MeV2erg * dE - s.e_nu;
      res.eps_nu[k] = s.e_nu / times[k];
      res.Ye[k] = electron_fraction(net, X);
      if (th.mode == BurnMode::History) {
        double rho_k;
        th.history->at(times[k], s.T, rho_k);
      }
      res.T[k] = s.T;
      res.eps_nu_thermal[k] = s.e_nu_th / times[k];
    }
  } catch (const Error& e) {
    res.status = e.status();
    res.message = e.what();
    // (also after an integrator's stop past the network's physics, OutOfDomain)
    if (e.status() == Status::IntegratorFailed || e.status() == Status::OutOfDomain)
      res.message += network_limit_note(net, s.ye0, s.Y.data());
    // a self-heating burn that failed after leaving the domain says so
    if (e.status() == Status::IntegratorFailed && !sys.domain_message().empty()) {
      res.status = Status::OutOfDomain;
      res.message += "; " + sys.domain_message();
    }
    for (int kk = k; kk < res.n_times; ++kk) {  // no garbage: later outputs are NaN-free zeros
      res.eps_nuc[kk] = res.eps_nu[kk] = res.Ye[kk] = res.T[kk] = res.eps_nu_thermal[kk] = 0;
    }
  }
  res.n_steps = s.n_steps;
  res.n_rejected = s.n_rejected;
  res.n_rhs = s.n_rhs;
  res.n_jac = s.n_jac;
  res.n_lu = s.n_lu;
  return res;
}

std::vector<BurnResult> burn_batch(const Network& net, int n_zones, const double* T,
                                   const double* rho, const double* X0,
                                   const std::vector<double>& times, const BurnOptions& opt,
                                   int n_threads) {
  if (n_zones < 0) throw Error(Status::BadInput, "n_zones = " + repr(n_zones) + " must be >= 0");
  if (n_threads < 0) throw Error(Status::BadInput, "n_threads = " + repr(n_threads) + " must be >= 0 (0: all cores)");
  check_options(opt);
  const int n = net.n_species();
  for (int z = 0; z < n_zones; ++z) check_zone(net, T[z], rho[z], X0 + static_cast<size_t>(z) * n, z);
  check_times(times);
  return run_zones(n_zones, n_threads, [&](int z) {
    return burn(net, T[z], rho[z], X0 + static_cast<size_t>(z) * n, times, opt);
  });
}

namespace {
void check_batch(int n_zones, int n_threads, const BurnOptions& opt,
                 const std::vector<double>& times) {
  if (n_zones < 0) throw Error(Status::BadInput, "n_zones = " + repr(n_zones) + " must be >= 0");
  if (n_threads < 0) throw Error(Status::BadInput, "n_threads = " + repr(n_threads) + " must be >= 0 (0: all cores)");
  check_options(opt);
  check_times(times);
}
}  // namespace

std::vector<BurnResult> burn_batch_history(const Network& net, int n_zones,
                                           const std::vector<History>& histories, const double* X0,
                                           const std::vector<double>& times,
                                           const BurnOptions& opt, int n_threads) {
  check_batch(n_zones, n_threads, opt, times);
  if (histories.size() != 1 && histories.size() != static_cast<size_t>(n_zones))
    throw Error(Status::BadInput, "histories: " + repr(histories.size()) + " given, expected 1 (shared) or n_zones = " +
                                      repr(n_zones));
  const int n = net.n_species();
  auto hist = [&](int z) -> const History& { return histories[histories.size() == 1 ? 0 : z]; };
  for (int z = 0; z < n_zones; ++z) {
    check_history(hist(z), times, z);
    double T, rho;
    hist(z).at(0.0, T, rho);
    check_zone(net, T, rho, X0 + static_cast<size_t>(z) * n, z);
  }
  return run_zones(n_zones, n_threads, [&](int z) {
    return burn_history(net, hist(z), X0 + static_cast<size_t>(z) * n, times, opt);
  });
}

std::vector<BurnResult> burn_batch_self_heating(const Network& net, int n_zones, const double* T0,
                                                const double* rho, const double* X0,
                                                const std::vector<double>& times,
                                                const BurnOptions& opt, int n_threads) {
  check_batch(n_zones, n_threads, opt, times);
  const int n = net.n_species();
  for (int z = 0; z < n_zones; ++z) {
    check_zone(net, T0[z], rho[z], X0 + static_cast<size_t>(z) * n, z);
    check_self_heating(net, T0[z], rho[z], X0 + static_cast<size_t>(z) * n, z);
  }
  return run_zones(n_zones, n_threads, [&](int z) {
    return burn_self_heating(net, T0[z], rho[z], X0 + static_cast<size_t>(z) * n, times, opt);
  });
}

template <class BurnZone>
static std::vector<BurnResult> run_zones(int n_zones, int n_threads, BurnZone burn_zone) {
  std::vector<BurnResult> out(n_zones);
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_threads = std::min(n_threads, std::max(1, n_zones));
  std::atomic<int> next{0};
  auto work = [&]() {
    for (int z = next++; z < n_zones; z = next++) {
      try {
        out[z] = burn_zone(z);
      } catch (const Error& e) {
        out[z].status = e.status();
        out[z].message = e.what();
      } catch (const std::exception& e) {
        out[z].status = Status::Internal;
        out[z].message = e.what();
      }
    }
  };
  if (n_threads == 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < n_threads; ++t) pool.emplace_back(work);
    for (auto& th : pool) th.join();
  }
  return out;
}

}  // namespace nnn
