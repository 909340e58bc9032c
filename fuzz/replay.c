/*
 * Replay driver: feeds files (or every file under directories, in name order) to a
 * harness's LLVMFuzzerTestOneInput, so that `make check` replays the seed corpora
 * and fuzz/regressions/ with the plain build (gcc, no libFuzzer). A harness
 * failure aborts; a clean run prints how many inputs it replayed.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (cap - len < 65536) {
			uint8_t *d = realloc(data, cap = cap * 2 + 65536);

			if (!d)
				abort();
			data = d;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	if (getenv("KFT_REPLAY_VERBOSE"))
		fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* A file, or every regular file under a directory (recursively, in name order). */
static int replay_path(const char *path, long *count)
{
	struct stat st;
	struct dirent **names;
	int n, j, bad = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (S_ISREG(st.st_mode)) {
		++*count;
		return replay_file(path) < 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	if ((n = scandir(path, &names, NULL, by_name)) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (j = 0; j < n; j++) {
		char sub[8192];

		if (names[j]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path, names[j]->d_name);
			bad |= replay_path(sub, count);
		}
		free(names[j]);
	}
	free(names);
	return bad;
}

int main(int argc, char **argv)
{
	long count = 0;
	int i, bad = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++)
		bad |= replay_path(argv[i], &count);
	printf("replayed %ld inputs\n", count);
	return bad;
}
