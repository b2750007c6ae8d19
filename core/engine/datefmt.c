/* French dates for front ends: the library's own formatting (util/date.c),
 * the one its slips, registers and copies use, so that a page and a
 * document printed from it say a date the same way. Pure, thread-safe. */
#include "casevault.h"
#include "util/date.h"

#include <stdio.h>

CV_EXTERN(int) cv_date_format_fr(char out[48], const char *iso)
{
	if (!iso || !*iso) {
		snprintf(out, 48, "—");
		return 0;
	}
	return cv__datetime_fr(out, iso) == 0 ? 0 : -1;
}
