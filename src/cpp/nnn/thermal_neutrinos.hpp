// Thermal neutrino losses (pair, photo, plasma, bremsstrahlung, recombination)
// from the fits of Itoh et al. (1996, ApJS 102, 411), as Timmes' sneut5 and
// pynucastro.neutrino_cooling.sneut5 (pynucastro 3.1). A physics-layer term
// separate from the weak-reaction neutrino loss of the network (eps_nu).
#pragma once

#include "status.hpp"

namespace nnn {

struct ThermalNeutrinoLoss {
  double total = 0;                                              // erg/g/s
  double pair = 0, photo = 0, plasma = 0, brem = 0, recomb = 0;  // parts, erg/g/s
  double dtotal_dT = 0;                                          // erg/g/s/K
};

// Itoh et al. 1996 fits as in pynucastro.neutrino_cooling.sneut5 (Timmes' sneut5).
// Zero below T = 1e7 K, as sneut5. dtotal_dT is exact for the fit branch taken
// at T (forward-mode differentiation; the fits switch branches discontinuously
// at T = 1e8, 1e9, 1e10 K, T = 0.3 T_Fermi and elsewhere).
// Throws Error(BadInput) naming the field and value for non-finite or
// non-positive T, rho, abar or zbar, or zbar > abar.
ThermalNeutrinoLoss thermal_neutrino_loss(double T_K, double rho_gcc, double abar, double zbar);

}  // namespace nnn
