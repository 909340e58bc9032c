/*
 * Runtime files ($KFT_RUNTIME_PATH, ClusterTrainingRuntime / TrainingRuntime
 * YAML): parse -> accessors -> render -> parse; the render is a fixed point.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size), *r1 = NULL, *r2 = NULL;
	kft_runtime_t *rt = NULL, *back = NULL;

	if (size && kft_runtime_parse(&rt, text, size) == 0) {
		/* every accessor answers (NULL or a string), never crashes */
		(void)kft_runtime_name(rt);
		(void)kft_runtime_kind(rt);
		(void)kft_runtime_framework(rt);
		(void)kft_runtime_trainer_type(rt);
		(void)kft_runtime_policy(rt);
		(void)kft_runtime_num_nodes(rt);
		(void)kft_runtime_image(rt);
		(void)kft_runtime_source(rt);
		if (kft_runtime_render(&r1, rt, NULL) == 0) {
			FUZZ_CHECK(kft_runtime_parse(&back, r1, strlen(r1)) == 0,
			           "a render does not parse: %s\n%s", kft_error_last()->message, r1);
			FUZZ_CHECK(kft_runtime_render(&r2, back, NULL) == 0, "re-render: %s",
			           kft_error_last()->message);
			FUZZ_CHECK(strcmp(r1, r2) == 0, "render is not a fixed point:\n%s\n---\n%s", r1,
			           r2);
		}
		kft_free(r1);
		kft_free(r2);
		kft_runtime_free(back);
		kft_runtime_free(rt);
	}
	free(text);
	return 0;
}
