/*
 * The kubernetes LIST stream parser (a TrainJob list read as it arrives) fed in
 * every chunking, differential against cJSON parsing the whole document: the
 * same jobs (names, namespaces, in order), or both refuse. Each chunking gives
 * the same rendered list as one piece.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"
#include "../backends/kubernetes/k8s.h"

/* What cJSON makes of the document: the items' names, "\n"-joined; -1: refuse. */
static int model(kft__buf *names, const char *text, size_t len)
{
	const char *rest = NULL, *end = text + len;
	cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &rest, 0), *m, *it;
	int ok = cJSON_IsObject(doc);

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
	cJSON_Delete(doc);
	return ok ? 0 : -1;
}

/*
 * A \u escape cJSON reads as NUL (\u0000, or one that is not 4 hex digits: cJSON
 * does not check) cuts its string short there; the stream refuses such a string.
 */
static int nul_escape(const char *t, size_t n)
{
	size_t i, k;

	for (i = 0; i + 1 < n; i++) {
		if (t[i] != '\\')
			continue;
		if (t[i + 1] == 'u') {
			int zero = 1;

			for (k = 0; k < 4; k++) {
				char c = i + 2 + k < n ? t[i + 2 + k] : 0;

				if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
					return 1;
				zero &= c == '0';
			}
			if (zero)
				return 1;
		}
		i++;   /* the escaped character */
	}
	return 0;
}

static int stream(kft__buf *names, char **rendered, const char *text, size_t len, size_t chunk)
{
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
	FUZZ_CHECK(kft_job_list_render(rendered, l, KFT_FORMAT_JSON) == 0, "render: %s",
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
	int m = model(&want, text, size), s = stream(&got, &whole, text, size, size ? size : 1);
	size_t chunk;

	/*
	 * What cJSON reads, the stream reads too (but a NUL in a string, which cannot
	 * live in a C string: the stream refuses what cJSON cuts short). The stream's
	 * scanner does not yet refuse every malformed value it skips (the other
	 * direction): see fuzz/README.md.
	 */
	FUZZ_CHECK(m != 0 || s == 0 || memchr(text, '\0', size) || nul_escape(text, size),
	           "cJSON accepts, the stream parser refuses: %s", kft_error_last()->message);
	if (m == 0 && s == 0)
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
