/*
 * /metrics: the Prometheus text format (0.0.4). Jobs by status, runtime and
 * backend; a duration histogram; per-job progress, ETA and every numeric
 * training metric. The output is bounded: at most MAX_JOB_SERIES jobs get
 * per-job series (running jobs first, then the newest), MAX_METRICS metrics
 * each, MAX_RUNTIMES runtimes; what is left out is counted.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "dash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_JOB_SERIES 1000
#define MAX_METRICS 64
#define MAX_RUNTIMES 200
#define MAX_LABEL 256      /* bytes of a label value */

/* A label value: \\, \" and \n escaped, invalid UTF-8 as U+FFFD, at most MAX_LABEL bytes. */
void kft__dash_put_prom_label(kft__buf *b, const char *s)
{
	size_t i = 0, n = s ? strlen(s) : 0, k, out = 0;

	kft__buf_putc(b, '"');
	while (i < n && out < MAX_LABEL) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || c == '"') {
			kft__buf_putc(b, '\\');
			kft__buf_putc(b, (char)c);
			k = 1;
		} else if (c == '\n') {
			kft__buf_puts(b, "\\n");
			k = 1;
		} else if ((k = kft__utf8_seq(s + i, n - i)) == 0) {
			kft__buf_puts(b, "\xef\xbf\xbd");
			k = 1;
		} else {
			kft__buf_put(b, s + i, k);
		}
		i += k;
		out += k;
	}
	kft__buf_putc(b, '"');
}

typedef struct {
	const char *runtime;
	int state;
	size_t n;
} combo;

static int cmp_combo(const void *a, const void *b)
{
	const combo *x = a, *y = b;
	int c = strcmp(x->runtime, y->runtime);

	return c ? c : x->state - y->state;
}

static const double buckets[] = { 10, 30, 60, 300, 900, 1800, 3600, 7200, 21600, 86400 };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static int numeric(const char *v, double *out)
{
	char *end;

	if (!v || !*v)
		return 0;
	*out = strtod(v, &end);
	return *end == '\0' && isfinite(*out);
}

/* The shortest of %.15g / %.17g that reads back as v. */
static void put_value(kft__buf *b, double v)
{
	char t[64];

	snprintf(t, sizeof(t), "%.15g", v);
	if (strtod(t, NULL) != v)
		snprintf(t, sizeof(t), "%.17g", v);
	kft__buf_printf(b, "} %s\n", t);
}

static void job_labels(kft__buf *b, kft__dash *d, const kft_job_t *job)
{
	kft__buf_puts(b, "{backend=");
	kft__dash_put_prom_label(b, d->backend);
	if (kft_job_namespace(job)) {
		kft__buf_puts(b, ",namespace=");
		kft__dash_put_prom_label(b, kft_job_namespace(job));
	}
	kft__buf_puts(b, ",job_name=");
	kft__dash_put_prom_label(b, kft_job_name(job));
}

/* One gauge series per running job whose getter knows the value (>= 0). */
static void running_gauge(kft__buf *b, kft__dash *d, const kft__dash_snap *s,
                          const size_t *order, size_t nord, const char *name, const char *help,
                          int64_t (*get)(const kft_job_t *job))
{
	size_t i;

	kft__buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
	for (i = 0; i < nord; i++) {
		const kft_job_t *j = s->v[order[i]].job;

		if (kft_job_state(j) != KFT_JOB_RUNNING || get(j) < 0)
			continue;
		kft__buf_puts(b, name);
		job_labels(b, d, j);
		kft__buf_printf(b, "} %lld\n", (long long)get(j));
	}
}

int kft__dash_metrics(kft__buf *b, kft__dash *d)
{
	kft__dash_snap *s = kft__dash_snap_get(d);
	combo *c = NULL;
	size_t i, k, nc = 0, hist[NBUCKETS] = { 0 }, nfin = 0, series = 0, dropped = 0;
	size_t *order = NULL, nord = 0;
	double sum = 0;
	int pass;

	if (!s)
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_INVALID, "no job list yet");
	if (s->n && (!(c = kft__calloc(s->n, sizeof(*c))) ||
	             !(order = kft__calloc(s->n, sizeof(*order))))) {
		free(c);
		kft__dash_snap_put(d, s);
		return kft__error_oom();
	}
	for (i = 0; i < s->n; i++) {
		const kft_job_t *j = s->v[i].job;
		int64_t st = kft_job_started_ms(j), fin = kft_job_finished_ms(j);

		c[nc].runtime = kft_job_runtime(j) ? kft_job_runtime(j) : "";
		c[nc].state = kft_job_state(j);
		c[nc++].n = 1;
		if (fin > 0 && st > 0 && fin >= st) {
			double sec = (double)(fin - st) / 1000.0;

			for (k = 0; k < NBUCKETS; k++)
				if (sec <= buckets[k])
					hist[k]++;
			sum += sec;
			nfin++;
		}
	}
	if (nc > 1)
		qsort(c, nc, sizeof(*c), cmp_combo);
	kft__buf_puts(b, "# HELP kft_jobs TrainJobs known to the dashboard, by status, runtime and "
	                 "backend.\n# TYPE kft_jobs gauge\n");
	{
		size_t nrt = 0, other[5] = { 0 };

		for (i = 0; i < nc; ) {
			size_t n = 0, j = i;

			while (j < nc && !cmp_combo(&c[i], &c[j]))
				n += c[j++].n;
			if (i == 0 || strcmp(c[i].runtime, c[i - 1].runtime))
				nrt++;
			if (nrt > MAX_RUNTIMES) {
				if (c[i].state >= 0 && c[i].state < 5)
					other[c[i].state] += n;
			} else {
				kft__buf_puts(b, "kft_jobs{backend=");
				kft__dash_put_prom_label(b, d->backend);
				kft__buf_puts(b, ",runtime=");
				kft__dash_put_prom_label(b, c[i].runtime);
				kft__buf_printf(b, ",status=\"%s\"} %zu\n", kft_job_state_name(c[i].state), n);
			}
			i = j;
		}
		for (k = 0; k < 5; k++)
			if (other[k]) {
				kft__buf_puts(b, "kft_jobs{backend=");
				kft__dash_put_prom_label(b, d->backend);
				kft__buf_printf(b, ",runtime=\"(other)\",status=\"%s\"} %zu\n",
				                kft_job_state_name((int)k), other[k]);
			}
	}
	kft__buf_puts(b, "# HELP kft_job_duration_seconds Run time of finished TrainJobs "
	                 "(start to completion).\n# TYPE kft_job_duration_seconds histogram\n");
	for (k = 0; k < NBUCKETS; k++) {
		kft__buf_puts(b, "kft_job_duration_seconds_bucket{backend=");
		kft__dash_put_prom_label(b, d->backend);
		kft__buf_printf(b, ",le=\"%g\"} %zu\n", buckets[k], hist[k]);
	}
	kft__buf_puts(b, "kft_job_duration_seconds_bucket{backend=");
	kft__dash_put_prom_label(b, d->backend);
	kft__buf_printf(b, ",le=\"+Inf\"} %zu\nkft_job_duration_seconds_sum{backend=", nfin);
	kft__dash_put_prom_label(b, d->backend);
	kft__buf_printf(b, "} %.3f\nkft_job_duration_seconds_count{backend=", sum);
	kft__dash_put_prom_label(b, d->backend);
	kft__buf_printf(b, "} %zu\n", nfin);

	/* per-job series: running jobs first, then the newest others */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < s->n; i++)
			if ((kft_job_state(s->v[i].job) == KFT_JOB_RUNNING) == !pass) {
				if (nord < MAX_JOB_SERIES)
					order[nord++] = i;
				else
					dropped++;
			}
	kft__buf_puts(b, "# HELP kft_job_info One series per TrainJob (status, runtime); value 1."
	                 "\n# TYPE kft_job_info gauge\n");
	for (i = 0; i < nord; i++) {
		const kft_job_t *j = s->v[order[i]].job;

		kft__buf_puts(b, "kft_job_info");
		job_labels(b, d, j);
		kft__buf_puts(b, ",runtime=");
		kft__dash_put_prom_label(b, kft_job_runtime(j) ? kft_job_runtime(j) : "");
		kft__buf_printf(b, ",status=\"%s\"} 1\n", kft_job_status(j));
	}
	running_gauge(b, d, s, order, nord, "kft_job_progress_percent",
	              "Progress a running TrainJob reported (0-100).", kft_job_progress_percent);
	running_gauge(b, d, s, order, nord, "kft_job_eta_seconds",
	              "Estimated remaining time of a running TrainJob.", kft_job_eta_seconds);
	kft__buf_puts(b, "# HELP kft_job_metric The last value of each numeric metric a TrainJob "
	                 "reported.\n# TYPE kft_job_metric gauge\n");
	for (i = 0; i < nord; i++) {
		const kft_job_t *j = s->v[order[i]].job;
		size_t m, nm = kft_job_metric_count(j);

		for (m = 0; m < nm; m++) {
			double v;

			if (!numeric(kft_metric_value(kft_job_metric_at(j, m)), &v))
				continue;
			if (m >= MAX_METRICS) {
				dropped++;
				continue;
			}
			kft__buf_puts(b, "kft_job_metric");
			job_labels(b, d, j);
			kft__buf_puts(b, ",metric=");
			kft__dash_put_prom_label(b, kft_metric_name(kft_job_metric_at(j, m)));
			put_value(b, v);
			series++;
		}
	}
	kft__buf_printf(b, "# HELP kft_dashboard_series_dropped Per-job series left out to keep "
	                "the output bounded.\n# TYPE kft_dashboard_series_dropped gauge\n"
	                "kft_dashboard_series_dropped %zu\n", dropped);
	kft__buf_printf(b, "# HELP kft_dashboard_list_seconds How long reading the job list took."
	                "\n# TYPE kft_dashboard_list_seconds gauge\n"
	                "kft_dashboard_list_seconds %.3f\n", (double)s->list_ms / 1000.0);
	free(c);
	free(order);
	kft__dash_snap_put(d, s);
	(void)series;
	return b->oom ? kft__error_oom() : 0;
}
