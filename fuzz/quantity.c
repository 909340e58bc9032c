/*
 * Numbers from outside: Kubernetes quantities ("500m", "1.5Gi") as the container
 * backend reads them, RFC 3339 times from API servers and engines, strict
 * decimal integers (flags, environment, records) and durations ("1h30m", read
 * from the input itself: no NUL, no byte past len).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"
#include "../backends/container/engine.h"

#include <kftrainer/duration.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	int64_t q1, q2, i;
	int rc = kft__quantity_parse(&q1, s, 1, "fuzz");

	if (rc == 0) {
		FUZZ_CHECK(q1 >= 0, "negative quantity %lld from \"%s\"", (long long)q1, s);
		/* the same quantity in nano units is at least as large (or too large) */
		if (kft__quantity_parse(&q2, s, 1e9, "fuzz") == 0)
			FUZZ_CHECK(q2 >= q1, "\"%s\": %lld * 1e9 < %lld", s, (long long)q2, (long long)q1);
	} else {
		FUZZ_CHECK(rc == KFT_EINVALID, "\"%s\": %d, not KFT_EINVALID", s, rc);
	}
	(void)kft__time_rfc3339_ms(s);
	if (kft__parse_i64(&i, s) == 0) {
		char back[32];

		snprintf(back, sizeof(back), "%lld", (long long)i);
		FUZZ_CHECK(kft__parse_i64(&q1, back) == 0 && q1 == i, "\"%s\" round trip", s);
	}
	{
		uint8_t *exact = malloc(size ? size : 1);   /* ASan: a read past len is caught */
		int64_t ms;

		if (!exact)
			abort();
		memcpy(exact, data, size);
		if (kft_duration_parse(&ms, (const char *)exact, size) == 0) {
			char back[64];

			FUZZ_CHECK(ms >= 0, "negative duration from \"%s\"", s);
			FUZZ_CHECK(kft_duration_format(back, sizeof(back), ms) > 0, "format %lld",
			           (long long)ms);
		}
		free(exact);
	}
	free(s);
	return 0;
}
