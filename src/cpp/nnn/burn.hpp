// Burn one zone, or many: the engine's public C++ API. Three modes
// (docs/burn_modes.md): constant (T, rho); a prescribed history T(t),
// rho(t) (history.hpp); self-heating at constant rho, where T follows the
// energy released through the EOS (burn_system.hpp).
#pragma once

#include <string>
#include <vector>

#include "history.hpp"

#include "defaults.hpp"
#include "network.hpp"
#include "status.hpp"

namespace nnn {

struct BurnOptions {
  double rtol = kDefaultRtol;       // relative tolerance on X_i and on the neutrino energy
  double atol = kDefaultAtol;       // absolute tolerance on each mass fraction X_i
  long max_steps = kDefaultMaxSteps;
  // "auto": bdf, and rodas4 from the start for a zone bdf fails (then the
  // result's message is empty on success); "bdf" or "rodas4" alone
  std::string integrator = kDefaultIntegrator;
  // self-heating burns: thermal neutrino losses (pair, photo, plasma,
  // bremsstrahlung, recombination; thermal_neutrinos.hpp) cool the zone.
  // Reported in BurnResult::eps_nu_thermal, never in eps_nu.
  bool thermal_neutrinos = false;
};

// Result at each requested output time t_k (k = 0..n_times-1).
struct BurnResult {
  int n_species = 0, n_times = 0;
  std::vector<double> X;        // [k * n_species + i], mass fractions at t_k
  std::vector<double> eps_nuc;  // erg/g released over [0, t_k], neutrino losses subtracted
  std::vector<double> eps_nu;   // erg/g/s, weak-rate neutrino loss averaged over [0, t_k]
  std::vector<double> Ye;       // electron fraction at t_k
  std::vector<double> T;        // K at t_k (the input T for a constant burn)
  std::vector<double> eps_nu_thermal;  // erg/g/s, thermal neutrino loss averaged over [0, t_k]
                                       // (self-heating with thermal_neutrinos; else 0)
  long n_steps = 0, n_rejected = 0, n_rhs = 0, n_jac = 0, n_lu = 0;  // work (BurnState)
  bool table_clamped = false;   // a weak-rate table was evaluated beyond its grid edge
  // sum X - 1 before burn() renormalised X (after clipping round-off
  // negatives), the largest in magnitude over the output times: the mass
  // the integrator lost or gained, which the returned X no longer shows
  double mass_drift = 0;
  Status status = Status::Ok;
  std::string message;          // empty when status == Ok
};

// Input checks shared by every interface; throw Error(BadInput) naming the
// field and value. X is renormalised when |sum X - 1| <= kSumTolerance.
constexpr double kSumTolerance = 1e-6;
void check_zone(const Network& net, double T, double rho, const double* X, int zone = -1);
void check_times(const std::vector<double>& times);
// a burn step dt (s): finite and > 0, named "dt" (not times[0]) for the caller of a step
void check_dt(double dt);
// rtol, atol in (0, 1), max_steps > 0, integrator auto | bdf | rodas4
void check_options(const BurnOptions& opt);

// One zone. Bad input throws Error(BadInput); an integrator failure is
// returned in status/message (never thrown, never garbage: X is then NaN-free
// but meaningless and status != Ok).
BurnResult burn(const Network& net, double T, double rho, const double* X0,
                const std::vector<double>& times, const BurnOptions& opt = {});

// n zones, X0 row-major [zone * n_species + i]; zones are spread over
// n_threads threads (0: all cores, < 0 is bad input). Bad input, options
// included, throws before any thread starts.
std::vector<BurnResult> burn_batch(const Network& net, int n_zones, const double* T,
                                   const double* rho, const double* X0,
                                   const std::vector<double>& times, const BurnOptions& opt = {},
                                   int n_threads = 0);

// One zone along a prescribed history (which must cover [0, times.back()]).
// The burn stops at every history sample inside it (the rates' t-derivatives
// jump there) and restarts from that state.
BurnResult burn_history(const Network& net, const History& history, const double* X0,
                        const std::vector<double>& times, const BurnOptions& opt = {});

// One zone at constant rho from T0, T integrated with the composition.
// T leaving [kReacLibTMin, kReacLibTMax] (or the EOS's domain) ends the burn with status
// OutOfDomain and a message naming T and t.
BurnResult burn_self_heating(const Network& net, double T0, double rho, const double* X0,
                             const std::vector<double>& times, const BurnOptions& opt = {});

// n zones along histories: one shared by every zone (histories.size() == 1)
// or one per zone.
std::vector<BurnResult> burn_batch_history(const Network& net, int n_zones,
                                           const std::vector<History>& histories, const double* X0,
                                           const std::vector<double>& times,
                                           const BurnOptions& opt = {}, int n_threads = 0);
// n self-heating zones from T0[z] at rho[z].
std::vector<BurnResult> burn_batch_self_heating(const Network& net, int n_zones, const double* T0,
                                                const double* rho, const double* X0,
                                                const std::vector<double>& times,
                                                const BurnOptions& opt = {}, int n_threads = 0);

double electron_fraction(const Network& net, const double* X);

}  // namespace nnn
