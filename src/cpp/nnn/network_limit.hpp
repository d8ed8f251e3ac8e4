// Where a network's physics ends: electron captures that have run a zone's
// Ye down past the network's most neutron-rich nuclei.
#pragma once

#include <string>

#include "network.hpp"

namespace nnn {

// Ye (sum Z_i Y_i / sum A_i Y_i) of molar abundances Y.
double electron_fraction_of_molar(const Network& net, const double* Y);

// "" while the composition Y (molar) is inside the network's physics, else
// "; " and what is past it, for a failure message. `ye0`: Ye at t = 0.
//
// A failed burn whose Ye has come down to the lowest Z/A of the network's
// iron-group nuclei (A >= 40: fe56, 0.4643, in mesa_80) has run past the end
// of the network's physics: it can hold further captured electrons only in
// free neutrons, where real matter makes more neutron-rich nuclei. That is
// context for the caller, not the integrator's failure: the floor is no
// barrier to it (mesa_80 at 1e10 K, 1e10 g/cm^3 reaches Ye 0.22 by 1e4 s,
// with half its mass in free neutrons; docs/domain.md).
//
// Before the floor the same limit shows as mass piled up in the most
// neutron-rich isotope of each element that the network has (its edge):
// mesa_151 at 10^9.75 K, 1e10 g/cm^3 has 91 % of its mass in ni65, ca49 and
// fe61 from ~2000 s on, at Ye 0.42 (its floor, ca49, is 0.408), and bdf
// grinds on for 500,000 steps. Named when electron captures have lowered Ye during the
// burn and at least half the mass sits on the edge.
std::string network_limit_note(const Network& net, double ye0, const double* Y);

// True when electron captures have lowered Ye by more than 1e-3 since t = 0
// and network_limit_note names a limit: the burn has gone past the
// network's physics by its own doing (a zone that starts below the floor,
// as the training domain's Ye 0.45 does in mesa_80, is not).
bool captured_past_network_limit(const Network& net, double ye0, const double* Y);

}  // namespace nnn
