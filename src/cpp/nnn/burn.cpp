#include "burn.hpp"

#include <atomic>
#include <charconv>
#include <cmath>
#include <sstream>
#include <thread>

#include "integrator.hpp"
#include "kinetics.hpp"

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
// shortest text that reads back as v (like Python's repr)
std::string fmt(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}
std::string where(int zone) { return zone >= 0 ? " (zone " + std::to_string(zone) + ")" : ""; }

// A failed burn whose Ye has come down to the lowest Z/A of the network's
// iron-group nuclei (A >= 40: fe56, 0.4643, in mesa_80) has run past the end
// of the network: further electron captures can only make free neutrons, and
// the integrators stall there (the one failure of 2048 mesa_80 training-domain
// zones, logT 9.797 logrho 8.692, fails at t = 62.6 s as Ye reaches 0.4644).
std::string ye_floor_note(const Network& net, const std::vector<double>& Y) {
  double zy = 0, ay = 0, floor = 1;
  std::string name;
  for (int i = 0; i < net.n_species(); ++i) {
    const Isotope& s = net.isotopes[i];
    zy += s.Z * Y[i];
    ay += s.A * Y[i];
    const double za = static_cast<double>(s.Z) / s.A;
    if (s.A >= 40 && za < floor) {
      floor = za;
      name = s.name;
    }
  }
  const double ye = zy / ay;
  if (name.empty() || !(ye < floor + 1e-3)) return "";
  return "; Ye = " + fmt(ye) + " has reached " + fmt(floor) + " (" + name +
         "), the lowest Z/A of the network's nuclei with A >= 40: further electron captures can "
         "only make free neutrons, past the end of this network (use a network with more "
         "neutron-rich iron-group nuclei, or a shorter dt)";
}
}  // namespace

static BurnResult burn_with(const Network& net, double T, double rho, const double* X0,
                            const std::vector<double>& times, const BurnOptions& opt,
                            const std::string& integrator_name);

void check_zone(const Network& net, double T, double rho, const double* X, int zone) {
  if (!std::isfinite(T) || T <= 0)
    throw Error(Status::BadInput, "T = " + fmt(T) + " K is invalid: must be finite and > 0" + where(zone));
  if (T < kReacLibTMin || T > kReacLibTMax)
    throw Error(Status::BadInput, "T = " + fmt(T) + " K is outside [" + fmt(kReacLibTMin) + ", " +
                                      fmt(kReacLibTMax) + "] K, where the ReacLib rate fits hold "
                                      "(above it matter is in NSE: use an NSE table)" + where(zone));
  if (!std::isfinite(rho) || rho <= 0)
    throw Error(Status::BadInput, "rho = " + fmt(rho) + " g/cm^3 is invalid: must be finite and > 0" + where(zone));
  double sum = 0;
  for (int i = 0; i < net.n_species(); ++i) {
    if (!std::isfinite(X[i]) || X[i] < 0)
      throw Error(Status::BadInput, "X[" + net.isotopes[i].name + "] = " + fmt(X[i]) +
                                        " is invalid: mass fractions must be finite and >= 0" + where(zone));
    sum += X[i];
  }
  if (std::abs(sum - 1) > kSumTolerance)
    throw Error(Status::BadInput, "sum of X = " + fmt(sum) + " differs from 1 by more than " +
                                      fmt(kSumTolerance) + where(zone));
}

void check_times(const std::vector<double>& times) {
  if (times.empty()) throw Error(Status::BadInput, "times is empty: give dt or output times");
  double prev = 0;
  for (size_t k = 0; k < times.size(); ++k) {
    if (!std::isfinite(times[k]) || times[k] <= prev)
      throw Error(Status::BadInput, "times[" + std::to_string(k) + "] = " + fmt(times[k]) +
                                        " s is invalid: output times must be finite, > 0 and increasing");
    prev = times[k];
  }
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
  if (opt.integrator != "auto") return burn_with(net, T, rho, X0, times, opt, opt.integrator);
  // BDF first (fastest, measured in bdf.cpp); the rare zone it cannot finish
  // (0.2 % of mesa_80 training samples, mostly NSE at 6e9 K, 1e9 g/cm^3 near
  // 30 s) is burned again from the start by RODAS4, whose one-step error
  // control does not depend on a history. The message says so.
  BurnResult r = burn_with(net, T, rho, X0, times, opt, "bdf");
  if (r.status != Status::IntegratorFailed) return r;
  BurnResult r2 = burn_with(net, T, rho, X0, times, opt, "rodas4");
  r2.n_steps += r.n_steps;
  r2.n_rejected += r.n_rejected;
  r2.n_rhs += r.n_rhs;
  r2.n_jac += r.n_jac;
  r2.message = r2.status == Status::Ok ? "" : "bdf: " + r.message + "; rodas4: " + r2.message;
  return r2;
}

static BurnResult burn_with(const Network& net, double T, double rho, const double* X0,
                            const std::vector<double>& times, const BurnOptions& opt,
                            const std::string& integrator_name) {
  check_zone(net, T, rho, X0);
  check_times(times);
  if (!(opt.rtol > 0 && opt.rtol < 1)) throw Error(Status::BadInput, "rtol = " + fmt(opt.rtol) + " must be in (0, 1)");
  if (!(opt.atol > 0 && opt.atol < 1)) throw Error(Status::BadInput, "atol = " + fmt(opt.atol) + " must be in (0, 1)");
  if (opt.max_steps <= 0)
    throw Error(Status::BadInput, "max_steps = " + std::to_string(opt.max_steps) + " must be > 0");
  const int n = net.n_species();
  const auto& iso = net.isotopes;

  BurnResult res;
  res.n_species = n;
  res.n_times = static_cast<int>(times.size());
  res.X.assign(static_cast<size_t>(n) * times.size(), 0.0);
  res.eps_nuc.assign(times.size(), 0.0);
  res.eps_nu.assign(times.size(), 0.0);
  res.Ye.assign(times.size(), 0.0);

  double sum = 0;
  for (int i = 0; i < n; ++i) sum += X0[i];
  BurnState s;
  s.Y.resize(n);
  std::vector<double> Y0(n);
  for (int i = 0; i < n; ++i) Y0[i] = s.Y[i] = X0[i] / sum / iso[i].A;

  Kinetics kin(net, T, rho);
  IntegratorOptions iopt{opt.rtol, opt.atol, opt.max_steps};
  auto integrator = make_integrator(integrator_name, net, net.lu);
  const Constants& c = net.constants;
  int k = 0;
  try {
    for (; k < res.n_times; ++k) {
      integrator->integrate(kin, s, times[k], iopt);
      res.table_clamped |= kin.table_clamped();
      // Clip round-off negatives (|X| <= max(100 atol, 1e-10)); larger ones are a failure.
      double* X = &res.X[static_cast<size_t>(k) * n];
      double total = 0;
      for (int i = 0; i < n; ++i) {
        double x = s.Y[i] * iso[i].A;
        if (x < 0) {
          if (x < -std::max(100 * opt.atol, 1e-10))
            throw Error(Status::IntegratorFailed, "X[" + iso[i].name + "] = " + fmt(x) +
                                                      " became negative beyond round-off at t = " + fmt(times[k]) + " s");
          x = 0;
        }
        X[i] = x;
        total += x;
      }
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
    }
  } catch (const Error& e) {
    res.status = e.status();
    res.message = e.what();
    if (e.status() == Status::IntegratorFailed) res.message += ye_floor_note(net, s.Y);
    for (int kk = k; kk < res.n_times; ++kk) {  // no garbage: later outputs are NaN-free zeros
      res.eps_nuc[kk] = res.eps_nu[kk] = res.Ye[kk] = 0;
    }
  }
  res.n_steps = s.n_steps;
  res.n_rejected = s.n_rejected;
  res.n_rhs = s.n_rhs;
  res.n_jac = s.n_jac;
  return res;
}

std::vector<BurnResult> burn_batch(const Network& net, int n_zones, const double* T,
                                   const double* rho, const double* X0,
                                   const std::vector<double>& times, const BurnOptions& opt,
                                   int n_threads) {
  if (n_zones < 0) throw Error(Status::BadInput, "n_zones = " + std::to_string(n_zones) + " must be >= 0");
  const int n = net.n_species();
  for (int z = 0; z < n_zones; ++z) check_zone(net, T[z], rho[z], X0 + static_cast<size_t>(z) * n, z);
  check_times(times);
  std::vector<BurnResult> out(n_zones);
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_threads = std::min(n_threads, std::max(1, n_zones));
  std::atomic<int> next{0};
  auto work = [&]() {
    for (int z = next++; z < n_zones; z = next++) {
      try {
        out[z] = burn(net, T[z], rho[z], X0 + static_cast<size_t>(z) * n, times, opt);
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
