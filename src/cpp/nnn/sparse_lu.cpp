#include "sparse_lu.hpp"

#include <cmath>

namespace nnn {

SparseLU::SparseLU(int n, const std::vector<std::vector<int>>& pattern) : n_(n) {
  // symbolic elimination: fill(i,j) |= fill(i,k) && fill(k,j) for k < i, j
  std::vector<std::vector<char>> f(n, std::vector<char>(n, 0));
  for (int i = 0; i < n; ++i) {
    f[i][i] = 1;
    for (int j : pattern[i]) f[i][j] = 1;
  }
  for (int k = 0; k < n; ++k)
    for (int i = k + 1; i < n; ++i)
      if (f[i][k])
        for (int j = k + 1; j < n; ++j)
          if (f[k][j]) f[i][j] = 1;
  below_.resize(n);
  right_.resize(n);
  left_.resize(n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      if (!f[i][j]) continue;
      ++nnz_;
      entries_.push_back(i * n + j);
      if (j < i) {
        below_[j].push_back(i);
        left_[i].push_back(j);
      } else if (j > i) {
        right_[i].push_back(j);
      }
    }
}

bool SparseLU::factor(double* a) const {
  const int n = n_;
  for (int k = 0; k < n; ++k) {
    const double piv = a[k * n + k];
    if (!(piv > 0) || !std::isfinite(piv)) return false;
    const double inv = 1.0 / piv;
    const double* rowk = a + k * n;
    for (int i : below_[k]) {
      double* rowi = a + i * n;
      const double l = (rowi[k] *= inv);
      if (l == 0.0) continue;
      for (int j : right_[k]) rowi[j] -= l * rowk[j];
    }
  }
  return true;
}

void SparseLU::solve(const double* lu, double* b) const {
  const int n = n_;
  for (int i = 0; i < n; ++i) {
    double s = b[i];
    const double* row = lu + i * n;
    for (int j : left_[i]) s -= row[j] * b[j];
    b[i] = s;
  }
  for (int i = n - 1; i >= 0; --i) {
    double s = b[i];
    const double* row = lu + i * n;
    for (int j : right_[i]) s -= row[j] * b[j];
    b[i] = s / row[i];
  }
}

}  // namespace nnn
