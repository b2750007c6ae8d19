/* crypto/cms: the stored-object format (CMS AuthEnvelopedData, AES-256-GCM,
 * one KEK recipient). Round trips, wrong keys, the "tamper test releases no
 * plaintext" requirement over every byte and bit of a small object and over
 * re-encoded variants (short tags, authAttrs, two recipients, trailing
 * bytes), and interoperability with OpenSSL's CMS API and command line. */
#include "support.h"
#include "crypto/cms.h"
#include "crypto/kdf.h"
#include "crypto/keywrap.h"
#include "util/buf.h"
#include "util/hex.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char kek[32], kid[16];
/* 40 distinctive bytes: every 4-byte window is searched for in freed-up
 * buffers, so it must not look like zeroes or a fill pattern. */
static unsigned char PLAIN[40];

static int setup(void **state)
{
	(void)state;
	cvt_fill(kek, sizeof kek, 1);
	cvt_fill(kid, sizeof kid, 2);
	cvt_fill(PLAIN, sizeof PLAIN, 3);
	return 0;
}

/* ------------------------------------------------------------------ */
/* A tiny independent DER writer, to build objects the way another CMS
 * implementation (or an attacker) would. */

static void put_hdr(cv_buf *b, unsigned char tag, size_t n)
{
	unsigned char h[8];
	size_t k = 0;
	h[k++] = tag;
	if (n < 0x80) {
		h[k++] = (unsigned char)n;
	} else if (n <= 0xff) {
		h[k++] = 0x81;
		h[k++] = (unsigned char)n;
	} else if (n <= 0xffff) {
		h[k++] = 0x82;
		h[k++] = (unsigned char)(n >> 8);
		h[k++] = (unsigned char)n;
	} else if (n <= 0xffffff) {
		h[k++] = 0x83;
		h[k++] = (unsigned char)(n >> 16);
		h[k++] = (unsigned char)(n >> 8);
		h[k++] = (unsigned char)n;
	} else {
		h[k++] = 0x84;
		h[k++] = (unsigned char)(n >> 24);
		h[k++] = (unsigned char)(n >> 16);
		h[k++] = (unsigned char)(n >> 8);
		h[k++] = (unsigned char)n;
	}
	assert_int_equal(cv__buf_put(b, h, k), 0);
}

static void tlv(cv_buf *b, unsigned char tag, const void *p, size_t n)
{
	put_hdr(b, tag, n);
	if (n)
		assert_int_equal(cv__buf_put(b, p, n), 0);
}

static void wrapb(cv_buf *b, unsigned char tag, cv_buf *inner)
{
	tlv(b, tag, inner->data, inner->len);
	cv__buf_dispose(inner);
}

static const unsigned char OID_AUTH_ENV[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x17 };
static const unsigned char OID_DATA[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };
static const unsigned char OID_AES256_WRAP[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2d };
static const unsigned char OID_AES256_GCM[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2e };
static const unsigned char OID_CONTENT_TYPE[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03 };

typedef struct variant {
	size_t mac_len;       /* bytes of the tag put in the MAC field (16) */
	int icv;              /* aes-ICVlen written (16); 0 = omitted (DEFAULT 12) */
	int auth_attrs;       /* add an authAttrs [1] element, authenticated as AAD */
	int two_recipients;   /* a second KEKRecipientInfo */
	int unauth_attrs;     /* an unauthAttrs [2] element after the MAC */
	size_t trailing;      /* garbage bytes after the ContentInfo */
	size_t nonce_len;     /* 12 */
} variant;

#define VARIANT_OK { 16, 16, 0, 0, 0, 0, 12 }

static void kek_ri(cv_buf *ris, const unsigned char *id, const unsigned char *wrapped)
{
	cv_buf ri = CV_BUF_INIT, kekid = CV_BUF_INIT, alg = CV_BUF_INIT;
	static const unsigned char v4 = 4;
	tlv(&ri, 0x02, &v4, 1);
	tlv(&kekid, 0x04, id, 16);
	wrapb(&ri, 0x30, &kekid);
	tlv(&alg, 0x06, OID_AES256_WRAP, sizeof OID_AES256_WRAP);
	wrapb(&ri, 0x30, &alg);
	tlv(&ri, 0x04, wrapped, 40);
	wrapb(ris, 0xa2, &ri);
}

/* Build an AuthEnvelopedData for `plain` under (kek, kid) with the given
 * deviations; the GCM tag is computed for real so that only the deviation
 * can be the reason for a refusal. */
static void build(cv_buf *out, const variant *v, const void *plain, size_t len)
{
	unsigned char cek[32], nonce[16], wrapped[40], tag[16];
	size_t wl = 0;
	cvt_fill(cek, sizeof cek, 77);
	cvt_fill(nonce, sizeof nonce, 78);
	assert_int_equal(cv__wrap(wrapped, &wl, kek, cek, 32), 0);
	assert_int_equal(wl, 40);

	/* authAttrs: one contentType attribute; the AAD is its SET OF encoding */
	cv_buf attrs = CV_BUF_INIT, aad = CV_BUF_INIT;
	if (v->auth_attrs) {
		cv_buf attr = CV_BUF_INIT, vals = CV_BUF_INIT;
		tlv(&attr, 0x06, OID_CONTENT_TYPE, sizeof OID_CONTENT_TYPE);
		tlv(&vals, 0x06, OID_DATA, sizeof OID_DATA);
		wrapb(&attr, 0x31, &vals);
		tlv(&attrs, 0x30, attr.data, attr.len);
		cv__buf_dispose(&attr);
		tlv(&aad, 0x31, attrs.data, attrs.len);
	}

	unsigned char *ct = malloc(len + 1);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0;
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)v->nonce_len, NULL), 1);
	assert_int_equal(EVP_EncryptInit_ex(ctx, NULL, NULL, cek, nonce), 1);
	if (aad.len)
		assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &n, aad.data, (int)aad.len), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, ct, &n, plain, (int)len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, ct + n, &m), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
	EVP_CIPHER_CTX_free(ctx);

	cv_buf aed = CV_BUF_INIT, ris = CV_BUF_INIT, eci = CV_BUF_INIT, alg = CV_BUF_INIT, prm = CV_BUF_INIT;
	static const unsigned char v0 = 0;
	tlv(&aed, 0x02, &v0, 1);
	kek_ri(&ris, kid, wrapped);
	if (v->two_recipients) {
		unsigned char other[16];
		cvt_fill(other, sizeof other, 99);
		kek_ri(&ris, other, wrapped);
	}
	wrapb(&aed, 0x31, &ris);
	tlv(&eci, 0x06, OID_DATA, sizeof OID_DATA);
	tlv(&alg, 0x06, OID_AES256_GCM, sizeof OID_AES256_GCM);
	tlv(&prm, 0x04, nonce, v->nonce_len);
	if (v->icv) {
		unsigned char icv = (unsigned char)v->icv;
		tlv(&prm, 0x02, &icv, 1);
	}
	wrapb(&alg, 0x30, &prm);
	wrapb(&eci, 0x30, &alg);
	tlv(&eci, 0x80, ct, len);
	wrapb(&aed, 0x30, &eci);
	if (v->auth_attrs)
		wrapb(&aed, 0xa1, &attrs);
	tlv(&aed, 0x04, tag, v->mac_len);
	if (v->unauth_attrs) {
		cv_buf ua = CV_BUF_INIT, attr = CV_BUF_INIT, vals = CV_BUF_INIT;
		tlv(&attr, 0x06, OID_CONTENT_TYPE, sizeof OID_CONTENT_TYPE);
		tlv(&vals, 0x06, OID_DATA, sizeof OID_DATA);
		wrapb(&attr, 0x31, &vals);
		wrapb(&ua, 0x30, &attr);
		wrapb(&aed, 0xa2, &ua);
	}
	cv_buf ci = CV_BUF_INIT, expl = CV_BUF_INIT;
	tlv(&ci, 0x06, OID_AUTH_ENV, sizeof OID_AUTH_ENV);
	wrapb(&expl, 0x30, &aed);
	wrapb(&ci, 0xa0, &expl);
	cv__buf_clear(out);
	wrapb(out, 0x30, &ci);
	for (size_t i = 0; i < v->trailing; i++)
		assert_int_equal(cv__buf_putc(out, (unsigned char)(0x30 + i)), 0);
	cv__buf_dispose(&attrs);
	cv__buf_dispose(&aad);
	free(ct);
}

/* ------------------------------------------------------------------ */

/* No 4-byte window of the plaintext anywhere in the buffer's memory. */
static void assert_no_plain(const cv_buf *b, const unsigned char *plain, size_t plen, const char *what)
{
	if (!b->data)
		return;
	for (size_t i = 0; i + 4 <= plen; i++)
		if (cvt_memmem(b->data, b->cap, plain + i, 4))
			fail_msg("%s: plaintext bytes %zu..%zu found in the output buffer after a failed open", what, i, i + 3);
}

static int refused(const unsigned char *obj, size_t len, const char *what)
{
	cv_buf out = CV_BUF_INIT;
	int rc = cv__cms_open(&out, kek, kid, obj, len);
	if (rc == 0)
		fail_msg("%s: tampered object was accepted", what);
	if (rc != CV_EDAMAGED && rc != CV_EAUTH)
		fail_msg("%s: unexpected code %d (%s)", what, rc, cv_error_last()->message);
	if (out.len != 0)
		fail_msg("%s: output length %zu after a failed open", what, out.len);
	assert_no_plain(&out, PLAIN, sizeof PLAIN, what);
	cv__buf_wipe_dispose(&out);
	return rc;
}

static void round_trip(size_t len)
{
	unsigned char *p = malloc(len ? len : 1);
	cvt_fill(p, len, 1000 + len);
	cv_buf obj = CV_BUF_INIT, out = CV_BUF_INIT;
	assert_int_equal(cv__cms_seal(&obj, kek, kid, p, len), 0);
	assert_true(obj.len >= len + 16 && obj.len <= len + CV_CMS_OVERHEAD);
	/* no compression inside: the ciphertext is exactly as long as the data,
	 * and the data does not appear in clear */
	if (len >= 16)
		assert_null(cvt_memmem(obj.data, obj.len, p, 16));
	assert_int_equal(cv__cms_open(&out, kek, kid, obj.data, obj.len), 0);
	assert_int_equal(out.len, len);
	if (len)
		assert_memory_equal(out.data, p, len);
	unsigned char id[16];
	size_t ctl = 0;
	assert_int_equal(cv__cms_inspect(obj.data, obj.len, id, &ctl), 0);
	assert_memory_equal(id, kid, 16);
	assert_int_equal(ctl, len);
	/* two seals of the same data differ (fresh content key and nonce) */
	cv_buf obj2 = CV_BUF_INIT;
	assert_int_equal(cv__cms_seal(&obj2, kek, kid, p, len), 0);
	assert_int_equal(obj2.len, obj.len);
	assert_memory_not_equal(obj2.data, obj.data, obj.len);
	cv__buf_dispose(&obj2);
	cv__buf_dispose(&obj);
	cv__buf_wipe_dispose(&out);
	free(p);
}

static void test_round_trip_empty(void **s) { (void)s; round_trip(0); }
static void test_round_trip_one(void **s) { (void)s; round_trip(1); }
static void test_round_trip_small(void **s) { (void)s; round_trip(40); }
static void test_round_trip_4mib(void **s) { (void)s; round_trip(4u << 20); }

static void test_seal_appends(void **s)
{
	(void)s;
	cv_buf obj = CV_BUF_INIT, out = CV_BUF_INIT;
	assert_int_equal(cv__buf_puts(&obj, "prefix"), 0);
	assert_int_equal(cv__cms_seal(&obj, kek, kid, PLAIN, sizeof PLAIN), 0);
	assert_memory_equal(obj.data, "prefix", 6);
	assert_int_equal(cv__cms_open(&out, kek, kid, obj.data + 6, obj.len - 6), 0);
	assert_int_equal(out.len, sizeof PLAIN);
	assert_memory_equal(out.data, PLAIN, sizeof PLAIN);
	cv__buf_dispose(&obj);
	cv__buf_wipe_dispose(&out);
}

static void test_wrong_kek(void **s)
{
	(void)s;
	cv_buf obj = CV_BUF_INIT, out = CV_BUF_INIT;
	unsigned char other[32];
	memcpy(other, kek, 32);
	other[31] ^= 1;
	assert_int_equal(cv__cms_seal(&obj, kek, kid, PLAIN, sizeof PLAIN), 0);
	int rc = cv__cms_open(&out, other, kid, obj.data, obj.len);
	assert_true(rc < 0);
	assert_int_equal(out.len, 0);
	assert_no_plain(&out, PLAIN, sizeof PLAIN, "wrong KEK");
	cv__buf_dispose(&obj);
	cv__buf_wipe_dispose(&out);
}

static void test_wrong_key_id(void **s)
{
	(void)s;
	cv_buf obj = CV_BUF_INIT, out = CV_BUF_INIT;
	unsigned char other[16];
	memcpy(other, kid, 16);
	other[0] ^= 0x80;
	assert_int_equal(cv__cms_seal(&obj, kek, kid, PLAIN, sizeof PLAIN), 0);
	assert_int_equal(cv__cms_open(&out, kek, other, obj.data, obj.len), CV_EAUTH);
	assert_int_equal(out.len, 0);
	assert_no_plain(&out, PLAIN, sizeof PLAIN, "wrong key id");
	cv__buf_dispose(&obj);
	cv__buf_wipe_dispose(&out);
}

/* The reference builder makes exactly what the reader accepts. */
static void test_builder_baseline(void **s)
{
	(void)s;
	variant v = VARIANT_OK;
	cv_buf obj = CV_BUF_INIT, sealed = CV_BUF_INIT, out = CV_BUF_INIT;
	build(&obj, &v, PLAIN, sizeof PLAIN);
	assert_int_equal(cv__cms_seal(&sealed, kek, kid, PLAIN, sizeof PLAIN), 0);
	assert_int_equal(obj.len, sealed.len);
	assert_int_equal(cv__cms_open(&out, kek, kid, obj.data, obj.len), 0);
	assert_int_equal(out.len, sizeof PLAIN);
	assert_memory_equal(out.data, PLAIN, sizeof PLAIN);
	cv__buf_wipe_dispose(&out);
	cv__buf_dispose(&obj);
	cv__buf_dispose(&sealed);
}

static void test_tamper_every_byte_and_bit(void **s)
{
	(void)s;
	cv_buf obj = CV_BUF_INIT;
	assert_int_equal(cv__cms_seal(&obj, kek, kid, PLAIN, sizeof PLAIN), 0);
	unsigned char *t = malloc(obj.len);
	char what[96];
	size_t variants = 0;
	for (size_t i = 0; i < obj.len; i++) {
		memcpy(t, obj.data, obj.len);
		t[i] ^= 0xff;
		snprintf(what, sizeof what, "byte %zu of %zu inverted", i, obj.len);
		refused(t, obj.len, what);
		variants++;
		for (int b = 0; b < 8; b++) {
			memcpy(t, obj.data, obj.len);
			t[i] ^= (unsigned char)(1u << b);
			snprintf(what, sizeof what, "bit %d of byte %zu flipped", b, i);
			refused(t, obj.len, what);
			variants++;
		}
	}
	/* every truncation and every extension by one byte */
	for (size_t n = 0; n < obj.len; n++) {
		snprintf(what, sizeof what, "truncated to %zu bytes", n);
		refused(obj.data, n, what);
	}
	unsigned char *ext = malloc(obj.len + 1);
	memcpy(ext, obj.data, obj.len);
	ext[obj.len] = 0;
	refused(ext, obj.len + 1, "one trailing zero byte");
	free(ext);
	assert_true(variants == obj.len * 9);
	free(t);
	cv__buf_dispose(&obj);
}

static int ossl_decrypt(const unsigned char *obj, size_t len, cv_buf *plain);

/* `lenient` marks variants a general CMS reader may well accept (they are
 * well-formed CMS): we report what OpenSSL does with them, for the record,
 * while casevault's reader must refuse them all. */
static void check_variant(const variant *v, const char *what, int lenient)
{
	cv_buf obj = CV_BUF_INIT, o = CV_BUF_INIT;
	build(&obj, v, PLAIN, sizeof PLAIN);
	refused(obj.data, obj.len, what);
	if (lenient)
		print_message("  %-58s openssl: %s\n", what,
			ossl_decrypt(obj.data, obj.len, &o) == 0 ? "accepted" : "refused");
	cv__buf_wipe_dispose(&o);
	cv__buf_dispose(&obj);
}

static void test_tamper_reencoded(void **s)
{
	(void)s;
	variant v;
	variant base = VARIANT_OK;

	v = base; v.mac_len = 12;
	check_variant(&v, "MAC truncated to 12 bytes", 0);
	v = base; v.mac_len = 15;
	check_variant(&v, "MAC truncated to 15 bytes", 0);
	v = base; v.mac_len = 0;
	check_variant(&v, "empty MAC", 0);
	v = base; v.icv = 12; v.mac_len = 12;
	check_variant(&v, "aes-ICVlen 12 with a valid 12-byte tag", 1);
	v = base; v.icv = 0; v.mac_len = 12;
	check_variant(&v, "aes-ICVlen omitted (DEFAULT 12) with a valid 12-byte tag", 1);
	v = base; v.icv = 12; v.mac_len = 16;
	check_variant(&v, "aes-ICVlen 12 with a 16-byte MAC", 0);
	v = base; v.trailing = 1;
	check_variant(&v, "one trailing byte after the ContentInfo", 0);
	v = base; v.trailing = 7;
	check_variant(&v, "seven trailing bytes after the ContentInfo", 0);
	v = base; v.auth_attrs = 1;
	check_variant(&v, "authAttrs [1] present and authenticated", 1);
	v = base; v.unauth_attrs = 1;
	check_variant(&v, "unauthAttrs [2] after the MAC", 1);
	v = base; v.two_recipients = 1;
	check_variant(&v, "two KEK recipients", 1);
	v = base; v.nonce_len = 16;
	check_variant(&v, "16-byte GCM nonce", 1);
	v = base; v.nonce_len = 8;
	check_variant(&v, "8-byte GCM nonce", 1);
}

/* A bit flip deep inside a large ciphertext: the whole 4 MiB is decrypted
 * before the tag fails; none of it may stay visible. */
static void test_tamper_large(void **s)
{
	(void)s;
	size_t len = 4u << 20;
	unsigned char *p = malloc(len);
	cvt_fill(p, len, 4242);
	cv_buf obj = CV_BUF_INIT, out = CV_BUF_INIT;
	assert_int_equal(cv__cms_seal(&obj, kek, kid, p, len), 0);
	obj.data[obj.len / 2] ^= 0x01;
	assert_int_equal(cv__cms_open(&out, kek, kid, obj.data, obj.len), CV_EDAMAGED);
	assert_int_equal(out.len, 0);
	assert_non_null(out.data); /* it did decrypt into the buffer... */
	for (size_t k = 0; k < 16; k++) {
		size_t off = (len / 16) * k + 123;
		if (cvt_memmem(out.data, out.cap, p + off, 16))
			fail_msg("plaintext at offset %zu left in the buffer after a failed open", off);
	}
	cv__buf_wipe_dispose(&out);
	cv__buf_dispose(&obj);
	free(p);
}

/* ------------------------------------------------------------------ */
/* Interoperability with OpenSSL */

static int ossl_decrypt(const unsigned char *obj, size_t len, cv_buf *plain)
{
	const unsigned char *p = obj;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (!cms)
		return -1;
	BIO *out = BIO_new(BIO_s_mem());
	int ok = CMS_decrypt_set1_key(cms, kek, 32, kid, 16) == 1 &&
		CMS_decrypt(cms, NULL, NULL, NULL, out, CMS_BINARY) == 1;
	if (ok) {
		char *d = NULL;
		long n = BIO_get_mem_data(out, &d);
		cv__buf_clear(plain);
		if (n > 0)
			cv__buf_put(plain, d, (size_t)n);
	}
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	return ok ? 0 : -1;
}

static void test_openssl_api_decrypts_ours(void **s)
{
	(void)s;
	size_t sizes[] = { 1, 40, 100000 };
	for (size_t i = 0; i < 3; i++) {
		unsigned char *p = malloc(sizes[i]);
		cvt_fill(p, sizes[i], 500 + i);
		cv_buf obj = CV_BUF_INIT, out = CV_BUF_INIT;
		assert_int_equal(cv__cms_seal(&obj, kek, kid, p, sizes[i]), 0);
		if (ossl_decrypt(obj.data, obj.len, &out) != 0)
			fail_msg("OpenSSL's CMS_decrypt refused an object of %zu bytes made by cv__cms_seal", sizes[i]);
		assert_int_equal(out.len, sizes[i]);
		assert_memory_equal(out.data, p, sizes[i]);
		cv__buf_dispose(&obj);
		cv__buf_dispose(&out);
		free(p);
	}
}

static void test_openssl_api_reference_object(void **s)
{
	/* An object built with the independent DER writer is what OpenSSL
	 * expects too: the reference builder is sound. */
	(void)s;
	variant v = VARIANT_OK;
	cv_buf obj = CV_BUF_INIT, out = CV_BUF_INIT;
	build(&obj, &v, PLAIN, sizeof PLAIN);
	assert_int_equal(ossl_decrypt(obj.data, obj.len, &out), 0);
	assert_int_equal(out.len, sizeof PLAIN);
	assert_memory_equal(out.data, PLAIN, sizeof PLAIN);
	cv__buf_dispose(&obj);
	cv__buf_dispose(&out);
}

static void test_ours_opens_openssl_object(void **s)
{
	(void)s;
	size_t len = 70000;
	unsigned char *p = malloc(len);
	cvt_fill(p, len, 31337);
	CMS_ContentInfo *cms = CMS_AuthEnvelopedData_create(EVP_aes_256_gcm());
	assert_non_null(cms);
	unsigned char *k = OPENSSL_memdup(kek, 32), *id = OPENSSL_memdup(kid, 16);
	assert_non_null(CMS_add0_recipient_key(cms, NID_id_aes256_wrap, k, 32, id, 16, NULL, NULL, NULL));
	/* as CMS_encrypt does: attached content (otherwise there is no
	 * encryptedContent at all, which the reader rightly refuses) */
	assert_int_equal(CMS_set_detached(cms, 0), 1);
	BIO *in = BIO_new_mem_buf(p, (int)len);
	assert_int_equal(CMS_final(cms, in, NULL, CMS_BINARY), 1);
	unsigned char *der = NULL;
	int n = i2d_CMS_ContentInfo(cms, &der);
	assert_true(n > 0);
	cv_buf out = CV_BUF_INIT;
	int rc = cv__cms_open(&out, kek, kid, der, (size_t)n);
	if (rc)
		fail_msg("cv__cms_open refused an object made by OpenSSL's CMS_AuthEnvelopedData_create: %s",
			cv_error_last()->message);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, p, len);
	cv__buf_wipe_dispose(&out);
	OPENSSL_free(der);
	BIO_free(in);
	CMS_ContentInfo_free(cms);

	/* a detached object (no encryptedContent) is refused */
	cms = CMS_AuthEnvelopedData_create(EVP_aes_256_gcm());
	k = OPENSSL_memdup(kek, 32);
	id = OPENSSL_memdup(kid, 16);
	assert_non_null(CMS_add0_recipient_key(cms, NID_id_aes256_wrap, k, 32, id, 16, NULL, NULL, NULL));
	in = BIO_new_mem_buf(PLAIN, (int)sizeof PLAIN);
	assert_int_equal(CMS_final(cms, in, NULL, CMS_BINARY), 1);
	der = NULL;
	n = i2d_CMS_ContentInfo(cms, &der);
	assert_true(n > 0);
	refused(der, (size_t)n, "detached AuthEnvelopedData made by OpenSSL");
	OPENSSL_free(der);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	free(p);
}

static void test_openssl_cli(void **s)
{
	(void)s;
	if (access("/usr/bin/openssl", X_OK) != 0) {
		print_message("skipped: /usr/bin/openssl is missing\n");
		skip();
	}
	char *dir = cvt_tmpdir("cms-cli");
	char *objf = cvt_join(dir, "obj.der"), *outf = cvt_join(dir, "plain.bin");
	size_t len = 300000;
	unsigned char *p = malloc(len);
	cvt_fill(p, len, 777);
	cv_buf obj = CV_BUF_INIT;
	assert_int_equal(cv__cms_seal(&obj, kek, kid, p, len), 0);
	cvt_write(objf, obj.data, obj.len);
	char kh[65], ih[33];
	cv__hex(kh, kek, 32);
	cv__hex(ih, kid, 16);
	int st = cvt_sh("/usr/bin/openssl cms -decrypt -binary -inform DER -secretkey %s -secretkeyid %s -in '%s' -out '%s'",
		kh, ih, objf, outf);
	assert_int_equal(st, 0);
	size_t got = 0;
	unsigned char *back = cvt_read(outf, &got);
	assert_non_null(back);
	assert_int_equal(got, len);
	assert_memory_equal(back, p, len);
	free(back);
	/* and with the wrong key the command fails */
	kh[0] = kh[0] == '0' ? '1' : '0';
	st = cvt_sh("/usr/bin/openssl cms -decrypt -binary -inform DER -secretkey %s -secretkeyid %s -in '%s' -out '%s' 2>/dev/null",
		kh, ih, objf, outf);
	assert_int_not_equal(st, 0);
	cv__buf_dispose(&obj);
	free(p);
	cvt_rmrf(dir);
	free(objf);
	free(outf);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_empty),
		cmocka_unit_test(test_round_trip_one),
		cmocka_unit_test(test_round_trip_small),
		cmocka_unit_test(test_round_trip_4mib),
		cmocka_unit_test(test_seal_appends),
		cmocka_unit_test(test_wrong_kek),
		cmocka_unit_test(test_wrong_key_id),
		cmocka_unit_test(test_builder_baseline),
		cmocka_unit_test(test_tamper_every_byte_and_bit),
		cmocka_unit_test(test_tamper_reencoded),
		cmocka_unit_test(test_tamper_large),
		cmocka_unit_test(test_openssl_api_decrypts_ours),
		cmocka_unit_test(test_openssl_api_reference_object),
		cmocka_unit_test(test_ours_opens_openssl_object),
		cmocka_unit_test(test_openssl_cli),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
