#include "sparse_lu.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace nnn {

namespace {

// Greedy minimum-degree ordering of the symmetrised pattern: at each step the
// lowest-numbered remaining node of least degree; its neighbours become a
// clique. Adjacency as sorted vectors merged per update: linear in the degrees
// with no allocation per edge (std::set made this ~5x slower at 2000 species).
std::vector<int> minimum_degree(int n, const std::vector<std::vector<int>>& pattern) {
  std::vector<std::vector<int>> adj(n);
  for (int i = 0; i < n; ++i)
    for (int j : pattern[i])
      if (j != i) {
        adj[i].push_back(j);
        adj[j].push_back(i);
      }
  for (auto& a : adj) {
    std::sort(a.begin(), a.end());
    a.erase(std::unique(a.begin(), a.end()), a.end());
  }
  std::vector<char> done(n, 0);
  std::vector<int> order, nb, merged;
  for (int step = 0; step < n; ++step) {
    int best = -1;
    for (int v = 0; v < n; ++v)
      if (!done[v] && (best < 0 || adj[v].size() < adj[best].size())) best = v;
    order.push_back(best);
    done[best] = 1;
    nb.swap(adj[best]);  // sorted, without best
    for (int u : nb) {
      // adj[u] <- (adj[u] u nb) \ {u, best}
      merged.clear();
      std::set_union(adj[u].begin(), adj[u].end(), nb.begin(), nb.end(), std::back_inserter(merged));
      adj[u].clear();
      for (int w : merged)
        if (w != u && w != best) adj[u].push_back(w);
    }
    nb.clear();
    adj[best].clear();
  }
  return order;
}

}  // namespace

SparseLU::SparseLU(int n, const std::vector<std::vector<int>>& pattern) : n_(n) {
  order_ = minimum_degree(n, pattern);
  std::vector<int> pos(n);  // species -> elimination step
  for (int k = 0; k < n; ++k) pos[order_[k]] = k;
  // symbolic factorisation row by row in elimination order (p, q are steps):
  // row p of L + U is its own pattern plus U(q, .) of every q < p in it,
  // taken in increasing q (fill from one q can add a later q). O(n) marks,
  // entries + multiply-adds of work; no n x n table.
  std::vector<char> mark(n, 0);
  std::vector<int> cols, u_steps;  // u_steps: step columns of U rows, by u_begin_
  l_begin_.push_back(0);
  u_begin_.push_back(0);
  for (int p = 0; p < n; ++p) {
    cols.clear();
    auto add = [&](int q) {
      if (!mark[q]) {
        mark[q] = 1;
        cols.push_back(q);
      }
    };
    add(p);
    for (int j : pattern[order_[p]]) add(pos[j]);
    for (int q = 0; q < p; ++q)
      if (mark[q])
        for (int u = u_begin_[q]; u < u_begin_[q + 1]; ++u) add(u_steps[u]);
    std::sort(cols.begin(), cols.end());
    for (int q : cols) {
      mark[q] = 0;
      entries_.push_back(order_[p] * n + order_[q]);
      entry_col_.push_back(order_[q]);
      if (q < p) {
        l_col_.push_back(order_[q]);
        l_step_.push_back(q);
      } else if (q > p) {
        u_col_.push_back(order_[q]);
        u_steps.push_back(q);
      }
    }
    l_begin_.push_back(static_cast<int>(l_col_.size()));
    u_begin_.push_back(static_cast<int>(u_col_.size()));
  }
}

std::vector<int> SparseLU::entry_indices(const std::vector<std::pair<int, int>>& ij) const {
  std::vector<std::vector<std::pair<int, int>>> row(n_);  // by species: (column, k)
  for (size_t k = 0; k < entries_.size(); ++k)
    row[entries_[k] / n_].emplace_back(entry_col_[k], static_cast<int>(k));
  for (auto& r : row) std::sort(r.begin(), r.end());
  std::vector<int> out;
  out.reserve(ij.size());
  for (const auto& [i, j] : ij) {
    const auto& r = row[i];
    const auto it = std::lower_bound(r.begin(), r.end(), std::make_pair(j, -1));
    out.push_back(it != r.end() && it->first == j ? it->second : -1);
  }
  return out;
}

bool SparseLU::factor(const double* j, double d, double* lu, double* work) const {
  // packed: L values, U values, then 1/U(p,p) in elimination order
  double* L = lu;
  double* U = L + l_col_.size();
  double* inv_diag = U + u_col_.size();
  int k = 0;  // row p's entries are entries()[k ..): its L, diagonal and U columns
  for (int p = 0; p < n_; ++p) {
    double* row = work;  // row p, indexed by species: every entry of its pattern set here
    const int k_end = k + (l_begin_[p + 1] - l_begin_[p]) + 1 + (u_begin_[p + 1] - u_begin_[p]);
    for (; k < k_end; ++k) row[entry_col_[k]] = -j[k];
    row[order_[p]] += d;
    for (int e = l_begin_[p]; e < l_begin_[p + 1]; ++e) {
      const int q = l_step_[e];
      const double l = row[l_col_[e]] * inv_diag[q];
      L[e] = l;
      if (l == 0.0) continue;
      for (int u = u_begin_[q]; u < u_begin_[q + 1]; ++u) row[u_col_[u]] -= l * U[u];
    }
    const double piv = row[order_[p]];
    if (!(piv > 0) || !std::isfinite(piv)) return false;
    inv_diag[p] = 1.0 / piv;
    for (int u = u_begin_[p]; u < u_begin_[p + 1]; ++u) U[u] = row[u_col_[u]];
  }
  return true;
}

void SparseLU::solve(const double* lu, double* b) const {
  // rows are visited in elimination order; two partial sums per row halve
  // the dependency chain of the longest rows (n, p, he4 couple to all)
  const double* L = lu;
  const double* U = L + l_col_.size();
  const double* inv_diag = U + u_col_.size();
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

void SparseLU::solve2(const double* lu, double* b1, double* b2) const {
  // as solve(), with each row's factors and column indices read once
  const double* L = lu;
  const double* U = L + l_col_.size();
  const double* inv_diag = U + u_col_.size();
  auto row = [b1, b2](const double* v, const int* col, int begin, int end, double& r1, double& r2) {
    double s0 = 0, s1 = 0, t0 = 0, t1 = 0;
    int e = begin;
    for (; e + 1 < end; e += 2) {
      const int c0 = col[e], c1 = col[e + 1];
      s0 += v[e] * b1[c0];
      s1 += v[e + 1] * b1[c1];
      t0 += v[e] * b2[c0];
      t1 += v[e + 1] * b2[c1];
    }
    if (e < end) {
      s0 += v[e] * b1[col[e]];
      t0 += v[e] * b2[col[e]];
    }
    r1 = s0 + s1;
    r2 = t0 + t1;
  };
  double r1, r2;
  for (int p = 0; p < n_; ++p) {
    row(L, l_col_.data(), l_begin_[p], l_begin_[p + 1], r1, r2);
    b1[order_[p]] -= r1;
    b2[order_[p]] -= r2;
  }
  for (int p = n_ - 1; p >= 0; --p) {
    const int i = order_[p];
    row(U, u_col_.data(), u_begin_[p], u_begin_[p + 1], r1, r2);
    b1[i] = (b1[i] - r1) * inv_diag[p];
    b2[i] = (b2[i] - r2) * inv_diag[p];
  }
}

}  // namespace nnn
