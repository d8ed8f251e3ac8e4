#include "history.hpp"

#include <algorithm>
#include <cmath>

#include "kinetics.hpp"
#include "format.hpp"
#include "status.hpp"

namespace nnn {

namespace {
// numbers in messages: the one formatter (shortest round-trip text)
std::string fmt(double v) { return repr(v); }
[[noreturn]] void bad(const std::string& msg) { throw Error(Status::BadInput, msg); }
}  // namespace

History::History(std::vector<double> t, std::vector<double> T, std::vector<double> rho)
    : t_(std::move(t)), T_(std::move(T)), rho_(std::move(rho)) {
  if (t_.empty()) bad("history is empty: give at least one sample (t, T, rho)");
  if (T_.size() != t_.size() || rho_.size() != t_.size())
    bad("history columns differ in length: t has " + std::to_string(t_.size()) + ", T " +
        std::to_string(T_.size()) + ", rho " + std::to_string(rho_.size()) + " samples");
  for (size_t k = 0; k < t_.size(); ++k) {
    const std::string at = "[" + std::to_string(k) + "]";
    if (!std::isfinite(t_[k])) bad("history t" + at + " = " + fmt(t_[k]) + " s is not finite");
    if (k > 0 && !(t_[k] > t_[k - 1]))
      bad("history t" + at + " = " + fmt(t_[k]) + " s is not after t[" + std::to_string(k - 1) +
          "] = " + fmt(t_[k - 1]) + " s: sample times must increase strictly");
    if (!std::isfinite(T_[k]) || T_[k] <= 0)
      bad("history T" + at + " = " + fmt(T_[k]) + " K is invalid: must be finite and > 0");
    if (T_[k] < kReacLibTMin || T_[k] > kReacLibTMax)
      bad("history T" + at + " = " + fmt(T_[k]) + " K is outside the engine's range [" + fmt(kReacLibTMin) +
          ", " + fmt(kReacLibTMax) + "] K");
    if (!std::isfinite(rho_[k]) || rho_[k] <= 0)
      bad("history rho" + at + " = " + fmt(rho_[k]) + " g/cm^3 is invalid: must be finite and > 0");
    lnT_.push_back(std::log(T_[k]));
    lnrho_.push_back(std::log(rho_[k]));
  }
}

void History::check_covers(double t_end) const {
  if (t_.front() > 0)
    bad("history starts at t[0] = " + fmt(t_.front()) + " s, after the burn starts (t = 0): "
        "it must cover [0, " + fmt(t_end) + "] s");
  if (t_.back() < t_end)
    bad("history ends at t[" + std::to_string(t_.size() - 1) + "] = " + fmt(t_.back()) +
        " s, before the burn ends (t = " + fmt(t_end) + " s): it must cover [0, " + fmt(t_end) + "] s");
}

void History::at(double t, double& T, double& rho) const {
  // interval k with t_k <= t < t_{k+1} (the last one for t = t_back)
  size_t k = static_cast<size_t>(std::upper_bound(t_.begin(), t_.end(), t) - t_.begin());
  if (k == 0 || t_.size() == 1) {  // at or before the first sample (covered: t = t_0)
    T = T_.front();
    rho = rho_.front();
    return;
  }
  if (k == t_.size()) {
    if (t >= t_.back()) {
      T = T_.back();
      rho = rho_.back();
      return;
    }
  }
  --k;
  if (t == t_[k]) {  // exactly on a sample: its values, bit for bit
    T = T_[k];
    rho = rho_[k];
    return;
  }
  // a constant stretch gives its sample values exactly (exp(log x) may not be x)
  const double w = (t - t_[k]) / (t_[k + 1] - t_[k]);
  T = T_[k] == T_[k + 1] ? T_[k] : std::exp(lnT_[k] + w * (lnT_[k + 1] - lnT_[k]));
  rho = rho_[k] == rho_[k + 1] ? rho_[k] : std::exp(lnrho_[k] + w * (lnrho_[k + 1] - lnrho_[k]));
}

std::vector<double> History::breakpoints(double t0, double t1) const {
  std::vector<double> out;
  for (double tk : t_)
    if (tk > t0 && tk < t1) out.push_back(tk);
  return out;
}

}  // namespace nnn
