// Sums over the species of a zone with four partial sums: four independent
// chains of additions instead of one, so that a sum over n species costs ~n
// cycles rather than ~4n (the latency of an addition). Measured: the emulator
// path's per-zone checks on mesa_151 (six such sums of 151 terms) took ~1 us of
// a 7 us zone with one chain. The order of the additions differs from a plain
// loop's, so results differ at round-off.
#pragma once

namespace nnn {

inline double sum(const double* x, int n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += x[i];
    s1 += x[i + 1];
    s2 += x[i + 2];
    s3 += x[i + 3];
  }
  for (; i < n; ++i) s0 += x[i];
  return (s0 + s1) + (s2 + s3);
}

inline double dot(const double* a, const double* b, int n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

// min_i x_i (NaNs are skipped: a sum() of the same x tells them, and infinities, apart)
inline double min_of(const double* x, int n) {
  double m0 = x[0], m1 = x[0], m2 = x[0], m3 = x[0];
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    m0 = x[i] < m0 ? x[i] : m0;
    m1 = x[i + 1] < m1 ? x[i + 1] : m1;
    m2 = x[i + 2] < m2 ? x[i + 2] : m2;
    m3 = x[i + 3] < m3 ? x[i + 3] : m3;
  }
  for (; i < n; ++i) m0 = x[i] < m0 ? x[i] : m0;
  m0 = m1 < m0 ? m1 : m0;
  m2 = m3 < m2 ? m3 : m2;
  return m2 < m0 ? m2 : m0;
}

}  // namespace nnn
