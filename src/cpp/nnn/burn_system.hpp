// The ODE system an integrator advances: the composition, the weak-rate
// neutrino energy and, in a self-heating burn, the temperature, for one of
// three ways of driving T and rho:
//
//   Constant     T, rho fixed (the rates' T factors are computed once).
//   History      T(t), rho(t) prescribed (history.hpp); the rates move to
//                (T(t), rho(t)) whenever t changes: non-autonomous.
//   SelfHeating  rho fixed, T a variable of the system:
//                  dT/dt = (eps_nuc - eps_nu - eps_thermal_nu - de_comp/dt) / c_v
//                eps_nuc = -N_A sum dY_i/dt dm_i c^2 (erg/g/s), eps_nu the
//                weak-rate neutrino loss, eps_thermal_nu the optional thermal
//                neutrino loss (thermal_neutrinos.hpp), c_v and the internal
//                energy e(T, rho, abar, Ye) from stellar_eos (eos.hpp), and
//                de_comp/dt = (de/dabar) dabar/dt + (de/dYe) dYe/dt the change
//                of e with the composition at fixed T. Without that term e(T_end)
//                - e(T_0) would differ from the energy released by the change
//                of the ion energy 3/2 kT N_A / abar (~15 % of the energy of a
//                C/O -> Si burn); with it, energy is conserved to the
//                integration tolerance (tests/engine/test_self_heating.py).
//
// State vector y = [Y_0 .. Y_{n-1}, e_nu, (T), (e_thermal_nu)]: e_nu at n;
// in a self-heating burn T at n+1 and, with thermal losses, their energy
// (erg/g since t = 0) at n+2. The energies appear in no rate.
//
// The integrators' linear systems (d I - J) x = b are solved with the
// network's sparse LU for the composition block and, for the T row and
// column, a Schur complement (one extra sparse solve per factorisation):
//   A = d I - J_YY,  u = A^-1 J_YT,  x_T = (b_T + J_TY . A^-1 b_Y) / (d - J_TT - J_TY . u).
// J_YT (the species' T column) is a central finite difference of their
// right-hand side in T (relative step kDlnT). The T row is that of
// f_T = c . f_Y + (losses) / c_v with the energy weights c_i = dT per dY_i
// held fixed (their dependence on Y and T, through c_v and the EOS, is left
// out: the iteration matrix needs only to be close): J_TY = c^T J_YY - nu^T / c_v,
// J_TT = c . J_YT - d(losses)/dT / c_v. With J_YY u = d u - J_YT the Schur
// complement is d (1 - c . u) + ..., and J_TY . A^-1 b_Y = c^T (d A^-1 b_Y - b_Y) - ...:
// factor() and solve() use those forms, which never subtract c . J_YT
// (~1e10 /s in NSE) from itself (see factor()).
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "history.hpp"
#include "kinetics.hpp"
#include "network.hpp"

namespace nnn {

enum class BurnMode { Constant, History, SelfHeating };

// What drives T and rho during a burn.
struct Thermo {
  BurnMode mode = BurnMode::Constant;
  double T0 = 0;                     // K: the constant T, or the initial T of a self-heating burn
  double rho0 = 0;                   // g/cm^3: the constant (or self-heating) density
  const History* history = nullptr;  // BurnMode::History
  bool thermal_neutrinos = false;    // SelfHeating: thermal neutrino losses cool the zone
};

// Temperatures (K) at which the rates are evaluated (kinetics.hpp): a
// self-heating burn whose T leaves them stops with Status::OutOfDomain.
constexpr double kRateTMin = kReacLibTMin, kRateTMax = kReacLibTMax;

// State of one zone during a burn.
struct BurnState {
  std::vector<double> Y;   // molar abundances (mol/g)
  double e_nu = 0;         // weak-rate neutrino energy lost since t = 0 (erg/g)
  double T = 0;            // K (self-heating: the variable; otherwise T(t))
  double e_nu_th = 0;      // thermal neutrino energy lost since t = 0 (erg/g)
  double t = 0;            // s
  double ye0 = 0;          // Ye at t = 0 (where the network's physics ends: network_limit.hpp)
  // work counters: accepted and rejected steps, right-hand sides (including
  // those inside Jacobians), Jacobian evaluations, LU factorisations
  long n_steps = 0, n_rejected = 0, n_rhs = 0, n_jac = 0, n_lu = 0;
};

class BurnSystem {
 public:
  BurnSystem(const Network& net, const Thermo& thermo);

  int size() const { return nv_; }          // length of y
  int n_species() const { return n_; }
  BurnMode mode() const { return th_.mode; }
  bool autonomous() const { return th_.mode != BurnMode::History; }

  void pack(const BurnState& s, double* y) const;
  void unpack(const double* y, BurnState& s) const;  // not s.t

  // f = dy/dt at (t, y); gross (length n, optional): sum |terms| of dY_i/dt.
  // A self-heating state with T outside the rate range, or one the EOS
  // rejects, gives f = NaN (an integrator then shortens its step) and is
  // remembered for domain_message().
  void rhs(double t, const double* y, double* f, double* gross = nullptr);
  // Jacobian at (t, y) for factor() (exact: see Kinetics::add_jacobian);
  // f and gross (optional, as rhs()) receive the right-hand side at (t, y).
  // Returns the RHS evaluations it took.
  int jacobian(double t, const double* y, bool exact, double* f = nullptr, double* gross = nullptr);
  // Factor d I - J; false on a bad pivot (the integrator shortens its step).
  bool factor(double d);
  // (d I - J) x = b in place (length size()), with the last factor().
  void solve(double* b) const;
  // The composition block alone: A x = b for b of length n_species.
  void solve_species(double* b) const;
  void solve_species2(double* b1, double* b2) const;  // two at once (SparseLU::solve2)
  // The e_nu component that solve() gives for a species part dY (length
  // n_species) and b_e = 0: sum_i (d e_nu/dY_i) dY_i / d.
  double e_nu_response(const double* dY) const;
  // Self-heating: the index of T in y (-1 otherwise); and the T component
  // that solve() gives for (b_Y, b_T) when A^-1 b_Y = w, from the T row's
  // own part b_T - c . b_Y (f_T is sum_i c_i dY_i/dt plus losses, so the
  // species' round-off reaches b_T as c . b_Y and that part is 0 for it).
  int T_index() const { return iT_; }
  double T_response(double b_T_own, const double* w) const;
  // History burns: forward difference df/dt at (t, y) over a small part of
  // (t, t + h), for Rosenbrock methods; returns the RHS evaluations (0 when
  // autonomous, ft untouched).
  int time_derivative(double t, double h, const double* y, const double* f, double* ft);
  // Error scale of the components after e_nu (T, e_thermal_nu), from y.
  void scale_extra(const double* y, double rtol, double e_atol, double* scale) const;
  // After an accepted step: throws Error(OutOfDomain) if a self-heating T
  // left the rate range; records table clamping.
  void accept(double t, const double* y);

  // T (K) at (t, y)
  double temperature(double t, const double* y) const;
  // Why the last rejected evaluation was outside the domain ("" if none since the last accept).
  const std::string& domain_message() const { return domain_msg_; }
  bool table_clamped() const { return clamped_ || kin_.table_clamped(); }
  Kinetics& kinetics() { return kin_; }

  static constexpr double kDlnT = 1e-6;  // relative T step of the finite-difference T column
  static constexpr double kEdgeStop = 1e-6;  // relative distance to a rate-range edge that counts as reaching it (accept())

 private:
  // Move the rates to the conditions at (t, y); false (and f = NaN) if out of domain.
  bool move_to(double t, const double* y, double* f);
  // Self-heating: the T equation and thermal losses into f (after kin_.ydot); false if the EOS rejects y.
  bool heating(double t, double T, const double* y, double* f);
  double T_share(const double* b_Y) const;  // c . b_Y: the species' share of the T row
  void c_nu_dots(const double* v, double& c_dot, double& nu_dot) const;  // c . v and nu . v (one pass)

  const Network& net_;
  Thermo th_;
  Kinetics kin_;
  int n_ = 0, nv_ = 0, iT_ = -1, ith_ = -1;
  std::vector<double> J_, work_, LU_, nu_;  // J_YY (packed, lu.entries() order), factor() scratch, factors, d e_nu/dY
  std::vector<double> colT_, u_;  // d f / dT (all of y), A^-1 J_YT
  double schur_ = 1, d_ = 0;
  // T row: J_TY = c^T J_YY - nu^T / c_v and J_TT = c . J_YT + dT_rest_ (below)
  double inv_cv_ = 0;     // 1 / c_v at the last jacobian()
  double dT_rest_ = 0;    // what J_TT has beyond c . J_YT: -d(losses)/dT / c_v (c, c_v fixed)
  std::vector<double> w_mass_;           // per species: -N_A dm_i c^2 (erg/mol)
  // cached by heating() for the T row: c_v and the energy weight of each dY_i/dt
  double cv_ = 0, e_sumY_ = 0, e_sumZY_ = 0;  // de_comp/dt = e_sumY_ d(sum Y)/dt + e_sumZY_ d(sum Z Y)/dt
  std::vector<double> c_T_;              // c_i: f_T = sum_i c_i dY_i/dt - ..., at the last jacobian()
  std::vector<double> ypert_, fplus_, fminus_, f_base_;
  double eta_last_ = std::numeric_limits<double>::quiet_NaN();  // EOS Newton start (self-heating)
  std::string domain_msg_;
  bool clamped_ = false;
};

}  // namespace nnn
