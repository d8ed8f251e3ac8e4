#include "kinetics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "status.hpp"

namespace nnn {

namespace {

constexpr double kPi = 3.14159265358979323846;
// Y_n below which the nn_g forward rate's denominator is floored (see update)
constexpr double kNnGYnFloor = 1e-100;

// x^(-1/3) for finite x >= 1 (the screening's poly), within 2 ulp: an
// exponent/3 first guess by bits (3.4 % off) and four Newton steps
// y (4 - x y^3) / 3 (2.4e-3, 1.1e-5, 2.6e-10, round-off), multiplications
// only: glibc's cbrt (frexp/ldexp calls) and the division after it were a
// third of the screening set-up, ~1000 evaluations per burn.
inline double inverse_cbrt(double x) {
  std::uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits = 0x553ef0ff289dd796ULL - bits / 3;
  double y;
  std::memcpy(&y, &bits, sizeof y);
  for (int k = 0; k < 4; ++k) y = y * (4 - x * y * y * y) * (1.0 / 3);
  return y;
}

// pynucastro's smooth_clip: a half-cosine blend from x to `limit`.
double smooth_clip(double x, double limit, double start) {
  double lower, upper;
  if (limit < start) { lower = limit; upper = x; }
  else { lower = x; upper = limit; }
  if (x < std::min(limit, start)) return lower;
  if (x > std::max(limit, start)) return upper;
  double f = (1 - std::cos(kPi * (x - std::min(limit, start)) / (start - limit))) / 2;
  return (1 - f) * lower + f * upper;
}

double ipow(double x, int p) {
  double r = 1;
  for (int i = 0; i < p; ++i) r *= x;
  return r;
}

// value of each rate of a group with N screening pairs (N = 0: `np` at run
// time): its T part times the screening factors of its pairs
template <int N, class Group>
void screened_values(const Group& g, const double* tp, const double* sc, double* val, int np = N) {
  if constexpr (N > 0) np = N;
  const int* pp = g.pairs.data();
  for (size_t q = 0; q < g.ev.size(); ++q, pp += np) {
    double v = tp[g.ev[q]];
    for (int k = 0; k < np; ++k) v *= sc[pp[k]];
    val[g.ev[q]] = v;
  }
}

struct FluxArgs {
  const double* k_slot;     // prefactor rho^dens_exp per flux slot
  const double* val;        // evaluator values (update())
  const double* ye_factor;  // {1, Ye}
  const double* yabs;       // |Y|
  const char* neg;          // Y < 0
  double* flux;             // out, per flux slot (FluxLayout)
};

// flux_m = sgn k_m prod |Y| over the N factors of each rate m of one group
// (rates with the same number of factors, so the trip count is a compile-time
// constant; N = 0: `nf` at run time, for nets with rates of > 4 factors);
// sgn = -1 if any factor is < 0, looked up only when kSigned (some Y < 0).
// Negative abundances (within-tolerance excursions of an integrator): with
// the sign, the rate runs backwards and pulls every negative reactant back
// towards 0. The naive prod Y^p is positive for two negative reactants (n +
// he3 at 2e9 K) or Y_n^2: it destroyed them ever faster, a runaway in 1e-15 s
// steps that ended ~10 % of mesa_80 training burns in step underflow. For
// Y >= 0 this is pynucastro's flux.
template <int N, bool kSigned>
void fluxes(const FluxLayout::Group& g, int nf, const FluxArgs& a) {
  if constexpr (N > 0) nf = N;
  const int* fs = g.sp.data();
  const double* yabs = a.yabs;
  const char* neg = a.neg;
  for (size_t q = 0; q < g.evaluator.size(); ++q, fs += nf) {
    // k = prefactor rho^dens_exp rate (Ye), in the order rate_k() multiplies
    double f = a.k_slot[g.first_slot + q] * a.val[g.evaluator[q]] * a.ye_factor[g.ye_weight[q]];
    char ng = 0;
    for (int j = 0; j < nf; ++j) {
      f *= yabs[fs[j]];
      if constexpr (kSigned) ng |= neg[fs[j]];
    }
    a.flux[g.first_slot + q] = ng ? -f : f;
  }
}

template <bool kSigned>
void group_fluxes(const FluxLayout::Group& g, const FluxArgs& a) {
  switch (g.n_fac) {  // a compile-time trip count lets the compiler unroll
    case 0: fluxes<0, kSigned>(g, 0, a); break;
    case 1: fluxes<1, kSigned>(g, 1, a); break;
    case 2: fluxes<2, kSigned>(g, 2, a); break;
    case 3: fluxes<3, kSigned>(g, 3, a); break;
    case 4: fluxes<4, kSigned>(g, 4, a); break;
    default: fluxes<0, kSigned>(g, g.n_fac, a);
  }
}

// dY_i/dt = sum of the terms coef * flux of species i (terms tb[i] .. tb[i+1]) in four
// partial sums: n, p and he4 have hundreds of terms, and one sum would wait on the latency
// of each addition.  kGross: also gross_i = sum |coef| * size in the same pass (the terms
// are gathered once); a template, so that the plain sum carries no branch.
template <bool kGross>
void sum_terms(int n, const int* tb, const int* tr, const double* tc, const double* flux,
               double* dYdt, const double* size, double* gross) {
  for (int i = 0; i < n; ++i) {
    double s[4] = {0, 0, 0, 0}, g[4] = {0, 0, 0, 0};
    int q = tb[i];
    for (; q + 3 < tb[i + 1]; q += 4)
      for (int u = 0; u < 4; ++u) {
        s[u] += tc[q + u] * flux[tr[q + u]];
        if constexpr (kGross) g[u] += std::abs(tc[q + u]) * size[tr[q + u]];
      }
    for (; q < tb[i + 1]; ++q) {
      s[0] += tc[q] * flux[tr[q]];
      if constexpr (kGross) g[0] += std::abs(tc[q]) * size[tr[q]];
    }
    dYdt[i] = (s[0] + s[1]) + (s[2] + s[3]);
    if constexpr (kGross) gross[i] = (g[0] + g[1]) + (g[2] + g[3]);
  }
}

// Net flux of each reaction (FluxLayout: its rates' fluxes with their signs,
// the forward-reverse pairs first) and, kSize, the sum of their magnitudes.
template <bool kSize>
void reaction_fluxes(const FluxLayout& L, const double* flux, double* net, double* size) {
  const int* rb = L.reaction_begin.data();
  const int* rs = L.reaction_slot.data();
  const double* rsg = L.reaction_sign.data();
  const size_t np = static_cast<size_t>(L.n_reaction_pairs);
  for (size_t r = 0; r < np; ++r) {
    const double a = flux[rs[2 * r]], b = flux[rs[2 * r + 1]];
    net[r] = a - b;
    if constexpr (kSize) size[r] = std::abs(a) + std::abs(b);
  }
  for (size_t r = np; r + 1 < L.reaction_begin.size(); ++r) {
    double f = 0, m = 0;
    for (int k = rb[r]; k < rb[r + 1]; ++k) {
      f += rsg[k] * flux[rs[k]];
      if constexpr (kSize) m += std::abs(flux[rs[k]]);
    }
    net[r] = f;
    if constexpr (kSize) size[r] = m;
  }
}

}  // namespace

double PartitionFunction::log_pf(double T9) const {
  // de Boor evaluation of the B-spline; constant beyond the end knots.
  const int ncoef = static_cast<int>(coefs.size());
  const double x = std::clamp(T9, knots[k], knots[ncoef]);
  int l = k;
  while (l < ncoef - 1 && x >= knots[l + 1]) ++l;
  double d[6];
  for (int j = 0; j <= k; ++j) d[j] = coefs[j + l - k];
  for (int r = 1; r <= k; ++r)
    for (int j = k; j >= r; --j) {
      const int i = j + l - k;
      const double alpha = (x - knots[i]) / (knots[i + k + 1 - r] - knots[i]);
      d[j] = (1 - alpha) * d[j - 1] + alpha * d[j];
    }
  return d[k];
}

namespace {
// i-1 such that g[i-1] < x <= g[i], within [0, size-2], as pynucastro's
// searchsorted-based lookup.
int lower_index(const std::vector<double>& g, double x) {
  long i = std::lower_bound(g.begin(), g.end(), x) - g.begin();
  i = std::min<long>(static_cast<long>(g.size()) - 1, i) - 1;
  return static_cast<int>(std::max<long>(0, i));
}
}  // namespace

void WeakTable::column(double lT, std::vector<double>& lr, std::vector<double>& lnu,
                       bool* clamped) const {
  if (lT < log_T.front() || lT > log_T.back()) {
    if (clamped) *clamped = true;
    lT = std::clamp(lT, log_T.front(), log_T.back());
  }
  const int j = lower_index(log_T, lT);
  const size_t nT = log_T.size(), nR = log_rhoy.size();
  const double w = (lT - log_T[j]) / (log_T[j + 1] - log_T[j]);
  lr.resize(nR);
  lnu.resize(nR);
  for (size_t i = 0; i < nR; ++i) {
    const double* r = &log_rate[i * nT + j];
    const double* u = &log_nu[i * nT + j];
    lr[i] = r[0] + (r[1] - r[0]) * w;
    lnu[i] = u[0] + (u[1] - u[0]) * w;
  }
}

double WeakTable::column_value(const std::vector<double>& col, double x, int& hint,
                               bool* clamped) const {
  const std::vector<double>& g = log_rhoy;
  if (x < g.front() || x > g.back()) {
    if (clamped) *clamped = true;
    x = std::clamp(x, g.front(), g.back());
  }
  // during a burn rho*Ye drifts slowly: the last interval nearly always holds
  const int h = hint;
  if (!((x > g[h] || h == 0) && x <= g[h + 1])) hint = lower_index(g, x);
  const int i = hint;
  return col[i] + (col[i + 1] - col[i]) * (x - g[i]) / (g[i + 1] - g[i]);
}

Kinetics::Kinetics(const Network& net, double T, double rho)
    : net_(net), T_(T), rho_(rho) {
  const size_t nr = net.rates.size();
  t_part_.assign(nr, 0.0);
  value_.assign(nr, 0.0);
  dlnk_dYn_.assign(net.network_rates.size(), 0.0);
  scor_.assign(net.screen_pairs.size(), 1.0);
  nu_coef_.assign(net.isotopes.size(), 0.0);

  for (size_t i = 0; i < nr; ++i) {
    const Rate& r = net.rates[i];
    const int ev = static_cast<int>(i);
    if (r.kind == RateKind::Tabular) {
      // columns filled by set_temperature
      weak_.push_back(WeakColumn{ev, r.table, r.in_network ? r.term.y_species[0] : -1, {}, {}});
    }
    if (r.kind == RateKind::ApproxApPg || r.kind == RateKind::ApproxNnG) approx_.push_back(ev);
    if (r.kind != RateKind::ReacLib && r.kind != RateKind::Derived) continue;
    screened_.push_back(ev);
    const size_t np = r.screen.size();
    if (scr_groups_.size() <= np) scr_groups_.resize(np + 1);
    scr_groups_[np].ev.push_back(ev);
    scr_groups_[np].pairs.insert(scr_groups_[np].pairs.end(), r.screen.begin(), r.screen.end());
  }

  // Chugunov 2007 factors that depend on the pair and T only
  const Constants& c = net.constants;
  pair_Tp_coef_.reserve(net.screen_pairs.size());
  pair_z12_.reserve(net.screen_pairs.size());
  pair_ztilde_.reserve(net.screen_pairs.size());
  for (const ScreenPair& s : net.screen_pairs) {
    const double mu12 = s.a1 * s.a2 / (s.a1 + s.a2);
    const double ztilde = 0.5 * (std::cbrt(s.z1) + std::cbrt(s.z2));
    const double m_i = 2 * mu12 * c.m_u_C18;
    // T_p = hbar/k q_e sqrt(4 pi z1 z2 n_i / m_i), n_i = n_e / ztilde^3
    pair_Tp_coef_.push_back(c.hbar / c.k * c.q_e *
                            std::sqrt(4 * kPi * s.z1 * s.z2 / (ztilde * ztilde * ztilde) / m_i));
    pair_z12_.push_back(s.z1 * s.z2);
    pair_ztilde_.push_back(ztilde);
  }
  pair_zeta_coef_.assign(pair_Tp_coef_.size(), 0.0);
  gamma_e_coef_ = c.q_e * c.q_e / c.k * std::cbrt(4 * kPi / 3);
  set_temperature(T);

  const size_t nm = net.network_rates.size();
  const int n = static_cast<int>(net.isotopes.size());
  // (flat arrays, reserved: every burn constructs its Kinetics; a vector per
  // rate and per species here cost a one-step mesa_80 burn 182 -> 135 us,
  // mesa_151 423 -> 295 us, and 4-6 % of a burn to 1e-6 s)
  k_const_.reserve(nm);
  prefactor_.reserve(nm);
  dens_exp_.reserve(nm);
  ye_weight_.reserve(nm);
  for (size_t m = 0; m < nm; ++m) {
    const Term& t = net.rates[net.network_rates[m]].term;
    double kc = t.prefactor;
    for (int d = 0; d < t.dens_exp; ++d) kc *= rho;
    k_const_.push_back(kc);
    prefactor_.push_back(t.prefactor);
    dens_exp_.push_back(t.dens_exp);
    if (net.rates[net.network_rates[m]].kind == RateKind::ApproxNnG)
      nng_m_.push_back(static_cast<int>(m));
    ye_weight_.push_back(t.ye_weight ? 1 : 0);
  }
  // the network's flux slots and terms (Network::flux_layout, built at load)
  const FluxLayout& L = net.flux_layout;
  if (L.slot_rate.size() != nm || L.net_begin.size() != static_cast<size_t>(n) + 1)
    throw Error(Status::Internal, "network '" + net.name + "': flux layout not built (Network::set_flux_layout)");
  k_slot_.resize(nm);
  for (size_t s = 0; s < nm; ++s) k_slot_[s] = k_const_[L.slot_rate[s]];
  flux_.assign(nm, 0.0);
  reaction_flux_.assign(L.reaction_begin.size() - 1, 0.0);
  reaction_size_.assign(L.reaction_begin.size() - 1, 0.0);
}

void Kinetics::set_temperature(double T) {
  T_ = T;
  // ReacLib temperature factors
  const double T9 = T * 1e-9, T9i = 1 / T9, T913 = std::cbrt(T9);
  const double T953 = std::pow(T9, 5.0 / 3.0), lnT9 = std::log(T9);
  log_pf_.resize(net_.partition_functions.size());
  for (size_t p = 0; p < log_pf_.size(); ++p) log_pf_[p] = net_.partition_functions[p].log_pf(T9);
  for (int ev : screened_) {
    const Rate& r = net_.rates[ev];
    double pf = 0;
    for (auto [p, sign] : r.pf_terms) pf += sign * log_pf_[p];
    double sum = 0;
    for (const auto& a : r.sets)
      sum += std::exp(a[0] + a[1] * T9i + a[2] / T913 + a[3] * T913 + a[4] * T9 +
                      a[5] * T953 + a[6] * lnT9 + pf);
    t_part_[ev] = sum;
    // unscreened rates (mesa_80: 274 of 572) keep this value through the
    // burn: update() does not visit them
    value_[ev] = sum;
  }
  // weak rates: columns in log rho*Ye at this T
  T_clamped_ = false;
  const double lT = std::log10(T);
  for (WeakColumn& w : weak_) {
    net_.tables[w.table].column(lT, w.log_rate, w.log_nu, &T_clamped_);
    w.x_lo = 1, w.x_hi = 0;  // new columns: no Taylor centre yet
  }
  // Chugunov 2007: zeta = cbrt(4/(3 pi^2 T_norm^2)) with T_norm = T / (Tp_coef sqrt(n_e))
  for (size_t p = 0; p < pair_Tp_coef_.size(); ++p) {
    const double tp = pair_Tp_coef_[p];
    pair_zeta_coef_[p] = std::cbrt(4 / (3 * kPi * kPi) * tp * tp / (T * T));
  }
}

void Kinetics::set_conditions(double T, double rho) {
  if (T == T_ && rho == rho_) return;
  if (T != T_) set_temperature(T);
  if (rho != rho_) {
    rho_ = rho;
    for (size_t m = 0; m < k_const_.size(); ++m) {
      double kc = prefactor_[m];
      for (int d = 0; d < dens_exp_[m]; ++d) kc *= rho;
      k_const_[m] = kc;
    }
    const std::vector<int>& slot_rate = net_.flux_layout.slot_rate;  // the flux loop's copy
    for (size_t s = 0; s < slot_rate.size(); ++s) k_slot_[s] = k_const_[slot_rate[s]];
  }
  // screening depends on T and n_e (through rho): recompute on the next update
  conditions_vary_ = true;
  scr_valid_ = false;
  last_sumZY_ = -1;
}

double Kinetics::screening_log(int p, double sqrt_ne, double cbrt_ne, int* regime) const {
  // Chugunov, DeWitt & Yakovlev 2007 with the MCP extension of Yakovlev 2006,
  // transcribed from pynucastro.screening.chugunov_2007; the powers of n_e
  // are taken once per update, the pair/T factors once per burn.
  const double T_p = pair_Tp_coef_[p] * sqrt_ne;
  const double T_raw = T_ / T_p;
  const double T_norm = smooth_clip(T_raw, 0.1, 0.2);
  double Gamma = gamma_e_coef_ * cbrt_ne * pair_z12_[p] / (pair_ztilde_[p] * T_norm * T_p);
  const int g_regime = Gamma < 590 ? 0 : (Gamma > 600 ? 2 : 1);
  Gamma = smooth_clip(Gamma, 600, 590);
  // zeta = cbrt(4 / (3 pi^2 T_norm^2)); unclipped T_norm^2 is proportional to 1/n_e
  const double zeta = T_norm == T_raw ? pair_zeta_coef_[p] * cbrt_ne
                                      : std::cbrt(4 / (3 * kPi * kPi * T_norm * T_norm));
  const double inv_Gamma = 1 / Gamma;
  const double fit_alpha = 0.022, fit_beta = 0.41 - 0.6 * inv_Gamma, fit_gamma = 0.06 + 2.2 * inv_Gamma;
  const double poly = 1 + zeta * (fit_alpha + zeta * (fit_beta + fit_gamma * zeta));
  const double g = Gamma * inverse_cbrt(poly);  // poly >= 1
  const double A1 = 2.7822, A2 = 98.34, A3 = std::sqrt(3.0) - A1 / std::sqrt(A2);
  const double B1 = -1.7476, B2 = 66.07, B3 = 1.12, B4 = 65;
  const double g2 = g * g;
  // the fit's four quotients over two common denominators (two divisions)
  const double s = std::sqrt(A2 + g);
  const double a_part = (A1 * (1 + g) + A3 * s) / (s * (1 + g));
  const double b_part = g2 * (B1 * (B4 + g2) + B3 * (B2 + g)) / ((B2 + g) * (B4 + g2));
  const double h = g * std::sqrt(g) * a_part + b_part;
  if (regime)
    *regime = (T_raw < 0.1 ? 0 : (T_raw > 0.2 ? 2 : 1)) + 3 * g_regime + 9 * (h > 0 ? 1 : 0);
  return std::max(h, 0.0);
}

void Kinetics::screening_recentre(double n_e) {
  // Chebyshev-Lobatto nodes t_j = cos(j pi / 4) of [-1, 1] and two checks
  const double s = std::sqrt(0.5);
  const double tn[5] = {1.0, s, 0.0, -s, -1.0};
  const double tc[2] = {0.5, -0.3};
  const double X = kScrHalfwidth;
  const size_t np = scor_.size();
  scor0_.resize(np);
  scr_coef_.assign(5 * np, 0.0);  // coefficient k of pair p at k * np + p
  scr_exact_.clear();
  double sq[7], cb[7];
  for (int j = 0; j < 7; ++j) {
    const double t = j < 5 ? tn[j] : tc[j - 5];
    const double ne = j == 2 ? n_e : n_e * std::exp(X * t);
    sq[j] = std::sqrt(ne);
    cb[j] = std::cbrt(ne);
  }
  for (size_t p = 0; p < np; ++p) {
    const int ip = static_cast<int>(p);
    int reg[7];
    double h[7];
    for (int j = 0; j < 7; ++j) h[j] = screening_log(ip, sq[j], cb[j], &reg[j]);
    const double f0 = std::exp(h[2]);  // the exact factor, as before
    scor0_[p] = f0;
    bool ok = true;
    for (int j = 0; j < 7; ++j) ok = ok && reg[j] == reg[2];
    // interpolate f/f0 - 1 = expm1(h - h0), a small, well-scaled quantity
    double d[5];
    for (int j = 0; j < 5; ++j) d[j] = std::expm1(h[j] - h[2]);
    // Chebyshev coefficients on Lobatto nodes (n = 4): a_m = 1/2 sum'' d_j cos(m j pi/4)
    double a[5];
    for (int m = 0; m <= 4; ++m) {
      double sum = 0;
      for (int j = 0; j <= 4; ++j) {
        const double w = (j == 0 || j == 4) ? 0.5 : 1.0;
        sum += w * d[j] * std::cos(m * j * kPi / 4);
      }
      a[m] = 0.5 * sum * ((m == 0 || m == 4) ? 0.5 : 1.0);
    }
    // to monomials in t: T2 = 2t^2-1, T3 = 4t^3-3t, T4 = 8t^4-8t^2+1
    double c[5] = {a[0] - a[2] + a[4], a[1] - 3 * a[3], 2 * a[2] - 8 * a[4], 4 * a[3], 8 * a[4]};
    for (int k = 0; k < 5; ++k) c[k] *= f0;
    auto eval = [&](double t) {
      return f0 + (c[0] + t * (c[1] + t * (c[2] + t * (c[3] + t * c[4]))));
    };
    for (int j = 5; j < 7 && ok; ++j) {
      const double exact = std::exp(h[j]);
      ok = std::abs(eval(tc[j - 5]) - exact) <= 1e-14 * exact;
    }
    if (ok) {
      for (int k = 0; k < 5; ++k) scr_coef_[k * np + p] = c[k];
    } else {
      scr_exact_.push_back(ip);
    }
    scor_[p] = f0;
  }
  scr_valid_ = true;
  scr_ln_ne0_ = std::log(n_e);
}

void Kinetics::weak_recentre(WeakColumn& w, double log_rhoy, bool* clamped) {
  // exact at log_rhoy, and the new centre of the Taylor series (see update;
  // none outside the grid: clamped values are evaluated, and flagged, on
  // every call)
  constexpr double ln10 = 2.302585092994045684;
  const WeakTable& table = net_.tables[w.table];
  const std::vector<double>& g = table.log_rhoy;
  bool outside = false;
  w.rate0 = std::exp(ln10 * table.column_value(w.log_rate, log_rhoy, w.hint, &outside));
  w.nu0 = std::exp(ln10 * table.column_value(w.log_nu, log_rhoy, w.hint, nullptr));
  value_[w.evaluator] = w.rate0;
  if (w.nu_species >= 0) nu_coef_[w.nu_species] += net_.constants.N_A * w.nu0;
  if (outside) {
    *clamped = true;
    w.x_lo = 1, w.x_hi = 0;  // empty window
    return;
  }
  const int i = w.hint;
  w.x0 = log_rhoy;
  const double gap = g[i + 1] - g[i];
  w.dln_rate = ln10 * (w.log_rate[i + 1] - w.log_rate[i]) / gap;
  w.dln_nu = ln10 * (w.log_nu[i + 1] - w.log_nu[i]) / gap;
  // the window: inside the interval (g_i, g_i+1], and |u| <= kWeakTaylorMax
  const double slope = std::max(std::abs(w.dln_rate), std::abs(w.dln_nu));
  const double reach = slope > 0 ? kWeakTaylorMax / slope : gap;
  w.x_lo = std::max(g[i], log_rhoy - reach);
  w.x_hi = std::min(g[i + 1], log_rhoy + reach);
}

void Kinetics::update(const double* Y) {
  const int n = net_.n_species();
  double sumZY = 0, sumAY = 0;
  const double *A = net_.A.data(), *Z = net_.Z.data();
  for (int i = 0; i < n; ++i) {
    sumZY += Z[i] * Y[i];
    sumAY += A[i] * Y[i];
  }
  const double ye = sumZY / sumAY;
  const double n_e = rho_ * sumZY / net_.constants.m_u_C18;
  if (conditions_vary_ && sumZY != last_sumZY_ && !scor_.empty()) {
    // T or rho moves between calls: exact factors (building the n_e
    // interpolant costs 7 evaluations per pair and would rarely be reused)
    const double sqrt_ne = std::sqrt(n_e), cbrt_ne = std::cbrt(n_e);
    for (size_t p = 0; p < scor_.size(); ++p)
      scor_[p] = std::exp(screening_log(static_cast<int>(p), sqrt_ne, cbrt_ne));
    last_sumZY_ = sumZY;
  } else if (sumZY != last_sumZY_ && !scor_.empty()) {
    // screening depends on the composition only through n_e
    const double t = scr_valid_ ? (std::log(n_e) - scr_ln_ne0_) / kScrHalfwidth : 2.0;
    if (scr_valid_ && sumZY == scr_sumZY0_) {
      scor_ = scor0_;  // the exact factors of the centre
    } else if (!(std::abs(t) <= 1.0)) {
      screening_recentre(n_e);
      scr_sumZY0_ = sumZY;
    } else {
      const size_t np = scor_.size();
      // coefficient-major: the pairs' polynomials in one vectorised loop
      const double *c0 = scr_coef_.data(), *c1 = c0 + np, *c2 = c1 + np, *c3 = c2 + np, *c4 = c3 + np;
      const double* s0 = scor0_.data();
      double* sc = scor_.data();
      for (size_t p = 0; p < np; ++p)
        sc[p] = s0[p] + (c0[p] + t * (c1[p] + t * (c2[p] + t * (c3[p] + t * c4[p]))));
      if (!scr_exact_.empty()) {
        const double sqrt_ne = std::sqrt(n_e), cbrt_ne = std::cbrt(n_e);
        for (int p : scr_exact_) scor_[p] = std::exp(screening_log(p, sqrt_ne, cbrt_ne));
      }
    }
    last_sumZY_ = sumZY;
  }

  const double log_rhoy = std::log10(rho_ * ye);
  std::fill(nu_coef_.begin(), nu_coef_.end(), 0.0);
  bool clamped = T_clamped_;

  const double* tp = t_part_.data();
  const double* sc = scor_.data();
  double* val = value_.data();
  // one loop per number of screening pairs, from 1 (group 0, the unscreened
  // rates, is t_part itself, set with it): a fixed inner trip count (the
  // per-rate count 0, 1 or 2 was a mispredicted branch on every rate)
  for (size_t np = 1; np < scr_groups_.size(); ++np) {
    const ScreenGroup& g = scr_groups_[np];
    if (np == 1)
      screened_values<1>(g, tp, sc, val);
    else if (np == 2)
      screened_values<2>(g, tp, sc, val);
    else
      screened_values<0>(g, tp, sc, val, static_cast<int>(np));
  }
  // Tabulated weak rates. Within one interval of a table's log rho*Ye grid a
  // rate is 10^(a + s x): around the point x0 of its last exact evaluation
  // it is rate(x0) exp(u), u = ln 10 s (x - x0), summed here to u^5
  // (truncation u^6/720 < 1e-19 for |u| <= kWeakTaylorMax). A burn moves x
  // only with Ye (|u| <~ 1e-3 over a whole burn at s ~ 1), so the two exp per
  // rate and RHS (9 % of a mesa_80 burn) become polynomials.
  auto expu = [](double u) { return 1 + u * (1 + u / 2 * (1 + u / 3 * (1 + u / 4 * (1 + u / 5)))); };
  const double N_A = net_.constants.N_A;
  for (WeakColumn& w : weak_) {
    if (!(log_rhoy > w.x_lo && log_rhoy <= w.x_hi)) {
      weak_recentre(w, log_rhoy, &clamped);
      continue;
    }
    const double dx = log_rhoy - w.x0;
    value_[w.evaluator] = w.rate0 * expu(w.dln_rate * dx);
    if (w.nu_species >= 0) nu_coef_[w.nu_species] += N_A * (w.nu0 * expu(w.dln_nu * dx));
  }
  table_clamped_ = clamped;

  // The nn_g approximation's 1/(rho Y_n X(n,g)B + X(g,n)A) is singular at a
  // negative Y_n; an integrator's within-tolerance excursion of a neutron
  // abundance that is ~1e-24 (e.g. si28/s32 at 3.5e9 K) reaches that pole.
  // Y_n < 0 is evaluated with |Y_n|, so the flux (reversed for a negative
  // reactant, see fluxes()) is odd in Y_n: no pole, and no kink at 0.
  // (Clamping Y_n to 0 instead left k ~ 1/X(g,n)A, which is ~1e40 below 2e9 K,
  // times Y_n^2 on the negative side: a quadratic so steep that bdf and rodas4
  // could not leave t = 0 for fe52-rich zones at 1.9e9 K, 1.2e9 g/cm3.)
  // For Y_n >= 0 the rate is pynucastro's, bit for bit.
  const double Yn = net_.neutron >= 0 ? std::abs(Y[net_.neutron]) : 0.0;
  for (int i : approx_) {
    const Rate& r = net_.rates[i];
    if (r.kind == RateKind::ApproxApPg) {
      auto v = [&](int slot) { return r.children[slot] >= 0 ? val[r.children[slot]] : 0.0; };
      const double r_pg = v(2), r_pa = v(3), r_pY = v(4);
      const double denom = r_pg + r_pa + r_pY;
      val[i] = r.is_reverse ? v(5) + r_pa * v(6) / denom : v(0) + v(1) * r_pg / denom;
    } else {
      const double X_ng_B = val[r.children[1]], X_gn_A = val[r.children[2]];
      const double denom = rho_ * Yn * X_ng_B + X_gn_A;
      // Below ~2e8 K X(g,n)A underflows (0 at 1e8 K, 7e-298 at 1.5e8 K):
      // at Y_n = 0 pynucastro's forward rate is x/0 and the reverse 0/0,
      // the non-finite RHS of every approx21 burn at T <= 1.5e8 K. The
      // reverse rate is B(g,n)X times the branching fraction X(g,n)A/denom,
      // which is 1 at Y_n = 0. The forward rate enters the flux as
      // k Y_A Y_n^2 <= rho Y_A Y_n 2 A(n,g)X: its denominator is floored at
      // Y_n = kNnGYnFloor, which changes only fluxes below ~1e-80 /s and
      // keeps k (and k d ln k/dY_n in the Jacobian) finite.
      val[i] = r.is_reverse ? val[r.children[3]] * (denom > 0 ? X_gn_A / denom : 1.0)
                            : 2.0 * val[r.children[0]] * X_ng_B /
                                  std::max(denom, rho_ * kNnGYnFloor * X_ng_B);
    }
  }

  // k of each rate (rate_k) is formed where it is used: in the flux loop of
  // ydot and in add_jacobian (a separate pass over the rates storing k was
  // 5 % of a burn)
  ye_ = ye;
  for (int m : nng_m_) {
    // both directions carry 1 / (rho Y_n X(n,g)B + X(g,n)A)
    const Rate& r = net_.rates[net_.network_rates[m]];
    const double X_ng_B = val[r.children[1]], X_gn_A = val[r.children[2]];
    // d|Y_n|/dY_n = -1 on the negative side
    const double denom = rho_ * Yn * X_ng_B + X_gn_A;
    const double dlnk = denom > rho_ * kNnGYnFloor * X_ng_B ? -rho_ * X_ng_B / denom : 0.0;
    dlnk_dYn_[m] = Y[net_.neutron] < 0 ? -dlnk : dlnk;
  }
}

void Kinetics::ydot(const double* Y, double* dYdt, double* eps_nu, double* gross) const {
  const int n = net_.n_species();
  ybuf_.resize(static_cast<size_t>(n));
  negbuf_.resize(static_cast<size_t>(n));
  bool any_negative = false;
  for (int i = 0; i < n; ++i) {
    ybuf_[i] = std::abs(Y[i]);
    negbuf_[i] = Y[i] < 0;
    any_negative |= Y[i] < 0;
  }
  const double* yb = ybuf_.data();
  const char* nb = negbuf_.data();
  double* flux = flux_.data();
  // the Ye weight by lookup, not a branch (irregular over the rates)
  const double ye_factor[2] = {1.0, ye_};
  const FluxLayout& L = net_.flux_layout;
  const FluxArgs args{k_slot_.data(), value_.data(), ye_factor, yb, nb, flux};
  for (const FluxLayout::Group& g : L.groups) {
    if (any_negative)
      group_fluxes<true>(g, args);
    else
      group_fluxes<false>(g, args);
  }
  // dY/dt from each reaction's net flux, forward minus reverse (see
  // FluxLayout). gross (the round-off each flux carries into dY/dt) sums
  // the sizes of a reaction's fluxes, which a forward and a reverse that
  // cancel both count: sum_r |coef| (|f_fwd| + |f_rev|) = sum over the
  // rates of |coef f|. dY/dt is the same number with or without it.
  double* net = reaction_flux_.data();
  const int *tb = L.net_begin.data(), *tr = L.net_reaction.data();
  const double* nc = L.net_coef.data();
  if (gross) {
    double* size = reaction_size_.data();
    reaction_fluxes<true>(L, flux, net, size);
    sum_terms<true>(n, tb, tr, nc, net, dYdt, size, gross);
  } else {
    reaction_fluxes<false>(L, flux, net, nullptr);
    sum_terms<false>(n, tb, tr, nc, net, dYdt, nullptr, nullptr);
  }
  if (eps_nu) {
    double e = 0;
    for (int i = 0; i < n; ++i) e += nu_coef_[i] * Y[i];
    *eps_nu = e;
  }
}

template <class Add>
void Kinetics::jacobian_terms(const double* Y, double scale, bool exact, Add add) const {
  // derivatives of flux = sgn k prod |Y_q|^p_q (sgn = -1 if any Y_q < 0,
  // see fluxes()) with sgn held fixed; the rates' terms from the flat
  // arrays of Network::flux_layout (the Rate structs' own vectors were a
  // pointer chase per rate)
  const FluxLayout& L = net_.flux_layout;
  const int *fs = L.fac_species.data(), *fp = L.fac_power.data();
  const int* ts = L.rate_species.data();
  const double* tc = L.rate_coef.data();
  for (size_t m = 0; m < L.nng.size(); ++m) {
    const int f0 = L.fac_begin[m], f1 = L.fac_begin[m + 1];
    const int s0 = L.rate_species_begin[m], ns = L.rate_species_begin[m + 1] - s0;
    int slot = net_.jac_begin[m];
    double sgn = 1;
    for (int q = f0; q < f1; ++q)
      if (Y[fs[q]] < 0) sgn = -1;
    if (L.nng[m]) {
      if (exact && dlnk_dYn_[m] != 0.0) {
        double flux = sgn * scale * rate_k(m) * dlnk_dYn_[m];
        for (int q = f0; q < f1; ++q) flux *= ipow(std::abs(Y[fs[q]]), fp[q]);
        for (int q = 0; q < ns; ++q) add(slot + q, ts[s0 + q], net_.neutron, tc[s0 + q] * flux);
      }
      slot += ns;
    }
    for (int dq = f0; dq < f1; ++dq) {
      // d flux / d Y_j with j = fs[dq]
      double d = sgn * scale * rate_k(m);
      for (int q = f0; q < f1; ++q) {
        const double y = Y[fs[q]];
        const int p = fp[q];
        d *= (q == dq) ? (y < 0 ? -1.0 : 1.0) * p * ipow(std::abs(y), p - 1) : ipow(std::abs(y), p);
      }
      const int j = fs[dq];
      for (int q = 0; q < ns; ++q) add(slot + q, ts[s0 + q], j, tc[s0 + q] * d);
      slot += ns;
    }
  }
}

void Kinetics::add_jacobian(const double* Y, double* J, double scale, bool exact) const {
  const size_t n = static_cast<size_t>(net_.n_species());
  jacobian_terms(Y, scale, exact, [&](size_t, int i, int j, double v) { J[i * n + j] += v; });
}

void Kinetics::add_jacobian_packed(const double* Y, double* J, bool exact) const {
  const int* pos = net_.jac_pos.data();
  jacobian_terms(Y, 1.0, exact, [&](size_t slot, int, int, double v) { J[pos[slot]] += v; });
}

}  // namespace nnn
