/*
 * TrainJob YAML/JSON from people: parse -> validate -> render -> parse. The
 * render is a fixed point: rendering what was parsed from a render gives the
 * same text, in YAML and in JSON.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("KFT_RUNTIME_PATH", "/nonexistent/kft-fuzz", 1);   /* builtins only */
	return 0;
}

static void fixed_point(const kft_spec_t *spec, int format)
{
	kft_render_opts_t o = KFT_RENDER_OPTS_INIT;
	kft_spec_t *back = NULL;
	char *r1 = NULL, *r2 = NULL;

	o.format = format;
	if (kft_spec_render(&r1, spec, &o) < 0)
		return;
	FUZZ_CHECK(kft_spec_parse(&back, r1, strlen(r1)) == 0, "a render does not parse: %s\n%s",
	           kft_error_last()->message, r1);
	FUZZ_CHECK(kft_spec_render(&r2, back, &o) == 0, "re-render failed: %s\n%s",
	           kft_error_last()->message, r1);
	FUZZ_CHECK(strcmp(r1, r2) == 0, "render is not a fixed point:\n%s\n---\n%s", r1, r2);
	kft_free(r1);
	kft_free(r2);
	kft_spec_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	kft_spec_t *spec = NULL;

	if (size && kft_spec_parse(&spec, text, size) == 0) {
		kft_spec_validate(spec, NULL);
		fixed_point(spec, KFT_FORMAT_YAML);
		fixed_point(spec, KFT_FORMAT_JSON);
		kft_spec_free(spec);
	}
	free(text);
	return 0;
}
