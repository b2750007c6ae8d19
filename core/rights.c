/* The GDPR rights register (issue 5) plugs in here; until it exists no
 * request blocks a case and no restriction has a subject. */
#include "internal.h"

int cv__rights_block(cv_archive *a, const char *case_id, char *reason, size_t n)
{
	(void)a;
	(void)case_id;
	if (n)
		reason[0] = '\0';
	return 0;
}

int cv__restriction_subject(cv_archive *a, const char *case_id, const char *person, int *is_subject)
{
	(void)a;
	(void)case_id;
	(void)person;
	*is_subject = 0;
	return 0;
}
