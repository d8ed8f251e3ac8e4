// C ABI of the burn modes (include/nnn.h, "Burn modes"): a prescribed
// history and self-heating at constant density. Same conventions as
// nnn_c.cpp: status codes, a thread-local message, no exceptions across the ABI.
#include <cmath>
#include <cstring>
#include <vector>

#include "nnn.h"
#include "nnn/burn.hpp"
#include "nnn/format.hpp"
#include "nnn/history.hpp"

#include "handles.hpp"

namespace {

nnn::BurnOptions options(const nnn_options* opt, bool thermal_neutrinos) {
  nnn::BurnOptions o = to_options(opt);
  o.thermal_neutrinos = thermal_neutrinos;
  return o;
}

}  // namespace

extern "C" {

int nnn_burn_history(const nnn_network* net, int n_samples, const double* t, const double* T,
                     const double* rho, const double* X0, double dt, const nnn_options* opt,
                     double* X_out, double* eps_nuc, double* eps_nu, double* T_end, double* Ye,
                     long* n_steps) {
  nnn_zone_info info{};
  const int st = nnn_burn_history_with_info(net, n_samples, t, T, rho, X0, dt, opt, X_out, eps_nuc,
                                            eps_nu, T_end, Ye, &info);
  if (n_steps) *n_steps = info.n_steps;
  return st;
}

int nnn_burn_history_with_info(const nnn_network* net, int n_samples, const double* t,
                               const double* T, const double* rho, const double* X0, double dt,
                               const nnn_options* opt, double* X_out, double* eps_nuc,
                               double* eps_nu, double* T_end, double* Ye, nnn_zone_info* info) {
  if (info) *info = nnn_zone_info{};
  NNN_REQUIRE(net, "net");
  NNN_REQUIRE(t, "t");
  NNN_REQUIRE(T, "T");
  NNN_REQUIRE(rho, "rho");
  if (n_samples < 1) return fail(NNN_BAD_INPUT, "n_samples = " + nnn::repr(n_samples) + " must be >= 1");
  if (const int st = require_arrays(X0, X_out, eps_nuc, eps_nu)) return st;
  return guarded([&]() -> int {
    check_dt(dt);
    const nnn::History h(std::vector<double>(t, t + n_samples), std::vector<double>(T, T + n_samples),
                         std::vector<double>(rho, rho + n_samples));
    const auto r = nnn::burn_history(*net->net, h, X0, {dt}, to_options(opt));
    if (info) *info = zone_info(r);
    if (r.status != nnn::Status::Ok) return fail(static_cast<int>(r.status), r.message);
    if (T_end) *T_end = r.T[0];
    return copy_zone(r, X_out, eps_nuc, eps_nu, Ye);
  });
}

int nnn_burn_self_heating(const nnn_network* net, double T0, double rho, const double* X0, double dt,
                          const nnn_options* opt, int thermal_neutrinos, double* X_out, double* T_end,
                          double* eps_nuc, double* eps_nu, double* eps_nu_thermal, long* n_steps) {
  nnn_zone_info info{};
  const int st = nnn_burn_self_heating_with_info(net, T0, rho, X0, dt, opt, thermal_neutrinos, X_out,
                                                 T_end, eps_nuc, eps_nu, eps_nu_thermal, &info);
  if (n_steps) *n_steps = info.n_steps;
  return st;
}

int nnn_burn_self_heating_with_info(const nnn_network* net, double T0, double rho, const double* X0,
                                    double dt, const nnn_options* opt, int thermal_neutrinos,
                                    double* X_out, double* T_end, double* eps_nuc, double* eps_nu,
                                    double* eps_nu_thermal, nnn_zone_info* info) {
  if (info) *info = nnn_zone_info{};
  NNN_REQUIRE(net, "net");
  NNN_REQUIRE(T_end, "T_end");
  if (const int st = require_arrays(X0, X_out, eps_nuc, eps_nu)) return st;
  return guarded([&]() -> int {
    check_dt(dt);
    const auto r = nnn::burn_self_heating(*net->net, T0, rho, X0, {dt}, options(opt, thermal_neutrinos != 0));
    if (info) *info = zone_info(r);
    if (r.status != nnn::Status::Ok) return fail(static_cast<int>(r.status), r.message);
    *T_end = r.T[0];
    if (eps_nu_thermal) *eps_nu_thermal = r.eps_nu_thermal[0];
    return copy_zone(r, X_out, eps_nuc, eps_nu, nullptr);
  });
}

int nnn_burn_zones_self_heating(const nnn_network* net, int n_zones, const double* T0,
                                const double* rho, const double* X0, double dt,
                                const nnn_options* opt, int thermal_neutrinos, double* X_out,
                                double* T_end, double* eps_nuc, double* eps_nu, int* zone_status,
                                int n_threads) {
  return nnn_burn_zones_self_heating_with_info(net, n_zones, T0, rho, X0, dt, opt, thermal_neutrinos,
                                               X_out, T_end, eps_nuc, eps_nu, zone_status, n_threads,
                                               nullptr);
}

int nnn_burn_zones_self_heating_with_info(const nnn_network* net, int n_zones, const double* T0,
                                          const double* rho, const double* X0, double dt,
                                          const nnn_options* opt, int thermal_neutrinos,
                                          double* X_out, double* T_end, double* eps_nuc,
                                          double* eps_nu, int* zone_status, int n_threads,
                                          nnn_zone_info* info) {
  if (info)
    for (int z = 0; z < n_zones; ++z) info[z] = nnn_zone_info{};
  NNN_REQUIRE(net, "net");
  if (n_zones < 0) return fail(NNN_BAD_INPUT, "n_zones = " + nnn::repr(n_zones) + " must be >= 0");
  if (n_zones > 0) {
    if (const int st = require_arrays(T0, rho, X0, X_out, eps_nuc, eps_nu)) return st;
    NNN_REQUIRE(T_end, "T_end");
  }
  const int st = guarded([&]() -> int {
    check_dt(dt);
    const int n = net->net->n_species();
    const auto rs = nnn::burn_batch_self_heating(*net->net, n_zones, T0, rho, X0, {dt},
                                                 options(opt, thermal_neutrinos != 0), n_threads);
    // as nnn_burn_zones; a failed zone's T_end is its T0
    return copy_zones(rs, n, X0, X_out, eps_nuc, eps_nu, zone_status, info,
                      [&](size_t z, const nnn::BurnResult& r, bool ok) { T_end[z] = ok ? r.T[0] : T0[z]; });
  });
  return mark_rejected(st, zone_status, n_zones);
}

}  // extern "C"
