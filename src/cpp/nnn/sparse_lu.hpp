// LU factorisation without pivoting restricted to a precomputed fill pattern.
//
// The iteration matrix of a stiff network, I/(h gamma) - J, has a positive,
// dominant diagonal (J_ii <= 0: a species destroys itself), so pivoting is
// not needed; a pivot that is not finite or not positive makes factor()
// fail and the integrator retries with a smaller step, which strengthens the
// diagonal. Storage is dense row-major (an 80x80 net fits in L2); only the
// structural nonzeros and their fill-in are touched, which for mesa_80 is a
// small fraction of the n^3/3 dense operations.
#pragma once

#include <vector>

namespace nnn {

class SparseLU {
 public:
  SparseLU() = default;
  // pattern[i] = columns j of the nonzeros of row i (diagonal added here).
  SparseLU(int n, const std::vector<std::vector<int>>& pattern);

  bool factor(double* a) const;           // in place; false on a bad pivot
  void solve(const double* lu, double* b) const;
  int n() const { return n_; }
  long nonzeros() const { return nnz_; }
  // entries (i, j) that factor() reads or writes, to zero before assembly
  const std::vector<int>& entries() const { return entries_; }

 private:
  int n_ = 0;
  long nnz_ = 0;
  std::vector<std::vector<int>> below_;  // column k: rows i > k with L(i,k) != 0
  std::vector<std::vector<int>> right_;  // row k: columns j > k with U(k,j) != 0
  std::vector<std::vector<int>> left_;   // row i: columns j < i with L(i,j) != 0
  std::vector<int> entries_;             // flat indices i*n+j of the fill pattern
};

}  // namespace nnn
