// Rates, dY/dt and the Jacobian of one zone at fixed (T, rho).
//
// Everything that depends on T alone (ReacLib fits, partition functions,
// detailed-balance factors) is evaluated once in the constructor: during a
// burn T and rho are constant, so an RHS call only redoes what depends on the
// composition: screening (through n_e), weak-rate tables (through rho*Ye) and
// the nn_g approximation (through Y_n). This is where nnn saves most of the
// cost of a code that re-evaluates every rate on every RHS call. Even those
// are cheap: the weak tables are interpolated in T once (linear in rho*Ye
// afterwards) and the screening factors, functions of n_e alone, are taken
// from a degree-4 interpolant in ln n_e that is checked against the exact
// factors to 1e-14 when built (mesa_80: 5 us per update + dY/dt).
//
// Conventions follow pynucastro 3.1 exactly (the tests compare with it):
//   Y_i = X_i / A_i, Ye = sum Z_i Y_i / sum A_i Y_i,
//   flux_r = prefactor * rho^dens_exp * (Ye if ye_weight) * rate_r * prod Y^p,
//   the Jacobian treats rate_r as constant in Y (as pynucastro's does).
#pragma once

#include <vector>

#include "network.hpp"

namespace nnn {

// Temperatures (K) at which the rates are defined: JINA ReacLib's fits hold
// for T9 in [0.01, 10]. Above 1e10 K they diverge (p30(p,g)s31 overflows to
// inf at 1.5e10 K in mesa_80 and mesa_151, every network's rhs is non-finite
// at 1e11 K), and matter there is in NSE, which a network does not describe.
inline constexpr double kReacLibTMin = 1e7, kReacLibTMax = 1e10;

class Kinetics {
 public:
  Kinetics(const Network& net, double T, double rho);

  // Move to a new (T, rho): recompute the T-dependent factors (ReacLib fits,
  // partition functions, weak-table columns, screening T factors) and the
  // rho powers. A no-op when both are unchanged, so a constant burn costs
  // nothing extra. Used by the history and self-heating burns on every RHS
  // call whose T or rho differs from the last one. After the first real move
  // the screening factors are evaluated exactly on every update (the n_e
  // interpolant pays off only while T and rho stay fixed).
  void set_conditions(double T, double rho);

  // Evaluate all rates at molar abundances Y (length n_species).
  void update(const double* Y);
  // After update(Y): dY/dt (1/s) and the neutrino loss rate (erg/g/s) of
  // the tabulated weak rates.
  // If `gross` is given it receives sum |coef * flux| per species: the size
  // of the terms that cancel in dY/dt, which sets its round-off floor.
  void ydot(const double* Y, double* dYdt, double* eps_nu, double* gross = nullptr) const;
  // After update(Y): add d(dY/dt)/dY into J, row-major n x n, scaled by
  // `scale`. With exact = false the rate values are held fixed, which is
  // pynucastro's Jacobian (the tests compare with it); exact = true adds the
  // dependence of the nn_g approximate rates on Y_n, which the integrators use
  // (without it Newton stalls where (n,g)<->(g,n) equilibria dominate).
  void add_jacobian(const double* Y, double* J, double scale = 1.0, bool exact = false) const;
  // The same into J packed like net.lu.entries() (Network::jac_pos), scale 1:
  // what the integrators factor.
  void add_jacobian_packed(const double* Y, double* J, bool exact) const;

  // N_A-weighted neutrino loss per unit Y of each species (erg/g/s), i.e.
  // d eps_nu / dY_i, valid after update().
  const std::vector<double>& nu_coef() const { return nu_coef_; }
  bool table_clamped() const { return table_clamped_; }
  // value of evaluator i (bare N_A<sigma v>, with screening), after update()
  double rate_value(int i) const { return value_[i]; }

 private:
  // Every Jacobian term: add(slot, row, column, value), slot counting from
  // net_.jac_begin[m] in Network::jac_pos's order.
  template <class Add>
  void jacobian_terms(const double* Y, double scale, bool exact, Add add) const;

  // flux / prod Y^p of network rate m after update(): prefactor rho^dens_exp
  // x rate (x Ye for the weak rates whose flux carries it)
  double rate_k(size_t m) const {
    return k_const_[m] * value_[net_.network_rates[m]] * (ye_weight_[m] ? ye_ : 1.0);
  }
  // `regime` (optional) receives which branch of each clip/max was taken:
  // within one regime h is analytic in n_e.
  double screening_log(int pair, double sqrt_ne, double cbrt_ne, int* regime = nullptr) const;
  // Exact screening factors at n_e (into scor_) and a degree-4 Chebyshev
  // interpolant of them in ln(n_e / this n_e) for the following calls.
  void screening_recentre(double n_e);

  // value_ of tabulated rate w and its neutrino loss (into nu_coef_) at
  // log10(rho Ye), exactly, and the Taylor centre there (update());
  // *clamped set when outside the table's grid
  struct WeakColumn;
  void weak_recentre(WeakColumn& w, double log_rhoy, bool* clamped);
  static constexpr double kWeakTaylorMax = 2e-3;
  // T-dependent factors of set_conditions (also called by the constructor)
  void set_temperature(double T);

  const Network& net_;
  double T_, rho_;
  bool conditions_vary_ = false; // set_conditions has moved T or rho
  std::vector<double> log_pf_;   // per partition function, at T_
  std::vector<double> prefactor_;// per network rate: prefactor (k_const_ = prefactor_ * rho^dens_exp_)
  std::vector<int> dens_exp_;    // per network rate: power of rho
  std::vector<double> t_part_;   // per evaluator: T-dependent factor
  std::vector<double> value_;    // per evaluator: current value
  std::vector<double> dlnk_dYn_; // per network rate: d ln k / d Y_n (nn_g rates)
  std::vector<double> scor_;     // per screening pair: screening factor exp(h)
  std::vector<double> nu_coef_;  // per species
  // per screening pair: T-only factors of Chugunov 2007
  std::vector<double> pair_Tp_coef_, pair_z12_, pair_ztilde_, pair_zeta_coef_;
  double gamma_e_coef_ = 0;      // q_e^2 / k (4 pi / 3)^(1/3)
  double last_sumZY_ = -1;       // n_e of the screening factors in scor_
  // Screening interpolant: during a burn n_e only drifts with Ye (<~1e-3),
  // so around a centre n_e0 (exact factors scor0_) each factor is
  // scor0 + sum_k scr_coef_[k np + p] t^k, t = ln(n_e/n_e0) / scr_halfwidth_,
  // for |t| <= 1; outside, the centre moves to the new n_e (exact again).
  // Pairs whose clips change branch inside the interval, or whose check
  // against the exact value fails, are always evaluated exactly.
  static constexpr double kScrHalfwidth = 2e-3;
  bool scr_valid_ = false;
  double scr_sumZY0_ = -1, scr_ln_ne0_ = 0;
  std::vector<double> scor0_, scr_coef_;
  std::vector<int> scr_exact_;   // pairs evaluated exactly on every call
  // dY/dt: network rate m has flux = rate_k(m) * prod Y over its factors, in
  // the slots and terms of Network::flux_layout
  std::vector<double> k_const_;  // per network rate: prefactor * rho^dens_exp
  std::vector<double> k_slot_;   // the same per flux slot, for the flux loop
  std::vector<char> ye_weight_;
  double ye_ = 0;                // Ye of the last update()
  mutable std::vector<double> flux_;  // per flux slot, for ydot
  mutable std::vector<double> reaction_flux_;  // per reaction (FluxLayout), for ydot
  mutable std::vector<double> reaction_size_;  // per reaction: sum of its rates' |flux|
  mutable std::vector<double> ybuf_;  // |Y| for ydot
  mutable std::vector<char> negbuf_;  // Y < 0 for ydot
  // Evaluators in the order update() needs them, flattened so that the
  // per-call loops touch only small contiguous arrays (the Rate structs are
  // large and were the cache misses of the RHS):
  // ReacLib/derived evaluators (screened_) have value t_part * prod scor_
  // over their screening pairs, grouped by the number of pairs k:
  // scr_groups_[k].ev[q] uses pairs[k q .. k q + k); approximate rates come
  // last, in file order, because they combine the values of their children.
  struct ScreenGroup {
    std::vector<int> ev, pairs;
  };
  std::vector<ScreenGroup> scr_groups_;
  std::vector<int> screened_, approx_, nng_m_;
  // Tabular weak rates at this T: log10 rate and log10 nu loss interpolated
  // in log T once (bilinear = linear in log rho*Ye between these columns).
  struct WeakColumn {
    int evaluator, table, nu_species;  // nu_species -1 when not in the network
    std::vector<double> log_rate, log_nu;
    int hint = 0;                      // last interval of log rho*Ye
    // Taylor centre (update): log rho*Ye x0, the rate and nu loss there,
    // d ln(rate, nu) / d log rho*Ye in its interval, and the window
    // (x_lo, x_hi] where the series holds (empty: none yet)
    double x0 = 0, rate0 = 0, nu0 = 0, dln_rate = 0, dln_nu = 0, x_lo = 1, x_hi = 0;
  };
  std::vector<WeakColumn> weak_;
  bool T_clamped_ = false;       // T outside some table's grid (fixed per burn)
  bool table_clamped_ = false;
};

}  // namespace nnn
