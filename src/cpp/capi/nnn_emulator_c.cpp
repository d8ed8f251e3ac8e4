// C ABI of the emulator path (include/nnn_emulator.h): exceptions become
// status codes + the thread-local message that nnn_last_error() returns.
#include "nnn_emulator.h"

#include <cstring>
#include <filesystem>
#include <mutex>
#include <new>
#include <string>

#include "emulator/emulator.hpp"
#include "handles.hpp"
#include "nnn/burn.hpp"

namespace em_ns = nnn::emulator;

// Settings live behind a mutex so that a stray set_* while other threads burn
// is not a data race: each burn call copies one consistent Config.
struct nnn_emulator {
  std::shared_ptr<const em_ns::Runtime> em;
  mutable std::mutex mutex;
  em_ns::Config cfg;

  em_ns::Config config() const {
    std::lock_guard<std::mutex> lock(mutex);
    return cfg;
  }
  void set(const em_ns::Config& c) {
    std::lock_guard<std::mutex> lock(mutex);
    cfg = c;
  }
};

namespace {

void to_c_config(const em_ns::Config& c, nnn_emulator_config* cfg) {
  cfg->sum_tolerance = c.sum_tolerance;
  cfg->negative_tolerance = c.negative_tolerance;
  cfg->max_error = c.max_error;
  cfg->max_dye = c.max_dye;
  cfg->energy_rtol = c.energy_rtol;
  cfg->energy_dx = c.energy_dx;
  cfg->dye_safety = c.dye_safety;
  cfg->dye_atol = c.dye_atol;
  cfg->check_energy = c.check_energy ? 1 : 0;
  cfg->check_dye = c.check_dye ? 1 : 0;
  cfg->torch_threads = c.torch_threads;
  cfg->batch_size = c.batch_size;
}

em_ns::Config from_c_config(const nnn_emulator_config* cfg) {
  em_ns::Config c;
  c.sum_tolerance = cfg->sum_tolerance;
  c.negative_tolerance = cfg->negative_tolerance;
  c.max_error = cfg->max_error;
  c.max_dye = cfg->max_dye;
  c.energy_rtol = cfg->energy_rtol;
  c.energy_dx = cfg->energy_dx;
  c.dye_safety = cfg->dye_safety;
  c.dye_atol = cfg->dye_atol;
  c.check_energy = cfg->check_energy != 0;
  c.check_dye = cfg->check_dye != 0;
  c.torch_threads = cfg->torch_threads;
  c.batch_size = cfg->batch_size;
  return c;
}

// A model file, or the shipped model emulators/<name>.pt of a network name.
std::string resolve_model(const std::string& s) {
  std::error_code ec;
  if (std::filesystem::exists(s, ec)) return s;
  const bool is_name = s.find('/') == std::string::npos &&
                       !(s.size() > 3 && s.compare(s.size() - 3, 3, ".pt") == 0);
  if (!is_name) return s;  // a path that does not exist: the loader names it
  std::string searched;
  const std::string p = find_data_file("emulators/" + s + ".pt", &searched);
  if (p.empty())
    throw nnn::Error(nnn::Status::EmulatorFile,
                     "emulator model '" + s + "' not found: not a file, and no shipped model emulators/" + s +
                         ".pt in the network data directories (" + searched + ")");
  return p;
}

// Zone z's nnn_zone_info: the fallback integrator's, zeros for an emulator zone.
nnn_zone_info zone_info(const em_ns::ZoneResults& r, int z) {
  nnn_zone_info info{};
  info.n_steps = r.n_steps[z];
  info.table_clamped = r.table_clamped[z] ? 1 : 0;
  info.mass_drift = r.mass_drift[z];
  return info;
}

}  // namespace

extern "C" {

int nnn_emulator_has_libtorch(void) { return em_ns::have_libtorch() ? 1 : 0; }

void nnn_emulator_default_config(nnn_emulator_config* cfg) {
  if (cfg) to_c_config(em_ns::Config{}, cfg);
}

int nnn_emulator_load(const nnn_network* net, const char* model, nnn_emulator** em) {
  NNN_REQUIRE(em, "em");
  *em = nullptr;
  NNN_REQUIRE(net, "net");
  NNN_REQUIRE(model, "model");
  if (!*model) return fail(NNN_BAD_INPUT, "model = '' is empty: give a model file or a network name");
  return guarded([&]() -> int {
    auto h = std::make_unique<nnn_emulator>();
    h->em = em_ns::Runtime::load(net->net, resolve_model(model));
    *em = h.release();
    return NNN_OK;
  });
}

void nnn_emulator_free(nnn_emulator* em) { delete em; }

int nnn_emulator_check_network(const nnn_emulator* em, const nnn_network* net) {
  NNN_REQUIRE(em, "em");
  NNN_REQUIRE(net, "net");
  const nnn::Network& a = em->em->network();
  const nnn::Network& b = *net->net;
  if (&a == &b || a.sha256 == b.sha256) return NNN_OK;
  return fail(NNN_EMULATOR_FILE, "the emulator was loaded for network '" + a.name + "' (hash " + a.sha256 +
                                     ") but is used with network '" + b.name + "' (hash " + b.sha256 + ")");
}

int nnn_emulator_set_config(nnn_emulator* em, const nnn_emulator_config* cfg) {
  NNN_REQUIRE(em, "em");
  NNN_REQUIRE(cfg, "cfg");
  return guarded([&]() -> int {
    const em_ns::Config c = from_c_config(cfg);
    em_ns::check_config(c);
    em->set(c);
    return NNN_OK;
  });
}

int nnn_emulator_get_config(const nnn_emulator* em, nnn_emulator_config* cfg) {
  NNN_REQUIRE(em, "em");
  NNN_REQUIRE(cfg, "cfg");
  to_c_config(em->config(), cfg);
  return NNN_OK;
}

int nnn_emulator_set_threads(nnn_emulator* em, int torch_threads) {
  NNN_REQUIRE(em, "em");
  return guarded([&]() -> int {
    em_ns::Config c = em->config();
    c.torch_threads = torch_threads;
    em_ns::check_config(c);
    em->set(c);
    return NNN_OK;
  });
}

int nnn_emulator_model(const nnn_emulator* em, double* logT, double* logrho, double* Ye, double* logdt) {
  NNN_REQUIRE(em, "em");
  const em_ns::Domain& d = em->em->info().domain;
  if (logT) logT[0] = d.logT[0], logT[1] = d.logT[1];
  if (logrho) logrho[0] = d.logrho[0], logrho[1] = d.logrho[1];
  if (Ye) Ye[0] = d.Ye[0], Ye[1] = d.Ye[1];
  if (logdt) logdt[0] = d.logdt[0], logdt[1] = d.logdt[1];
  return NNN_OK;
}

int nnn_emulator_burn_zones(const nnn_emulator* em, int n_zones, const double* T,
                            const double* rho, const double* X0, double dt,
                            const nnn_options* opt, double* X_out, double* eps_nuc,
                            double* eps_nu, int* used_fallback, int* zone_status, double* err,
                            int n_threads) {
  return nnn_emulator_burn_zones_with_info(em, n_zones, T, rho, X0, dt, opt, X_out, eps_nuc, eps_nu,
                                           used_fallback, zone_status, err, n_threads, nullptr);
}

int nnn_emulator_burn_zones_with_info(const nnn_emulator* em, int n_zones, const double* T,
                                      const double* rho, const double* X0, double dt,
                                      const nnn_options* opt, double* X_out, double* eps_nuc,
                                      double* eps_nu, int* used_fallback, int* zone_status,
                                      double* err, int n_threads, nnn_zone_info* info) {
  if (info)
    for (int z = 0; z < n_zones; ++z) info[z] = nnn_zone_info{};
  NNN_REQUIRE(em, "em");
  if (n_zones < 0) return fail(NNN_BAD_INPUT, "n_zones = " + nnn::repr(n_zones) + " must be >= 0");
  if (n_zones > 0)  // no zones: the arrays may be NULL
    if (const int st = require_arrays(T, rho, X0, X_out, eps_nuc, eps_nu)) return mark_rejected(st, zone_status, n_zones);
  // Everything that can be rejected is rejected inside burn() before any
  // zone runs; after it returns every zone has its own status.
  em_ns::ZoneResults r;
  const int st = guarded([&]() -> int {
    r = em->em->burn(n_zones, T, rho, X0, dt, to_options(opt), em->config(), n_threads);
    return NNN_OK;
  });
  if (st != NNN_OK) return mark_rejected(st, zone_status, n_zones);
  if (n_zones == 0) return NNN_OK;  // the arrays may be NULL, and memcpy(NULL, ., 0) is undefined
  std::memcpy(X_out, r.X.data(), sizeof(double) * r.X.size());
  std::memcpy(eps_nuc, r.eps_nuc.data(), sizeof(double) * n_zones);
  std::memcpy(eps_nu, r.eps_nu.data(), sizeof(double) * n_zones);
  if (used_fallback) std::memcpy(used_fallback, r.path.data(), sizeof(int) * n_zones);
  if (zone_status) std::memcpy(zone_status, r.status.data(), sizeof(int) * n_zones);
  if (err) std::memcpy(err, r.err.data(), sizeof(double) * n_zones);
  if (info)
    for (int z = 0; z < n_zones; ++z) info[z] = zone_info(r, z);
  for (int z = 0; z < n_zones; ++z)
    if (r.status[z] != NNN_OK) return fail(r.status[z], "zone " + nnn::repr(z) + ": " + r.message[z]);
  return NNN_OK;
}

int nnn_emulator_burn(const nnn_emulator* em, double T, double rho, const double* X0, double dt,
                      const nnn_options* opt, double* X_out, double* eps_nuc, double* eps_nu,
                      double* Ye, int* used_fallback, long* n_steps, double* err) {
  nnn_zone_info info{};
  const int st = nnn_emulator_burn_with_info(em, T, rho, X0, dt, opt, X_out, eps_nuc, eps_nu, Ye,
                                             used_fallback, err, &info);
  if (n_steps) *n_steps = info.n_steps;
  return st;
}

int nnn_emulator_burn_with_info(const nnn_emulator* em, double T, double rho, const double* X0,
                                double dt, const nnn_options* opt, double* X_out, double* eps_nuc,
                                double* eps_nu, double* Ye, int* used_fallback, double* err,
                                nnn_zone_info* info) {
  if (info) *info = nnn_zone_info{};
  NNN_REQUIRE(em, "em");
  if (const int st = require_arrays(X0, X_out, eps_nuc, eps_nu)) return st;
  return guarded([&]() -> int {
    const auto r = em->em->burn(1, &T, &rho, X0, dt, to_options(opt), em->config(), 1);
    if (used_fallback) *used_fallback = r.path[0];
    if (info) *info = zone_info(r, 0);
    if (err) *err = r.err[0];
    if (r.status[0] != NNN_OK) return fail(r.status[0], r.message[0]);
    return copy_zone(r, X_out, eps_nuc, eps_nu, Ye);
  });
}

}  // extern "C"
