/* Process-wide protections for code that holds secrets. */
#include "util/proc.h"

#include <sys/prctl.h>
#include <sys/resource.h>

void cv__no_core_dumps(void)
{
	struct rlimit none = { 0, 0 };
	(void)setrlimit(RLIMIT_CORE, &none);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
