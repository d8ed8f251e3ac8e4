/* Thread-local error message for failures the Fortran module detects itself
 * (network not loaded, array sizes that disagree), merged with the engine's
 * thread-local nnn_last_error(). Part of libnnn_fortran; not a public API. */
#include <string.h>

#include "nnn.h"

#define NNN_F_MSG_LEN 1024

static _Thread_local char f_msg[NNN_F_MSG_LEN];
static _Thread_local int f_own = 0;

void nnn_f_set_error(const char* msg, int len) {
  if (len < 0) len = 0;
  if (len > NNN_F_MSG_LEN - 1) len = NNN_F_MSG_LEN - 1;
  memcpy(f_msg, msg, (size_t)len);
  f_msg[len] = '\0';
  f_own = 1;
}

void nnn_f_clear_error(void) { f_own = 0; }

const char* nnn_f_last_error(void) { return f_own ? f_msg : nnn_last_error(); }
