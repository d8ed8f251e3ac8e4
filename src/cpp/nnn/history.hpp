// A prescribed thermodynamic history T(t), rho(t) for a burn (tracer
// particles, one-zone burners): samples (t_k, T_k, rho_k), interpolated
// linearly in log T and log rho between samples,
//   ln T(t) = ln T_k + (t - t_k) / (t_{k+1} - t_k) * (ln T_{k+1} - ln T_k),
// (the same for rho), i.e. T and rho change by a constant factor per unit
// time within each interval: exact for exponential expansion/contraction
// and never negative. The derivatives jump at the samples, so the burn stops
// at every sample inside the burn and restarts from there (burn.cpp).
#pragma once

#include <string>
#include <vector>

namespace nnn {

class History {
 public:
  History() = default;
  // Validates the samples (throws Error(BadInput) naming the field, the
  // index and the value): same lengths, at least 1 sample, t strictly
  // increasing and finite, T and rho finite and > 0, T within the engine's
  // range [kReacLibTMin, kReacLibTMax] (kinetics.hpp). A single sample is a constant history.
  History(std::vector<double> t, std::vector<double> T, std::vector<double> rho);

  // Throws Error(BadInput) unless the samples cover [0, t_end] s.
  void check_covers(double t_end) const;

  // T (K) and rho (g/cm^3) at time t (s), which must lie within the samples.
  void at(double t, double& T, double& rho) const;
  // Sample times strictly inside (t0, t1): where the burn must stop.
  std::vector<double> breakpoints(double t0, double t1) const;

  size_t size() const { return t_.size(); }
  const std::vector<double>& t() const { return t_; }
  const std::vector<double>& T() const { return T_; }
  const std::vector<double>& rho() const { return rho_; }

 private:
  // immutable after construction: one History may drive many zones on many threads
  std::vector<double> t_, T_, rho_, lnT_, lnrho_;
};

}  // namespace nnn
