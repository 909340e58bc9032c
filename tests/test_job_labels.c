/*
 * Job labels: set, replaced in place, looked up, copied by kft_job_dup,
 * rendered in JSON and YAML (and absent when there are none), out-of-range
 * getters. SPDX-License-Identifier: Apache-2.0
 */
#include "testutil.h"

#include <kftrainer/sys/job.h>

START_TEST(labels)
{
	kft_job_t *j, *d;
	char *s;

	ck_assert_kft_ok(kft_job_new(&j, "lab", "local"));
	ck_assert_uint_eq(kft_job_label_count(j), 0);
	ck_assert_kft_ok(kft_job_render(&s, j, as_format(KFT_FORMAT_JSON)));
	ck_assert_ptr_null(strstr(s, "labels"));
	kft_free(s);
	ck_assert_kft_ok(kft_job_set_label(j, "team", "a"));
	ck_assert_kft_ok(kft_job_set_label(j, "kueue.x-k8s.io/queue-name", "q\"1"));
	ck_assert_kft_ok(kft_job_set_label(j, "team", "b"));   /* replaced, not added */
	ck_assert_int_eq(kft_job_set_label(j, "", "x"), KFT_EINVALID);
	ck_assert_int_eq(kft_job_set_label(j, "k", NULL), KFT_EINVALID);
	ck_assert_uint_eq(kft_job_label_count(j), 2);
	ck_assert_str_eq(kft_label_key(kft_job_label_at(j, 0)), "team");
	ck_assert_str_eq(kft_label_value(kft_job_label_at(j, 0)), "b");
	ck_assert_str_eq(kft_job_label(j, "kueue.x-k8s.io/queue-name"), "q\"1");
	ck_assert_ptr_null(kft_job_label(j, "nope"));
	ck_assert_ptr_null(kft_job_label_at(j, 2));
	ck_assert_ptr_null(kft_label_value(NULL));
	ck_assert_uint_eq(kft_job_label_count(NULL), 0);
	ck_assert_kft_ok(kft_job_dup(&d, j));
	ck_assert_str_eq(kft_job_label(d, "team"), "b");
	ck_assert_kft_ok(kft_job_render(&s, d, as_format(KFT_FORMAT_JSON)));
	ck_assert_msg(strstr(s, "\"labels\": {") && strstr(s, "\"queue-name\": \"q\\\"1\"") == NULL &&
	              strstr(s, "\"kueue.x-k8s.io/queue-name\": \"q\\\"1\""), "%s", s);
	kft_free(s);
	ck_assert_kft_ok(kft_job_render(&s, d, as_format(KFT_FORMAT_YAML)));
	ck_assert_msg(strstr(s, "labels:\n") && strstr(s, "  team: b\n"), "%s", s);
	kft_free(s);
	kft_job_free(d);
	kft_job_free(j);
}
END_TEST

static Suite *labels_suite(void)
{
	Suite *s = suite_create("job_labels");
	TCase *tc = tcase_create("labels");

	tcase_add_test(tc, labels);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(labels_suite)
