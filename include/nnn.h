/* nnn: C ABI of the nuclear reaction-network engine.
 *
 * Every function returns a status code (NNN_OK = 0 on success) and never
 * exits, aborts or prints. After a failure, nnn_last_error() returns a
 * message naming the bad field and value; the message is thread-local, so
 * zones burned in an OpenMP loop each see their own.
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
  NNN_INTERNAL = 5
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

#ifdef __cplusplus
}
#endif

#endif /* NNN_H */
