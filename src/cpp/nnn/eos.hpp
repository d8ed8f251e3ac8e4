// Stellar equation of state: ions (ideal gas), radiation (a T^4) and
// electrons + positrons at arbitrary degeneracy and relativity, as
// pynucastro.eos.StellarEOS (pynucastro 3.1). The physics layer under the
// integrator: it knows nothing about networks or burns.
//
// Electrons and positrons: the generalised Fermi-Dirac integrals
//   F_k(eta, beta) = int_0^inf x^k sqrt(1 + beta x / 2) / (exp(x - eta) + 1) dx,
// beta = kT / (m_e c^2), are evaluated by Gauss quadrature on the four
// sub-intervals of Gong et al. (2001, CPC 136, 294) (Aparicio 1998, ApJS 117,
// 627 for the x = z^2 substitution in the first one), and eta is found by a
// safeguarded Newton iteration on the net electron density
//   n_e- - n_e+ = N_A rho Ye,  eta_e+ = -eta - 2 / beta.
#pragma once

#include <array>

#include "status.hpp"

namespace nnn {

struct EosResult {
  double p = 0;       // total pressure (erg/cm^3)
  double e = 0;       // specific internal energy (erg/g), rest mass excluded
                      // (the rest mass of pairs, 2 m_e c^2 n_e+, is included, as pynucastro)
  double cv = 0;      // specific heat at constant volume (erg/g/K)
  double dcv_dT = 0;  // (erg/g/K^2), analytic (second derivatives of the integrals)
  double p_ion = 0, p_rad = 0, p_ele = 0;  // parts (electrons+positrons together in p_ele)
  double e_ion = 0, e_rad = 0, e_ele = 0;
  double eta = 0;     // electron degeneracy parameter (chemical potential without rest mass / kT)
  // added beyond the burn-modes API:
  double cv_ion = 0, cv_rad = 0, cv_ele = 0;  // parts of cv (erg/g/K)
  double n_ele = 0, n_pos = 0;                // electron and positron number densities (1/cm^3)
  double dp_dT = 0;   // (erg/cm^3/K) at constant rho
  int newton_iterations = 0;  // iterations the eta solve took
};

// Domain where the electron solver is verified (docs/physics.md): outside it
// stellar_eos throws BadInput naming the limit. T_min: c_v of degenerate
// electrons is a difference of terms ~eta^2 larger than itself; at T = 1e6 K,
// rho = 1e12 g/cm^3 (eta = 6e5) that leaves c_v(total) good to ~3e-8 and
// c_v(e-e+), dcv_dT to ~1e-4 (1e-9 and ~1e-8 on the nnn domain, T >= 1e7 K,
// rho <= 1e10 g/cm^3, eta <= 1e4); below T_min it degrades as eta^2.
constexpr double kEosTMin = 1e6;     // K
constexpr double kEosTMax = 1e11;    // K
constexpr double kEosRhoMin = 1e-6;  // g/cm^3
constexpr double kEosRhoMax = 1e12;  // g/cm^3
// The net electron density is a difference n_e- - n_e+; when pairs outnumber
// it by more than this, eta (and n_e+) lose more than ~6 of 16 digits.
constexpr double kEosMaxPairRatio = 1e10;

// Ions (ideal gas), radiation (a T^4), electrons+positrons at arbitrary degeneracy and
// relativity (Fermi-Dirac integrals), as pynucastro.eos.StellarEOS. abar = 1/sum Y_i,
// ye = sum Z_i Y_i. Throws nnn::Error(Status::BadInput, message) naming the field and value
// for non-finite or non-positive input, and when T, rho or ye is outside the domain where the
// electron solver is valid (say which limit).
EosResult stellar_eos(double T_K, double rho_gcc, double abar, double ye);
// The same with a starting value for the Newton iteration on eta (e.g. the
// previous call's eta in a burn, where T changes little between calls: 1-3
// iterations instead of 2-8); NaN means none, +-inf is BadInput, and a guess
// at or below -1/beta (the pair-symmetric point) is not used. The result does
// not depend on it beyond round-off.
EosResult stellar_eos(double T_K, double rho_gcc, double abar, double ye, double eta_guess);

// F_k and its first and second partial derivatives in eta and beta.
struct FermiDiracJet {
  double F = 0, dF_deta = 0, dF_dbeta = 0;
  double d2F_deta2 = 0, d2F_detadbeta = 0, d2F_dbeta2 = 0;
};
// The three orders the EOS needs, k = 1/2, 3/2, 5/2 (index 0, 1, 2), by the
// same quadrature stellar_eos uses. Throws BadInput for non-finite eta or beta <= 0.
std::array<FermiDiracJet, 3> fermi_dirac_integrals(double eta, double beta);

}  // namespace nnn
