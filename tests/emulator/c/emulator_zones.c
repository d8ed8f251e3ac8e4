/* Test driver of the emulator C ABI (include/nnn_emulator.h), built by
 * tests/emulator/test_emulator_c.py against libnnn:
 *
 *   emulator_zones NETWORK MODEL ZONES_FILE MODE N_THREADS [TORCH_THREADS]
 *
 * MODEL: a model file or a network name (the shipped model).
 * ZONES_FILE: "n_zones n_species dt" then one line per zone "T rho X_1..X_n".
 * MODE "omp":   nnn_emulator_burn per zone in an OpenMP loop on N_THREADS
 *               threads (the MESA pattern), one shared emulator handle;
 * MODE "zones": one nnn_emulator_burn_zones call (n_threads = N_THREADS).
 * TORCH_THREADS: nnn_emulator_set_threads before the burns (default: as loaded).
 * Prints "zone K STATUS PATH EPS_NUC EPS_NU ERR X..." with 17 significant digits,
 * then "os_threads N": the process's threads after the burns (Linux
 * /proc/self/task), to show that inference adds no thread pool of its own.
 * Exit 0 on success, 2 on a load failure (message on stdout), 1 otherwise. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnn.h"
#include "nnn_emulator.h"

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    fprintf(stderr, "usage: %s NETWORK MODEL ZONES_FILE omp|zones N_THREADS [TORCH_THREADS]\n", argv[0]);
    return 1;
  }
  const int n_threads = atoi(argv[5]);
  nnn_network* net = NULL;
  nnn_emulator* em = NULL;
  if (nnn_network_load(argv[1], &net) != NNN_OK) {
    printf("error network %s\n", nnn_last_error());
    return 2;
  }
  int st = nnn_emulator_load(net, argv[2], &em);
  if (st != NNN_OK) {
    printf("error %d %s\n", st, nnn_last_error());
    return 2;
  }
  nnn_network_free(net); /* the emulator keeps its own reference */
  if (argc == 7 && nnn_emulator_set_threads(em, atoi(argv[6])) != NNN_OK) {
    printf("error %s\n", nnn_last_error());
    return 1;
  }

  FILE* f = fopen(argv[3], "r");
  int nz, ns;
  double dt;
  if (!f || fscanf(f, "%d %d %lf", &nz, &ns, &dt) != 3) return 1;
  double *T = malloc(sizeof(double) * nz), *rho = malloc(sizeof(double) * nz);
  double *X0 = malloc(sizeof(double) * nz * ns), *X = malloc(sizeof(double) * nz * ns);
  double *en = malloc(sizeof(double) * nz), *enu = malloc(sizeof(double) * nz);
  double* err = malloc(sizeof(double) * nz);
  int *path = malloc(sizeof(int) * nz), *zst = malloc(sizeof(int) * nz);
  for (int k = 0; k < nz; ++k) {
    if (fscanf(f, "%lf %lf", &T[k], &rho[k]) != 2) return 1;
    for (int i = 0; i < ns; ++i)
      if (fscanf(f, "%lf", &X0[k * ns + i]) != 1) return 1;
  }
  fclose(f);

  if (strcmp(argv[4], "omp") == 0) {
#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (int k = 0; k < nz; ++k) {
      zst[k] = nnn_emulator_burn(em, T[k], rho[k], X0 + k * ns, dt, NULL, X + k * ns, &en[k], &enu[k],
                                 NULL, &path[k], NULL, &err[k]);
    }
  } else {
    st = nnn_emulator_burn_zones(em, nz, T, rho, X0, dt, NULL, X, en, enu, path, zst, err, n_threads);
    if (st != NNN_OK) printf("status %d %s\n", st, nnn_last_error());
  }
  for (int k = 0; k < nz; ++k) {
    printf("zone %d %d %d %.17g %.17g %.17g", k, zst[k], path[k], en[k], enu[k], err[k]);
    for (int i = 0; i < ns; ++i) printf(" %.17g", X[k * ns + i]);
    printf("\n");
  }
  /* live threads only: a joined integrator thread can linger a moment as a
     dead task (state Z or X) */
  usleep(50000);
  int n_os = 0;
  DIR* d = opendir("/proc/self/task");
  if (d) {
    for (struct dirent* e; (e = readdir(d));) {
      if (e->d_name[0] == '.') continue;
      char p[300], buf[512];
      snprintf(p, sizeof p, "/proc/self/task/%s/stat", e->d_name);
      FILE* fs = fopen(p, "r");
      if (!fs) continue;
      const size_t nr = fread(buf, 1, sizeof buf - 1, fs);
      fclose(fs);
      buf[nr] = 0;
      const char* rp = strrchr(buf, ')'); /* "tid (comm) S ...": the state after the name */
      if (rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X') ++n_os;
    }
    closedir(d);
  }
  printf("os_threads %d\n", n_os);
  nnn_emulator_free(em);
  free(T); free(rho); free(X0); free(X); free(en); free(enu); free(err); free(path); free(zst);
  return 0;
}
