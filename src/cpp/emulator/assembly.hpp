// The last part of a BurnStepNet's forward (nnn.emulate.model), in plain C++:
// from the network's float32 outputs to [X, eps_nuc, eps_nu, err] in double.
//
// TorchScript runs this part as ~30 tensor operations per iteration of the Ye
// tilt over the whole batch, each streaming (N, n) float64 temporaries through
// memory: 4.3 of the 10 us per zone of a bf16-trunk mesa_80 model
// (benchmarks/profile_emulator.py). Here one zone's work stays in L1 and the
// exponentials are vectorised (glibc's libmvec where available).
//
// The definition is the Python one, BurnStepNet.forward: the same steps, in
// the same order, with the model's own constants; tests compare the two to
// round-off (tests/emulator/test_emulator_python.py).
#pragma once

#include <memory>
#include <vector>

namespace nnn::emulator {

// The model's constants the assembly needs, read from the TorchScript module
// once at load (buffer and attribute names of BurnStepNet in brackets).
struct AssemblyConstants {
  int n = 0;                          // isotopes (n_iso)
  std::vector<double> skip;           // weight of ln X0_i in the logits (skip)
  std::vector<double> zeta;           // Z_i / A_i (zeta)
  std::vector<double> q;              // erg/g per unit X_i released (q)
  double log_floor = 0;               // ln of the abundance floor (log_floor)
  double dye_scale = 1;               // asinh scale of dYe/dt, 1/s (scales[0])
  double eps_nuc_scale = 1;           // asinh scale of eps_nuc/dt, erg/g/s (scales[1])
  double eps_nu_scale = 1;            // asinh scale of eps_nu, erg/g/s (scales[2])
  double dye_max = 0.5;               // largest |dYe| (dye_max)
  double ye_lo = 0, ye_hi = 1;        // target Ye is clamped to these (zlo, zhi)
  double lam_max = 1e4;               // bracket of the tilt's multiplier (lam_max)
  int n_tilt = 80;                    // most tilt iterations (n_tilt)
  bool eps_from_composition = false;  // eps_nuc = sum q (X0 - X) - eps_nu dt (eps_from_composition)
  // the trunk input's scaling of (log10 T, log10 rho, log10 dt), float32 in the
  // model (in_center, in_half); empty where the model has no parts_of_trunk_input
  std::vector<double> in_center, in_half;
};

// How the tilt sums: over the groups of isotopes with one Z/A where that saves at
// least a third of the work (Auto: mesa_151, not mesa_80), always (Groups), never
// (Isotopes). Groups are used only where they are exact (assembly.cpp); the choice
// changes results at round-off only. Models run with Auto.
enum class TiltSums { Auto, Groups, Isotopes };

// One model's assembly: its constants, padded, and its isotopes grouped by Z/A
// once (at load); each call has its own scratch, so calls are thread-safe.
class Assembly {
 public:
  explicit Assembly(AssemblyConstants c, TiltSums how = TiltSums::Auto);
  const AssemblyConstants& constants() const { return c_; }

  // parts: m rows of n + 4 floats [logits (n), normalised dYe rate, normalised
  // eps_nuc/dt and eps_nu, log10 err] (BurnStepNet.forward_parts); in: the same
  // m rows of the model's input [log10 T, log10 rho, log10 dt, X0 (n)] (double);
  // out: m rows of n + 3 doubles [X (n), eps_nuc (erg/g over dt), eps_nu
  // (erg/g/s), err]; ln_x0: trunk_input()'s, or null (computed here).
  void assemble(const float* parts, const double* in, int m, double* out, const double* ln_x0 = nullptr) const;

  // BurnStepNet.trunk_input: z = m rows of 3 + 2n floats [(x_k - in_center_k) /
  // in_half_k (3), X0 (n), ln X0 mapped from [log_floor, 0] to [-1, 1] (n)] of the
  // m input rows `in` (as in assemble()), with the model's operations (the log in
  // double, rounded to float once), in one pass instead of TorchScript's seven
  // over (m, n) temporaries; ln_x0 = m rows of n doubles max(ln X0_i, log_floor),
  // the logs that assemble() needs too. Needs in_center and in_half, and
  // shares_log_abundance().
  void trunk_input(const double* in, int m, float* z, double* ln_x0) const;
  // whether the trunk's clamped log of X0 is the assembly's (log_floor >= ln 1e-37)
  bool shares_log_abundance() const;

  // The Ye tilt alone, for one zone: the multiplier lam with
  // sum_i p_i e^(lam zeta_i) zeta_i / sum_i p_i e^(lam zeta_i) = ye_t, p = exp(logp)
  // (n entries; BurnStepNet.tilt).
  double ye_tilt(const double* logp, double ye_t) const;

  struct Tables;  // the padded constants and the groups (assembly.cpp)

 private:
  AssemblyConstants c_;
  std::shared_ptr<const Tables> t_;
};

}  // namespace nnn::emulator
