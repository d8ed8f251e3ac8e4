// C ABI over the C++ engine: exceptions become status codes + a thread-local message.
#include "nnn.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <string>

#include "nnn/burn.hpp"
#include "nnn/format.hpp"
#include "nnn/network.hpp"

#include "handles.hpp"

namespace {

bool exists(const std::string& p) { return std::ifstream(p).good(); }

std::string resolve(const std::string& s) {
  if (exists(s)) return s;
  std::string file = s + ".net";
  if (const char* env = std::getenv("NNN_NETWORK_DATA"))
    if (exists(std::string(env) + "/" + file)) return std::string(env) + "/" + file;
#ifdef NNN_INSTALL_DATA_DIR
  if (exists(std::string(NNN_INSTALL_DATA_DIR) + "/" + file)) return std::string(NNN_INSTALL_DATA_DIR) + "/" + file;
#endif
#ifdef NNN_SOURCE_DATA_DIR
  if (exists(std::string(NNN_SOURCE_DATA_DIR) + "/" + file)) return std::string(NNN_SOURCE_DATA_DIR) + "/" + file;
#endif
  throw nnn::Error(nnn::Status::NetworkFile,
                   "network '" + s + "' not found (not a file; no " + file +
                       " in $NNN_NETWORK_DATA or the installed network_data)");
}

}  // namespace

extern "C" {

void nnn_default_options(nnn_options* opt) {
  if (!opt) return;
  nnn::BurnOptions b;
  opt->rtol = b.rtol;
  opt->atol = b.atol;
  opt->max_steps = b.max_steps;
}

const char* nnn_last_error(void) { return g_last_error.c_str(); }

int nnn_network_load(const char* name_or_path, nnn_network** net) {
  NNN_REQUIRE(name_or_path, "name_or_path");
  NNN_REQUIRE(net, "net");
  *net = nullptr;
  return guarded([&]() -> int {
    auto h = std::make_unique<nnn_network>();
    h->net = nnn::Network::load(resolve(name_or_path));
    *net = h.release();
    return NNN_OK;
  });
}

void nnn_network_free(nnn_network* net) { delete net; }

int nnn_network_n_species(const nnn_network* net, int* n) {
  NNN_REQUIRE(net, "net");
  NNN_REQUIRE(n, "n_species");
  *n = net->net->n_species();
  return NNN_OK;
}

int nnn_network_isotope(const nnn_network* net, int i, char* name, int len, int* A, int* Z) {
  NNN_REQUIRE(net, "net");
  if (i < 0 || i >= net->net->n_species())
    return fail(NNN_BAD_INPUT, "isotope index i = " + nnn::repr(i) + " is out of range [0, " +
                                   nnn::repr(net->net->n_species()) + ")");
  if (len < 0) return fail(NNN_BAD_INPUT, "len = " + nnn::repr(len) + " must be >= 0 (the size of name)");
  const auto& iso = net->net->isotopes[i];
  if (name && len > 0) {
    std::strncpy(name, iso.name.c_str(), static_cast<size_t>(len) - 1);
    name[len - 1] = '\0';
  }
  if (A) *A = iso.A;
  if (Z) *Z = iso.Z;
  return NNN_OK;
}

int nnn_network_index(const nnn_network* net, const char* name, int* index) {
  NNN_REQUIRE(net, "net");
  NNN_REQUIRE(name, "name");
  NNN_REQUIRE(index, "index");
  *index = net->net->index_of(name);
  if (*index < 0)
    return fail(NNN_BAD_INPUT, std::string("isotope '") + name + "' is not in network " + net->net->name);
  return NNN_OK;
}

int nnn_network_hash(const nnn_network* net, char* hash, int len) {
  NNN_REQUIRE(net, "net");
  NNN_REQUIRE(hash, "hash");
  if (len < 65) return fail(NNN_BAD_INPUT, "len = " + nnn::repr(len) + " is too short for the hash (>= 65)");
  std::memcpy(hash, net->net->sha256.c_str(), 65);
  return NNN_OK;
}

int nnn_burn(const nnn_network* net, double T, double rho, const double* X0, double dt,
             const nnn_options* opt, double* X_out, double* eps_nuc, double* eps_nu, double* Ye,
             long* n_steps) {
  nnn_zone_info info{};
  const int st = nnn_burn_with_info(net, T, rho, X0, dt, opt, X_out, eps_nuc, eps_nu, Ye, &info);
  if (n_steps) *n_steps = info.n_steps;
  return st;
}

int nnn_burn_with_info(const nnn_network* net, double T, double rho, const double* X0, double dt,
                       const nnn_options* opt, double* X_out, double* eps_nuc, double* eps_nu,
                       double* Ye, nnn_zone_info* info) {
  if (info) *info = nnn_zone_info{};
  NNN_REQUIRE(net, "net");
  if (const int st = require_arrays(X0, X_out, eps_nuc, eps_nu)) return st;
  return guarded([&]() -> int {
    check_dt(dt);
    const auto r = nnn::burn(*net->net, T, rho, X0, {dt}, to_options(opt));
    if (info) *info = zone_info(r);
    if (r.status != nnn::Status::Ok) return fail(static_cast<int>(r.status), r.message);
    return copy_zone(r, X_out, eps_nuc, eps_nu, Ye);
  });
}

int nnn_burn_zones(const nnn_network* net, int n_zones, const double* T, const double* rho,
                   const double* X0, double dt, const nnn_options* opt, double* X_out,
                   double* eps_nuc, double* eps_nu, int* zone_status, int n_threads) {
  return nnn_burn_zones_with_info(net, n_zones, T, rho, X0, dt, opt, X_out, eps_nuc, eps_nu,
                                  zone_status, n_threads, nullptr);
}

int nnn_burn_zones_with_info(const nnn_network* net, int n_zones, const double* T,
                             const double* rho, const double* X0, double dt,
                             const nnn_options* opt, double* X_out, double* eps_nuc,
                             double* eps_nu, int* zone_status, int n_threads,
                             nnn_zone_info* info) {
  if (info)
    for (int z = 0; z < n_zones; ++z) info[z] = nnn_zone_info{};
  NNN_REQUIRE(net, "net");
  // the rule of nnn_emulator_burn_zones: no zones is a valid call, whose
  // arrays may be NULL; options and dt are still checked
  if (n_zones < 0) return fail(NNN_BAD_INPUT, "n_zones = " + nnn::repr(n_zones) + " must be >= 0");
  if (n_zones > 0)
    if (const int st = require_arrays(T, rho, X0, X_out, eps_nuc, eps_nu)) return st;
  const int st = guarded([&]() -> int {
    check_dt(dt);
    const int n = net->net->n_species();
    const auto rs = nnn::burn_batch(*net->net, n_zones, T, rho, X0, {dt}, to_options(opt), n_threads);
    return copy_zones(rs, n, X0, X_out, eps_nuc, eps_nu, zone_status, info,
                      [](size_t, const nnn::BurnResult&, bool) {});
  });
  return mark_rejected(st, zone_status, n_zones);
}

}  // extern "C"
