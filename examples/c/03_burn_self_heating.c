/* Example 3 (C): self-heating burns at constant density (docs/burn_modes.md),
 * the operator-split burn step of a stellar code: T follows the energy
 * released through the EOS.
 *
 *   03_burn_self_heating NETWORK
 *
 * One C/O zone at T = 2e9 K, rho = 1e7 g/cm^3 (a thermonuclear runaway), with
 * and without thermal neutrino losses, then four zones in one
 * nnn_burn_zones_self_heating call on all cores.
 */
#include <stdio.h>
#include <stdlib.h>

#include "nnn.h"

static int fail(const char* where, int status) {
  fprintf(stderr, "%s failed: status %d: %s\n", where, status, nnn_last_error());
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s NETWORK\n", argv[0]);
    return 2;
  }
  nnn_network* net;
  int st = nnn_network_load(argv[1], &net);
  if (st != NNN_OK) return fail("nnn_network_load", st);
  int n, ic, io;
  nnn_network_n_species(net, &n);
  if ((st = nnn_network_index(net, "c12", &ic)) != NNN_OK) return fail("nnn_network_index", st);
  if ((st = nnn_network_index(net, "o16", &io)) != NNN_OK) return fail("nnn_network_index", st);
  enum { NZ = 4 };
  double* X0 = calloc((size_t)n * NZ, sizeof(double));
  double* X = calloc((size_t)n * NZ, sizeof(double));
  for (int z = 0; z < NZ; ++z) {
    X0[z * n + ic] = 0.5;
    X0[z * n + io] = 0.5;
  }
  for (int thermal = 0; thermal <= 1; ++thermal) {
    double T_end, eps_nuc, eps_nu, eps_th;
    long n_steps;
    st = nnn_burn_self_heating(net, 2e9, 1e7, X0, 1e-2, NULL, thermal, X, &T_end, &eps_nuc, &eps_nu,
                               &eps_th, &n_steps);
    if (st != NNN_OK) return fail("nnn_burn_self_heating", st);
    printf("thermal neutrinos %s: T(1e-2 s) = %.6e K, eps_nuc = %.6e erg/g, thermal loss %.3e erg/g/s, "
           "%ld steps\n", thermal ? "on " : "off", T_end, eps_nuc, eps_th, n_steps);
  }
  double T0[NZ] = {1.5e9, 2e9, 2.5e9, 3e9}, rho[NZ] = {1e7, 1e7, 3e7, 1e8};
  double T_end[NZ], eps_nuc[NZ], eps_nu[NZ];
  int zone_status[NZ];
  st = nnn_burn_zones_self_heating(net, NZ, T0, rho, X0, 1e-3, NULL, 0, X, T_end, eps_nuc, eps_nu,
                                   zone_status, 0);
  if (st != NNN_OK) return fail("nnn_burn_zones_self_heating", st);
  for (int z = 0; z < NZ; ++z)
    printf("zone %d: T %.3e -> %.6e K, eps_nuc %.6e erg/g, X(c12) %.3e\n", z, T0[z], T_end[z],
           eps_nuc[z], X[z * n + ic]);
  free(X0);
  free(X);
  nnn_network_free(net);
  return 0;
}
