/* nnn emulator: C ABI of the emulator path of libnnn (TorchScript models of
 * one burn step, with a per-zone domain check and fallback to the integrator).
 *
 * Same conventions as nnn.h: every function returns a status code (NNN_OK = 0)
 * and never exits, aborts or prints; after a failure nnn_last_error() (nnn.h,
 * thread-local) names the problem. Arrays of several zones are zone-major,
 * X[zone * n_species + i]; units as in nnn.h.
 *
 * Per zone, the emulator's result is used only if dt is a trained dt (within
 * dt_rtol, relative) -- or, with chain_dt, a whole multiple of one --, the
 * zone's log10 T, log10 rho and Ye lie inside the model's training domain,
 * and the output passes a sanity check (finite, |sum X - 1| <= sum_tolerance,
 * no X_i < -negative_tolerance). Every other zone is burned by the integrator
 * (as nnn_burn_zones, with opt) over the whole dt: used_fallback says which
 * path each zone took. An untrained dt therefore means "integrator for every
 * zone" unless chain_dt is set. No NaN ever leaves these calls.
 *
 * Threads: a loaded emulator is immutable apart from its settings (set them
 * before sharing the handle); nnn_emulator_burn / _burn_zones may be called by
 * any number of threads at once on one handle (e.g. an OpenMP loop over zones).
 *
 * Built without libtorch, nnn_emulator_load fails with NNN_EMULATOR_FILE and
 * a message saying so; nnn_emulator_has_libtorch() tells in advance.
 */
#ifndef NNN_EMULATOR_H
#define NNN_EMULATOR_H

#include "nnn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nnn_emulator nnn_emulator;

/* Values of used_fallback[zone]: 0 = emulator, > 0 = integrator, and why. */
enum nnn_emulator_path {
  NNN_PATH_EMULATOR = 0,        /* the emulator's result */
  NNN_PATH_FALLBACK_DOMAIN = 1, /* T, rho or Ye outside the training domain */
  NNN_PATH_FALLBACK_DT = 2,     /* dt is not a trained dt (and not chained) */
  NNN_PATH_FALLBACK_SANITY = 3  /* the emulator's output failed the sanity check */
};

typedef struct nnn_emulator_config {
  double sum_tolerance;      /* |sum X - 1| above this: fallback (default 1e-4) */
  double negative_tolerance; /* X_i < -this: fallback; smaller negatives clipped to 0 (1e-6) */
  double dt_rtol;            /* dt equals a trained dt within this relative distance (1e-9) */
  int chain_dt;              /* 1: an untrained dt that is k times a trained dt (k integer,
                                k <= max_chain_steps) is done as k emulator steps of the
                                largest such dt; 0 (default): integrator */
  int max_chain_steps;       /* default 1000 */
  int batch_size;            /* zones per inference call, bounds memory (default 65536) */
} nnn_emulator_config;

/* 1 if libnnn was built with libtorch, else 0. */
int nnn_emulator_has_libtorch(void);

/* Fills *cfg with the defaults. */
void nnn_emulator_default_config(nnn_emulator_config* cfg);

/* Loads the models in path: one TorchScript file (*.pt, exported by
 * python -m nnn.train), a directory (every *.pt in it), or several of either
 * separated by ':'. Each model's isotope list and network file hash must match
 * net (else NNN_EMULATOR_FILE naming both); one model per dt. The emulator
 * keeps its own reference to the network: net may be freed first. */
int nnn_emulator_load(const nnn_network* net, const char* path, nnn_emulator** em);
void nnn_emulator_free(nnn_emulator* em);

/* NNN_OK if net is the network the emulator was loaded with (same file
 * hash), else NNN_EMULATOR_FILE naming both (for wrappers whose burn call
 * takes a network and an optional emulator). */
int nnn_emulator_check_network(const nnn_emulator* em, const nnn_network* net);

/* libtorch intra-op threads used by one inference call (0: libtorch's default,
 * all cores). Inside an OpenMP parallel region libtorch runs serially anyway.
 * Applied per calling thread (at::set_num_threads) when it differs. */
int nnn_emulator_set_threads(nnn_emulator* em, int n_threads);
int nnn_emulator_set_config(nnn_emulator* em, const nnn_emulator_config* cfg);
int nnn_emulator_get_config(const nnn_emulator* em, nnn_emulator_config* cfg);

/* Models, sorted by dt (i = 0 .. n_models - 1). */
int nnn_emulator_n_models(const nnn_emulator* em, int* n_models);
/* dt (s) and training domain of model i; any output may be NULL;
 * logT, logrho, Ye receive [lo, hi]. */
int nnn_emulator_model(const nnn_emulator* em, int i, double* dt, double* logT, double* logrho,
                       double* Ye);

/* One zone, as nnn_burn. used_fallback, Ye, n_steps may be NULL. */
int nnn_emulator_burn(const nnn_emulator* em, double T, double rho, const double* X0, double dt,
                      const nnn_options* opt, double* X_out, double* eps_nuc, double* eps_nu,
                      double* Ye, int* used_fallback, long* n_steps);

/* n_zones zones over the same dt, as nnn_burn_zones: opt (may be NULL) and
 * n_threads (0: all cores; pass 1 inside an OpenMP loop) apply to the
 * fallback integrator. used_fallback and zone_status (n_zones each) may be
 * NULL. The call returns NNN_OK if every zone succeeded, else the first
 * failing zone's status (a fallback integrator failure: that zone gets
 * X_out = X0, eps = 0). Invalid input fails before any work. */
int nnn_emulator_burn_zones(const nnn_emulator* em, int n_zones, const double* T,
                            const double* rho, const double* X0, double dt,
                            const nnn_options* opt, double* X_out, double* eps_nuc,
                            double* eps_nu, int* used_fallback, int* zone_status,
                            int n_threads);

#ifdef __cplusplus
}
#endif

#endif /* NNN_EMULATOR_H */
