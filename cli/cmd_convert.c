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
	rc.notes = cli_verbose();
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

static void convert_usage(void)
{
	printf("Usage: kft convert -f FILE [-o yaml|json] [--runtime NAME] [--trainer-version V]\n"
	       "                   [--strict] [--name NAME]\n\n"
	       "Print the TrainJob for a Training Operator v1 job: a kubeflow.org/v1 PyTorchJob,\n"
	       "TFJob, MPIJob, XGBoostJob, JAXJob or PaddleJob, or a kubeflow.org/v2beta1 MPIJob.\n"
	       "Every v1 field without a TrainJob equivalent is reported on stderr, one line\n"
	       "each (\"kft: lost: PATH: ...\"), as are the converter's choices (\"kft: note: ...\").\n"
	       "A file with several YAML documents gives one TrainJob per document.\n"
	       "  -f, --file FILE           the v1 job YAML or JSON (\"-\": standard input)\n"
	       "  --runtime NAME            the runtime (default by kind: PyTorchJob torch-distributed,\n"
	       "                            XGBoostJob xgboost-distributed, JAXJob jax-distributed,\n"
	       "                            MPIJob deepspeed-distributed; TFJob/PaddleJob: required)\n"
	       "  --trainer-version V       render for Trainer v2.0, v2.1, v2.2 or v2.3 (default v2.3)\n"
	       "  --strict                  fail if any v1 field would be lost\n"
	       "  --name NAME               the TrainJob's name (default: the v1 job's)\n\n");
}

int cmd_convert(int argc, char **argv)
{
	kft_convert_opts_t co = KFT_CONVERT_OPTS_INIT;
	kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;
	const char *file = NULL;
	report_ctx r = { 0, 1, 1 };
	char *text = NULL;
	size_t len, ndocs = 0;
	int i, rc = 0, g;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			convert_usage();
			return 0;
		}
		if ((g = cli_global_flag(argc, argv, &i)) < 0)
			return EXIT_USAGE;
		if (g)
			continue;
		{
			const struct { const char *flag; const char **dst; } vals[] = {
				{ "-f", &file }, { "--file", &file }, { "--runtime", &co.runtime },
				{ "--trainer-version", &co.trainer_version }, { "--name", &co.name } };
			size_t k;

			for (k = 0; k < sizeof(vals) / sizeof(vals[0]); k++)
				if (cli_is_flag(a, vals[k].flag))
					break;
			if (k < sizeof(vals) / sizeof(vals[0])) {
				if ((*vals[k].dst = cli_value(argc, argv, &i, vals[k].flag)) == NULL)
					return EXIT_USAGE;
				continue;
			}
		}
		if (!strcmp(a, "--strict")) {
			co.flags |= KFT_CONVERT_STRICT;
			continue;
		}
		fprintf(stderr, "kft convert: unknown argument \"%s\" (see kft convert --help)\n", a);
		return EXIT_USAGE;
	}
	if (!file) {
		fprintf(stderr, "kft convert: -f FILE is required (see kft convert --help)\n");
		return EXIT_USAGE;
	}
	if (cli_output_format() == KFT_FORMAT_TEXT) {
		fprintf(stderr, "kft convert: --output: expected yaml or json\n");
		return EXIT_USAGE;
	}
	ro.format = cli_output_format() == KFT_FORMAT_JSON ? KFT_FORMAT_JSON : KFT_FORMAT_YAML;
	ro.trainer_version = co.trainer_version;
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
	if (ndocs > 1 && co.name) {
		fprintf(stderr, "kft convert: --name: %s has %zu YAML documents; --name needs one\n",
		        file, ndocs);
		free(text);
		return EXIT_USAGE;
	}
	r.ndocs = ndocs;
	co.report_cb = print_report;
	co.payload = &r;
	for (r.doc = 0; r.doc < ndocs && rc == 0; r.doc++) {
		kft_spec_t *spec = NULL;
		char *out = NULL;

		co.document = (int64_t)r.doc;
		if (kft_convert(&spec, text, len, &co) < 0 || kft_spec_validate(spec, NULL) < 0 ||
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
