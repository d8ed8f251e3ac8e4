#include "vector_math.hpp"

#include "libmvec.hpp"

namespace nnn::emulator {

NNN_VECTOR_CLONES void exp_scaled(const double* x, double scale, int n, double* out) {
  for (int i = 0; i < n; ++i) out[i] = std::exp(scale * x[i]);
}

}  // namespace nnn::emulator
