// LU factorisation without pivoting, "compiled" for one sparsity pattern.
//
// The iteration matrix of a stiff network, I/(h gamma) - J, has a positive,
// dominant diagonal (J_ii <= 0: a species destroys itself), so pivoting is
// not needed; a pivot that is not finite and positive makes factor() fail and
// the integrator retries with a smaller step, which strengthens the diagonal.
//
// Elimination order matters: n, p and he4 couple to nearly every nucleus, and
// eliminating them first would fill the whole matrix. A greedy minimum-degree
// ordering eliminates them last (mesa_80: 6400 -> ~1300 entries touched).
// The matrix is stored dense row-major in the network's own index order; the
// constructor precomputes the flat offsets of every update, so factor() and
// solve() are straight loops over offset lists.
#pragma once

#include <cstddef>
#include <vector>

namespace nnn {

class SparseLU {
 public:
  SparseLU() = default;
  // pattern[i] = columns j of the structural nonzeros of row i (diagonal added).
  SparseLU(int n, const std::vector<std::vector<int>>& pattern);

  // Factor the dense row-major n x n matrix a in place (only entries() are
  // read) and write the factors in solve order to lu[0 .. packed_size()):
  // contiguous values make solve(), called several times per factor(), a
  // streaming loop. False on a non-positive or non-finite pivot.
  bool factor(double* a, double* lu) const;
  // Solve with the packed factors of factor(); b indexed by species.
  void solve(const double* lu, double* b) const;
  size_t packed_size() const { return l_off_.size() + u_off_.size() + n_; }
  int n() const { return n_; }
  long nonzeros() const { return static_cast<long>(entries_.size()); }
  // flat offsets i*n+j of every entry that factor() reads or writes
  const std::vector<int>& entries() const { return entries_; }
  const std::vector<int>& order() const { return order_; }

 private:
  int n_ = 0;
  std::vector<int> order_;      // elimination step -> species index
  std::vector<int> entries_;
  // factor: for each step k, the pivot offset and the rows below it
  std::vector<int> piv_off_;    // [k]
  std::vector<int> row_begin_;  // [k] .. [k+1] into row_off_/upd_begin_
  std::vector<int> row_off_;    // offset of L(i,k)
  std::vector<int> upd_begin_;  // per (k,i): range into upd_dst_/upd_src_
  std::vector<int> upd_dst_, upd_src_;  // a[dst] -= l * a[src]
  // solve, in elimination order: L (unit lower) then U
  std::vector<int> l_begin_, l_off_, l_col_;  // row p: offsets and species of L(p,q), q < p
  std::vector<int> u_begin_, u_off_, u_col_;  // row p: offsets and species of U(p,q), q > p
};

}  // namespace nnn
