/*
 * Progress-protocol bodies (POSTed by training code to the progress server):
 * the validator accepts or refuses with a reason; what it accepts stays within
 * the CRD's bounds and renders into a record that reads back to the same
 * render (the record the backends read is a fixed point).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"
#include "trainer_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kft__trainer_status ts = KFT__TRAINER_STATUS_INIT, back = KFT__TRAINER_STATUS_INIT;
	kft__buf r1 = KFT__BUF_INIT, r2 = KFT__BUF_INIT;
	cJSON *doc;
	int kind = 0, error = kft__progress_body_parse(&ts, &kind, (const char *)data, size);
	size_t i;

	if (error < 0) {
		FUZZ_CHECK(error == KFT_EINVALID || error == KFT_ENOMEM, "error %d", error);
		FUZZ_CHECK(error == KFT_ENOMEM || kind == KFT__PROGRESS_MALFORMED ||
		           kind == KFT__PROGRESS_INVALID, "kind %d", kind);
		kft__trainer_status_clear(&ts);
		return 0;
	}
	FUZZ_CHECK(size <= KFT__PROGRESS_MAX_BODY, "a %zu-byte body accepted", size);
	FUZZ_CHECK(ts.percent >= -1 && ts.percent <= 100, "percent %lld", (long long)ts.percent);
	FUZZ_CHECK(ts.eta >= -1, "eta %lld", (long long)ts.eta);
	FUZZ_CHECK(ts.nmetrics <= KFT__PROGRESS_MAX_METRICS, "%zu metrics", ts.nmetrics);
	for (i = 0; i < ts.nmetrics; i++)
		FUZZ_CHECK(ts.metrics[i].name && ts.metrics[i].value &&
		           strlen(ts.metrics[i].name) <= 4 * KFT__PROGRESS_MAX_CHARS &&
		           strlen(ts.metrics[i].value) <= 4 * KFT__PROGRESS_MAX_CHARS, "metric %zu", i);
	if (ts.present) {
		FUZZ_CHECK(kft__trainer_status_render(&r1, &ts) == 0, "render");
		doc = cJSON_ParseWithLength(r1.ptr, r1.len);
		FUZZ_CHECK(doc != NULL, "the render is not JSON: %s", r1.ptr);
		FUZZ_CHECK(kft__trainer_status_from_json(&back, doc) == 0, "read back");
		FUZZ_CHECK(kft__trainer_status_render(&r2, &back) == 0, "re-render");
		FUZZ_CHECK(r1.len == r2.len && !memcmp(r1.ptr, r2.ptr, r1.len),
		           "the record is not a fixed point:\n%s\n%s", r1.ptr, r2.ptr);
		cJSON_Delete(doc);
	}
	kft__buf_free(&r1);
	kft__buf_free(&r2);
	kft__trainer_status_clear(&ts);
	kft__trainer_status_clear(&back);
	return 0;
}
