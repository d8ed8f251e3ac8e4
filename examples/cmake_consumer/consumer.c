/* Smallest C user of an installed nnn: burn one zone of pure he4. */
#include <stdio.h>
#include <stdlib.h>

#include <nnn.h>

int main(int argc, char** argv) {
  nnn_network* net = NULL;
  int st = nnn_network_load(argc > 1 ? argv[1] : "approx21_cr60_plus_co56", &net);
  if (st != NNN_OK) {
    fprintf(stderr, "load: status %d: %s\n", st, nnn_last_error());
    return 1;
  }
  int n, ihe;
  nnn_network_n_species(net, &n);
  double* X0 = calloc((size_t)n, sizeof(double));
  double* X = calloc((size_t)n, sizeof(double));
  nnn_network_index(net, "he4", &ihe);
  X0[ihe] = 1.0;
  double eps_nuc, eps_nu;
  st = nnn_burn(net, 3e9, 1e7, X0, 1e-3, NULL, X, &eps_nuc, &eps_nu, NULL, NULL);
  printf("consumer_c status=%d eps_nuc=%.17e eps_nu=%.17e X_he4=%.17e\n", st, eps_nuc, eps_nu, X[ihe]);
  nnn_network_free(net);
  free(X0);
  free(X);
  return st;
}
