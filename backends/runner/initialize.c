/*
 * The dataset and model initializers of local jobs: `kft-supervisor
 * initialize dataset|model URI DEST` (a plan step's argv, run by the
 * supervisor as any other step) fetches URI into DEST: a local file or
 * directory (archives unpacked, members checked), hf:// (huggingface-cli),
 * s3:// (aws). cache:// needs a cluster.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "store.h"
#include "larchive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

static int is_archive(const char *p)
{
	return has_suffix(p, ".tar") || has_suffix(p, ".tar.gz") || has_suffix(p, ".tgz") ||
	       has_suffix(p, ".tar.zst") || has_suffix(p, ".tar.xz") || has_suffix(p, ".tar.bz2") ||
	       has_suffix(p, ".zip");
}

/*
 * libarchive is loaded only here (dlopen), in the short-lived initializer
 * process: the long-running supervisor then maps none of libarchive's
 * dependencies (libxml2, ICU, libstdc++ ...), which keeps its RSS small.
 */
static int extract(const char *src, const char *dest)
{
	uint64_t n = 0;

	if (kft__archive_extract(src, dest, NULL, &n) < 0) {
		fprintf(stderr, "kft initializer: %s\n", kft_error_last()->message);
		return 1;
	}
	printf("kft initializer: extracted %llu entries from %s into %s\n", (unsigned long long)n,
	       src, dest);
	return 0;
}

static int copy_file(const char *src, const char *dst)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC), out, rc = 0;
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = -1;
			break;
		}
	if (n < 0)
		rc = -1;
	close(in);
	if (close(out) < 0)
		rc = -1;
	return rc;
}

static int init_local(const char *src, const char *dest)
{
	struct stat st;
	char abs[PATH_MAX];

	if (!realpath(src, abs) || stat(abs, &st) < 0) {
		fprintf(stderr, "kft initializer: %s: %s\n", src, strerror(errno));
		return 1;
	}
	if (S_ISDIR(st.st_mode)) {
		/* link each top-level entry: no copy of large datasets */
		DIR *d = opendir(abs);
		struct dirent *e;
		int n = 0;

		if (!d) {
			fprintf(stderr, "kft initializer: %s: %s\n", abs, strerror(errno));
			return 1;
		}
		while ((e = readdir(d)) != NULL) {
			char from[PATH_MAX * 2], to[PATH_MAX * 2];

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(from, sizeof(from), "%s/%s", abs, e->d_name);
			snprintf(to, sizeof(to), "%s/%s", dest, e->d_name);
			unlink(to);
			if (symlink(from, to) < 0) {
				fprintf(stderr, "kft initializer: link %s: %s\n", to, strerror(errno));
				closedir(d);
				return 1;
			}
			n++;
		}
		closedir(d);
		printf("kft initializer: linked %d entries of %s into %s\n", n, abs, dest);
		return 0;
	}
	if (is_archive(abs))
		return extract(abs, dest);
	{
		char to[PATH_MAX * 2];
		const char *base = strrchr(abs, '/') ? strrchr(abs, '/') + 1 : abs;

		snprintf(to, sizeof(to), "%s/%s", dest, base);
		unlink(to);
		if (link(abs, to) < 0 && copy_file(abs, to) < 0) {
			fprintf(stderr, "kft initializer: copy %s to %s: %s\n", abs, to, strerror(errno));
			return 1;
		}
		printf("kft initializer: copied %s into %s\n", abs, dest);
	}
	return 0;
}

static int need_tool(const char *tool, const char *scheme, const char *hint)
{
	char *p = kft__which(tool);

	if (p) {
		free(p);
		return 0;
	}
	fprintf(stderr, "kft initializer: %s:// needs the \"%s\" tool, which is not installed "
	        "(not found on PATH); %s\n", scheme, tool, hint);
	return 127;
}

int kft__initializer_main(int argc, char **argv)
{
	const char *which, *uri, *dest;

	if (argc != 5) {
		fprintf(stderr, "usage: kft-supervisor initialize dataset|model URI DEST\n");
		return 2;
	}
	which = argv[2];
	uri = argv[3];
	dest = argv[4];
	if (kft__mkdir_p(dest, 0755) < 0) {
		fprintf(stderr, "kft initializer: %s\n", kft_error_last()->message);
		return 1;
	}
	if (kft__has_prefix(uri, "file://"))
		return init_local(uri + 7, dest);
	if (!strstr(uri, "://"))
		return init_local(uri, dest);
	if (kft__has_prefix(uri, "cache://")) {
		fprintf(stderr, "kft initializer: %s: cache:// (the distributed data cache) is not "
		        "available locally; it needs a Kubernetes cluster with LeaderWorkerSet and "
		        "the data-cache runtime\n", uri);
		return 2;
	}
	if (kft__has_prefix(uri, "hf://")) {
		const char *repo = uri + 5;
		char id[1024];
		const char *slash = strchr(repo, '/');
		int rc;

		if ((rc = need_tool("huggingface-cli", "hf", "install huggingface_hub (it provides "
		                    "huggingface-cli)")) != 0)
			return rc;
		snprintf(id, sizeof(id), "%s", repo);
		/* dataset: repo id = host + first path segment */
		if (!strcmp(which, "dataset") && slash && strchr(slash + 1, '/'))
			id[strchr(slash + 1, '/') - repo] = '\0';
		fflush(stdout);
		if (!strcmp(which, "dataset"))
			execlp("huggingface-cli", "huggingface-cli", "download", id, "--repo-type",
			       "dataset", "--local-dir", dest, (char *)NULL);
		else
			execlp("huggingface-cli", "huggingface-cli", "download", id, "--local-dir", dest,
			       (char *)NULL);
		perror("kft initializer: exec huggingface-cli");
		return 127;
	}
	if (kft__has_prefix(uri, "s3://")) {
		int rc;

		if ((rc = need_tool("aws", "s3", "install the AWS CLI (Debian: awscli)")) != 0)
			return rc;
		fflush(stdout);
		execlp("aws", "aws", "s3", "cp", "--recursive", uri, dest, (char *)NULL);
		perror("kft initializer: exec aws");
		return 127;
	}
	fprintf(stderr, "kft initializer: %s: unsupported storage URI scheme locally (supported: "
	        "file://, a plain path, hf://, s3://)\n", uri);
	return 2;
}
