/* nnn emulator: C ABI of the emulator path of libnnn (one TorchScript model of
 * a burn step per network, format nnn-emulator-2, for every dt in its range;
 * per-zone checks with fallback to the integrator).
 *
 * Same conventions as nnn.h: every function returns a status code (NNN_OK = 0)
 * and never exits, aborts or prints; after a failure nnn_last_error() (nnn.h,
 * thread-local) names the problem. Arrays of several zones are zone-major,
 * X[zone * n_species + i]; units as in nnn.h.
 *
 * Per zone, the emulator's result is used only if log10 T, log10 rho, Ye and
 * log10 dt lie inside the model's domain (nnn_emulator_model), the model ran,
 * and its output passes the checks: sanity (finite, |sum X - 1| <=
 * sum_tolerance, no X_i < -negative_tolerance), the model's own error
 * estimate err <= max_error (if max_error > 0), energy consistency
 * (check_energy) and the weak-rate |dYe| bound (check_dye); see
 * docs/emulator_runtime.md for the formulas. Every other zone is burned by the
 * integrator (as nnn_burn_zones, with opt) over the whole dt: used_fallback
 * says which path each zone took and why. A model that fails at run time sends
 * its zones to the integrator (NNN_PATH_FALLBACK_MODEL); it never fails the
 * call. No NaN ever leaves these calls.
 *
 * Threads: a loaded emulator is immutable apart from its settings (set them
 * before sharing the handle); nnn_emulator_burn / _burn_zones may be called by
 * any number of threads at once on one handle (e.g. an OpenMP loop over zones).
 * libtorch runs each inference on torch_threads threads of the calling thread
 * (default 1, so that a loop over zones on all cores does not oversubscribe
 * them); the setting is restored after the call.
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
  NNN_PATH_FALLBACK_DOMAIN = 1, /* log T, log rho or Ye outside the model's domain */
  NNN_PATH_FALLBACK_DT = 2,     /* dt outside the model's dt range */
  NNN_PATH_FALLBACK_SANITY = 3, /* output not finite, not normalised, negative X or err */
  NNN_PATH_FALLBACK_ENERGY = 4, /* eps_nuc inconsistent with the composition change */
  NNN_PATH_FALLBACK_DYE = 5,    /* |Ye - Ye0| above the weak-rate bound */
  NNN_PATH_FALLBACK_ERROR = 6,  /* the model's error estimate above max_error */
  NNN_PATH_FALLBACK_MODEL = 7,  /* the model failed at run time */
  NNN_PATH_FALLBACK_YE_CHANGE = 8 /* the step's |Ye - Ye0| / Ye0 above max_dye */
};

/* Settings; nnn_emulator_default_config gives the defaults (in brackets). */
typedef struct nnn_emulator_config {
  double sum_tolerance;      /* |sum X - 1| above this: fallback [1e-4] */
  double negative_tolerance; /* X_i < -this: fallback; smaller negatives clipped to 0 [1e-6] */
  double max_error;          /* err above this: fallback; 0: no threshold [0] */
  double max_dye;            /* the step's |Ye - Ye0| / Ye0 above this: fallback; 0: none [0] */
  double energy_rtol;        /* energy check, relative part [0.9] */
  double energy_dx;          /* energy check, composition floor (mass fraction) [1e-3] */
  double dye_safety;         /* |dYe| check: factor on the weak-rate bound [10] */
  double dye_atol;           /* |dYe| check: floor [1e-6] */
  int check_energy;          /* 1: energy consistency check on [1] */
  int check_dye;             /* 1: |dYe| bound check on [1] */
  int torch_threads;         /* libtorch intra-op threads per call; 0: libtorch's own [1] */
  int batch_size;            /* zones per inference call, bounds memory [65536] */
} nnn_emulator_config;

/* 1 if libnnn was built with libtorch, else 0. */
int nnn_emulator_has_libtorch(void);

/* Fills *cfg with the defaults. */
void nnn_emulator_default_config(nnn_emulator_config* cfg);

/* Loads a model for net. model: a model file (*.pt, exported by
 * python -m nnn.train), or a network name ("mesa_80") for the shipped model
 * emulators/<name>.pt, searched like network files ($NNN_NETWORK_DATA, the
 * installed network_data, the source tree's). The model's isotope list and
 * network file hash must match net (else NNN_EMULATOR_FILE naming both);
 * nnn-emulator-1 files (one model per dt) are refused. The emulator keeps its
 * own reference to the network: net may be freed first. */
int nnn_emulator_load(const nnn_network* net, const char* model, nnn_emulator** em);
void nnn_emulator_free(nnn_emulator* em);

/* NNN_OK if net is the network the emulator was loaded with (same file
 * hash), else NNN_EMULATOR_FILE naming both (for wrappers whose burn call
 * takes a network and an optional emulator). */
int nnn_emulator_check_network(const nnn_emulator* em, const nnn_network* net);

/* Settings. set_config checks every field first (NNN_BAD_INPUT naming the
 * first invalid one; then nothing changes). set_threads sets torch_threads. */
int nnn_emulator_set_config(nnn_emulator* em, const nnn_emulator_config* cfg);
int nnn_emulator_get_config(const nnn_emulator* em, nnn_emulator_config* cfg);
int nnn_emulator_set_threads(nnn_emulator* em, int torch_threads);

/* The model's domain, each [lo, hi] (any may be NULL): log10 T (K),
 * log10 rho (g/cm^3), Ye, log10 dt (s). */
int nnn_emulator_model(const nnn_emulator* em, double* logT, double* logrho, double* Ye,
                       double* logdt);

/* One zone, as nnn_burn. Ye, used_fallback, n_steps, err may be NULL; err
 * receives the model's error estimate (the eq-5 distance
 * sum_i (Z_i/A_i)|X_i - X_i,true| it predicts) for an emulator zone, 0 for a
 * fallback zone. */
int nnn_emulator_burn(const nnn_emulator* em, double T, double rho, const double* X0, double dt,
                      const nnn_options* opt, double* X_out, double* eps_nuc, double* eps_nu,
                      double* Ye, int* used_fallback, long* n_steps, double* err);

/* n_zones zones over the same dt, as nnn_burn_zones: opt (may be NULL) and
 * n_threads (0: all cores; pass 1 inside an OpenMP loop) apply to the
 * fallback integrator. used_fallback, zone_status and err (n_zones each) may
 * be NULL. The call returns NNN_OK if every zone succeeded, else the first
 * failing zone's status (a fallback integrator failure: that zone gets
 * X_out = X0, eps = 0). Invalid input or options fail before any zone runs
 * (every zone_status is then that status; outputs unwritten). */
int nnn_emulator_burn_zones(const nnn_emulator* em, int n_zones, const double* T,
                            const double* rho, const double* X0, double dt,
                            const nnn_options* opt, double* X_out, double* eps_nuc,
                            double* eps_nu, int* used_fallback, int* zone_status, double* err,
                            int n_threads);

/* The same, with each zone's nnn_zone_info (info may be NULL): the
 * integrator's n_steps, table_clamped and mass_drift for a fallback zone, all
 * 0 for a zone the emulator did (it reads no weak-rate table for its result). */
int nnn_emulator_burn_with_info(const nnn_emulator* em, double T, double rho, const double* X0,
                                double dt, const nnn_options* opt, double* X_out, double* eps_nuc,
                                double* eps_nu, double* Ye, int* used_fallback, double* err,
                                nnn_zone_info* info);
int nnn_emulator_burn_zones_with_info(const nnn_emulator* em, int n_zones, const double* T,
                                      const double* rho, const double* X0, double dt,
                                      const nnn_options* opt, double* X_out, double* eps_nuc,
                                      double* eps_nu, int* used_fallback, int* zone_status,
                                      double* err, int n_threads, nnn_zone_info* info);

#ifdef __cplusplus
}
#endif

#endif /* NNN_EMULATOR_H */
