/* casevault serve — jobs (see serve.h for the public part; http.h for the
 * core's sv__job_*). A job is its own thread with its own handle; the
 * registry, progress and outcome are guarded by one lock in job.c.
 * If sv_job_start fails, free_arg (when given) has already run on arg. */
#ifndef CV_SERVE_JOB_H
#define CV_SERVE_JOB_H

#include "http.h"

#define SV_JOB_TTL_S 3600
#define SV_JOBS_PER_USER 16

#endif
