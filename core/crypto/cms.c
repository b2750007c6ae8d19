#include "crypto/cms.h"
#include "crypto/algs.h"
#include "crypto/der.h"
#include "crypto/keywrap.h"
#include "crypto/kdf.h"
#include "util/error.h"
#include "util/wipe.h"

#include <openssl/evp.h>
#include <string.h>

/* 1.2.840.113549.1.9.16.1.23 id-ct-authEnvelopedData */
static const unsigned char OID_AUTH_ENV[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x17 };
/* 1.2.840.113549.1.7.1 id-data */
static const unsigned char OID_DATA[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };
/* 2.16.840.1.101.3.4.1.45 id-aes256-wrap */
static const unsigned char OID_AES256_WRAP[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2d };
/* 2.16.840.1.101.3.4.1.46 id-aes256-GCM */
static const unsigned char OID_AES256_GCM[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2e };

#define NONCE_LEN 12
#define TAG_LEN CV_CMS_TAG_LEN
#define CEK_LEN 32
#define WRAPPED_LEN 40

static size_t tlv(size_t n)
{
	return cv__der_hdr_len(n) + n;
}

/* Lengths of the nested DER values of a sealed object, inside out. */
typedef struct cms_sizes {
	size_t kekid, kek_alg, ri_body, ris, gcm_params, ce_alg, eci_body, aed_body, ci_body;
} cms_sizes;

static void sizes_of(size_t len, cms_sizes *z)
{
	z->kekid = tlv(CV_KEY_ID_LEN);
	z->kek_alg = tlv(sizeof OID_AES256_WRAP);
	z->ri_body = tlv(1) + tlv(z->kekid) + tlv(z->kek_alg) + tlv(WRAPPED_LEN);
	z->ris = tlv(z->ri_body);
	z->gcm_params = tlv(NONCE_LEN) + tlv(1);
	z->ce_alg = tlv(sizeof OID_AES256_GCM) + tlv(z->gcm_params);
	z->eci_body = tlv(sizeof OID_DATA) + tlv(z->ce_alg) + tlv(len);
	z->aed_body = tlv(1) + tlv(z->ris) + tlv(z->eci_body) + tlv(TAG_LEN);
	z->ci_body = tlv(sizeof OID_AUTH_ENV) + tlv(tlv(z->aed_body));
}

size_t cv__cms_sealed_size(size_t len)
{
	cms_sizes z;
	sizes_of(len, &z);
	return tlv(z.ci_body);
}

int cv__cms_seal(cv_buf *out, const unsigned char kek[32], const unsigned char key_id[CV_KEY_ID_LEN],
	const void *plain, size_t len)
{
	unsigned char cek[CEK_LEN], nonce[NONCE_LEN], wrapped[WRAPPED_LEN], tag[TAG_LEN];
	size_t wlen = 0;
	int rc = cv__random(cek, sizeof cek);
	if (!rc)
		rc = cv__random(nonce, sizeof nonce);
	if (!rc)
		rc = cv__wrap(wrapped, &wlen, kek, cek, sizeof cek);
	if (rc)
		goto done;

	cms_sizes z;
	sizes_of(len, &z);
	size_t kekid = z.kekid, kek_alg = z.kek_alg, ri_body = z.ri_body, ris = z.ris, gcm_params = z.gcm_params,
	       ce_alg = z.ce_alg, eci_body = z.eci_body, aed_body = z.aed_body, ci_body = z.ci_body;
	rc = cv__buf_reserve(out, tlv(ci_body));
	if (rc)
		goto done;

	static const unsigned char v0 = 0, v4 = 4, icv = TAG_LEN;
	if ((rc = cv__der_put_hdr(out, DER_SEQ, ci_body)) || (rc = cv__der_put(out, DER_OID, OID_AUTH_ENV, sizeof OID_AUTH_ENV)) ||
		(rc = cv__der_put_hdr(out, 0xa0, tlv(aed_body))) || (rc = cv__der_put_hdr(out, DER_SEQ, aed_body)) ||
		(rc = cv__der_put(out, DER_INTEGER, &v0, 1)) || (rc = cv__der_put_hdr(out, DER_SET, ris)) ||
		(rc = cv__der_put_hdr(out, 0xa2, ri_body)) || (rc = cv__der_put(out, DER_INTEGER, &v4, 1)) ||
		(rc = cv__der_put_hdr(out, DER_SEQ, kekid)) || (rc = cv__der_put(out, DER_OCTET, key_id, CV_KEY_ID_LEN)) ||
		(rc = cv__der_put_hdr(out, DER_SEQ, kek_alg)) ||
		(rc = cv__der_put(out, DER_OID, OID_AES256_WRAP, sizeof OID_AES256_WRAP)) ||
		(rc = cv__der_put(out, DER_OCTET, wrapped, WRAPPED_LEN)) || (rc = cv__der_put_hdr(out, DER_SEQ, eci_body)) ||
		(rc = cv__der_put(out, DER_OID, OID_DATA, sizeof OID_DATA)) || (rc = cv__der_put_hdr(out, DER_SEQ, ce_alg)) ||
		(rc = cv__der_put(out, DER_OID, OID_AES256_GCM, sizeof OID_AES256_GCM)) ||
		(rc = cv__der_put_hdr(out, DER_SEQ, gcm_params)) || (rc = cv__der_put(out, DER_OCTET, nonce, NONCE_LEN)) ||
		(rc = cv__der_put(out, DER_INTEGER, &icv, 1)) || (rc = cv__der_put_hdr(out, 0x80, len)))
		goto done;

	/* Encrypt straight into place. */
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0;
	int ok = ctx && EVP_EncryptInit_ex(ctx, cv__alg_aes256gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
		EVP_EncryptInit_ex(ctx, NULL, NULL, cek, nonce) == 1;
	const unsigned char *src = plain;
	unsigned char *dst = out->data + out->len;
	size_t left = len;
	while (ok && left) {
		int step = left > (1u << 30) ? (1 << 30) : (int)left;
		ok = EVP_EncryptUpdate(ctx, dst, &n, src, step) == 1;
		dst += n;
		src += step;
		left -= (size_t)step;
	}
	ok = ok && EVP_EncryptFinal_ex(ctx, dst, &m) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		rc = cv__crypto_setup_failed("encrypt (AES-256-GCM)");
		goto done;
	}
	out->len += len;
	rc = cv__der_put(out, DER_OCTET, tag, TAG_LEN);
done:
	cv__wipe(cek, sizeof cek);
	return rc;
}

int cv__cms_tag(const void *obj, size_t objlen, unsigned char tag[CV_CMS_TAG_LEN])
{
	if (objlen < CV_CMS_TAG_LEN + 2)
		return cv__err(CV_EDAMAGED, "sealed object is too short");
	memcpy(tag, (const unsigned char *)obj + objlen - CV_CMS_TAG_LEN, CV_CMS_TAG_LEN);
	return 0;
}

typedef struct parsed {
	cv_der key_id, wrapped, nonce, ct, tag;
} parsed;

static int bad(const char *what)
{
	return cv__err(CV_EDAMAGED, "malformed CMS object: %s", what);
}

static int parse(const void *obj, size_t objlen, parsed *ps)
{
	cv_der in = { obj, objlen }, ci, oid, expl, aed, ver, ris, ri, kekid, alg, eci, params, gcm;
	long v;
	if (cv__der_take(&in, DER_SEQ, &ci) || in.len)
		return bad("not one DER ContentInfo");
	if (cv__der_take(&ci, DER_OID, &oid) || !cv__der_eq(&oid, OID_AUTH_ENV, sizeof OID_AUTH_ENV))
		return bad("content type is not authEnvelopedData");
	if (cv__der_take(&ci, 0xa0, &expl) || ci.len)
		return bad("bad ContentInfo content");
	if (cv__der_take(&expl, DER_SEQ, &aed) || expl.len)
		return bad("bad AuthEnvelopedData");
	if (cv__der_take(&aed, DER_INTEGER, &ver) || cv__der_int(&ver, &v) || v != 0)
		return bad("AuthEnvelopedData version is not 0 (or originatorInfo present)");
	if (cv__der_take(&aed, DER_SET, &ris))
		return bad("no recipientInfos");
	if (cv__der_take(&ris, 0xa2, &ri) || ris.len)
		return bad("not exactly one KEK recipient");
	if (cv__der_take(&ri, DER_INTEGER, &ver) || cv__der_int(&ver, &v) || v != 4)
		return bad("KEKRecipientInfo version is not 4");
	if (cv__der_take(&ri, DER_SEQ, &kekid) || cv__der_take(&kekid, DER_OCTET, &ps->key_id) || kekid.len ||
		ps->key_id.len != CV_KEY_ID_LEN)
		return bad("KEK identifier is not a bare 16-byte key id");
	if (cv__der_take(&ri, DER_SEQ, &alg) || cv__der_take(&alg, DER_OID, &oid) ||
		!cv__der_eq(&oid, OID_AES256_WRAP, sizeof OID_AES256_WRAP) || alg.len)
		return bad("key encryption algorithm is not id-aes256-wrap without parameters");
	if (cv__der_take(&ri, DER_OCTET, &ps->wrapped) || ri.len || ps->wrapped.len != WRAPPED_LEN)
		return bad("wrapped content key is not 40 bytes");
	if (cv__der_take(&aed, DER_SEQ, &eci))
		return bad("no authEncryptedContentInfo");
	if (cv__der_take(&eci, DER_OID, &oid) || !cv__der_eq(&oid, OID_DATA, sizeof OID_DATA))
		return bad("inner content type is not id-data");
	if (cv__der_take(&eci, DER_SEQ, &alg) || cv__der_take(&alg, DER_OID, &oid) ||
		!cv__der_eq(&oid, OID_AES256_GCM, sizeof OID_AES256_GCM))
		return bad("content encryption is not AES-256-GCM");
	if (cv__der_take(&alg, DER_SEQ, &params) || alg.len)
		return bad("bad GCM parameters");
	if (cv__der_take(&params, DER_OCTET, &ps->nonce) || ps->nonce.len != NONCE_LEN)
		return bad("GCM nonce is not 12 bytes");
	if (cv__der_take(&params, DER_INTEGER, &gcm) || cv__der_int(&gcm, &v) || v != TAG_LEN || params.len)
		return bad("GCM tag length is not 16");
	if (cv__der_take(&eci, 0x80, &ps->ct) || eci.len)
		return bad("encrypted content missing or not primitive");
	if (cv__der_peek(&aed) == 0xa1)
		return bad("unexpected authenticated attributes");
	if (cv__der_take(&aed, DER_OCTET, &ps->tag) || ps->tag.len != TAG_LEN)
		return bad("MAC is not a 16-byte tag");
	if (aed.len)
		return bad("unexpected unauthenticated attributes or trailing data");
	return 0;
}

int cv__cms_inspect(const void *obj, size_t objlen, unsigned char key_id[CV_KEY_ID_LEN], size_t *ct_len)
{
	parsed ps;
	CV_TRY(parse(obj, objlen, &ps));
	if (key_id)
		memcpy(key_id, ps.key_id.p, CV_KEY_ID_LEN);
	if (ct_len)
		*ct_len = ps.ct.len;
	return 0;
}

int cv__cms_open(cv_buf *out, const unsigned char kek[32], const unsigned char key_id[CV_KEY_ID_LEN],
	const void *obj, size_t objlen)
{
	parsed ps;
	unsigned char cek[CEK_LEN + 8];
	size_t ceklen = 0;
	cv__buf_clear(out);
	CV_TRY(parse(obj, objlen, &ps));
	if (!cv__ct_equal(ps.key_id.p, key_id, CV_KEY_ID_LEN))
		return cv__err(CV_EAUTH, "object is sealed for another key id");
	int u = cv__unwrap(cek, &ceklen, kek, ps.wrapped.p, ps.wrapped.len);
	if (u < 0 || ceklen != CEK_LEN) {
		cv__wipe(cek, sizeof cek);
		return u == CV_ENOMEM ? u : cv__err(CV_EDAMAGED, "content key does not unwrap: object damaged or wrong key");
	}
	/* Decrypt into a private buffer; `out` gets a length only after the tag
	 * has verified, so no caller can see unauthenticated bytes. */
	int rc = cv__buf_reserve(out, ps.ct.len);
	if (rc) {
		cv__wipe(cek, sizeof cek);
		return rc;
	}
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0;
	int ok = ctx && EVP_DecryptInit_ex(ctx, cv__alg_aes256gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
		EVP_DecryptInit_ex(ctx, NULL, NULL, cek, ps.nonce.p) == 1;
	const unsigned char *src = ps.ct.p;
	unsigned char *dst = out->data;
	size_t left = ps.ct.len;
	while (ok && left) {
		int step = left > (1u << 30) ? (1 << 30) : (int)left;
		ok = EVP_DecryptUpdate(ctx, dst, &n, src, step) == 1;
		dst += n;
		src += step;
		left -= (size_t)step;
	}
	int ready = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, (void *)ps.tag.p) == 1;
	/* only the tag check that ran and failed is damage */
	ok = ready && EVP_DecryptFinal_ex(ctx, dst, &m) == 1;
	EVP_CIPHER_CTX_free(ctx);
	cv__wipe(cek, sizeof cek);
	if (!ok) {
		cv__wipe(out->data, ps.ct.len);
		if (!ready)
			return cv__crypto_setup_failed("open a sealed object");
		return cv__err(CV_EDAMAGED, "authentication failed: object tampered or damaged");
	}
	out->len = ps.ct.len;
	return 0;
}
