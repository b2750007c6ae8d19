/* The CNAOP's recipient certificate (origins/origins_crypto.c,
 * cv__origins_recipient), the one `origins release --recipient-cert` seals
 * a sealed identity to: only a certificate valid today, with an RSA key of
 * 2048 bits or more or an EC key, whose key usage (when present) allows
 * encryption to it, is taken; each refusal names the file and the reason.
 * PEM and DER give the same DER and fingerprint (the SHA-256 of the DER,
 * as `openssl x509 -outform DER | sha256sum` prints it). The certificates
 * are made here with OpenSSL, so that expired and future ones are possible. */
#include "support.h"
#include "origins/origins_internal.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *DIR_;

enum kind { RSA2048, RSA1024, EC256, ED25519 };

static EVP_PKEY *make_key(enum kind k)
{
	switch (k) {
	case RSA2048: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	case RSA1024: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	case EC256: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	default: return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	}
}

/* A self-signed certificate valid from now+from_days to now+to_days, with
 * keyUsage `ku` (NULL: no extension); written as PEM (or DER) to `name`. */
static char *make_cert(const char *name, enum kind k, long from_days, long to_days, const char *ku, int der,
	unsigned char fp[32])
{
	EVP_PKEY *key = make_key(k);
	assert_non_null(key);
	X509 *x = X509_new();
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), to_days * 86400));
	X509_set_pubkey(x, key);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"CNAOP (test)", -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (ku) {
		X509V3_CTX ctx;
		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ku);
		assert_non_null(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, key, k == ED25519 ? NULL : EVP_sha256()) > 0);
	char *path = cvt_join(DIR_, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (der)
		assert_true(i2d_X509_fp(f, x) == 1);
	else
		assert_true(PEM_write_X509(f, x) == 1);
	fclose(f);
	if (fp) {
		unsigned char *d = NULL;
		int len = i2d_X509(x, &d);
		assert_true(len > 0);
		SHA256(d, (size_t)len, fp);
		OPENSSL_free(d);
	}
	X509_free(x);
	EVP_PKEY_free(key);
	return path;
}

static int setup(void **s)
{
	(void)s;
	DIR_ = cvt_tmpdir("cov_recipient");
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	cvt_rmrf(DIR_);
	free(DIR_);
	return 0;
}

static void hex(char out[65], const unsigned char in[32])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static void accepted(const char *path, const unsigned char want_fp[32])
{
	cv_buf der = CV_BUF_INIT;
	char fp[65] = "", want[65];
	int rc = cv__origins_recipient(&der, fp, path);
	if (rc)
		fail_msg("%s refused: %s", path, cv_error_last()->message);
	hex(want, want_fp);
	assert_string_equal(fp, want);
	unsigned char h[32];
	SHA256(der.data, der.len, h);
	assert_memory_equal(h, want_fp, 32); /* der is the certificate's DER */
	cv__buf_dispose(&der);
}

static void refused(const char *path, const char *why)
{
	cv_buf der = CV_BUF_INIT;
	char fp[65] = "";
	int rc = cv__origins_recipient(&der, fp, path);
	const char *msg = cv_error_last()->message;
	if (rc == 0)
		fail_msg("%s accepted, wanted: %s", path, why);
	if (!strstr(msg, why) || !strstr(msg, path))
		fail_msg("%s: wanted '%s' naming the file, got: %s", path, why, msg);
	assert_int_equal(der.len, 0);
	cv__buf_dispose(&der);
}

static void good_certificates(void **s)
{
	(void)s;
	unsigned char fp[32];
	char *p = make_cert("rsa.pem", RSA2048, -1, 30, "keyEncipherment", 0, fp);
	accepted(p, fp);
	free(p);
	p = make_cert("rsa.der", RSA2048, -1, 30, "keyEncipherment,digitalSignature", 1, fp);
	accepted(p, fp);
	free(p);
	p = make_cert("rsa-noku.pem", RSA2048, -1, 30, NULL, 0, fp); /* no key usage: no restriction */
	accepted(p, fp);
	free(p);
	p = make_cert("ec.pem", EC256, -1, 30, "keyAgreement", 0, fp);
	accepted(p, fp);
	free(p);
}

static void refused_certificates(void **s)
{
	(void)s;
	char *p = make_cert("expired.pem", RSA2048, -30, -1, "keyEncipherment", 0, NULL);
	refused(p, ": the certificate has expired");
	free(p);
	p = make_cert("future.pem", RSA2048, 2, 30, "keyEncipherment", 0, NULL);
	refused(p, ": the certificate is not valid yet");
	free(p);
	p = make_cert("weak.pem", RSA1024, -1, 30, "keyEncipherment", 0, NULL);
	refused(p, ": an RSA key of 1024 bits is too weak (2048 at least)");
	free(p);
	p = make_cert("ed25519.pem", ED25519, -1, 30, NULL, 0, NULL);
	refused(p, ": the certificate's key must be RSA or EC");
	free(p);
	p = make_cert("rsa-sign-only.pem", RSA2048, -1, 30, "digitalSignature", 0, NULL);
	refused(p, ": the certificate's key usage does not allow encryption to it");
	free(p);
	p = make_cert("ec-sign-only.pem", EC256, -1, 30, "digitalSignature,keyEncipherment", 0, NULL);
	refused(p, ": the certificate's key usage does not allow encryption to it");
	free(p);

	/* not a certificate at all: a private key, text, an empty file */
	p = cvt_join(DIR_, "key.pem");
	EVP_PKEY *k = make_key(EC256);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_true(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1);
	fclose(f);
	EVP_PKEY_free(k);
	refused(p, ": not an X.509 certificate (PEM or DER)");
	free(p);
	p = cvt_join(DIR_, "text.txt");
	cvt_write(p, "bonjour\n", 8);
	refused(p, ": not an X.509 certificate (PEM or DER)");
	free(p);
	p = cvt_join(DIR_, "empty.pem");
	cvt_write(p, "", 0);
	refused(p, ": not an X.509 certificate (PEM or DER)");
	free(p);
	/* a missing file and one over 64 KiB are refused before parsing */
	p = cvt_join(DIR_, "absent.pem");
	refused(p, "cannot open");
	free(p);
	p = cvt_join(DIR_, "big.pem");
	size_t big = (1 << 16) + 1;
	char *data = calloc(1, big);
	cvt_write(p, data, big);
	free(data);
	refused(p, "is too large");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_certificates),
		cmocka_unit_test(refused_certificates),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
