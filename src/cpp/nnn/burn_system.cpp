#include "burn_system.hpp"

#include <cmath>
#include <limits>

#include "eos.hpp"
#include "format.hpp"
#include "status.hpp"
#include "thermal_neutrinos.hpp"

namespace nnn {

namespace {
// numbers in messages: the one formatter (shortest round-trip text)
std::string fmt(double v) { return repr(v); }
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// relative step in Ye of the forward difference de/dYe (error ~ 1e-6 of a
// term that is itself <~ 1e-4 of the heating: only weak rates change Ye)
constexpr double kDlnYe = 1e-6;
double start_T(const Thermo& th) {
  if (th.mode != BurnMode::History) return th.T0;
  double T, rho;
  th.history->at(0.0, T, rho);
  return T;
}
double start_rho(const Thermo& th) {
  if (th.mode != BurnMode::History) return th.rho0;
  double T, rho;
  th.history->at(0.0, T, rho);
  return rho;
}
}  // namespace

BurnSystem::BurnSystem(const Network& net, const Thermo& thermo)
    : net_(net), th_(thermo), kin_(net, start_T(thermo), start_rho(thermo)) {
  n_ = net.n_species();
  nv_ = n_ + 1;
  if (th_.mode == BurnMode::SelfHeating) {
    iT_ = nv_++;
    if (th_.thermal_neutrinos) ith_ = nv_++;
  }
  J_.assign(net.lu.entries().size(), 0.0);  // packed: Kinetics::add_jacobian_packed
  work_.assign(n_, 0.0);
  LU_.assign(net.lu.packed_size(), 0.0);
  nu_.assign(n_, 0.0);
  colT_.assign(nv_, 0.0);
  u_.assign(n_, 0.0);
  ypert_.assign(nv_, 0.0);
  if (iT_ >= 0) c_T_.assign(n_, 0.0);
  fplus_.assign(nv_, 0.0);
  fminus_.assign(nv_, 0.0);
  const Constants& c = net.constants;
  for (const Isotope& iso : net.isotopes) w_mass_.push_back(-c.N_A * c.MeV2erg * iso.dm_MeV);
}

void BurnSystem::pack(const BurnState& s, double* y) const {
  for (int i = 0; i < n_; ++i) y[i] = s.Y[i];
  y[n_] = s.e_nu;
  if (iT_ >= 0) y[iT_] = s.T;
  if (ith_ >= 0) y[ith_] = s.e_nu_th;
}

void BurnSystem::unpack(const double* y, BurnState& s) const {
  for (int i = 0; i < n_; ++i) s.Y[i] = y[i];
  s.e_nu = y[n_];
  if (iT_ >= 0) s.T = y[iT_];
  if (ith_ >= 0) s.e_nu_th = y[ith_];
}

double BurnSystem::temperature(double t, const double* y) const {
  switch (th_.mode) {
    case BurnMode::Constant: return th_.T0;
    case BurnMode::SelfHeating: return y[iT_];
    case BurnMode::History: {
      double T, rho;
      th_.history->at(t, T, rho);
      return T;
    }
  }
  return th_.T0;
}

bool BurnSystem::move_to(double t, const double* y, double* f) {
  if (th_.mode == BurnMode::History) {
    double T, rho;
    th_.history->at(t, T, rho);
    kin_.set_conditions(T, rho);
  } else if (th_.mode == BurnMode::SelfHeating) {
    const double T = y[iT_];
    if (!(T >= kRateTMin && T <= kRateTMax)) {
      domain_msg_ = "T = " + fmt(T) + " K left the rate range [" + fmt(kRateTMin) + ", " + fmt(kRateTMax) + "] K at t = " + fmt(t) + " s";
      for (int i = 0; i < nv_; ++i) f[i] = kNaN;
      return false;
    }
    kin_.set_conditions(T, th_.rho0);
  }
  return true;
}

bool BurnSystem::heating(double t, double T, const double* y, double* f) {
  double sumY = 0, sumAY = 0, sumZY = 0, dsumY = 0, dsumZY = 0, eps = 0;
  for (int i = 0; i < n_; ++i) {
    const Isotope& iso = net_.isotopes[i];
    sumY += y[i];
    sumAY += iso.A * y[i];
    sumZY += iso.Z * y[i];
    dsumY += f[i];
    dsumZY += iso.Z * f[i];
    eps += w_mass_[i] * f[i];
  }
  const double rho = th_.rho0;
  const double abar = sumAY / sumY, ye = sumZY / sumAY;
  // Two EOS calls per RHS (the EOS's Fermi-Dirac quadrature is the cost of
  // a self-heating RHS): at (T, Ye) and at Ye (1 + kDlnYe) for de/dYe, both
  // starting Newton from the last eta (the root does not depend on the guess)
  EosResult eos, eos_up;
  try {
    eos = std::isfinite(eta_last_) ? stellar_eos(T, rho, abar, ye, eta_last_) : stellar_eos(T, rho, abar, ye);
    eta_last_ = eos.eta;
    eos_up = stellar_eos(T, rho, abar, ye * (1 + kDlnYe), eos.eta);
  } catch (const Error& e) {
    domain_msg_ = "the EOS rejected T = " + fmt(T) + " K at t = " + fmt(t) + " s: " + e.what();
    for (int i = 0; i < nv_; ++i) f[i] = kNaN;
    return false;
  }
  // e at fixed T: ions 3/2 kT N_A / abar (ideal gas, the only abar-dependent
  // part), electrons through Ye (central difference); sum A_i dY_i/dt = 0, so
  // dabar/dt = -abar dsumY / sumY and dYe/dt = dsumZY / sumAY
  const double de_dabar = -eos.e_ion / abar;
  const double de_dye = (eos_up.e - eos.e) / (kDlnYe * ye);  // forward: the term is ~1e-9 of eps here
  // de_comp/dt = e_sumY * d(sum Y)/dt + e_sumZY * d(sum Z Y)/dt
  e_sumY_ = de_dabar * (-abar / sumY);
  e_sumZY_ = de_dye / sumAY;
  const double de_comp = e_sumY_ * dsumY + e_sumZY_ * dsumZY;
  double loss_th = 0;
  if (ith_ >= 0) {
    loss_th = thermal_neutrino_loss(T, rho, abar, ye * abar).total;
    f[ith_] = loss_th;
  }
  cv_ = eos.cv;
  f[iT_] = (eps - f[n_] - loss_th - de_comp) / cv_;
  return std::isfinite(f[iT_]);
}

void BurnSystem::rhs(double t, const double* y, double* f, double* gross) {
  if (!move_to(t, y, f)) return;
  kin_.update(y);
  kin_.ydot(y, f, &f[n_], gross);
  if (th_.mode == BurnMode::SelfHeating) heating(t, y[iT_], y, f);
}

int BurnSystem::jacobian(double t, const double* y, bool exact, double* f, double* gross) {
  std::fill(J_.begin(), J_.end(), 0.0);
  if (th_.mode != BurnMode::SelfHeating) {
    move_to(t, y, fplus_.data());
    kin_.update(y);
    kin_.add_jacobian_packed(y, J_.data(), exact);
    nu_ = kin_.nu_coef();
    if (f) kin_.ydot(y, f, &f[n_], gross);
    return 1;
  }
  // base point: rates, EOS weights and c_v at y
  rhs(t, y, fplus_.data(), gross);
  if (f) std::copy(fplus_.begin(), fplus_.end(), f);
  if (!std::isfinite(fplus_[iT_])) {  // out of domain: a matrix that factor() rejects
    for (int i = 0; i < nv_; ++i) colT_[i] = kNaN;
    return 1;
  }
  kin_.add_jacobian_packed(y, J_.data(), exact);
  nu_ = kin_.nu_coef();
  // T row: f_T = sum_i c_i dY_i/dt + (losses) / c_v with c_i held fixed
  inv_cv_ = 1.0 / cv_;
  std::vector<double>& c = c_T_;  // energy weight of each dY_i/dt
  for (int i = 0; i < n_; ++i)
    c[i] = (w_mass_[i] - e_sumY_ - e_sumZY_ * net_.isotopes[i].Z) * inv_cv_;
  // T column: central difference of the whole right-hand side, one-sided
  // from f(y) where T -+ dT would leave the rates' range (from T0 = 1e7 K or
  // 1e10 K the column was NaN and every step failed: "step size underflow
  // (h = 4e-323 s at t = 0 s)", benchmarks/domain_sweep.py --self-heating)
  const double T = y[iT_], dT = kDlnT * T;
  const bool up = T + dT <= kRateTMax, down = T - dT >= kRateTMin;
  if (!(up && down)) f_base_.assign(fplus_.begin(), fplus_.end());
  std::copy(y, y + nv_, ypert_.begin());
  if (up) {
    ypert_[iT_] = T + dT;
    rhs(t, ypert_.data(), fplus_.data());
  }
  if (down) {
    ypert_[iT_] = T - dT;
    rhs(t, ypert_.data(), fminus_.data());
  }
  const double* hi = up ? fplus_.data() : f_base_.data();
  const double* lo = down ? fminus_.data() : f_base_.data();
  const double width = (up ? dT : 0.0) + (down ? dT : 0.0);
  for (int i = 0; i < nv_; ++i) colT_[i] = (hi[i] - lo[i]) / width;
  // J_TT with c (c_v and the EOS weights) held fixed, as in the T row:
  // c . J_YT minus the losses' T-derivatives / c_v. The T-dependence of c
  // adds (dc/dT) . f_Y, which at a predicted state off the NSE manifold
  // (|f_Y| of its fast relaxation, eps_nuc ~ 1e19 erg/g/s against ~1e15 on
  // it) was +0.04..0.8 /s: the Schur complement below turned negative for
  // steps of 10-100 s in a steady NSE and factor() refused them.
  dT_rest_ = -(colT_[n_] + (ith_ >= 0 ? colT_[ith_] : 0.0)) * inv_cv_;
  return 1 + up + down;  // (every rhs() call moves the rates to its own T first)
}

bool BurnSystem::factor(double d) {
  const SparseLU& lu = net_.lu;
  d_ = d;
  if (!lu.factor(J_.data(), d, LU_.data(), work_.data())) return false;
  if (iT_ < 0) return true;
  std::copy(colT_.begin(), colT_.begin() + n_, u_.begin());
  lu.solve(LU_.data(), u_.data());
  // Schur = d - J_TT - J_TY . u with J_TY = c^T J_YY - nu^T / c_v and
  // J_YY u = d u - J_YT (u = A^-1 J_YT): d (1 - c . u) - dT_rest + nu . u / c_v.
  // Written as d - J_TT - J_TY . u it is a difference of terms ~1e10 /s
  // (c . J_YT in NSE) for a result that can be ~1e-2 /s: the finite
  // difference's ~1e-9 in J_TT made its sign noise and factor() refused
  // steps of 25-100 s in a steady 5.3e9 K NSE (mesa_151, self-heating H/He
  // at 1e6 g/cm^3, docs/domain.md). In NSE 1 - c . u = 1 + c_v,NSE / c_v >= 1.
  double cu, nuu;
  c_nu_dots(u_.data(), cu, nuu);
  schur_ = d * (1 - cu) - dT_rest_ + nuu * inv_cv_;
  // like the LU's pivots: a non-positive Schur complement means a step
  // longer than the thermal runaway's e-folding time, which must shrink
  return std::isfinite(schur_) && schur_ > 0;
}

void BurnSystem::solve(double* b) const {
  // the T row's own part of b_T (before b_Y is overwritten by w)
  const double b_T_own = iT_ >= 0 ? b[iT_] - T_share(b) : 0.0;
  net_.lu.solve(LU_.data(), b);  // w = A^-1 b_Y in b[0..n)
  double xT = 0;
  if (iT_ >= 0) {
    xT = T_response(b_T_own, b);
    for (int j = 0; j < n_; ++j) b[j] += u_[j] * xT;
    b[iT_] = xT;
  }
  // e_nu row: d x_e - nu . x_Y - (d e_nu/dT) x_T = b_e (e_nu appears in no rate)
  double dot = 0;
  for (int i = 0; i < n_; ++i) dot += nu_[i] * b[i];
  b[n_] = (b[n_] + dot + (iT_ >= 0 ? colT_[n_] * xT : 0.0)) / d_;
  if (ith_ >= 0) b[ith_] = (b[ith_] + colT_[ith_] * xT) / d_;
}

void BurnSystem::solve_species(double* b) const { net_.lu.solve(LU_.data(), b); }

void BurnSystem::solve_species2(double* b1, double* b2) const { net_.lu.solve2(LU_.data(), b1, b2); }

double BurnSystem::e_nu_response(const double* dY) const {
  double s = 0;
  for (int i = 0; i < n_; ++i) s += nu_[i] * dY[i];
  return s / d_;
}

double BurnSystem::T_share(const double* b_Y) const {
  double s = 0;
  for (int i = 0; i < n_; ++i) s += c_T_[i] * b_Y[i];
  return s;
}

double BurnSystem::T_response(double b_T_own, const double* w) const {
  // x_T = (b_T + J_TY . w) / Schur, J_TY . w = c^T (d w - b_Y) - nu . w / c_v
  double cw, nuw;
  c_nu_dots(w, cw, nuw);
  return (b_T_own + d_ * cw - nuw * inv_cv_) / schur_;
}

void BurnSystem::c_nu_dots(const double* v, double& c_dot, double& nu_dot) const {
  c_dot = nu_dot = 0;
  for (int j = 0; j < n_; ++j) {
    c_dot += c_T_[j] * v[j];
    nu_dot += nu_[j] * v[j];
  }
}

int BurnSystem::time_derivative(double t, double h, const double* y, const double* f, double* ft) {
  if (autonomous()) return 0;
  // forward: the step never crosses a sample, so (t, t + h) is one interval
  const double dt = 1e-7 * h;
  rhs(t + dt, y, fplus_.data());
  for (int i = 0; i < nv_; ++i) ft[i] = (fplus_[i] - f[i]) / dt;
  return 1;
}

void BurnSystem::scale_extra(const double* y, double rtol, double e_atol, double* scale) const {
  if (iT_ >= 0) scale[iT_] = rtol * std::abs(y[iT_]);
  if (ith_ >= 0) scale[ith_] = e_atol + rtol * std::abs(y[ith_]);
}

void BurnSystem::accept(double t, const double* y) {
  // A runaway that creeps up to the range's edge alternates accepted steps
  // below it with trials beyond it until bdf calls the burn stalled: the
  // message of those trials is kept while T is within 1 % of an edge, so
  // that the failure is reported as out of domain (status 6), not stalled.
  if (iT_ < 0 || (y[iT_] > 1.01 * kRateTMin && y[iT_] < 0.99 * kRateTMax)) domain_msg_.clear();
  if (th_.mode == BurnMode::Constant) return;
  clamped_ = clamped_ || kin_.table_clamped();
  if (iT_ >= 0) {
    const double T = y[iT_];
    if (!(T >= kRateTMin && T <= kRateTMax))
      throw Error(Status::OutOfDomain, "self-heating burn: T = " + fmt(T) +
                                           " K left the rate range [" + fmt(kRateTMin) + ", " + fmt(kRateTMax) + "] K at t = " + fmt(t) + " s");
    // Within kEdgeStop of an edge, with trials beyond it rejected: the runaway
    // leaves the range, and creeping up to the edge costs thousands of steps
    // of ever smaller h (mesa_80, H/He, 1e8 g/cm^3 from 1e7 K: 7356 accepted
    // and 7357 rejected steps within 1e-2 s of the edge, t = 3.0098 s)
    const bool at_edge = T >= kRateTMax * (1 - kEdgeStop) || T <= kRateTMin * (1 + kEdgeStop);
    if (at_edge && !domain_msg_.empty())
      throw Error(Status::OutOfDomain, "self-heating burn: T = " + fmt(T) + " K reached the edge of the rate range [" +
                                           fmt(kRateTMin) + ", " + fmt(kRateTMax) + "] K at t = " + fmt(t) +
                                           " s, and a step beyond it was tried (" + domain_msg_ + ")");
  }
}

}  // namespace nnn
