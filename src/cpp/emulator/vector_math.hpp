// Elementwise math over arrays, vectorised (libmvec.hpp) for the emulator
// path's per-zone checks.
#pragma once

namespace nnn::emulator {

// out_i = exp(scale * x_i), i < n (out may be x). For arguments whose result is
// subnormal the vector exp takes libm's scalar path for that lane (slower, same
// value).
void exp_scaled(const double* x, double scale, int n, double* out);

}  // namespace nnn::emulator
