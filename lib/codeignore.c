/*
 * What --code-dir does not ship (lib/script.c packs the directory):
 *  - secrets, always (no pattern can bring them back): .env and .env.*,
 *    private keys (by name: id_rsa, id_ecdsa, id_ed25519, id_dsa, *.key,
 *    *.p12, *.pfx, *.jks, *.keystore; and any file that starts like a PEM
 *    private key), credential files (.netrc, _netrc, .pypirc, .npmrc,
 *    .git-credentials, .dockercfg, .htpasswd, credentials, credentials.json,
 *    credentials.yaml, kubeconfig, *.kubeconfig) and the directories .ssh,
 *    .aws, .gnupg, .docker;
 *  - what the .gitignore and .kftignore files of the directory and of its
 *    subdirectories ignore, as git reads .gitignore files: a file's patterns
 *    apply to the paths below its directory and are relative to it; deeper
 *    files override shallower ones, later lines earlier ones, .kftignore its
 *    directory's .gitignore; # comments, ! negation, \ escapes, a trailing /
 *    for directories, a leading or inner / anchors the pattern to the file's
 *    directory, else it matches a name at any depth; * ? [..] do not match a
 *    /, ** as a whole path component matches any number of directories. A
 *    directory ignored is not entered, so nothing below it can be brought
 *    back (git's rule too).
 *  Ignore files are outside input: at most KFT__IGNORE_MAX_PATTERNS patterns
 *  in all, KFT__IGNORE_MAX_PATTERN bytes each, KFT__IGNORE_MAX_DEPTH levels of
 *  directories; the matcher backtracks like git's wildmatch (bounded work).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "codeignore.h"

#include <ctype.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	char *pat;
	size_t level;   /* index into kft__ignore.levels: the directory it came from */
	int negate, dir_only, anchored;
} rule;

typedef struct {
	char *base;     /* the directory, relative to the code directory ("" at the top) */
	size_t first;   /* its first rule */
} level;

struct kft__ignore {
	rule *r;
	size_t n, cap;
	level lv[KFT__IGNORE_MAX_DEPTH];
	size_t depth;
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
	size_t n = kft__read_head(buf, sizeof(buf), path, O_NOFOLLOW);

	return n && ((memmem(buf, n, "-----BEGIN", 10) && memmem(buf, n, "PRIVATE KEY-----", 16)) ||
	       memmem(buf, n, "-----BEGIN OPENSSH PRIVATE KEY-----", 35) != NULL);
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


/* ---- wildmatch: git's glob for paths ---- */

enum { WM_MATCH = 0, WM_NOMATCH = 1, WM_ABORT_ALL = -1, WM_ABORT_TO_STARSTAR = -2 };

/*
 * Steps one match may take. The abort codes keep lone stars near-linear, but
 * each "**" path component multiplies the work by the text's length: a
 * pattern of hundreds of them would run for ages. Real patterns take a few
 * thousand steps; past the budget (one for all the rules a path is matched
 * against) the match is refused (kft__ignore_glob: -1).
 */
#define WM_BUDGET 200000

typedef struct {
	const unsigned char *start;   /* the pattern's first byte */
	long budget;
} wm_ctx;

static int class_has(const char *name, size_t n, unsigned char c)
{
	static const struct { const char *name; int (*fn)(int); } cls[] = {
		{ "alnum", isalnum }, { "alpha", isalpha }, { "blank", isblank }, { "cntrl", iscntrl },
		{ "digit", isdigit }, { "graph", isgraph }, { "lower", islower }, { "print", isprint },
		{ "punct", ispunct }, { "space", isspace }, { "upper", isupper }, { "xdigit", isxdigit },
	};
	size_t i;

	for (i = 0; i < sizeof(cls) / sizeof(cls[0]); i++)
		if (strlen(cls[i].name) == n && !memcmp(cls[i].name, name, n))
			return cls[i].fn(c) != 0;
	return -1;
}

/*
 * A bracket expression at *pp ('[' already read) against c: 1, 0, or
 * WM_ABORT_ALL when it is malformed (git: the pattern matches nothing).
 * *pp is left on the closing ']'.
 */
static int bracket(const unsigned char **pp, unsigned char c)
{
	const unsigned char *p = *pp;
	int negate = 0, matched = 0, first = 1;

	if (*p == '!' || *p == '^') {
		negate = 1;
		p++;
	}
	for (;; p++, first = 0) {
		unsigned char lo = *p;

		if (!lo)
			return WM_ABORT_ALL;
		if (lo == ']' && !first)
			break;
		if (lo == '\\') {
			if (!(lo = *++p))
				return WM_ABORT_ALL;
		} else if (lo == '[' && p[1] == ':') {
			const unsigned char *e = (const unsigned char *)strstr((const char *)p + 2, ":]");
			int r;

			if (!e)
				return WM_ABORT_ALL;
			if ((r = class_has((const char *)p + 2, (size_t)(e - p - 2), c)) < 0)
				return WM_ABORT_ALL;   /* an unknown class */
			matched |= r;
			p = e + 1;
			continue;
		}
		if (p[1] == '-' && p[2] && p[2] != ']') {
			unsigned char hi = p[2];

			p += 2;
			if (hi == '\\' && !(hi = *++p))
				return WM_ABORT_ALL;
			matched |= c >= lo && c <= hi;
		} else {
			matched |= c == lo;
		}
	}
	*pp = p;
	return c != '/' && matched != negate;
}

/*
 * p against t, git's rules: * ? [..] never match '/', "**" between slashes (or
 * at either end) matches across them. The abort codes cut the backtracking:
 * once the text runs out, or a lone * reaches a '/', trying longer matches
 * for an earlier star cannot succeed.
 */
static int wildmatch(const unsigned char *p, const unsigned char *t, wm_ctx *c)
{
	for (; *p; p++, t++) {
		unsigned char pc = *p;
		int r;

		if (--c->budget < 0)
			return WM_ABORT_ALL;
		if (!*t && pc != '*')
			return WM_ABORT_ALL;
		switch (pc) {
		case '\\':
			if (!(pc = *++p))
				return WM_NOMATCH;   /* a trailing backslash matches nothing */
			if (*t != pc)
				return WM_NOMATCH;
			break;
		case '?':
			if (*t == '/')
				return WM_NOMATCH;
			break;
		case '[':
			p++;
			if ((r = bracket(&p, *t)) != 1)
				return r == 0 ? WM_NOMATCH : r;
			break;
		case '*': {
			const unsigned char *first = p;
			int across = 0;

			while (p[1] == '*')
				p++;
			if (p > first && (first == c->start || first[-1] == '/') &&
			    (p[1] == '\0' || p[1] == '/')) {
				if (p[1] == '/' && wildmatch(p + 2, t, c) == WM_MATCH)
					return WM_MATCH;   /* zero directories */
				across = 1;
			}
			p++;
			if (!*p)
				return across || !strchr((const char *)t, '/') ? WM_MATCH : WM_NOMATCH;
			for (; *t; t++) {
				if (--c->budget < 0)
					return WM_ABORT_ALL;
				if ((r = wildmatch(p, t, c)) != WM_NOMATCH) {
					if (!across || r != WM_ABORT_TO_STARSTAR)
						return r;
				} else if (!across && *t == '/') {
					return WM_ABORT_TO_STARSTAR;
				}
			}
			return WM_ABORT_ALL;
		}
		default:
			if (*t != pc)
				return WM_NOMATCH;
		}
	}
	return *t ? WM_NOMATCH : WM_MATCH;
}

/* 1, 0, or -1 once *budget (shared by the matches of one path) is spent */
static int glob_budget(const char *pattern, const char *path, long *budget)
{
	wm_ctx c = { (const unsigned char *)pattern, *budget };
	int r = wildmatch(c.start, (const unsigned char *)path, &c);

	*budget = c.budget;
	if (c.budget < 0)
		return -1;
	return r == WM_MATCH;
}

int kft__ignore_glob(const char *pattern, const char *path)
{
	long budget = WM_BUDGET;

	return glob_budget(pattern, path, &budget);
}

/* ---- ignore files ---- */

static int add_rules(kft__ignore *ig, const char *text, size_t len, const char *file)
{
	const char *p = text, *stop = text + len;
	size_t line = 0;

	while (p < stop) {
		const char *nl = memchr(p, '\n', (size_t)(stop - p)), *end = nl ? nl : stop;
		size_t n = (size_t)(end - p);
		rule r = { NULL, ig->depth - 1, 0, 0, 0 };
		char *s;

		line++;
		if (n && p[n - 1] == '\r')
			n--;
		while (n && p[n - 1] == ' ' && !(n >= 2 && p[n - 2] == '\\'))
			n--;   /* trailing spaces go, unless escaped ("\ ") */
		if (memchr(p, '\0', n))
			return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
			                      "code directory: %s line %zu: a NUL byte (not a text file)",
			                      file, line);
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
			if (n && memchr(p, '/', n))
				r.anchored = 1;
			if (n && p[0] == '/') {
				p++;
				n--;
			}
			if (n > KFT__IGNORE_MAX_PATTERN)
				return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
				                      "code directory: %s line %zu: a pattern longer than %d "
				                      "bytes", file, line, KFT__IGNORE_MAX_PATTERN);
			if (n && ig->n >= KFT__IGNORE_MAX_PATTERNS)
				return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
				                      "code directory: %s line %zu: more than %d ignore "
				                      "patterns in all", file, line,
				                      KFT__IGNORE_MAX_PATTERNS);
			if (n) {
				if (ig->n == ig->cap) {
					size_t cap = ig->cap ? ig->cap * 2 : 16;
					rule *v = kft__realloc(ig->r, cap * sizeof(*v));

					if (!v)
						return kft__error_oom();
					ig->r = v;
					ig->cap = cap;
				}
				if (!(s = kft__strndup(p, n)))
					return kft__error_oom();
				r.pat = s;
				ig->r[ig->n++] = r;
			}
		}
		p = nl ? nl + 1 : stop;
	}
	return 0;
}

int kft__ignore_new(kft__ignore **out)
{
	*out = kft__calloc(1, sizeof(**out));
	return *out ? 0 : kft__error_oom();
}

int kft__ignore_push_text(kft__ignore *ig, const char *rel, const char *text, size_t len,
                          const char *file)
{
	level *lv;
	int error;

	if (ig->depth == KFT__IGNORE_MAX_DEPTH)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "code directory: %s: nested deeper than %d directories", rel,
		                      KFT__IGNORE_MAX_DEPTH);
	lv = &ig->lv[ig->depth];
	KFT_CHECK_ALLOC(lv->base = kft__strdup(rel));
	lv->first = ig->n;
	ig->depth++;
	if (text && (error = add_rules(ig, text, len, file)) < 0) {
		kft__ignore_pop(ig);
		return error;
	}
	return 0;
}

int kft__ignore_push(kft__ignore *ig, const char *root, const char *rel)
{
	static const char *const files[] = { ".gitignore", ".kftignore" };
	size_t i;
	int error;

	if ((error = kft__ignore_push_text(ig, rel, NULL, 0, NULL)) < 0)
		return error;
	for (i = 0; !error && i < 2; i++) {
		char *relf = rel[0] ? kft__path_join(rel, files[i]) : kft__strdup(files[i]);
		char *path = relf ? kft__path_join(root, relf) : NULL, *text = NULL;
		struct stat st;
		size_t len = 0;

		if (!path)
			error = kft__error_oom();
		else if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
			/* a FIFO would block the read; git does not follow a symlinked one either */
			kft__log(KFT_DIAG_WARN, "code directory: %s is not a regular file; not read",
			         relf);
		else if ((error = kft__read_file_in(&text, &len, root, relf)) == 0 && text)
			error = add_rules(ig, text, len, relf);
		free(text);
		free(path);
		free(relf);
	}
	if (error < 0)
		kft__ignore_pop(ig);
	return error;
}

void kft__ignore_pop(kft__ignore *ig)
{
	level *lv;

	if (!ig || !ig->depth)
		return;
	lv = &ig->lv[--ig->depth];
	while (ig->n > lv->first)
		free(ig->r[--ig->n].pat);
	free(lv->base);
	lv->base = NULL;
}

int kft__ignore_match(const kft__ignore *ig, const char *relpath, int is_dir)
{
	const char *base = strrchr(relpath, '/');
	long budget = WM_BUDGET;   /* for all the rules together */
	size_t i;

	base = base ? base + 1 : relpath;
	/* the last matching rule decides: deeper files come later */
	for (i = ig ? ig->n : 0; i-- > 0;) {
		const rule *r = &ig->r[i];
		const char *lb = ig->lv[r->level].base, *sub = relpath;
		size_t bl = strlen(lb);

		if (r->dir_only && !is_dir)
			continue;
		if (bl) {
			if (strncmp(relpath, lb, bl) || relpath[bl] != '/')
				continue;   /* not below the ignore file's directory */
			sub = relpath + bl + 1;
		}
		switch (glob_budget(r->pat, r->anchored ? sub : base, &budget)) {
		case 1:
			return !r->negate;
		case -1:
			return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
			                      "code directory: the ignore pattern \"%.60s%s\" (in %s%s"
			                      ".gitignore or .kftignore) takes too long to match %s; "
			                      "simplify it", r->pat, strlen(r->pat) > 60 ? "..." : "",
			                      lb, bl ? "/" : "", relpath);
		}
	}
	return 0;
}

void kft__ignore_free(kft__ignore *ig)
{
	if (!ig)
		return;
	while (ig->depth)
		kft__ignore_pop(ig);
	free(ig->r);
	free(ig);
}
