/*
 * The progress protocol's pure parts: the body validator (every CRD rule and
 * every malformed shape, with the message), the CRD-shaped rendering, the
 * stored record, the metrics history (bounded, torn-record tolerant) and
 * kft_progress_report() without a server.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "testutil.h"
#include "trainer_status.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define T "\"lastUpdatedTime\":\"2026-12-07T05:00:00Z\""

static int parse(kft__trainer_status *ts, int *kind, const char *body)
{
	return kft__progress_body_parse(ts, kind, body, strlen(body));
}

/* body must be refused as kind with a message containing needle. */
static void refused(const char *body, int want_kind, const char *needle)
{
	kft__trainer_status ts;
	int kind = -1;

	ck_assert_kft_error(parse(&ts, &kind, body), KFT_EINVALID, needle);
	ck_assert_int_eq(kind, want_kind);
	ck_assert_int_eq(ts.present, 0);
	ck_assert_ptr_null(ts.metrics);
}

static char *render(const kft__trainer_status *ts)
{
	kft__buf b = KFT__BUF_INIT;

	ck_assert_kft_ok(kft__trainer_status_render(&b, ts));
	return kft__buf_detach(&b);
}

START_TEST(valid_body)
{
	kft__trainer_status ts;
	int kind = -1;
	char *s;

	ck_assert_kft_ok(parse(&ts, &kind, "{\"trainerStatus\": {\"lastUpdatedTime\": "
	                 "\"2026-12-07T06:00:00.75+01:00\", \"progressPercentage\": 42, "
	                 "\"estimatedRemainingSeconds\": 600, \"metrics\": [{\"name\": \"loss\", "
	                 "\"value\": \"0.42\"}, {\"name\": \"a<b&c\", \"value\": \"\\u00e9\\n\"}]}}"));
	ck_assert_int_eq(kind, 0);
	ck_assert_int_eq(ts.present, 1);
	ck_assert_int_eq(ts.percent, 42);
	ck_assert_int_eq(ts.eta, 600);
	ck_assert_int_eq(ts.updated_ms, 1796619600000LL);   /* 05:00:00Z, fraction dropped */
	ck_assert_uint_eq(ts.nmetrics, 2);
	ck_assert_str_eq(ts.metrics[0].name, "loss");
	ck_assert_str_eq(ts.metrics[1].value, "\xc3\xa9\n");
	/* Go's field order and escaping (what the status server echoes) */
	s = render(&ts);
	ck_assert_str_eq(s, "{\"progressPercentage\":42,\"estimatedRemainingSeconds\":600,"
	                 "\"metrics\":[{\"name\":\"loss\",\"value\":\"0.42\"},{\"name\":"
	                 "\"a\\u003cb\\u0026c\",\"value\":\"\xc3\xa9\\n\"}]," T "}");
	free(s);
	kft__trainer_status_clear(&ts);
}
END_TEST

START_TEST(go_decoder_habits)
{
	kft__trainer_status ts;
	int kind;

	/* keys match case-insensitively, the last duplicate wins, unknown keys are ignored */
	ck_assert_kft_ok(parse(&ts, &kind, "{\"TRAINERSTATUS\": {\"ProgressPercentage\": 1, "
	                 "\"progresspercentage\": 7, \"extra\": [1], " T "}} trailing bytes"));
	ck_assert_int_eq(ts.percent, 7);
	ck_assert_int_eq(ts.eta, -1);
	kft__trainer_status_clear(&ts);
	/* no trainerStatus: accepted, nothing to store */
	ck_assert_kft_ok(parse(&ts, &kind, "{}"));
	ck_assert_int_eq(ts.present, 0);
	ck_assert_kft_ok(parse(&ts, &kind, "null"));
	ck_assert_int_eq(ts.present, 0);
	ck_assert_kft_ok(parse(&ts, &kind, "{\"trainerStatus\": null}"));
	ck_assert_int_eq(ts.present, 0);
	/* limits that still pass: 0, 100, 256 metrics, 64 two-byte characters */
	ck_assert_kft_ok(parse(&ts, &kind, "{\"trainerStatus\": {\"progressPercentage\": 100, "
	                 "\"estimatedRemainingSeconds\": 0, " T "}}"));
	ck_assert_int_eq(ts.percent, 100);
	ck_assert_int_eq(ts.eta, 0);
	{
		kft__buf b = KFT__BUF_INIT;
		int i;

		char e64[129];

		for (i = 0; i < 64; i++)
			memcpy(e64 + 2 * i, "\xc3\xa9", 2);   /* 64 characters, 128 bytes */
		e64[128] = '\0';
		kft__buf_puts(&b, "{\"trainerStatus\": {" T ", \"metrics\": [");
		for (i = 0; i < 256; i++)
			kft__buf_printf(&b, "%s{\"name\": \"m%d\", \"value\": \"%s\"}", i ? "," : "", i,
			                i ? "1" : e64);
		kft__buf_puts(&b, "]}}");
		ck_assert_kft_ok(parse(&ts, &kind, b.ptr));
		ck_assert_uint_eq(ts.nmetrics, 256);
		kft__trainer_status_clear(&ts);
		/* one more metric is one too many */
		b.len -= 3;
		kft__buf_puts(&b, ",{\"name\": \"x\", \"value\": \"y\"}]}}");
		refused(b.ptr, KFT__PROGRESS_INVALID,
		        "status.trainerStatus.metrics: Too many: 257: must have at most 256 items");
		kft__buf_free(&b);
	}
}
END_TEST

START_TEST(crd_rules)
{
	refused("{\"trainerStatus\": {\"progressPercentage\": 101, " T "}}", KFT__PROGRESS_INVALID,
	        "status.trainerStatus.progressPercentage: Invalid value: 101: status.trainerStatus"
	        ".progressPercentage in body should be less than or equal to 100");
	refused("{\"trainerStatus\": {\"progressPercentage\": -1, " T "}}", KFT__PROGRESS_INVALID,
	        "progressPercentage: Invalid value: -1: status.trainerStatus.progressPercentage in "
	        "body should be greater than or equal to 0");
	refused("{\"trainerStatus\": {\"estimatedRemainingSeconds\": -5, " T "}}",
	        KFT__PROGRESS_INVALID, "estimatedRemainingSeconds: Invalid value: -5");
	refused("{\"trainerStatus\": {\"progressPercentage\": 5}}", KFT__PROGRESS_INVALID,
	        "status.trainerStatus: Invalid value: \"object\": lastUpdatedTime is required when "
	        "trainerStatus is present");
	refused("{\"trainerStatus\": {\"lastUpdatedTime\": null}}", KFT__PROGRESS_INVALID,
	        "lastUpdatedTime is required");
	refused("{\"trainerStatus\": {" T ", \"metrics\": [{\"value\": \"1\"}]}}",
	        KFT__PROGRESS_INVALID, "status.trainerStatus.metrics[0].name: Required value");
	refused("{\"trainerStatus\": {" T ", \"metrics\": [{\"name\": \"a\", \"value\": \"\"}]}}",
	        KFT__PROGRESS_INVALID, "status.trainerStatus.metrics[0].value: Required value");
	refused("{\"trainerStatus\": {" T ", \"metrics\": [null]}}", KFT__PROGRESS_INVALID,
	        "metrics[0].name: Required value");
	refused("{\"trainerStatus\": {" T ", \"metrics\": [{\"name\": \"a\", \"value\": \"1\"}, "
	        "{\"name\": \"0123456789012345678901234567890123456789012345678901234567890123"
	        "4\", \"value\": \"1\"}]}}", KFT__PROGRESS_INVALID,
	        "status.trainerStatus.metrics[1].name: Too long: may not be longer than 64");
}
END_TEST

START_TEST(malformed_bodies)
{
	static const char *const bad[][2] = {
		{ "", "not a JSON document" },
		{ "{\"trainerStatus\": {", "not a JSON document" },
		{ "[1]", "must be a JSON object" },
		{ "\"x\"", "must be a JSON object" },
		{ "{\"trainerStatus\": 5}", "trainerStatus: must be an object" },
		{ "{\"trainerStatus\": {\"progressPercentage\": \"42\"}}", "progressPercentage: must be an int32" },
		{ "{\"trainerStatus\": {\"progressPercentage\": 42.5}}", "progressPercentage: must be an int32" },
		{ "{\"trainerStatus\": {\"estimatedRemainingSeconds\": 2147483648}}", "estimatedRemainingSeconds: must be an int32" },
		{ "{\"trainerStatus\": {\"metrics\": {}}}", "metrics: must be an array" },
		{ "{\"trainerStatus\": {\"metrics\": [1]}}", "metrics[0]: must be an object" },
		{ "{\"trainerStatus\": {\"metrics\": [{\"name\": \"a\", \"value\": 1}]}}", "metrics[0].value: must be a string" },
		{ "{\"trainerStatus\": {\"metrics\": [{\"name\": \"\xff\", \"value\": \"1\"}]}}", "metrics[0].name: not valid UTF-8" },
		{ "{\"trainerStatus\": {\"lastUpdatedTime\": \"yesterday\"}}", "lastUpdatedTime: must be an RFC 3339 time" },
		{ "{\"trainerStatus\": {\"lastUpdatedTime\": \"2026-12-07 05:00:00Z\"}}", "lastUpdatedTime: must be" },
		{ "{\"trainerStatus\": {\"lastUpdatedTime\": \"2026-12-07T05:00:00\"}}", "lastUpdatedTime: must be" },
		{ "{\"trainerStatus\": {\"lastUpdatedTime\": \"2026-12-07T05:00:60Z\"}}", "lastUpdatedTime: must be" },
		{ "{\"trainerStatus\": {\"lastUpdatedTime\": 1}}", "lastUpdatedTime: must be" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i][0], KFT__PROGRESS_MALFORMED, bad[i][1]);
}
END_TEST

START_TEST(body_limit)
{
	size_t n = KFT__PROGRESS_MAX_BODY + 1;
	char *big = malloc(n);
	kft__trainer_status ts;
	int kind;

	memset(big, ' ', n);
	memcpy(big, "{}", 2);
	ck_assert_kft_error(kft__progress_body_parse(&ts, &kind, big, n), KFT_EINVALID,
	                    "larger than 65536 bytes");
	/* exactly the limit is parsed (the rest is whitespace) */
	ck_assert_kft_ok(kft__progress_body_parse(&ts, &kind, big, n - 1));
	/* not NUL-terminated: only len bytes are read */
	memcpy(big, "{\"trainerStatus\": null}xxxxxxxx", 31);
	ck_assert_kft_ok(kft__progress_body_parse(&ts, &kind, big, 23));
	free(big);
}
END_TEST

static char tmpdir[64];

static void mk_tmp(void)
{
	strcpy(tmpdir, "/tmp/kft-progress.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmp(void)
{
	kft__remove_tree(tmpdir);
}

static void status_of(kft__trainer_status *ts, int pct, const char *loss)
{
	char body[256];
	int kind;

	snprintf(body, sizeof(body), "{\"trainerStatus\": {\"progressPercentage\": %d, \"metrics\": "
	         "[{\"name\": \"loss\", \"value\": \"%s\"}], " T "}}", pct, loss);
	ck_assert_kft_ok(parse(ts, &kind, body));
}

START_TEST(store_and_job)
{
	kft__trainer_status ts;
	kft_job_t *job = NULL;
	char *json = NULL;

	mk_tmp();
	ck_assert_kft_ok(kft_job_new(&job, "j", "local"));
	ck_assert_kft_ok(kft__trainer_status_load_into(job, tmpdir));   /* none yet */
	ck_assert_int_eq(kft_job_progress_percent(job), KFT_UNSET);
	status_of(&ts, 37, "0.5");
	ck_assert_kft_ok(kft__trainer_status_store(tmpdir, &ts));
	kft__trainer_status_clear(&ts);
	ck_assert_kft_ok(kft__trainer_status_load_into(job, tmpdir));
	ck_assert_int_eq(kft_job_progress_percent(job), 37);
	ck_assert_int_eq(kft_job_eta_seconds(job), KFT_UNSET);
	ck_assert_int_eq(kft_job_progress_updated_ms(job), 1796619600000LL);
	ck_assert_uint_eq(kft_job_metric_count(job), 1);
	ck_assert_str_eq(kft_metric_value(kft_job_metric_at(job, 0)), "0.5");
	/* kft get -o json: status.trainerStatus in the CRD's shape */
	ck_assert_kft_ok(kft_job_render(&json, job, as_format(KFT_FORMAT_JSON)));
	ck_assert_msg(strstr(json, "\"trainerStatus\": {\n    \"progressPercentage\": 37,\n"
	                     "    \"metrics\": [\n      {\n        \"name\": \"loss\",\n"
	                     "        \"value\": \"0.5\"\n      }\n    ],\n"
	                     "    \"lastUpdatedTime\": \"2026-12-07T05:00:00Z\"\n  }") != NULL,
	              "%s", json);
	kft_free(json);
	kft_job_free(job);
	rm_tmp();
}
END_TEST

START_TEST(history_file)
{
	kft_metrics_history_t *h = NULL;
	kft__trainer_status ts;
	char path[128], loss[16];
	int i, fd;

	mk_tmp();
	snprintf(path, sizeof(path), "%s/" KFT__STORE_HISTORY, tmpdir);
	ck_assert_kft_ok(kft__history_read(&h, path));   /* missing: empty */
	ck_assert_uint_eq(kft_metrics_history_count(h), 0);
	kft_metrics_history_free(h);
	for (i = 0; i < 3; i++) {
		snprintf(loss, sizeof(loss), "%d", 10 - i);
		status_of(&ts, i * 10, loss);
		ck_assert_kft_ok(kft__history_append(path, 1000 + i, &ts, KFT__HISTORY_MAX_BYTES));
		kft__trainer_status_clear(&ts);
	}
	/* a damaged line and a torn last record (a crash mid-append) are skipped */
	fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "garbage\n{\"receivedMs\":9,\"trainerSt", 35), 35);
	close(fd);
	ck_assert_kft_ok(kft__history_read(&h, path));
	ck_assert_uint_eq(kft_metrics_history_count(h), 3);
	ck_assert_int_eq(kft_trainer_status_percent(kft_metrics_history_at(h, 2)), 20);
	ck_assert_int_eq(kft_trainer_status_eta_seconds(kft_metrics_history_at(h, 2)), KFT_UNSET);
	ck_assert_int_eq(kft_trainer_status_time_ms(kft_metrics_history_at(h, 0)), 1796619600000LL);
	ck_assert_str_eq(kft_metric_name(kft_trainer_status_metric_at(kft_metrics_history_at(h, 1), 0)), "loss");
	ck_assert_str_eq(kft_metric_value(kft_trainer_status_metric_at(kft_metrics_history_at(h, 1), 0)), "9");
	ck_assert_ptr_null(kft_metric_value(kft_trainer_status_metric_at(kft_metrics_history_at(h, 1), 1)));
	ck_assert_ptr_null(kft_metric_name(kft_trainer_status_metric_at(kft_metrics_history_at(h, 3), 0)));
	ck_assert_int_eq(kft_trainer_status_percent(kft_metrics_history_at(h, 3)), KFT_UNSET);
	kft_metrics_history_free(h);
	kft_metrics_history_free(NULL);
	rm_tmp();
}
END_TEST

START_TEST(history_bounded)
{
	kft_metrics_history_t *h = NULL;
	kft__trainer_status ts;
	struct stat st;
	char path[128], loss[16];
	int i;

	mk_tmp();
	snprintf(path, sizeof(path), "%s/" KFT__STORE_HISTORY, tmpdir);
	for (i = 0; i < 100; i++) {
		snprintf(loss, sizeof(loss), "%d", i);
		status_of(&ts, i % 101, loss);
		ck_assert_kft_ok(kft__history_append(path, i, &ts, 2000));
		kft__trainer_status_clear(&ts);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_le(st.st_size, 2000);
	}
	ck_assert_kft_ok(kft__history_read(&h, path));
	ck_assert_uint_gt(kft_metrics_history_count(h), 5);
	ck_assert_uint_lt(kft_metrics_history_count(h), 30);
	/* the newest updates are the ones kept, in order */
	ck_assert_str_eq(kft_metric_value(kft_trainer_status_metric_at(kft_metrics_history_at(h, kft_metrics_history_count(h) - 1), 0)),
	                 "99");
	ck_assert_int_eq(kft_trainer_status_percent(kft_metrics_history_at(h, kft_metrics_history_count(h) - 2)), 98);
	kft_metrics_history_free(h);
	rm_tmp();
}
END_TEST

START_TEST(report_without_server)
{
	kft_progress_update_t u = KFT_PROGRESS_UPDATE_INIT;
	char tok[128];
	int fd;

	unsetenv("KUBEFLOW_TRAINER_SERVER_URL");
	ck_assert_int_eq(kft_progress_report(&u), KFT_PROGRESS_SKIPPED);
	ck_assert_int_eq(kft_progress_report(NULL), KFT_PROGRESS_FAILED);
	ck_assert_kft_error(kft_progress_update_init(&u, 99), KFT_EVERSION, "version 99");
	ck_assert_kft_ok(kft_progress_update_init(&u, KFT_PROGRESS_UPDATE_VERSION));
	/* nothing listens there: FAILED (never negative), and the token is not in the message */
	mk_tmp();
	snprintf(tok, sizeof(tok), "%s/token", tmpdir);
	fd = open(tok, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(write(fd, "s3cr3t-token\n", 13), 13);
	close(fd);
	setenv("KUBEFLOW_TRAINER_SERVER_URL", "https://127.0.0.1:1/apis/x", 1);
	setenv("KUBEFLOW_TRAINER_SERVER_TOKEN", tok, 1);
	u.percent = 150;
	ck_assert_int_eq(kft_progress_report(&u), KFT_PROGRESS_FAILED);
	ck_assert_ptr_null(strstr(kft_error_last()->message, "s3cr3t"));
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message, "progress report"));
	unsetenv("KUBEFLOW_TRAINER_SERVER_URL");
	unsetenv("KUBEFLOW_TRAINER_SERVER_TOKEN");
	rm_tmp();
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("progress");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, valid_body);
	tcase_add_test(tc, go_decoder_habits);
	tcase_add_test(tc, crd_rules);
	tcase_add_test(tc, malformed_bodies);
	tcase_add_test(tc, body_limit);
	tcase_add_test(tc, store_and_job);
	tcase_add_test(tc, history_file);
	tcase_add_test(tc, history_bounded);
	tcase_add_test(tc, report_without_server);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(make_suite)
