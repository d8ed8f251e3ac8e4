// C ABI of the emulator path (include/nnn_emulator.h): exceptions become
// status codes + the thread-local message that nnn_last_error() returns.
#include "nnn_emulator.h"

#include <atomic>
#include <cstring>
#include <new>
#include <string>

#include "emulator/emulator.hpp"
#include "handles.hpp"
#include "nnn/burn.hpp"

namespace em_ns = nnn::emulator;

// Settings are atomics so that a stray set_* while other threads burn is not a
// data race (each burn call reads one consistent-enough snapshot of them).
struct nnn_emulator {
  std::shared_ptr<const em_ns::Emulator> em;
  std::atomic<int> torch_threads{0};
  std::atomic<double> sum_tolerance{em_ns::Config{}.sum_tolerance};
  std::atomic<double> negative_tolerance{em_ns::Config{}.negative_tolerance};
  std::atomic<double> dt_rtol{em_ns::Config{}.dt_rtol};
  std::atomic<int> chain_dt{em_ns::Config{}.chain_dt ? 1 : 0};
  std::atomic<int> max_chain_steps{em_ns::Config{}.max_chain_steps};
  std::atomic<int> batch_size{em_ns::Config{}.batch_size};

  em_ns::Config config() const {
    em_ns::Config c;
    c.sum_tolerance = sum_tolerance.load(std::memory_order_relaxed);
    c.negative_tolerance = negative_tolerance.load(std::memory_order_relaxed);
    c.dt_rtol = dt_rtol.load(std::memory_order_relaxed);
    c.chain_dt = chain_dt.load(std::memory_order_relaxed) != 0;
    c.max_chain_steps = max_chain_steps.load(std::memory_order_relaxed);
    c.batch_size = batch_size.load(std::memory_order_relaxed);
    c.torch_threads = torch_threads.load(std::memory_order_relaxed);
    return c;
  }
};

namespace {

// The C view of a Config (torch_threads has its own setter and is not in it).
void to_c_config(const em_ns::Config& c, nnn_emulator_config* cfg) {
  cfg->sum_tolerance = c.sum_tolerance;
  cfg->negative_tolerance = c.negative_tolerance;
  cfg->dt_rtol = c.dt_rtol;
  cfg->chain_dt = c.chain_dt ? 1 : 0;
  cfg->max_chain_steps = c.max_chain_steps;
  cfg->batch_size = c.batch_size;
}

}  // namespace

extern "C" {

int nnn_emulator_has_libtorch(void) { return em_ns::have_libtorch() ? 1 : 0; }

void nnn_emulator_default_config(nnn_emulator_config* cfg) {
  if (cfg) to_c_config(em_ns::Config{}, cfg);
}

int nnn_emulator_load(const nnn_network* net, const char* path, nnn_emulator** em) {
  NNN_REQUIRE(em, "em");
  *em = nullptr;
  NNN_REQUIRE(net, "net");
  NNN_REQUIRE(path, "path");
  return guarded([&]() -> int {
    auto h = std::make_unique<nnn_emulator>();
    h->em = em_ns::Emulator::load(net->net, em_ns::split_paths(path));
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

int nnn_emulator_set_threads(nnn_emulator* em, int n_threads) {
  NNN_REQUIRE(em, "em");
  if (n_threads < 0) return fail(NNN_BAD_INPUT, "n_threads = " + std::to_string(n_threads) + " must be >= 0");
  em->torch_threads = n_threads;
  return NNN_OK;
}

int nnn_emulator_set_config(nnn_emulator* em, const nnn_emulator_config* cfg) {
  NNN_REQUIRE(em, "em");
  NNN_REQUIRE(cfg, "cfg");
  if (!(cfg->sum_tolerance > 0))
    return fail(NNN_BAD_INPUT, "sum_tolerance = " + std::to_string(cfg->sum_tolerance) + " must be > 0");
  if (!(cfg->negative_tolerance >= 0))
    return fail(NNN_BAD_INPUT, "negative_tolerance = " + std::to_string(cfg->negative_tolerance) + " must be >= 0");
  if (!(cfg->dt_rtol >= 0 && cfg->dt_rtol < 1))
    return fail(NNN_BAD_INPUT, "dt_rtol = " + std::to_string(cfg->dt_rtol) + " must be in [0, 1)");
  if (cfg->max_chain_steps < 1)
    return fail(NNN_BAD_INPUT, "max_chain_steps = " + std::to_string(cfg->max_chain_steps) + " must be >= 1");
  if (cfg->batch_size < 1)
    return fail(NNN_BAD_INPUT, "batch_size = " + std::to_string(cfg->batch_size) + " must be >= 1");
  em->sum_tolerance = cfg->sum_tolerance;
  em->negative_tolerance = cfg->negative_tolerance;
  em->dt_rtol = cfg->dt_rtol;
  em->chain_dt = cfg->chain_dt ? 1 : 0;
  em->max_chain_steps = cfg->max_chain_steps;
  em->batch_size = cfg->batch_size;
  return NNN_OK;
}

int nnn_emulator_get_config(const nnn_emulator* em, nnn_emulator_config* cfg) {
  NNN_REQUIRE(em, "em");
  NNN_REQUIRE(cfg, "cfg");
  to_c_config(em->config(), cfg);
  return NNN_OK;
}

int nnn_emulator_n_models(const nnn_emulator* em, int* n_models) {
  NNN_REQUIRE(em, "em");
  NNN_REQUIRE(n_models, "n_models");
  *n_models = em->em->n_models();
  return NNN_OK;
}

int nnn_emulator_model(const nnn_emulator* em, int i, double* dt, double* logT, double* logrho,
                       double* Ye) {
  NNN_REQUIRE(em, "em");
  if (i < 0 || i >= em->em->n_models())
    return fail(NNN_BAD_INPUT, "model index i = " + std::to_string(i) + " is out of range [0, " +
                                   std::to_string(em->em->n_models()) + ")");
  const auto& m = em->em->model(i);
  if (dt) *dt = m.dt;
  if (logT) logT[0] = m.domain.logT[0], logT[1] = m.domain.logT[1];
  if (logrho) logrho[0] = m.domain.logrho[0], logrho[1] = m.domain.logrho[1];
  if (Ye) Ye[0] = m.domain.Ye[0], Ye[1] = m.domain.Ye[1];
  return NNN_OK;
}

int nnn_emulator_burn_zones(const nnn_emulator* em, int n_zones, const double* T,
                            const double* rho, const double* X0, double dt,
                            const nnn_options* opt, double* X_out, double* eps_nuc,
                            double* eps_nu, int* used_fallback, int* zone_status,
                            int n_threads) {
  NNN_REQUIRE(em, "em");
  if (n_zones < 0) return fail(NNN_BAD_INPUT, "n_zones = " + std::to_string(n_zones) + " must be >= 0");
  if (n_zones > 0)  // no zones: the arrays may be NULL
    if (const int st = require_arrays(T, rho, X0, X_out, eps_nuc, eps_nu)) return st;
  const int st = guarded([&]() -> int {
    const auto r = em->em->burn(n_zones, T, rho, X0, dt, to_options(opt), em->config(), n_threads);
    std::memcpy(X_out, r.X.data(), sizeof(double) * r.X.size());
    std::memcpy(eps_nuc, r.eps_nuc.data(), sizeof(double) * n_zones);
    std::memcpy(eps_nu, r.eps_nu.data(), sizeof(double) * n_zones);
    if (used_fallback) std::memcpy(used_fallback, r.path.data(), sizeof(int) * n_zones);
    if (zone_status) std::memcpy(zone_status, r.status.data(), sizeof(int) * n_zones);
    for (int z = 0; z < n_zones; ++z)
      if (r.status[z] != NNN_OK) return fail(r.status[z], "zone " + std::to_string(z) + ": " + r.message[z]);
    return NNN_OK;
  });
  return mark_rejected(st, zone_status, n_zones);
}

int nnn_emulator_burn(const nnn_emulator* em, double T, double rho, const double* X0, double dt,
                      const nnn_options* opt, double* X_out, double* eps_nuc, double* eps_nu,
                      double* Ye, int* used_fallback, long* n_steps) {
  NNN_REQUIRE(em, "em");
  if (const int st = require_arrays(X0, X_out, eps_nuc, eps_nu)) return st;
  return guarded([&]() -> int {
    const auto r = em->em->burn(1, &T, &rho, X0, dt, to_options(opt), em->config(), 1);
    if (used_fallback) *used_fallback = r.path[0];
    if (n_steps) *n_steps = r.n_steps[0];
    if (r.status[0] != NNN_OK) return fail(r.status[0], r.message[0]);
    return copy_zone(r, X_out, eps_nuc, eps_nu, Ye);
  });
}

}  // extern "C"
