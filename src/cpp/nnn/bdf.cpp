// Variable-order (1-5) numerical differentiation formulas (NDF), the
// quasi-constant step size BDF family of Shampine & Reichelt (1997), as in
// MATLAB's ode15s and scipy's BDF: a modified-divided-difference history D,
// a simplified Newton iteration that reuses the Jacobian until it fails to
// converge, and order/step selection after order+1 equal steps.
//
// Why this is the default: at constant (T, rho) an RHS costs a few
// microseconds and most steps need 1-3 Newton iterations with an LU reused
// from an earlier step, so at rtol 1e-8..1e-10 it takes fewer, cheaper steps
// than RODAS4, whose order conditions need an exact Jacobian (ours, like
// pynucastro's, neglects d(screening)/dY). benchmarks/bench_integrators.py
// measures both.
#include <algorithm>
#include <cmath>
#include <limits>

#include "integrator.hpp"

namespace nnn {

namespace {

constexpr int kMaxOrder = 5;
constexpr int kNewtonMaxIter = 4;
constexpr double kEps = std::numeric_limits<double>::epsilon();
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
  }
  const char* name() const override { return "bdf"; }

  void integrate(Kinetics& kin, BurnState& s, double t_end, const IntegratorOptions& opt) override {
    n_ = net_.n_species();
    nv_ = n_ + 1;  // Y and e_nu
    if (D_.empty()) start(kin, s, t_end, opt);
    std::vector<double> y_pred(nv_), y_new(nv_), d(nv_), psi(nv_), scale(nv_), f(nv_), dy(nv_);
    std::vector<double> err(nv_);

    while (s.t < t_end) {
      if (s.n_steps + s.n_rejected >= opt.max_steps)
        throw Error(Status::IntegratorFailed,
                    "bdf: more than " + std::to_string(opt.max_steps) + " steps before t = " +
                        std::to_string(t_end) + " s (reached t = " + std::to_string(s.t) + " s)");
      double h = h_;
      bool accepted = false;
      double error_norm = 0;
      int n_iter = 0;
      while (!accepted) {
        const double min_step = 10 * (std::nextafter(s.t, 2 * t_end + 1) - s.t);
        if (h < min_step)
          throw Error(Status::IntegratorFailed, "bdf: step size underflow (h = " + std::to_string(h) +
                                                    " s at t = " + std::to_string(s.t) + " s)");
        double t_new = s.t + h;
        if (t_new > t_end) {  // shorten the step to land on t_end
          t_new = t_end;
          change_D(order_, (t_end - s.t) / h);
          n_equal_ = 0;
          lu_valid_ = false;
          h = t_end - s.t;
        }
        for (int i = 0; i < nv_; ++i) {
          double v = 0;
          for (int j = 0; j <= order_; ++j) v += D(j)[i];
          y_pred[i] = v;
          double p = 0;
          for (int j = 1; j <= order_; ++j) p += D(j)[i] * gamma_[j];
          psi[i] = p / alpha_[order_];
        }
        set_scale(y_pred, scale, opt);
        const double c = h / alpha_[order_];
        bool converged = false;
        bool fresh_jac = jac_fresh_;
        while (true) {
          if (!lu_valid_ || c != lu_c_) {
            if (!build_lu(c)) break;  // bad pivot: treat as a convergence failure
            ++s.n_jac;
          }
          converged = newton(kin, s, c, y_pred, psi, scale, opt, y_new, d, f, dy, n_iter);
          if (converged || fresh_jac) break;
          update_jacobian(kin, s, y_pred);  // stale Jacobian: refresh and retry once
          fresh_jac = true;
        }
        if (!converged) {
          h *= 0.5;
          change_D(order_, 0.5);
          n_equal_ = 0;
          lu_valid_ = false;
          ++s.n_rejected;
          continue;
        }
        const double safety = 0.9 * (2 * kNewtonMaxIter + 1) / (2 * kNewtonMaxIter + n_iter);
        set_scale(y_new, scale, opt);
        for (int i = 0; i < nv_; ++i) err[i] = error_const_[order_] * d[i];
        error_norm = norm(err, scale);
        if (error_norm > 1) {
          const double factor = std::max(kMinFactor, safety * std::pow(error_norm, -1.0 / (order_ + 1)));
          h *= factor;
          change_D(order_, factor);
          n_equal_ = 0;
          ++s.n_rejected;
        } else {
          accepted = true;
          s.t = t_new;
          std::copy(y_new.begin(), y_new.begin() + n_, s.Y.begin());
          s.e_nu = y_new[n_];
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

  void set_scale(const std::vector<double>& y, std::vector<double>& scale, const IntegratorOptions& opt) {
    // tolerances on mass fractions X_i = A_i Y_i; on e_nu an absolute
    // tolerance of atol x 1 MeV per nucleon, since e_nu starts from 0
    for (int i = 0; i < n_; ++i) {
      const double A = net_.isotopes[i].A;
      scale[i] = (opt.atol + opt.rtol * A * std::abs(y[i])) / A;
    }
    scale[n_] = e_nu_atol(net_, opt) + opt.rtol * std::abs(y[n_]);
  }

  double norm(const std::vector<double>& v, const std::vector<double>& scale) const {
    double s = 0;
    for (int i = 0; i < nv_; ++i) {
      const double x = v[i] / scale[i];
      s += x * x;
    }
    return std::sqrt(s / nv_);
  }

  void update_jacobian(Kinetics& kin, BurnState& s, const std::vector<double>& y) {
    kin.update(y.data());
    ++s.n_rhs;
    for (int e : lu_.entries()) J_[e] = 0.0;
    kin.add_jacobian(y.data(), J_.data(), 1.0, true);
    nu_ = kin.nu_coef();
    jac_fresh_ = true;
    lu_valid_ = false;
  }

  bool build_lu(double c) {
    // (I - c J) scaled by 1/c so that the factorisation sees 1/c - J
    for (int e : lu_.entries()) G_[e] = -J_[e];
    for (int i = 0; i < n_; ++i) G_[i * n_ + i] += 1.0 / c;
    lu_valid_ = lu_.factor(G_.data());
    lu_c_ = c;
    return lu_valid_;
  }

  // Solve (I - c J) dy = c f - psi - d by Newton; returns convergence.
  bool newton(Kinetics& kin, BurnState& s, double c, const std::vector<double>& y_pred,
              const std::vector<double>& psi, const std::vector<double>& scale,
              const IntegratorOptions& opt, std::vector<double>& y, std::vector<double>& d,
              std::vector<double>& f, std::vector<double>& dy, int& n_iter) {
    const double tol = std::max(10 * std::numeric_limits<double>::epsilon() / opt.rtol,
                                std::min(0.03, std::sqrt(opt.rtol)));
    std::copy(y_pred.begin(), y_pred.end(), y.begin());
    std::fill(d.begin(), d.end(), 0.0);
    double dy_norm_old = -1;
    for (int k = 0; k < kNewtonMaxIter; ++k) {
      n_iter = k + 1;
      kin.update(y.data());
      ++s.n_rhs;
      kin.ydot(y.data(), f.data(), &f[n_], gross_.data());
      bool finite = true;
      for (int i = 0; i < nv_; ++i) finite &= std::isfinite(f[i]);
      if (!finite) return false;
      // (1/c - J) dy = f - (psi + d)/c  <=>  (I - cJ) dy = c f - psi - d
      for (int i = 0; i < nv_; ++i) dy[i] = f[i] - (psi[i] + d[i]) / c;
      const double rhs_e = dy[n_];
      lu_.solve(G_.data(), dy.data());
      double dot = 0;  // e_nu row: dy_e - c nu . dy_Y = c rhs_e
      for (int i = 0; i < n_; ++i) dot += nu_[i] * dy[i];
      dy[n_] = c * (rhs_e + dot);
      // Convergence is judged against the tolerance or, where larger, the
      // round-off floor of the correction: c * eps * (gross flux), since near
      // equilibrium dY/dt is a small difference of large cancelling fluxes
      // and at tight rtol the plain test would reject every step.
      for (int i = 0; i < n_; ++i)
        conv_scale_[i] = std::max(scale[i], 16 * kEps * c * gross_[i] / tol);
      conv_scale_[n_] = scale[n_];
      const double dy_norm = norm(dy, conv_scale_);
      if (!std::isfinite(dy_norm)) return false;
      // Converged when the correction is at the round-off level of y: at tight
      // rtol the cancellation of large forward and reverse fluxes in f puts a
      // floor under dy that the rate test below would never accept.
      bool roundoff = true;
      for (int i = 0; i < nv_ && roundoff; ++i)
        roundoff = std::abs(dy[i]) <= 64 * std::numeric_limits<double>::epsilon() * std::abs(y[i]);
      if (roundoff && k > 0) {
        for (int i = 0; i < nv_; ++i) {
          y[i] += dy[i];
          d[i] += dy[i];
        }
        return true;
      }
      double rate = -1;
      if (dy_norm_old > 0) rate = dy_norm / dy_norm_old;
      if (rate >= 0 && (rate >= 1 || std::pow(rate, kNewtonMaxIter - k) / (1 - rate) * dy_norm > tol))
        return false;
      for (int i = 0; i < nv_; ++i) {
        y[i] += dy[i];
        d[i] += dy[i];
      }
      if (dy_norm == 0 || (rate >= 0 && rate / (1 - rate) * dy_norm < tol)) return true;
      dy_norm_old = dy_norm;
    }
    return false;
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

  void start(Kinetics& kin, BurnState& s, double t_end, const IntegratorOptions& opt) {
    D_.assign(static_cast<size_t>(kMaxOrder + 3) * nv_, 0.0);
    J_.assign(static_cast<size_t>(n_) * n_, 0.0);
    G_.assign(static_cast<size_t>(n_) * n_, 0.0);
    gross_.assign(nv_, 0.0);
    conv_scale_.assign(nv_, 0.0);
    std::vector<double> y(nv_), f(nv_), scale(nv_);
    std::copy(s.Y.begin(), s.Y.end(), y.begin());
    y[n_] = s.e_nu;
    update_jacobian(kin, s, y);
    kin.ydot(y.data(), f.data(), &f[n_]);
    // initial step as scipy's select_initial_step (order 1)
    set_scale(y, scale, opt);
    const double d0 = norm(y, scale), d1 = norm(f, scale);
    double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
    h0 = std::min(h0, t_end - s.t);
    std::vector<double> y1(nv_), f1(nv_);
    for (int i = 0; i < nv_; ++i) y1[i] = y[i] + h0 * f[i];
    kin.update(y1.data());
    kin.ydot(y1.data(), f1.data(), &f1[n_]);
    s.n_rhs += 2;
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

  const Network& net_;
  const SparseLU& lu_;
  int n_ = 0, nv_ = 0;
  double gamma_[kMaxOrder + 1], alpha_[kMaxOrder + 1], error_const_[kMaxOrder + 1];
  std::vector<double> D_, J_, G_, nu_, gross_, conv_scale_;
  double h_ = 0, lu_c_ = 0;
  int order_ = 1, n_equal_ = 0;
  bool lu_valid_ = false, jac_fresh_ = false;
};

}  // namespace

std::unique_ptr<Integrator> make_bdf(const Network& net, const SparseLU& lu) {
  return std::make_unique<Bdf>(net, lu);
}

}  // namespace nnn
