/* Test plugin: claims an ABI minor newer than the host's; must be refused. */
#include <casevault/plugin.h>

CV_PLUGIN_ENTRY(self, host)
{
	cv_plugin_info info = CV_PLUGIN_INFO_INIT("future-minor", "9.9", "built for a newer host");
	info.abi_minor = CV_PLUGIN_ABI_MINOR + 7;
	return host->declare(self, &info);
}
