/*
 * kft_duration_parse and kft_duration_format: units, sums, bare seconds, the
 * rules named in the error, overflow, length-bounded input, and formatting at
 * each unit boundary. SPDX-License-Identifier: Apache-2.0
 */
#include "testutil.h"

static int64_t parse(const char *s)
{
	int64_t ms = -1;

	ck_assert_kft_ok(kft_duration_parse(&ms, s, strlen(s)));
	return ms;
}

static void parse_bad(const char *s, const char *why)
{
	int64_t ms = 7;

	ck_assert_int_eq(kft_duration_parse(&ms, s, strlen(s)), KFT_EINVALID);
	ck_assert_msg(strstr(kft_error_last()->message, why) != NULL, "\"%s\": %s", s,
	              kft_error_last()->message);
	ck_assert_int_eq(ms, 0);
}

START_TEST(parse_units)
{
	ck_assert_int_eq(parse("90s"), 90000);
	ck_assert_int_eq(parse("5m"), 300000);
	ck_assert_int_eq(parse("1h30m"), 5400000);
	ck_assert_int_eq(parse("2d"), 172800000);
	ck_assert_int_eq(parse("250ms"), 250);
	ck_assert_int_eq(parse("1m1s1ms"), 61001);
	ck_assert_int_eq(parse("600"), 600000);
	ck_assert_int_eq(parse("0s"), 0);
}
END_TEST

START_TEST(parse_errors)
{
	int64_t ms;

	parse_bad("", "empty");
	parse_bad("-5m", "negative");
	parse_bad("5x", "unknown unit");
	parse_bad("5m3", "expected a unit");
	parse_bad("m", "expected a number");
	parse_bad("1.5h", "expected a unit");
	parse_bad("99999999999999999999s", "too large");
	parse_bad("9999999999999999d", "too large");
	/* len bounds the read: "5m" of "5mjunk" */
	ck_assert_kft_ok(kft_duration_parse(&ms, "5mjunk", 2));
	ck_assert_int_eq(ms, 300000);
}
END_TEST

static void fmt(int64_t ms, const char *want)
{
	char buf[32];

	ck_assert_int_eq(kft_duration_format(buf, sizeof(buf), ms), (int)strlen(want));
	ck_assert_str_eq(buf, want);
}

START_TEST(format)
{
	char small[4];

	fmt(-1, "-");
	fmt(850, "850ms");
	fmt(45000, "45s");
	fmt(192000, "3m12s");
	fmt(180000, "3m");
	fmt(7500000, "2h5m");
	fmt(7200000, "2h");
	fmt(273600000, "3d4h");
	fmt(172800000, "2d");
	/* cut to fit, always terminated, the full length returned */
	ck_assert_int_eq(kft_duration_format(small, sizeof(small), 192000), 5);
	ck_assert_str_eq(small, "3m1");
}
END_TEST

static Suite *duration_suite(void)
{
	Suite *s = suite_create("duration");
	TCase *tc = tcase_create("duration");

	tcase_add_test(tc, parse_units);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, format);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(duration_suite)
