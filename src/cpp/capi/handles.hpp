// Private to libnnn: the C handles' definitions and the helpers shared by
// every C ABI translation unit (nnn_c.cpp, nnn_emulator_c.cpp): exceptions
// become a status code plus the thread-local message nnn_last_error() returns.
#pragma once

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "nnn.h"
#include "nnn/burn.hpp"
#include "nnn/format.hpp"
#include "nnn/network.hpp"
#include "nnn/status.hpp"

struct nnn_network {
  std::shared_ptr<const nnn::Network> net;
};

namespace nnn::capi {

inline thread_local std::string g_last_error;

inline int fail(int status, const std::string& msg) {
  g_last_error = msg;
  return status;
}

// Runs f() and turns any exception into a status code and message.
template <class F>
int guarded(F&& f) {
  try {
    g_last_error.clear();
    return f();
  } catch (const nnn::Error& e) {
    return fail(static_cast<int>(e.status()), e.what());
  } catch (const std::bad_alloc&) {
    return fail(NNN_INTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return fail(NNN_INTERNAL, e.what());
  } catch (...) {
    return fail(NNN_INTERNAL, "unknown error");
  }
}

inline nnn::BurnOptions to_options(const nnn_options* o) {
  nnn::BurnOptions b;
  if (o) {
    b.rtol = o->rtol;
    b.atol = o->atol;
    b.max_steps = o->max_steps;
  }
  return b;
}

// Input rejected before any work: every zone carries that status.
inline int mark_rejected(int status, int* zone_status, int n_zones) {
  if (zone_status && (status == NNN_BAD_INPUT || status == NNN_INTERNAL))
    for (int z = 0; z < n_zones; ++z) zone_status[z] = status;
  return status;
}

}  // namespace nnn::capi

using nnn::capi::fail;
using nnn::capi::mark_rejected;
using nnn::capi::g_last_error;
using nnn::capi::guarded;
using nnn::capi::to_options;

#define NNN_REQUIRE(ptr, name) \
  if (!(ptr)) return fail(NNN_BAD_INPUT, std::string(name) + " is NULL")

namespace nnn::capi {

// The arrays of the one-zone burn calls (nnn_burn, nnn_emulator_burn):
// NNN_OK, or NNN_BAD_INPUT naming the first that is NULL.
inline int require_arrays(const double* X0, const double* X_out, const double* eps_nuc,
                          const double* eps_nu) {
  NNN_REQUIRE(X0, "X0");
  NNN_REQUIRE(X_out, "X_out");
  NNN_REQUIRE(eps_nuc, "eps_nuc");
  NNN_REQUIRE(eps_nu, "eps_nu");
  return NNN_OK;
}

// ... and of the zone calls, which also read T and rho.
inline int require_arrays(const double* T, const double* rho, const double* X0, const double* X_out,
                          const double* eps_nuc, const double* eps_nu) {
  NNN_REQUIRE(T, "T");
  NNN_REQUIRE(rho, "rho");
  return require_arrays(X0, X_out, eps_nuc, eps_nu);
}

// Copies zone 0 of a successful one-zone result (nnn::BurnResult, or the
// emulator's ZoneResults: same field names) to the C outputs.
template <class R>
int copy_zone(const R& r, double* X_out, double* eps_nuc, double* eps_nu, double* Ye) {
  std::memcpy(X_out, r.X.data(), sizeof(double) * r.X.size());
  *eps_nuc = r.eps_nuc[0];
  *eps_nu = r.eps_nu[0];
  if (Ye) *Ye = r.Ye[0];
  return NNN_OK;
}

// What a burn reports beyond its physics outputs (nnn_zone_info).
inline nnn_zone_info zone_info(const nnn::BurnResult& r) {
  nnn_zone_info info{};
  info.n_steps = r.n_steps;
  info.table_clamped = r.table_clamped ? 1 : 0;
  info.mass_drift = r.mass_drift;
  return info;
}

// Copies a zone batch's results (nnn_burn_zones*) to the C outputs. A failed
// zone gets its input X back and zero energies; the first failure's status
// and message become the call's. extra(z, r, ok) copies what only one call
// returns (a self-heating burn's T_end).
template <class Extra>
int copy_zones(const std::vector<nnn::BurnResult>& rs, int n_species, const double* X0,
               double* X_out, double* eps_nuc, double* eps_nu, int* zone_status,
               nnn_zone_info* info, Extra extra) {
  int first = NNN_OK;
  const size_t n = static_cast<size_t>(n_species);
  for (size_t z = 0; z < rs.size(); ++z) {
    const nnn::BurnResult& r = rs[z];
    const int st = static_cast<int>(r.status);
    if (zone_status) zone_status[z] = st;
    if (info) info[z] = zone_info(r);
    const bool ok = st == NNN_OK;
    std::memcpy(X_out + z * n, ok ? r.X.data() : X0 + z * n, sizeof(double) * n);
    eps_nuc[z] = ok ? r.eps_nuc[0] : 0.0;
    eps_nu[z] = ok ? r.eps_nu[0] : 0.0;
    extra(z, r, ok);
    if (!ok && first == NNN_OK) first = fail(st, "zone " + nnn::repr(z) + ": " + r.message);
  }
  return first;
}

}  // namespace nnn::capi

using nnn::check_dt;
using nnn::capi::copy_zones;
using nnn::capi::copy_zone;
using nnn::capi::require_arrays;
using nnn::capi::zone_info;

namespace nnn::capi {

// The data file `relative` (e.g. "emulators/mesa_80.pt") in the first of the
// directories searched for network data that has it: $NNN_NETWORK_DATA, the
// installed network_data, the source tree's (NNN_INSTALL_DATA_DIR,
// NNN_SOURCE_DATA_DIR: compile definitions of libnnn). "" if none has it;
// *searched lists them for the message.
inline std::string find_data_file(const std::string& relative, std::string* searched = nullptr) {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("NNN_NETWORK_DATA")) dirs.emplace_back(env);
#ifdef NNN_INSTALL_DATA_DIR
  dirs.emplace_back(NNN_INSTALL_DATA_DIR);
#endif
#ifdef NNN_SOURCE_DATA_DIR
  dirs.emplace_back(NNN_SOURCE_DATA_DIR);
#endif
  std::string list;
  for (const auto& d : dirs) {
    const std::string p = d + "/" + relative;
    if (std::ifstream(p).good()) return p;
    list += (list.empty() ? "" : ", ") + d;
  }
  if (searched) *searched = list;
  return "";
}

}  // namespace nnn::capi

using nnn::capi::find_data_file;
