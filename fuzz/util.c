/*
 * Helpers for harnesses that work on files: one private temporary directory.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"

#include <ftw.h>
#include <unistd.h>

static char dir[4096];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	if (f->level > 0)
		remove(path);
	return 0;
}

void fuzz_clear(void)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void cleanup(void)
{
	fuzz_clear();
	if (dir[0])
		rmdir(dir);
}

const char *fuzz_dir(void)
{
	if (!dir[0]) {
		const char *t = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/kft-fuzz.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
	}
	return dir;
}

const char *fuzz_write(const char *name, const void *data, size_t size)
{
	static char path[4096 + 256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();
	return path;
}

void fuzz_check_terminal_safe(const char *msg)
{
	size_t n = strlen(msg), i = 0, k;

	while (i < n) {
		unsigned char c = (unsigned char)msg[i];

		FUZZ_CHECK(c >= 32 && c != 127, "control character 0x%02x in \"%s\"", c, msg);
		k = kft__utf8_seq(msg + i, n - i);
		FUZZ_CHECK(k > 0 || (n >= 4092 && n - i < 4), "not UTF-8 at byte %zu of \"%s\"", i, msg);
		if (!k)
			break;   /* a sequence cut at the end */
		FUZZ_CHECK(!(k == 2 && c == 0xc2 && (unsigned char)msg[i + 1] < 0xa0),
		           "C1 control U+%04X in \"%s\"", (unsigned char)msg[i + 1], msg);
		i += k;
	}
}

int fuzz_flip_secrets(cJSON *obj, const char *const *keys, size_t n)
{
	size_t i;
	int changed = 0;

	for (i = 0; i < n; i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, keys[i]);
		char *p;

		if (!cJSON_IsString(v))
			continue;
		for (p = v->valuestring; *p; p++)
			*p = *p == 'Z' ? 'Y' : 'Z';
		changed = 1;
	}
	return changed;
}
