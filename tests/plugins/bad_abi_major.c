/* Test plugin: claims another ABI major; must be refused. */
#include <casevault/plugin.h>

CV_PLUGIN_ENTRY(self, host)
{
	cv_plugin_info info = CV_PLUGIN_INFO_INIT("other-major", "1.0", "built for ABI 2");
	info.abi_major = CV_PLUGIN_ABI_MAJOR + 1;
	return host->declare(self, &info);
}
