/*
 * A failed step's root error from what the job wrote: its log (the exception
 * line of the last traceback, else the last lines) and torchrun's error file
 * (TORCHELASTIC_ERROR_FILE, JSON). The input is both. Properties: the log
 * gives an answer within the input; the error file gives one printable line
 * (no control characters, valid UTF-8, at most 1000 characters), nothing, or
 * KFT_EINVALID with a message.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char *out = NULL;
	int64_t ts;
	size_t chars;
	int r;

	r = kft__root_cause(&out, size ? text : NULL, size, 5);
	FUZZ_CHECK(r == 0 || r == 1, "log: %d", r);
	FUZZ_CHECK(out && strlen(out) <= (r ? 1000 : size), "log: answer of %zu bytes",
	           out ? strlen(out) : 0);
	free(out);
	out = NULL;
	r = kft__root_cause_error_file(&out, &ts, size ? text : NULL, size);
	if (r == 1) {
		size_t i;

		FUZZ_CHECK(out && *out, "error file: 1 without a line");
		FUZZ_CHECK(kft__utf8_valid(out), "error file: not UTF-8: %s", out);
		FUZZ_CHECK(kft__utf8_prefix(out, 1001, &chars) == strlen(out) && chars <= 1000,
		           "error file: %zu characters", chars);
		for (i = 0; out[i]; i++)
			FUZZ_CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f,
			           "error file: control character 0x%02x", (unsigned char)out[i]);
		FUZZ_CHECK(!strstr(out, "\xc2\x9b"), "error file: a C1 CSI");
	} else if (r == 0) {
		FUZZ_CHECK(!out, "error file: 0 with a line");
	} else {
		FUZZ_CHECK(r == KFT_EINVALID && !out && *kft_error_last()->message,
		           "error file: %d", r);
	}
	FUZZ_CHECK(ts >= -1, "error file: timestamp %lld", (long long)ts);
	free(out);
	return 0;
}
