// Interchangeable stiff integrators behind one burn-state interface.
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "burn_system.hpp"
#include "defaults.hpp"
#include "format.hpp"
#include "kinetics.hpp"
#include "network_limit.hpp"
#include "sparse_lu.hpp"
#include "status.hpp"

namespace nnn {

struct IntegratorOptions {
  double rtol = kDefaultRtol;      // relative tolerance on each X_i and on e_nu
  double atol = kDefaultAtol;      // absolute tolerance on each mass fraction X_i
  long max_steps = kDefaultMaxSteps;
};

// Absolute tolerance on the neutrino energy e_nu (erg/g): the energy of a
// mass fraction atol at 1 MeV per nucleon. e_nu starts from 0, so a purely
// relative tolerance would reject every first step.
inline double e_nu_atol(const Network& net, const IntegratorOptions& opt) {
  return opt.atol * net.constants.N_A * net.constants.MeV2erg;
}

// Sum of A_i Y_i (= sum X_i, 1 for a normalised composition).
inline double mass_sum(const Network& net, const double* Y) {
  double m = 0;
  const double* A = net.A.data();
  for (int i = 0; i < net.n_species(); ++i) m += A[i] * Y[i];
  return m;
}

// Project Y back onto sum A_i Y_i = m0 after a step by a uniform rescaling
// (which keeps Ye); dY (if given) receives the change. Every rate conserves
// A, but dY/dt does so only to eps x (gross flux): in NSE the gross flux is
// 1e8-1e10 times |dY/dt| and sum X drifted by 1e-8..3e-8 over a 100 s burn,
// which burn()'s m_u * d(sum X) term turns into a 3e-4 error in eps_nuc.
inline void project_mass(const Network& net, double m0, double* Y, double* dY = nullptr) {
  const double fac = m0 / mass_sum(net, Y) - 1;
  for (int i = 0; i < net.n_species(); ++i) {
    const double delta = fac * Y[i];
    Y[i] += delta;
    if (dY) dY[i] += delta;
  }
}

// Fail early rather than grind: once rejected steps outnumber accepted ones
// beyond kStallRejections, the step size is held down by something that
// tolerances cannot fix. 2000 (was 20000): approx21 burns that bdf cannot do
// (Newton cycling around Y_n ~ 0 through the nn_g rates) spent 0.15-0.25 s
// each before integrator="auto" handed them to rodas4, which finished them in
// 100-400 steps; rodas4 ground for 27 s over 500000 steps on a burn neither
// can do. No mesa_80/mesa_151 training burn comes near 2000 rejections.
constexpr long kStallRejections = 2000;

// A bdf burn that has taken this many steps, and whose electron captures
// have carried it past the network's physics (network_limit.hpp), stops
// there with OutOfDomain, the limit named, instead of grinding on to
// max_steps for a result the network cannot describe. Checked every
// kNetworkLimitEvery accepted steps from then on. Measured with bdf:
// mesa_151 at 10^9.75 K, 1e10 g/cm^3, Si, dt 1e6 s sits on its neutron-rich
// edge from ~2000 s on and took 500,000 steps (43 s) to fail; the slowest of
// 2048 training-domain zones takes 4662 steps to 100 s (tail_latency.py) and
// the medium domain sweep's finished burns at most 10,860. rodas4 is not
// stopped early: it takes 10-300x bdf's steps on such burns (32,667 against
// 989 for mesa_80 at 10^9.75 K, 1e8 g/cm^3, Fe group, dt 1e6 s, rtol 1e-6)
// and is what a caller picks to get a reference there.
constexpr long kNetworkLimitSteps = 20000, kNetworkLimitEvery = 1000;

// Throws IntegratorFailed on a stall (above) or after opt.max_steps steps;
// OutOfDomain instead where the burn has gone past the network's physics:
// early with `stop_past_network_limit` (bdf, above), else at max_steps.
inline void check_progress(const char* who, const Network& net, const BurnState& s, double t_end,
                           const IntegratorOptions& opt, bool stop_past_network_limit) {
  auto fail = [&](Status status, const std::string& why) {
    throw Error(status, std::string(who) + ": " + why + " (reached t = " + repr(s.t) + " s of " +
                            repr(t_end) + " s)");
  };
  if (s.n_rejected > kStallRejections && s.n_rejected > s.n_steps)
    fail(Status::IntegratorFailed, "integration stalled (" + repr(s.n_rejected) +
                                       " rejected vs " + repr(s.n_steps) + " accepted steps)");
  const long steps = s.n_steps + s.n_rejected;
  const bool at_max = steps >= opt.max_steps;
  const bool early = stop_past_network_limit && steps >= kNetworkLimitSteps &&
                     s.n_steps % kNetworkLimitEvery == 0;
  if ((at_max || early) && captured_past_network_limit(net, s.ye0, s.Y.data()))
    fail(Status::OutOfDomain, (at_max ? "more than " + repr(opt.max_steps) : "stopped after " + repr(steps)) +
                                  " steps, past the network's physics");
  if (at_max) fail(Status::IntegratorFailed, "more than " + repr(opt.max_steps) + " steps");
}

// A mass fraction beyond +-kMaxAbsX after a step is a runaway, not a burn
// (sum X = 1 holds to round-off, so |X_i| <= 1 up to a tolerance-sized
// negative part elsewhere). Seen on approx21 at 2.8e9 K, 1.6e9 g/cm3, ti44 +
// fe56: a negative p drove fe56/co56/ni56 to +-1e4 and beyond; rodas4 then
// took 28 s of ever smaller steps before underflow. Fail at once instead.
constexpr double kMaxAbsX = 1.5;

inline void check_composition(const char* who, const Network& net, const BurnState& s) {
  const double* A = net.A.data();
  bool bounded = true;  // a branch-free pass first: this runs after every step
  for (int i = 0; i < net.n_species(); ++i) bounded &= std::abs(A[i] * s.Y[i]) <= kMaxAbsX;
  if (bounded) return;
  for (int i = 0; i < net.n_species(); ++i) {
    const double X = A[i] * s.Y[i];
    if (!(std::abs(X) <= kMaxAbsX))
      throw Error(Status::IntegratorFailed,
                  std::string(who) + ": composition diverged (X_" + net.isotopes[i].name + " = " +
                      repr(X) + " at t = " + repr(s.t) + " s)");
  }
}

class Integrator {
 public:
  virtual ~Integrator() = default;
  // Advance s from s.t to t_end. Throws nnn::Error(IntegratorFailed) with
  // the reason (step underflow, too many steps, non-finite state), or what
  // sys.accept() throws (OutOfDomain).
  virtual void integrate(BurnSystem& sys, BurnState& s, double t_end,
                         const IntegratorOptions& opt) = 0;
  // s.t is a point where the right-hand side's t-derivatives jump (a
  // history sample): the next integrate() starts afresh from the state
  // instead of extrapolating a multistep history across it.
  virtual void restart() {}
};

// "bdf" or "rodas4" (burn() resolves its default "auto" into these); throws
// BadInput for other names.
std::unique_ptr<Integrator> make_integrator(const std::string& name, const Network& net,
                                            const SparseLU& lu);

}  // namespace nnn
