/* crypto/sign: Ed25519 against RFC 8032 section 7.1 (tests 1 and 2), a
 * signature refused after any bit flip of message or signature and under
 * another key; X25519 sealing: round trip, the public half of RFC 7748's
 * Alice key, refused for another key, another context and any altered byte. */
#include "support.h"
#include "crypto/sign.h"

#include <stdlib.h>
#include <string.h>

static void hexto(unsigned char *out, const char *hex)
{
	size_t n = 0;
	unsigned char *b = cvt_unhex(hex, &n);
	memcpy(out, b, n);
	free(b);
}

static void ed25519_rfc8032(void **state)
{
	(void)state;
	unsigned char priv[32], pub[32], want_pub[32], sig[64], want[64];
	hexto(priv, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
	hexto(want_pub, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
	hexto(want, "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd2"
		    "5bf5f0595bbe24655141438e7a100b");
	assert_int_equal(cv__sign_public(pub, priv), 0);
	assert_memory_equal(pub, want_pub, 32);
	assert_int_equal(cv__sign(sig, priv, "", 0), 0);
	assert_memory_equal(sig, want, 64);
	assert_int_equal(cv__sign_verify(pub, sig, "", 0), 0);
	/* test 2: one byte 0x72 */
	hexto(priv, "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
	hexto(want, "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b"
		    "2eaeb4302aeeb00d291612bb0c00");
	assert_int_equal(cv__sign(sig, priv, "\x72", 1), 0);
	assert_memory_equal(sig, want, 64);
}

static void ed25519_refusals(void **state)
{
	(void)state;
	unsigned char priv[32], pub[32], other[32], opub[32], sig[64];
	const char msg[] = "approve plan 3f2a sha256 00112233";
	assert_int_equal(cv__sign_keygen(priv, pub), 0);
	assert_int_equal(cv__sign_keygen(other, opub), 0);
	assert_int_equal(cv__sign(sig, priv, msg, sizeof msg - 1), 0);
	assert_int_equal(cv__sign_verify(pub, sig, msg, sizeof msg - 1), 0);
	assert_int_equal(cv__sign_verify(opub, sig, msg, sizeof msg - 1), CV_EAUTH);
	char m2[sizeof msg];
	for (size_t i = 0; i < (sizeof msg - 1) * 8; i++) {
		memcpy(m2, msg, sizeof msg);
		m2[i / 8] ^= (char)(1 << (i % 8));
		assert_int_equal(cv__sign_verify(pub, sig, m2, sizeof msg - 1), CV_EAUTH);
	}
	for (size_t i = 0; i < 64 * 8; i++) {
		unsigned char s2[64];
		memcpy(s2, sig, 64);
		s2[i / 8] ^= (unsigned char)(1 << (i % 8));
		assert_int_equal(cv__sign_verify(pub, s2, msg, sizeof msg - 1), CV_EAUTH);
	}
}

static void x25519_sealing(void **state)
{
	(void)state;
	unsigned char priv[32], pub[32], other[32], opub[32];
	assert_int_equal(cv__seal_keygen(priv, pub), 0);
	assert_int_equal(cv__seal_keygen(other, opub), 0);
	const char share[] = "part 2 of the sealing key";
	cv_buf box = CV_BUF_INIT, out = CV_BUF_INIT;
	assert_int_equal(cv__seal_to(&box, pub, "origins share gen 1 holder u1", share, sizeof share - 1), 0);
	assert_int_equal(box.len, 1 + 32 + 1 + 12 + (sizeof share - 1) + 16);
	assert_null(cvt_memmem(box.data, box.len, share, 8));
	assert_int_equal(cv__seal_open(&out, priv, "origins share gen 1 holder u1", box.data, box.len), 0);
	assert_int_equal(out.len, sizeof share - 1);
	assert_memory_equal(out.data, share, out.len);
	cv__buf_clear(&out);
	assert_int_equal(cv__seal_open(&out, other, "origins share gen 1 holder u1", box.data, box.len), CV_EAUTH);
	assert_int_equal(cv__seal_open(&out, priv, "origins share gen 1 holder u2", box.data, box.len), CV_EAUTH);
	for (size_t i = 0; i < box.len; i++) {
		box.data[i] ^= 0x40;
		cv__buf_clear(&out);
		assert_int_equal(cv__seal_open(&out, priv, "origins share gen 1 holder u1", box.data, box.len), CV_EAUTH);
		box.data[i] ^= 0x40;
	}
	/* RFC 7748 section 6.1: Alice's public key from her private key */
	unsigned char a_priv[32], a_pub[32], box2_pub[32];
	hexto(a_priv, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	hexto(a_pub, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	cv_buf b2 = CV_BUF_INIT;
	assert_int_equal(cv__seal_to(&b2, a_pub, "c", "x", 1), 0);
	cv__buf_clear(&out);
	assert_int_equal(cv__seal_open(&out, a_priv, "c", b2.data, b2.len), 0);
	memcpy(box2_pub, b2.data + 1, 32);
	assert_memory_not_equal(box2_pub, a_pub, 32); /* an ephemeral key, never the recipient's */
	cv__buf_dispose(&b2);
	cv__buf_dispose(&box);
	cv__buf_wipe_dispose(&out);
}

CVT_MAIN(cmocka_unit_test(ed25519_rfc8032),
	cmocka_unit_test(ed25519_refusals),
	cmocka_unit_test(x25519_sealing))
