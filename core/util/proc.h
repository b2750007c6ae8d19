/* Process-wide protections (proc.c): they change the whole process, once
 * and for good; safe to call from any thread, any number of times. */
#ifndef CV_UTIL_PROC_H
#define CV_UTIL_PROC_H

/** Turn core dumps off for the rest of the process (RLIMIT_CORE 0,
 * PR_SET_DUMPABLE 0): a share, a key or a sealed identity is about to be in
 * memory. */
void cv__no_core_dumps(void);

#endif
