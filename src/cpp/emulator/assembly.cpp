// The BurnStepNet assembly in C++: see assembly.hpp. Compiled with
// -fno-math-errno (CMakeLists.txt) so that the exp and log loops vectorise
// (libmvec.hpp).
#include "assembly.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "libmvec.hpp"
#include "nnn/sums.hpp"

namespace nnn::emulator {

namespace {

// Every per-isotope array is padded to whole blocks of kLanes (zeros, and -inf in
// the logarithms, so that the padding adds nothing), and every sum and maximum is
// kept per lane: eight independent chains in vector registers instead of one (the
// order of the additions differs from torch's at round-off).
constexpr int kLanes = 8;

int padded(int n) { return (n + kLanes - 1) / kLanes * kLanes; }

// kLanes doubles as one value (GCC and Clang vector extensions): one AVX-512
// register in the avx512f clone, two or four in the others
typedef double Lanes __attribute__((vector_size(kLanes * sizeof(double))));

// (by reference: a vector returned by value warns of an ABI that differs between the clones)
inline void load(Lanes& v, const double* p) { std::memcpy(&v, p, sizeof v); }

inline double lanes_max(const Lanes& m) {
  double r = m[0];
  for (int k = 1; k < kLanes; ++k) r = m[k] > r ? m[k] : r;
  return r;
}

inline double lanes_sum(const Lanes& m) {
  double r = 0;
  for (int k = 0; k < kLanes; ++k) r += m[k];
  return r;
}

// The vector exp and log take libm's slow scalar path (20-50 ns a lane) for
// arguments outside their fast range: exp of less than kExpUnderflow (where the
// result is subnormal or 0), log of 0 or a subnormal. Results there are set with a
// select after a clamped call. The clamp bounds are parameters, not constants:
// given log(max(x, constant)) GCC calls log(x) and selects log(constant) after.

// Below this exponent e^x is subnormal (2.2e-308) and counts as 0
constexpr double kExpUnderflow = -708.0;
// Arguments of log below this (ln 1e-300 = -690.8, far below any floor used here)
constexpr double kLogTiny = 1e-300;
// BurnStepNet.trunk_input's clamp of X0 before its log
constexpr double kTrunkTiny = 1e-37;

// max_i (a_i + lam z_i) over n8 entries
NNN_VECTOR_CLONES double max_shifted(const double* a, double lam, const double* z, int n8) {
  Lanes m, ai, zi;
  load(ai, a);
  load(zi, z);
  m = ai + lam * zi;
  for (int i = kLanes; i < n8; i += kLanes) {
    load(ai, a + i);
    load(zi, z + i);
    const Lanes u = ai + lam * zi;
    m = m > u ? m : u;
  }
  return lanes_max(m);
}

// w_i = exp(a_i + lam z_i - shift) (0 where the exponent is below `underflow`) over
// n8 entries; returns sum_i w_i
NNN_VECTOR_CLONES double exp_shifted(const double* a, double lam, const double* z, double shift,
                                     double underflow, int n8, double* w) {
  for (int i = 0; i < n8; ++i) {
    const double u = a[i] + lam * z[i] - shift;
    const double e = std::exp(std::max(u, underflow));
    w[i] = u < underflow ? 0.0 : e;
  }
  Lanes s = {}, wi;
  for (int i = 0; i < n8; i += kLanes) {
    load(wi, w + i);
    s += wi;
  }
  return lanes_sum(s);
}

// ln X0_i as the model's inputs see it: ln max(X0_i, tiny), floored at log_floor
NNN_VECTOR_CLONES void log_abundance(const double* x0, double tiny, double log_floor, int n8, double* lx) {
  for (int i = 0; i < n8; ++i) lx[i] = std::max(std::log(std::max(x0[i], tiny)), log_floor);
}

// The trunk's composition inputs (BurnStepNet.trunk_input): X0_i and
// 1 + 2 lx_i / -log_floor with lx_i = max(ln max(X0_i, tiny), log_floor), in double
// and rounded to float32 once, as the model does (tiny = 1e-37 as its clamp; a
// parameter: see kExpUnderflow); lx_i kept for assemble()
NNN_VECTOR_CLONES void trunk_composition(const double* x0, double tiny, double log_floor, int n, float* x0f,
                                         float* lxs, double* lx) {
  const double neg_floor = -log_floor;
  for (int i = 0; i < n; ++i) {
    const double l = std::max(std::log(std::max(x0[i], tiny)), log_floor);
    lx[i] = l;
    x0f[i] = static_cast<float>(x0[i]);
    lxs[i] = static_cast<float>(1.0 + 2.0 * l / neg_floor);
  }
}

// b_i = ln(p_i |zeta_i - ye_t|) and the side of each isotope (plus_i, minus_i: 1 or 0);
// an isotope at ye_t exactly is on neither side (b = -inf)
NNN_VECTOR_CLONES void tilt_weights(const double* logp, const double* z, double ye_t, double tiny, int n8,
                                    double* b, double* plus, double* minus) {
  for (int i = 0; i < n8; ++i) {
    const double d = z[i] - ye_t;
    const double ln_d = std::log(std::max(std::abs(d), tiny));
    b[i] = d != 0 ? logp[i] + ln_d : -std::numeric_limits<double>::infinity();
    plus[i] = d > 0 ? 1.0 : 0.0;
    minus[i] = d < 0 ? 1.0 : 0.0;
  }
}

// One evaluation of the tilt's sums at lam, over n8 entries: s = {S+, sum+ w zeta,
// S-, sum- w zeta}, all relative to one shift (the largest exponent), so that
// neither overflows
NNN_VECTOR_CLONES void tilt_sums(const double* b, const double* z, const double* plus, const double* minus,
                                 double lam, double underflow, int n8, double* w, double s[4]) {
  const double shift = max_shifted(b, lam, z, n8);
  exp_shifted(b, lam, z, shift, underflow, n8, w);
  Lanes sp = {}, spz = {}, sm = {}, smz = {}, wi, zi, pi, mi;
  for (int i = 0; i < n8; i += kLanes) {
    load(wi, w + i);
    load(zi, z + i);
    load(pi, plus + i);
    load(mi, minus + i);
    const Lanes wp = wi * pi, wm = wi * mi;
    sp += wp;
    spz += wp * zi;
    sm += wm;
    smz += wm * zi;
  }
  s[0] = lanes_sum(sp);
  s[1] = lanes_sum(spz);
  s[2] = lanes_sum(sm);
  s[3] = lanes_sum(smz);
}

// The tilt's weights per group of isotopes with one Z/A: b_g = shift + ln(W_g |zeta_g -
// ye_t|) (W_g: the group's sum of p_i e^-shift, >= kGroupedMin), the sides as in
// tilt_weights; a group at ye_t exactly, or a padding entry (W = 0), is on neither
// side (b = -inf). One log per group: a product W_g |zeta_g - ye_t| below kLogScaled
// (it can be as small as kGroupedMin * kLogTiny = 1e-590) is scaled by 2^1000 into the
// normal range first.
constexpr double kGroupedMin = 1e-290;
constexpr double kLogScaled = 1e-290;
NNN_VECTOR_CLONES void group_weights(const double* wg, const double* z, double ye_t, double shift, double tiny,
                                     int k8, double* b, double* plus, double* minus) {
  const double two_1000 = std::ldexp(1.0, 1000), ln_two_1000 = 1000 * std::log(2.0);
  for (int g = 0; g < k8; ++g) {
    const double d = z[g] - ye_t;
    const double u = wg[g] * std::max(std::abs(d), tiny);
    const bool scaled = u < kLogScaled;
    const double ln_u = std::log(std::max(scaled ? u * two_1000 : u, tiny)) - (scaled ? ln_two_1000 : 0.0);
    b[g] = d != 0 && wg[g] > 0 ? shift + ln_u : -std::numeric_limits<double>::infinity();
    plus[g] = d > 0 ? 1.0 : 0.0;
    minus[g] = d < 0 ? 1.0 : 0.0;
  }
}

}  // namespace

// The padded copies of a model's constants, and its groups of isotopes with one
// value of Z/A: the tilt sums over the groups, each with its isotopes' summed
// weight, as many exponentials per iteration as there are groups (mesa_151: 151
// isotopes, 96 values of Z/A, one of them shared by 21 isotopes; mesa_80: 80, 50).
struct Assembly::Tables {
  int n, n8, k = 0, k8;
  bool group_pays;                           // grouping saves at least a third of the entries
  std::vector<int> group;                    // group[i]: the group of isotope i
  std::vector<double> skip, zeta, q;         // constants, padded with 0
  std::vector<double> zeta_g;                // each group's Z/A, padded with 0

  Tables(const AssemblyConstants& c, TiltSums how)
      : n(c.n), n8(padded(c.n)), group(c.n), skip(n8, 0.0), zeta(n8, 0.0), q(n8, 0.0) {
    std::copy(c.skip.begin(), c.skip.end(), skip.begin());
    std::copy(c.zeta.begin(), c.zeta.end(), zeta.begin());
    std::copy(c.q.begin(), c.q.end(), q.begin());
    std::vector<int> by_zeta(n);  // groups in increasing Z/A
    std::iota(by_zeta.begin(), by_zeta.end(), 0);
    std::sort(by_zeta.begin(), by_zeta.end(), [&](int i, int j) { return c.zeta[i] < c.zeta[j]; });
    for (int i : by_zeta) {
      if (zeta_g.empty() || c.zeta[i] != zeta_g.back()) zeta_g.push_back(c.zeta[i]);
      group[i] = static_cast<int>(zeta_g.size()) - 1;
    }
    k = static_cast<int>(zeta_g.size());
    k8 = padded(k);
    zeta_g.resize(k8, 0.0);
    // the group sums cost about what a tilt over 30 % fewer entries saves. assemble()
    // on the network outputs of 1000 bench zones, best of 300: mesa_80 (56 of 80 padded
    // entries) 1.19-1.29 -> 1.26-1.33 us/zone grouped, mesa_151 (96 of 152) 2.15-2.27 ->
    // 1.83-1.90 (docs/emulator_studies.md, "Cost")
    group_pays = how == TiltSums::Groups || (how == TiltSums::Auto && 3 * k8 <= 2 * n8);
  }
};

namespace {

using Tables = Assembly::Tables;

// The scratch of one call, padded as the tables
struct Scratch {
  std::vector<double> x0, lx, logp, p, w, b, plus, minus, wg;
  explicit Scratch(const Tables& t)
      : x0(t.n8, 0.0), lx(t.n8), logp(t.n8, -std::numeric_limits<double>::infinity()), p(t.n8, 0.0), w(t.n8),
        b(t.n8), plus(t.n8), minus(t.n8), wg(t.k8, 0.0) {}
};

// BurnStepNet.tilt: safeguarded Newton on phi(lam) = ln S+ - ln S-,
// S+- = sum over zeta_i >< ye_t of p_i |zeta_i - ye_t| e^(lam zeta_i), with
// ws.logp = ln p_i (up to a constant), ws.p = p_i e^-shift. The sums run over the
// groups of equal Z/A when every p_i e^-shift is at least kGroupedMin (the usual
// case: ln p spans ~140-490 in the shipped models), else over the isotopes (then only
// ws.logp is used).
double tilt(const AssemblyConstants& c, const Tables& t, Scratch& ws, double ye_t, double shift, bool grouped) {
  const double* z;
  int m8;
  if (grouped) {
    std::fill(ws.wg.begin(), ws.wg.end(), 0.0);
    for (int i = 0; i < t.n; ++i) ws.wg[t.group[i]] += ws.p[i];
    z = t.zeta_g.data();
    m8 = t.k8;
    group_weights(ws.wg.data(), z, ye_t, shift, kLogTiny, m8, ws.b.data(), ws.plus.data(), ws.minus.data());
  } else {
    z = t.zeta.data();
    m8 = t.n8;
    tilt_weights(ws.logp.data(), z, ye_t, kLogTiny, m8, ws.b.data(), ws.plus.data(), ws.minus.data());
  }
  double lam = 0, lo = -c.lam_max, hi = c.lam_max, dx_old = 2 * c.lam_max;
  double s[4];
  for (int it = 0; it < c.n_tilt; ++it) {
    // a side below e^-708 of the other gives phi = +-inf (or nan), and the step
    // below is then a bisection (torch's: below e^-745)
    tilt_sums(ws.b.data(), z, ws.plus.data(), ws.minus.data(), lam, kExpUnderflow, m8, ws.w.data(), s);
    const double phi = std::log(s[0] / s[2]);  // one log: ln S+ - ln S-
    const double dx = -phi / (s[1] / s[0] - s[3] / s[2]);
    if (phi > 0) hi = lam;
    else lo = lam;  // as torch.where(phi > 0, ...): a nan phi moves lo
    bool ok = lam + dx > lo && lam + dx < hi;
    if (std::abs(phi) <= 1e-9) return ok ? lam + dx : lam;
    if (it >= 12) {
      const bool two_sided = lo > -c.lam_max && hi < c.lam_max;
      ok = ok && (2 * std::abs(dx) <= std::abs(dx_old) || !two_sided);
    }
    const double next = ok ? lam + dx : 0.5 * (lo + hi);
    dx_old = next - lam;
    lam = next;
  }
  return lam;
}

// ws.p = p_i e^-a_max over the isotopes (0 in the padding) from ws.logp; returns
// a_max = max_i ln p_i, and whether the tilt may group (see kGroupedMin)
double relative_weights(const Tables& t, Scratch& ws, double& sum_p, bool& grouped) {
  const double a_max = max_shifted(ws.logp.data(), 0, t.zeta.data(), t.n8);
  sum_p = exp_shifted(ws.logp.data(), 0, t.zeta.data(), a_max, kExpUnderflow, t.n8, ws.p.data());
  grouped = t.group_pays && nnn::min_of(ws.logp.data(), t.n) - a_max >= std::log(kGroupedMin);
  return a_max;
}

}  // namespace

Assembly::Assembly(AssemblyConstants c, TiltSums how)
    : c_(std::move(c)), t_(std::make_shared<const Tables>(c_, how)) {}

double Assembly::ye_tilt(const double* logp, double ye_t) const {
  const Tables& t = *t_;
  Scratch ws(t);
  std::copy(logp, logp + t.n, ws.logp.begin());
  double sum_p;
  bool grouped;
  const double a_max = relative_weights(t, ws, sum_p, grouped);
  return tilt(c_, t, ws, ye_t, a_max, grouped);
}

bool Assembly::shares_log_abundance() const {
  // the trunk clamps X0 at 1e-37 before its log, the assembly at 1e-300: with a
  // floor above ln 1e-37 both are max(ln X0, log_floor), exactly
  return c_.log_floor >= std::log(static_cast<double>(kTrunkTiny));
}

void Assembly::trunk_input(const double* in, int m, float* z, double* ln_x0) const {
  const AssemblyConstants& c = c_;
  const int n = c.n, n_in = n + 3, n_z = 3 + 2 * n;
  if (c.in_center.size() != 3 || c.in_half.size() != 3)
    throw std::logic_error("Assembly::trunk_input: the model's in_center and in_half were not read");
  if (!shares_log_abundance())
    throw std::logic_error("Assembly::trunk_input: log_floor below ln 1e-37 (see shares_log_abundance)");
  float center[3], half[3];
  for (int k = 0; k < 3; ++k) {
    center[k] = static_cast<float>(c.in_center[k]);
    half[k] = static_cast<float>(c.in_half[k]);
  }
  for (int r = 0; r < m; ++r) {
    const double* x = in + static_cast<size_t>(r) * n_in;
    float* zr = z + static_cast<size_t>(r) * n_z;
    for (int k = 0; k < 3; ++k) zr[k] = (static_cast<float>(x[k]) - center[k]) / half[k];
    trunk_composition(x + 3, kTrunkTiny, c.log_floor, n, zr + 3, zr + 3 + n, ln_x0 + static_cast<size_t>(r) * n);
  }
}

void Assembly::assemble(const float* parts, const double* in, int m, double* out, const double* ln_x0) const {
  const AssemblyConstants& c = c_;
  const Tables& t = *t_;
  const int n = c.n, n_in = n + 3, n_parts = n + 4, n_out = n + 3;
  Scratch ws(t);
  const int n8 = t.n8;
  double* lp = ws.logp.data();
  double* x0 = ws.x0.data();
  for (int r = 0; r < m; ++r) {
    const float* p = parts + static_cast<size_t>(r) * n_parts;
    const double* x = in + static_cast<size_t>(r) * n_in;
    double* y = out + static_cast<size_t>(r) * n_out;
    const double dt = std::pow(10.0, x[2]);
    std::copy(x + 3, x + 3 + n, x0);

    // logits h_i + s_i ln X0_i through a log-softmax
    if (ln_x0) std::copy(ln_x0 + static_cast<size_t>(r) * n, ln_x0 + static_cast<size_t>(r + 1) * n, ws.lx.data());
    else log_abundance(x0, kLogTiny, c.log_floor, n8, ws.lx.data());
    for (int i = 0; i < n; ++i) lp[i] = static_cast<double>(p[i]) + t.skip[i] * ws.lx[i];
    double sum_p;
    bool grouped;
    const double a_max = relative_weights(t, ws, sum_p, grouped);
    const double log_norm = a_max + std::log(sum_p);
    for (int i = 0; i < n; ++i) lp[i] -= log_norm;

    // the target Ye: Ye0 plus the dYe head's rate times dt, within the trained bounds
    const double ye0 = nnn::dot(x0, t.zeta.data(), n) / std::max(nnn::sum(x0, n), 1e-30);
    const double dye = std::clamp(std::sinh(static_cast<double>(p[n])) * c.dye_scale * dt, -c.dye_max, c.dye_max);
    const double ye_t = std::clamp(ye0 + dye, c.ye_lo, c.ye_hi);

    // X = softmax(logp + lam zeta), written to w (padded), then to the output row
    const double lam = tilt(c, t, ws, ye_t, a_max - log_norm, grouped);
    const double t_max = max_shifted(lp, lam, t.zeta.data(), n8);
    const double s = exp_shifted(lp, lam, t.zeta.data(), t_max, kExpUnderflow, n8, ws.w.data());
    for (int i = 0; i < n8; ++i) ws.w[i] /= s;
    std::copy(ws.w.begin(), ws.w.begin() + n, y);

    const double eps_nu = std::sinh(static_cast<double>(p[n + 2])) * c.eps_nu_scale;
    const double eps_nuc = c.eps_from_composition
                               ? nnn::dot(x0, t.q.data(), n) - nnn::dot(ws.w.data(), t.q.data(), n) - eps_nu * dt
                               : std::sinh(static_cast<double>(p[n + 1])) * c.eps_nuc_scale * dt;
    y[n] = eps_nuc;
    y[n + 1] = eps_nu;
    y[n + 2] = std::pow(10.0, static_cast<double>(p[n + 3]));
  }
}

}  // namespace nnn::emulator
