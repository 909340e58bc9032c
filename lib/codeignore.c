/*
 * What --code-dir does not ship (lib/script.c packs the directory):
 *  - secrets, always (no pattern can bring them back): .env and .env.*,
 *    private keys (by name: id_rsa, id_ecdsa, id_ed25519, id_dsa, *.key,
 *    *.p12, *.pfx, *.jks, *.keystore; and any file that starts like a PEM
 *    private key), credential files (.netrc, _netrc, .pypirc, .npmrc,
 *    .git-credentials, .dockercfg, .htpasswd, credentials, credentials.json,
 *    credentials.yaml, kubeconfig, *.kubeconfig) and the directories .ssh,
 *    .aws, .gnupg, .docker;
 *  - what the directory's top-level .gitignore and .kftignore ignore (the
 *    gitignore syntax: # comments, ! negation, a trailing / for directories,
 *    a leading or inner / anchors to the directory, * ? [..] and **).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "codeignore.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
	char *pat;
	int negate, dir_only, anchored;
} rule;

struct kft__ignore {
	rule *r;
	size_t n, cap;
};

static const char *const secret_names[] = {
	".netrc", "_netrc", ".pypirc", ".npmrc", ".git-credentials", ".dockercfg", ".htpasswd",
	"credentials", "credentials.json", "credentials.yaml", "kubeconfig", "id_rsa", "id_dsa",
	"id_ecdsa", "id_ed25519", NULL
};
static const char *const secret_globs[] = {
	".env", ".env.*", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.kubeconfig", NULL
};
static const char *const secret_dirs[] = { ".ssh", ".aws", ".gnupg", ".docker", NULL };

/* A PEM private key ("-----BEGIN ... PRIVATE KEY-----") in the first 4 KiB. */
static int looks_like_private_key(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (memmem(buf, (size_t)n, "-----BEGIN", 10) &&
	        memmem(buf, (size_t)n, "PRIVATE KEY-----", 16)) ||
	       memmem(buf, (size_t)n, "-----BEGIN OPENSSH PRIVATE KEY-----", 35) != NULL;
}

const char *kft__ignore_secret(const char *name, const char *full, int is_dir)
{
	size_t i;

	if (is_dir) {
		for (i = 0; secret_dirs[i]; i++)
			if (!strcmp(name, secret_dirs[i]))
				return "a credentials directory";
		return NULL;
	}
	if (!strncmp(name, ".env", 4))
		return "an environment file (.env*)";
	for (i = 0; secret_names[i]; i++)
		if (!strcmp(name, secret_names[i]))
			return "a credentials file";
	for (i = 0; secret_globs[i]; i++)
		if (fnmatch(secret_globs[i], name, 0) == 0)
			return "a private key or credentials file";
	if (full && looks_like_private_key(full))
		return "a private key";
	return NULL;
}

static int add_rules(kft__ignore *ig, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
		size_t n = (size_t)(end - p);
		rule r = { NULL, 0, 0, 0 };
		char *s;

		while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
			n--;
		if (n && p[0] != '#') {
			if (p[0] == '!') {
				r.negate = 1;
				p++;
				n--;
			}
			if (n && p[n - 1] == '/') {
				r.dir_only = 1;
				n--;
			}
			if (n >= 3 && !strncmp(p, "**/", 3)) {
				p += 3;
				n -= 3;
			} else if (n && p[0] == '/') {
				r.anchored = 1;
				p++;
				n--;
			}
			if (n && memchr(p, '/', n))
				r.anchored = 1;
			if (n) {
				if (!(s = kft__strndup(p, n)))
					return kft__error_oom();
				if (ig->n == ig->cap) {
					size_t cap = ig->cap ? ig->cap * 2 : 16;
					rule *v = kft__realloc(ig->r, cap * sizeof(*v));

					if (!v) {
						free(s);
						return kft__error_oom();
					}
					ig->r = v;
					ig->cap = cap;
				}
				r.pat = s;
				ig->r[ig->n++] = r;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int kft__ignore_load(kft__ignore **out, const char *dir)
{
	static const char *const files[] = { ".gitignore", ".kftignore" };
	kft__ignore *ig;
	size_t i;
	int error = 0;

	*out = NULL;
	KFT_CHECK_ALLOC(ig = kft__calloc(1, sizeof(*ig)));
	for (i = 0; !error && i < 2; i++) {
		char *text = NULL;

		if ((error = kft__read_file_in(&text, NULL, dir, files[i])) == 0 && text)
			error = add_rules(ig, text);
		free(text);
	}
	if (error < 0) {
		kft__ignore_free(ig);
		return error;
	}
	*out = ig;
	return 0;
}

int kft__ignore_match(const kft__ignore *ig, const char *relpath, int is_dir)
{
	const char *base = strrchr(relpath, '/');
	int ignored = 0;
	size_t i;

	base = base ? base + 1 : relpath;
	for (i = 0; ig && i < ig->n; i++) {
		const rule *r = &ig->r[i];
		size_t plen = strlen(r->pat);
		int m;

		if (r->dir_only && !is_dir)
			continue;
		if (r->anchored) {
			m = fnmatch(r->pat, relpath, FNM_PATHNAME) == 0;
			/* "dir/ followed by **" matches everything under dir */
			if (!m && plen >= 3 && !strcmp(r->pat + plen - 3, "/**"))
				m = !strncmp(relpath, r->pat, plen - 2);
		} else {
			m = fnmatch(r->pat, base, 0) == 0;
		}
		if (m)
			ignored = !r->negate;
	}
	return ignored;
}

void kft__ignore_free(kft__ignore *ig)
{
	size_t i;

	if (!ig)
		return;
	for (i = 0; i < ig->n; i++)
		free(ig->r[i].pat);
	free(ig->r);
	free(ig);
}
