/* The retain-policy plugin as the core sees it: the built module loaded with
 * dlopen, its entry called with a fake host table, policies loaded and
 * evaluated through cv_retain_ops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <cmocka.h>

#include <casevault/plugin.h>
#include "fake_host.h"

struct cv_plugin {
	int declared;
	char name[64];
	const cv_retain_ops *retain;
};

static const char *default_policy;

static int f_declare(cv_plugin *self, const cv_plugin_info *info)
{
	assert_int_equal(info->abi_major, CV_PLUGIN_ABI_MAJOR);
	snprintf(self->name, sizeof self->name, "%s", info->name);
	self->declared = 1;
	return 0;
}

static int f_register_retain(cv_plugin *self, const cv_retain_ops *ops)
{
	assert_true(self->declared);
	assert_int_equal(ops->version, CV_RETAIN_OPS_VERSION);
	assert_true(ops->size >= sizeof(cv_retain_ops));
	self->retain = ops;
	return 0;
}

static const char *f_config_get(cv_plugin *self, const char *key)
{
	(void)self;
	return !strcmp(key, "policy.default") ? default_policy : NULL;
}

static cv_host make_host(void)
{
	cv_host h;
	fake_host_init(&h);
	h.declare = f_declare;
	h.register_retain = f_register_retain;
	h.config_get = f_config_get;
	return h;
}

static void *module;
static cv_plugin_entry_fn entry;
static cv_host host;
static cv_plugin self;

static int setup(void **st)
{
	(void)st;
	module = dlopen(CV_RETAIN_MODULE, RTLD_NOW | RTLD_LOCAL);
	if (!module) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return -1;
	}
	*(void **)&entry = dlsym(module, CV_PLUGIN_ENTRY_NAME);
	if (!entry)
		return -1;
	host = make_host();
	memset(&self, 0, sizeof self);
	return entry(&self, &host);
}

static int teardown(void **st)
{
	(void)st;
	if (module)
		dlclose(module);
	return 0;
}

static void test_declares(void **st)
{
	(void)st;
	assert_string_equal(self.name, "retain-policy");
	assert_non_null(self.retain);
	assert_non_null(self.retain->policy_load);
	assert_non_null(self.retain->policy_evaluate);
	assert_non_null(self.retain->policy_free);
}

static void test_default_policy(void **st)
{
	(void)st;
	const cv_retain_ops *ops = self.retain;
	void *pol = NULL;
	default_policy = CV_POLICY_SRC_DIR "/ase.yaml";
	assert_int_equal(ops->policy_load(ops->state, &pol, NULL), 0);
	assert_non_null(pol);
	cv_retain_case c = { sizeof c, "c1", "ASE-31-2016-00042", "placement", "archived", "2016-03-01", "2021-06-30",
		"2009-03-12" };
	cv_retain_verdict v = { sizeof v };
	assert_int_equal(ops->policy_evaluate(pol, &c, "2026-06-30", &v), 0);
	assert_int_equal(v.action, CV_ACTION_ANONYMISE);
	assert_string_equal(v.due, "2026-06-30");
	assert_string_equal(v.rule, "ase-standard");
	assert_string_equal(v.final_action, "anonymise");
	memset(&v, 0, sizeof v);
	v.size = sizeof v;
	assert_int_equal(ops->policy_evaluate(pol, &c, "2026-06-29", &v), 0);
	assert_int_equal(v.action, CV_ACTION_KEEP);
	c.category = "secret_birth";
	assert_int_equal(ops->policy_evaluate(pol, &c, "2026-06-30", &v), 0);
	assert_int_equal(v.permanent, 1);
	/* errors go through host->error */
	c.category = "nope";
	assert_int_equal(ops->policy_evaluate(pol, &c, "2026-06-30", &v), CV_EINVAL);
	assert_non_null(strstr(fake_host_error_msg, "retain-policy: case ASE-31-2016-00042: category 'nope'"));
	ops->policy_free(pol);
	/* an explicit path wins over the default */
	default_policy = "/nonexistent.yaml";
	assert_int_equal(ops->policy_load(ops->state, &pol, CV_POLICY_SRC_DIR "/examples/mixed-destroy.yaml"), 0);
	c.category = "prevention";
	assert_int_equal(ops->policy_evaluate(pol, &c, "2026-06-30", &v), 0);
	assert_int_equal(v.action, CV_ACTION_DESTROY);
	ops->policy_free(pol);
}

static void test_load_errors(void **st)
{
	(void)st;
	const cv_retain_ops *ops = self.retain;
	void *pol = (void *)1;
	default_policy = "/nonexistent/ase.yaml";
	assert_int_equal(ops->policy_load(ops->state, &pol, NULL), CV_ENOTFOUND);
	assert_null(pol);
	assert_non_null(strstr(fake_host_error_msg, "/nonexistent/ase.yaml"));
	default_policy = NULL;
	assert_int_equal(ops->policy_load(ops->state, &pol, NULL), CV_EINVAL);
	assert_non_null(strstr(fake_host_error_msg, "policy.default"));

	char path[] = "/tmp/cv-retain-plugin-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("policy: p\nversion: 1\nrules:\n  - id: a\n    categories: [placement]\n    final: delete\n    after: 5y\n    source: x\n", f);
	fclose(f);
	assert_int_equal(ops->policy_load(ops->state, &pol, path), CV_EINVAL);
	char want[256];
	snprintf(want, sizeof want, "%s:6: unknown action 'delete' (known: archive, anonymise, destroy, keep)", path);
	assert_string_equal(fake_host_error_msg, want);
	remove(path);
}

static void test_old_host_refused(void **st)
{
	(void)st;
	cv_host old = make_host();
	cv_plugin other;
	memset(&other, 0, sizeof other);
	old.size = offsetof(cv_host, config_get);
	assert_int_equal(entry(&other, &old), CV_EPLUGIN);
	assert_false(other.declared);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_declares),
		cmocka_unit_test(test_default_policy),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_old_host_refused),
	};
	return cmocka_run_group_tests_name("retain.plugin", tests, setup, teardown);
}
