/*
 * --code-dir ignore files (.gitignore/.kftignore, lib/codeignore.c): the
 * input's NUL-separated parts are the top directory's ignore file, the ignore
 * file of its subdirectory "sub", then paths to match. A file is taken or
 * refused with KFT_EINVALID and a message naming it; every match answers;
 * and the glob agrees with fnmatch(FNM_PATHNAME) on the patterns both read
 * alike (literals, * and ?: no brackets, escapes or **).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"
#include "codeignore.h"

#include <fnmatch.h>

static const char *part(const uint8_t **p, const uint8_t *end, size_t *n)
{
	const uint8_t *s = *p, *nul = memchr(s, 0, (size_t)(end - s));

	*n = nul ? (size_t)(nul - s) : (size_t)(end - s);
	*p = nul ? nul + 1 : end;
	return (const char *)s;
}

static void differential(const char *text, size_t len, const char *path)
{
	const char *p = text, *stop = text + len;

	while (p < stop) {
		const char *nl = memchr(p, '\n', (size_t)(stop - p));
		size_t n = (size_t)((nl ? nl : stop) - p);
		char pat[256];

		if (n && n < sizeof(pat)) {
			memcpy(pat, p, n);
			pat[n] = '\0';
			int g;

			if (!strpbrk(pat, "[\\") && !strstr(pat, "**") && strlen(pat) == n &&
			    (g = kft__ignore_glob(pat, path)) >= 0)   /* -1: over the step budget */
				FUZZ_CHECK(g == (fnmatch(pat, path, FNM_PATHNAME) == 0),
				           "glob \"%s\" on \"%s\"", pat, path);
		}
		p = nl ? nl + 1 : stop;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	const char *top, *sub;
	size_t ntop, nsub, pushed = 0;
	kft__ignore *ig = NULL;
	int error;

	top = part(&p, end, &ntop);
	sub = part(&p, end, &nsub);
	if (kft__ignore_new(&ig) < 0)
		return 0;
	if ((error = kft__ignore_push_text(ig, "", top, ntop, ".gitignore")) == 0) {
		pushed = 1;
		if ((error = kft__ignore_push_text(ig, "sub", sub, nsub, "sub/.gitignore")) == 0)
			pushed = 2;
	}
	if (error < 0)
		FUZZ_CHECK(error == KFT_EINVALID && strstr(kft_error_last()->message, ".gitignore"),
		           "%d: %s", error, kft_error_last()->message);
	/* two paths at most: each match may take the matcher's whole step budget */
	for (int paths = 0; p < end && paths < 2; paths++) {
		size_t n;
		const char *s = part(&p, end, &n);
		char path[4200];

		if (n >= 4000)
			continue;
		memcpy(path, s, n);
		path[n] = '\0';
		FUZZ_CHECK(kft__ignore_match(ig, path, 0) >= 0 || *kft_error_last()->message, "match");
		(void)kft__ignore_match(ig, path, 1);
		differential(top, ntop, path);
		snprintf(path, sizeof(path), "sub/%.*s", (int)n, s);
		(void)kft__ignore_match(ig, path, 0);
	}
	while (pushed--)
		kft__ignore_pop(ig);
	kft__ignore_free(ig);
	return 0;
}
