/*
 * lib/jscan.c, the core's streaming JSON scanner: skipping, selective parsing,
 * the in-place walker and the chunked "items" stream.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <ctype.h>

#include "testutil.h"
#include "jscan.h"

static const char *end_of(const char *s)
{
	return s + strlen(s);
}

START_TEST(skipping)
{
	static const struct {
		const char *text;
		int end;   /* offset of the value's end; -1: NULL (cut or not a value) */
	} cases[] = {
		{ "\"abc\" ,", 5 },
		{ "\"a\\\"b\"x", 6 },           /* escaped quote */
		{ "\"a\\\\\"x", 5 },            /* an escaped backslash, then the real quote */
		{ "\"abc", -1 },                /* cut string */
		{ "123,", 3 },
		{ "true}", 4 },
		{ "-1.5e3]", 6 },
		{ "{\"a\":[1,{\"b\":\"}\"}]} tail", 19 },
		{ "[[[]]]", 6 },
		{ "{\"a\":[1,2}", -1 },          /* never closes at depth 0 */
		{ "{\"a\":\"]\"", -1 },
		{ "", -1 },
		{ "\"a\tb\"", -1 },              /* a raw control character in a string */
		{ "{\"k\x01\":1}", -1 },           /* ... in a key */
		{ "\"a\\tb\" ", 6 },             /* escaped, it is fine */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *t = cases[i].text, *e = kft__js_value_end(t, end_of(t));

		if (cases[i].end < 0)
			ck_assert_msg(e == NULL, "case %zu (%s): want NULL, got +%td", i, t, e - t);
		else
			ck_assert_msg(e && e - t == cases[i].end, "case %zu (%s): want +%d, got %s%td", i,
			              t, cases[i].end, e ? "+" : "NULL ", e ? e - t : 0);
	}
	ck_assert_str_eq(kft__js_ws(" \t\r\nx", end_of(" \t\r\nx")), "x");
	/* reads no further than end: the closing quote lies past it */
	{
		const char *t = "\"abc\"";

		ck_assert_ptr_null(kft__js_string_end(t, t + 4));
		ck_assert_ptr_eq(kft__js_string_end(t, t + 5), t + 5);
	}
	/* a raw NUL in a key (JSON forbids it; as a C string it would cut the key short) */
	{
		static const char t[] = "\"metadata\0\0adata\"";

		ck_assert_ptr_null(kft__js_string_end(t, t + sizeof(t) - 1));
	}
}
END_TEST

/* The plain byte walk that kft__js_string_end's word-at-a-time scan must agree with. */
static const char *string_end_ref(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			if (++p >= end)
				return NULL;
			if (*p == 'u') {
				int k;

				for (k = 1; k <= 4; k++)
					if (p + k >= end || !isxdigit((unsigned char)p[k]))
						return NULL;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
				return NULL;
			}
		}
	}
	return NULL;
}

/*
 * Every special byte (quote, backslash escapes good and bad, each control, NUL,
 * and bytes >= 0x80 that must pass) at every offset of strings long enough to
 * cross two 16-byte blocks and the 8-byte words after them, cut at every length.
 */
START_TEST(string_end_wordwise)
{
	static const char *const specials[] = { "\"", "\\\"", "\\n", "\\u00e9", "\\u00g9",
		                                "\\x", "\\", "\x01", "\x1f", "\x7f", "\x80",
		                                "\xff", " ", "\xc3\xa9" };
	char t[64];
	size_t s, at, len, cut, checked = 0;

	for (s = 0; s < sizeof(specials) / sizeof(specials[0]); s++)
		for (at = 1; at < 44; at++) {
			len = strlen(specials[s]);
			memset(t, 'a', sizeof(t));
			t[0] = '"';
			memcpy(t + at, specials[s], len);
			t[at + len + 3] = '"';
			for (cut = 1; cut <= at + len + 5 && cut <= sizeof(t); cut++, checked++)
				ck_assert_msg(kft__js_string_end(t, t + cut) == string_end_ref(t, t + cut),
				              "special %zu at %zu, cut %zu", s, at, cut);
		}
	{
		/* a raw NUL, which strlen above cannot place */
		memset(t, 'a', sizeof(t));
		t[0] = '"';
		t[63] = '"';
		for (at = 1; at < 63; at++) {
			t[at] = '\0';
			ck_assert_ptr_null(kft__js_string_end(t, t + sizeof(t)));
			t[at] = 'a';
		}
		ck_assert_ptr_eq(kft__js_string_end(t, t + sizeof(t)), t + sizeof(t));
	}
	ck_assert_uint_gt(checked, 10000);
}
END_TEST

START_TEST(select_members)
{
	static const kft__js_select inner[] = { { "keep", NULL }, { NULL, NULL } };
	static const kft__js_select sel[] = { { "name", NULL }, { "meta", inner }, { NULL, NULL } };
	const char *t = "{\"big\":{\"x\":[1,2,3]},\"name\":\"n1\",\"meta\":{\"keep\":[1],\"drop\":2},"
	                "\"other\":\"}\"} rest";
	cJSON *into = cJSON_CreateObject();
	char *printed;
	const char *e;
	int oom = 0;

	ck_assert_ptr_nonnull(into);
	e = kft__js_parse_select(t, end_of(t), sel, into, &oom);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, " rest");
	printed = cJSON_PrintUnformatted(into);
	ck_assert_str_eq(printed, "{\"name\":\"n1\",\"meta\":{\"keep\":[1]}}");
	free(printed);
	cJSON_Delete(into);

	/* not JSON (or cut): NULL without oom */
	into = cJSON_CreateObject();
	ck_assert_ptr_null(kft__js_parse_select("{\"name\" 1}", end_of("{\"name\" 1}"), sel, into, &oom));
	ck_assert_ptr_null(kft__js_parse_select("{\"name\":\"x\"", end_of("{\"name\":\"x\""), sel,
	                                        into, &oom));
	ck_assert_int_eq(oom, 0);
	cJSON_Delete(into);
}
END_TEST

START_TEST(walker)
{
	const char *t = "{\"s\":\"a\\n\\u00e9\\ud83d\\ude00\\/\",\"i\":\"42\",\"f\":2.0,\"big\":1e300,"
	                "\"o\":{\"k\":[1,2]},\"arr\":[\"x\",\"y\"],\"nul\":\"\\u0000\"}";
	kft__arena mem = { 0 };
	kft__jread w = { t, end_of(t), &mem, 0 };
	const char *k;
	size_t n;
	int first = 1, seen = 0;

	while (kft__jr_member(&w, &first, &k, &n, 1) == 1) {
		if (KFT__JR_KEY_IS(k, n, "s")) {
			ck_assert_str_eq(kft__jr_string(&w), "a\n\xc3\xa9\xf0\x9f\x98\x80/");
		} else if (KFT__JR_KEY_IS(k, n, "i")) {
			ck_assert_int_eq(kft__jr_int(&w, -1), 42);
		} else if (KFT__JR_KEY_IS(k, n, "f")) {
			ck_assert_int_eq(kft__jr_int(&w, -1), 2);
		} else if (KFT__JR_KEY_IS(k, n, "big")) {
			ck_assert_int_eq(kft__jr_int(&w, -7), -7);   /* out of int64 range */
		} else if (KFT__JR_KEY_IS(k, n, "o")) {
			ck_assert(kft__jr_enter(&w));
			kft__jr_skip(&w);
		} else if (KFT__JR_KEY_IS(k, n, "arr")) {
			int f2 = 1, items = 0;

			while (kft__jr_member(&w, &f2, NULL, NULL, 0) == 1) {
				ck_assert_ptr_nonnull(kft__jr_string(&w));
				items++;
			}
			ck_assert_int_eq(items, 2);
		} else if (KFT__JR_KEY_IS(k, n, "nul")) {
			ck_assert_ptr_null(kft__jr_string(&w));   /* NUL cannot live in a C string */
			ck_assert(w.bad);
			break;
		}
		seen++;
	}
	ck_assert_int_eq(seen, 6);
	ck_assert(w.bad);
	/* a bad walker stops every later step */
	ck_assert_int_eq(kft__jr_member(&w, &first, &k, &n, 1), -1);
	kft__arena_reset(&mem);

	/* a value that is not an object is skipped by enter */
	{
		const char *t2 = "[1,2] x";
		kft__jread w2 = { t2, end_of(t2), &mem, 0 };

		ck_assert(!kft__jr_enter(&w2));
		ck_assert_str_eq(w2.p, " x");
	}
	/* big strings spill into a chunk of their own */
	{
		size_t len = 200000;
		char *big = malloc(len + 3);
		kft__jread w3;
		const char *s;

		ck_assert_ptr_nonnull(big);
		big[0] = '"';
		memset(big + 1, 'z', len);
		big[len + 1] = '"';
		big[len + 2] = '\0';
		w3 = (kft__jread){ big, big + len + 2, &mem, 0 };
		s = kft__jr_string(&w3);
		ck_assert_ptr_nonnull(s);
		ck_assert_uint_eq(strlen(s), len);
		free(big);
	}
	kft__arena_free(&mem);
	ck_assert_ptr_null(mem.head);
}
END_TEST

/* stream fixture: collect the "items" as compact JSON, and the top-level members */
typedef struct {
	kft__buf items;
	kft__buf members;
	int nitems;
} collect;

static const char *collect_item(const char *p, const char *end, void *payload, int *error)
{
	collect *c = payload;
	const char *e = kft__js_value_end(p, end);
	cJSON *j;
	char *s;

	*error = 0;
	if (!e || !(j = cJSON_ParseWithLength(p, (size_t)(e - p))))
		return NULL;
	s = cJSON_PrintUnformatted(j);
	kft__buf_printf(&c->items, "%s;", s);
	free(s);
	cJSON_Delete(j);
	c->nitems++;
	return e;
}

static int collect_member(const char *key, size_t klen, const char *v, size_t vlen, void *payload)
{
	collect *c = payload;

	kft__buf_printf(&c->members, "%.*s=%.*s;", (int)klen, key, (int)vlen, v);
	return 0;
}

static int stream_in_chunks(collect *c, const char *text, size_t chunk)
{
	kft__jstream js;
	size_t off, len = strlen(text);
	int error;

	memset(&js, 0, sizeof(js));
	memset(c, 0, sizeof(*c));
	js.item = collect_item;
	js.payload = c;
	js.member = collect_member;
	js.member_payload = c;
	js.who = "the test server";
	js.what = "list things";
	kft__jstream_restart(&js);
	for (error = 0, off = 0; error == 0 && off < len; off += chunk)
		error = kft__jstream_feed(&js, text + off, len - off < chunk ? len - off : chunk);
	if (error == 0)
		error = kft__jstream_finish(&js);
	kft__jstream_free(&js);
	return error;
}

START_TEST(stream_chunks)
{
	const char *text = "{\"kind\":\"List\",\"metadata\":{\"continue\":\"tok\"},\"items\":[{\"a\":1},"
	                   "{\"b\":\"x,]}\"} , {\"c\":[1,2,{\"d\":null}]}],\"n\":12345}";
	size_t chunk;

	/* every chunk size gives the same items and members */
	for (chunk = 1; chunk <= strlen(text); chunk++) {
		collect c;

		ck_assert_kft_ok(stream_in_chunks(&c, text, chunk));
		ck_assert_int_eq(c.nitems, 3);
		ck_assert_str_eq(c.items.ptr, "{\"a\":1};{\"b\":\"x,]}\"};{\"c\":[1,2,{\"d\":null}]};");
		ck_assert_str_eq(c.members.ptr,
		                 "kind=\"List\";metadata={\"continue\":\"tok\"};n=12345;");
		kft__buf_free(&c.items);
		kft__buf_free(&c.members);
	}
}
END_TEST

START_TEST(stream_errors)
{
	static const char *bad[] = {
		"[1,2]",                          /* not an object */
		"{\"items\":[1]}",                /* an item that is not an object */
		"{\"items\":[{\"a\":1} {\"b\":2}]}",  /* missing comma */
		"{\"a\":1",                       /* cut */
		"{\"a\":1} trailing",
		"<html>error</html>",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		collect c;

		ck_assert_kft_error(stream_in_chunks(&c, bad[i], 3), KFT_ERROR,
		                    "the test server sent a response that is not a JSON object "
		                    "(list things)");
		ck_assert_int_eq(kft_error_last()->klass, KFT_ERROR_CLASS_PARSE);
		kft__buf_free(&c.items);
		kft__buf_free(&c.members);
	}
	/* the response's first bytes are quoted, unprintables as '?' */
	{
		collect c;

		ck_assert_kft_error(stream_in_chunks(&c, "<html>\n", 64), KFT_ERROR, ": <html>?");
		kft__buf_free(&c.items);
		kft__buf_free(&c.members);
	}
}
END_TEST

START_TEST(stream_pending_limit)
{
	kft__jstream js;
	collect c;
	char chunk[4096];
	int error = 0, i;

	memset(&js, 0, sizeof(js));
	memset(&c, 0, sizeof(c));
	js.item = collect_item;
	js.payload = &c;
	js.who = "the test server";
	js.what = "list things";
	js.max_pending = 1 << 20;
	kft__jstream_restart(&js);
	ck_assert_kft_ok(kft__jstream_feed(&js, "{\"items\":[{\"a\":\"", 16));
	memset(chunk, 'x', sizeof(chunk));
	for (i = 0; i < 1024 && error == 0; i++)   /* 4 MiB of one unfinished item */
		error = kft__jstream_feed(&js, chunk, sizeof(chunk));
	ck_assert_int_eq(error, KFT_ERROR);
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message, "item of more than 1 MiB"));
	ck_assert_int_le(i, 300);   /* stopped soon after the limit */
	/* a restart forgets it all */
	kft__jstream_restart(&js);
	ck_assert_kft_ok(kft__jstream_feed(&js, "{\"items\":[]}", 12));
	ck_assert_kft_ok(kft__jstream_finish(&js));
	ck_assert_int_eq(c.nitems, 0);
	kft__jstream_free(&js);
	kft__buf_free(&c.items);
	kft__buf_free(&c.members);
}
END_TEST

static Suite *jscan_suite(void)
{
	Suite *s = suite_create("jscan");
	TCase *tc = tcase_create("jscan");

	tcase_add_test(tc, skipping);
	tcase_add_test(tc, string_end_wordwise);
	tcase_add_test(tc, select_members);
	tcase_add_test(tc, walker);
	tcase_add_test(tc, stream_chunks);
	tcase_add_test(tc, stream_errors);
	tcase_add_test(tc, stream_pending_limit);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(jscan_suite)
