/* Helpers shared by the Check suites. SPDX-License-Identifier: Apache-2.0 */
#ifndef KFT_TESTUTIL_H
#define KFT_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "internal.h"

/* Assert a call fails with code and a message containing needle. */
#define ck_assert_kft_error(call, code, needle) do { \
	int rc_ = (call); \
	ck_assert_msg(rc_ == (code), "%s returned %d (%s), wanted %d", #call, rc_, \
	              kft_error_last()->message, (code)); \
	ck_assert_msg(strstr(kft_error_last()->message, (needle)) != NULL, \
	              "message \"%s\" lacks \"%s\"", kft_error_last()->message, (needle)); \
} while (0)

#define ck_assert_kft_ok(call) do { \
	int rc_ = (call); \
	ck_assert_msg(rc_ == 0, "%s returned %d: %s", #call, rc_, kft_error_last()->message); \
} while (0)

/* A unix socket bound at path (listening when do_listen; bound only, it refuses). */
static inline int unix_socket_at(const char *path, int do_listen)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof(a.sun_path));
	memcpy(a.sun_path, path, strlen(path));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (do_listen)
		ck_assert_int_eq(listen(fd, 8), 0);
	return fd;
}

/* Render options for one format (tests render with defaults otherwise). */
static inline const kft_render_opts_t *as_format(int format)
{
	static kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;

	ro.format = format;
	return &ro;
}

/*
 * kft_wait, then, when it says KFT_EJOBFAILED (with *job NULL, as every
 * failed call leaves its out), read the failed job with a second wait that
 * wants Failed too. Returns the first wait's code; kft_error_last() keeps
 * its message.
 */
static inline int wait_keep_failed(kft_job_t **job, kft_client_t *c, const char *name,
                                   const kft_wait_opts_t *wo)
{
	kft_wait_opts_t again = *wo;
	int rc = kft_wait(job, c, name, wo);

	if (rc == KFT_EJOBFAILED) {
		char msg[1024], reason[128];
		int klass = kft_error_last()->klass;

		ck_assert_ptr_null(*job);
		snprintf(msg, sizeof(msg), "%s", kft_error_last()->message);
		snprintf(reason, sizeof(reason), "%s",
		         kft_error_last()->reason ? kft_error_last()->reason : "");
		again.want = KFT_WANT_FINISHED;
		again.progress_cb = NULL;
		ck_assert_int_eq(kft_wait(job, c, name, &again), 0);
		ck_assert_int_eq(kft_job_state(*job), KFT_JOB_FAILED);
		kft_error_set_str(rc, klass, msg);   /* as the first wait left it */
		kft__error_set_reason(reason);
	}
	return rc;
}

/* Memory this process has now (KiB), and the most it ever had: for "bounded memory" checks. */
static inline long test_rss_now_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%ld %ld", &pages, &rss), 2);
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static inline long test_rss_max_kib(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/* Run a suite built by make_suite(); exit status as Check reports. */
#define KFT_TEST_MAIN(make_suite) \
	int main(void) { \
		SRunner *sr = srunner_create(make_suite()); \
		int nf; \
		srunner_run_all(sr, CK_NORMAL); \
		nf = srunner_ntests_failed(sr); \
		srunner_free(sr); \
		return nf == 0 ? 0 : 1; \
	}

#endif
