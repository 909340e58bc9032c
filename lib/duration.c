/*
 * Durations: one parser and one formatter for every "5m" a person types or
 * reads (kft logs --since, kft delete --older-than, AGE/DURATION columns).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "internal.h"

#include <kftrainer/duration.h>
#include <stdio.h>
#include <string.h>

static int bad(const char *s, size_t n, const char *why)
{
	return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
	                      "duration \"%.*s\": %s (e.g. 90s, 5m, 1h30m, 2d)", (int)(n > 64 ? 64 : n),
	                      s, why);
}

int kft_duration_parse(int64_t *out_ms, const char *s, size_t len)
{
	static const struct { const char *name; int64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 }
	};
	size_t n, i = 0, k;
	int64_t total = 0;
	int pairs = 0;

	KFT_ASSERT_ARG(out_ms && (s || len == 0));
	*out_ms = 0;
	n = len;   /* exactly len bytes, as every parser of the library (no NUL looked for) */
	if (n == 0)
		return bad("", n, "empty");
	while (i < n) {
		int64_t v = 0, ms = 0;
		size_t d = i, u;

		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (v > (INT64_MAX - 9) / 10)
				return bad(s, n, "too large");
			v = v * 10 + (s[i++] - '0');
		}
		if (i == d)
			return bad(s, n, s[i] == '-' ? "must not be negative" :
			           "expected a number before each unit");
		for (u = i; u < n && s[u] >= 'a' && s[u] <= 'z'; u++)
			;
		if (u == i) {
			if (i == n && pairs == 0) {   /* a bare number: seconds */
				ms = 1000;
			} else {
				return bad(s, n, "expected a unit (ms, s, m, h or d) after each number");
			}
		}
		for (k = 0; !ms && k < sizeof(units) / sizeof(units[0]); k++)
			if (strlen(units[k].name) == u - i && !memcmp(units[k].name, s + i, u - i))
				ms = units[k].ms;
		if (!ms)
			return bad(s, n, "unknown unit (ms, s, m, h or d)");
		if (v > (INT64_MAX - total) / ms)
			return bad(s, n, "too large");
		total += v * ms;
		i = u;
		pairs++;
	}
	*out_ms = total;
	return 0;
}

int kft_duration_format(char *buf, size_t size, int64_t ms)
{
	int64_t s = ms / 1000;

	if (!buf && size)
		return -1;
	if (ms < 0)
		return snprintf(buf, size, "-");
	if (ms < 1000)
		return snprintf(buf, size, "%lldms", (long long)ms);
	if (s < 60)
		return snprintf(buf, size, "%llds", (long long)s);
	if (s < 3600)
		return s % 60 ? snprintf(buf, size, "%lldm%llds", (long long)(s / 60), (long long)(s % 60))
		              : snprintf(buf, size, "%lldm", (long long)(s / 60));
	if (s < 86400)
		return (s / 60) % 60 ? snprintf(buf, size, "%lldh%lldm", (long long)(s / 3600),
		                                (long long)((s / 60) % 60))
		                     : snprintf(buf, size, "%lldh", (long long)(s / 3600));
	return (s / 3600) % 24 ? snprintf(buf, size, "%lldd%lldh", (long long)(s / 86400),
	                                  (long long)((s / 3600) % 24))
	                       : snprintf(buf, size, "%lldd", (long long)(s / 86400));
}
