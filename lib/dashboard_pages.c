/*
 * The dashboard's pages: the jobs table (/), one job (/jobs/NAME), the action
 * confirmation and errors. Everything that comes from users or training code
 * goes through kft__dash_put_html() or kft__dash_put_json().
 * SPDX-License-Identifier: Apache-2.0
 */
#include "dash.h"

#include <math.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const kft_render_opts_t kft__dash_json = { KFT_RENDER_OPTS_VERSION, KFT_FORMAT_JSON, NULL };

#define REPLACEMENT "\xef\xbf\xbd"   /* U+FFFD */

void kft__dash_put_html(kft__buf *b, const char *s, size_t len)
{
	size_t i = 0, k;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '<': kft__buf_puts(b, "&lt;"); i++; continue;
		case '>': kft__buf_puts(b, "&gt;"); i++; continue;
		case '&': kft__buf_puts(b, "&amp;"); i++; continue;
		case '"': kft__buf_puts(b, "&quot;"); i++; continue;
		case '\'': kft__buf_puts(b, "&#39;"); i++; continue;
		case '\n': case '\t': kft__buf_putc(b, (char)c); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f || (k = kft__utf8_seq(s + i, len - i)) == 0) {
			kft__buf_puts(b, REPLACEMENT);
			i++;
			continue;
		}
		kft__buf_put(b, s + i, k);
		i += k;
	}
}

void kft__dash_puts_html(kft__buf *b, const char *s)
{
	if (s)
		kft__dash_put_html(b, s, strlen(s));
}

void kft__dash_put_json(kft__buf *b, const char *s, size_t len)
{
	size_t i = 0, k;

	kft__buf_putc(b, '"');
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			kft__buf_putc(b, '\\');
			kft__buf_putc(b, (char)c);
			i++;
		} else if (c == '\n') {
			kft__buf_puts(b, "\\n");
			i++;
		} else if (c == '\t') {
			kft__buf_puts(b, "\\t");
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			kft__buf_puts(b, "\\ufffd");
			i++;
		} else if (c == '<') {
			kft__buf_puts(b, "\\u003c");   /* never "</script>" */
			i++;
		} else if ((k = kft__utf8_seq(s + i, len - i)) == 0) {
			kft__buf_puts(b, "\\ufffd");
			i++;
		} else {
			kft__buf_put(b, s + i, k);
			i += k;
		}
	}
	kft__buf_putc(b, '"');
}

void kft__dash_put_duration(kft__buf *b, int64_t s)
{
	if (s < 0)
		kft__buf_puts(b, "-");
	else if (s < 60)
		kft__buf_printf(b, "%llds", (long long)s);
	else if (s < 3600)
		kft__buf_printf(b, "%lldm %llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 86400)
		kft__buf_printf(b, "%lldh %lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		kft__buf_printf(b, "%lldd %lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

static void put_time(kft__buf *b, int64_t ms)
{
	char t[64];
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0) {
		kft__buf_puts(b, "-");
		return;
	}
	gmtime_r(&sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S UTC", &tm);
	kft__buf_puts(b, t);
}

static void head(kft__buf *b, kft__dash *d, const char *title, const char *page)
{
	kft__buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	                 "<title>");
	kft__dash_puts_html(b, title);
	kft__buf_puts(b, " \xc2\xb7 kft dashboard</title>"
	                 "<link rel=\"stylesheet\" href=\"/static/app.css\">"
	                 "<script src=\"/static/app.js\" defer></script></head>\n<body data-page=\"");
	kft__buf_puts(b, page);
	kft__buf_puts(b, "\"><header><a class=\"brand\" href=\"/\"><span class=\"logo\">kft</span> "
	                 "dashboard</a><span class=\"backend\">backend <b>");
	kft__dash_puts_html(b, d ? d->backend : "");
	kft__buf_puts(b, "</b>");
	if (d && d->copts.context) {
		kft__buf_puts(b, " \xc2\xb7 context <b>");
		kft__dash_puts_html(b, d->copts.context);
		kft__buf_puts(b, "</b>");
	}
	if (d && d->copts.ns) {
		kft__buf_puts(b, " \xc2\xb7 namespace <b>");
		kft__dash_puts_html(b, d->copts.ns);
		kft__buf_puts(b, "</b>");
	}
	kft__buf_puts(b, "</span><span id=\"live\" class=\"live\" title=\"live updates\">"
	                 "connecting</span></header>\n<main>\n");
}

static void foot(kft__buf *b)
{
	kft__buf_puts(b, "</main>\n<footer>libkftrainer \xc2\xb7 <a href=\"/metrics\">/metrics</a>"
	                 "</footer></body></html>\n");
}

static void put_progress(kft__buf *b, int64_t pct)
{
	if (pct < 0) {
		kft__buf_puts(b, "<span class=\"muted\">-</span>");
		return;
	}
	if (pct > 100)
		pct = 100;
	kft__buf_printf(b, "<progress max=\"100\" value=\"%lld\"></progress> <span class=\"pct\">"
	                "%lld%%</span>", (long long)pct, (long long)pct);
}

/* HTML text around two values escaped for HTML: a, x, m, y, z. */
static void put_two(kft__buf *b, const char *a, const char *x, const char *m, const char *y,
                    const char *z)
{
	kft__buf_puts(b, a);
	kft__dash_puts_html(b, x);
	kft__buf_puts(b, m);
	kft__dash_puts_html(b, y);
	kft__buf_puts(b, z);
}

static void put_status(kft__buf *b, const char *status)
{
	put_two(b, "<span class=\"status s-", status, "\">", status, "</span>");
}

void kft__dash_row(kft__buf *b, const kft_job_t *job, int history, int64_t now_ms)
{
	const char *name = kft_job_name(job), *rt = kft_job_runtime(job);
	int64_t c = kft_job_created_ms(job), s = kft_job_started_ms(job);
	int64_t f = kft_job_finished_ms(job), eta = kft_job_eta_seconds(job);

	kft__buf_puts(b, "<tr id=\"job-");
	kft__dash_puts_html(b, name);
	kft__buf_puts(b, "\" data-name=\"");
	kft__dash_puts_html(b, name);
	kft__buf_puts(b, "\" data-status=\"");
	kft__dash_puts_html(b, kft_job_status(job));
	kft__buf_puts(b, "\" data-runtime=\"");
	kft__dash_puts_html(b, rt ? rt : "");
	put_two(b, "\"><td class=\"name\"><a href=\"/jobs/", name, "\">", name, "</a>");
	if (history)
		kft__buf_puts(b, " <span class=\"tag\" title=\"deleted from the cluster; kept in the "
		                 "history\">history</span>");
	kft__buf_puts(b, "</td><td>");
	kft__dash_puts_html(b, rt ? rt : "-");
	kft__buf_puts(b, "</td><td>");
	put_status(b, kft_job_status(job));
	kft__buf_printf(b, "</td><td class=\"num\">%lld</td><td class=\"prog\">",
	                (long long)kft_job_num_nodes(job));
	put_progress(b, kft_job_progress_percent(job));
	kft__buf_puts(b, "</td><td class=\"num\">");
	if (eta >= 0 && kft_job_state(job) == KFT_JOB_RUNNING)
		kft__dash_put_duration(b, eta);
	else
		kft__buf_puts(b, "-");
	kft__buf_printf(b, "</td><td class=\"num age\" data-t=\"%lld\">", (long long)c);
	if (now_ms && c > 0)
		kft__dash_put_duration(b, (now_ms - c) / 1000);
	kft__buf_printf(b, "</td><td class=\"num dur\" data-s=\"%lld\" data-f=\"%lld\">",
	                (long long)s, (long long)f);
	if (now_ms && s > 0)
		kft__dash_put_duration(b, ((f > 0 ? f : now_ms) - s) / 1000);
	kft__buf_puts(b, "</td></tr>\n");
}

static int matches(const kft__dash_entry *e, const kft__dash_filter *f)
{
	const kft_job_t *j = e->job;

	if (f->status && *f->status && strcasecmp(f->status, kft_job_status(j)))
		return 0;
	if (f->runtime && *f->runtime && !kft__streq(f->runtime, kft_job_runtime(j)))
		return 0;
	if (f->q && *f->q && !strstr(kft_job_name(j), f->q))
		return 0;
	return 1;
}

static void option(kft__buf *b, const char *value, const char *label, const char *selected)
{
	kft__buf_puts(b, "<option value=\"");
	kft__dash_puts_html(b, value);
	kft__buf_puts(b, kft__streq(value, selected) ? "\" selected>" : "\">");
	kft__dash_puts_html(b, label);
	kft__buf_puts(b, "</option>");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int kft__dash_page_index(kft__buf *b, kft__dash *d, const kft__dash_filter *f)
{
	kft__dash_snap *s = kft__dash_snap_get(d);
	const char **rts = NULL;
	size_t i, shown = 0, nmatch = 0, nrt = 0, counts[5] = { 0 };
	int64_t now = kft__now_ms();
	char *err = NULL;
	int st;

	head(b, d, "Jobs", "index");
	pthread_mutex_lock(&d->lock);
	if (d->list_error)
		err = kft__strdup(d->list_error);
	pthread_mutex_unlock(&d->lock);
	if (err) {
		kft__buf_puts(b, "<p class=\"error\">Cannot read the job list: ");
		kft__dash_puts_html(b, err);
		kft__buf_puts(b, "</p>\n");
		free(err);
	}
	if (s && s->n && !(rts = kft__calloc(s->n, sizeof(char *)))) {
		kft__dash_snap_put(d, s);
		return kft__error_oom();
	}
	for (i = 0; s && i < s->n; i++) {
		const char *rt = kft_job_runtime(s->v[i].job);

		if ((st = kft_job_state(s->v[i].job)) >= 0 && st < 5)
			counts[st]++;
		if (rt && *rt)
			rts[nrt++] = rt;
	}
	if (nrt)
		qsort(rts, nrt, sizeof(char *), cmp_str);
	kft__buf_printf(b, "<section class=\"summary\" id=\"summary\" data-gen=\"%llu\">"
	                "<span class=\"chip total\">Jobs <b id=\"n-total\">%zu</b></span>",
	                (unsigned long long)(s ? s->gen : 0), s ? s->n : 0);
	for (st = 0; st < 5; st++)
		kft__buf_printf(b, "<span class=\"chip s-%s\">%s <b id=\"n-%s\">%zu</b></span>",
		                kft_job_state_name(st), kft_job_state_name(st), kft_job_state_name(st),
		                counts[st]);
	kft__buf_puts(b, "</section>\n<form class=\"filters\" method=\"get\" action=\"/\">"
	                 "<select name=\"status\" id=\"f-status\">");
	option(b, "", "All statuses", f->status ? f->status : "");
	for (st = 0; st < 5; st++)
		option(b, kft_job_state_name(st), kft_job_state_name(st), f->status);
	kft__buf_puts(b, "</select><select name=\"runtime\" id=\"f-runtime\">");
	option(b, "", "All runtimes", f->runtime ? f->runtime : "");
	for (i = 0; i < nrt; i++)
		if (i == 0 || strcmp(rts[i], rts[i - 1]))
			option(b, rts[i], rts[i], f->runtime);
	free(rts);
	kft__buf_puts(b, "</select><input type=\"search\" name=\"q\" id=\"f-q\" "
	                 "placeholder=\"Filter by name\" value=\"");
	kft__dash_puts_html(b, f->q ? f->q : "");
	kft__buf_puts(b, "\"><button type=\"submit\">Filter</button></form>\n"
	                 "<table class=\"jobs\" id=\"jobs\"><thead><tr><th>Name</th><th>Runtime</th>"
	                 "<th>Status</th><th>Nodes</th><th>Progress</th><th>ETA</th><th>Age</th>"
	                 "<th>Duration</th></tr></thead>\n<tbody id=\"rows\">\n");
	for (i = 0; s && i < s->n; i++) {
		if (!matches(&s->v[i], f))
			continue;
		nmatch++;
		if (shown < f->limit) {
			kft__dash_row(b, s->v[i].job, s->v[i].history, now);
			shown++;
		}
	}
	kft__buf_puts(b, "</tbody></table>\n");
	if (s && s->n == 0)
		kft__buf_puts(b, "<p class=\"empty\" id=\"empty\">No jobs yet. Start one with "
		                 "<code>kft train</code>.</p>\n");
	kft__buf_printf(b, "<p class=\"count\" id=\"count\" data-limit=\"%zu\">%zu of %zu jobs "
	                "shown</p>\n", f->limit, shown, nmatch);
	foot(b);
	kft__dash_snap_put(d, s);
	return b->oom ? kft__error_oom() : 0;
}

/* ---- one job ---- */

static void section(kft__buf *b, const char *id, const char *title)
{
	kft__buf_printf(b, "<section class=\"card\" id=\"%s\"><h2>%s</h2>\n", id, title);
}

static void action_form(kft__buf *b, kft__dash *d, const char *name, const char *action,
                        const char *label, int confirm, const char *cls)
{
	kft__buf_puts(b, "<form method=\"post\" action=\"/jobs/");
	kft__dash_puts_html(b, name);
	kft__buf_printf(b, "/%s\"><input type=\"hidden\" name=\"csrf\" value=\"%s\">", action,
	                d->csrf);
	if (confirm)
		kft__buf_puts(b, "<input type=\"hidden\" name=\"confirm\" value=\"1\">");
	kft__buf_printf(b, "<button type=\"submit\" class=\"%s\">%s</button></form>", cls, label);
}

static void put_kv(kft__buf *b, const char *k, const char *v)
{
	kft__buf_printf(b, "<dt>%s</dt><dd>", k);
	kft__dash_puts_html(b, v && *v ? v : "-");
	kft__buf_puts(b, "</dd>");
}

static void put_job_summary(kft__buf *b, kft__dash *d, const kft_job_t *job, int history)
{
	const char *name = kft_job_name(job);
	int st = kft_job_state(job);
	int64_t s = kft_job_started_ms(job), f = kft_job_finished_ms(job);
	char nodes[32];

	kft__buf_puts(b, "<div class=\"title\"><h1>");
	kft__dash_puts_html(b, name);
	kft__buf_puts(b, "</h1>");
	put_status(b, kft_job_status(job));
	if (history)
		kft__buf_puts(b, " <span class=\"tag\">history</span>");
	kft__buf_puts(b, "<div class=\"actions\">");
	if (!history) {
		if (st == KFT_JOB_RUNNING || st == KFT_JOB_CREATED)
			action_form(b, d, name, "suspend", "Suspend", 0, "btn");
		if (st == KFT_JOB_SUSPENDED)
			action_form(b, d, name, "resume", "Resume", 0, "btn");
		action_form(b, d, name, "delete", "Delete", 0, "btn danger");
	}
	kft__buf_puts(b, "</div></div>\n");
	if (history)
		kft__buf_puts(b, "<p class=\"notice\">This TrainJob is no longer on the cluster; "
		                 "what the dashboard recorded is shown.</p>\n");
	section(b, "summary", "Status");
	kft__buf_puts(b, "<dl class=\"kv\">");
	put_kv(b, "Status", kft_job_status(job));
	put_kv(b, "Reason", kft_job_reason(job));
	put_kv(b, "Message", kft_job_message(job));
	put_kv(b, "Runtime", kft_job_runtime(job));
	put_kv(b, "Backend", kft_job_backend(job));
	if (kft_job_namespace(job))
		put_kv(b, "Namespace", kft_job_namespace(job));
	snprintf(nodes, sizeof(nodes), "%lld", (long long)kft_job_num_nodes(job));
	put_kv(b, "Nodes", nodes);
	kft__buf_puts(b, "<dt>Created</dt><dd>");
	put_time(b, kft_job_created_ms(job));
	kft__buf_puts(b, "</dd><dt>Started</dt><dd>");
	put_time(b, s);
	kft__buf_puts(b, "</dd><dt>Finished</dt><dd>");
	put_time(b, f);
	kft__buf_printf(b, "</dd><dt>Duration</dt><dd class=\"dur\" data-s=\"%lld\" data-f=\"%lld\">",
	                (long long)s, (long long)f);
	if (s > 0)
		kft__dash_put_duration(b, ((f > 0 ? f : kft__now_ms()) - s) / 1000);
	else
		kft__buf_puts(b, "-");
	kft__buf_puts(b, "</dd><dt>Progress</dt><dd>");
	put_progress(b, kft_job_progress_percent(job));
	kft__buf_puts(b, "</dd><dt>ETA</dt><dd>");
	kft__dash_put_duration(b, st == KFT_JOB_RUNNING ? kft_job_eta_seconds(job) : -1);
	kft__buf_puts(b, "</dd></dl></section>\n");
}

/* ---- charts ---- */

#define MAX_SERIES 32
#define MAX_POINTS 200000

int kft__dash_series_add(kft__dash_series_set *set, const char *name, double t, double v)
{
	kft__dash_series *s = NULL;
	size_t i;

	for (i = set->n; i > 0 && !s; i--)
		if (!strcmp(set->v[i - 1].name, name))
			s = &set->v[i - 1];
	if (!s) {
		kft__dash_series *nv;

		if (set->n >= MAX_SERIES)
			return 0;   /* bounded: the rest is not drawn */
		if (!(nv = kft__realloc(set->v, (set->n + 1) * sizeof(*nv))))
			return kft__error_oom();
		set->v = nv;
		s = &set->v[set->n];
		memset(s, 0, sizeof(*s));
		if (!(s->name = kft__strdup(name)))
			return kft__error_oom();
		set->n++;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		double *t2, *v2;

		if (s->n >= MAX_POINTS)
			return 0;
		if (!(t2 = kft__realloc(s->t, cap * sizeof(double))))
			return kft__error_oom();
		s->t = t2;
		if (!(v2 = kft__realloc(s->v, cap * sizeof(double))))
			return kft__error_oom();
		s->v = v2;
		s->cap = cap;
	}
	s->t[s->n] = t;
	s->v[s->n++] = v;
	return 0;
}

void kft__dash_series_free(kft__dash_series_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		free(set->v[i].name);
		free(set->v[i].t);
		free(set->v[i].v);
	}
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

static void put_num(kft__buf *b, double v)
{
	kft__buf_printf(b, fabs(v) >= 1e5 || (v != 0 && fabs(v) < 1e-3) ? "%.3g" : "%.4g", v);
}

/* One metric over time as an SVG line chart (at most ~600 points drawn). */
static void put_chart(kft__buf *b, const kft__dash_series *s)
{
	const double W = 420, H = 170, L = 52, R = 10, T = 10, Bm = 24;
	double t0 = s->t[0], t1 = s->t[s->n - 1], lo = s->v[0], hi = s->v[0];
	size_t i, step = s->n > 600 ? s->n / 600 : 1;
	int by_index = 0;

	for (i = 0; i < s->n; i++) {
		if (s->v[i] < lo)
			lo = s->v[i];
		if (s->v[i] > hi)
			hi = s->v[i];
	}
	if (hi == lo) {
		hi += 1;
		lo -= 1;
	}
	if (t1 <= t0) {
		/* no usable times: one step per point */
		by_index = 1;
		t0 = 0;
		t1 = s->n > 1 ? (double)(s->n - 1) : 1;
	}
	put_two(b, "<div class=\"chart\" data-metric=\"", s->name, "\"><h3>", s->name,
	        " \xc2\xb7 last <b>");
	put_num(b, s->v[s->n - 1]);
	kft__buf_printf(b, "</b></h3><svg viewBox=\"0 0 %g %g\" role=\"img\" "
	                "xmlns=\"http://www.w3.org/2000/svg\">", W, H);
	/* grid and axes */
	kft__buf_printf(b, "<g stroke=\"#e3e6eb\" stroke-width=\"1\"><line x1=\"%g\" y1=\"%g\" "
	                "x2=\"%g\" y2=\"%g\"/><line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\"/>"
	                "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\"/></g>",
	                L, T, W - R, T, L, (T + H - Bm) / 2, W - R, (T + H - Bm) / 2,
	                L, H - Bm, W - R, H - Bm);
	kft__buf_printf(b, "<g fill=\"#6b7385\" font-size=\"10\" font-family=\"sans-serif\">"
	                "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">", L - 6, T + 4);
	put_num(b, hi);
	kft__buf_printf(b, "</text><text x=\"%g\" y=\"%g\" text-anchor=\"end\">", L - 6,
	                H - Bm + 3);
	put_num(b, lo);
	kft__buf_printf(b, "</text><text x=\"%g\" y=\"%g\">start</text>"
	                "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">+", L, H - 8, W - R, H - 8);
	if (by_index)
		kft__buf_printf(b, "%zu updates", s->n);
	else
		kft__dash_put_duration(b, (int64_t)((t1 - t0) / 1000));
	kft__buf_puts(b, "</text></g><polyline fill=\"none\" stroke=\"#3b6fd8\" "
	                 "stroke-width=\"1.8\" stroke-linejoin=\"round\" points=\"");
	for (i = 0; i < s->n; i += step) {
		size_t k = i + step >= s->n ? s->n - 1 : i;

		kft__buf_printf(b, "%.1f,%.1f ", L + ((by_index ? (double)k : s->t[k]) - t0) /
		                (t1 - t0) * (W - L - R),
		                (H - Bm) - (s->v[k] - lo) / (hi - lo) * (H - Bm - T));
		if (k == s->n - 1)
			break;
	}
	kft__buf_puts(b, "\"/></svg></div>");
}

static void put_metrics(kft__buf *b, const kft_job_t *job, const kft__dash_series_set *hist)
{
	size_t i, n = kft_job_metric_count(job);

	section(b, "metrics", "Metrics");
	if (!n && !(hist && hist->n)) {
		kft__buf_puts(b, "<p class=\"muted\">No metrics reported (training code reports them "
		                 "through the progress protocol).</p></section>\n");
		return;
	}
	kft__buf_puts(b, "<div class=\"gauges\">");
	for (i = 0; i < n; i++) {
		put_two(b, "<div class=\"gauge\"><span class=\"gname\">",
		        kft_metric_name(kft_job_metric_at(job, i)), "</span><span class=\"gval\">",
		        kft_metric_value(kft_job_metric_at(job, i)), "</span></div>");
	}
	kft__buf_puts(b, "</div>");
	if (hist && hist->n) {
		kft__buf_puts(b, "<div class=\"charts\">");
		for (i = 0; i < hist->n; i++)
			if (hist->v[i].n)
				put_chart(b, &hist->v[i]);
		kft__buf_puts(b, "</div>");
	}
	kft__buf_puts(b, "</section>\n");
}

static void put_steps(kft__buf *b, const kft_job_t *job)
{
	size_t i, n = kft_job_step_count(job);

	section(b, "steps", "Steps");
	kft__buf_puts(b, "<table class=\"steps\"><thead><tr><th>Step</th><th>Status</th>"
	                 "<th>Exit code</th><th>Reason</th><th>Target</th></tr></thead><tbody>");
	for (i = 0; i < n; i++) {
		const kft_step_t *st = kft_job_step_at(job, i);
		int code = kft_step_exit_code(st), sig = kft_step_signal(st);

		kft__buf_puts(b, "<tr><td>");
		kft__dash_puts_html(b, kft_step_name(st));
		kft__buf_puts(b, "</td><td>");
		put_status(b, kft_step_status(st));
		kft__buf_puts(b, "</td><td class=\"num\">");
		if (code >= 0)
			kft__buf_printf(b, "%d", code);
		else if (sig > 0)
			kft__buf_printf(b, "signal %d", sig);
		else
			kft__buf_puts(b, "-");
		kft__buf_puts(b, "</td><td>");
		kft__dash_puts_html(b, kft_step_reason(st) ? kft_step_reason(st) : "-");
		kft__buf_puts(b, "</td><td><code>");
		kft__dash_puts_html(b, kft_step_target(st) ? kft_step_target(st) : "-");
		kft__buf_puts(b, "</code></td></tr>");
	}
	if (!n)
		kft__buf_puts(b, "<tr><td colspan=\"5\" class=\"muted\">No steps.</td></tr>");
	kft__buf_puts(b, "</tbody></table></section>\n");
}

static void put_events(kft__buf *b, const kft_event_list_t *ev)
{
	size_t i, n = ev ? kft_event_list_count(ev) : 0;

	section(b, "events", "Events");
	kft__buf_puts(b, "<table class=\"events\"><thead><tr><th>Time</th><th>Type</th>"
	                 "<th>Object</th><th>Reason</th><th>Message</th></tr></thead><tbody>");
	for (i = 0; i < n; i++) {
		const kft_event_t *e = kft_event_list_at(ev, i);

		kft__buf_puts(b, "<tr><td class=\"nowrap\">");
		put_time(b, kft_event_time_ms(e));
		put_two(b, "</td><td>", kft_event_type(e), "</td><td>", kft_event_kind(e), "/");
		put_two(b, "", kft_event_object(e), "</td><td>", kft_event_reason(e), "</td><td>");
		kft__dash_puts_html(b, kft_event_message(e));
		kft__buf_puts(b, "</td></tr>");
	}
	if (!n)
		kft__buf_puts(b, "<tr><td colspan=\"5\" class=\"muted\">No events.</td></tr>");
	kft__buf_puts(b, "</tbody></table></section>\n");
}

static void put_logs(kft__buf *b, const kft_job_t *job)
{
	size_t i;

	section(b, "logs", "Logs");
	kft__buf_puts(b, "<p class=\"muted\" id=\"log-state\">Connecting\xe2\x80\xa6</p>");
	for (i = 0; i < kft_job_step_count(job); i++) {
		put_two(b, "<details open class=\"log\"><summary>",
		        kft_step_name(kft_job_step_at(job, i)), "</summary><pre class=\"log\" data-step=\"",
		        kft_step_name(kft_job_step_at(job, i)), "\"></pre></details>");
	}
	kft__buf_puts(b, "<div id=\"log-more\"></div></section>\n");
}

static void put_pre(kft__buf *b, const char *id, const char *title, const char *text)
{
	kft__buf_printf(b, "<section class=\"card\" id=\"%s\"><details><summary><h2>%s</h2>"
	                "</summary><pre class=\"yaml\">", id, title);
	kft__dash_puts_html(b, text ? text : "");
	kft__buf_puts(b, "</pre></details></section>\n");
}

/* The metrics history: the backend's (local, container), else what the dashboard recorded. */
static void load_series(kft__dash_series_set *set, kft__dash *d, const char *name, int history)
{
	kft_metrics_history_t *h = NULL;
	size_t i, j;
	int error = KFT_ENOTSUPPORTED;

	if (!history) {
		pthread_mutex_lock(&d->client_lock);
		error = kft_get_metrics_history(&h, d->client, name);
		pthread_mutex_unlock(&d->client_lock);
	}
	if (error == KFT_ENOTSUPPORTED || (error < 0 && history)) {
		if (d->hist)
			kft__dash_history_series(set, d->hist, name);
		return;
	}
	for (i = 0; h && i < kft_metrics_history_count(h); i++) {
		const kft_trainer_status_t *ts = kft_metrics_history_at(h, i);
		double t = (double)kft_trainer_status_time_ms(ts), v;
		char *end;

		if (kft_trainer_status_percent(ts) >= 0)
			kft__dash_series_add(set, "progress (%)", t,
			                     (double)kft_trainer_status_percent(ts));
		for (j = 0; j < kft_trainer_status_metric_count(ts); j++) {
			const char *val = kft_metric_value(kft_trainer_status_metric_at(ts, j));
			const char *n = kft_metric_name(kft_trainer_status_metric_at(ts, j));

			if (!val || !n)
				continue;
			v = strtod(val, &end);
			if (end != val && !*end && isfinite(v))
				kft__dash_series_add(set, n, t, v);
		}
	}
	kft_metrics_history_free(h);
}

/* Names whose values are never shown (environment variables of a TrainJob or a plan). */
static int secret_name(const char *n)
{
	static const char *const words[] = { "TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY",
	                                     "CREDENTIAL", "AUTH", "COOKIE", "SESSION" };
	char up[256];
	size_t i;

	for (i = 0; n[i] && i < sizeof(up) - 1; i++)
		up[i] = (char)(n[i] >= 'a' && n[i] <= 'z' ? n[i] - 32 : n[i]);
	up[i] = '\0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(up, words[i]))
			return 1;
	return 0;
}

void kft__dash_redact(cJSON *doc)
{
	cJSON *c, *v;

	if (!cJSON_IsObject(doc) && !cJSON_IsArray(doc))
		return;
	if (cJSON_IsObject(doc)) {
		const char *n = kft__json_str(doc, "name");

		/* {name: FOO_TOKEN, value: ...} (TrainJob env) */
		if (n && secret_name(n) && cJSON_IsString(v = cJSON_GetObjectItem(doc, "value")))
			cJSON_ReplaceItemInObject(doc, "value", cJSON_CreateString("(redacted)"));
		/* env: {FOO_TOKEN: ...} (plan) */
		if (cJSON_IsObject(v = cJSON_GetObjectItem(doc, "env")))
			cJSON_ArrayForEach(c, v)
				if (c->string && secret_name(c->string) && cJSON_IsString(c))
					cJSON_SetValuestring(c, "(redacted)");
		/* kubectl's copy of the whole object, env values included */
		if (cJSON_IsObject(v = cJSON_GetObjectItem(doc, "annotations")))
			cJSON_DeleteItemFromObject(v, "kubectl.kubernetes.io/last-applied-configuration");
	}
	cJSON_ArrayForEach(c, doc)
		kft__dash_redact(c);
}

/* The TrainJob or plan as YAML, secrets redacted; NULL when the backend has none. */
static char *manifest_yaml(kft__dash *d, const char *name, int what)
{
	char *json = NULL, *yaml = NULL;
	cJSON *doc;

	pthread_mutex_lock(&d->client_lock);
	if (kft_get_job_manifest(&json, d->client, name, what, &kft__dash_json) < 0)
		json = NULL;
	pthread_mutex_unlock(&d->client_lock);
	if (!json || !(doc = cJSON_Parse(json))) {
		kft_free(json);
		return NULL;
	}
	kft_free(json);
	kft__dash_redact(doc);
	if (kft__render_doc(&yaml, doc, KFT_FORMAT_YAML) < 0)
		yaml = NULL;
	cJSON_Delete(doc);
	return yaml;
}

/* status.conditions of the TrainJob (kubernetes); else the job's own status as one row. */
static void put_conditions(kft__buf *b, const kft_job_t *job, const char *tj_yaml)
{
	cJSON *doc = NULL;
	const cJSON *c, *conds = NULL;
	size_t n = 0;

	if (tj_yaml && kft__yaml_parse(&doc, tj_yaml, strlen(tj_yaml), "TrainJob") == 0 &&
	    !cJSON_IsArray(conds = kft__json_path(doc, "status.conditions")))
		conds = NULL;
	section(b, "conditions", "Conditions");
	kft__buf_puts(b, "<table class=\"conditions\"><thead><tr><th>Type</th><th>Status</th>"
	                 "<th>Reason</th><th>Message</th><th>Last transition</th></tr></thead>"
	                 "<tbody>");
	cJSON_ArrayForEach(c, conds) {
		const char *f[] = { "type", "status", "reason", "message", "lastTransitionTime" };
		size_t i;

		kft__buf_puts(b, "<tr>");
		for (i = 0; i < 5; i++) {
			const char *v = kft__json_str(c, f[i]);

			kft__buf_puts(b, i == 4 ? "<td class=\"nowrap\">" : "<td>");
			kft__dash_puts_html(b, v && *v ? v : "-");
			kft__buf_puts(b, "</td>");
		}
		kft__buf_puts(b, "</tr>");
		n++;
	}
	if (!n) {
		int64_t t = kft_job_finished_ms(job) ? kft_job_finished_ms(job) :
		            kft_job_started_ms(job) ? kft_job_started_ms(job) : kft_job_created_ms(job);

		kft__buf_puts(b, "<tr><td>");
		kft__dash_puts_html(b, kft_job_status(job));
		kft__buf_puts(b, "</td><td>True</td><td>");
		kft__dash_puts_html(b, kft_job_reason(job) ? kft_job_reason(job) : "-");
		kft__buf_puts(b, "</td><td>");
		kft__dash_puts_html(b, kft_job_message(job) ? kft_job_message(job) : "-");
		kft__buf_puts(b, "</td><td class=\"nowrap\">");
		put_time(b, t);
		kft__buf_puts(b, "</td></tr>");
	}
	kft__buf_puts(b, "</tbody></table></section>\n");
	cJSON_Delete(doc);
}

int kft__dash_page_job(kft__buf *b, kft__dash *d, const char *name)
{
	kft__dash_snap *s = kft__dash_snap_get(d);
	const kft__dash_entry *e = kft__dash_snap_find(s, name);
	int history = e ? e->history : 0, error = 0;
	unsigned long long gen = s ? (unsigned long long)s->gen : 0;
	kft_job_t *job = NULL;
	kft_event_list_t *ev = NULL;
	kft__dash_series_set series = { NULL, 0 };
	char *yaml = NULL, *tj = NULL, *plan = NULL;

	kft__dash_snap_put(d, s);
	if (history) {
		error = kft__dash_history_job(&job, d->hist, name);
		if (!error)
			kft__dash_history_events(&ev, d->hist, name);
	} else {
		pthread_mutex_lock(&d->client_lock);
		error = kft_get_job(&job, d->client, name);
		if (!error && kft_get_events(&ev, d->client, name) < 0)
			ev = NULL;
		pthread_mutex_unlock(&d->client_lock);
		if (error == KFT_ENOTFOUND && d->hist)
			error = kft__dash_history_job(&job, d->hist, name), history = 1;
	}
	if (error < 0) {
		kft_event_list_free(ev);
		if (error == KFT_ENOTFOUND || error == KFT_EINVALID)
			return KFT_ENOTFOUND;
		kft__dash_page_error(b, 502, kft_error_last()->message);
		return 0;
	}
	if (kft_job_render(&yaml, job, NULL) < 0)   /* YAML */
		yaml = NULL;
	load_series(&series, d, name, history);
	if (!history) {
		tj = manifest_yaml(d, name, KFT_MANIFEST_TRAINJOB);
		plan = manifest_yaml(d, name, KFT_MANIFEST_PLAN);
	} else if (d->hist) {
		tj = kft__dash_history_manifest(d->hist, name);
	}
	head(b, d, name, "job");
	kft__buf_puts(b, "<div class=\"job\" id=\"job\" data-name=\"");
	kft__dash_puts_html(b, name);
	kft__buf_printf(b, "\" data-history=\"%d\" data-gen=\"%llu\">\n", history, gen);
	put_job_summary(b, d, job, history);
	put_conditions(b, job, tj);
	put_metrics(b, job, &series);
	put_steps(b, job);
	put_events(b, ev);
	put_logs(b, job);
	if (tj)
		put_pre(b, "trainjob", "TrainJob (YAML)", tj);
	if (plan)
		put_pre(b, "plan", "Plan (YAML)", plan);
	put_pre(b, "record", "Job record (YAML)", yaml);
	kft__buf_puts(b, "</div>\n");
	foot(b);
	kft_free(yaml);
	kft_free(tj);
	kft_free(plan);
	kft__dash_series_free(&series);
	kft_event_list_free(ev);
	kft_job_free(job);
	return b->oom ? kft__error_oom() : 0;
}

int kft__dash_page_confirm(kft__buf *b, kft__dash *d, const char *name, const char *action)
{
	head(b, d, action, "confirm");
	kft__buf_puts(b, "<section class=\"card confirm\"><h1>");
	kft__buf_puts(b, !strcmp(action, "delete") ? "Delete" :
	                 !strcmp(action, "suspend") ? "Suspend" : "Resume");
	kft__buf_puts(b, " TrainJob <code>");
	kft__dash_puts_html(b, name);
	kft__buf_puts(b, "</code>?</h1><p>");
	kft__buf_puts(b, !strcmp(action, "delete") ?
	                 "Every step is stopped and the job is deleted." :
	                 !strcmp(action, "suspend") ? "Running steps are stopped; the job can be "
	                 "resumed later." : "The job starts again.");
	kft__buf_puts(b, "</p><div class=\"actions\">");
	action_form(b, d, name, action, !strcmp(action, "delete") ? "Delete" :
	            !strcmp(action, "suspend") ? "Suspend" : "Resume", 1,
	            !strcmp(action, "delete") ? "btn danger" : "btn");
	kft__buf_puts(b, "<a class=\"btn\" href=\"/jobs/");
	kft__dash_puts_html(b, name);
	kft__buf_puts(b, "\">Cancel</a></div></section>\n");
	foot(b);
	return b->oom ? kft__error_oom() : 0;
}

void kft__dash_page_error(kft__buf *b, int http_status, const char *message)
{
	head(b, NULL, "Error", "error");
	kft__buf_printf(b, "<section class=\"card\"><h1>Error %d</h1><p class=\"error\">",
	                http_status);
	kft__dash_puts_html(b, message ? message : "error");
	kft__buf_puts(b, "</p><p><a href=\"/\">All jobs</a></p></section>\n");
	foot(b);
}
