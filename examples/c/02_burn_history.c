/* Example 2 (C): burn one zone along a prescribed history T(t), rho(t), as a
 * tracer-particle post-processor does (docs/burn_modes.md).
 *
 *   02_burn_history NETWORK
 *
 * C/O heated from 2.5e9 to 3.5e9 K and compressed 1e8 -> 2e8 g/cm^3 in
 * 2e-5 s, then cooling: T and rho are linear in log between samples, and the
 * burn stops at each sample inside it. Prints T, eps_nuc and the main X at
 * each sample time, then a history that does not cover dt (bad input).
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
  double* X0 = calloc((size_t)n, sizeof(double));
  double* X = calloc((size_t)n, sizeof(double));
  X0[ic] = 0.5;
  X0[io] = 0.5;
  const double t[] = {0.0, 2e-5, 6e-5, 2e-4};
  const double T[] = {2.5e9, 3.5e9, 3.0e9, 2.8e9};
  const double rho[] = {1e8, 2e8, 1.5e8, 1.2e8};
  printf("%10s %12s %14s %10s %10s\n", "t (s)", "T (K)", "eps_nuc", "X(c12)", "X(o16)");
  for (int k = 1; k < 4; ++k) {  /* burns from 0 to each sample time */
    double eps_nuc, eps_nu, T_end, Ye;
    long n_steps;
    st = nnn_burn_history(net, 4, t, T, rho, X0, t[k], NULL, X, &eps_nuc, &eps_nu, &T_end, &Ye, &n_steps);
    if (st != NNN_OK) return fail("nnn_burn_history", st);
    printf("%10.3e %12.6e %14.6e %10.3e %10.3e\n", t[k], T_end, eps_nuc, X[ic], X[io]);
  }
  double e1, e2;
  st = nnn_burn_history(net, 4, t, T, rho, X0, 1.0, NULL, X, &e1, &e2, NULL, NULL, NULL);
  printf("history shorter than dt: status = %d, message: %s\n", st, nnn_last_error());
  free(X0);
  free(X);
  nnn_network_free(net);
  return 0;
}
