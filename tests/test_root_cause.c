/*
 * kft__root_cause(): a failed step's root error from its log, on a real
 * torchrun failure log (Debian torch 1.13, Python 3.11), prefixed lines,
 * chained exceptions, no traceback at all, and peer errors; and
 * kft__root_cause_error_file() on torchrun's error files, torn or hostile.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "testutil.h"

/* logs/node-1.log of a 2-node job whose rank 1 raised (torchrun adds its own traceback) */
static const char torchrun_log[] =
	"Traceback (most recent call last):\n"
	"  File \"/tmp/kft-script.MIo7qN/boom.py\", line 6, in <module>\n"
	"    raise RuntimeError(\"shape mismatch: [3, 4] vs [4, 3]\")\n"
	"RuntimeError: shape mismatch: [3, 4] vs [4, 3]\n"
	"[default0]:rank 1 starting\n"
	"ERROR:torch.distributed.elastic.multiprocessing.api:failed (exitcode: 1) local_rank: 0 "
	"(pid: 10700) of binary: /usr/bin/python3.11\n"
	"Traceback (most recent call last):\n"
	"  File \"/usr/bin/torchrun\", line 33, in <module>\n"
	"    sys.exit(load_entry_point('torch==1.13.0a0+gitunknown', 'console_scripts', "
	"'torchrun')())\n"
	"             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
	"  File \"/usr/lib/python3/dist-packages/torch/distributed/launcher/api.py\", line 246, "
	"in launch_agent\n"
	"    raise ChildFailedError(\n"
	"torch.distributed.elastic.multiprocessing.errors.ChildFailedError: \n"
	"============================================================\n"
	"boom.py FAILED\n"
	"------------------------------------------------------------\n"
	"Root Cause (first observed failure):\n"
	"[0]:\n"
	"  error_file: <N/A>\n"
	"  traceback : To enable traceback see: https://pytorch.org/docs/stable/elastic/errors.html\n"
	"============================================================\n";

static int cause(char **out, const char *log)
{
	return kft__root_cause(out, log, strlen(log), 3);
}

START_TEST(torchrun_failure)
{
	char *s = NULL;

	ck_assert_int_eq(cause(&s, torchrun_log), 1);
	ck_assert_str_eq(s, "RuntimeError: shape mismatch: [3, 4] vs [4, 3]");
	free(s);
}
END_TEST

START_TEST(prefixed_and_chained)
{
	char *s = NULL;

	/* torchrun --tee prefixes; the last traceback's exception wins */
	ck_assert_int_eq(cause(&s, "[default1]:Traceback (most recent call last):\n"
	                 "[default1]:  File \"t.py\", line 1, in <module>\n"
	                 "[default1]:KeyError: 'x'\r\n"
	                 "[default1]:\n"
	                 "[default1]:During handling of the above exception, another exception "
	                 "occurred:\n"
	                 "[default1]:\n"
	                 "[default1]:Traceback (most recent call last):\n"
	                 "[default1]:  File \"t.py\", line 3, in <module>\n"
	                 "[default1]:ValueError: bad value\n"
	                 "[default1]:  with a second line\n"), 1);
	ck_assert_str_eq(s, "ValueError: bad value");
	free(s);
	/* an exception without a message */
	ck_assert_int_eq(cause(&s, "Traceback (most recent call last):\n  File \"a\"\nKeyboardInterrupt\n"),
	                 1);
	ck_assert_str_eq(s, "KeyboardInterrupt");
	free(s);
}
END_TEST

START_TEST(no_traceback)
{
	char *s = NULL;

	ck_assert_int_eq(cause(&s, "one\ntwo\n\nthree\nfour\n\n\n"), 0);
	ck_assert_str_eq(s, "two\n\nthree\nfour");
	free(s);
	ck_assert_int_eq(cause(&s, ""), 0);
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_int_eq(kft__root_cause(&s, "no newline", 10, 5), 0);
	ck_assert_str_eq(s, "no newline");
	free(s);
	/* only torchrun's own traceback: not a root cause */
	ck_assert_int_eq(cause(&s, strstr(torchrun_log, "ERROR:torch")), 0);
	free(s);
}
END_TEST

START_TEST(peer_errors)
{
	ck_assert(kft__root_cause_is_peer_error("RuntimeError: [./gloo/transport/tcp/pair.cc:598] "
	                                        "Connection closed by peer [127.0.0.1]:30357"));
	ck_assert(!kft__root_cause_is_peer_error("RuntimeError: shape mismatch"));
	ck_assert(!kft__root_cause_is_peer_error(NULL));
}
END_TEST

/* torchrun's error file, as torch 1.13's @record writes it and torchrun copies it */
static const char error_file[] =
	"{\"message\": {\"message\": \"RuntimeError: rank 1 diverged: loss is nan\", "
	"\"extraInfo\": {\"py_callstack\": \"Traceback (most recent call last):\\n  File "
	"\\\"/usr/lib/python3/dist-packages/torch/distributed/elastic/multiprocessing/errors/"
	"__init__.py\\\", line 346, in wrapper\\n    return f(*args, **kwargs)\\n  File "
	"\\\"rec.py\\\", line 10, in main\\n    raise RuntimeError(\\\"rank 1 diverged: loss is "
	"nan\\\")\\nRuntimeError: rank 1 diverged: loss is nan\\n\", \"timestamp\": "
	"\"1796630000\"}, \"errorCode\": 1}}";

static int efile(char **out, int64_t *ts, const char *text)
{
	return kft__root_cause_error_file(out, ts, text, strlen(text));
}

START_TEST(torchrun_error_file)
{
	char *s = NULL, *big;
	int64_t ts;

	ck_assert_int_eq(efile(&s, &ts, error_file), 1);
	ck_assert_str_eq(s, "RuntimeError: rank 1 diverged: loss is nan");
	ck_assert_int_eq(ts, 1796630000);
	free(s);
	/* the flat form: "message" a string, "timestamp" beside it */
	ck_assert_int_eq(efile(&s, &ts, "{\"message\": \"OSError: disk full\", \"timestamp\": 7}"), 1);
	ck_assert_str_eq(s, "OSError: disk full");
	ck_assert_int_eq(ts, 7);
	free(s);
	/* no message: the exception line at the end of the call stack */
	ck_assert_int_eq(efile(&s, &ts, "{\"message\": {\"extraInfo\": {\"py_callstack\": "
	                 "\"Traceback (most recent call last):\\n  File \\\"a\\\"\\nKeyError: 'x'\\n\","
	                 " \"timestamp\": \"soon\"}}}"), 1);
	ck_assert_str_eq(s, "KeyError: 'x'");
	ck_assert_int_eq(ts, -1);   /* not a number: no timestamp */
	free(s);
	/* hostile text: one line, terminal escapes (C0, DEL, C1) and bad UTF-8 made harmless */
	ck_assert_int_eq(efile(&s, &ts, "{\"message\": {\"message\": \"E: \\u001b[2Jred\\u007f"
	                 "\\u009b1m caf\\u00e9\\nsecond line\"}}"), 1);
	ck_assert_str_eq(s, "E: ?[2Jred???1m caf\xc3\xa9");
	free(s);
	ck_assert_int_eq(efile(&s, &ts, "{\"message\": \"E: \xff\xfe ok\"}"), 1);
	ck_assert_str_eq(s, "E: ?? ok");
	free(s);
	/* long: at most 1000 characters */
	big = malloc(20000);
	ck_assert_ptr_nonnull(big);
	strcpy(big, "{\"message\": \"E: ");
	memset(big + strlen(big), 'x', 5000);
	strcpy(big + 16 + 5000, "\"}");
	ck_assert_int_eq(efile(&s, &ts, big), 1);
	ck_assert_uint_eq(strlen(s), 1000);
	free(s);
	/* nothing to name */
	ck_assert_int_eq(efile(&s, &ts, "{}"), 0);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(efile(&s, &ts, "{\"message\": {\"message\": \" \\n\"}}"), 0);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(efile(&s, &ts, "{\"message\": 5}"), 0);
	/* not an error file */
	ck_assert_kft_error(efile(&s, &ts, "{\"message\": {\"message\": "), KFT_EINVALID,
	                    "torchrun error file: not a JSON object");
	ck_assert_kft_error(efile(&s, &ts, "[1]"), KFT_EINVALID, "not a JSON object");
	memset(big, ' ', 20000);
	ck_assert_kft_error(kft__root_cause_error_file(&s, &ts, big, KFT__ERROR_FILE_MAX + 1),
	                    KFT_EINVALID, "larger than 256 KiB");
	ck_assert_ptr_null(s);
	free(big);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("root_cause");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, torchrun_failure);
	tcase_add_test(tc, prefixed_and_chained);
	tcase_add_test(tc, no_traceback);
	tcase_add_test(tc, peer_errors);
	tcase_add_test(tc, torchrun_error_file);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(make_suite)
