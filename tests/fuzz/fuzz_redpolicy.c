/* libFuzzer target: the redaction policy file (core/export/redpolicy.c).
 * Whatever it accepts must have a name and a version, and must never show
 * the names of a family member or a reporter, whatever the file says. */
#include "export/redpolicy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *private_roles[] = { "child", "mother", "father", "parent", "sibling", "relative", "reporter", "other" };
	cv_redpolicy p;
	memset(&p, 0, sizeof p);
	snprintf(p.path, sizeof p.path, "fuzz.yaml");
	if (cv__redpolicy_parse(&p, (const char *)data, size) == 0) {
		CHECK(p.name[0] && p.version > 0);
		for (size_t i = 0; i < sizeof private_roles / sizeof *private_roles; i++)
			CHECK(!cv__redpolicy_shows(&p, private_roles[i], "juge des enfants"));
		cv_buf d = CV_BUF_INIT;
		CHECK(cv__redpolicy_describe(&p, &d) == 0);
		cv__buf_dispose(&d);
	} else {
		CHECK(strstr(cv_error_last()->message, "fuzz.yaml") != NULL || cv_error_last()->code == CV_ENOMEM);
	}
	cv__redpolicy_free(&p);
	return 0;
}
