/* Helpers shared by the Check suites. SPDX-License-Identifier: Apache-2.0 */
#ifndef KFT_TESTUTIL_H
#define KFT_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
