/* casevault serve — sessions (see http.h for the functions: sv__session_*).
 * Kept as its own header for the file layout the contract names; the table
 * itself is private to session.c. Thread-safety: every function locks. */
#ifndef CV_SERVE_SESSION_H
#define CV_SERVE_SESSION_H

#include "http.h"

#define SV_SESSIONS_MAX 4096

#endif
