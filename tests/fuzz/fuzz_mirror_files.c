/* libFuzzer target: what a restore reads from a mirror before anything is
 * authenticated by an epoch key: the keyring (core/mirror/state.c:
 * cv__mstate_from_keyring, whose MAC check must come before any field is
 * used) and the manifest (cv__manifest_pick), on arbitrary bytes, with a
 * fixed archive id and master key. Invariants beyond "no crash": a refused
 * keyring leaves an empty state; a picked snapshot has ids of the right
 * length and is one of the listed ones.
 *
 * Seeds (corpus/mirror_files): a mirror state, a keyring and a manifest as
 * written by casevault (CV_WRITE_SEEDS=DIR build/tests/test_mirror_state). */
#include "mirror/state.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "harness check failed: %s\n", #cond); abort(); } } while (0)

static cv_archive A;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(A.id, sizeof A.id, "00112233445566778899aabbccddeeff");
	for (int i = 0; i < 32; i++)
		A.master[i] = (unsigned char)i;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cv_mstate s;
	int rc = cv__mstate_from_keyring(&s, &A, (const char *)data, size);
	if (rc)
		CHECK(s.nepochs == 0 && s.epochs == NULL);
	else
		cv__mstate_dispose(&s);
	json_t *m = json_loadb((const char *)data, size, 0, NULL);
	if (m) {
		cv_msnap out, *all = NULL;
		size_t n = 0;
		memset(&out, 0, sizeof out);
		uint64_t want = size ? data[0] % 4 : 0;
		if (cv__manifest_pick(m, want, &out, &all, &n) == 0) {
			CHECK(strlen(out.commit) == 40 && strlen(out.oid) == 40 && strlen(out.journal_head) == 64);
			int listed = 0;
			for (size_t i = 0; i < n; i++)
				listed |= all[i].seq == out.seq;
			CHECK(listed);
		}
		free(all);
		json_decref(m);
	}
	cv_error_clear();
	return 0;
}
