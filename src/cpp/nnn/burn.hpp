// Burn one zone, or many, at constant (T, rho): the engine's public C++ API.
#pragma once

#include <string>
#include <vector>

#include "network.hpp"
#include "status.hpp"

namespace nnn {

struct BurnOptions {
  double rtol = 1e-8;               // relative tolerance on X_i and on the neutrino energy
  double atol = 1e-12;              // absolute tolerance on each mass fraction X_i
  long max_steps = 500000;
  // "auto": bdf, and rodas4 from the start for a zone bdf fails (then the
  // result's message is empty on success); "bdf" or "rodas4" alone
  std::string integrator = "auto";
};

// Result at each requested output time t_k (k = 0..n_times-1).
struct BurnResult {
  int n_species = 0, n_times = 0;
  std::vector<double> X;        // [k * n_species + i], mass fractions at t_k
  std::vector<double> eps_nuc;  // erg/g released over [0, t_k], neutrino losses subtracted
  std::vector<double> eps_nu;   // erg/g/s, weak-rate neutrino loss averaged over [0, t_k]
  std::vector<double> Ye;       // electron fraction at t_k
  long n_steps = 0, n_rejected = 0, n_rhs = 0, n_jac = 0;
  bool table_clamped = false;   // a weak-rate table was evaluated beyond its grid edge
  Status status = Status::Ok;
  std::string message;          // empty when status == Ok
};

// Input checks shared by every interface; throw Error(BadInput) naming the
// field and value. X is renormalised when |sum X - 1| <= kSumTolerance.
constexpr double kSumTolerance = 1e-6;
void check_zone(const Network& net, double T, double rho, const double* X, int zone = -1);
void check_times(const std::vector<double>& times);

// One zone. Bad input throws Error(BadInput); an integrator failure is
// returned in status/message (never thrown, never garbage: X is then NaN-free
// but meaningless and status != Ok).
BurnResult burn(const Network& net, double T, double rho, const double* X0,
                const std::vector<double>& times, const BurnOptions& opt = {});

// n zones, X0 row-major [zone * n_species + i]; zones are spread over
// n_threads threads (0: all cores). Bad input throws before any work starts.
std::vector<BurnResult> burn_batch(const Network& net, int n_zones, const double* T,
                                   const double* rho, const double* X0,
                                   const std::vector<double>& times, const BurnOptions& opt = {},
                                   int n_threads = 0);

double electron_fraction(const Network& net, const double* X);

}  // namespace nnn
