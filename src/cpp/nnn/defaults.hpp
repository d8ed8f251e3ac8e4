// The engine's default burn settings, defined once. BurnOptions, the
// integrators, the C ABI (nnn_default_options), Fortran (through the C ABI)
// and Python (nnn._core.DEFAULTS, read by nnn.network.core) all take them
// from here.
#pragma once

namespace nnn {

inline constexpr double kDefaultRtol = 1e-8;       // relative tolerance on X_i and e_nu
inline constexpr double kDefaultAtol = 1e-12;      // absolute tolerance on each X_i
inline constexpr long kDefaultMaxSteps = 500000;   // accepted + rejected steps per burn
inline constexpr const char* kDefaultIntegrator = "auto";

}  // namespace nnn
