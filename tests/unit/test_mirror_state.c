/* The mirror state and keyrings (core/mirror/state.c): epochs start, end and
 * are destroyed; the file and keyrings round-trip and are authenticated;
 * keyrings carry live epochs only; manifests are parsed strictly. With
 * CV_WRITE_SEEDS=DIR, also writes the fuzzer's seeds (fuzz_mirror_files). */
#include "support.h"
#include "mirror/state.h"
#include "engine/archive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void seed(const char *name, const void *data, size_t len)
{
	const char *dir = getenv("CV_WRITE_SEEDS");
	if (!dir)
		return;
	char *p = cvt_join(dir, name);
	cvt_write(p, data, len);
	free(p);
}

static void test_epochs_live_and_destroyed(void **state)
{
	(void)state;
	cv_archive *a = cvt_archive("mstate1", NULL);
	cv_mstate s;
	assert_int_equal(cv__mstate_load(&s, a), 0);
	assert_int_equal(s.epoch_days, 30);
	assert_int_equal(s.retention_days, 90);
	assert_null(cv__mstate_current(&s));
	assert_int_equal(cv__mstate_new_epoch(&s, "2026-01-01T00:00:00Z"), 0);
	assert_int_equal(cv__mstate_new_epoch(&s, "2026-02-01T00:00:00Z"), 0);
	assert_int_equal(cv__mstate_new_epoch(&s, "2026-03-01T00:00:00Z"), 0);
	assert_int_equal(s.nepochs, 3);
	assert_string_equal(cv__mstate_current(&s)->created, "2026-03-01T00:00:00Z");
	assert_string_equal(s.epochs[0].ended, "2026-02-01T00:00:00Z");
	assert_string_equal(s.epochs[1].ended, "2026-03-01T00:00:00Z");
	unsigned char k0[32];
	memcpy(k0, s.epochs[0].key, 32);
	/* 90 days after the first ended: only it goes; the current never does */
	size_t n = 0;
	cv__mstate_expire(&s, "2026-05-02T00:00:00Z", 90, &n);
	assert_int_equal(n, 1);
	assert_false(s.epochs[0].has_key);
	assert_true(s.epochs[1].has_key);
	cv__mstate_expire(&s, "2026-05-02T00:00:00Z", 0, &n);
	assert_int_equal(n, 1);
	assert_true(cv__mstate_current(&s)->has_key);
	assert_int_equal(cv__mstate_save(&s, a), 0);
	/* the file holds no destroyed key and round-trips */
	char *p = cvt_join(cv_archive_dir(a), "mirrors.json");
	size_t len = 0;
	unsigned char *text = cvt_read(p, &len);
	assert_non_null(text);
	assert_null(cvt_memmem(text, len, k0, 32));
	seed("state.json", text, len);
	cv_mstate t;
	assert_int_equal(cv__mstate_load(&t, a), 0);
	assert_int_equal(t.nepochs, 3);
	assert_false(t.epochs[0].has_key);
	assert_string_equal(t.epochs[0].destroyed, "2026-05-02T00:00:00Z");
	assert_memory_equal(t.epochs[2].key, s.epochs[2].key, 32);
	cv__mstate_dispose(&t);
	/* one byte changed anywhere: refused as altered */
	text[len / 2] ^= 1;
	cvt_write(p, text, len);
	assert_int_equal(cv__mstate_load(&t, a), CV_EDAMAGED);
	free(text);
	free(p);
	cv__mstate_dispose(&s);
	cv_archive_free(a);
}

static void test_keyring_round_trip_and_authenticated(void **state)
{
	(void)state;
	cv_archive *a = cvt_archive("mstate2", NULL), *b = cvt_archive("mstate3", NULL);
	cv_mstate s = { 0 };
	s.epoch_days = 7;
	s.retention_days = 21;
	s.next_snapshot = 5;
	assert_int_equal(cv__mstate_new_epoch(&s, "2026-01-01T00:00:00Z"), 0);
	assert_int_equal(cv__mstate_new_epoch(&s, "2026-01-08T00:00:00Z"), 0);
	size_t n = 0;
	cv__mstate_expire(&s, "2026-03-01T00:00:00Z", 21, &n);
	assert_int_equal(n, 1);
	char *ring = NULL;
	assert_int_equal(cv__mstate_keyring(&ring, &s, a), 0);
	seed("keyring.json", ring, strlen(ring));
	assert_null(strstr(ring, s.epochs[0].id_hex)); /* live epochs only */
	cv_mstate r;
	assert_int_equal(cv__mstate_from_keyring(&r, a, ring, strlen(ring)), 0);
	assert_int_equal(r.nepochs, 1);
	assert_int_equal(r.epoch_days, 7);
	assert_int_equal(r.retention_days, 21);
	assert_int_equal(r.next_snapshot, 5);
	assert_memory_equal(r.epochs[0].key, s.epochs[1].key, 32);
	cv__mstate_dispose(&r);
	/* another archive's master key does not open it */
	assert_int_equal(cv__mstate_from_keyring(&r, b, ring, strlen(ring)), CV_EDAMAGED);
	/* a changed setting is refused */
	char *bad = strdup(ring), *at = strstr(bad, "\"retention_days\": 21");
	assert_non_null(at);
	at[18] = '9';
	assert_int_equal(cv__mstate_from_keyring(&r, a, bad, strlen(bad)), CV_EDAMAGED);
	free(bad);
	free(ring);
	cv__mstate_dispose(&s);
	cv_archive_free(a);
	cv_archive_free(b);
}

static void test_manifest_pick(void **state)
{
	(void)state;
	static const char *M = "{\"format\":\"casevault-mirror\",\"snapshots\":["
		"{\"seq\":3,\"epoch\":\"00112233445566778899aabbccddeeff\",\"taken\":\"2026-01-01T00:00:00Z\","
		"\"oid\":\"0123456789012345678901234567890123456789\",\"commit\":\"0123456789012345678901234567890123456789\","
		"\"journal_seq\":10,\"journal_head\":\"" "0000000000000000000000000000000000000000000000000000000000000000\"},"
		"{\"seq\":7,\"epoch\":\"00112233445566778899aabbccddeeff\",\"taken\":\"2026-01-02T00:00:00Z\","
		"\"oid\":\"1123456789012345678901234567890123456789\",\"commit\":\"1123456789012345678901234567890123456789\","
		"\"journal_seq\":12,\"journal_head\":\"" "1000000000000000000000000000000000000000000000000000000000000000\"}]}";
	seed("manifest.json", M, strlen(M));
	json_t *m = json_loads(M, 0, NULL);
	assert_non_null(m);
	cv_msnap out, *all = NULL;
	size_t n = 0;
	assert_int_equal(cv__manifest_pick(m, 0, &out, &all, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out.seq, 7);
	free(all);
	assert_int_equal(cv__manifest_pick(m, 3, &out, &all, &n), 0);
	assert_int_equal(out.journal_seq, 10);
	free(all);
	assert_int_equal(cv__manifest_pick(m, 4, &out, &all, &n), CV_ENOTFOUND);
	free(all);
	json_decref(m);
	/* a short commit id, a missing field, no list: refused */
	static const char *const bad[] = { "{}", "{\"snapshots\":{}}", "{\"snapshots\":[{\"seq\":1}]}",
		"{\"snapshots\":[{\"seq\":1,\"epoch\":\"00\",\"taken\":\"t\",\"oid\":\"x\",\"commit\":\"y\",\"journal_seq\":1,"
		"\"journal_head\":\"z\"}]}", "{\"snapshots\":[]}" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		m = json_loads(bad[i], 0, NULL);
		assert_non_null(m);
		assert_int_not_equal(cv__manifest_pick(m, 0, &out, &all, &n), 0);
		free(all);
		json_decref(m);
	}
}

CVT_MAIN(cmocka_unit_test(test_epochs_live_and_destroyed), cmocka_unit_test(test_keyring_round_trip_and_authenticated),
	cmocka_unit_test(test_manifest_pick))
