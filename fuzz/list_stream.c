/*
 * The kubernetes LIST stream parser (a TrainJob list read as it arrives) fed in
 * every chunking, differential against cJSON parsing the whole document: the
 * same jobs (names, namespaces, in order; unless a name stands twice in one
 * object), or both refuse. Each chunking gives the same rendered list as one
 * piece.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"
#include "../backends/kubernetes/k8s.h"

/*
 * Bytes where cJSON is more lenient than JSON (and the stream). Outside strings
 * (in_strings 0): cJSON takes every byte <= 32 between tokens for white space;
 * JSON only space, tab, CR and LF. Inside strings (in_strings 1): a raw control
 * character, which JSON forbids and cJSON takes (a raw NUL cuts its string short).
 */
static int odd_byte(const char *t, size_t n, int in_strings)
{
	size_t i;
	int in = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		if (in) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in = 0;
			else if (in_strings && c < 0x20)
				return 1;
		} else if (c == '"') {
			in = 1;
		} else if (!in_strings && c <= 32 && c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			return 1;
		}
	}
	return 0;
}

/*
 * A name twice in one object: JSON leaves its meaning open; cJSON's lookup takes
 * the first, the stream (like Go's decoder, the API server's) the last.
 */
static int dup_names(const cJSON *v)
{
	const cJSON *a, *b;

	cJSON_ArrayForEach(a, v) {
		if (cJSON_IsObject(v) && a->string)
			for (b = a->next; b; b = b->next)
				if (b->string && !strcmp(a->string, b->string))
					return 1;
		if ((cJSON_IsObject(a) || cJSON_IsArray(a)) && dup_names(a))
			return 1;
	}
	return 0;
}

/*
 * What cJSON makes of the document: the items' names, "\n"-joined; -1: refuse.
 * *dups: the document has a name twice in an object (see dup_names).
 */
static int model(kft__buf *names, int *dups, const char *text, size_t len)
{
	const char *rest = NULL, *end = text + len;
	cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &rest, 0), *m, *it;
	int ok = cJSON_IsObject(doc) && !odd_byte(text, len, 0);

	/* cJSON stops after the first value: only white space may follow */
	while (ok && rest < end && (*rest == ' ' || *rest == '\t' || *rest == '\n' || *rest == '\r'))
		rest++;
	if (rest != end)
		ok = 0;

	if (ok)
		cJSON_ArrayForEach(m, doc) {
			if (!m->string || strcmp(m->string, "items") || !cJSON_IsArray(m))
				continue;
			cJSON_ArrayForEach(it, m) {
				const cJSON *md, *name, *ns;

				if (!cJSON_IsObject(it)) {
					ok = 0;
					break;
				}
				md = cJSON_GetObjectItemCaseSensitive(it, "metadata");
				name = cJSON_GetObjectItemCaseSensitive(md, "name");
				ns = cJSON_GetObjectItemCaseSensitive(md, "namespace");
				if (!cJSON_IsString(name))
					continue;
				kft__buf_printf(names, "%s/%s\n", cJSON_IsString(ns) ? ns->valuestring : "",
				                name->valuestring);
			}
		}
	*dups = ok && dup_names(doc);
	cJSON_Delete(doc);
	return ok ? 0 : -1;
}

static long hex4(const char *t, size_t i, size_t n)
{
	long v = 0;
	size_t k;

	for (k = 0; k < 4; k++) {
		char c = i + k < n ? t[i + k] : 0;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * A \u escape on which cJSON and Go (the API server, and the stream) differ:
 * cJSON reads \u0000 and one that is not 4 hex digits as NUL (cutting its
 * string short; the stream refuses), and refuses a lone surrogate (which Go,
 * and the stream, read as U+FFFD).
 */
static int odd_escape(const char *t, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		long v, lo;

		if (t[i] != '\\')
			continue;
		if (t[i + 1] != 'u') {
			i++;   /* the escaped character */
			continue;
		}
		v = hex4(t, i + 2, n);
		if (v <= 0 || (v >= 0xDC00 && v <= 0xDFFF))
			return 1;
		if (v >= 0xD800 && v <= 0xDBFF) {
			lo = i + 7 < n && t[i + 6] == '\\' && t[i + 7] == 'u' ? hex4(t, i + 8, n) : -1;
			if (lo < 0xDC00 || lo > 0xDFFF)
				return 1;
			i += 6;
		}
		i += 5;
	}
	return 0;
}

static int stream(kft__buf *names, char **rendered, const char *text, size_t len, size_t chunk)
{
	kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;
	kft_job_list_t *l = NULL;
	size_t i;

	*rendered = NULL;
	if (kft__k8s_parse_job_list(&l, text, len, chunk) < 0) {
		FUZZ_CHECK(l == NULL, "a refused list is returned");
		return -1;
	}
	for (i = 0; i < kft_job_list_count(l); i++) {
		const kft_job_t *j = kft_job_list_at(l, i);

		kft__buf_printf(names, "%s/%s\n", kft_job_namespace(j) ? kft_job_namespace(j) : "",
		                kft_job_name(j));
	}
	ro.format = KFT_FORMAT_JSON;
	FUZZ_CHECK(kft_job_list_render(rendered, l, &ro) == 0, "render: %s",
	           kft_error_last()->message);
	kft_job_list_free(l);
	return 0;
}

static int same(const kft__buf *a, const kft__buf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->ptr, b->ptr, a->len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	kft__buf want = KFT__BUF_INIT, got = KFT__BUF_INIT;
	char *whole = NULL;
	int dups = 0, m = model(&want, &dups, text, size);
	int s = stream(&got, &whole, text, size, size ? size : 1);
	size_t chunk;

	/*
	 * What cJSON reads, the stream reads too (but a raw control character in a
	 * string, a NUL among them, which JSON forbids and cJSON takes: the stream
	 * refuses it), and what cJSON refuses, the stream refuses.
	 */
	FUZZ_CHECK(m != 0 || s == 0 || memchr(text, '\0', size) || odd_byte(text, size, 1) ||
	           odd_escape(text, size),
	           "cJSON accepts, the stream parser refuses: %s", kft_error_last()->message);
	FUZZ_CHECK(s != 0 || m == 0 || odd_escape(text, size),
	           "cJSON refuses, the stream parser accepts");
	if (m == 0 && s == 0 && !dups)
		FUZZ_CHECK(same(&want, &got), "different jobs:\ncJSON:\n%s\nstream:\n%s",
		           want.ptr ? want.ptr : "", got.ptr ? got.ptr : "");
	/* every chunking (a few for big inputs): the same answer */
	for (chunk = 1; chunk < size; chunk += size <= 256 ? 1 : size / 24 + 1) {
		kft__buf g2 = KFT__BUF_INIT;
		char *r = NULL;
		int s2 = stream(&g2, &r, text, size, chunk);

		FUZZ_CHECK(s2 == s, "chunk %zu: %s, one piece: %s", chunk, s2 ? "refused" : "accepted",
		           s ? "refused" : "accepted");
		FUZZ_CHECK(!r || !strcmp(r, whole), "chunk %zu: different list:\n%s\n---\n%s", chunk, r,
		           whole);
		kft_free(r);
		kft__buf_free(&g2);
	}
	kft_free(whole);
	kft__buf_free(&want);
	kft__buf_free(&got);
	return 0;
}
