#include "emulator.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include "nnn/format.hpp"
#include "nnn/kinetics.hpp"
#include "nnn/status.hpp"
#include "nnn/sums.hpp"
#include "vector_math.hpp"

namespace nnn::emulator {

namespace fs = std::filesystem;

namespace {

// Shortest text that reads back as the same double (the value the caller gave).
[[noreturn]] void file_error(const std::string& msg) { throw Error(Status::EmulatorFile, msg); }
[[noreturn]] void bad_input(const std::string& msg) { throw Error(Status::BadInput, msg); }

std::string list(const std::vector<std::string>& v, size_t max = 8) {
  std::string s = "[";
  for (size_t i = 0; i < v.size() && i < max; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > max) s += ", ... (" + std::to_string(v.size()) + " in all)";
  return s + "]";
}

// The attributes of an nnn-emulator-2 module (no JSON: TorchScript attributes).
ModelInfo read_info(const EmulatorModel& m, const std::string& path, const std::string& meta_json) {
  const std::string where = "model '" + path + "'";
  if (!m.has_attr("nnn_format")) {
    if (meta_json.find("nnn-emulator-1") != std::string::npos)
      file_error(where + " is an nnn-emulator-1 model (one model per dt); this nnn reads " +
                 std::string(kFormat) + " (one model for every dt): retrain it with python -m nnn.train");
    file_error(where + " has no attribute 'nnn_format': not an nnn emulator file (export it with "
               "nnn.emulate.model.export)");
  }
  ModelInfo info;
  info.path = path;
  info.meta_json = meta_json;
  info.format = m.attr_string("nnn_format");
  if (info.format != kFormat)
    file_error(where + " has format '" + info.format + "', expected '" + kFormat + "'" +
               (info.format == "nnn-emulator-1" ? ": retrain it with python -m nnn.train" : ""));
  info.network = m.attr_string("network");
  info.network_hash = m.attr_string("network_hash");
  info.isotopes = m.attr_string_list("isotopes");
  const std::vector<double> d = m.attr_double_list("domain");
  if (d.size() != 8)
    file_error(where + ": attribute 'domain' has " + std::to_string(d.size()) +
               " values, expected 8 (log T, log rho, Ye, log10 dt: lo, hi)");
  static const char* names[4] = {"log T", "log rho", "Ye", "log10 dt"};
  double* iv[4] = {info.domain.logT, info.domain.logrho, info.domain.Ye, info.domain.logdt};
  for (int k = 0; k < 4; ++k) {
    const double lo = d[2 * k], hi = d[2 * k + 1];
    if (!(std::isfinite(lo) && std::isfinite(hi) && lo <= hi))
      file_error(where + ": domain of " + names[k] + " is [" + repr(lo) + ", " + repr(hi) +
                 "], expected finite lo <= hi");
    iv[k][0] = lo;
    iv[k][1] = hi;
  }
  return info;
}

void check_network(const ModelInfo& m, const Network& net) {
  const std::string where = "model '" + m.path + "'";
  std::vector<std::string> iso;
  for (const auto& i : net.isotopes) iso.push_back(i.name);
  if (iso != m.isotopes) {
    std::string detail;
    const std::set<std::string> a(m.isotopes.begin(), m.isotopes.end()), b(iso.begin(), iso.end());
    if (a == b && m.isotopes.size() == iso.size()) {
      size_t k = 0;
      while (k < iso.size() && iso[k] == m.isotopes[k]) ++k;
      detail = "same isotopes in a different order (position " + std::to_string(k) + ": model '" +
               m.isotopes[k] + "', network '" + iso[k] + "')";
    } else {
      std::vector<std::string> only_m, only_n;
      for (const auto& s : m.isotopes) if (!b.count(s)) only_m.push_back(s);
      for (const auto& s : iso) if (!a.count(s)) only_n.push_back(s);
      detail = "only in the model: " + list(only_m) + ", only in the network: " + list(only_n);
    }
    file_error(where + " was trained on network '" + m.network + "' (" + std::to_string(m.isotopes.size()) +
               " isotopes) and cannot be used with network '" + net.name + "' (" +
               std::to_string(iso.size()) + " isotopes): " + detail);
  }
  if (m.network_hash != net.sha256)
    file_error(where + " was trained on network '" + m.network + "' with file hash " + m.network_hash +
               ", but the loaded network '" + net.name + "' (" + net.path + ") has hash " + net.sha256 +
               ": the network file changed since training; retrain or load the original file");
}

// Closed interval with a round-off slack: Ye of an N = Z composition computes
// to 0.5 +- 1 ulp, and domains are often [.., 0.5].
constexpr double kDomainSlack = 1e-10;
bool inside(double v, const double iv[2]) { return v >= iv[0] - kDomainSlack && v <= iv[1] + kDomainSlack; }

// i-1 such that g[i-1] < x <= g[i], within [0, size-2]: kinetics.cpp's lookup
// (pynucastro's searchsorted), repeated here for the point evaluation below.
int lower_index(const std::vector<double>& g, double x) {
  long i = std::lower_bound(g.begin(), g.end(), x) - g.begin();
  i = std::min<long>(static_cast<long>(g.size()) - 1, i) - 1;
  return static_cast<int>(std::max<long>(0, i));
}

// Where one (log T, log rho*Ye) falls on a weak-rate table's grid: the cells
// and weights of WeakTable::column then column_value (from a fresh hint), with
// the same operations in the same order. Edges are clamped and *clamped set,
// as there.
struct GridPoint {
  size_t r0, r1;  // offsets of the (rho*Ye, T) cell's lower-T corners in log_rate
  double wT, wx;  // weights along log T and log rho*Ye
};

GridPoint locate(const WeakTable& t, double lT, double x, bool* clamped) {
  if (lT < t.log_T.front() || lT > t.log_T.back()) {
    *clamped = true;
    lT = std::clamp(lT, t.log_T.front(), t.log_T.back());
  }
  const std::vector<double>& g = t.log_rhoy;
  if (x < g.front() || x > g.back()) {
    *clamped = true;
    x = std::clamp(x, g.front(), g.back());
  }
  const int j = lower_index(t.log_T, lT), i = lower_index(g, x);
  const size_t nT = t.log_T.size();
  return {i * nT + j, (i + 1) * nT + j, (lT - t.log_T[j]) / (t.log_T[j + 1] - t.log_T[j]),
          (x - g[i]) / (g[i + 1] - g[i])};
}

// log10 of a table on a weak-rate grid (rates, 1/s: WeakTable::log_rate or a
// SummedTable) at a located point: only the two log T-interpolated entries of the
// column that the rho*Ye interpolation reads (the column has one per rho*Ye grid
// point)
double table_log_rate(const std::vector<double>& log_rate, const GridPoint& p) {
  const double* r0 = &log_rate[p.r0];
  const double* r1 = &log_rate[p.r1];
  const double c0 = r0[0] + (r0[1] - r0[0]) * p.wT, c1 = r1[0] + (r1[1] - r1[0]) * p.wT;
  return c0 + (c1 - c0) * p.wx;
}

// Change of the charge per reaction of a dY/dt term: sum_i coef_i Z_i
// (0 for strong and electromagnetic rates, +-1 for beta decays and captures).
double charge_change(const Network& net, const Term& t) {
  double dz = 0;
  for (size_t q = 0; q < t.species.size(); ++q) dz += t.coef[q] * net.isotopes[t.species[q]].Z;
  return dz;
}

}  // namespace

void check_config(const Config& c, const char* threads_name) {
  auto need = [](bool ok, const char* name, double v, const char* rule) {
    if (!ok) bad_input(std::string("emulator setting ") + name + " = " + repr(v) + " is invalid: must be " + rule);
  };
  need(c.sum_tolerance > 0 && c.sum_tolerance < 1, "sum_tolerance", c.sum_tolerance, "in (0, 1)");
  need(c.negative_tolerance >= 0 && c.negative_tolerance < 1, "negative_tolerance", c.negative_tolerance,
       "in [0, 1)");
  need(c.max_error >= 0, "max_error", c.max_error, ">= 0 (0: no threshold)");
  need(c.max_dye >= 0 && c.max_dye < 1, "max_dye", c.max_dye, "in [0, 1) (0: no threshold)");
  need(c.energy_rtol >= 0 && std::isfinite(c.energy_rtol), "energy_rtol", c.energy_rtol, "finite and >= 0");
  need(c.energy_dx >= 0 && std::isfinite(c.energy_dx), "energy_dx", c.energy_dx, "finite and >= 0");
  need(c.dye_safety > 0 && std::isfinite(c.dye_safety), "dye_safety", c.dye_safety, "finite and > 0");
  need(c.dye_atol >= 0 && std::isfinite(c.dye_atol), "dye_atol", c.dye_atol, "finite and >= 0");
  need(c.torch_threads >= 0, threads_name, c.torch_threads, ">= 0 (0: libtorch's own setting)");
  need(c.batch_size >= 1, "batch_size", c.batch_size, ">= 1");
}

std::shared_ptr<const Runtime> Runtime::load(std::shared_ptr<const Network> net, const std::string& path,
                                               const std::string& device) {
  if (!net) bad_input("network is NULL");
  if (path.empty()) bad_input("emulator model path is empty");
  std::error_code ec;
  if (fs::is_directory(path, ec))
    file_error("emulator model '" + path + "' is a directory: give the model file (<network>.pt); " +
               std::string(kFormat) + " has one file per network");
  if (!fs::is_regular_file(path, ec)) file_error("emulator model '" + path + "' does not exist");
  auto em = std::shared_ptr<Runtime>(new Runtime());
  em->net_ = net;
  const Network& N = *net;
  const int n = N.n_species();
  std::string meta;
  em->model_ = load_torch_model(path, &meta, device);
  em->info_ = read_info(*em->model_, path, meta);
  check_network(em->info_, N);

  // probe: one zone in the middle of the domain checks the in/out widths
  const Domain& D = em->info_.domain;
  std::vector<double> x(3 + n, 1.0 / n), y(n + 3);
  x[0] = 0.5 * (D.logT[0] + D.logT[1]);
  x[1] = 0.5 * (D.logrho[0] + D.logrho[1]);
  x[2] = 0.5 * (D.logdt[0] + D.logdt[1]);
  em->model_->forward(x.data(), 1, 3 + n, y.data(), n + 3, 1);

  // energy check: q_i in erg/g per unit X_i
  const Constants& c = N.constants;
  double qmin = std::numeric_limits<double>::infinity(), qmax = -qmin;
  for (const Isotope& iso : N.isotopes) {
    const double q = iso.dm_MeV / iso.A * c.N_A * c.MeV2erg;
    em->q_.push_back(q);
    em->zeta_.push_back(static_cast<double>(iso.Z) / iso.A);
    qmin = std::min(qmin, q);
    qmax = std::max(qmax, q);
  }
  em->q_span_ = qmax - qmin;

  // |dYe| bound: the rates that change the charge. Tabular ones are read from
  // their tables; the others go into a network of their own for Kinetics
  // (with only the screening pairs and partition functions they use, so that
  // evaluating it costs little)
  auto weak = std::make_shared<Network>();
  weak->name = N.name + " (weak rates)";
  weak->path = N.path;
  weak->sha256 = N.sha256;
  weak->constants = N.constants;
  weak->set_isotopes(N.isotopes);
  weak->neutron = N.neutron;
  std::vector<int> pair_map(N.screen_pairs.size(), -1), pf_map(N.partition_functions.size(), -1);
  for (int r : N.network_rates) {
    const Rate& rate = N.rates[r];
    const double dz = charge_change(N, rate.term);
    if (std::abs(dz) < 0.5) continue;
    WeakRate w{std::abs(dz) * rate.term.prefactor, rate.term.dens_exp, rate.term.ye_weight, -1};
    for (size_t q = 0; q < rate.term.y_species.size(); ++q)
      w.coef *= std::pow(1.0 / N.isotopes[rate.term.y_species[q]].A, rate.term.y_power[q]);
    if (w.dens_exp < 0 || w.dens_exp > 8)
      throw Error(Status::Internal, "network '" + N.name + "': rate '" + rate.label + "' has rho^" +
                                        std::to_string(w.dens_exp) + "; the |dYe| bound handles rho^0..rho^8");
    em->max_dens_exp_ = std::max(em->max_dens_exp_, w.dens_exp);
    if (rate.kind == RateKind::Tabular) {
      // the tables of a network share a few grids: the bound locates (T, rho Ye) once per
      // grid, and reads one sum per grid (summed_; log10 taken below)
      const WeakTable& t = N.tables[rate.table];
      int grid = -1;
      for (size_t g = 0; g < em->grids_.size() && grid < 0; ++g) {
        const WeakTable& u = N.tables[em->grids_[g]];
        if (u.log_T == t.log_T && u.log_rhoy == t.log_rhoy) grid = static_cast<int>(g);
      }
      if (grid < 0) {
        grid = static_cast<int>(em->grids_.size());
        em->grids_.push_back(rate.table);
      }
      auto it = std::find_if(em->summed_.begin(), em->summed_.end(), [&](const SummedTable& u) {
        return u.grid == grid && u.dens_exp == w.dens_exp && u.ye_weight == w.ye_weight;
      });
      if (it == em->summed_.end()) {
        em->summed_.push_back({grid, w.dens_exp, w.ye_weight, std::vector<double>(t.log_rate.size(), 0.0)});
        it = em->summed_.end() - 1;
      }
      for (size_t c = 0; c < t.log_rate.size(); ++c) it->log_rate[c] += w.coef * std::pow(10.0, t.log_rate[c]);
      continue;
    }
    if (rate.kind == RateKind::ReacLib || rate.kind == RateKind::Derived) {
      Rate copy = rate;
      for (int& p : copy.screen) {
        if (pair_map[p] < 0) {
          pair_map[p] = static_cast<int>(weak->screen_pairs.size());
          weak->screen_pairs.push_back(N.screen_pairs[p]);
        }
        p = pair_map[p];
      }
      for (auto& [p, sign] : copy.pf_terms) {
        if (pf_map[p] < 0) {
          pf_map[p] = static_cast<int>(weak->partition_functions.size());
          weak->partition_functions.push_back(N.partition_functions[p]);
        }
        p = pf_map[p];
      }
      w.evaluator = static_cast<int>(weak->rates.size());
      weak->network_rates.push_back(w.evaluator);
      weak->rates.push_back(std::move(copy));
    } else {
      throw Error(Status::Internal, "network '" + N.name + "': approximate rate '" + rate.label +
                                        "' changes the charge; the |dYe| bound cannot evaluate it");
    }
    em->weak_.push_back(w);
  }
  // (a sum below 1e-300 /s, all its rates underflowing, counts as 1e-300: a finite
  // log keeps the interpolation's arithmetic finite)
  for (SummedTable& t : em->summed_)
    for (double& v : t.log_rate) v = std::log10(std::max(v, 1e-300));
  if (!weak->rates.empty()) {
    weak->set_flux_layout();
    em->weak_net_ = weak;
  }
  return em;
}

// Evaluates the |dYe| bound's rate zone after zone, reusing its buffers and
// one Kinetics of weak_net_ (moved to each zone's T, rho).
class Runtime::YeBound {
 public:
  explicit YeBound(const Runtime& e)
      : e_(e), Y_(e.net_->n_species()), points_(e.grids_.size()), v_(e.summed_.size()),
        rho_pow_(e.max_dens_exp_ + 1) {}

  double rate(double T, double rho, const double* X) {
    const Network& N = *e_.net_;
    const int n = N.n_species();
    for (int i = 0; i < n; ++i) Y_[i] = X[i] / N.isotopes[i].A;
    const double ye = e_.ye_of(X, sum(X, n));
    if (e_.weak_net_) {
      if (!kin_) kin_ = std::make_unique<Kinetics>(*e_.weak_net_, T, rho);
      else kin_->set_conditions(T, rho);
      kin_->update(Y_.data());
    }
    rho_pow_[0] = 1;
    for (size_t k = 1; k < rho_pow_.size(); ++k) rho_pow_[k] = rho_pow_[k - 1] * rho;
    constexpr double ln10 = 2.302585092994045684;
    const double log_T = std::log10(T), log_rhoy = std::log10(rho * ye);
    bool clamped = false;  // a table read at its edge: the edge value (as the engine)
    for (size_t g = 0; g < points_.size(); ++g) points_[g] = locate(N.tables[e_.grids_[g]], log_T, log_rhoy, &clamped);
    const int ns = static_cast<int>(e_.summed_.size());
    for (int s = 0; s < ns; ++s) v_[s] = table_log_rate(e_.summed_[s].log_rate, points_[e_.summed_[s].grid]);
    exp_scaled(v_.data(), ln10, ns, v_.data());
    double sum = 0;
    for (int s = 0; s < ns; ++s) {
      const SummedTable& t = e_.summed_[s];
      sum += rho_pow_[t.dens_exp] * (t.ye_weight ? ye : 1.0) * v_[s];
    }
    for (const WeakRate& w : e_.weak_)
      sum += w.coef * rho_pow_[w.dens_exp] * (w.ye_weight ? ye : 1.0) * kin_->rate_value(w.evaluator);
    return sum;
  }

 private:
  const Runtime& e_;
  std::vector<double> Y_;
  std::vector<GridPoint> points_;  // (T, rho Ye) on each grid of the weak tables
  std::vector<double> v_;          // the summed tabular rates (1/s)
  std::vector<double> rho_pow_;    // rho^0 .. rho^max_dens_exp
  std::unique_ptr<Kinetics> kin_;
};

double Runtime::ye_of(const double* X, double sum_X) const {
  return dot(zeta_.data(), X, static_cast<int>(zeta_.size())) / sum_X;
}

double Runtime::dye_rate_bound(double T, double rho, const double* X) const {
  YeBound b(*this);
  return b.rate(T, rho, X);
}

ZoneResults Runtime::burn(int n_zones, const double* T, const double* rho, const double* X0, double dt,
                           const BurnOptions& opt, const Config& cfg, int n_threads) const {
  // every check before any work: input, integrator options, emulator settings
  if (n_zones < 0) bad_input("n_zones = " + std::to_string(n_zones) + " must be >= 0");
  if (n_threads < 0) bad_input("n_threads = " + std::to_string(n_threads) + " must be >= 0 (0: all cores)");
  const Network& net = *net_;
  const int n = net.n_species();
  check_dt(dt);
  for (int z = 0; z < n_zones; ++z) check_zone(net, T[z], rho[z], X0 + static_cast<size_t>(z) * n, z);
  check_options(opt);
  check_config(cfg);

  ZoneResults R;
  R.n_zones = n_zones;
  R.n_species = n;
  const size_t nx = static_cast<size_t>(n_zones) * n;
  R.X.assign(nx, 0.0);
  R.eps_nuc.assign(n_zones, 0.0);
  R.eps_nu.assign(n_zones, 0.0);
  R.Ye.assign(n_zones, 0.0);
  R.err.assign(n_zones, 0.0);
  R.path.assign(n_zones, static_cast<int>(Path::Emulator));
  R.status.assign(n_zones, 0);
  R.n_steps.assign(n_zones, 0);
  R.table_clamped.assign(n_zones, 0);
  R.mass_drift.assign(n_zones, 0.0);
  R.message.assign(n_zones, std::string());

  const Domain& D = info_.domain;
  const double logdt = std::log10(dt);
  std::vector<int> active;  // zones on the emulator path
  std::vector<double> x0_sum(n_zones), ye0(n_zones);  // sum of the input X, its Ye
  for (int z = 0; z < n_zones; ++z) {
    x0_sum[z] = sum(X0 + static_cast<size_t>(z) * n, n);
    ye0[z] = ye_of(X0 + static_cast<size_t>(z) * n, x0_sum[z]);
    if (!inside(std::log10(T[z]), D.logT) || !inside(std::log10(rho[z]), D.logrho) || !inside(ye0[z], D.Ye))
      R.path[z] = static_cast<int>(Path::FallbackDomain);
    else if (!inside(logdt, D.logdt))
      R.path[z] = static_cast<int>(Path::FallbackDt);
    else
      active.push_back(z);
  }

  const int n_in = 3 + n, n_out = n + 3;
  std::vector<double> in, out;
  YeBound ye_bound(*this);
  auto set_path = [&](int z, Path p) { R.path[z] = static_cast<int>(p); };
  for (size_t c0 = 0; c0 < active.size(); c0 += cfg.batch_size) {
    const int m = static_cast<int>(std::min<size_t>(cfg.batch_size, active.size() - c0));
    in.resize(static_cast<size_t>(m) * n_in);
    out.resize(static_cast<size_t>(m) * n_out);
    for (int r = 0; r < m; ++r) {
      const int z = active[c0 + r];
      double* row = &in[static_cast<size_t>(r) * n_in];
      row[0] = std::log10(T[z]);
      row[1] = std::log10(rho[z]);
      row[2] = logdt;
      // the input composition normalised: the model's X0 (and the checks' below)
      const double* x0 = X0 + static_cast<size_t>(z) * n;
      const double inv_sum = 1.0 / x0_sum[z];
      for (int i = 0; i < n; ++i) row[3 + i] = x0[i] * inv_sum;
    }
    try {
      R.inference_threads = model_->forward(in.data(), m, n_in, out.data(), n_out, cfg.torch_threads);
    } catch (const Error& e) {  // the model failed: these zones go to the integrator
      if (R.model_error.empty()) R.model_error = e.what();
      for (int r = 0; r < m; ++r) set_path(active[c0 + r], Path::FallbackModel);
      continue;
    }
    for (int r = 0; r < m; ++r) {
      const int z = active[c0 + r];
      const double* y = &out[static_cast<size_t>(r) * n_out];
      const double eps_nuc = y[n], eps_nu = y[n + 1], err = y[n + 2];
      // sanity: finite, sum X ~ 1, no negatives beyond round-off, err >= 0
      // (X written first, clipped at 0: a zone that fails gets the fallback's X)
      double* x = &R.X[static_cast<size_t>(z) * n];
      for (int i = 0; i < n; ++i) x[i] = std::max(0.0, y[i]);
      const double s = sum(x, n), s_raw = sum(y, n);  // s_raw is not finite if any X is not
      const bool ok = std::isfinite(eps_nuc) && std::isfinite(eps_nu) && std::isfinite(err) && err >= 0 &&
                      std::isfinite(s_raw) && min_of(y, n) >= -cfg.negative_tolerance;
      if (!(ok && std::abs(s_raw - 1) <= cfg.sum_tolerance && s > 0)) {
        set_path(z, Path::FallbackSanity);
        continue;
      }
      if (cfg.max_error > 0 && err > cfg.max_error) {
        set_path(z, Path::FallbackError);
        continue;
      }
      const double inv_s = 1.0 / s;
      for (int i = 0; i < n; ++i) x[i] *= inv_s;
      const double ye = ye_of(x, sum(x, n));
      const double dye = std::abs(ye - ye0[z]);
      if (cfg.max_dye > 0 && dye > cfg.max_dye * ye0[z]) {
        set_path(z, Path::FallbackYeChange);
        continue;
      }
      const double* xi = &in[static_cast<size_t>(r) * n_in + 3];
      if (cfg.check_energy) {
        const double e = dot(q_.data(), xi, n) - dot(q_.data(), x, n) - eps_nu * dt;
        const double tol = cfg.energy_rtol * std::max(std::abs(eps_nuc), std::abs(e)) +
                           q_span_ * (cfg.energy_dx + err);
        if (!(std::abs(eps_nuc - e) <= tol)) {
          set_path(z, Path::FallbackEnergy);
          continue;
        }
      }
      // the bound is dye_atol plus a rate term >= 0: a change within dye_atol passes
      // whatever the rates, and only larger ones need them evaluated
      if (cfg.check_dye && !(dye <= cfg.dye_atol)) {
        const double bound = cfg.dye_safety * dt * ye_bound.rate(T[z], rho[z], xi) + cfg.dye_atol;
        if (!(dye <= bound)) {
          set_path(z, Path::FallbackYe);
          continue;
        }
      }
      R.eps_nuc[z] = eps_nuc;
      R.eps_nu[z] = eps_nu;
      R.err[z] = err;
      R.Ye[z] = ye;
    }
  }

  // fallback: the integrator over the whole dt from X0
  std::vector<int> fb;
  for (int z = 0; z < n_zones; ++z)
    if (R.path[z] != static_cast<int>(Path::Emulator)) fb.push_back(z);
  if (!fb.empty()) {
    const int m = static_cast<int>(fb.size());
    std::vector<double> Tf(m), rf(m), Xf(static_cast<size_t>(m) * n);
    for (int j = 0; j < m; ++j) {
      Tf[j] = T[fb[j]];
      rf[j] = rho[fb[j]];
      std::copy(X0 + static_cast<size_t>(fb[j]) * n, X0 + static_cast<size_t>(fb[j] + 1) * n,
                &Xf[static_cast<size_t>(j) * n]);
    }
    auto rs = nnn::burn_batch(net, m, Tf.data(), rf.data(), Xf.data(), {dt}, opt, n_threads);
    for (int j = 0; j < m; ++j) {
      const int z = fb[j];
      const auto& r = rs[j];
      double* x = &R.X[static_cast<size_t>(z) * n];
      R.n_steps[z] = r.n_steps;
      R.status[z] = static_cast<int>(r.status);
      R.table_clamped[z] = r.table_clamped ? 1 : 0;
      R.mass_drift[z] = r.mass_drift;
      R.err[z] = 0;
      if (r.status == Status::Ok) {
        std::copy(r.X.begin(), r.X.begin() + n, x);
        R.eps_nuc[z] = r.eps_nuc[0];
        R.eps_nu[z] = r.eps_nu[0];
        R.Ye[z] = r.Ye[0];
      } else {  // as nnn_burn_zones: X0, no energy, the message
        std::copy(X0 + static_cast<size_t>(z) * n, X0 + static_cast<size_t>(z + 1) * n, x);
        R.eps_nuc[z] = R.eps_nu[z] = 0;
        R.Ye[z] = ye_of(x, sum(x, n));
        R.message[z] = r.message;
      }
    }
  }
  return R;
}

}  // namespace nnn::emulator
