/* nnn: C ABI of the nuclear reaction-network engine.
 *
 * Every function returns a status code (NNN_OK = 0 on success) and never
 * exits, aborts or prints. After a failure, nnn_last_error() returns a
 * message naming the bad field and value; the message is thread-local, so
 * zones burned in an OpenMP loop each see their own. A call with n_zones = 0
 * burns nothing and returns NNN_OK once its scalar arguments (dt, options)
 * pass their checks; its arrays may then be NULL.
 *
 * A loaded network is immutable: one handle may be used by any number of
 * threads at once. Arrays of several zones are zone-major:
 * X[zone * n_species + i], which is X(i, zone) in a column-major Fortran
 * array X(n_species, n_zones).
 *
 * Units: T in K, rho in g/cm^3, dt in s, X mass fractions (sum 1),
 * eps_nuc in erg/g released over dt (neutrino losses subtracted),
 * eps_nu in erg/g/s (weak-rate neutrino loss averaged over dt).
 */
#ifndef NNN_H
#define NNN_H

#ifdef __cplusplus
extern "C" {
#endif

enum nnn_status {
  NNN_OK = 0,
  NNN_BAD_INPUT = 1,         /* an argument is invalid; message names it */
  NNN_NETWORK_FILE = 2,      /* network file missing, unreadable or corrupt */
  NNN_INTEGRATOR_FAILED = 3, /* the stiff integrator could not reach dt */
  NNN_EMULATOR_FILE = 4,     /* emulator model missing, corrupt or mismatched */
  NNN_INTERNAL = 5,
  NNN_OUT_OF_DOMAIN = 6      /* a self-heating burn's T left the rates' range, or electron captures
                                carried a zone past the network's physics; the message names which */
};

typedef struct nnn_network nnn_network;

typedef struct nnn_options {
  double rtol;    /* relative tolerance on X_i (default 1e-8) */
  double atol;    /* absolute tolerance on X_i (default 1e-12) */
  long max_steps; /* default 500000 */
} nnn_options;

/* Fills *opt with the defaults. */
void nnn_default_options(nnn_options* opt);

/* Thread-local message of the last failed call in this thread ("" if none). */
const char* nnn_last_error(void);

/* name_or_path: a file path, or a network name looked up as NAME.net in
 * $NNN_NETWORK_DATA, then in the installed and source network_data/. */
int nnn_network_load(const char* name_or_path, nnn_network** net);
void nnn_network_free(nnn_network* net);

int nnn_network_n_species(const nnn_network* net, int* n_species);
/* Name (NUL-terminated, truncated to len-1 chars), mass number A and charge Z
 * of isotope i (0-based). */
int nnn_network_isotope(const nnn_network* net, int i, char* name, int len, int* A, int* Z);
/* 0-based index of an isotope by name, or NNN_BAD_INPUT if unknown. */
int nnn_network_index(const nnn_network* net, const char* name, int* index);
/* The sha256 of the network file as 64 hex characters + NUL (len >= 65). */
int nnn_network_hash(const nnn_network* net, char* hash, int len);

/* What a burn reports beyond its physics outputs. */
typedef struct nnn_zone_info {
  long n_steps;      /* integrator steps taken (accepted) */
  int table_clamped; /* 1: a weak-rate table was read beyond its grid edge, where its
                        value is held at the edge (not extrapolated); else 0 */
  double mass_drift; /* sum X - 1 before X was renormalised: the integrator's mass
                        error, which X_out no longer shows */
} nnn_zone_info;

/* Burn one zone at constant (T, rho) over dt. opt may be NULL (defaults).
 * X_out (n_species) receives X(dt); n_steps may be NULL. */
int nnn_burn(const nnn_network* net, double T, double rho, const double* X0, double dt,
             const nnn_options* opt, double* X_out, double* eps_nuc, double* eps_nu,
             double* Ye, long* n_steps);

/* Burn n_zones zones over the same dt on n_threads threads (0: all cores).
 * zone_status (n_zones) receives each zone's status; the call returns
 * NNN_OK if every zone succeeded, else the first failing zone's status
 * (nnn_last_error() names it). Invalid input fails before any work. */
int nnn_burn_zones(const nnn_network* net, int n_zones, const double* T, const double* rho,
                   const double* X0, double dt, const nnn_options* opt, double* X_out,
                   double* eps_nuc, double* eps_nu, int* zone_status, int n_threads);

/* nnn_burn and nnn_burn_zones, also filling info (one per zone; may be NULL):
 * table_clamped says a result rests on a weak-rate table read past its grid. */
int nnn_burn_with_info(const nnn_network* net, double T, double rho, const double* X0, double dt,
                       const nnn_options* opt, double* X_out, double* eps_nuc, double* eps_nu,
                       double* Ye, nnn_zone_info* info);
int nnn_burn_zones_with_info(const nnn_network* net, int n_zones, const double* T,
                             const double* rho, const double* X0, double dt,
                             const nnn_options* opt, double* X_out, double* eps_nuc,
                             double* eps_nu, int* zone_status, int n_threads,
                             nnn_zone_info* info);

/* ---- Burn modes (docs/burn_modes.md) --------------------------------------
 * Along a prescribed history: n_samples samples t[k] (s, strictly
 * increasing), T[k] (K), rho[k] (g/cm^3), interpolated linearly in log T and
 * log rho between samples; they must cover [0, dt]. The integrator stops and
 * restarts at every sample inside the burn. T_end (may be NULL) receives T(dt);
 * Ye and n_steps may be NULL. Bad samples: NNN_BAD_INPUT naming the sample. */
int nnn_burn_history(const nnn_network* net, int n_samples, const double* t, const double* T,
                     const double* rho, const double* X0, double dt, const nnn_options* opt,
                     double* X_out, double* eps_nuc, double* eps_nu, double* T_end, double* Ye,
                     long* n_steps);

/* Self-heating at constant rho from T0: T follows the energy released through
 * the EOS (ions, radiation, e-/e+). thermal_neutrinos != 0 adds thermal
 * neutrino cooling, whose mean loss over dt (erg/g/s) goes to eps_nu_thermal
 * (may be NULL; eps_nu stays the weak-rate loss). T_end receives T(dt).
 * T leaving the rates' range returns NNN_OUT_OF_DOMAIN. */
int nnn_burn_self_heating(const nnn_network* net, double T0, double rho, const double* X0, double dt,
                          const nnn_options* opt, int thermal_neutrinos, double* X_out, double* T_end,
                          double* eps_nuc, double* eps_nu, double* eps_nu_thermal, long* n_steps);

/* n_zones self-heating zones (e.g. the operator-split burn of a stellar
 * code's column) on n_threads threads (0: all cores); arrays zone-major as
 * nnn_burn_zones, T_end[z] per zone, zone_status as nnn_burn_zones. */
int nnn_burn_zones_self_heating(const nnn_network* net, int n_zones, const double* T0,
                                const double* rho, const double* X0, double dt,
                                const nnn_options* opt, int thermal_neutrinos, double* X_out,
                                double* T_end, double* eps_nuc, double* eps_nu, int* zone_status,
                                int n_threads);

/* The three burn modes, also filling info (one per zone; may be NULL) as
 * nnn_burn_with_info does: n_steps, table_clamped (a weak-rate table read past
 * its grid somewhere along the burn) and mass_drift. */
int nnn_burn_history_with_info(const nnn_network* net, int n_samples, const double* t,
                               const double* T, const double* rho, const double* X0, double dt,
                               const nnn_options* opt, double* X_out, double* eps_nuc,
                               double* eps_nu, double* T_end, double* Ye, nnn_zone_info* info);
int nnn_burn_self_heating_with_info(const nnn_network* net, double T0, double rho, const double* X0,
                                    double dt, const nnn_options* opt, int thermal_neutrinos,
                                    double* X_out, double* T_end, double* eps_nuc, double* eps_nu,
                                    double* eps_nu_thermal, nnn_zone_info* info);
int nnn_burn_zones_self_heating_with_info(const nnn_network* net, int n_zones, const double* T0,
                                          const double* rho, const double* X0, double dt,
                                          const nnn_options* opt, int thermal_neutrinos,
                                          double* X_out, double* T_end, double* eps_nuc,
                                          double* eps_nu, int* zone_status, int n_threads,
                                          nnn_zone_info* info);

#ifdef __cplusplus
}
#endif

#endif /* NNN_H */
