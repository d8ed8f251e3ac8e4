#include "sparse_lu.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace nnn {

namespace {

// Greedy minimum-degree ordering of the symmetrised pattern.
std::vector<int> minimum_degree(int n, const std::vector<std::vector<int>>& pattern) {
  std::vector<std::set<int>> adj(n);
  for (int i = 0; i < n; ++i)
    for (int j : pattern[i])
      if (j != i) {
        adj[i].insert(j);
        adj[j].insert(i);
      }
  std::vector<char> done(n, 0);
  std::vector<int> order;
  for (int step = 0; step < n; ++step) {
    int best = -1;
    for (int v = 0; v < n; ++v)
      if (!done[v] && (best < 0 || adj[v].size() < adj[best].size())) best = v;
    order.push_back(best);
    done[best] = 1;
    std::vector<int> nb(adj[best].begin(), adj[best].end());
    for (int u : nb) {
      adj[u].erase(best);
      for (int w : nb)
        if (w != u) adj[u].insert(w);
    }
    adj[best].clear();
  }
  return order;
}

}  // namespace

SparseLU::SparseLU(int n, const std::vector<std::vector<int>>& pattern) : n_(n) {
  order_ = minimum_degree(n, pattern);
  std::vector<int> pos(n);  // species -> elimination step
  for (int k = 0; k < n; ++k) pos[order_[k]] = k;
  // symbolic factorisation in elimination order (p, q are steps)
  std::vector<std::vector<char>> f(n, std::vector<char>(n, 0));
  for (int i = 0; i < n; ++i) {
    f[pos[i]][pos[i]] = 1;
    for (int j : pattern[i]) f[pos[i]][pos[j]] = 1;
  }
  auto off = [&](int p, int q) { return order_[p] * n + order_[q]; };
  row_begin_.push_back(0);
  for (int k = 0; k < n; ++k) {
    piv_off_.push_back(off(k, k));
    for (int i = k + 1; i < n; ++i) {
      if (!f[i][k]) continue;
      row_off_.push_back(off(i, k));
      upd_begin_.push_back(static_cast<int>(upd_dst_.size()));
      for (int j = k + 1; j < n; ++j)
        if (f[k][j]) {
          f[i][j] = 1;
          upd_dst_.push_back(off(i, j));
          upd_src_.push_back(off(k, j));
        }
    }
    row_begin_.push_back(static_cast<int>(row_off_.size()));
  }
  upd_begin_.push_back(static_cast<int>(upd_dst_.size()));
  l_begin_.push_back(0);
  u_begin_.push_back(0);
  for (int p = 0; p < n; ++p) {
    for (int q = 0; q < n; ++q) {
      if (!f[p][q]) continue;
      entries_.push_back(off(p, q));
      if (q < p) {
        l_off_.push_back(off(p, q));
        l_col_.push_back(order_[q]);
      } else if (q > p) {
        u_off_.push_back(off(p, q));
        u_col_.push_back(order_[q]);
      }
    }
    l_begin_.push_back(static_cast<int>(l_off_.size()));
    u_begin_.push_back(static_cast<int>(u_off_.size()));
  }
}

bool SparseLU::factor(double* a, double* lu) const {
  int r = 0;
  for (int k = 0; k < n_; ++k) {
    const double piv = a[piv_off_[k]];
    if (!(piv > 0) || !std::isfinite(piv)) return false;
    const double inv = 1.0 / piv;
    for (; r < row_begin_[k + 1]; ++r) {
      const double l = (a[row_off_[r]] *= inv);
      if (l == 0.0) continue;
      for (int u = upd_begin_[r]; u < upd_begin_[r + 1]; ++u) a[upd_dst_[u]] -= l * a[upd_src_[u]];
    }
  }
  // packed: L values, U values, then 1/U(p,p) in elimination order
  for (int off : l_off_) *lu++ = a[off];
  for (int off : u_off_) *lu++ = a[off];
  for (int p = 0; p < n_; ++p) *lu++ = 1.0 / a[order_[p] * (n_ + 1)];
  return true;
}

void SparseLU::solve(const double* lu, double* b) const {
  // rows are visited in elimination order; two partial sums per row halve
  // the dependency chain of the longest rows (n, p, he4 couple to all)
  const double* L = lu;
  const double* U = L + l_off_.size();
  const double* inv_diag = U + u_off_.size();
  auto row = [b](const double* v, const int* col, int begin, int end) {
    double s0 = 0, s1 = 0;
    int e = begin;
    for (; e + 1 < end; e += 2) {
      s0 += v[e] * b[col[e]];
      s1 += v[e + 1] * b[col[e + 1]];
    }
    if (e < end) s0 += v[e] * b[col[e]];
    return s0 + s1;
  };
  for (int p = 0; p < n_; ++p) b[order_[p]] -= row(L, l_col_.data(), l_begin_[p], l_begin_[p + 1]);
  for (int p = n_ - 1; p >= 0; --p) {
    const int i = order_[p];
    b[i] = (b[i] - row(U, u_col_.data(), u_begin_[p], u_begin_[p + 1])) * inv_diag[p];
  }
}

}  // namespace nnn
