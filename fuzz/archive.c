/*
 * Archives a dataset or model URI points at (tar, tar.gz/zst/xz/bz2, zip, ...),
 * unpacked as the local initializer unpacks them, under small limits: nothing
 * is written outside the destination (no absolute or ".." names, no writes
 * through symlinks, no hard links or devices) and the expansion stays bounded
 * (zip bombs: bytes, members, ratio).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"
#include "larchive.h"

#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_BYTES (4u << 20)

static uint64_t total;

static int add_size(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)path;
	(void)f;
	if (flag == FTW_F && S_ISREG(st->st_mode))
		total += (uint64_t)st->st_blocks * 512;   /* what it takes on disk (sparse: holes free) */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kft__extract_limits lim = { MAX_BYTES, 100, 1u << 20, 50 };   /* few members: each is a file made */
	char box[4200], out[4300];
	const char *src;
	uint64_t n = 0;
	DIR *d;
	struct dirent *e;
	int error;

	fuzz_clear();
	src = fuzz_write("input", data, size);
	snprintf(box, sizeof(box), "%s/box", fuzz_dir());
	snprintf(out, sizeof(out), "%s/box/out", fuzz_dir());
	if (mkdir(box, 0700) < 0 || mkdir(out, 0700) < 0)
		abort();
	error = kft__archive_extract(src, out, &lim, &n);
	FUZZ_CHECK(error <= 0, "error %d", error);
	if (getenv("KFT_REPLAY_VERBOSE"))
		fprintf(stderr, "  -> %d (%llu members) %s\n", error, (unsigned long long)n,
		        error ? kft_error_last()->message : "");
	FUZZ_CHECK(error == 0 || *kft_error_last()->message, "an error without a message");
	/* nothing next to out/ or next to box/ (a ".." escape lands there) */
	if ((d = opendir(box)) == NULL)
		abort();
	while ((e = readdir(d)) != NULL)
		FUZZ_CHECK(!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		           !strcmp(e->d_name, "out"), "%s escaped into box/", e->d_name);
	closedir(d);
	if ((d = opendir(fuzz_dir())) == NULL)
		abort();
	while ((e = readdir(d)) != NULL)
		FUZZ_CHECK(!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		           !strcmp(e->d_name, "box") || !strcmp(e->d_name, "input"),
		           "%s escaped next to box/", e->d_name);
	closedir(d);
	total = 0;
	nftw(out, add_size, 16, FTW_PHYS);
	FUZZ_CHECK(total <= MAX_BYTES + 1000 * 4096, "%llu bytes on disk", (unsigned long long)total);
	FUZZ_CHECK(n <= 1000, "%llu members", (unsigned long long)n);
	return 0;
}
