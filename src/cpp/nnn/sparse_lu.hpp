// LU factorisation without pivoting, "compiled" for one sparsity pattern.
//
// The iteration matrix of a stiff network, I/(h gamma) - J, has a positive,
// dominant diagonal (J_ii <= 0: a species destroys itself), so pivoting is
// not needed; a pivot that is not finite and positive makes factor() fail and
// the integrator retries with a smaller step, which strengthens the diagonal.
//
// Elimination order matters: n, p and he4 couple to nearly every nucleus, and
// eliminating them first would fill the whole matrix. A greedy minimum-degree
// ordering eliminates them last (mesa_80: 6394 -> 1456 entries of L + U).
// The matrix is passed packed, one value per entry of the fill pattern.
// factor() eliminates row by row (row p takes the updates of the rows q < p
// it couples to, in increasing q): each row's updates stay within that row of
// the matrix and read U of earlier rows from the packed factors, so the
// memory touched per multiply-add is one value and one column index streamed
// plus one entry of a row in cache, for any network size. This does the same
// floating-point operations in the same order as eliminating column by
// column, so the factors are bit for bit those of that order.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace nnn {

class SparseLU {
 public:
  SparseLU() = default;
  // pattern[i] = columns j of the structural nonzeros of row i (diagonal added).
  SparseLU(int n, const std::vector<std::vector<int>>& pattern);

  // Factor d I - J, J given packed (j[k] is the entry entries()[k]), and
  // write the factors in solve order to lu[0 .. packed_size()): contiguous
  // values make solve(), called several times per factor(), a streaming
  // loop. work: n doubles of scratch (one row at a time, indexed by species;
  // a dense n x n copy of the matrix was 30 MB at 1957 species). False on a
  // non-positive or non-finite pivot (lu is then unspecified).
  bool factor(const double* j, double d, double* lu, double* work) const;
  // Solve with the packed factors of factor(); b indexed by species.
  void solve(const double* lu, double* b) const;
  // Two right-hand sides in one pass over the factors (each bit for bit as
  // solve() would give it): bdf's round-off floor solves two per step.
  void solve2(const double* lu, double* b1, double* b2) const;
  size_t packed_size() const { return l_col_.size() + u_col_.size() + n_; }
  int n() const { return n_; }
  long nonzeros() const { return static_cast<long>(entries_.size()); }
  // flat offsets i*n+j of every entry that factor() reads or writes
  const std::vector<int>& entries() const { return entries_; }
  // For each (row i, column j) by species: its index k in entries(), -1 if
  // (i, j) is not an entry (how a packed matrix for factor() is addressed).
  std::vector<int> entry_indices(const std::vector<std::pair<int, int>>& ij) const;
  const std::vector<int>& order() const { return order_; }

 private:
  int n_ = 0;
  std::vector<int> order_;      // elimination step -> species index
  std::vector<int> entries_;    // flat offsets, rows p then columns q in elimination order
  std::vector<int> entry_col_;  // species column of each entry
  // rows p in elimination order, columns q increasing: L (unit lower) then U
  std::vector<int> l_begin_, l_col_, l_step_;  // row p: species and step q of L(p,q), q < p
  std::vector<int> u_begin_, u_col_;           // row p: species of U(p,q), q > p
};

}  // namespace nnn
