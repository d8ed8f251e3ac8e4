// The emulator path of libnnn: one TorchScript model of a burn step per
// network (format nnn-emulator-2, any dt in its range) used where it is
// trustworthy, the integrator (nnn::burn_batch) where it is not.
//
// Per zone, the emulator's answer is used only if
//   - log10 T, log10 rho, Ye of the input and log10 dt lie inside the model's
//     domain (closed intervals, widened by 1e-10 for round-off: Ye of an
//     N = Z mixture computes to 0.5 +- 1 ulp);
//   - the model ran (a model that raises in forward sends its zones to the
//     integrator; it never fails the call);
//   - sanity: every output finite, |sum X - 1| <= sum_tolerance, no
//     X_i < -negative_tolerance (smaller negatives are clipped to 0, X is
//     renormalised), err >= 0;
//   - the model's own error estimate err <= max_error (when max_error > 0);
//   - the step's own Ye change |Ye - Ye0| <= max_dye Ye0 (when max_dye > 0): fast
//     electron captures, where a model's relative error in dYe costs most
//     (mesa_151 chained along a Si-burning track: 0.1 % Ye drift at ~29 % of the
//     zone-steps on the integrator with 3e-5, against ~49 % with max_error);
//   - energy consistency (check_energy): eps_nuc agrees with the energy of
//     the predicted composition change, E = sum_i q_i (X0_i - X_i) - eps_nu dt,
//     q_i = mass_excess_i / A_i N_A MeV (erg/g), within
//     energy_rtol max(|eps_nuc|, |E|) + q_span (energy_dx + err), q_span the
//     spread of q over the network: a composition off by sum|dX| ~ 2 err moves
//     E by up to q_span err, so the tolerance follows the model's own error;
//   - the |dYe| bound (check_dye): |Ye - Ye0| <= dye_safety dt
//     sum_r |dZ_r| k_r(T, rho, Ye0) prod (1/A)^p + dye_atol over the weak
//     rates r (rates that change the charge), each at the largest flux its
//     reactants allow (Y_i <= 1/A_i), from the engine's own rate evaluation
//     (done only for zones with |Ye - Ye0| > dye_atol: the bound is at least
//     dye_atol, so smaller changes pass whatever the rates).
// Every other zone is burned by nnn::burn_batch over the whole dt from its
// input composition (fallback); ZoneResults::path says which path each zone
// took and why.
//
// A loaded Runtime is immutable: burn() is const and any number of threads
// may call it at once (MESA's OpenMP loop over zones). Settings travel with
// each call in a Config; there is no global mutable state here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model.hpp"
#include "nnn/burn.hpp"
#include "nnn/network.hpp"

namespace nnn::emulator {

inline constexpr const char* kFormat = "nnn-emulator-2";
inline constexpr const char* kMetaName = "nnn_meta.json";

// Which path a zone took (the C ABI's used_fallback values).
enum class Path : int {
  Emulator = 0,        // the emulator's result
  FallbackDomain = 1,  // log T, log rho or Ye outside the model's domain
  FallbackDt = 2,      // dt outside the model's dt range
  FallbackSanity = 3,  // output not finite, not normalised, negative X, err < 0
  FallbackEnergy = 4,  // eps_nuc inconsistent with the composition change
  FallbackYe = 5,      // |Ye - Ye0| above the weak-rate bound
  FallbackError = 6,   // the model's error estimate above max_error
  FallbackModel = 7,   // the model failed at run time (raised in forward)
  FallbackYeChange = 8,  // the step's |Ye - Ye0| / Ye0 above max_dye
};
inline constexpr int kNumPaths = 9;

// Closed intervals [lo, hi]: log10 T (K), log10 rho (g/cm^3), Ye, log10 dt (s).
struct Domain {
  double logT[2] = {0, 0}, logrho[2] = {0, 0}, Ye[2] = {0, 1}, logdt[2] = {0, 0};
};

struct ModelInfo {
  std::string path, network, network_hash, format;
  std::vector<std::string> isotopes;
  Domain domain;
  std::string meta_json;  // the file's nnn_meta.json, passed through unparsed
};

// The one definition of the emulator's settings and their defaults (the C
// ABI, Python and the docs read them from here).
struct Config {
  double sum_tolerance = 1e-4;       // |sum X - 1| above this: sanity fallback
  double negative_tolerance = 1e-6;  // X_i < -this: sanity fallback; -this <= X_i < 0 clipped to 0
  double max_error = 0;              // err above this: fallback (0: no threshold)
  double max_dye = 0;                // |Ye - Ye0| / Ye0 of the step above this: fallback (0: none)
  bool check_energy = true;
  double energy_rtol = 0.9;          // relative part of the energy tolerance (0.9: within 10x)
  double energy_dx = 1e-3;           // composition floor of the energy tolerance (mass fraction)
  bool check_dye = true;
  double dye_safety = 10;            // factor on the weak-rate bound of |dYe|
  double dye_atol = 1e-6;            // floor of the |dYe| bound (Ye round-off of float32 outputs)
  int torch_threads = 1;             // libtorch intra-op threads per call (0: libtorch's own)
  int batch_size = 65536;            // zones per forward call (bounds memory)
};

// Throws Error(BadInput) naming the first invalid setting and its value.
// threads_name: what the caller calls torch_threads (Python: "threads").
void check_config(const Config& cfg, const char* threads_name = "torch_threads");

// Results for n zones, row-major X[zone * n_species + i].
struct ZoneResults {
  int n_zones = 0, n_species = 0;
  std::vector<double> X, eps_nuc, eps_nu, Ye;
  std::vector<double> err;      // emulator zones: the model's error estimate; else 0
  std::vector<int> path;        // Path per zone
  std::vector<int> status;      // nnn::Status per zone (fallback integrator failures)
  std::vector<long> n_steps;    // integrator steps (0 for emulator zones)
  std::vector<char> table_clamped;    // fallback: a weak-rate table was clamped
  std::vector<double> mass_drift;     // fallback: sum X - 1 before renormalising (BurnResult)
  std::vector<std::string> message;   // empty unless status != Ok
  std::string model_error;      // why the model failed (zones with FallbackModel), else ""
  int inference_threads = 0;    // libtorch intra-op threads the inference ran with (0: none ran)
};

// The emulator path of libnnn: a loaded model and its network, burning zones with
// fallback to the integrator. (Python: nnn._emulator.Runtime, wrapped by nnn.Emulator;
// C: nnn_emulator.)
class Runtime {
 public:
  // path: one model file (*.pt). It must carry the attributes of format
  // nnn-emulator-2 and match net's isotope list and file hash. Throws
  // nnn::Error(Status::EmulatorFile) naming the file and the problem
  // (nnn-emulator-1 files: "retrain with python -m nnn.train").
  static std::shared_ptr<const Runtime> load(std::shared_ptr<const Network> net,
                                              const std::string& path,
                                              const std::string& device = "cpu");

  const Network& network() const { return *net_; }
  const std::shared_ptr<const Network>& network_ptr() const { return net_; }
  const ModelInfo& info() const { return info_; }

  // Burn n zones over dt. Bad input and bad settings (opt, cfg) throw
  // Error(BadInput) before any work. Fallback zones go to nnn::burn_batch on
  // n_threads threads (0: all cores) with opt; an integrator failure there is
  // reported per zone (status, message; X = X0, eps = 0), never thrown. Never
  // returns NaN.
  ZoneResults burn(int n_zones, const double* T, const double* rho, const double* X0, double dt,
                   const BurnOptions& opt = {}, const Config& cfg = {}, int n_threads = 0) const;

  // The |dYe| bound's rate (1/s) at (T, rho) from X0 (normalised): the
  // bound is dye_safety * dt * this + dye_atol.
  double dye_rate_bound(double T, double rho, const double* X0) const;

 private:
  struct WeakRate {   // a rate that changes the charge, not tabular (those are in summed_)
    double coef;      // |dZ| (charge change per reaction) x 1/n! x prod (1/A)^p (largest Y)
    int dens_exp;     // power of rho
    bool ye_weight;
    int evaluator;    // its evaluator index in weak_net_
  };
  class YeBound;      // per-call evaluator of the bound (emulator.cpp)
  // Ye of the mass fractions X (n_species) whose sum is sum_X
  double ye_of(const double* X, double sum_X) const;

  std::shared_ptr<const Network> net_;
  std::unique_ptr<EmulatorModel> model_;
  ModelInfo info_;
  std::vector<double> q_;  // erg/g per unit X_i converted to rest mass, mass_excess_i / A_i N_A MeV
  double q_span_ = 0;      // max q - min q
  std::vector<double> zeta_;  // Z_i / A_i: Ye = sum_i zeta_i X_i / sum_i X_i
  // the |dYe| bound: tabular weak rates are read from their sums per grid
  // (summed_, interpolated as WeakTable::column/column_value do); the other weak
  // rates (ReacLib decays, captures) are evaluated by Kinetics on weak_net_, a
  // network of those alone (nullptr if there are none)
  std::shared_ptr<const Network> weak_net_;
  std::vector<WeakRate> weak_;    // the ReacLib and derived ones
  std::vector<int> grids_;        // one table per distinct (log T, log rho*Ye) grid of the weak tables
  int max_dens_exp_ = 0;
  // The tabular rates summed per grid (and power of rho, Ye weight) at the grid
  // points: log10 sum_k coef_k rate_k, on the grid's layout. Interpolated like
  // one table, this is an upper bound of the sum of the interpolated rates
  // (the log of a sum of exponentials is convex, and bilinear interpolation is
  // a convex combination of the cell's corners: Jensen), so the bound stays a
  // bound at one table read per grid instead of one per rate (mesa_151: 164
  // rates on 2 grids).
  struct SummedTable {
    int grid;
    int dens_exp;
    bool ye_weight;
    std::vector<double> log_rate;  // row-major [i_rhoy * n_T + j_T], as WeakTable::log_rate
  };
  std::vector<SummedTable> summed_;
};

}  // namespace nnn::emulator
