// Stellar EOS (see eos.hpp): ideal-gas ions, blackbody radiation, and an
// electron-positron gas from generalised Fermi-Dirac integrals.
#include "eos.hpp"
#include "format.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace nnn {

namespace {

// CGS constants, the values pynucastro 3.1 takes from scipy.constants (CODATA 2022).
constexpr double kPi = 3.14159265358979323846;
constexpr double kBoltzmann = 1.380649e-16;        // erg/K (exact)
constexpr double kPlanck = 6.62607015e-27;         // erg s (exact)
constexpr double kLightSpeed = 2.99792458e10;      // cm/s (exact)
constexpr double kAvogadro = 6.02214076e23;        // 1/mol (exact)
constexpr double kAtomicMassUnit = 1.66053906892e-24;  // g
constexpr double kElectronMass = 9.1093837139e-28;     // g
// a = 4 sigma / c, sigma = 2 pi^5 k^4 / (15 h^3 c^2)
constexpr double kRadiationConstant = 7.565733250280009e-15;  // erg/cm^3/K^4

constexpr double kElectronRestEnergy = kElectronMass * kLightSpeed * kLightSpeed;  // erg
// n = C beta^(3/2) (F_1/2 + beta F_3/2) with C = 8 pi sqrt(2) (m_e c / h)^3
const double kElectronDensityCoeff =
    8.0 * kPi * std::sqrt(2.0) * std::pow(kElectronMass * kLightSpeed / kPlanck, 3);


[[noreturn]] void bad(const std::string& msg) { throw Error(Status::BadInput, msg); }

// ---------------------------------------------------------------------------
// Quadrature rules, computed once (Newton iteration on the three-term
// recurrences, Numerical Recipes gauleg / gaulag). 24 points per interval
// reach ~3e-15 relative on F_k over eta in [-800, 1e6], beta in [1e-5, 17]
// (checked against 40-digit mpmath); p, e, c_v and eta over the whole EOS
// domain change by < 7e-15 with 32 or 48 points (200, as pynucastro, would
// cost 8x for nothing at double precision).
constexpr int kNodes = 24;

struct QuadratureRules {
  double leg_x[kNodes], leg_w[kNodes];  // Gauss-Legendre on [-1, 1]
  double lag_x[kNodes], lag_w[kNodes];  // Gauss-Laguerre, weights times exp(x)

  QuadratureRules() {
    const int n = kNodes;
    for (int i = 0; i < (n + 1) / 2; ++i) {
      double z = std::cos(kPi * (i + 0.75) / (n + 0.5)), pp = 0;
      for (int it = 0; it < 100; ++it) {
        double p1 = 1, p2 = 0;
        for (int j = 1; j <= n; ++j) {
          const double p3 = p2;
          p2 = p1;
          p1 = ((2.0 * j - 1.0) * z * p2 - (j - 1.0) * p3) / j;
        }
        pp = n * (z * p1 - p2) / (z * z - 1.0);
        const double dz = p1 / pp;
        z -= dz;
        if (std::abs(dz) < 1e-16) break;
      }
      leg_x[i] = -z;
      leg_x[n - 1 - i] = z;
      leg_w[i] = leg_w[n - 1 - i] = 2.0 / ((1.0 - z * z) * pp * pp);
    }
    double z = 0;
    for (int i = 0; i < n; ++i) {
      if (i == 0) {
        z = 3.0 / (1.0 + 2.4 * n);
      } else if (i == 1) {
        z += 15.0 / (1.0 + 2.5 * n);
      } else {
        const double ai = i - 1;
        z += (1.0 + 2.55 * ai) / (1.9 * ai) * (z - lag_x[i - 2]);
      }
      double p1 = 1, p2 = 0, pp = 0;
      for (int it = 0; it < 100; ++it) {
        p1 = 1;
        p2 = 0;
        for (int j = 0; j < n; ++j) {
          const double p3 = p2;
          p2 = p1;
          p1 = ((2.0 * j + 1.0 - z) * p2 - j * p3) / (j + 1.0);
        }
        pp = (n * p1 - n * p2) / z;
        const double dz = p1 / pp;
        z -= dz;
        if (std::abs(dz) < 1e-15 * z) break;
      }
      lag_x[i] = z;
      lag_w[i] = -std::exp(z) / (pp * n * p2);
    }
  }
};

const QuadratureRules& rules() {
  static const QuadratureRules r;
  return r;
}

// Gong et al. (2001) break points S1 < S2 < S3 for F_k (their fit for the
// integral itself; the same points serve the eta- and beta-derivative
// integrands, whose peak at x = eta lies inside [S2, S3]).
void break_points(double eta, double& s1, double& s2, double& s3) {
  constexpr double D = 3.36091, sigma = 9.11856e-2;
  constexpr double a[3] = {6.77740, 3.76010, 7.56690};
  constexpr double b[3] = {1.14180, 9.37188e-2, 1.16953};
  constexpr double c[3] = {2.98255, 2.10635e-2, 7.54162e-1};
  constexpr double d[3] = {0.0, 3.10836e1, 6.65585};
  constexpr double e[3] = {0.0, 1.00557, -1.28190e-1};
  const double term = sigma * (eta - D);
  const double xi = term <= 50 ? std::log1p(std::exp(term)) / sigma : eta - D;
  const double xa = (a[0] + b[0] * xi + c[0] * xi * xi) / (1.0 + c[0] * xi);
  const double xb = (a[1] + b[1] * xi + c[1] * d[1] * xi * xi) / (1.0 + e[1] * xi + c[1] * xi * xi);
  const double xc = (a[2] + b[2] * xi + c[2] * d[2] * xi * xi) / (1.0 + e[2] * xi + c[2] * xi * xi);
  s1 = xa - xb;
  s2 = xa;
  s3 = xa + xc;
}

// Sums for k = 1/2, 3/2, 5/2. kFull: all six (value and first/second partials
// in eta and beta); otherwise only F and dF/deta of k = 1/2, 3/2 (the Newton
// iteration for eta).
struct FermiSums {
  FermiDiracJet k[3];
};

// Below this eta every node has x - eta > 745: exp underflows, F_k = 0 in double.
constexpr double kEtaUnderflow = -760.0;

template <bool kFull>
// d = x - eta, passed separately: computed as (S_i - eta) + t it keeps its
// digits when eta is large (x - eta would lose log10(eta) of them).
inline void add_node(FermiSums& s, double x, double sqrt_x, double d, double w, double beta) {
  double f, omf;  // Fermi factor 1/(exp(d)+1) and 1 - f, without cancellation
  if (d >= 0) {
    const double ex = std::exp(-d);
    f = ex / (1.0 + ex);
    omf = 1.0 / (1.0 + ex);
  } else {
    const double ex = std::exp(d);
    f = 1.0 / (1.0 + ex);
    omf = ex / (1.0 + ex);
  }
  const double g = f * omf;  // df/deta
  const double sq = std::sqrt(1.0 + 0.5 * beta * x);
  const double xk[3] = {sqrt_x, x * sqrt_x, x * x * sqrt_x};
  if constexpr (kFull) {
    const double sb = x / (4.0 * sq);        // d sq / d beta
    const double sbb = -sb * sb / sq;        // d2 sq / d beta2 = -x^2 / (16 sq^3)
    // d2F/deta2 = int (x^k sq)' g dx (by parts; x^k sq = 0 at x = 0): a positive
    // kernel, where int x^k sq g (1 - 2 f) dx is odd about x = eta and loses a
    // factor ~eta to cancellation, which c_v of degenerate matter amplifies
    const double dsq_dx = beta / (4.0 * sq);
    constexpr double order[3] = {0.5, 1.5, 2.5};
    const double a0 = w * sq * f, a1 = w * sq * g, a2 = w * g;
    const double a3 = w * sb * f, a4 = w * sb * g, a5 = w * sbb * f;
    for (int k = 0; k < 3; ++k) {
      FermiDiracJet& j = s.k[k];
      j.F += a0 * xk[k];
      j.dF_deta += a1 * xk[k];
      j.d2F_deta2 += a2 * xk[k] * (order[k] * sq / x + dsq_dx);
      j.dF_dbeta += a3 * xk[k];
      j.d2F_detadbeta += a4 * xk[k];
      j.d2F_dbeta2 += a5 * xk[k];
    }
  } else {
    const double a0 = w * sq * f, a1 = w * sq * g;
    for (int k = 0; k < 2; ++k) {
      s.k[k].F += a0 * xk[k];
      s.k[k].dF_deta += a1 * xk[k];
    }
  }
}

template <bool kFull>
FermiSums fermi_sums(double eta, double beta) {
  FermiSums s;
  if (eta < kEtaUnderflow) return s;
  const QuadratureRules& q = rules();
  double s1, s2, s3;
  break_points(eta, s1, s2, s3);
  // [0, S1] in z = sqrt(x) (removes the sqrt(x) behaviour at 0): dx = 2 z dz.
  // sqrt(1 + beta z^2 / 2) has branch points at z = +-i d, d = sqrt(2 / beta);
  // when sqrt(S1) >> d (degenerate and relativistic: E_F >~ 30 m_e c^2) the
  // rule is split at 4 d, 16 d, ... so each piece is at most 3x as long as its
  // distance from them, which keeps 32 points at double precision.
  {
    const double zmax = std::sqrt(s1), d = std::sqrt(2.0 / beta);
    double a = 0.0;
    while (a < zmax) {
      const double b = a == 0.0 ? std::min(zmax, 4.0 * d) : std::min(zmax, 4.0 * a);
      const double mid = 0.5 * (a + b), half = 0.5 * (b - a);
      for (int i = 0; i < kNodes; ++i) {
        const double z = mid + half * q.leg_x[i];
        add_node<kFull>(s, z * z, z, z * z - eta, q.leg_w[i] * half * 2.0 * z, beta);
      }
      a = b;
    }
  }
  // [S1, S2] and [S2, S3] Gauss-Legendre
  const double lo[2] = {s1, s2}, hi[2] = {s2, s3};
  for (int m = 0; m < 2; ++m) {
    const double mid = 0.5 * (lo[m] + hi[m]), half = 0.5 * (hi[m] - lo[m]), mid_d = mid - eta;
    for (int i = 0; i < kNodes; ++i) {
      const double t = half * q.leg_x[i], x = mid + t;
      add_node<kFull>(s, x, std::sqrt(x), mid_d + t, q.leg_w[i] * half, beta);
    }
  }
  // [S3, inf) Gauss-Laguerre in x - S3
  const double s3_d = s3 - eta;
  for (int i = 0; i < kNodes; ++i) {
    const double x = s3 + q.lag_x[i];
    add_node<kFull>(s, x, std::sqrt(x), s3_d + q.lag_x[i], q.lag_w[i], beta);
  }
  return s;
}

// A function of (eta, beta) with its first and second partials.
struct Jet {
  double v = 0, e = 0, b = 0, ee = 0, eb = 0, bb = 0;
};
Jet jet(const FermiDiracJet& f) {
  return {f.F, f.dF_deta, f.dF_dbeta, f.d2F_deta2, f.d2F_detadbeta, f.d2F_dbeta2};
}
Jet operator+(const Jet& x, const Jet& y) {
  return {x.v + y.v, x.e + y.e, x.b + y.b, x.ee + y.ee, x.eb + y.eb, x.bb + y.bb};
}
Jet operator-(const Jet& x, const Jet& y) {
  return {x.v - y.v, x.e - y.e, x.b - y.b, x.ee - y.ee, x.eb - y.eb, x.bb - y.bb};
}
Jet operator*(double c, const Jet& x) { return {c * x.v, c * x.e, c * x.b, c * x.ee, c * x.eb, c * x.bb}; }
Jet operator*(const Jet& x, const Jet& y) {
  return {x.v * y.v,
          x.e * y.v + x.v * y.e,
          x.b * y.v + x.v * y.b,
          x.ee * y.v + 2.0 * x.e * y.e + x.v * y.ee,
          x.eb * y.v + x.e * y.b + x.b * y.e + x.v * y.eb,
          x.bb * y.v + 2.0 * x.b * y.b + x.v * y.bb};
}
// beta^p as a jet
Jet beta_pow(double beta, double p) {
  const double v = std::pow(beta, p);
  return {v, 0, p * v / beta, 0, 0, p * (p - 1.0) * v / (beta * beta)};
}

// Number density, kinetic energy density and pressure of one species (electrons
// or positrons) as jets in its own (eta_s, beta).
struct SpeciesJets {
  Jet n, E, p;
};
SpeciesJets species(const FermiSums& s, double beta) {
  const Jet f12 = jet(s.k[0]), f32 = jet(s.k[1]), f52 = jet(s.k[2]);
  const Jet b{beta, 0, 1, 0, 0, 0};
  const double C = kElectronDensityCoeff, mc2 = kElectronRestEnergy;
  SpeciesJets r;
  r.n = C * (beta_pow(beta, 1.5) * (f12 + b * f32));
  const Jet b52 = beta_pow(beta, 2.5);
  r.E = (C * mc2) * (b52 * (f32 + b * f52));
  r.p = (2.0 / 3.0 * C * mc2) * (b52 * (f32 + 0.5 * (b * f52)));
  return r;
}

// G(eta, beta) = J(u, beta) with the positron u = -eta - 2/beta.
Jet positron_to_electron_eta(const Jet& J, double beta) {
  const double ub = 2.0 / (beta * beta), ubb = -4.0 / (beta * beta * beta);
  Jet G;
  G.v = J.v;
  G.e = -J.e;
  G.b = J.e * ub + J.b;
  G.ee = J.ee;
  G.eb = -(J.ee * ub + J.eb);
  G.bb = J.ee * ub * ub + 2.0 * J.eb * ub + J.bb + J.e * ubb;
  return G;
}

// eta with F_1/2(eta) = f (the ordinary, beta = 0, integral), to 4.2e-9:
// Antia (1993, ApJS 84, 101) rational approximation, table 8. Only a start
// for the Newton iteration.
double inverse_fermi_half(double f) {
  if (f < 4.0) {
    const double num = (((f + 3.818838129486e1) * f + 6.610132843877e2) * f + 5.702479099336e3) * f +
                       1.999266880833e4;
    const double den = ((-1.670718177489e0 * f + 9.130355392717e1) * f - 2.014785161019e3) * f +
                       1.771804140488e4;
    return std::log(f * num / den);
  }
  const double ff = std::pow(f, -2.0 / 3.0);
  const double num = (((((ff - 3.930805454272e-1) * ff - 1.285579118012e0) * ff + 4.997559426872e-1) * ff -
                       4.262314235106e-1) * ff + 7.187946804945e-2) * ff - 1.277060388085e-2;
  const double den = ((((-6.067091689181e-2 * ff - 1.145531476975e0) * ff + 4.077841975923e-1) * ff -
                       3.299466243260e-1) * ff + 5.485432756838e-2) * ff - 9.745794806288e-3;
  return num / (den * ff);
}

// Net electron density n_e- - n_e+ and its eta derivative (Newton iteration).
void net_density(double eta, double beta, double& n, double& dn_deta) {
  const double C = kElectronDensityCoeff * std::pow(beta, 1.5);
  const FermiSums se = fermi_sums<false>(eta, beta);
  const FermiSums sp = fermi_sums<false>(-eta - 2.0 / beta, beta);
  n = C * ((se.k[0].F + beta * se.k[1].F) - (sp.k[0].F + beta * sp.k[1].F));
  dn_deta = C * ((se.k[0].dF_deta + beta * se.k[1].dF_deta) + (sp.k[0].dF_deta + beta * sp.k[1].dF_deta));
}

// eta with n_e- - n_e+ = n_net (> 0). N(eta) = n_e- - n_e+ increases with eta,
// is convex above eta = -1/beta (where N = 0) and ln N is concave (exponential
// when nondegenerate, a power of eta when degenerate, ln(eta + 1/beta) near the
// pair-dominated zero). So Newton on N - n_net converges monotonically from
// above and Newton on ln(N / n_net) monotonically from below: each iterate
// takes the step of the side it is on, and never crosses the root but by
// round-off. A bracket (lo, hi) with bisection guards the rest.
double solve_eta(double n_net, double beta, double T, double rho, double eta_guess, int& iterations) {
  // initial guess, above the root but for positrons: the smaller of the
  // nonrelativistic eta (inverse of F_1/2, which leaves out beta F_3/2 > 0) and
  // the zero-temperature Fermi energy / kT (mu falls below it as T rises)
  const double hbar_over_mc = kPlanck / (2.0 * kPi * kElectronMass * kLightSpeed);
  const double xf = hbar_over_mc * std::cbrt(3.0 * kPi * kPi * n_net);
  const double eta_deg = xf * xf / (std::sqrt(1.0 + xf * xf) + 1.0) / beta;
  const double eta_nonrel = inverse_fermi_half(n_net / (kElectronDensityCoeff * std::pow(beta, 1.5)));
  double lo = -1.0 / beta, hi = std::numeric_limits<double>::infinity();
  const double eta_start = std::max(std::min(eta_deg, eta_nonrel), lo + 1.0);
  double eta = std::isfinite(eta_guess) && eta_guess > lo ? eta_guess : eta_start;
  for (iterations = 1; iterations <= 100; ++iterations) {
    double n, dn;
    net_density(eta, beta, n, dn);
    double step;
    if (!std::isfinite(n) || !std::isfinite(dn)) {  // a caller's guess far above the root
      hi = eta;
      step = (eta_start < hi ? eta_start : 0.5 * (lo + hi)) - eta;
    } else if (n <= 0) {  // cannot happen above lo but by round-off: move up
      lo = eta;
      step = std::isfinite(hi) ? 0.5 * (hi - eta) : 1.0;
    } else if (n < n_net) {
      lo = eta;
      step = -std::log(n / n_net) * n / dn;
    } else if (n > n_net) {
      hi = eta;
      step = -(n - n_net) / dn;
      // far above (a caller's guess), the linear step only shrinks a power law
      // N ~ (eta - lo)^p by a factor ~(1 - 1/p) per iteration; the root of the
      // local power law (p = dN/deta (eta - lo) / N) gets there at once, stays
      // above lo, and if it lands below the root the log steps take over
      if (n > 2.0 * n_net) {
        const double p = dn * (eta - lo) / n;
        step = (eta - lo) * (std::exp(-std::log(n / n_net) / p) - 1.0);
      }
    } else {
      return eta;
    }
    // Newton squares the relative residual r = N / n_net - 1 (r' <~ r^2 / 2 on
    // both sides, in every regime), so a step taken from |r| <= 1e-8 lands
    // within round-off of the root
    if (std::abs(n / n_net - 1.0) <= 1e-8 || std::abs(step) <= 1e-13 * std::max(1.0, std::abs(eta)))
      return eta + step;
    double next = eta + step;
    if (!(next > lo && next < hi))
      next = std::isfinite(hi) ? 0.5 * (lo + hi) : eta + std::max(50.0, std::abs(eta));
    eta = next;
  }
  throw Error(Status::Internal, "stellar_eos: the electron degeneracy parameter did not converge in 100 "
                                "iterations at T = " + repr(T) + " K, rho = " + repr(rho) + " g/cm^3");
}

void check_input(double T, double rho, double abar, double ye) {
  if (!std::isfinite(T) || T <= 0) bad("stellar_eos: T = " + repr(T) + " K must be finite and positive");
  if (T < kEosTMin || T > kEosTMax)
    bad("stellar_eos: T = " + repr(T) + " K is outside the EOS domain [" + repr(kEosTMin) + ", " +
        repr(kEosTMax) + "] K (" + (T < kEosTMin ? "below the lower" : "above the upper") + " limit)");
  if (!std::isfinite(rho) || rho <= 0) bad("stellar_eos: rho = " + repr(rho) + " g/cm^3 must be finite and positive");
  if (rho < kEosRhoMin || rho > kEosRhoMax)
    bad("stellar_eos: rho = " + repr(rho) + " g/cm^3 is outside the EOS domain [" + repr(kEosRhoMin) + ", " +
        repr(kEosRhoMax) + "] g/cm^3 (" + (rho < kEosRhoMin ? "below the lower" : "above the upper") + " limit)");
  if (!std::isfinite(abar) || abar <= 0) bad("stellar_eos: abar = " + repr(abar) + " must be finite and positive");
  if (abar < 1.0) bad("stellar_eos: abar = " + repr(abar) + " is below 1 (a nucleon has A = 1)");
  if (!std::isfinite(ye) || ye <= 0) bad("stellar_eos: ye = " + repr(ye) + " must be finite and positive");
  if (ye > 1.0) bad("stellar_eos: ye = " + repr(ye) + " is above 1 (Z <= A for every nucleus)");
}

}  // namespace

std::array<FermiDiracJet, 3> fermi_dirac_integrals(double eta, double beta) {
  if (!std::isfinite(eta)) bad("fermi_dirac_integrals: eta = " + repr(eta) + " must be finite");
  if (!std::isfinite(beta) || beta <= 0) bad("fermi_dirac_integrals: beta = " + repr(beta) + " must be finite and positive");
  const FermiSums s = fermi_sums<true>(eta, beta);
  return {s.k[0], s.k[1], s.k[2]};
}

EosResult stellar_eos(double T, double rho, double abar, double ye) {
  return stellar_eos(T, rho, abar, ye, std::numeric_limits<double>::quiet_NaN());
}

EosResult stellar_eos(double T, double rho, double abar, double ye, double eta_guess) {
  check_input(T, rho, abar, ye);
  if (std::isinf(eta_guess)) bad("stellar_eos: eta_guess = " + repr(eta_guess) + " must be finite or NaN (none)");
  EosResult r;
  const double kT = kBoltzmann * T;

  // ions: ideal gas of n = rho / (abar m_u)
  const double n_ion = rho / (abar * kAtomicMassUnit);
  r.p_ion = n_ion * kT;
  r.e_ion = 1.5 * r.p_ion / rho;
  r.cv_ion = r.e_ion / T;

  // radiation
  const double aT4 = kRadiationConstant * T * T * T * T;
  r.p_rad = aT4 / 3.0;
  r.e_rad = aT4 / rho;
  r.cv_rad = 4.0 * r.e_rad / T;
  const double dcv_rad = 3.0 * r.cv_rad / T;

  // electrons + positrons
  const double beta = kT / kElectronRestEnergy;
  const double dbeta_dT = kBoltzmann / kElectronRestEnergy;
  const double n_net = kAvogadro * rho * ye;
  {
    // pairs at eta = -1/beta (n_e- = n_e+) bound n_e+ from above: if they
    // swamp n_net, the difference cannot be resolved in double precision.
    // First a cheap bound, F_k(eta) <= e^eta (Gamma(k+1) + sqrt(beta/2) Gamma(k+3/2))
    // (Fermi <= Boltzmann factor, sqrt(1 + a) <= 1 + sqrt(a)), which settles it
    // but for hot, tenuous matter.
    const double c32 = kElectronDensityCoeff * std::pow(beta, 1.5), sb = std::sqrt(0.5 * beta);
    const double bound = c32 * std::exp(-1.0 / beta) * (0.886226925452758 + sb + beta * (1.329340388179137 + 2.0 * sb));
    double n_sym = 0.0;
    if (bound > kEosMaxPairRatio * n_net) {
      const FermiSums sym = fermi_sums<false>(-1.0 / beta, beta);
      n_sym = c32 * (sym.k[0].F + beta * sym.k[1].F);
    }
    if (n_sym > kEosMaxPairRatio * n_net)
      bad("stellar_eos: T = " + repr(T) + " K is too high for rho = " + repr(rho) + " g/cm^3, ye = " + repr(ye) +
          ": pair density " + repr(n_sym) + " /cm^3 exceeds " + repr(kEosMaxPairRatio) +
          " times the net electron density (solver limit)");
  }
  r.eta = solve_eta(n_net, beta, T, rho, eta_guess, r.newton_iterations);

  const SpeciesJets ele = species(fermi_sums<true>(r.eta, beta), beta);
  const SpeciesJets pos = species(fermi_sums<true>(-r.eta - 2.0 / beta, beta), beta);
  const Jet n_pos = positron_to_electron_eta(pos.n, beta);
  const Jet N = ele.n - n_pos;
  // energy per volume: kinetic energies plus the rest mass of the pairs
  const Jet E = ele.E + positron_to_electron_eta(pos.E, beta) + (2.0 * kElectronRestEnergy) * n_pos;
  const Jet P = ele.p + positron_to_electron_eta(pos.p, beta);

  // eta(T) at constant rho from N(eta, beta) = n_net (implicit function theorem)
  const double b = dbeta_dT;
  const double eta_T = -N.b * b / N.e;
  const double eta_TT = -(N.ee * eta_T * eta_T + 2.0 * N.eb * eta_T * b + N.bb * b * b) / N.e;
  const double E_T = E.e * eta_T + E.b * b;
  const double E_TT = E.ee * eta_T * eta_T + 2.0 * E.eb * eta_T * b + E.bb * b * b + E.e * eta_TT;

  r.n_ele = ele.n.v;
  r.n_pos = n_pos.v;
  r.p_ele = P.v;
  r.e_ele = E.v / rho;
  r.cv_ele = E_T / rho;

  r.p = r.p_ion + r.p_rad + r.p_ele;
  r.e = r.e_ion + r.e_rad + r.e_ele;
  r.cv = r.cv_ion + r.cv_rad + r.cv_ele;
  r.dcv_dT = dcv_rad + E_TT / rho;
  r.dp_dT = r.p_ion / T + 4.0 * r.p_rad / T + (P.e * eta_T + P.b * b);
  return r;
}

}  // namespace nnn
