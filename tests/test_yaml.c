/*
 * YAML/JSON reading and writing: the core schema, quoting on output, multi-line
 * strings, unicode, odd keys, errors with line numbers, empty documents,
 * alias bombs, anchors, and parse(render(x)) == x through the TrainJob API.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "testutil.h"

static cJSON *parse_ok(const char *text)
{
	cJSON *j = NULL;

	ck_assert_kft_ok(kft__yaml_parse(&j, text, strlen(text), "doc"));
	return j;
}

static void assert_json(const cJSON *got, const char *expected)
{
	cJSON *exp = cJSON_Parse(expected);
	char *g = cJSON_PrintUnformatted(got);

	ck_assert_msg(exp != NULL, "bad expected JSON %s", expected);
	ck_assert_msg(cJSON_Compare(got, exp, 1), "got %s, want %s", g, expected);
	free(g);
	cJSON_Delete(exp);
}

static char *render_yaml(const cJSON *j)
{
	kft__buf b = KFT__BUF_INIT;

	ck_assert_kft_ok(kft__yaml_render(&b, j));
	return kft__buf_detach(&b);
}

/* YAML render then parse gives the same JSON; returns the YAML (free it). */
static char *assert_yaml_roundtrip(const cJSON *j)
{
	char *y = render_yaml(j);
	cJSON *back = parse_ok(y);
	char *a = cJSON_PrintUnformatted(j), *b = cJSON_PrintUnformatted(back);

	ck_assert_msg(cJSON_Compare(j, back, 1), "YAML round trip changed\n%s\ninto\n%s\nvia\n%s",
	              a, b, y);
	free(a);
	free(b);
	cJSON_Delete(back);
	return y;
}

START_TEST(core_schema_scalars)
{
	cJSON *j = parse_ok("a: true\nb: False\nc: 1\nd: -2.5\ne: null\nf: ~\ng:\nh: yes\n"
	                    "i: 0x1F\nj: 0o17\nk: 1e3\nl: .inf\nm: on\nn: 012\n");

	assert_json(j, "{\"a\":true,\"b\":false,\"c\":1,\"d\":-2.5,\"e\":null,\"f\":null,"
	            "\"g\":null,\"h\":\"yes\",\"i\":31,\"j\":15,\"k\":1000,\"l\":\".inf\","
	            "\"m\":\"on\",\"n\":12}");
	cJSON_Delete(j);
}
END_TEST

START_TEST(quoted_scalars_stay_strings)
{
	cJSON *j = parse_ok("a: \"true\"\nb: '1'\nc: \"null\"\nd: 'yes'\ne: \"\"\nf: '~'\n"
	                    "g: !!str 42\nh: !!str true\ni: \"0x10\"\nj: '-1.5'\n");
	cJSON *k = parse_ok("a: &x !!str 7\nb: *x\nc: &y 8\nd: [!!str 1, 2]\n");

	assert_json(k, "{\"a\":\"7\",\"b\":\"7\",\"c\":8,\"d\":[\"1\",2]}");
	cJSON_Delete(k);
	char *y;

	assert_json(j, "{\"a\":\"true\",\"b\":\"1\",\"c\":\"null\",\"d\":\"yes\",\"e\":\"\","
	            "\"f\":\"~\",\"g\":\"42\",\"h\":\"true\",\"i\":\"0x10\",\"j\":\"-1.5\"}");
	/* and they are quoted again on output */
	y = assert_yaml_roundtrip(j);
	ck_assert_msg(strstr(y, "a: \"true\"") && strstr(y, "b: \"1\"") && strstr(y, "d: \"yes\"") &&
	              strstr(y, "e: \"\"") && strstr(y, "g: \"42\""), "%s", y);
	free(y);
	cJSON_Delete(j);
}
END_TEST

START_TEST(ambiguous_strings_roundtrip)
{
	static const char *const strs[] = { "true", "False", "TRUE", "null", "Null", "~", "", "yes",
		"No", "on", "OFF", "y", "n", "1", "-1", "+1", "1.0", ".5", "1e3", "1E-3", "0x1f", "0o7",
		".inf", "-.inf", ".nan", "- a", "a: b", "#c", "a #b", "@x", "`x", "!x", "&x", "*x",
		"%x", "{x}", "[x]", "x,y", "'q'", "\"dq\"", "|", ">", "?", ":", "-", "---", "...",
		" lead", "trail ", "\ttab", "a\tb", "back\\slash", "\x7f", "bell\a", "nul-free\x01",
		"012", "0", "-0", "1_000", NULL };
	cJSON *j = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(j, "s");
	size_t i;
	char *y;

	for (i = 0; strs[i]; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(strs[i]));
	/* ambiguous keys too */
	for (i = 0; strs[i]; i++)
		if (*strs[i])
			cJSON_AddItemToObject(j, strs[i], cJSON_CreateString("v"));
	y = assert_yaml_roundtrip(j);
	free(y);
	cJSON_Delete(j);
}
END_TEST

START_TEST(multiline_strings)
{
	cJSON *j = parse_ok("lit: |\n  line1\n    indented\n  line3\n"
	                    "strip: |-\n  no newline\n"
	                    "keep: |+\n  kept\n\n\n"
	                    "fold: >\n  folded\n  text\n\n  para\n"
	                    "dq: \"a\\nb\\tc\\u00e9\"\n");
	static const char *const odd[] = { "trailing space \nline2\n", "\n\nleading newlines\n",
		"  leading spaces\nx\n", "tabs\tinside\nx\n", "cr\r\nlf\n", "no final newline\nx",
		"many\n\n\n\n", "unicode é 日本\n🎉\n", "\n", "a\n b\n  c\n", NULL };
	cJSON *k;
	char *y;
	size_t i;

	assert_json(j, "{\"lit\":\"line1\\n  indented\\nline3\\n\",\"strip\":\"no newline\","
	            "\"keep\":\"kept\\n\\n\\n\",\"fold\":\"folded text\\npara\\n\","
	            "\"dq\":\"a\\nb\\tc\\u00e9\"}");
	y = assert_yaml_roundtrip(j);
	/* readable: scripts are written as literal blocks */
	ck_assert_msg(strstr(y, "lit: |") != NULL, "%s", y);
	free(y);
	cJSON_Delete(j);
	k = cJSON_CreateArray();
	for (i = 0; odd[i]; i++)
		cJSON_AddItemToArray(k, cJSON_CreateString(odd[i]));
	y = assert_yaml_roundtrip(k);
	free(y);
	cJSON_Delete(k);
}
END_TEST

START_TEST(unicode)
{
	cJSON *j = parse_ok("name: \"h\\u00e9llo\"\nraw: héllo 日本 🎉\nkey-日本: v\n"
	                    "esc: \"\\U0001F389\"\n");
	char *y;

	assert_json(j, "{\"name\":\"h\\u00e9llo\",\"raw\":\"h\\u00e9llo \\u65e5\\u672c "
	            "\\ud83c\\udf89\",\"key-\\u65e5\\u672c\":\"v\",\"esc\":\"\\ud83c\\udf89\"}");
	y = assert_yaml_roundtrip(j);
	/* written as UTF-8, not escaped */
	ck_assert_msg(strstr(y, "日本") != NULL, "%s", y);
	free(y);
	cJSON_Delete(j);
}
END_TEST

START_TEST(keys_with_dots_and_slashes)
{
	cJSON *j = parse_ok("labels:\n  kueue.x-k8s.io/queue-name: q\n  a.b.c: 1\n"
	                    "  \"trainer.kubeflow.org/framework\": torch\n  x/y/z: \"\"\n");
	const cJSON *l = kft__json_get(j, "labels");
	char *y;

	ck_assert_str_eq(kft__json_str(l, "kueue.x-k8s.io/queue-name"), "q");
	ck_assert_str_eq(kft__json_str(l, "trainer.kubeflow.org/framework"), "torch");
	ck_assert_int_eq(kft__json_get(l, "a.b.c")->valueint, 1);
	y = assert_yaml_roundtrip(j);
	ck_assert_msg(strstr(y, "kueue.x-k8s.io/queue-name: q") != NULL, "%s", y);
	free(y);
	cJSON_Delete(j);
}
END_TEST

START_TEST(duplicate_key_error)
{
	cJSON *j = NULL;
	const char *t = "a: 1\nb:\n  c: 1\n  c: 2\n";

	ck_assert_kft_error(kft__yaml_parse(&j, t, strlen(t), "job.yaml"), KFT_EINVALID,
	                    "job.yaml: line 4: duplicate key \"c\"");
	ck_assert_ptr_null(j);
	ck_assert_int_eq(kft_error_last()->klass, KFT_ERROR_CLASS_PARSE);
}
END_TEST

START_TEST(malformed_errors_have_lines)
{
	static const struct { const char *text, *needle; } cases[] = {
		{ "a: 1\nb: [1, 2\nc: 3\n", "line 3 column 2: did not find expected ',' or ']' "
		  "(while parsing a flow sequence at line 2 column 4)" },
		{ "a: 1\n\tb: 2\n", "line 2 column 1: found a tab character that violates indentation" },
		{ "a: 1\n b: 2\n", "line 2 column 3: mapping values are not allowed" },
		{ "a: \"unterminated\n", "line 2 column 1: found unexpected end of stream" },
		{ "a: *nope\n", "line 1 column 4: found undefined alias" },
		{ "a: \"\xff\"\n", "invalid leading UTF-8 octet" },
		{ "? [a]\n: b\n", "line 1: mapping keys must be scalars" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *j = NULL;
		int rc = kft__yaml_parse(&j, cases[i].text, strlen(cases[i].text), "f.yaml");

		ck_assert_msg(rc == KFT_EINVALID && strstr(kft_error_last()->message, cases[i].needle),
		              "case %zu: rc %d, message \"%s\", wanted \"%s\"", i, rc,
		              kft_error_last()->message, cases[i].needle);
		ck_assert_ptr_null(j);
	}
}
END_TEST

START_TEST(empty_and_multiple_documents)
{
	static const char *const empty[] = { "", "\n\n", "# just a comment\n", "---\n", "---\n...\n",
		"null\n", NULL };
	cJSON *j = NULL;
	kft_spec_t *s = NULL;
	size_t i;
	const char *two = "a: 1\n---\nb: 2\n";

	for (i = 0; empty[i]; i++)
		ck_assert_kft_error(kft__yaml_parse(&j, empty[i], strlen(empty[i]), "in"), KFT_EINVALID,
		                    "in: empty document");
	ck_assert_kft_error(kft_spec_parse(&s, "# nothing\n", strlen("# nothing\n")), KFT_EINVALID,
	                    "TrainJob: empty document");
	ck_assert_ptr_null(s);
	ck_assert_kft_error(kft__yaml_parse(&j, two, strlen(two), "in"), KFT_EINVALID,
	                    "expected one YAML document, found several");
	ck_assert_kft_ok(kft__yaml_parse_all(&j, two, strlen(two), "in"));
	assert_json(j, "[{\"a\":1},{\"b\":2}]");
	cJSON_Delete(j);
	ck_assert_kft_ok(kft__yaml_parse_all(&j, "", 0, "in"));
	assert_json(j, "[]");
	cJSON_Delete(j);
}
END_TEST

START_TEST(json_input)
{
	cJSON *j = parse_ok("{\"a\": [1, 2.5, true, null, \"x\", {}, []], \"b\": {\"c\": \"true\"}}");

	assert_json(j, "{\"a\":[1,2.5,true,null,\"x\",{},[]],\"b\":{\"c\":\"true\"}}");
	free(assert_yaml_roundtrip(j));
	cJSON_Delete(j);
}
END_TEST

START_TEST(aliases_and_limits)
{
	kft__buf b = KFT__BUF_INIT;
	cJSON *j = parse_ok("base: &b {x: 1, y: [a]}\nuse: *b\n");
	int i, k;

	assert_json(j, "{\"base\":{\"x\":1,\"y\":[\"a\"]},\"use\":{\"x\":1,\"y\":[\"a\"]}}");
	cJSON_Delete(j);
	j = NULL;
	/* "billion laughs": 10^9 nodes from a few hundred bytes must fail fast */
	kft__buf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (i = 1; i < 9; i++) {
		kft__buf_printf(&b, "a%d: &a%d [", i, i);
		for (k = 0; k < 10; k++)
			kft__buf_printf(&b, "%s*a%d", k ? ", " : "", i - 1);
		kft__buf_puts(&b, "]\n");
	}
	ck_assert_kft_error(kft__yaml_parse(&j, b.ptr, b.len, "bomb"), KFT_EINVALID,
	                    "bomb: document too large");
	kft__buf_free(&b);
	/* nesting */
	for (i = 0; i < 300; i++)
		kft__buf_putc(&b, '[');
	for (i = 0; i < 300; i++)
		kft__buf_putc(&b, ']');
	ck_assert_kft_error(kft__yaml_parse(&j, b.ptr, b.len, "deep"), KFT_EINVALID,
	                    "nested too deeply");
	kft__buf_free(&b);
}
END_TEST

START_TEST(render_rejects_non_utf8)
{
	cJSON *j = cJSON_CreateObject(), *env = cJSON_AddArrayToObject(j, "env");
	kft__buf b = KFT__BUF_INIT;

	cJSON_AddItemToArray(env, cJSON_CreateString("ok"));
	cJSON_AddItemToArray(env, cJSON_CreateString("bad\xff"));
	ck_assert_kft_error(kft__yaml_render(&b, j), KFT_EINVALID,
	                    "env[1]: not valid UTF-8, which YAML cannot carry");
	kft__buf_free(&b);
	cJSON_Delete(j);
}
END_TEST

START_TEST(numbers_roundtrip)
{
	/* 1e24 and -9.3e18 do not fit a long long: the emitter must not convert them (UB) */
	cJSON *j = parse_ok("[0, -1, 2147483647, 9007199254740991, 1.5, -0.25, 1e20, 1.25e-7, "
	                    "1e24, -1e24, -9.3e18, 9223372036854775808, 1.7976931348623157e308]");
	char *y = assert_yaml_roundtrip(j);

	ck_assert_msg(strstr(y, "- 9007199254740991\n") && strstr(y, "- 2147483647\n"), "%s", y);
	ck_assert_msg(strstr(y, "- 9.9999999999999998e+23\n"), "%s", y);
	free(y);
	cJSON_Delete(j);
}
END_TEST

/* A whole TrainJob through the public API, YAML and JSON, with edge values. */
START_TEST(trainjob_roundtrip)
{
	static const char y[] =
		"apiVersion: trainer.kubeflow.org/v1alpha1\n"
		"kind: TrainJob\n"
		"metadata:\n"
		"  name: edge\n"
		"  labels:\n"
		"    kueue.x-k8s.io/queue-name: \"1\"\n"
		"    flag: \"true\"\n"
		"  annotations:\n"
		"    note: |\n"
		"      multi\n"
		"      line\n"
		"spec:\n"
		"  runtimeRef:\n"
		"    name: torch-distributed\n"
		"    kind: ClusterTrainingRuntime\n"
		"  trainer:\n"
		"    command:\n"
		"    - \"yes\"\n"
		"    - \"null\"\n"
		"    - héllo\n"
		"    env:\n"
		"    - name: EMPTY\n"
		"      value: \"\"\n"
		"    numNodes: 1\n"
		"  suspend: false\n";
	kft_spec_t *s = NULL, *p = NULL;
	kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;
	char *out = NULL, *again = NULL;

	ck_assert_kft_ok(kft_spec_parse(&s, y, strlen(y)));
	ck_assert_kft_ok(kft_spec_render(&out, s, &ro));
	ck_assert_str_eq(out, y);   /* canonical input renders byte for byte */
	ro.format = KFT_FORMAT_JSON;
	kft_free(out);
	ck_assert_kft_ok(kft_spec_render(&out, s, &ro));
	ck_assert_kft_ok(kft_spec_parse(&p, out, strlen(out)));
	ck_assert_kft_ok(kft_spec_render(&again, p, &ro));
	ck_assert_str_eq(out, again);
	kft_free(again);
	ro.format = KFT_FORMAT_YAML;
	ck_assert_kft_ok(kft_spec_render(&again, p, &ro));
	ck_assert_str_eq(again, y);
	kft_free(out);
	kft_free(again);
	kft_spec_free(p);
	kft_spec_free(s);
}
END_TEST

/*
 * Every kind of value under odd keys, after text whose characters are more than
 * one byte each: libyaml counts its marks in characters, so nothing may read
 * the input at a mark's index (the fuzz/trainjob finding
 * regressions/trainjob/yaml-null-value-not-fixed-point: `v0alpha!: null` after
 * multi-byte text read as a `!` tag, and null came back as "null").
 */
static const char kinds_yaml[] =
	"pre: \"日本 ￱ é\u00a0🎉\"\n"
	"a.kubeflow.org/v0alpha!: null\n"
	"b!: ~\n"
	"c!:\n"
	"d!: true\n"
	"e!: False\n"
	"f!: 1\n"
	"g!: -1.5\n"
	"h!: \"null\"\n"
	"i!: \"true\"\n"
	"j!: \"1\"\n"
	"k!: \"\"\n"
	"l!: !!str 2\n"
	"m!: ! 3\n"
	"n!: !custom 4\n"
	"\"null\": x\n"
	"\"true\": y\n"
	"\"1\": z\n"
	"\"\": e\n"
	"\"~\": t\n"
	"inJob\": null\n";
static const char kinds_json[] =
	"{\"pre\":\"日本 ￱ é\u00a0🎉\",\"a.kubeflow.org/v0alpha!\":null,\"b!\":null,\"c!\":null,"
	"\"d!\":true,\"e!\":false,\"f!\":1,\"g!\":-1.5,\"h!\":\"null\",\"i!\":\"true\",\"j!\":\"1\","
	"\"k!\":\"\",\"l!\":\"2\",\"m!\":\"3\",\"n!\":4,\"null\":\"x\",\"true\":\"y\",\"1\":\"z\","
	"\"\":\"e\",\"~\":\"t\",\"inJob\\\"\":null}";

START_TEST(value_kinds_after_multibyte_text)
{
	cJSON *j = parse_ok(kinds_yaml), *back;
	char *y, *y2;

	assert_json(j, kinds_json);
	y = assert_yaml_roundtrip(j);
	back = parse_ok(y);
	y2 = render_yaml(back);
	ck_assert_str_eq(y, y2);   /* a fixed point */
	ck_assert_msg(strstr(y, "a.kubeflow.org/v0alpha!: null\n") && strstr(y, "h!: \"null\"\n") &&
	              strstr(y, "\"null\": x\n") && strstr(y, "\"\": e\n"), "%s", y);
	free(y);
	free(y2);
	cJSON_Delete(back);
	cJSON_Delete(j);
}
END_TEST

/* The same through the TrainJob API: extra (preserved) fields, YAML and JSON. */
static void assert_spec_fixed_point(const char *text, int format)
{
	kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;
	kft_spec_t *s = NULL, *p = NULL;
	char *r1 = NULL, *r2 = NULL;

	ro.format = format;
	ck_assert_kft_ok(kft_spec_parse(&s, text, strlen(text)));
	ck_assert_kft_ok(kft_spec_render(&r1, s, &ro));
	ck_assert_kft_ok(kft_spec_parse(&p, r1, strlen(r1)));
	ck_assert_kft_ok(kft_spec_render(&r2, p, &ro));
	ck_assert_str_eq(r1, r2);
	kft_free(r1);
	kft_free(r2);
	kft_spec_free(p);
	kft_spec_free(s);
}

START_TEST(trainjob_extra_fields_fixed_point)
{
	/* the fuzzer's input: JSON read as YAML, keys without values are null */
	static const char found[] =
		"{\n  \"a.kubeflow.org/v0alpha!\",\n  inJob\",\n  \"metadata\": {\"name\": \"b\"},\n"
		"  \"spec\": {\"runtimeRef\": {\"name\": \"torch-distributed\"},\n"
		"    \"trainer\": {\"command\": [\"sh\", \"-c\", \"a\\uFFF1e24f\\u2029f\\u00a0i\"]}}\n}\n";
	kft_spec_t *s = NULL;
	kft__buf b = KFT__BUF_INIT;
	int f;

	for (f = 0; f < 2; f++) {
		int format = f ? KFT_FORMAT_JSON : KFT_FORMAT_YAML;

		assert_spec_fixed_point(found, format);
		assert_spec_fixed_point(kinds_yaml, format);
	}
	/* the extra fields keep their kinds */
	kft__buf_printf(&b, "metadata: {name: x}\n%s", kinds_yaml);
	ck_assert_kft_ok(kft_spec_parse(&s, b.ptr, b.len));
	{
		char *r = NULL;
		kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;
		cJSON *doc;

		ro.format = KFT_FORMAT_JSON;
		ck_assert_kft_ok(kft_spec_render(&r, s, &ro));
		doc = cJSON_Parse(r);
		ck_assert_ptr_nonnull(doc);
		ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(doc, "a.kubeflow.org/v0alpha!")));
		ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(doc, "c!")));
		ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "e!")));
		ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(doc, "h!")->valuestring, "null");
		ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(doc, "l!")->valuestring, "2");
		cJSON_Delete(doc);
		kft_free(r);
	}
	kft_spec_free(s);
	kft__buf_free(&b);
}
END_TEST

START_TEST(anchors)
{
	kft__buf b = KFT__BUF_INIT;
	cJSON *j = parse_ok("x: &k name\n*k : 2\ny: &v 1\ny2: *v\nz: &v [a]\nz2: *v\n");
	int i;

	/* an alias may be a key; a redefined anchor names the later node */
	assert_json(j, "{\"x\":\"name\",\"name\":2,\"y\":1,\"y2\":1,\"z\":[\"a\"],\"z2\":[\"a\"]}");
	cJSON_Delete(j);
	j = NULL;
	ck_assert_kft_error(kft__yaml_parse(&j, "a: &s [1, *s]\n", 14, "self"), KFT_EINVALID,
	                    "self: line 1 column 11: found undefined alias");
	ck_assert_kft_error(kft__yaml_parse(&j, "a: &m {k: v}\n*m : 1\n", 20, "key"), KFT_EINVALID,
	                    "key: line 2: mapping keys must be scalars");
	/* anchors are kept as copies: 150 nested anchors over 4000 items would copy 600000 nodes */
	for (i = 0; i < 150; i++)
		kft__buf_printf(&b, "&a%d [", i);
	for (i = 0; i < 4000; i++)
		kft__buf_puts(&b, i ? ",1" : "1");
	for (i = 0; i < 150; i++)
		kft__buf_putc(&b, ']');
	ck_assert_kft_error(kft__yaml_parse(&j, b.ptr, b.len, "copies"), KFT_EINVALID,
	                    "copies: document too large");
	ck_assert_ptr_null(j);
	kft__buf_free(&b);
}
END_TEST

/*
 * JSON keys are YAML implicit keys, at most 1024 characters: a longer key would
 * render as JSON that does not read back (regressions/trainjob/json-key-past-
 * yaml-1024-limit). Keys are refused past 1000 characters as JSON writes them.
 */
START_TEST(long_keys)
{
	kft__buf b = KFT__BUF_INIT;
	cJSON *j = NULL, *back = NULL;
	char *json = NULL;
	int i;

	/* 1000 characters (2000 bytes): taken, and its JSON reads back */
	kft__buf_puts(&b, "? ");
	for (i = 0; i < 1000; i++)
		kft__buf_puts(&b, "é");
	kft__buf_puts(&b, "\n: v\n");
	j = parse_ok(b.ptr);
	ck_assert_kft_ok(kft__json_pretty(&json, j));
	back = parse_ok(json);
	ck_assert(cJSON_Compare(j, back, 1));
	free(json);
	cJSON_Delete(back);
	cJSON_Delete(j);
	j = NULL;
	kft__buf_free(&b);
	/* 1001 characters */
	kft__buf_puts(&b, "a: 1\n? ");
	for (i = 0; i < 1001; i++)
		kft__buf_putc(&b, 'k');
	kft__buf_puts(&b, "\n: v\n");
	ck_assert_kft_error(kft__yaml_parse(&j, b.ptr, b.len, "long"), KFT_EINVALID,
	                    "long: line 2: a mapping key longer than 1000 characters (as JSON writes it)");
	kft__buf_free(&b);
	/* 200 characters that JSON writes as \u0001: 1200 */
	kft__buf_puts(&b, "\"");
	for (i = 0; i < 200; i++)
		kft__buf_puts(&b, "\\x01");
	kft__buf_puts(&b, "\": v\n");
	ck_assert_kft_error(kft__yaml_parse(&j, b.ptr, b.len, "esc"), KFT_EINVALID,
	                    "a mapping key longer than 1000 characters");
	ck_assert_ptr_null(j);
	kft__buf_free(&b);
}
END_TEST

static Suite *yaml_suite(void)
{
	Suite *s = suite_create("yaml");
	TCase *tc = tcase_create("yaml");

	tcase_add_test(tc, core_schema_scalars);
	tcase_add_test(tc, quoted_scalars_stay_strings);
	tcase_add_test(tc, ambiguous_strings_roundtrip);
	tcase_add_test(tc, multiline_strings);
	tcase_add_test(tc, unicode);
	tcase_add_test(tc, keys_with_dots_and_slashes);
	tcase_add_test(tc, duplicate_key_error);
	tcase_add_test(tc, malformed_errors_have_lines);
	tcase_add_test(tc, empty_and_multiple_documents);
	tcase_add_test(tc, json_input);
	tcase_add_test(tc, aliases_and_limits);
	tcase_add_test(tc, render_rejects_non_utf8);
	tcase_add_test(tc, numbers_roundtrip);
	tcase_add_test(tc, trainjob_roundtrip);
	tcase_add_test(tc, value_kinds_after_multibyte_text);
	tcase_add_test(tc, trainjob_extra_fields_fixed_point);
	tcase_add_test(tc, anchors);
	tcase_add_test(tc, long_keys);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(yaml_suite)
