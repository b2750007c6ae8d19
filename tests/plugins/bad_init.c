/* Test plugin: its initialisation fails with a reason; must be refused cleanly. */
#include <casevault/plugin.h>

CV_PLUGIN_ENTRY(self, host)
{
	cv_plugin_info info = CV_PLUGIN_INFO_INIT("fails-init", "1.0", "cannot start");
	int rc = host->declare(self, &info);
	if (rc)
		return rc;
	return host->error(CV_EPLUGIN, "fails-init: its configuration file is missing");
}
