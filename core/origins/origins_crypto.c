/* The sealing key's cryptography: the key pair and its self-signed
 * certificate, the private key as a secret (PKCS#8 DER) split into shares
 * and combined again (libgfshare, Shamir over GF(2^8)), each share wrapped
 * under its holder's credential, and unsealing an identity for a recipient.
 *
 * An RSA-3072 key pair is made once. Its public half is a self-signed X.509
 * certificate in the catalog: every sealed identity is a CMS
 * AuthEnvelopedData (AES-256-GCM, RSA-OAEP with SHA-256) for it, so `openssl
 * cms -decrypt` opens it with the private key. The private key is split K of
 * N and then wiped: only the shares remain, each sealed as a CMS KEK object
 * (the archive's object format) under scrypt(holder's credential, random
 * salt). Nothing derived from the master key takes part, so the master key
 * and the archive together cannot rebuild the key: that needs K holders'
 * credentials.
 *
 * Every function that holds a share, the key or a sealed identity first
 * turns core dumps off for the process and wipes what it held before
 * returning. No message here ever contains secret bytes. */
#include "origins/origins_internal.h"
#include "crypto/algs.h"
#include "engine/identity.h"
#include "catalog/rowmac.h"
#include "util/proc.h"
#include "crypto/certenv.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <libgfshare.h>
#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEALING_BITS 3072
#define SECRET_MAX 8192
#define KDF_FORMAT "scrypt$%u$%u$%u"
/* HKDF info of the KEK of a share sealed to a holder's public key. */
#define SHARE_CONTEXT "casevault/v1 origins-share"

/* libgfshare takes its randomness (the polynomials' coefficients, and the
 * scrubbing of its buffers) from a global hook that is NULL by default. */
static volatile int gf_rand_failed;

static void gf_rand(unsigned char *buf, unsigned int n)
{
	if (RAND_priv_bytes(buf, (int)n) != 1) {
		gf_rand_failed = 1;
		memset(buf, 0, n);
	}
}

static void gf_use_csprng(void)
{
	gfshare_fill_rand = gf_rand;
	gf_rand_failed = 0;
}

void cv__origins_shares_wipe(cv_buf *b, size_t n)
{
	for (size_t i = 0; b && i < n; i++)
		cv__buf_wipe_dispose(&b[i]);
}

/* ------------------------------------------------------------------ */
/* The key pair and its certificate                                     */

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

/* A self-signed certificate for the sealing key: CMS recipients are named
 * by certificate. It never expires (RFC 5280 4.1.2.5: 99991231235959Z): the
 * identities are kept for good. */
static int make_cert(X509 **out, EVP_PKEY *k, const char *archive_id)
{
	X509 *x = X509_new();
	unsigned char serial[16];
	char ou[96];
	snprintf(ou, sizeof ou, "archive %s", archive_id);
	int ok = x && cv__random(serial, sizeof serial) == 0;
	serial[0] &= 0x7f;
	serial[0] |= 0x40;
	BIGNUM *bn = ok ? BN_bin2bn(serial, sizeof serial, NULL) : NULL;
	ok = bn && X509_set_version(x, 2) && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_NAME *nm = ok ? X509_get_subject_name(x) : NULL;
	ok = ok && nm && X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_UTF8, (const unsigned char *)"casevault", -1, -1, 0) &&
		X509_NAME_add_entry_by_txt(nm, "OU", MBSTRING_UTF8, (const unsigned char *)ou, -1, -1, 0) &&
		X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)"casevault origins sealing key", -1,
			-1, 0) &&
		X509_set_issuer_name(x, nm);
	ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
		ASN1_TIME_set_string(X509_getm_notAfter(x), "99991231235959Z") && X509_set_pubkey(x, k);
	ok = ok && add_ext(x, NID_basic_constraints, "critical,CA:FALSE") &&
		add_ext(x, NID_key_usage, "critical,keyEncipherment") && add_ext(x, NID_subject_key_identifier, "hash");
	ok = ok && X509_sign(x, k, EVP_sha256()) > 0;
	if (!ok) {
		X509_free(x);
		return cv__ossl_fail(CV_ERROR, "cannot make the sealing certificate");
	}
	*out = x;
	return 0;
}

static int cert_pem(char **out, X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *bm = NULL;
	if (!b || !PEM_write_bio_X509(b, x)) {
		BIO_free(b);
		return cv__ossl_fail(CV_ERROR, "cannot encode the sealing certificate");
	}
	BIO_get_mem_ptr(b, &bm);
	char *s = malloc(bm->length + 1);
	if (s) {
		memcpy(s, bm->data, bm->length);
		s[bm->length] = '\0';
	}
	BIO_free(b);
	if (!s)
		return cv__oom();
	*out = s;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The private key as a secret: PKCS#8 DER, split and rebuilt            */

static int key_to_der(cv_buf *out, EVP_PKEY *k)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(k);
	int n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, NULL) : -1;
	int rc = 0;
	if (n <= 0 || n > SECRET_MAX) {
		rc = cv__ossl_fail(CV_ERROR, "cannot encode the sealing key");
	} else if (!(rc = cv__buf_reserve(out, (size_t)n))) {
		unsigned char *p = out->data;
		i2d_PKCS8_PRIV_KEY_INFO(p8, &p);
		out->len = (size_t)n;
	}
	PKCS8_PRIV_KEY_INFO_free(p8); /* its key octets are cleansed on free */
	return rc;
}

/* The key rebuilt from `der`, which must be the private half of `cert`. */
static int der_to_key_once(EVP_PKEY **out, const cv_buf *der, X509 *cert)
{
	const unsigned char *p = der->data;
	PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)der->len);
	EVP_PKEY *k = p8 ? EVP_PKCS82PKEY(p8) : NULL;
	PKCS8_PRIV_KEY_INFO_free(p8);
	int ok = k && p == der->data + der->len && X509_check_private_key(cert, k) == 1;
	if (!ok) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	*out = k;
	return ok;
}

static int der_to_key(EVP_PKEY **out, const cv_buf *der, X509 *cert)
{
	EVP_PKEY *k = NULL;
	/* OpenSSL's decoders drop their error when an allocation fails inside
	 * them: wrong shares fail twice, a failed allocation once (or the
	 * probe finds memory short) */
	int ok = der_to_key_once(&k, der, cert);
	int oom = !ok && cv__ossl_oom();
	if (!ok && !oom)
		ok = der_to_key_once(&k, der, cert);
	oom = !ok && (oom || cv__ossl_oom());
	ERR_clear_error();
	if (!ok) {
		EVP_PKEY_free(k);
		if (oom)
			return cv__err(CV_ENOMEM, "cannot rebuild the sealing key from the shares: out of memory");
		return cv__err(CV_EAUTH, "the shares given do not rebuild the sealing key (a share from another "
			"generation, or a damaged share)");
	}
	*out = k;
	return 0;
}

/* One share per holder; holder i gets share number i+1. */
static int split(cv_buf *shares, unsigned char *nos, size_t n, unsigned k, const cv_buf *secret)
{
	for (size_t i = 0; i < n; i++)
		nos[i] = (unsigned char)(i + 1);
	gf_use_csprng();
	gfshare_ctx *ctx = gfshare_ctx_init_enc(nos, (unsigned)n, (unsigned char)k, (unsigned)secret->len);
	if (!ctx)
		return cv__err(CV_ERROR, "libgfshare: cannot split the key (%zu shares, threshold %u)", n, k);
	gfshare_ctx_enc_setsecret(ctx, secret->data);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		cv__buf_clear(&shares[i]);
		rc = cv__buf_reserve(&shares[i], secret->len);
		if (!rc) {
			gfshare_ctx_enc_getshare(ctx, (unsigned char)i, shares[i].data);
			shares[i].len = secret->len;
		}
	}
	gfshare_ctx_free(ctx);
	if (!rc && gf_rand_failed)
		rc = cv__err(CV_ERROR, "no randomness for the key's shares");
	if (rc)
		cv__origins_shares_wipe(shares, n);
	return rc;
}

static int combine(cv_buf *secret, const cv_buf *shares, const unsigned *nos, size_t n)
{
	unsigned char sn[CV_ORIGINS_MAX_HOLDERS];
	if (n < 1 || n > CV_ORIGINS_MAX_HOLDERS)
		return cv__err(CV_EINVAL, "cannot combine %zu shares", n);
	size_t len = shares[0].len;
	for (size_t i = 0; i < n; i++) {
		if (shares[i].len != len || len == 0 || len > SECRET_MAX || nos[i] < 1 || nos[i] > 255)
			return cv__err(CV_EAUTH, "the shares given do not fit together");
		for (size_t j = 0; j < i; j++)
			if (nos[j] == nos[i])
				return cv__err(CV_EAUTH, "two of the shares given are the same share");
		sn[i] = (unsigned char)nos[i];
	}
	gf_use_csprng();
	gfshare_ctx *ctx = gfshare_ctx_init_dec(sn, (unsigned)n, (unsigned)len);
	if (!ctx) /* the shares are checked above: only its allocation can fail */
		return cv__oom();
	for (size_t i = 0; i < n; i++)
		gfshare_ctx_dec_giveshare(ctx, (unsigned char)i, shares[i].data);
	cv__buf_clear(secret);
	int rc = cv__buf_reserve(secret, len);
	if (!rc) {
		gfshare_ctx_dec_extract(ctx, secret->data);
		secret->len = len;
	}
	gfshare_ctx_free(ctx);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Shares under the holders' credentials                                */

/* CMS AuthEnvelopedData with one KEK recipient: the key is
 * scrypt(credential, salt), its id random; `openssl kdf SCRYPT` then
 * `openssl cms -decrypt -secretkey` open it (docs/origins.md). */
int cv__origins_share_wrap(cv__wrapped_share *w, const char *credential, const cv_buf *share)
{
	cv_scrypt_params prm = CV_CREDENTIAL_SCRYPT;
	unsigned char kek[32];
	w->salt_len = 16;
	CV_TRY(cv__random(w->salt, w->salt_len));
	CV_TRY(cv__random(w->kid, sizeof w->kid));
	snprintf(w->kdf, sizeof w->kdf, KDF_FORMAT, prm.log2_n, prm.r, prm.p);
	int rc = cv__scrypt(kek, sizeof kek, credential, strlen(credential), w->salt, w->salt_len, &prm);
	cv__buf_clear(&w->obj);
	if (!rc)
		rc = cv__cms_seal(&w->obj, kek, w->kid, share->data, share->len);
	cv__wipe(kek, sizeof kek);
	return rc;
}

/* CMS AuthEnvelopedData with one KEK recipient, the KEK derived from an
 * X25519 exchange between a fresh ephemeral key and the holder's personal
 * key: the holder's private key (under their credential) opens it, and
 * nobody's passphrase is needed to make it. */
int cv__origins_share_seal(cv__wrapped_share *w, const unsigned char seal_pub[32], const cv_buf *share)
{
	unsigned char eph[32], kek[32];
	w->salt_len = 32;
	CV_TRY(cv__seal_keygen(eph, w->salt));
	CV_TRY(cv__random(w->kid, sizeof w->kid));
	snprintf(w->kdf, sizeof w->kdf, "x25519");
	int rc = cv__seal_kek(kek, eph, seal_pub, w->salt, seal_pub, SHARE_CONTEXT);
	cv__wipe(eph, sizeof eph);
	cv__buf_clear(&w->obj);
	if (!rc)
		rc = cv__cms_seal(&w->obj, kek, w->kid, share->data, share->len);
	cv__wipe(kek, sizeof kek);
	return rc;
}

/* The KEK of a share: the holder's X25519 key (opened with their
 * credential) with the share's ephemeral public key, or, for a share made
 * before schema 12, scrypt of the credential. */
static int share_kek(unsigned char kek[32], cv_archive *a, const char *holder, const char *credential, const char *kdf,
	const unsigned char *salt, size_t salt_len)
{
	if (!strcmp(kdf, "x25519")) {
		if (salt_len != 32)
			return cv__err(CV_EDAMAGED, "the share record of '%s' is malformed", holder);
		cv_identity id;
		cv_identity_state st;
		int rc = cv__identity_open(&id, &st, a, holder, credential);
		if (rc == CV_EAUTH)
			return cv__err(CV_EAUTH, "wrong credential for the share of '%s'", holder);
		CV_TRY(rc);
		/* The credential is right by now (its identity opened): a key
		 * agreement that fails is not a wrong credential, which would be
		 * journaled as a denial. OpenSSL 3.0 may fail it for want of memory
		 * without saying so: asked once more, then it is the record's fault. */
		rc = cv__seal_kek(kek, id.seal_priv, salt, salt, id.seal_pub, SHARE_CONTEXT);
		if (rc == CV_EAUTH)
			rc = cv__seal_kek(kek, id.seal_priv, salt, salt, id.seal_pub, SHARE_CONTEXT);
		if (rc == CV_EAUTH)
			rc = cv__err(CV_EDAMAGED, "the share of '%s' does not agree with its holder's key", holder);
		cv__identity_wipe(&id);
		return rc;
	}
	cv_scrypt_params prm;
	if (sscanf(kdf, KDF_FORMAT, &prm.log2_n, &prm.r, &prm.p) != 3 || salt_len != 16)
		return cv__err(CV_EDAMAGED, "the share record of '%s' is malformed", holder);
	return cv__scrypt(kek, 32, credential, strlen(credential), salt, salt_len, &prm);
}

int cv__origins_share_open(cv_buf *share, unsigned *share_no, cv_archive *a, unsigned generation, const char *holder,
	const char *credential)
{
	CV_TRY(cv__rowmac_check(a->cat, "origins_shares", "holder=?1", holder));
	sqlite3_stmt *st = NULL;
	cv__buf_clear(share);
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT share_no, kdf, salt, kek_id, wrapped FROM origins_shares WHERE generation=? AND holder=?"));
	sqlite3_bind_int(st, 1, (int)generation);
	cv__bind_text(st, 2, holder);
	int r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		sqlite3_finalize(st);
		return r == SQLITE_DONE ? cv__err(CV_ENOTFOUND, "user '%s' holds no share of the sealing key", holder)
					: cv__catalog_fail(a->cat, "read a share");
	}
	char kdf[48], kidhex[2 * CV_KEY_ID_LEN + 1];
	unsigned char kid[CV_KEY_ID_LEN], kek[32];
	*share_no = (unsigned)sqlite3_column_int(st, 0);
	cv__col_text(st, 1, kdf, sizeof kdf);
	cv__col_text(st, 3, kidhex, sizeof kidhex);
	int rc = cv__unhex(kid, sizeof kid, kidhex) < 0 ? cv__err(CV_EDAMAGED, "the share record of '%s' is malformed", holder)
		: share_kek(kek, a, holder, credential, kdf, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2));
	if (!rc) {
		rc = cv__cms_open(share, kek, kid, sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4));
		if (rc) {
			cv__buf_wipe_dispose(share);
			if (rc != CV_ENOMEM) /* out of memory is not a wrong credential (tests/fault) */
				rc = cv__err(CV_EAUTH, "wrong credential for the share of '%s'", holder);
		}
	}
	cv__wipe(kek, sizeof kek);
	sqlite3_finalize(st);
	return rc;
}

int cv__origins_match(cv_buf *shares, unsigned *nos, size_t *who, size_t *nmatched, size_t *bad, cv_archive *a,
	unsigned generation, char (*cand)[64], size_t ncand, const char *const *creds, const char *const *names,
	size_t ncreds, size_t need)
{
	int used[CV_ORIGINS_MAX_HOLDERS] = { 0 };
	*nmatched = 0;
	*bad = 0;
	for (size_t c = 0; c < ncreds && *nmatched < need; c++) {
		cv_buf sh = CV_BUF_INIT;
		unsigned no = 0;
		size_t found = ncand;
		if (!creds[c] || !*creds[c]) {
			*bad = c;
			return cv__err(CV_EAUTH, "credential %zu is empty", c + 1);
		}
		int named = names && names[c] && *names[c];
		if (named) {
			size_t j = 0;
			while (j < ncand && strcmp(cand[j], names[c]))
				j++;
			if (j == ncand) {
				*bad = c;
				return cv__err(CV_EDENIED, "'%s' is not among the holders who may count here", names[c]);
			}
		}
		for (size_t j = 0; j < ncand && found == ncand; j++) {
			if (named && strcmp(cand[j], names[c]))
				continue;
			int r = cv__origins_share_open(&sh, &no, a, generation, cand[j], creds[c]);
			if (r == 0)
				found = j;
			else if (r == CV_ENOMEM || r == CV_ERROR || r == CV_EBUSY || r == CV_EDAMAGED) {
				/* out of memory, a catalog error, a damaged share: not a wrong
				 * credential, which is said and journaled as a denial
				 * (tests/fault) */
				*bad = c;
				return r;
			}
		}
		cv_error_clear();
		if (found == ncand) {
			*bad = c;
			return cv__err(CV_EAUTH, "credential %zu opens the share of no holder who may count here "
				"(wrong credential)", c + 1);
		}
		if (used[found]) {
			cv__buf_wipe_dispose(&sh);
			*bad = c;
			return cv__err(CV_EDENIED, "credential %zu is %s's again: the same holder cannot count twice", c + 1,
				cand[found]);
		}
		used[found] = 1;
		shares[*nmatched] = sh;
		nos[*nmatched] = no;
		who[*nmatched] = found;
		(*nmatched)++;
	}
	if (*nmatched < need) {
		*bad = ncreds;
		return cv__err(CV_EDENIED, "credentials of %zu distinct holder%s given, %zu needed", *nmatched,
			*nmatched == 1 ? "" : "s", need);
	}
	return 0;
}

/* A certificate, PEM or DER. One parsed while an allocation failed can
 * come back without its public key and no error: it is parsed once more. */
static X509 *cert_parse(const cv_buf *f)
{
	X509 *x = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		BIO *b = BIO_new_mem_buf(f->data, (int)f->len);
		x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		if (!x) {
			const unsigned char *p = f->data;
			x = d2i_X509(NULL, &p, (long)f->len);
		}
		/* a failed parse or a key OpenSSL could not read may be one failed
		 * allocation (OpenSSL 3.0 does not always say so): read once more;
		 * what still fails is said by the caller */
		if ((x && X509_get0_pubkey(x)) || attempt == 1)
			break;
		X509_free(x);
		x = NULL;
		ERR_clear_error();
	}
	return x;
}

/* What a recipient certificate must be: in its validity period, an RSA key
 * of 2048 bits or more or an EC key, with a key usage allowing encryption
 * to it. */
static int recipient_ok(X509 *x, const char *path)
{
	EVP_PKEY *pub = X509_get0_pubkey(x);
	uint32_t ku = X509_get_key_usage(x);
	int rc = 0;
	/* the key-type lookup allocates: a failed one is asked again */
	int is_rsa = pub && EVP_PKEY_is_a(pub, "RSA"), is_ec = pub && !is_rsa && EVP_PKEY_is_a(pub, "EC");
	if (pub && !is_rsa && !is_ec) {
		is_rsa = EVP_PKEY_is_a(pub, "RSA");
		is_ec = !is_rsa && EVP_PKEY_is_a(pub, "EC");
	}
	if (X509_cmp_time(X509_get0_notAfter(x), NULL) <= 0)
		rc = cv__err(CV_EINVAL, "%s: the certificate has expired", path);
	else if (X509_cmp_time(X509_get0_notBefore(x), NULL) >= 0)
		rc = cv__err(CV_EINVAL, "%s: the certificate is not valid yet", path);
	else if (!pub || (!is_rsa && !is_ec))
		rc = cv__err(CV_EINVAL, "%s: the certificate's key must be RSA or EC", path);
	else if (is_rsa && EVP_PKEY_get_bits(pub) < 2048)
		rc = cv__err(CV_EINVAL, "%s: an RSA key of %d bits is too weak (2048 at least)", path, EVP_PKEY_get_bits(pub));
	else if (ku != UINT32_MAX && !(ku & (is_rsa ? KU_KEY_ENCIPHERMENT : KU_KEY_AGREEMENT)))
		rc = cv__err(CV_EINVAL, "%s: the certificate's key usage does not allow encryption to it", path);
	return rc;
}

int cv__origins_recipient(cv_buf *der, char fingerprint[65], const char *path)
{
	cv_buf f = CV_BUF_INIT;
	CV_TRY(cv__read_file(&f, path, 1 << 16));
	X509 *x = cert_parse(&f);
	/* a PEM that failed for want of memory is not a bad file */
	int oom = !x && cv__ossl_oom();
	ERR_clear_error();
	if (!x) {
		cv__buf_dispose(&f);
		if (oom)
			return cv__err(CV_ENOMEM, "%s: cannot read the certificate: out of memory", path);
		return cv__err(CV_EINVAL, "%s: not an X.509 certificate (PEM or DER)", path);
	}
	int rc = recipient_ok(x, path);
	if (rc == CV_EINVAL) {
		/* OpenSSL 3.0 answers "no key usage" or "not RSA or EC" when the
		 * extension cache or the key's decoder could not be allocated: a
		 * certificate parsed afresh is asked once more */
		X509 *y = cert_parse(&f);
		if (y && recipient_ok(y, path) == 0) {
			X509_free(x);
			x = y;
			rc = 0;
		} else {
			X509_free(y);
		}
		ERR_clear_error();
	}
	cv__buf_dispose(&f);
	unsigned char *d = NULL;
	int n = rc ? 0 : i2d_X509(x, &d);
	if (!rc && n <= 0)
		rc = cv__ossl_fail(CV_EINVAL, "cannot encode the recipient certificate");
	if (!rc) {
		cv__buf_clear(der);
		rc = cv__buf_put(der, d, (size_t)n);
	}
	OPENSSL_free(d);
	if (!rc)
		rc = cv__x509_sha256(x, fingerprint);
	X509_free(x);
	ERR_clear_error();
	return rc;
}

int cv__origins_unseal_for(cv_buf *out, cv_archive *a, const cv_buf *shares, const unsigned *nos, size_t n,
	const void *obj, size_t objlen, const cv_buf *recipient_der)
{
	cv__no_core_dumps();
	X509 *cert = NULL, *rcert = NULL;
	EVP_PKEY *key = NULL;
	cv_buf secret = CV_BUF_INIT;
	CV_TRY(cv__sealing_cert(a, &cert));
	int rc = combine(&secret, shares, nos, n);
	if (!rc)
		rc = der_to_key(&key, &secret, cert);
	if (rc == CV_EAUTH) {
		/* a certificate parsed while an allocation failed can lack its
		 * public key without an error: parse it again before saying the
		 * shares are wrong */
		X509_free(cert);
		cert = NULL;
		rc = cv__sealing_cert(a, &cert);
		if (!rc)
			rc = der_to_key(&key, &secret, cert);
	}
	cv__buf_wipe_dispose(&secret);
	const unsigned char *p = obj;
	CMS_ContentInfo *cms = NULL;
	BIO *plain = NULL;
	if (!rc) {
		cms = d2i_CMS_ContentInfo(NULL, &p, (long)objlen);
		plain = BIO_new(BIO_s_mem());
		if (!cms || !plain || p != (const unsigned char *)obj + objlen)
			rc = cv__ossl_fail(CV_EDAMAGED, "the sealed object is not a CMS object");
	}
	if (!rc && CMS_decrypt(cms, key, cert, NULL, plain, CMS_BINARY) != 1) {
		/* OpenSSL empties its error queue when a key transport fails (its
		 * defence against padding oracles), so a fetch that ran out of
		 * memory looks like a wrong key: a second try tells them apart
		 * (a damaged object fails again; memory still short, the probe) */
		int oom = cv__ossl_oom();
		const unsigned char *p2 = obj;
		CMS_ContentInfo *again = oom ? NULL : d2i_CMS_ContentInfo(NULL, &p2, (long)objlen);
		if (again && BIO_reset(plain) == 1 && CMS_decrypt(again, key, cert, NULL, plain, CMS_BINARY) == 1)
			rc = 0;
		else if (oom || cv__ossl_oom())
			rc = cv__err(CV_ENOMEM, "the sealed object cannot be opened: out of memory");
		else
			rc = cv__ossl_fail(CV_EDAMAGED, "the sealed object does not open with the sealing key (damaged or "
				"tampered)");
		CMS_ContentInfo_free(again);
	}
	EVP_PKEY_free(key); /* its private parts are cleared on free */
	key = NULL;
	CMS_ContentInfo_free(cms);
	if (!rc) {
		rcert = cert_parse(recipient_der);
		if (!rcert && cv__ossl_oom())
			rc = cv__err(CV_ENOMEM, "cannot read the recipient certificate: out of memory");
		else if (!rcert)
			rc = cv__ossl_fail(CV_EINVAL, "the recipient certificate does not parse");
	}
	if (!rc) {
		BUF_MEM *bm = NULL;
		BIO_get_mem_ptr(plain, &bm);
		rc = cv__cms_to_cert(out, rcert, EVP_aes_256_cbc(), bm ? bm->data : "", bm ? bm->length : 0);
	}
	BIO_free(plain); /* BUF_MEM_free cleanses the plaintext */
	X509_free(rcert);
	X509_free(cert);
	ERR_clear_error();
	return rc;
}

int cv__origins_split_wrap(cv__wrapped_share *w, unsigned char *nos, const cv_buf *secret, unsigned k,
	const char *const *creds, size_t n)
{
	cv_buf shares[CV_ORIGINS_MAX_HOLDERS];
	for (size_t i = 0; i < n; i++)
		shares[i] = (cv_buf)CV_BUF_INIT;
	int rc = split(shares, nos, n, k, secret);
	for (size_t i = 0; i < n && !rc; i++)
		rc = cv__origins_share_wrap(&w[i], creds[i], &shares[i]);
	cv__origins_shares_wipe(shares, n);
	return rc;
}

int cv__origins_split_seal(cv__wrapped_share *w, unsigned char *nos, const cv_buf *secret, unsigned k,
	const unsigned char (*seal_pubs)[32], size_t n)
{
	cv_buf shares[CV_ORIGINS_MAX_HOLDERS];
	for (size_t i = 0; i < n; i++)
		shares[i] = (cv_buf)CV_BUF_INIT;
	int rc = split(shares, nos, n, k, secret);
	for (size_t i = 0; i < n && !rc; i++)
		rc = cv__origins_share_seal(&w[i], seal_pubs[i], &shares[i]);
	cv__origins_shares_wipe(shares, n);
	return rc;
}

void cv__origins_wrapped_free(cv__wrapped_share *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cv__buf_dispose(&w[i].obj);
		cv__wipe(w[i].salt, sizeof w[i].salt);
	}
}

/* ------------------------------------------------------------------ */
/* The key as setup makes it and reshare rebuilds it                    */

int cv__origins_key_make(cv_buf *der, char **pem, char cert_sha[65], const char *archive_id)
{
	cv__no_core_dumps();
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)SEALING_BITS);
	if (!k)
		return cv__ossl_fail(CV_ERROR, "origins setup: cannot generate the sealing key");
	X509 *cert = NULL;
	int rc = make_cert(&cert, k, archive_id);
	if (!rc)
		rc = key_to_der(der, k);
	EVP_PKEY_free(k);
	if (!rc)
		rc = cv__x509_sha256(cert, cert_sha);
	if (!rc)
		rc = cert_pem(pem, cert);
	X509_free(cert);
	if (rc)
		cv__buf_wipe_dispose(der);
	return rc;
}

int cv__origins_rebuild(cv_buf *secret, char cert_sha[65], cv_archive *a, const cv_buf *shares, const unsigned *nos,
	size_t n)
{
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	cv__no_core_dumps();
	CV_TRY(cv__sealing_cert(a, &cert));
	int rc = combine(secret, shares, nos, n);
	if (!rc)
		rc = der_to_key(&key, secret, cert); /* the shares must rebuild this very key */
	EVP_PKEY_free(key);
	if (!rc)
		rc = cv__x509_sha256(cert, cert_sha);
	X509_free(cert);
	if (rc)
		cv__buf_wipe_dispose(secret);
	return rc;
}
