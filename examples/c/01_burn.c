/* Example 1 (C): burn zones through the C ABI of include/nnn.h.
 *
 *   01_burn NETWORK                 one zone (60% si28 + 40% s32, T = 3.5e9 K,
 *                                   rho = 1e8 g/cm^3, dt = 1 s), human-readable
 *   01_burn NETWORK ZONES [zones]   every zone of a zone file, one nnn_burn per
 *                                   zone (or one nnn_burn_zones call with
 *                                   "zones"), in the machine-readable format of
 *                                   examples/fortran/02_burn_zones_openmp.f90
 *
 * Zone file: "n_zones n_species dt", then one line "T rho X_1 .. X_n" per zone.
 * Output: "zone K STATUS EPS_NUC EPS_NU YE N_STEPS X_1 .. X_n" (K from 1;
 * YE and N_STEPS are -1 in "zones" mode, where the C ABI does not return them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnn.h"

static int fail(const char* where, int status) {
  fprintf(stderr, "%s failed: status %d: %s\n", where, status, nnn_last_error());
  return 1;
}

static int one_zone(const nnn_network* net, int n) {
  double* X0 = calloc((size_t)n, sizeof(double));
  double* X = calloc((size_t)n, sizeof(double));
  int isi, is, st;
  if ((st = nnn_network_index(net, "si28", &isi)) != NNN_OK) return fail("nnn_network_index", st);
  if ((st = nnn_network_index(net, "s32", &is)) != NNN_OK) return fail("nnn_network_index", st);
  X0[isi] = 0.6;
  X0[is] = 0.4;
  double eps_nuc, eps_nu, Ye;
  long n_steps;
  st = nnn_burn(net, 3.5e9, 1e8, X0, 1.0, NULL, X, &eps_nuc, &eps_nu, &Ye, &n_steps);
  if (st != NNN_OK) return fail("nnn_burn", st);
  printf("eps_nuc (erg/g)  = %.16e\neps_nu (erg/g/s) = %.16e\nYe               = %.15f\nn_steps          = %ld\n",
         eps_nuc, eps_nu, Ye, n_steps);
  for (int i = 0; i < n; ++i) {
    char name[32];
    nnn_network_isotope(net, i, name, sizeof name, NULL, NULL);
    if (X[i] > 1e-4) printf("  %-8s %.16e\n", name, X[i]);
  }
  /* errors are a status and a thread-local message, never an exit */
  st = nnn_burn(net, -1.0, 1e8, X0, 1.0, NULL, X, &eps_nuc, &eps_nu, NULL, NULL);
  printf("bad input: status = %d, message: %s\n", st, nnn_last_error());
  free(X0);
  free(X);
  return 0;
}

static int zone_file(const nnn_network* net, int n, const char* path, int use_zones) {
  FILE* f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "cannot open zone file %s\n", path);
    return 1;
  }
  int nz, nf;
  double dt;
  if (fscanf(f, "%d %d %lf", &nz, &nf, &dt) != 3 || nf != n || nz < 0) {
    fprintf(stderr, "bad zone file header in %s (network has %d species)\n", path, n);
    fclose(f);
    return 1;
  }
  double* T = malloc(sizeof(double) * (size_t)(nz ? nz : 1));
  double* rho = malloc(sizeof(double) * (size_t)(nz ? nz : 1));
  double* X0 = malloc(sizeof(double) * (size_t)(nz ? nz : 1) * (size_t)n);
  double* X = malloc(sizeof(double) * (size_t)(nz ? nz : 1) * (size_t)n);
  double* eps_nuc = calloc((size_t)(nz ? nz : 1), sizeof(double));
  double* eps_nu = calloc((size_t)(nz ? nz : 1), sizeof(double));
  double* Ye = calloc((size_t)(nz ? nz : 1), sizeof(double));
  long* steps = calloc((size_t)(nz ? nz : 1), sizeof(long));
  int* status = calloc((size_t)(nz ? nz : 1), sizeof(int));
  for (int z = 0; z < nz; ++z) {
    int ok = fscanf(f, "%lf %lf", &T[z], &rho[z]) == 2;
    for (int i = 0; i < n && ok; ++i) ok = fscanf(f, "%lf", &X0[(size_t)z * n + i]) == 1;
    if (!ok) {
      fprintf(stderr, "zone file %s: cannot read zone %d\n", path, z + 1);
      fclose(f);
      return 1;
    }
  }
  fclose(f);

  if (use_zones) {
    for (int z = 0; z < nz; ++z) status[z] = -1;
    int st = nnn_burn_zones(net, nz, T, rho, X0, dt, NULL, X, eps_nuc, eps_nu, status, 0);
    for (int z = 0; z < nz; ++z) {
      Ye[z] = -1, steps[z] = -1;
      if (status[z] < 0) { /* invalid input: rejected before any work, nothing written */
        status[z] = st;
        memcpy(X + (size_t)z * n, X0 + (size_t)z * n, sizeof(double) * n);
      }
    }
  } else {
    for (int z = 0; z < nz; ++z) {
      status[z] = nnn_burn(net, T[z], rho[z], X0 + (size_t)z * n, dt, NULL, X + (size_t)z * n,
                           &eps_nuc[z], &eps_nu[z], &Ye[z], &steps[z]);
      if (status[z] != NNN_OK) memcpy(X + (size_t)z * n, X0 + (size_t)z * n, sizeof(double) * n);
    }
  }

  printf("# 01_burn mode=%s n_zones=%d n_species=%d dt=%.17e\nspecies", use_zones ? "zones" : "loop", nz,
         n, dt);
  for (int i = 0; i < n; ++i) {
    char name[32];
    nnn_network_isotope(net, i, name, sizeof name, NULL, NULL);
    printf(" %s", name);
  }
  printf("\n");
  for (int z = 0; z < nz; ++z) {
    printf("zone %d %d %.17e %.17e %.17e %ld", z + 1, status[z], eps_nuc[z], eps_nu[z], Ye[z], steps[z]);
    for (int i = 0; i < n; ++i) printf(" %.17e", X[(size_t)z * n + i]);
    printf("\n");
  }
  free(T), free(rho), free(X0), free(X), free(eps_nuc), free(eps_nu), free(Ye), free(steps), free(status);
  return 0;
}

int main(int argc, char** argv) {
  const char* network = argc > 1 ? argv[1] : "approx21_cr60_plus_co56";
  nnn_network* net = NULL;
  int st = nnn_network_load(network, &net);
  if (st != NNN_OK) return fail("nnn_network_load", st);
  int n = 0;
  nnn_network_n_species(net, &n);
  int rc = argc > 2 ? zone_file(net, n, argv[2], argc > 3 && strcmp(argv[3], "zones") == 0)
                    : one_zone(net, n);
  nnn_network_free(net);
  return rc;
}
