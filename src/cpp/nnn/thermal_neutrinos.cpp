// Thermal neutrino losses: Itoh et al. (1996) fits, following the structure,
// constants and branch conditions of pynucastro 3.1's sneut5 (itself Timmes'
// sneut5) so that the two agree to round-off. The derivative in T comes from
// evaluating the same expressions on a forward-mode dual number.
#include "thermal_neutrinos.hpp"
#include "format.hpp"

#include <cmath>
#include <initializer_list>
#include <string>

namespace nnn {

namespace {


// value and derivative with respect to T
struct Dual {
  double v = 0, d = 0;
  Dual(double value = 0, double deriv = 0) : v(value), d(deriv) {}
};
Dual operator+(Dual a, Dual b) { return {a.v + b.v, a.d + b.d}; }
Dual operator-(Dual a, Dual b) { return {a.v - b.v, a.d - b.d}; }
Dual operator-(Dual a) { return {-a.v, -a.d}; }
Dual operator*(Dual a, Dual b) { return {a.v * b.v, a.d * b.v + a.v * b.d}; }
Dual operator/(Dual a, Dual b) { return {a.v / b.v, (a.d * b.v - a.v * b.d) / (b.v * b.v)}; }
Dual exp(Dual a) {
  const double e = std::exp(a.v);
  return {e, e * a.d};
}
Dual log(Dual a) { return {std::log(a.v), a.d / a.v}; }
Dual log10(Dual a) { return {std::log10(a.v), a.d / (a.v * std::log(10.0))}; }
Dual sqrt(Dual a) {
  const double s = std::sqrt(a.v);
  return {s, 0.5 * a.d / s};
}
Dual pow(Dual a, double p) {
  const double v = std::pow(a.v, p);
  return {v, p * v / a.v * a.d};
}
Dual sin(Dual a) { return {std::sin(a.v), std::cos(a.v) * a.d}; }
Dual cos(Dual a) { return {std::cos(a.v), -std::sin(a.v) * a.d}; }

// Inverse Fermi-Dirac integral of order 1/2 (Antia 1993, ApJS 84, 101, table 8;
// max error 4.19e-9), as sneut5's ifermi12.
Dual ifermi12(Dual f) {
  constexpr double a1[5] = {1.999266880833e4, 5.702479099336e3, 6.610132843877e2, 3.818838129486e1, 1.0};
  constexpr double b1[4] = {1.771804140488e4, -2.014785161019e3, 9.130355392717e1, -1.670718177489e0};
  constexpr double a2[7] = {-1.277060388085e-2, 7.187946804945e-2, -4.262314235106e-1, 4.997559426872e-1,
                            -1.285579118012e0,  -3.930805454272e-1, 1.0};
  constexpr double b2[6] = {-9.745794806288e-3, 5.485432756838e-2, -3.299466243260e-1,
                            4.077841975923e-1,  -1.145531476975e0, -6.067091689181e-2};
  if (f.v < 4.0) {
    Dual rn = f + a1[3];
    for (int i = 2; i >= 0; --i) rn = rn * f + a1[i];
    Dual den = b1[3];
    for (int i = 2; i >= 0; --i) den = den * f + b1[i];
    return log(f * rn / den);
  }
  const Dual ff = 1.0 / pow(f, 1.0 / 1.5);
  Dual rn = ff + a2[5];
  for (int i = 4; i >= 0; --i) rn = rn * ff + a2[i];
  Dual den = b2[5];
  for (int i = 4; i >= 0; --i) den = den * ff + b2[i];
  return rn / (den * ff);
}

struct Parts {
  Dual pair, photo, plasma, brem, recomb;
};

Parts sneut5(Dual T, double rho, double abar, double zbar) {
  const double pi = 3.14159265358979323846;
  const double fac1 = 5.0 * pi / 3.0, fac2 = 10.0 * pi, fac3 = pi / 5.0;
  const double oneth = 1.0 / 3.0, twoth = 2.0 / 3.0, con1 = 1.0 / 5.9302, sixth = 1.0 / 6.0;

  // sin^2(Weinberg angle) and the number of neutrino flavours; cv, ca: vector
  // and axial currents
  const double theta = 0.2319, xnufam = 3.0;
  const double cv = 0.5 + 2.0 * theta, cvp = 1.0 - cv, ca = 0.5, cap = 1.0 - ca;
  const double tfac1 = cv * cv + ca * ca + (xnufam - 1.0) * (cvp * cvp + cap * cap);
  const double tfac2 = cv * cv - ca * ca + (xnufam - 1.0) * (cvp * cvp - cap * cap);
  const double tfac3 = tfac2 / tfac1, tfac4 = 0.5 * tfac1, tfac5 = 0.5 * tfac2;
  const double tfac6 = cv * cv + 1.5 * ca * ca + (xnufam - 1.0) * (cvp * cvp + 1.5 * cap * cap);

  Parts s;
  if (T.v < 1.0e7) return s;

  const double ye = zbar / abar;
  const Dual t9 = T * 1.0e-9;
  const Dual xl = t9 * con1, xlp5 = sqrt(xl);
  const Dual xl2 = xl * xl, xl3 = xl2 * xl, xl4 = xl3 * xl, xl5 = xl4 * xl, xl6 = xl5 * xl;
  const Dual xl7 = xl6 * xl, xl8 = xl7 * xl, xl9 = xl8 * xl;
  const Dual xlm1 = 1.0 / xl, xlm2 = xlm1 * xlm1, xlm3 = xlm1 * xlm2;
  const double rm = rho * ye, rmi = 1.0 / rm;
  const double a0rm = rm * 1.0e-9;
  const Dual zeta = std::pow(a0rm, oneth) * xlm1, zeta2 = zeta * zeta, zeta3 = zeta2 * zeta;

  // --- pair neutrinos, e+ e- -> nu nubar: equations 2.5-2.8
  {
    const Dual gl = 1.0 - 13.04 * xl2 + 133.5 * xl4 + 1534.0 * xl6 + 918.6 * xl8;
    const bool hot = t9.v >= 10.0;
    const Dual xnum = (6.002e19 + 2.084e20 * zeta + 1.872e21 * zeta2) * exp((hot ? -4.9924 : -5.5924) * zeta);
    const Dual a1 = hot ? 1.2383 * xlm1 - 8.141e-1 * xlm2 : 9.383e-1 * xlm1 - 4.141e-1 * xlm2 + 5.829e-2 * xlm3;
    const Dual fpair = xnum / (zeta3 + a1);
    const Dual xnum2 = 1.0 / (10.7480 * xl2 + 0.3967 * xlp5 + 1.005);
    const Dual c = 1.0 / (7.692e7 * xl3 + 9.715e6 * xlp5);
    const Dual qpair = xnum2 * pow(1.0 + rm * c, -0.3);
    s.pair = tfac4 * (1.0 + tfac3 * qpair) * (gl * (exp(-2.0 * xlm1) * fpair));
  }

  // --- plasma neutrinos, plasmon -> nu nubar: equations 4.1, 4.5-4.11
  {
    const double b1 = std::sqrt(1.0 + std::pow(1.019e-6 * rm, twoth));
    const Dual gl2 = 1.1095e11 * rm / (T * T * b1);
    const Dual gl = sqrt(gl2), gl12 = sqrt(gl), gl32 = gl * gl12, gl72 = gl2 * gl32, gl6 = gl2 * gl2 * gl2;
    const Dual ft = 2.4 + 0.6 * gl12 + 0.51 * gl + 1.25 * gl32;
    const Dual fl = (8.6 * gl2 + 1.35 * gl72) / (225.0 - 17.0 * gl + gl2);
    const double cc = std::log10(2.0 * rm);
    const Dual xlnt = log10(T);
    const Dual xnum = sixth * (17.5 + cc - 3.0 * xlnt);
    const Dual xden = sixth * (-24.5 + cc + 3.0 * xlnt);
    Dual fxy = 1.0;
    if (!(std::abs(xnum.v) > 0.7 || xden.v < 0.0)) {
      const Dual a1 = 0.39 - 1.25 * xnum - 0.35 * sin(4.5 * xnum);
      const Dual w = 4.5 * xnum + 0.9;
      const Dual b = 0.3 * exp(-(w * w));
      const Dual cm = xden - 1.6 + 1.25 * xnum;
      const Dual c = cm.v < 0.0 ? cm : Dual(0.0);  // min(0, .)
      const Dual a3 = c / (0.57 - 0.25 * xnum);
      fxy = 1.05 + (a1 - b) * exp(-(a3 * a3));
    }
    s.plasma = 0.93153 * 3.0e21 * xl9 * (gl6 * (exp(-gl) * ((ft + fl) * fxy)));
  }

  // --- photoneutrinos, e +- gamma -> e +- nu nubar: equations 3.2-3.8, table 2
  {
    Dual tau, cc;
    double c0[7], c1[7], c2[7], d0[6], d1[6], d2[6];  // c_i0..c_i6, dd_i1..dd_i5 (index 0 unused)
    auto set = [](double* dst, std::initializer_list<double> v) {
      int i = 0;
      for (double x : v) dst[i++] = x;
    };
    if (T.v < 1.0e8) {
      tau = log10(T * 1.0e-7);
      cc = 0.5654 + tau;
      set(c0, {1.008e11, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0});
      set(c1, {8.156e10, 9.728e8, -3.806e9, -4.384e9, -5.774e9, -5.249e9, -5.153e9});
      set(c2, {1.067e11, -9.782e9, -7.193e9, -6.936e9, -6.893e9, -7.041e9, -7.193e9});
      set(d0, {0.0, 0.0, 0.0, 0.0, 0.0, 0.0});
      set(d1, {0.0, -1.879e10, -9.667e9, -5.602e9, -3.370e9, -1.825e9});
      set(d2, {0.0, -2.919e10, -1.185e10, -7.270e9, -4.222e9, -1.560e9});
    } else if (T.v < 1.0e9) {
      tau = log10(T * 1.0e-8);
      cc = 1.5654;
      set(c0, {9.889e10, -4.524e8, -6.088e6, 4.269e7, 5.172e7, 4.910e7, 4.388e7});
      set(c1, {1.813e11, -7.556e9, -3.304e9, -1.031e9, -1.764e9, -1.851e9, -1.928e9});
      set(c2, {9.750e10, 3.484e10, 5.199e9, -1.695e9, -2.865e9, -3.395e9, -3.418e9});
      set(d0, {0.0, -1.135e8, 1.256e8, 5.149e7, 3.436e7, 1.005e7});
      set(d1, {0.0, 1.652e9, -3.119e9, -1.839e9, -1.458e9, -8.956e8});
      set(d2, {0.0, -1.548e10, -9.338e9, -5.899e9, -3.035e9, -1.598e9});
    } else {
      tau = log10(t9);
      cc = 1.5654;
      set(c0, {9.581e10, 4.107e8, 2.305e8, 2.236e8, 1.580e8, 2.165e8, 1.721e8});
      set(c1, {1.459e12, 1.314e11, -1.169e11, -1.765e11, -1.867e11, -1.983e11, -1.896e11});
      set(c2, {2.424e11, -3.669e9, -8.691e9, -7.967e9, -7.932e9, -7.987e9, -8.333e9});
      set(d0, {0.0, 4.724e8, 2.976e8, 2.242e8, 7.937e7, 4.859e7});
      set(d1, {0.0, -7.094e11, -3.697e11, -2.189e11, -1.273e11, -5.705e10});
      set(d2, {0.0, -2.254e10, -1.551e10, -7.793e9, -4.489e9, -2.185e9});
    }
    // equation 3.7: a Fourier series in tau
    Dual cs[6], sn[6];
    for (int m = 1; m <= 5; ++m) {
      cs[m] = cos(fac1 * m * tau);
      sn[m] = sin(fac1 * m * tau);
    }
    const Dual last = cos(fac2 * tau);
    auto series = [&](const double* c, const double* d) {
      Dual a = 0.5 * c[0];
      for (int m = 1; m <= 5; ++m) a = a + c[m] * cs[m] + d[m] * sn[m];
      return a + 0.5 * c[6] * last;
    };
    const Dual a0 = series(c0, d0), a1 = series(c1, d1), a2 = series(c2, d2);
    const Dual fphot = (a0 + a1 * zeta + a2 * zeta2) * exp(-cc * zeta) /
                       (zeta3 + 6.290e-3 * xlm1 + 7.483e-3 * xlm2 + 3.061e-4 * xlm3);
    const Dual xnum = 0.666 * pow(1.0 + 2.045 * xl, -2.066);
    const Dual dum = 1.875e8 * xl + 1.653e8 * xl2 + 8.499e8 * xl3 - 1.604e8 * xl4;
    const Dual qphot = xnum / (1.0 + rm / dum);
    const Dual sphot = tfac4 * (1.0 - tfac3 * qphot) * (rm * (xl5 * fphot));
    s.photo = sphot.v > 0.0 ? sphot : Dual(0.0);  // max(0, .)
  }

  // --- bremsstrahlung, e- (Z,A) -> e- (Z,A) nu nubar: equations 4.3, 5.1-5.3, 5.9, 5.16-5.26
  {
    const double den6 = rho * 1.0e-6;
    const Dual t8 = T * 1.0e-8, t812 = sqrt(t8), t832 = t8 * t812, t82 = t8 * t8, t83 = t82 * t8;
    const Dual t85 = t82 * t83, t86 = t85 * t8, t8m1 = 1.0 / t8, t8m2 = t8m1 * t8m1, t8m3 = t8m2 * t8m1;
    const Dual t8m5 = t8m3 * t8m2;
    const double tfermi = 5.9302e9 * (std::sqrt(1.0 + 1.018 * std::pow(den6 * ye, twoth)) - 1.0);
    Dual f, g;  // f, g of equation 5.1 (weakly degenerate) or 5.17 (liquid metal)
    if (T.v > 0.3 * tfermi) {
      // weakly degenerate electrons: equations 5.2, 5.3, 5.9
      const Dual eta = rm / (7.05e6 * t832 + 5.12e4 * t83);
      const Dual etam1 = 1.0 / eta, etam2 = etam1 * etam1;
      const Dual xnum = 1.0 / (23.5 + 6.83e4 * t8m2 + 7.81e8 * t8m5);
      const Dual xden = 1.26 * (1.0 + etam1) / (1.0 + 1.47 * etam1 + 3.29e-2 * etam2);
      f = xnum + xden;
      const Dual xnum2 = 1.0 / ((230.0 + 6.7e5 * t8m2 + 7.66e9 * t8m5) * (1.0 + rm * 1.0e-9));
      const Dual c00 = 7.75e5 * t832 + 247.0 * pow(t8, 3.85);
      const Dual c01 = 4.07 + 0.0240 * pow(t8, 1.4);
      const Dual c02 = 4.59e-5 * pow(t8, -0.110);
      g = xnum2 + 1.0 / (c00 * rmi + c01 + c02 * std::pow(rho, 0.656));
    } else {
      // liquid metal with C12 parameters: equations 5.16, 5.18-5.26
      const double u = fac3 * (std::log10(rho) - 3.0);
      const double c1 = std::cos(u), c2 = std::cos(2.0 * u), c3 = std::cos(3.0 * u), c4 = std::cos(4.0 * u);
      const double c5 = std::cos(5.0 * u);
      const double s1 = std::sin(u), s2 = std::sin(2.0 * u), s3 = std::sin(3.0 * u), s4 = std::sin(4.0 * u);
      const double fb = 0.5 * 0.17946 + 0.00945 * u + 0.34529 - 0.05821 * c1 - 0.04969 * s1 - 0.01089 * c2 -
                        0.01584 * s2 - 0.01147 * c3 - 0.00504 * s3 - 0.00656 * c4 - 0.00281 * s4 - 0.00519 * c5;
      const double ft = 0.5 * 0.06781 - 0.02342 * u + 0.24819 - 0.00944 * c1 - 0.02213 * s1 - 0.01289 * c2 -
                        0.01136 * s2 - 0.00589 * c3 - 0.00467 * s3 - 0.00404 * c4 - 0.00131 * s4 - 0.00330 * c5;
      const double gb = 0.5 * 0.00766 - 0.01259 * u + 0.07917 - 0.00710 * c1 + 0.02300 * s1 - 0.00028 * c2 -
                        0.01078 * s2 + 0.00232 * c3 + 0.00118 * s3 + 0.00044 * c4 - 0.00089 * s4 + 0.00158 * c5;
      const double gt = -0.5 * 0.00769 - 0.00829 * u + 0.05211 + 0.00356 * c1 + 0.01052 * s1 - 0.00184 * c2 -
                        0.00354 * s2 + 0.00146 * c3 - 0.00014 * s3 + 0.00031 * c4 - 0.00018 * s4 + 0.00069 * c5;
      const Dual gm1 = 1.0 / (2.275e-1 * zbar * zbar * t8m1 * std::pow(den6 / abar, oneth));
      const Dual gm13 = pow(gm1, oneth), gm23 = gm13 * gm13;
      const Dual v = -0.05483 - 0.01946 * gm13 + 1.86310 * gm23 - 0.78873 * gm1;
      const Dual w = -0.06711 + 0.06859 * gm13 + 1.74360 * gm23 - 0.74498 * gm1;
      f = v * fb + (1.0 - v) * ft;
      g = w * gb + (1.0 - w) * gt;
    }
    s.brem = 0.5738 * zbar * ye * t86 * rho * (tfac4 * f - tfac5 * g);
  }

  // --- recombination, e- (continuum) -> e- (bound) nu nubar: equations 6.5, 6.7, 6.11, 6.13, 6.14
  {
    const Dual nu = ifermi12(1.10520e8 * rho * ye / (T * sqrt(T)));
    if (nu.v >= -20.0 && nu.v <= 10.0) {
      // table 12
      const bool neg = nu.v < 0.0;
      const double a1 = neg ? 1.51e-2 : 1.23e-2, a2 = neg ? 2.42e-1 : 2.66e-1, a3 = neg ? 1.21 : 1.30;
      const double b = neg ? 3.71e-2 : 1.17e-1, c = neg ? 9.06e-1 : 8.97e-1, d = neg ? 9.28e-1 : 1.77e-1;
      const double f1 = neg ? 0.0 : -1.20e-2, f2 = neg ? 0.0 : 2.29e-2, f3 = neg ? 0.0 : -1.04e-3;
      const Dual nu2 = nu * nu, nu3 = nu2 * nu;
      const Dual zeta_r = 1.579e5 * zbar * zbar / T;
      const Dual dum = zeta_r / (1.0 + f1 * nu + f2 * nu2 + f3 * nu3);
      const Dual c00 = a1 / dum + a2 * pow(dum, -2.25) + a3 * pow(dum, -4.55);
      const Dual gum = 1.0 + b * exp(c * nu) * (1.0 + d * dum);
      const Dual bigj = c00 * exp(nu) / gum;
      s.recomb = tfac6 * 2.649e-18 * ye * std::pow(zbar, 13.0) * rho * bigj / (1.0 + exp(zeta_r + nu));
    }
  }

  // erg/cm^3/s -> erg/g/s
  const double deni = 1.0 / rho;
  s.pair = s.pair * deni;
  s.plasma = s.plasma * deni;
  s.photo = s.photo * deni;
  s.brem = s.brem * deni;
  s.recomb = s.recomb * deni;
  return s;
}

void check(double v, const char* field, const char* unit) {
  if (!std::isfinite(v) || v <= 0)
    throw Error(Status::BadInput, std::string("thermal_neutrino_loss: ") + field + " = " + repr(v) + unit +
                                      " must be finite and positive");
}

}  // namespace

ThermalNeutrinoLoss thermal_neutrino_loss(double T, double rho, double abar, double zbar) {
  check(T, "T", " K");
  check(rho, "rho", " g/cm^3");
  check(abar, "abar", "");
  check(zbar, "zbar", "");
  if (zbar > abar)
    throw Error(Status::BadInput, "thermal_neutrino_loss: zbar = " + repr(zbar) + " exceeds abar = " + repr(abar) +
                                      " (Z <= A for every nucleus)");
  const Parts s = sneut5(Dual(T, 1.0), rho, abar, zbar);
  ThermalNeutrinoLoss r;
  r.pair = s.pair.v;
  r.photo = s.photo.v;
  r.plasma = s.plasma.v;
  r.brem = s.brem.v;
  r.recomb = s.recomb.v;
  // summed in sneut5's order: plasma, pair, photo, brem, recombination
  r.total = r.plasma + r.pair + r.photo + r.brem + r.recomb;
  r.dtotal_dT = s.plasma.d + s.pair.d + s.photo.d + s.brem.d + s.recomb.d;
  return r;
}

}  // namespace nnn
