// Variable-order (1-5) numerical differentiation formulas (NDF), the
// quasi-constant step size BDF family of Shampine & Reichelt (1997), as in
// MATLAB's ode15s and scipy's BDF: a modified-divided-difference history D,
// a simplified Newton iteration that reuses the Jacobian until it fails to
// converge, and order/step selection after order+1 equal steps.
//
// Why this is the default (measured, benchmarks/bench_integrators.py; counts
// are exact, times noisy on a shared 2-core machine):
//   mesa_80, 3.5e9 K, 1e8, si28+s32, dt 1 s, rtol 1e-8: bdf 436 steps, 949 RHS,
//     93 LU; rodas4 362 steps, 2172 RHS, 362 LU (~2x the time of bdf).
//   approx21, 5e9 K, 1e9, ni56+si28, dt 100 s, rtol 1e-8: bdf 2322 steps;
//     rodas4 28933 steps (~35x the time): its embedded error estimate stays
//     O(h) there, because the Jacobian omits d(weak rates, screening)/dYe.
//   approx21 at rtol >= 1e-9 on that burn: rodas4 grinds (500000 steps),
//     bdf finishes (round-off floor, see round_off()).
// BDF reuses one LU over many steps and needs ~2 RHS per step; RODAS4 needs
// 6 RHS and one LU every step and an exact Jacobian for its order.
//
// Robustness measures (each found on a failing burn, see the comments at
// the code): CVODE-style Newton test at a fixed fraction of the tolerance;
// tolerances floored at the round-off of the step (species, e_nu and a
// self-heating T in Newton's test, species in the error test, times the
// error estimate's own gain on it: noise_gain_); an order drop on a
// rejected step; Jacobian at Y clipped to >= 0 except Y_n, with the exact
// nn_g term (kExactJacobian); sum A_i Y_i projected back after each step
// (project_mass); early failure when rejections outnumber accepted steps
// (check_progress); a clock that re-origins t when a step is shorter than
// t's resolution (integrate()).
#include <algorithm>
#include <cmath>
#include <limits>

#include "format.hpp"
#include "integrator.hpp"

namespace nnn {

namespace {

constexpr int kMaxOrder = 5;
constexpr int kNewtonMaxIter = 4;
// Newton tolerance, a fraction of the local error tolerance. 0.03 (CVODE-
// like) let unconverged iterates into the history and mesa_80 at 1e9 K,
// rho 1e10 (c12+o16, fe56+he4, ni56+si28; dt 100 s) then failed with step
// underflow; 1e-3 and 3e-4 pass them all, 1e-3 with fewer RHS calls.
// 1e-2 where the round-off floor is negligible (1e-3 elsewhere) was 1.1-1.4x
// faster on mesa_80 at rtol 1e-8 with the domain sweep unchanged, but less
// accurate in the tail: 48 approx21 zones (seed 7) to 1 s against rtol 1e-11,
// max |dX| 2.3e-6 -> 1.2e-3 at rtol 1e-6 (a transient at 1e-4 s stepped over,
// the failure mode 1e-3 shows only from rtol 1e-5) and 3.4e-8 -> 8.1e-8 at
// 1e-8: kept at 1e-3 (docs/performance.md, 2026-12-04).
constexpr double kNewtonTol = 1e-3;
// The iteration matrix includes Kinetics' exact nn_g term d k/d Y_n (the
// approximate rates' 1/(rho Y_n X(n,g)B + X(g,n)A)), evaluated at the signed
// Y_n (update_jacobian). Measured on approx21 (512 training samples, 9 outputs
// to 100 s, rtol 1e-6, 2 threads): 272 samples/s, 691 steps/sample; with
// pynucastro's Jacobian (rates held fixed) 194/s, 892 steps; exact but at Y_n
// clipped to 0, 48/s with a 282000-step burn. (Before Y_n < 0 was evaluated as
// |Y_n|, the exact term had a pole at negative Y_n and was left out.) mesa
// nets have no nn_g rates: unchanged.
constexpr bool kExactJacobian = true;
constexpr double kEps = std::numeric_limits<double>::epsilon();
// A Jacobian older than this many accepted steps is refreshed at the next
// new iteration matrix (CVODE's MSBP is 20), not only after a Newton failure:
// a fresher matrix converges in fewer iterations. Measured (ab_engine_builds,
// mesa_80 Si, 3.5e9 K, 1e8): x1.09-1.13 at rtol 1e-8, x1.24 at 1e-10, 2-5 %
// fewer steps; 48 zones to 1 s against rtol 1e-11: the worst zone's error
// within 1.5x of before at rtol 1e-6..1e-8, 3x at 1e-9 on approx21 (2.6e-8
// -> 7.9e-8); medians 0.9-1.35x (docs/performance.md, 2026-12-04).
constexpr long kJacMaxAge = 20;
constexpr double kMinFactor = 0.2, kMaxFactor = 10.0;
constexpr double kKappa[kMaxOrder + 1] = {0, -0.1850, -1.0 / 9, -0.0823, -0.0415, 0};

class Bdf : public Integrator {
 public:
  Bdf(const Network& net, const SparseLU& lu) : net_(net), lu_(lu) {
    gamma_[0] = 0;
    for (int k = 1; k <= kMaxOrder; ++k) gamma_[k] = gamma_[k - 1] + 1.0 / k;
    for (int k = 0; k <= kMaxOrder; ++k) {
      alpha_[k] = (1 - kKappa[k]) * gamma_[k];
      error_const_[k] = kKappa[k] * gamma_[k] + 1.0 / (k + 1);
    }
    // The error estimate C_q (y_new - y_pred) carries the errors of y_new
    // and of the q + 1 past states the predictor extrapolates, with weights
    // binom(q + 1, j + 1): for independent errors of one size its noise is
    // C_q sqrt(1 + sum_j binom(q + 1, j + 1)^2) times theirs (0.77, 0.75,
    // 0.83, 1.8, 5.1 at q = 1 .. 5). Each state is off by its round-off
    // floor plus the residual Newton's test leaves (up to twice the floor,
    // Newton's test): 3x the floor. The error test's tolerances are floored at
    // noise_gain_[q] = max(1, 3 x that) times the round-off floor (2.3, 2.2,
    // 2.5, 5.4, 15). Measured: with 1x, mesa_80 Si at 3.5e9 K, 1e8 g/cm^3,
    // 100 s, rtol 1e-10 rejected 69 steps in runs whose error did not fall
    // as h was cut, its sign flipping from step to step (traced: the largest
    // terms 15-60x the floor); with the gain 2 rejected, 1066 steps instead
    // of 1268 (over T perturbed by 1e-12: 1213 -> 1068 steps, RHS -11 %),
    // x1.27 (docs/performance.md, "The error test's noise gain").
    for (int q = 1; q <= kMaxOrder; ++q) {
      double sum = 1, b = 1;  // b = binom(q + 1, j + 1)
      for (int j = 0; j <= q; ++j) {
        b = b * (q + 1 - j) / (j + 1);
        sum += b * b;
      }
      noise_gain_[q] = std::max(1.0, 3 * std::abs(error_const_[q]) * std::sqrt(sum));
    }
  }

  void integrate(BurnSystem& sys, BurnState& s, double t_end, const IntegratorOptions& opt) override {
    sys_ = &sys;
    n_ = net_.n_species();
    nv_ = sys.size();  // Y, e_nu and (self-heating) T, ...
    if (D_.empty()) start(s, t_end, opt);
    std::vector<double> y_pred(nv_), y_new(nv_), d(nv_), psi(nv_), scale(nv_), f(nv_), dy(nv_);
    std::vector<double> err(nv_);

    // The clock: t = t0 + tau. t0 stays 0 (tau is s.t, bit for bit) until a
    // step must be shorter than the resolution of t itself: then t0 takes
    // the time so far and tau restarts at 0, so that each step's length is
    // exact again (BDF's history holds differences, not absolute times).
    // Measured: C/O at 1e10 g/cm^3 from 3.2e8 K, self-heating, dt 1e6 s,
    // ignites at t = 19,165.8 s, where the runaway needs h ~ 1e-11 s and
    // 10 ulp(t) is 3.6e-11 s: bdf and rodas4 both ended in "step size
    // underflow" (mesa_80, mesa_151, approx21; docs/burn_modes.md).
    double t0 = 0, tau = s.t, tau_end = t_end;
    double tau_floor = 0;  // h at the last re-origin: resolution is relative to it after
    while (tau < tau_end) {
      check_progress("bdf", net_, s, t_end, opt, /*stop_past_network_limit=*/true);
      double h = h_;
      bool accepted = false;
      double error_norm = 0;
      int n_iter = 0, n_fail = 0;
      while (!accepted) {
        // After three failures in a row the history itself is suspect (high-
        // order differences of a state that just went through a sharp
        // transient): restart at order 1 from y and f(y) as CVODE does after
        // repeated error-test failures. Measured on 256 training samples
        // (rtol 1e-6): without it one mesa_151 burn stalled and the hardest
        // burns of both mesa nets took ~2x the steps.
        if (n_fail > 0 && n_fail % 3 == 0) restart(s);
        const double t_res = std::max(tau, tau_floor);
        if (h < 10 * (std::nextafter(t_res, 2 * tau_end + 1) - t_res)) {
          if (tau > 0 && s.n_steps > steps_at_origin_) {
            // re-origin (after at least one step accepted since the last)
            t0 += tau;
            tau = 0;
            tau_end = t_end - t0;
            tau_floor = h;
            steps_at_origin_ = s.n_steps;
            continue;
          }
          throw Error(Status::IntegratorFailed, "bdf: step size underflow (h = " + repr(h) +
                                                    " s at t = " + repr(s.t) + " s)");
        }
        double t_new = tau + h;
        // land on t_end; a step that would stop a round-off short of it is
        // stretched, else the next step is a few ulps long (step underflow)
        if (t_new > tau_end || tau_end - t_new < 1e-6 * h) {
          t_new = tau_end;
          change_D(order_, (tau_end - tau) / h);
          n_equal_ = 0;
          lu_valid_ = false;
          h = tau_end - tau;
        }
        const double t_abs = t0 + t_new;  // the rates' time (history burns)
        predict(y_pred, psi);
        set_scale(y_pred, scale, opt);
        const double c = h / alpha_[order_];
        bool converged = false;
        // Self-heating: after a Newton failure the Jacobian belongs to the
        // failed attempt's predicted state, not to this one's (h was cut):
        // evaluate it here. Retried with the old one (as CVODE does), a burn
        // in NSE diverged at once: a Jacobian 0.07 % off in T mispredicts the
        // T response of fluxes ~1e12 /s by ~1e15 tolerances. Measured:
        // mesa_80, H/He from 1e7 K at 1e8 g/cm^3, self-heating to 2.7 s (NSE
        // at 9.9e9 K): 8753 steps and 7316 rejected -> 3147 and 141 (this
        // alone); with BurnSystem's cancellation-free Schur complement in
        // both, the quick self-heating sweep 125 -> 87 s, its slowest mesa_151
        // burn 12,260 -> 2688 steps (Fe group, 1e10 K, 1e10 g/cm^3, 1e6 s:
        // 9485 + 6139 rejected -> 2107 + 491), no burn of it > 1.5x slower.
        // Not at constant T or along a history, where T is no variable: there
        // the medium domain sweep changed 115 of 4680 burns' steps, 0.1 % more
        // in all, one 9x (mesa_151, C/O, 10^8.5 K, 1e10 g/cm^3, 1e6 s: 326 ->
        // 2935 steps, 2314 rejected, 3335 Jacobians), so they keep the old rule.
        if (jac_due_ || ((!lu_valid_ || c != lu_c_) && !jac_fresh_ && s.n_steps - jac_steps_ >= kJacMaxAge))
          update_jacobian(s, t_abs, y_pred);
        jac_due_ = false;
        bool fresh_jac = jac_fresh_;
        while (true) {
          if (!lu_valid_ || c != lu_c_) {
            const bool ok = build_lu(c);
            if (!ok) break;  // bad pivot: treat as a convergence failure
            ++s.n_lu;
          }
          converged = newton(s, t_abs, c, y_pred, psi, scale, y_new, d, f, dy, n_iter);
          if (converged || fresh_jac) break;
          update_jacobian(s, t_abs, y_pred);  // stale Jacobian: refresh and retry once
          fresh_jac = true;
        }
        if (!converged) {
          // a row after the species (e_nu, T) that led the failure with a
          // fresh Jacobian gets its round-off floor in Newton's test
          if (fresh_jac && newton_led_ >= n_) row_floor_[newton_led_] = 1;
          ++n_fail;
          jac_due_ = sys.T_index() >= 0;
          h *= 0.5;
          change_D(order_, 0.5);
          n_equal_ = 0;
          lu_valid_ = false;
          ++s.n_rejected;
          continue;
        }
        const double safety = 0.9 * (2 * kNewtonMaxIter + 1) / (2 * kNewtonMaxIter + n_iter);
        set_scale(y_new, scale, opt);
        // tolerances below the round-off floor are raised to it (times the
        // error estimate's own gain on it, noise_gain_), and to the floor
        // of the step that made the current state: that state is no
        // more accurate than it, and after a cut in h the step's own floor
        // (~ c x eps x gross) drops below the state's error, which the error
        // test then reads as this step's. Measured: approx21, H/He, 1e8 K,
        // 1e8 g/cm^3, dt 1e6 s ended with X[fe56] = -1.2e-9 without it; with
        // it, 426 steps, within 5.8e-7 of rodas4 at rtol 1e-10 in X > 1e-6
        // (tests/engine/test_domain.py)
        // (species only: e_nu's floor, noise_[n_], relaxes its Newton test
        // but not its error test; floored there too, bdf returned mesa_151
        // at 1e10 K, 1e6 g/cm^3, 1e6 s with eps_nu 2.8x rodas4's)
        for (int i = 0; i < n_; ++i)
          scale[i] = std::max(scale[i], noise_gain_[order_] * std::max(noise_[i], noise_accepted_[i]));
        for (int i = 0; i < nv_; ++i) err[i] = error_const_[order_] * d[i];
        error_norm = norm(err, scale);
        // A step that carries an abundance from clearly above zero to clearly
        // below it (beyond its tolerance both sides) is rejected even when
        // the error test passes, and h is cut to land short of the zero (as
        // CVODE's inequality constraints; only crossings: a species already
        // at zero within its tolerance kept every step rejected). Where a
        // reactant runs out the predictor extrapolates the decline through
        // zero and the corrector agrees, so the error estimate does not see
        // it. Measured: approx21, o16 + cr60, 3.26e9 K, 5.6e8 g/cm^3 (a
        // tail_latency.py zone): as the free neutrons ran out at t = 0.881 s
        // an order-5 step of 1.7e-2 s was accepted at Y_n = -8.7e-8, Y_p then
        // drifted to -6.5e-7 and co56 ran away to X = 1.5 ("composition
        // diverged", bdf and rodas4 alike).
        double overshoot = 1;  // the fraction of the step that reaches the first zero
        bool below = false;    // a branch-free pass first: this runs on every step
        for (int i = 0; i < n_; ++i) below |= y_new[i] < -scale[i];
        if (below)
          for (int i = 0; i < n_; ++i) {
            const double y0 = D(0)[i];
            if (y_new[i] < -scale[i] && y0 > scale[i]) overshoot = std::min(overshoot, y0 / (y0 - y_new[i]));
          }
        if (error_norm > 1 || overshoot < 1) {
          double factor = error_norm > 1 ? std::max(kMinFactor, safety * std::pow(error_norm, -1.0 / (order_ + 1)))
                                         : std::max(kMinFactor, 0.9 * overshoot);
          if (order_ > 1 && error_norm > 1) {
            // as ode15s (and VODE): a rejected step may drop an order, when
            // the error of order q-1 on the same step (from the q-th
            // difference through y_new, D^q y_n + d) allows a larger h.
            // Without it, order 5 held through runs of alternating
            // rejections (same case as noise_gain_: 69 -> 25 rejected)
            for (int i = 0; i < nv_; ++i) err[i] = error_const_[order_ - 1] * (D(order_)[i] + d[i]);
            const double lower = std::max(kMinFactor, safety * std::pow(norm(err, scale), -1.0 / order_));
            if (lower > factor) {
              factor = lower;
              --order_;
            }
          }
          h *= factor;
          change_D(order_, factor);
          n_equal_ = 0;
          ++s.n_rejected;
          ++n_fail;
        } else {
          accepted = true;
          noise_accepted_ = noise_;
          project_mass(net_, mass0_, y_new.data(), d.data());
          tau = t_new;
          s.t = tau == tau_end ? t_end : t_abs;
          sys_->unpack(y_new.data(), s);
          check_composition("bdf", net_, s);
          sys_->accept(s.t, y_new.data());
          ++s.n_steps;
          ++n_equal_;
          jac_fresh_ = false;  // the Jacobian now belongs to an earlier state
          // D^{j+1} y_n = D^j y_n - D^j y_{n-1}; d = D^{k+1} y_n
          for (int i = 0; i < nv_; ++i) {
            D(order_ + 2)[i] = d[i] - D(order_ + 1)[i];
            D(order_ + 1)[i] = d[i];
          }
          for (int j = order_; j >= 0; --j)
            for (int i = 0; i < nv_; ++i) D(j)[i] += D(j + 1)[i];
          h_ = h;
          if (n_equal_ >= order_ + 1) select_order(error_norm, scale, safety);
        }
      }
    }
  }

 private:
  double* D(int j) { return &D_[static_cast<size_t>(j) * nv_]; }

  // y_pred = sum_{j <= q} D^j y_n and psi = sum_{1 <= j <= q} gamma_j D^j y_n / alpha_q.
  // Loops over i innermost (contiguous, vectorised): the sums run over j in the
  // same order as summing each component on its own, so the results are the same.
  void predict(std::vector<double>& y_pred, std::vector<double>& psi) {
    std::fill(y_pred.begin(), y_pred.end(), 0.0);
    std::fill(psi.begin(), psi.end(), 0.0);
    for (int j = 0; j <= order_; ++j) {
      const double* Dj = D(j);
      for (int i = 0; i < nv_; ++i) y_pred[i] += Dj[i];
    }
    for (int j = 1; j <= order_; ++j) {
      const double* Dj = D(j);
      const double g = gamma_[j];
      for (int i = 0; i < nv_; ++i) psi[i] += Dj[i] * g;
    }
    const double a = alpha_[order_];
    for (int i = 0; i < nv_; ++i) psi[i] = psi[i] / a;
  }

  void set_scale(const std::vector<double>& y, std::vector<double>& scale, const IntegratorOptions& opt) {
    // tolerances on mass fractions X_i = A_i Y_i; on e_nu an absolute
    // tolerance of atol x 1 MeV per nucleon, since e_nu starts from 0
    // (atol + rtol A_i |Y_i|) / A_i with atol / A_i taken once per burn
    // (start()): a bdf step sets two scales (with Newton's 1/scale below,
    // divisions were ~1 % of a mesa_80 burn at dt = 1e-6 s)
    const double* aA = atol_over_A_.data();
    for (int i = 0; i < n_; ++i) scale[i] = aA[i] + opt.rtol * std::abs(y[i]);
    scale[n_] = e_nu_atol(net_, opt) + opt.rtol * std::abs(y[n_]);
    sys_->scale_extra(y.data(), opt.rtol, e_nu_atol(net_, opt), scale.data());
  }

  double norm(const std::vector<double>& v, const std::vector<double>& scale) {
    // the quotients in a loop of their own (vectorised); the sum stays in order
    double* x = ratio_.data();
    for (int i = 0; i < nv_; ++i) x[i] = v[i] / scale[i];
    double s = 0;
    for (int i = 0; i < nv_; ++i) s += x[i] * x[i];
    return std::sqrt(s / nv_);
  }
  // the same with 1/scale given: Newton's norm, taken 2-4 times per step
  // with one scale
  double norm_inv(const std::vector<double>& v, const std::vector<double>& inv_scale) {
    double* x = ratio_.data();
    for (int i = 0; i < nv_; ++i) x[i] = v[i] * inv_scale[i];
    double s = 0;
    for (int i = 0; i < nv_; ++i) s += x[i] * x[i];
    return std::sqrt(s / nv_);
  }

  // Jacobian at (t, y); f (optional) receives the right-hand side there.
  void update_jacobian(BurnState& s, double t, const std::vector<double>& y,
                       bool exact = kExactJacobian, double* f = nullptr) {
    // At Y clipped to >= 0: with a slightly negative abundance a two-body
    // flux k Y_a Y_b changes the sign of its derivatives and the iteration
    // matrix loses its positive pivots (fe54 < 0 made dY_n/dY_n > 0 at 1e9 K).
    // Newton with this Jacobian still converges to the unclipped equations.
    yjac_.assign(y.begin(), y.end());
    for (int i = 0; i < n_; ++i) yjac_[i] = std::max(yjac_[i], 0.0);
    // The neutron keeps its sign: the nn_g fluxes are odd in Y_n (see
    // Kinetics::update), so their exact derivatives at the signed Y_n are
    // right, while at Y_n clipped to 0 dY_n/dt looks flat (J_nn ~ 0 against
    // ~ -1e13 /s a hair away) and Newton cycled around Y_n ~ 0.
    if (net_.neutron >= 0) yjac_[net_.neutron] = y[net_.neutron];
    s.n_rhs += sys_->jacobian(t, yjac_.data(), exact, f);
    ++s.n_jac;
    jac_steps_ = s.n_steps;
    jac_fresh_ = true;
    lu_valid_ = false;
  }

  bool build_lu(double c) {
    // (I - c J) scaled by 1/c so that the factorisation sees 1/c - J
    lu_valid_ = sys_->factor(1.0 / c);
    ++n_lu_built_;
    crate_ = 1.0;  // new iteration matrix: no contraction estimate yet
    lu_c_ = c;
    return lu_valid_;
  }

  // Solve (I - c J) dy = c f - psi - d by a simplified Newton iteration;
  // returns convergence.
  //
  // The test is CVODE's: converged when ||dy|| * min(1, rate) <= tol, with
  // the contraction rate estimated from successive corrections and carried
  // over between steps that share the iteration matrix; diverged when a
  // correction grows by more than 2x. tol is a fixed fraction of the local
  // error tolerance (the norm is already scaled by rtol/atol and floored at
  // the round-off level), not scipy's min(0.03, sqrt(rtol)), which at rtol
  // 1e-10 asked for corrections 1e-5 below a tolerance that was itself below
  // the round-off floor (see round_off()).
  bool newton(BurnState& s, double t, double c, const std::vector<double>& y_pred,
              const std::vector<double>& psi, const std::vector<double>& scale,
              std::vector<double>& y, std::vector<double>& d, std::vector<double>& f,
              std::vector<double>& dy, int& n_iter) {
    std::copy(y_pred.begin(), y_pred.end(), y.begin());
    std::fill(d.begin(), d.end(), 0.0);
    double dy_norm_old = -1;
    for (int k = 0; k < kNewtonMaxIter; ++k) {
      n_iter = k + 1;
      // the round-off floor costs a solve (a third of a burn's solves when
      // taken every step). Where it is far below the tolerances (< 1e-2 of
      // them everywhere at its last evaluation) it is taken once per
      // iteration matrix: the few steps sharing one cannot raise it to the
      // tolerances. Where it matters, every step (taking it once per matrix
      // there too left approx21, H/He, 1e8 K, 1e8 g/cm^3, 1e6 s with
      // X[fe56] = -1.4e-9, tests/engine/test_domain.py).
      const bool floor_due = k == 0 && (noise_lu_ != n_lu_built_ || !noise_negligible_);
      sys_->rhs(t, y.data(), f.data(), floor_due ? gross_.data() : nullptr);
      ++s.n_rhs;
      bool finite = true;
      for (int i = 0; i < nv_; ++i) finite &= std::isfinite(f[i]);
      if (!finite) return false;
      if (floor_due) {
        round_off(gross_, noise_, scale);
        noise_lu_ = n_lu_built_;
        noise_negligible_ = true;
        for (int i = 0; i < nv_; ++i) noise_negligible_ &= noise_[i] < 1e-2 * scale[i];
      }
      // Newton's test stops at twice the round-off floor of a species, and
      // -- once e_nu (or a self-heating burn's T) has led a Newton failure
      // in this burn (row_floor_) -- at a fifth of it for that row (whose
      // correction is a weighted sum of the species'). Always on, the floor
      // cost mesa_80's worst NSE zones 3-6x in accuracy at rtol 1e-10; only
      // after such a failure, half that (docs/performance.md). With 2x for
      // e_nu too the (100 s, rtol 1e-10) case took 2.6 % more steps.
      if (k == 0) {
        for (int i = n_; i < nv_; ++i) floor_weight_[i] = row_floor_[i] ? 0.2 : 0.0;
        for (int i = 0; i < nv_; ++i)
          inv_conv_scale_[i] = 1.0 / std::max(scale[i], floor_weight_[i] * noise_[i] * (1.0 / kNewtonTol));
      }
      // (1/c - J) dy = f - (psi + d)/c  <=>  (I - cJ) dy = c f - psi - d
      for (int i = 0; i < nv_; ++i) dy[i] = f[i] - (psi[i] + d[i]) / c;
      solve(c, dy);
      const double dy_norm = norm_inv(dy, inv_conv_scale_);
      if (!std::isfinite(dy_norm)) return false;
      for (int i = 0; i < nv_; ++i) {
        y[i] += dy[i];
        d[i] += dy[i];
      }
      if (k > 0) crate_ = std::max(0.3 * crate_, dy_norm / dy_norm_old);
      if (dy_norm * std::min(1.0, crate_) <= kNewtonTol) return true;
      if (k > 0 && dy_norm > 2 * dy_norm_old) return record_newton_leader(dy), false;
      dy_norm_old = dy_norm;
    }
    return record_newton_leader(dy), false;
  }

  // Records which component was the largest term of a failing Newton correction.
  void record_newton_leader(const std::vector<double>& dy) {
    int top = 0;
    for (int i = 1; i < nv_; ++i)
      if (std::abs(dy[i] * inv_conv_scale_[i]) > std::abs(dy[top] * inv_conv_scale_[top])) top = i;
    newton_led_ = top;
  }

  // (1/c - J) x = b in place, b of length nv_ (BurnSystem::solve).
  void solve(double /*c*/, std::vector<double>& b) const { sys_->solve(b.data()); }

  // Round-off floor of a step: |(1/c - J)^-1 (eps * gross flux)|. Near
  // equilibrium dY/dt is a small difference of large cancelling fluxes
  // (gross ~ 1e8 x |dY/dt| in NSE), so f carries an absolute error ~ eps x
  // gross, and the solve spreads that error of the fast species over the
  // slow ones (a QSE cluster's total moves with the cluster's summed flux).
  // Measured: the Newton corrections of approx21 at T = 5e9 K, rho = 1e9
  // stagnate at 1-3x this estimate (the LU itself is accurate to 1e-10 of
  // them). Tolerances below it cannot be met by any method in double
  // precision; scipy/VODE-style controllers then shrink h until c x gross
  // is small enough, which is the "grinding" (1e5+ steps) seen at rtol 1e-10.
  //
  // With every flux error taken positive the solve can cancel them for some
  // species (a cluster's members pull against each other), so where the
  // floor is within 10x of the Newton test a second solve with signs drawn
  // per species (a fixed hash: burns stay reproducible) is taken and the
  // larger magnitude kept. Measured: mesa_80 Si, 3.5e9 K, 1e8, rtol 1e-10,
  // t ~ 0.4 s: fe54's Newton corrections bounced at 2-9 % of its tolerance
  // with a fresh Jacobian, where the one-sign floor had every species below
  // 0.3 %, so Newton "failed" and h was halved (120 Jacobians, 66 rejected
  // steps to 100 s; with the second solve 56 and 69, 24 % fewer RHS calls);
  // mesa_151 at 1e10 K, 1e10 g/cm^3 (p bouncing at 10-90 %) ground at
  // h ~ 1e-8 s and now burns 1 s, and mesa_80 at 5.6e9 K, 1e6 g/cm^3 to
  // 1e6 s no longer ends in step underflow (docs/domain.md, 2026-12-04).
  //
  // e_nu (noise[n_]) has a floor too: its row, x_e = (b_e + nu . x_Y) / d,
  // carries the species' round-off through the weak rates' neutrino weights
  // nu, and with no floor its Newton corrections stalled at 1-100x its test
  // while the species had converged. Measured (trace: e_nu was the largest
  // term of 66,325 of the burn's 67,735 Newton iterations): mesa_80 at
  // 5.6e9 K, 1e8 g/cm^3, Fe-group, 1e6 s took 10,451 steps and 9972
  // rejected (Newton failures with a fresh Jacobian, at order 1) and takes
  // 989 and 34; mesa_151 at 1e10 K, 1e6 g/cm^3 stalled at t ~ 800 s and
  // burns (4698 steps, Ye and eps_nu within 1.5e-6 and 1.6e-4 of rodas4 at
  // rtol 1e-8); the medium domain sweep's failures 10 / 10 / 29 -> 5 / 5 /
  // 10 (docs/domain.md). The floor is the e_nu component of the same two
  // solves (signed: it is what solve() would make of them). Newton's test
  // uses it once e_nu has led a Newton failure in the burn (see newton()).
  //
  // A self-heating burn's T has one too: f_T = sum_i c_i dY_i/dt - ... sums
  // the species' rates with their energy weights, so their round-off enters
  // its row as b_T = c . b_Y, which leaves the T row's own part 0, and
  // reaches x_T through the solve: BurnSystem::T_response(0, w), from the
  // same signed solves. Measured:
  // approx21, C/O, self-heating from 3e9 K at 1e9 g/cm^3 (NSE at ~8e9 K from
  // ~1 ms), 0.05 s: T led 13,984 of 14,060 Newton failures and the burn
  // ended at 20,000 attempts (12,045 steps, 7959 rejected); to 1 s it took
  // 500,000 steps (57 s) and failed. See docs/burn_modes.md.
  void round_off(const std::vector<double>& gross, std::vector<double>& noise,
                 const std::vector<double>& scale) {
    const int iT = sys_->T_index();
    for (int i = 0; i < n_; ++i) noise[i] = kEps * gross[i];
    for (int i = n_; i < nv_; ++i) noise[i] = 0;
    auto fill_signed = [&] {
      signed_.assign(nv_, 0.0);
      for (int i = 0; i < n_; ++i) {
        const bool minus = (static_cast<unsigned>(i) * 2654435761u) >> 7 & 1u;  // Knuth's hash
        signed_[i] = (minus ? -kEps : kEps) * gross[i];
      }
    };
    // where the last floor needed the second solve, this one will too
    // (nearly always): both in one pass over the factors
    const bool both = signed_due_;
    if (both) {
      fill_signed();
      sys_->solve_species2(noise.data(), signed_.data());
    } else {
      sys_->solve_species(noise.data());
    }
    double e_nu_noise = std::abs(sys_->e_nu_response(noise.data()));
    double T_noise = iT >= 0 ? std::abs(sys_->T_response(0.0, noise.data())) : 0;
    double ratio = 0;
    for (int i = 0; i < n_; ++i) {
      noise[i] = std::abs(noise[i]);
      ratio = std::max(ratio, noise[i] / scale[i]);
    }
    signed_due_ = ratio >= 0.1 * kNewtonTol;
    if (signed_due_) {
      if (!both) {
        fill_signed();
        sys_->solve_species(signed_.data());
      }
      for (int i = 0; i < n_; ++i) noise[i] = std::max(noise[i], std::abs(signed_[i]));
      e_nu_noise = std::max(e_nu_noise, std::abs(sys_->e_nu_response(signed_.data())));
      if (iT >= 0) T_noise = std::max(T_noise, std::abs(sys_->T_response(0.0, signed_.data())));
    }
    noise[n_] = e_nu_noise;
    if (iT >= 0) noise[iT] = T_noise;
  }

  void select_order(double error_norm, const std::vector<double>& scale, double safety) {
    std::vector<double> e(nv_);
    double norms[3];
    if (order_ > 1) {
      for (int i = 0; i < nv_; ++i) e[i] = error_const_[order_ - 1] * D(order_)[i];
      norms[0] = norm(e, scale);
    } else {
      norms[0] = std::numeric_limits<double>::infinity();
    }
    norms[1] = error_norm;
    if (order_ < kMaxOrder) {
      for (int i = 0; i < nv_; ++i) e[i] = error_const_[order_ + 1] * D(order_ + 2)[i];
      norms[2] = norm(e, scale);
    } else {
      norms[2] = std::numeric_limits<double>::infinity();
    }
    int best = 0;
    double fmax = -1;
    for (int q = 0; q < 3; ++q) {
      const double fq = norms[q] == 0 ? std::numeric_limits<double>::infinity()
                                      : std::pow(norms[q], -1.0 / (order_ + q));
      if (fq > fmax) {
        fmax = fq;
        best = q;
      }
    }
    order_ += best - 1;
    const double factor = std::min(kMaxFactor, safety * fmax);
    h_ *= factor;
    change_D(order_, factor);
    n_equal_ = 0;
    lu_valid_ = false;
  }

  // Rescale the difference history for a step-size change by `factor`.
  void change_D(int order, double factor) {
    const int m = order + 1;
    auto R = [&](double fac, std::vector<double>& out) {
      out.assign(static_cast<size_t>(m) * m, 0.0);
      std::vector<double> M(static_cast<size_t>(m) * m, 0.0);
      for (int j = 0; j < m; ++j) M[j] = 1;
      for (int i = 1; i < m; ++i)
        for (int j = 1; j < m; ++j) M[i * m + j] = (i - 1 - fac * j) / static_cast<double>(i);
      for (int j = 0; j < m; ++j) {  // cumulative product down each column
        double p = 1;
        for (int i = 0; i < m; ++i) {
          p *= M[i * m + j];
          out[i * m + j] = p;
        }
      }
    };
    std::vector<double> Rm, Um, RU(static_cast<size_t>(m) * m, 0.0);
    R(factor, Rm);
    R(1.0, Um);
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < m; ++j) {
        double v = 0;
        for (int k = 0; k < m; ++k) v += Rm[i * m + k] * Um[k * m + j];
        RU[i * m + j] = v;
      }
    std::vector<double> newD(static_cast<size_t>(m) * nv_, 0.0);  // D[:m] = RU^T D[:m]
    for (int i = 0; i < m; ++i)
      for (int k = 0; k < m; ++k) {
        const double w = RU[k * m + i];
        if (w == 0) continue;
        const double* src = D(k);
        double* dst = &newD[static_cast<size_t>(i) * nv_];
        for (int q = 0; q < nv_; ++q) dst[q] += w * src[q];
      }
    std::copy(newD.begin(), newD.end(), D_.begin());
  }

  // Order 1 from the current state: D0 = y, D1 kept, fresh Jacobian.
  //
  // D1 is the history's own first difference (already rescaled to h by the
  // failed steps' change_D), not h f(y): an accepted state is within the
  // tolerance of the solution, but stiff modes turn that distance into a
  // large f(y) (mesa_80 at 1e10 K, 1e10 g/cm^3: |dY_n/dt| ~ 1e5 /s beside
  // |dYe/dt| ~ 0.07 /s, eigenvalues to -1.3e17 /s), so y + h f(y) was off by
  // O(1) in Y at h = 1e-5 s, Newton diverged at every h and the error test
  // then asked for h < 1e-17 s: step size underflow (tests/engine/test_domain.py).
  void restart(BurnState& s) {
    std::fill(D_.begin() + 2 * static_cast<size_t>(nv_), D_.end(), 0.0);
    order_ = 1;
    n_equal_ = 0;
    if (jac_due_) return;  // the next attempt evaluates it at its predicted state
    std::vector<double> y(nv_);
    sys_->pack(s, y.data());
    update_jacobian(s, s.t, y);
  }

  void start(BurnState& s, double t_end, const IntegratorOptions& opt) {
    D_.assign(static_cast<size_t>(kMaxOrder + 3) * nv_, 0.0);
    atol_over_A_.resize(n_);
    for (int i = 0; i < n_; ++i) atol_over_A_[i] = opt.atol / net_.A[i];
    gross_.assign(nv_, 0.0);
    inv_conv_scale_.assign(nv_, 0.0);
    ratio_.assign(nv_, 0.0);
    floor_weight_.assign(nv_, 2.0);  // species: 2; the extra rows set in newton()
    noise_.assign(nv_, 0.0);
    noise_accepted_.assign(nv_, 0.0);
    noise_lu_ = -1;
    signed_due_ = false;
    row_floor_.assign(nv_, 0);
    newton_led_ = -1;
    jac_due_ = false;
    std::vector<double> y(nv_), f(nv_), scale(nv_);
    sys_->pack(s, y.data());
    mass0_ = mass_sum(net_, y.data());
    update_jacobian(s, s.t, y, kExactJacobian, f.data());  // and f(y) (y >= 0 here)
    // initial step as scipy's select_initial_step (order 1)
    set_scale(y, scale, opt);
    const double d0 = norm(y, scale), d1 = norm(f, scale);
    double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
    h0 = std::min(h0, t_end - s.t);
    std::vector<double> y1(nv_), f1(nv_);
    for (int i = 0; i < nv_; ++i) y1[i] = y[i] + h0 * f[i];
    sys_->rhs(s.t + h0, y1.data(), f1.data());
    ++s.n_rhs;
    std::vector<double> df(nv_);
    for (int i = 0; i < nv_; ++i) df[i] = f1[i] - f[i];
    const double d2 = norm(df, scale) / h0;
    double h1 = (d1 <= 1e-15 && d2 <= 1e-15) ? std::max(1e-6, h0 * 1e-3)
                                              : std::pow(0.01 / std::max(d1, d2), 0.5);
    h_ = std::min({100 * h0, h1, t_end - s.t});
    if (!(h_ > 0)) h_ = 1e-12;
    for (int i = 0; i < nv_; ++i) {
      D(0)[i] = y[i];
      D(1)[i] = f[i] * h_;
    }
    order_ = 1;
    n_equal_ = 0;
    lu_valid_ = false;
  }

  void restart() override { D_.clear(); }  // start() again from the state

  const Network& net_;
  const SparseLU& lu_;
  BurnSystem* sys_ = nullptr;  // the system of the current integrate()
  int n_ = 0, nv_ = 0;
  double gamma_[kMaxOrder + 1], alpha_[kMaxOrder + 1], error_const_[kMaxOrder + 1];
  double noise_gain_[kMaxOrder + 1] = {1, 1, 1, 1, 1, 1};
  std::vector<double> D_, gross_, inv_conv_scale_, noise_, noise_accepted_, yjac_, signed_;
  std::vector<double> ratio_;         // norm()'s quotients
  std::vector<double> floor_weight_;  // Newton's test: floor = weight x noise (2 species, 0.2/0 extra rows)
  double h_ = 0, lu_c_ = 0, crate_ = 1.0, mass0_ = 1.0;
  std::vector<double> atol_over_A_;  // set_scale's atol / A_i (start())
  int order_ = 1, n_equal_ = 0;
  long jac_steps_ = 0;                    // s.n_steps at the last Jacobian
  long n_lu_built_ = 0, noise_lu_ = -1;  // iteration matrices built; the one of noise_
  bool noise_negligible_ = false;          // noise_ < 1e-2 of the error scale
  bool signed_due_ = false;                // the last floor took the signed solve
  std::vector<char> row_floor_;            // Newton's test floors this row after e_nu, T (after it led a failure)
  long steps_at_origin_ = -1;              // s.n_steps at the clock's last re-origin
  int newton_led_ = -1;                    // the largest term of the last failing Newton correction
  bool lu_valid_ = false, jac_fresh_ = false;
  bool jac_due_ = false;  // a self-heating Newton failure: the next attempt takes a Jacobian at its own prediction
};

}  // namespace

std::unique_ptr<Integrator> make_bdf(const Network& net, const SparseLU& lu) {
  return std::make_unique<Bdf>(net, lu);
}

}  // namespace nnn
