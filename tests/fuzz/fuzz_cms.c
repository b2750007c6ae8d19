/* libFuzzer target: the stored-object reader (crypto/cms.c, crypto/der.c)
 * on arbitrary bytes, with a fixed key. Invariants checked beyond "no
 * crash": a failed open leaves an empty output, a successful one agrees
 * with cv__cms_inspect on key id and length.
 *
 * Seeds (corpus/cms) are objects sealed with the fixed key below:
 *   openssl cms -encrypt -binary -aes-256-gcm -outform DER \
 *     -secretkey 000102...1f -secretkeyid a0a1...af -in PLAIN -out SEED */
#include "crypto/cms.h"
#include "util/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static unsigned char kek[32], kid[16];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (int i = 0; i < 32; i++)
		kek[i] = (unsigned char)i;
	for (int i = 0; i < 16; i++)
		kid[i] = (unsigned char)(0xa0 + i);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char id[CV_KEY_ID_LEN];
	size_t ct = (size_t)-1;
	int ri = cv__cms_inspect(data, size, id, &ct);
	if (ri == 0 && ct > size)
		abort(); /* ciphertext cannot be longer than the object */

	cv_buf out = CV_BUF_INIT;
	int ro = cv__cms_open(&out, kek, kid, data, size);
	if (ro == 0) {
		if (ri != 0 || out.len != ct || memcmp(id, kid, sizeof kid))
			abort(); /* open accepted what inspect refused, or disagrees */
	} else {
		if (out.len != 0)
			abort(); /* a failure must release nothing */
		if (ro != -5 && ro != -8 && ro != -9) /* CV_EAUTH, CV_EDAMAGED, CV_ENOMEM */
			abort();
	}
	/* a second open into the same buffer behaves the same */
	int ro2 = cv__cms_open(&out, kek, kid, data, size);
	if ((ro2 == 0) != (ro == 0) || (ro2 != 0 && out.len != 0))
		abort();
	cv__buf_wipe_dispose(&out);
	return 0;
}
