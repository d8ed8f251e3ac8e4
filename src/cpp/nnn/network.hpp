// A reaction network as data: isotopes, partition functions and rate
// evaluators, read from an nnn network file (network_data/FORMAT.md).
// A loaded Network is immutable and shared read-only by any number of threads.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "sparse_lu.hpp"

namespace nnn {

struct Isotope {
  std::string name;        // pynucastro spelling: "n", "p", "he4", "si28"
  int A = 0;
  int Z = 0;
  double mass_MeV = 0;     // nuclear mass as pynucastro defines it: A m_u + dm
  double dm_MeV = 0;       // mass excess
};

// log(partition function) as a cubic B-spline in T9 (scipy's representation),
// held constant outside the knots like pynucastro (ext="const").
struct PartitionFunction {
  std::string nucleus;
  int k = 3;
  std::vector<double> knots, coefs;
  double log_pf(double T9) const;
};

// One pair of charged reactants that screening acts on.
struct ScreenPair {
  double z1, a1, z2, a2;
};

// A weak rate tabulated on (log10 rho*Ye, log10 T): log10 of the rate (1/s)
// and of the neutrino energy loss (erg/s per reactant nucleus).
struct WeakTable {
  std::vector<double> log_rhoy, log_T;
  std::vector<double> log_rate, log_nu;   // row-major [i_rhoy * n_T + j_T]
  // pynucastro's TableInterpolator is bilinear in (log rho*Ye, log T); at a
  // fixed T that is linear in log rho*Ye between the values of the two log T
  // columns interpolated to T, which column() returns (one per rho*Ye grid
  // point). A log T outside the grid is clamped to its edge and *clamped set
  // (never extrapolated); column_value() does the same in log rho*Ye.
  void column(double log_T, std::vector<double>& lr, std::vector<double>& lnu, bool* clamped) const;
  // Linear interpolation of a column at log rho*Ye; `hint` caches the interval.
  double column_value(const std::vector<double>& col, double log_rhoy, int& hint, bool* clamped) const;
};

enum class RateKind { ReacLib, Derived, Tabular, ApproxApPg, ApproxNnG };

// Stoichiometry of a rate that is a term of dY/dt.
struct Term {
  std::vector<int> species;    // distinct reactants then distinct products
  std::vector<double> coef;    // -count for reactants, +count for products
  double prefactor = 1;        // 1/n! for identical reactants
  int dens_exp = 0;            // power of rho
  bool ye_weight = false;
  std::vector<int> y_species;  // flux = k * prod Y[y_species[m]]^y_power[m]
  std::vector<int> y_power;
};

// A rate evaluator: computes the bare rate N_A<sigma v> including screening.
struct Rate {
  RateKind kind = RateKind::ReacLib;
  std::string label;
  bool in_network = false;
  Term term;                                 // valid when in_network
  std::vector<int> screen;                   // indices into Network::screen_pairs
  std::vector<std::array<double, 7>> sets;   // ReacLib / derived
  std::vector<std::pair<int, int>> pf_terms; // (partition function index, +-1)
  int table = -1;                            // index into Network::tables
  // approximate rates: child evaluator indices in pynucastro's key order
  //   ap_pg: A(a,g)B A(a,p)X X(p,g)B X(p,a)A X(p,Y)C B(g,a)A B(g,p)X
  //   nn_g : A(n,g)X X(n,g)B X(g,n)A B(g,n)X
  bool is_reverse = false;
  std::vector<int> children;
};

struct Constants {
  double N_A, MeV2erg, m_u_C18, m_u_MeV, q_e, hbar, k;
};

// dY/dt of a network as flat arrays for the right-hand side's hot loops
// (Kinetics::ydot), built once from the rates at load (set_flux_layout): a
// burn's Kinetics used to rebuild them, ~17 us of a mesa_80 burn's ~140 us
// set-up. Network rates are grouped by their number of Y factors (a
// compile-time trip count per group); rate q of group g has its flux in slot
// g.first_slot + q; dY/dt sums the reactions' net fluxes (below).
struct FluxLayout {
  struct Group {
    int n_fac = 0;                          // Y factors of each rate (a species repeated p times for Y^p)
    int first_slot = 0;                     // member q is network rate slot_rate[first_slot + q]
    std::vector<int> evaluator;             // each member's evaluator (index into Network::rates)
    std::vector<unsigned char> ye_weight;   // 1 if its flux carries Ye (an index of {1, Ye})
    std::vector<int> sp;                    // n_fac species per member
  };
  std::vector<Group> groups;
  std::vector<int> slot_rate;               // flux slot -> network rate m
  // Reactions: the rates that change Y by the same vector up to its sign (a
  // forward rate and its detailed-balance reverse, or two channels of one
  // reaction) share a net flux, reaction_flux[r] = sum reaction_sign[k] *
  // flux[reaction_slot[k]], k in reaction_begin[r] .. reaction_begin[r+1)
  // (its first rate, sign +1, orients it), and
  //   dY_i/dt = sum net_coef[k] * reaction_flux[net_reaction[k]], k in net_begin[i] .. net_begin[i+1).
  // mesa_80: 610 rates in 306 reactions, 2023 per-rate terms in 1012. The
  // sums are gathered per species (independent sums: faster than scattering
  // each flux, where n, p, he4 serialise hundreds of read-modify-writes).
  // The first n_reaction_pairs reactions are a rate minus one other rate.
  int n_reaction_pairs = 0;
  std::vector<int> reaction_begin, reaction_slot;
  std::vector<double> reaction_sign;
  std::vector<int> net_begin, net_reaction;  // per species, in increasing reaction order
  std::vector<double> net_coef;
  // Per network rate m, for the Jacobian (Kinetics::jacobian_terms): its
  // distinct reactants and their powers (Term::y_species, y_power) at
  // fac_begin[m] .., the species it changes and their coefficients
  // (Term::species, coef) at rate_species_begin[m] .., and whether it is an
  // nn_g approximation (its rate depends on Y_n)
  std::vector<int> fac_begin, fac_species, fac_power;
  std::vector<int> rate_species_begin, rate_species;
  std::vector<double> rate_coef;
  std::vector<unsigned char> nng;
};

class Network {
 public:
  // Throws nnn::Error(Status::NetworkFile) naming the file and the problem.
  static std::shared_ptr<const Network> load(const std::string& path);

  std::string name;
  std::string path;
  std::string sha256;                   // of the file's bytes
  std::vector<std::pair<std::string, std::string>> meta;
  Constants constants{};
  std::vector<Isotope> isotopes;         // set with set_isotopes()
  // A and Z of each species as doubles, contiguous: the integrators' and the
  // RHS's per-species loops (sum A Y, tolerances) read them on every step,
  // and an Isotope (with its name) is 64 bytes apart
  std::vector<double> A, Z;
  std::vector<PartitionFunction> partition_functions;
  std::vector<ScreenPair> screen_pairs; // unique pairs over all rates
  std::vector<WeakTable> tables;
  std::vector<Rate> rates;
  std::vector<int> network_rates;       // evaluators that are terms of dY/dt
  int neutron = -1;                     // index of "n", -1 if absent
  SparseLU lu;                          // fill pattern of I/(h gamma) - J
  // Where each Jacobian term lands in lu.entries() order ("packed"), per
  // network rate m from jac_begin[m]: with an nn_g rate first d/dY_n of
  // each product species, then for each reactant factor dq, d/dY_dq of each
  // species of the term (Kinetics::add_jacobian_packed writes in this order).
  std::vector<int> jac_begin, jac_pos;
  FluxLayout flux_layout;               // set_flux_layout()

  int n_species() const { return static_cast<int>(isotopes.size()); }
  void set_isotopes(std::vector<Isotope> list);  // isotopes, A and Z
  int index_of(const std::string& isotope) const;  // -1 if unknown
  // Structural nonzeros of dYdot/dY (row i, column j), for the sparse LU.
  std::vector<std::vector<int>> jacobian_pattern() const;
  // jac_begin and jac_pos from the rates and lu (at load)
  void set_jacobian_positions();
  // flux_layout from the rates (at load, and for any network built in code)
  void set_flux_layout();

 private:
  // the reactions of flux_layout (set_flux_layout), from each rate's slot
  void set_reactions(FluxLayout& L, const std::vector<int>& slot) const;
};

}  // namespace nnn
