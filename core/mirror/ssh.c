/* ssh:// mirrors through libgit2 (libssh2): the server's host key must be in
 * the user's ~/.ssh/known_hosts (plain or hashed entries, "[host]:port" for
 * another port than 22), as ssh itself would require; the client key comes
 * from ssh-agent, else from ~/.ssh/id_ed25519, id_ecdsa or id_rsa without
 * passphrase. Each method is tried once. libgit2 1.5 accepts any host key
 * when no callback says otherwise: this file is that callback. */
#include "mirror/mirror.h"
#include "util/fs.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int b64(unsigned char *out, size_t cap, const char *in, size_t *n)
{
	size_t len = strlen(in);
	if (len % 4 || len / 4 * 3 > cap)
		return -1;
	int k = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if (k < 0)
		return -1;
	while (len && in[len - 1] == '=') {
		k--;
		len--;
	}
	*n = (size_t)k;
	return 0;
}

/* Does the known_hosts host field `f` name `name` ("host" or "[host]:port")? */
static int host_matches(const char *f, const char *name)
{
	if (!strncmp(f, "|1|", 3)) {
		char salt64[64], hash64[64];
		if (sscanf(f + 3, "%63[^|]|%63s", salt64, hash64) != 2)
			return 0;
		unsigned char salt[64], want[64], got[EVP_MAX_MD_SIZE];
		size_t sl = 0, wl = 0;
		unsigned int gl = 0;
		if (b64(salt, sizeof salt, salt64, &sl) || b64(want, sizeof want, hash64, &wl) ||
			!HMAC(EVP_sha1(), salt, (int)sl, (const unsigned char *)name, strlen(name), got, &gl))
			return 0;
		return wl == gl && !memcmp(want, got, wl);
	}
	size_t n = strlen(name);
	for (const char *p = f; *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && !strncmp(p, name, n))
			return 1;
		p += l + (e ? 1 : 0);
	}
	return 0;
}

/* 1: the key is known for the host; 0: the host is unknown; -1: the host
 * is known with other keys (a changed key: refused like ssh does). */
static int known(const char *name, const unsigned char *key, size_t keylen)
{
	const char *home = getenv("HOME");
	char path[1024];
	snprintf(path, sizeof path, "%s/.ssh/known_hosts", home ? home : "");
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[8192];
	int seen = 0, match = 0;
	while (fgets(line, sizeof line, f)) {
		char hosts[2048], type[64], k64[4096];
		if (line[0] == '#' || line[0] == '@' || sscanf(line, "%2047s %63s %4095s", hosts, type, k64) != 3)
			continue;
		if (!host_matches(hosts, name))
			continue;
		seen = 1;
		unsigned char k[3072];
		size_t kl = 0;
		if (!b64(k, sizeof k, k64, &kl) && kl == keylen && !memcmp(k, key, kl))
			match = 1;
	}
	fclose(f);
	return match ? 1 : seen ? -1 : 0;
}

static int port_of(const char *url)
{
	const char *h = strstr(url, "://");
	h = h ? h + 3 : url;
	const char *at = strchr(h, '@'), *slash = strchr(h, '/');
	if (at && (!slash || at < slash))
		h = at + 1;
	const char *colon = strchr(h, ':');
	if (colon && (!slash || colon < slash))
		return atoi(colon + 1);
	return 22;
}

int cv__mirror_check_host(git_cert *cert, int valid, const char *host, void *payload)
{
	cv_remote_ctx *x = payload;
	(void)valid;
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return valid ? 0 : cv__err(CV_EAUTH, "the certificate of %s is not valid", host);
	const git_cert_hostkey *k = (const git_cert_hostkey *)cert;
	if (!(k->type & GIT_CERT_SSH_RAW))
		return cv__err(CV_EAUTH, "ssh: the host key of %s cannot be checked (no raw key)", host);
	char name[600];
	int port = x ? port_of(x->url) : 22;
	if (port == 22)
		snprintf(name, sizeof name, "%s", host);
	else
		snprintf(name, sizeof name, "[%s]:%d", host, port);
	int r = known(name, (const unsigned char *)k->hostkey, k->hostkey_len);
	if (r == 1)
		return 0;
	if (x)
		snprintf(x->refused, sizeof x->refused, r < 0 ? "the host key of %s is not the one in ~/.ssh/known_hosts "
			"(it changed: someone may be in the middle)" : "%s is not in ~/.ssh/known_hosts: check its "
			"fingerprint and add it (ssh-keyscan)", name);
	return GIT_ECERTIFICATE;
}

int cv__mirror_credentials(git_credential **out, const char *url, const char *user, unsigned int allowed,
	void *payload)
{
	cv_remote_ctx *x = payload;
	(void)url;
	const char *u = user ? user : "git";
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY)) {
		if ((allowed & GIT_CREDENTIAL_USERNAME) && x && !x->tried_user++)
			return git_credential_username_new(out, u);
		return GIT_PASSTHROUGH;
	}
	if (x && !x->tried_agent++ && getenv("SSH_AUTH_SOCK"))
		return git_credential_ssh_key_from_agent(out, u);
	static const char *const files[] = { "id_ed25519", "id_ecdsa", "id_rsa" };
	const char *home = getenv("HOME");
	while (x && home && x->tried_files < sizeof files / sizeof *files) {
		char priv[1024], pub[1040];
		snprintf(priv, sizeof priv, "%s/.ssh/%s", home, files[x->tried_files++]);
		snprintf(pub, sizeof pub, "%s.pub", priv);
		if (cv__exists(priv))
			return git_credential_ssh_key_new(out, u, cv__exists(pub) ? pub : NULL, priv, NULL);
	}
	if (x)
		snprintf(x->refused, sizeof x->refused, "no ssh key was accepted (ssh-agent, then ~/.ssh/id_ed25519, "
			"id_ecdsa, id_rsa without passphrase)");
	return GIT_EAUTH;
}
