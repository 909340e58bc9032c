/*
 * kft convert: Training Operator v1 jobs (PyTorchJob, TFJob, MPIJob, XGBoostJob,
 * JAXJob, PaddleJob) printed as TrainJobs; and the v1 path of `train -f` and
 * `render -f`. SPDX-License-Identifier: Apache-2.0
 */
#include "kft.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Read all of path ("-": standard input). 0, or -1 with the reason printed. */
int cli_read_input(char **text, size_t *len, const char *path, const char *what)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0, got;

	*text = NULL;
	*len = 0;
	if (!f) {
		fprintf(stderr, "kft: %s: %s: %s\n", what, path, strerror(errno));
		return -1;
	}
	do {
		if (cap - n < 65536) {
			if (cap > ((size_t)256 << 20) || !(nb = realloc(buf, cap + 65537))) {
				fprintf(stderr, "kft: %s: %s: %s\n", what, path,
				        cap > ((size_t)256 << 20) ? "larger than 256 MiB" : strerror(ENOMEM));
				goto fail;
			}
			buf = nb;
			cap += 65536;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		fprintf(stderr, "kft: %s: %s: %s\n", what, path, strerror(errno));
		goto fail;
	}
	buf[n] = '\0';
	if (f != stdin)
		fclose(f);
	*text = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	if (f != stdin)
		fclose(f);
	return -1;
}

typedef struct {
	size_t doc, ndocs;
	int notes;   /* print notes too (kft convert, -v) */
} report_ctx;

/* One line per loss (always) or note (when asked), naming the v1 field path. */
static int print_report(int report, const char *path, const char *message, void *payload)
{
	report_ctx *r = payload;

	if (report == KFT_CONVERT_NOTE && !r->notes)
		return 0;
	if (r->ndocs > 1)
		fprintf(stderr, "kft: document %zu: %s: %s: %s\n", r->doc + 1,
		        report == KFT_CONVERT_LOSS ? "lost" : "note", path, message);
	else
		fprintf(stderr, "kft: %s: %s: %s\n", report == KFT_CONVERT_LOSS ? "lost" : "note", path,
		        message);
	return 0;
}

int cli_job_from_file(kft_spec_t **out, const char *path, const char *runtime,
                      const char *trainer_version, const char *name)
{
	kft_convert_opts_t co = KFT_CONVERT_OPTS_INIT;
	report_ctx rc = { 0, 1, 0 };
	char *text;
	size_t len, v1 = 0;
	int error;

	*out = NULL;
	if (cli_read_input(&text, &len, path, "cannot read the TrainJob") < 0)
		return EXIT_ERR;
	if (kft_convert_detect(&v1, NULL, text, len) < 0 || v1 == 0) {
		if ((error = kft_spec_parse(out, text, len)) < 0)
			fprintf(stderr, "kft: cannot read the TrainJob: %s: %s\n", path,
			        kft_error_last()->message);
		free(text);
		return error < 0 ? EXIT_ERR : 0;
	}
	rc.notes = G.verbose;
	co.runtime = runtime;
	co.trainer_version = trainer_version;
	co.name = name;
	co.report_cb = print_report;
	co.payload = &rc;
	error = kft_convert(out, text, len, &co);
	free(text);
	if (error < 0) {
		fprintf(stderr, "kft: %s: cannot convert the Training Operator v1 job: %s\n", path,
		        kft_error_last()->message);
		return EXIT_ERR;
	}
	fprintf(stderr, "kft: %s: a Training Operator v1 job, converted to a TrainJob on runtime %s "
	        "(kft convert -f %s shows it)\n", path, kft_spec_runtime_name(*out), path);
	return 0;
}

enum { C_FILE, C_RUNTIME, C_TRAINER_VERSION, C_STRICT, C_NAME };

typedef struct {
	kft_convert_opts_t co;
	const char *file;
} convert_flags;

static int convert_set(void *ctx, const cli_flag *f, const char *v)
{
	convert_flags *c = ctx;

	switch (f->id) {
	case C_FILE: c->file = v; break;
	case C_RUNTIME: c->co.runtime = v; break;
	case C_TRAINER_VERSION: c->co.trainer_version = v; break;
	case C_STRICT: c->co.flags |= KFT_CONVERT_STRICT; break;
	case C_NAME: c->co.name = v; break;
	}
	return 0;
}

static const cli_flag convert_flags_table[] = {
	{ "file", 'f', "FILE", "the v1 job, YAML or JSON (\"-\": standard input); required",
	  CLI_COMP_FILE, NULL, 0, C_FILE },
	{ "runtime", 0, "NAME", "the runtime instead of the kind's default (PyTorchJob\n"
	  "torch-distributed, XGBoostJob xgboost-distributed, JAXJob\n"
	  "jax-distributed, MPIJob deepspeed-distributed); required for TFJob\n"
	  "and PaddleJob",
	  CLI_COMP_RUNTIME, NULL, 0, C_RUNTIME },
	{ "trainer-version", 0, "V", "convert and render for Trainer v2.0, v2.1, v2.2 or v2.3\n"
	  "(default v2.3)", CLI_COMP_ENUM, "v2.0 v2.1 v2.2 v2.3", 0, C_TRAINER_VERSION },
	{ "strict", 0, NULL, "fail if any v1 field would be lost", 0, NULL, 0, C_STRICT },
	{ "name", 0, "NAME", "the TrainJob's name instead of the v1 job's", 0, NULL, 0, C_NAME },
	{ NULL, 0, NULL, NULL, 0, NULL, 0, 0 }
};
const cli_group cli_convert_group = { "Flags", NULL, convert_flags_table, convert_set };

int cmd_convert(const cli_command *cmd, int argc, char **argv)
{
	convert_flags cf = { KFT_CONVERT_OPTS_INIT, NULL };
	kft_convert_opts_t *co = &cf.co;
	kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;
	const char *file;
	report_ctx r = { 0, 1, 1 };
	char *text = NULL;
	size_t len, ndocs = 0;
	cli_args a;
	int rc = 0;

	{
		void *const ctx[CLI_MAX_GROUPS] = { &cf };

		if (cli_parse(&a, cmd, argc, argv, ctx))
			return a.exit;
	}
	if (!(file = cf.file)) {
		fprintf(stderr, "kft convert: -f FILE is required (see kft convert --help)\n");
		return EXIT_USAGE;
	}
	if (G.output == KFT_FORMAT_TEXT) {
		fprintf(stderr, "kft convert: --output: expected yaml or json\n");
		return EXIT_USAGE;
	}
	ro.format = G.output == KFT_FORMAT_JSON ? KFT_FORMAT_JSON : KFT_FORMAT_YAML;
	ro.trainer_version = co->trainer_version;
	if (cli_read_input(&text, &len, file, "convert") < 0)
		return EXIT_ERR;
	if (kft_convert_detect(NULL, &ndocs, text, len) < 0) {
		free(text);
		return cli_error(file);
	}
	if (ndocs == 0) {
		fprintf(stderr, "kft: %s: empty: no v1 job to convert\n", file);
		free(text);
		return EXIT_ERR;
	}
	if (ndocs > 1 && co->name) {
		fprintf(stderr, "kft convert: --name: %s has %zu YAML documents; --name needs one\n",
		        file, ndocs);
		free(text);
		return EXIT_USAGE;
	}
	r.ndocs = ndocs;
	co->report_cb = print_report;
	co->payload = &r;
	for (r.doc = 0; r.doc < ndocs && rc == 0; r.doc++) {
		kft_spec_t *spec = NULL;
		char *out = NULL;

		co->document = (int64_t)r.doc;
		if (kft_convert(&spec, text, len, co) < 0 || kft_spec_validate(spec, NULL) < 0 ||
		    kft_spec_render(&out, spec, &ro) < 0) {
			if (ndocs > 1)
				fprintf(stderr, "kft: %s: document %zu: %s\n", file, r.doc + 1,
				        kft_error_last()->message);
			else
				fprintf(stderr, "kft: %s: %s\n", file, kft_error_last()->message);
			rc = EXIT_ERR;
		} else {
			if (r.doc > 0 && ro.format == KFT_FORMAT_YAML)
				fputs("---\n", stdout);
			fputs(out, stdout);
		}
		kft_free(out);
		kft_spec_free(spec);
	}
	free(text);
	return rc;
}
