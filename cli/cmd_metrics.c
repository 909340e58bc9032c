/*
 * kft metrics NAME [-o table|csv|json]: a job's progress-update history
 * (kft_get_metrics_history), one row per update, one column per metric name
 * (in the order the names first appeared).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "kft.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void when(char *buf, size_t n, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "-");
}

/* CSV field: quoted when it holds a comma, quote or line break. */
static void csv_field(const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void print_json(const kft_metrics_history_t *h)
{
	size_t i, j, n = kft_metrics_history_count(h);
	char t[32];

	printf("[");
	for (i = 0; i < n; i++) {
		const kft_trainer_status_t *ts = kft_metrics_history_at(h, i);

		printf("%s\n  {", i ? "," : "");
		if (kft_trainer_status_percent(ts) >= 0)
			printf("\"progressPercentage\": %lld, ", (long long)kft_trainer_status_percent(ts));
		if (kft_trainer_status_eta_seconds(ts) >= 0)
			printf("\"estimatedRemainingSeconds\": %lld, ",
			       (long long)kft_trainer_status_eta_seconds(ts));
		if (kft_trainer_status_metric_count(ts)) {
			printf("\"metrics\": [");
			for (j = 0; j < kft_trainer_status_metric_count(ts); j++) {
				printf("%s{\"name\": ", j ? ", " : "");
				cli_json_string(stdout, kft_metric_name(kft_trainer_status_metric_at(ts, j)));
				printf(", \"value\": ");
				cli_json_string(stdout, kft_metric_value(kft_trainer_status_metric_at(ts, j)));
				printf("}");
			}
			printf("], ");
		}
		when(t, sizeof(t), kft_trainer_status_time_ms(ts));
		printf("\"lastUpdatedTime\": \"%s\"}", t);
	}
	printf(n ? "\n]\n" : "]\n");
}

/* The value of metric name in update i, or NULL. */
static const char *value_of(const kft_metrics_history_t *h, size_t i, const char *name)
{
	const kft_trainer_status_t *ts = kft_metrics_history_at(h, i);
	size_t j;

	for (j = 0; j < kft_trainer_status_metric_count(ts); j++)
		if (!strcmp(kft_metric_name(kft_trainer_status_metric_at(ts, j)), name))
			return kft_metric_value(kft_trainer_status_metric_at(ts, j));
	return NULL;
}

static int print_rows(const kft_metrics_history_t *h)
{
	size_t i, j, k, n = kft_metrics_history_count(h), ncols = 0, cap = 0;
	const char **cols = NULL;
	char t[32];

	for (i = 0; i < n; i++)
		for (j = 0; j < kft_trainer_status_metric_count(kft_metrics_history_at(h, i)); j++) {
			const char *name = kft_metric_name(
				kft_trainer_status_metric_at(kft_metrics_history_at(h, i), j));

			for (k = 0; k < ncols && strcmp(cols[k], name); k++)
				;
			if (k < ncols)
				continue;
			if (ncols == cap) {
				const char **c = realloc(cols, (cap = cap ? cap * 2 : 8) * sizeof(*c));

				if (!c) {
					free(cols);
					fprintf(stderr, "kft metrics: out of memory\n");
					return EXIT_ERR;
				}
				cols = c;
			}
			cols[ncols++] = name;
		}
	if (G.csv) {
		printf("time,progressPercentage,estimatedRemainingSeconds");
		for (k = 0; k < ncols; k++) {
			putchar(',');
			csv_field(cols[k]);
		}
		putchar('\n');
	} else {
		printf("%-21s %-8s %-8s", "TIME", "PROGRESS", "ETA");
		for (k = 0; k < ncols; k++)
			printf(" %-12s", cols[k]);
		putchar('\n');
	}
	for (i = 0; i < n; i++) {
		const kft_trainer_status_t *ts = kft_metrics_history_at(h, i);
		char pct[24] = "", eta[24] = "";

		when(t, sizeof(t), kft_trainer_status_time_ms(ts));
		if (kft_trainer_status_percent(ts) >= 0)
			snprintf(pct, sizeof(pct), "%lld%s", (long long)kft_trainer_status_percent(ts),
			         G.csv ? "" : "%");
		if (kft_trainer_status_eta_seconds(ts) >= 0)
			snprintf(eta, sizeof(eta), "%lld%s",
			         (long long)kft_trainer_status_eta_seconds(ts), G.csv ? "" : "s");
		if (G.csv) {
			printf("%s,%s,%s", t, pct, eta);
			for (k = 0; k < ncols; k++) {
				putchar(',');
				csv_field(value_of(h, i, cols[k]));
			}
		} else {
			printf("%-21s %-8s %-8s", t, *pct ? pct : "-", *eta ? eta : "-");
			for (k = 0; k < ncols; k++) {
				const char *v = value_of(h, i, cols[k]);

				printf(" %-12s", v ? v : "-");
			}
		}
		putchar('\n');
	}
	free(cols);
	return 0;
}

int cli_cmd_metrics(const cli_command *cmd, int argc, char **argv)
{
	kft_metrics_history_t *h = NULL;
	kft_client_t *c;
	cli_args a;
	int rc;

	PARSE_NAME(&a, cmd, argc, argv, NULL);
	if (G.output == KFT_FORMAT_YAML) {
		fprintf(stderr, "kft metrics: -o takes table, csv or json\n");
		return EXIT_USAGE;
	}
	if ((rc = cli_open_client(&c)) != 0)
		return rc;
	if (kft_get_metrics_history(&h, c, a.ops[0]) < 0)
		rc = cli_error("metrics");
	else if (G.output == KFT_FORMAT_JSON)
		print_json(h);
	else
		rc = print_rows(h);
	kft_metrics_history_free(h);
	kft_client_free(c);
	return rc;
}
