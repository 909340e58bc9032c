/* Small shared helpers. SPDX-License-Identifier: Apache-2.0 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

int kft__strv_push_own(kft__strv *sv, char *s)
{
	if (!s)
		return kft__error_oom();
	if (kft__grow(&sv->v, &sv->cap, sv->n + 2, sizeof(*sv->v), 8) < 0) {
		free(s);
		return KFT_ENOMEM;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

int kft__strv_push(kft__strv *sv, const char *s)
{
	return kft__strv_push_own(sv, kft__strdup(s));
}

int kft__strv_pushf(kft__strv *sv, const char *fmt, ...)
{
	kft__buf b = KFT__BUF_INIT;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || kft__buf_grow(&b, (size_t)n) < 0) {
		kft__buf_free(&b);
		return kft__error_oom();
	}
	va_start(ap, fmt);
	vsnprintf(b.ptr, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return kft__strv_push_own(sv, b.ptr);
}

int kft__strv_has(const kft__strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return 1;
	return 0;
}

void kft__strv_free(kft__strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

static ssize_t env_find(const kft__strv *env, const char *name)
{
	size_t i, nl = strlen(name);

	for (i = 0; i < env->n; i++)
		if (strncmp(env->v[i], name, nl) == 0 && env->v[i][nl] == '=')
			return (ssize_t)i;
	return -1;
}

int kft__env_set(kft__strv *env, const char *name, const char *value)
{
	ssize_t i = env_find(env, name);
	char *kv;

	if (!value) {
		if (i >= 0) {
			free(env->v[i]);
			memmove(&env->v[i], &env->v[i + 1], (env->n - (size_t)i) * sizeof(char *));
			env->n--;
		}
		return 0;
	}
	if ((kv = kft__malloc(strlen(name) + strlen(value) + 2)) == NULL)
		return kft__error_oom();
	sprintf(kv, "%s=%s", name, value);
	if (i >= 0) {
		free(env->v[i]);
		env->v[i] = kv;
		return 0;
	}
	return kft__strv_push_own(env, kv);
}

const char *kft__env_get(const kft__strv *env, const char *name)
{
	ssize_t i = env_find(env, name);

	return i >= 0 ? env->v[i] + strlen(name) + 1 : NULL;
}

int64_t kft__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t kft__mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int kft__streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

int kft__strcaseeq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcasecmp(a, b) == 0;
}

int kft__has_prefix(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

int kft__str_in_list(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

int kft__random_bytes(unsigned char *out, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(out + got, n - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return kft__error_os(KFT_ERROR, "getrandom");
		}
		got += (size_t)r;
	}
	return 0;
}

int kft__is_dns1035(const char *s)
{
	size_t i, n;

	if (!s || !*s)
		return 0;
	n = strlen(s);
	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (i = 1; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return s[n - 1] != '-';
}

int kft__parse_i64(int64_t *out, const char *s)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int kft__double_i64(int64_t *out, double d)
{
	/* the range test first: the comparisons are false for NaN */
	if (!(d > -9007199254740992.0 && d < 9007199254740992.0) || d != floor(d))
		return -1;
	*out = (int64_t)d;
	return 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *kft__base64_encode(const unsigned char *data, size_t len)
{
	size_t i, o = 0, olen = 4 * ((len + 2) / 3);
	char *out = kft__malloc(olen + 1);

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = ((uint32_t)data[i] << 16) | ((uint32_t)data[i + 1] << 8) | data[i + 2];

		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)data[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)data[i + 1] << 8;
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

int kft__base64_decode(unsigned char **out, size_t *out_len, const char *s, size_t len)
{
	unsigned char *p = kft__malloc(len / 4 * 3 + 3);
	uint32_t acc = 0;
	int bits = 0;
	size_t i, o = 0;

	if (!p)
		return kft__error_oom();
	for (i = 0; i < len; i++) {
		const char *q;
		char c = s[i];

		if (c == '=' || c == '\n' || c == '\r' || c == ' ')
			continue;
		if (!c || (q = strchr(b64, c)) == NULL) {
			free(p);
			return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE, "invalid base64 data");
		}
		acc = (acc << 6) | (uint32_t)(q - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			p[o++] = (unsigned char)((acc >> bits) & 0xff);
		}
	}
	*out = p;
	*out_len = o;
	return 0;
}

/* The length of the well-formed UTF-8 sequence at p (at most n bytes): 1-4, or 0. */
size_t kft__utf8_seq(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c, min, i, k;

	if (n == 0)
		return 0;
	c = p[0];
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		k = 1; min = 0x80; c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		k = 2; min = 0x800; c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		k = 3; min = 0x10000; c &= 0x07;
	} else {
		return 0;
	}
	if (k >= n)
		return 0;
	for (i = 1; i <= k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return k + 1;
}

/* Well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF). */
int kft__utf8_valid(const char *s)
{
	size_t n = strlen(s), i = 0, k;

	while (i < n) {
		if ((k = kft__utf8_seq(s + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

int kft__utf8_printable(const char *s)
{
	size_t n = strlen(s), i = 0, k;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80 && ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f))
			return 0;
		if ((k = kft__utf8_seq(s + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

size_t kft__utf8_prefix(const char *s, size_t max, size_t *chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0, len = 0;

	for (; p[len]; len++)
		if ((p[len] & 0xC0) != 0x80 && ++n > max) {   /* a lead byte starts a code point */
			n--;
			break;
		}
	if (chars)
		*chars = n;
	return len;
}

/* n decimal digits at p, or -1. */
static int ndigits(const char *p, int n)
{
	int v = 0;

	for (; n > 0; n--, p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * RFC 3339 "2026-11-29T08:00:00.123456789Z" / "...+01:00" -> Unix ms; 0 if not
 * such a time or Go's zero time (year 1: unset). Hand-parsed: listing 10,000
 * TrainJobs reads ~30,000 of these.
 */
int64_t kft__time_rfc3339_ms(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec;
	int64_t ms = 0, off = 0;
	const char *p;

	if (!s || strlen(s) < 19 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return 0;
	y = ndigits(s, 4), mo = ndigits(s + 5, 2), d = ndigits(s + 8, 2);
	h = ndigits(s + 11, 2), mi = ndigits(s + 14, 2), sec = ndigits(s + 17, 2);
	if (y < 0 || y == 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return 0;
	p = s + 19;
	if (*p == '.' || *p == ',') {
		int n = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 3)
				ms = ms * 10 + (*p - '0');
		if (n == 0)
			return 0;
		for (; n < 3; n++)
			ms *= 10;
	}
	if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, hh = ndigits(p + 1, 2), mm = 0;

		if (hh < 0 || hh > 23)
			return 0;
		p += 3;
		if (*p == ':')
			p++;
		if (*p) {
			if ((mm = ndigits(p, 2)) < 0 || mm > 59 || p[2])
				return 0;
		}
		off = sign * (hh * 3600 + mm * 60);
	} else if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		/* UTC */
	} else if (*p != '\0') {
		return 0;
	}
	return ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) - off) * 1000 + ms;
}
