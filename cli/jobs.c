/*
 * Commands over a selection of jobs: kft list (filters, newest first, AGE,
 * DURATION and PROGRESS, --watch) and kft delete (names, or --all / --status /
 * --older-than, asking once on a terminal). SPDX-License-Identifier: Apache-2.0
 */
#include "kft.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

unsigned int cli_status_mask(const char *list)
{
	unsigned int mask = 0;
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ",");
		char name[32];
		int st;

		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), p);
		if (kft_job_state_parse(&st, name) == 0)
			mask |= KFT_WANT(st);
		p += n + (p[n] == ',');
	}
	return mask;
}

/*
 * Label selectors, the equality forms of kubectl's -l: "k=v", "k==v", "k!=v",
 * "k" (has the label), "!k" (has not), joined by ','; all must hold.
 * req: one requirement (len bytes); match: NULL to check the syntax only.
 */
static int requirement(const char *req, size_t len, const kft_job_t *job, const char *flag)
{
	char key[256], val[256];
	const char *op = NULL, *v;
	size_t k, klen, oplen = 0;
	int neg = 0, has;

	while (len && *req == ' ')
		req++, len--;
	while (len && req[len - 1] == ' ')
		len--;
	for (k = 0; k < len && !op; k++)
		if (req[k] == '!' && k + 1 < len && req[k + 1] == '=')
			op = req + k, oplen = 2, neg = 1;
		else if (req[k] == '=')
			op = req + k, oplen = k + 1 < len && req[k + 1] == '=' ? 2 : 1;
	if (!op && len && req[0] == '!')
		neg = 1, req++, len--;
	klen = op ? (size_t)(op - req) : len;
	while (klen && req[klen - 1] == ' ')
		klen--;
	v = op ? op + oplen : NULL;
	while (v && *v == ' ' && v < req + len)
		v++;
	if (klen == 0 || klen >= sizeof(key) || (v && (size_t)(req + len - v) >= sizeof(val)) ||
	    memchr(req, '(', len) || memchr(req, ' ', klen)) {
		if (flag)
			fprintf(stderr, "kft: --%s: \"%.*s\": expected KEY=VALUE, KEY!=VALUE, KEY or !KEY "
			        "(requirements joined by ',')\n", flag, (int)len, req);
		return -1;
	}
	if (!job)
		return 1;
	memcpy(key, req, klen);
	key[klen] = '\0';
	if (v) {
		memcpy(val, v, (size_t)(req + len - v));
		val[req + len - v] = '\0';
	}
	has = kft_job_label(job, key) != NULL;
	if (!v)
		return neg ? !has : has;
	has = has && !strcmp(kft_job_label(job, key), val);
	return neg ? !has : has;
}

/* Every requirement of sel on job (job NULL: the syntax only; flag: say what is wrong). */
static int selector(const char *sel, const kft_job_t *job, const char *flag)
{
	for (;;) {
		size_t n = strcspn(sel, ",");
		int r = requirement(sel, n, job, flag);

		if (r <= 0)
			return r;
		if (sel[n] != ',')
			return 1;
		sel += n + 1;
	}
}

int cli_selector_check(const char *flag, const char *sel)
{
	return selector(sel, NULL, flag) < 0 ? -1 : 0;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const kft_job_list_t *sort_list;

/* newest first; equal times by name, so the order is stable */
static int newest_first(const void *a, const void *b)
{
	const kft_job_t *x = kft_job_list_at(sort_list, *(const size_t *)a);
	const kft_job_t *y = kft_job_list_at(sort_list, *(const size_t *)b);

	if (kft_job_created_ms(x) != kft_job_created_ms(y))
		return kft_job_created_ms(x) < kft_job_created_ms(y) ? 1 : -1;
	return strcmp(kft_job_name(x), kft_job_name(y));
}

int cli_select_jobs(kft_job_list_t **list, size_t **idx, size_t *n, kft_client_t *c,
                    const cli_jobsel *sel)
{
	int64_t now = wall_ms();
	size_t k, m = 0;

	*idx = NULL;
	*n = 0;
	if ((sel->v1 ? kft_list_v1_jobs(list, c) : kft_list_jobs(list, c, sel->runtime)) < 0)
		return cli_error("cannot list the jobs");
	if ((*idx = calloc(kft_job_list_count(*list) + 1, sizeof(**idx))) == NULL) {
		kft_job_list_free(*list);
		*list = NULL;
		fprintf(stderr, "kft: out of memory\n");
		return EXIT_ERR;
	}
	for (k = 0; k < kft_job_list_count(*list); k++) {
		const kft_job_t *j = kft_job_list_at(*list, k);

		if (sel->status && !(sel->status & KFT_WANT(kft_job_state(j))))
			continue;
		/* an unknown creation time is never "old enough" */
		if (sel->older_than_ms > 0 && (kft_job_created_ms(j) <= 0 ||
		                               now - kft_job_created_ms(j) < sel->older_than_ms))
			continue;
		if (sel->selector && selector(sel->selector, j, NULL) != 1)
			continue;
		(*idx)[m++] = k;
	}
	sort_list = *list;
	qsort(*idx, m, sizeof(**idx), newest_first);
	sort_list = NULL;
	*n = sel->limit >= 0 && (size_t)sel->limit < m ? (size_t)sel->limit : m;
	return 0;
}

/* ---------------- list ---------------- */

typedef struct {
	cli_jobsel sel;
	int watch;
} list_flags;

enum { L_RUNTIME, L_STATUS, L_LIMIT, L_WATCH, L_SELECTOR, L_V1 };

static int list_set(void *ctx, const cli_flag *f, const char *v)
{
	list_flags *l = ctx;

	switch (f->id) {
	case L_RUNTIME: l->sel.runtime = v; return 0;
	case L_STATUS: l->sel.status |= cli_status_mask(v); return 0;
	case L_LIMIT: return cli_parse_ll(&l->sel.limit, f, v, 1);
	case L_WATCH: l->watch = 1; return 0;
	case L_SELECTOR: l->sel.selector = v; return cli_selector_check(f->name, v);
	case L_V1: l->sel.v1 = 1; return 0;
	}
	return -1;
}

static const cli_flag list_flag_table[] = {
	{ "runtime", 0, "NAME", "only jobs of this runtime", CLI_COMP_RUNTIME, NULL, 0, L_RUNTIME },
	{ "status", 0, "STATUS,...", "only jobs in these statuses (Created, Suspended, Running,\n"
	  "Complete, Failed)", CLI_COMP_ENUM, CLI_STATUS_VALUES, CLI_F_LIST, L_STATUS },
	{ "selector", 'l', "SELECTOR", "only jobs whose labels match: k=v, k!=v, k, !k, joined\n"
	  "by ',' (all must hold)", 0, NULL, 0, L_SELECTOR },
	{ "limit", 0, "N", "the N newest jobs only", 0, NULL, 0, L_LIMIT },
	{ "watch", 'w', NULL, "after the list, print a job's row again whenever it changes\n"
	  "(status or progress) or appears, until interrupted", 0, NULL, 0, L_WATCH },
	{ "v1", 0, NULL, "kubernetes: Training Operator v1 jobs (PyTorchJob, TFJob, MPIJob,\n"
	  "...) instead of TrainJobs; kft get KIND/NAME shows one", 0, NULL, 0, L_V1 },
	{ NULL, 0, NULL, NULL, 0, NULL, 0, 0 }
};
const cli_group cli_list_group = { "Flags", NULL, list_flag_table, list_set };

typedef struct {
	char name[256], runtime[128], status[16], nodes[24], progress[16], age[32], duration[32];
} row;

static void make_row(row *r, const kft_job_t *j, int64_t now)
{
	int64_t started = kft_job_started_ms(j), finished = kft_job_finished_ms(j);

	snprintf(r->name, sizeof(r->name), "%s", kft_job_name(j));
	snprintf(r->runtime, sizeof(r->runtime), "%s", kft_job_runtime(j) ? kft_job_runtime(j) : "-");
	snprintf(r->status, sizeof(r->status), "%s", kft_job_status(j));
	snprintf(r->nodes, sizeof(r->nodes), "%lld", (long long)kft_job_num_nodes(j));
	if (kft_job_progress_percent(j) >= 0)
		snprintf(r->progress, sizeof(r->progress), "%lld%%",
		         (long long)kft_job_progress_percent(j));
	else
		strcpy(r->progress, "-");
	kft_duration_format(r->age, sizeof(r->age), kft_job_created_ms(j) > 0 ?
	                    now - kft_job_created_ms(j) : -1);
	kft_duration_format(r->duration, sizeof(r->duration), started <= 0 ? -1 :
	                    (finished > 0 ? finished : now) - started);
}

typedef struct {
	int name, runtime, status, nodes, progress, age;
} widths;

static void widen(widths *w, const row *r)
{
#define W(f) if ((int)strlen(r->f) > w->f) w->f = (int)strlen(r->f)
	W(name); W(runtime); W(status); W(nodes); W(progress); W(age);
#undef W
}

static void print_row(const widths *w, const row *r)
{
	printf("%-*s   %-*s   %-*s   %-*s   %-*s   %-*s   %s\n", w->name, r->name, w->runtime,
	       r->runtime, w->status, r->status, w->nodes, r->nodes, w->progress, r->progress,
	       w->age, r->age, r->duration);
}

/* JSON: an array of the jobs; YAML: a sequence of them. Text: a table. */
static int print_jobs(const kft_job_list_t *l, const size_t *idx, size_t n, widths *w, int head)
{
	static const row header = { "NAME", "RUNTIME", "STATUS", "NODES", "PROGRESS", "AGE",
	                            "DURATION" };
	int64_t now = wall_ms();
	size_t k;
	row *rows;

	if (G.output == KFT_FORMAT_JSON || G.output == KFT_FORMAT_YAML) {
		if (G.output == KFT_FORMAT_JSON && head)
			fputs("[", stdout);
		for (k = 0; k < n; k++) {
			char *s, *p;

			if (kft_job_render(&s, kft_job_list_at(l, idx[k]), cli_render_as(G.output)) < 0)
				return cli_error("render");
			if (G.output == KFT_FORMAT_JSON) {
				printf("%s%s%s", head && k ? "," : "", head ? "\n" : "", s);
			} else {
				/* each document becomes an item of one sequence */
				for (p = s; *p; ) {
					size_t len = strcspn(p, "\n");

					printf("%s%.*s\n", p == s ? "- " : "  ", (int)len, p);
					p += len + (p[len] == '\n');
				}
			}
			kft_free(s);
		}
		if (G.output == KFT_FORMAT_JSON && head)
			fputs("]\n", stdout);
		else if (G.output == KFT_FORMAT_YAML && head && n == 0)
			fputs("[]\n", stdout);
		fflush(stdout);
		return 0;
	}
	if ((rows = calloc(n + 1, sizeof(*rows))) == NULL)
		return EXIT_ERR;
	if (head)
		widen(w, &header);
	for (k = 0; k < n; k++) {
		make_row(&rows[k], kft_job_list_at(l, idx[k]), now);
		widen(w, &rows[k]);
	}
	if (head)
		print_row(w, &header);
	for (k = 0; k < n; k++)
		print_row(w, &rows[k]);
	fflush(stdout);
	free(rows);
	return 0;
}

/* What --watch compares: status and progress, by name. */
typedef struct {
	char **key;
	size_t n;
} seen;

static char *job_key(const kft_job_t *j)
{
	size_t len = strlen(kft_job_name(j)) + 48;
	char *k = malloc(len);

	if (k)
		snprintf(k, len, "%s\t%d\t%lld", kft_job_name(j), kft_job_state(j),
		         (long long)kft_job_progress_percent(j));
	return k;
}

static void seen_free(seen *s)
{
	size_t k;

	for (k = 0; k < s->n; k++)
		free(s->key[k]);
	free(s->key);
	s->key = NULL;
	s->n = 0;
}

static int seen_has(const seen *s, const char *key)
{
	size_t k;

	for (k = 0; k < s->n; k++)
		if (!strcmp(s->key[k], key))
			return 1;
	return 0;
}

static int seen_fill(seen *s, const kft_job_list_t *l)
{
	size_t k;

	seen_free(s);
	if ((s->key = calloc(kft_job_list_count(l) + 1, sizeof(*s->key))) == NULL)
		return -1;
	for (k = 0; k < kft_job_list_count(l); k++)
		if ((s->key[s->n] = job_key(kft_job_list_at(l, k))) != NULL)
			s->n++;
	return 0;
}

/* Sleep ms unless a signal comes first. */
static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (!cli_signal && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int watch(kft_client_t *c, const list_flags *lf, widths *w, kft_job_list_t *first)
{
	cli_jobsel sel = lf->sel;
	seen prev = { NULL, 0 };
	int rc = 0;

	sel.limit = -1;   /* --limit applies to the first list; then every change is shown */
	if (seen_fill(&prev, first) < 0)
		return EXIT_ERR;
	while (!cli_signal) {
		kft_job_list_t *l;
		size_t *idx, n, k, m = 0;

		pause_ms(1000);
		if (cli_signal)
			break;
		if ((rc = cli_select_jobs(&l, &idx, &n, c, &sel)) != 0)
			break;
		for (k = 0; k < n; k++) {   /* changed rows, oldest change last */
			char *key = job_key(kft_job_list_at(l, idx[k]));

			if (key && !seen_has(&prev, key))
				idx[m++] = idx[k];
			free(key);
		}
		for (k = 0; k < m / 2; k++) {   /* oldest first, as they happened */
			size_t t = idx[k];

			idx[k] = idx[m - 1 - k];
			idx[m - 1 - k] = t;
		}
		rc = print_jobs(l, idx, m, w, 0);
		if (rc == 0 && seen_fill(&prev, l) < 0)
			rc = EXIT_ERR;
		free(idx);
		kft_job_list_free(l);
		if (rc)
			break;
	}
	seen_free(&prev);
	return rc ? rc : cli_signal_exit();
}

int cli_cmd_list(const cli_command *cmd, int argc, char **argv)
{
	list_flags lf = { { NULL, 0, 0, -1, NULL, 0 }, 0 };
	widths w = { 0, 0, 9, 0, 8, 0 };   /* room for Suspended, PROGRESS */
	kft_client_t *c;
	kft_job_list_t *l;
	size_t *idx, n;
	cli_args a;
	int rc;

	PARSE(&a, cmd, argc, argv, &lf);
	if (lf.sel.v1 && lf.sel.runtime) {
		fprintf(stderr, "kft list: --v1 and --runtime cannot be combined\n");
		return EXIT_USAGE;
	}
	if ((rc = cli_open_client(&c)) != 0)
		return rc;
	if ((rc = cli_select_jobs(&l, &idx, &n, c, &lf.sel)) == 0) {
		rc = print_jobs(l, idx, n, &w, 1);
		if (rc == 0 && lf.watch)
			rc = watch(c, &lf, &w, l);
		free(idx);
		kft_job_list_free(l);
	}
	kft_client_free(c);
	return rc;
}

/* ---------------- delete ---------------- */

typedef struct {
	cli_jobsel sel;
	int keep, all, yes;
	long long grace;
	const char *propagation;
} delete_flags;

enum { D_KEEP, D_GRACE, D_PROPAGATION, D_ALL, D_STATUS, D_OLDER, D_YES, D_SELECTOR };

static int delete_set(void *ctx, const cli_flag *f, const char *v)
{
	delete_flags *d = ctx;

	switch (f->id) {
	case D_KEEP: d->keep = 1; return 0;
	case D_GRACE: return cli_parse_ll(&d->grace, f, v, 0);
	case D_PROPAGATION: d->propagation = v; return 0;
	case D_ALL: d->all = 1; return 0;
	case D_STATUS: d->sel.status |= cli_status_mask(v); return 0;
	case D_YES: d->yes = 1; return 0;
	case D_SELECTOR: d->sel.selector = v; return cli_selector_check(f->name, v);
	case D_OLDER: {
		int64_t ms;

		if (kft_duration_parse(&ms, v, strlen(v)) < 0) {
			fprintf(stderr, "kft: --%s: %s\n", f->name, kft_error_last()->message);
			return -1;
		}
		d->sel.older_than_ms = ms > 0 ? ms : 1;
		return 0;
	}
	}
	return -1;
}

static const cli_flag delete_flag_table[] = {
	{ "all", 0, NULL, "every job (narrowed by --status, --older-than and -l)", 0, NULL, 0,
	  D_ALL },
	{ "status", 0, "STATUS,...", "the jobs in these statuses (Created, Suspended, Running,\n"
	  "Complete, Failed)", CLI_COMP_ENUM, CLI_STATUS_VALUES, CLI_F_LIST, D_STATUS },
	{ "older-than", 0, "DURATION", "the jobs created at least this long ago (90s, 5m, 1h30m,\n"
	  "2d)", 0, NULL, 0, D_OLDER },
	{ "selector", 'l', "SELECTOR", "the jobs whose labels match: k=v, k!=v, k, !k, joined\n"
	  "by ',' (all must hold)", 0, NULL, 0, D_SELECTOR },
	{ "yes", 'y', NULL, "do not ask (on a terminal, a selection is confirmed once)", 0, NULL,
	  0, D_YES },
	{ "keep-state", 0, NULL, "local/container: keep records and logs", 0, NULL, 0, D_KEEP },
	{ "grace", 0, "SECONDS", "SIGTERM to SIGKILL delay (default 10)", 0, NULL, 0, D_GRACE },
	{ "propagation", 0, "P", "kubernetes: Foreground, Background or Orphan", CLI_COMP_ENUM,
	  "Foreground Background Orphan", CLI_F_OPEN, D_PROPAGATION },
	{ NULL, 0, NULL, NULL, 0, NULL, 0, 0 }
};
const cli_group cli_delete_group = { "Flags", NULL, delete_flag_table, delete_set };

/* On a terminal: "Delete N jobs (a, b, ...)? [y/N]" once. 1: go ahead. */
static int confirm(const kft_job_list_t *l, const size_t *idx, size_t n)
{
	char answer[16];
	size_t k;

	fprintf(stderr, "Delete %zu job%s (", n, n == 1 ? "" : "s");
	for (k = 0; k < n && k < 5; k++)
		fprintf(stderr, "%s%s", k ? ", " : "", kft_job_name(kft_job_list_at(l, idx[k])));
	fprintf(stderr, "%s)? [y/N] ", n > 5 ? ", ..." : "");
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin) || cli_signal) {
		fputs("\n", stderr);
		return 0;
	}
	return answer[0] == 'y' || answer[0] == 'Y';
}

int cli_cmd_delete(const cli_command *cmd, int argc, char **argv)
{
	delete_flags d = { { NULL, 0, 0, -1, NULL, 0 }, 0, 0, 0, -1, NULL };
	kft_delete_opts_t o = KFT_DELETE_OPTS_INIT;
	kft_job_list_t *l = NULL;
	size_t *idx = NULL, n = 0, k;
	kft_client_t *c;
	cli_args a;
	int rc, selecting, failed = 0;

	PARSE(&a, cmd, argc, argv, &d);
	selecting = d.all || d.sel.status || d.sel.older_than_ms || d.sel.selector;
	if (selecting && a.nops) {
		fprintf(stderr, "kft delete: give job names or a selection (--all, --status, "
		        "--older-than, -l), not both\n");
		return EXIT_USAGE;
	}
	if (!selecting && !a.nops) {
		fprintf(stderr, "kft delete: name the jobs, or select them with --all, --status, "
		        "--older-than or -l (see kft delete --help)\n");
		return EXIT_USAGE;
	}
	if ((rc = cli_open_client(&c)) != 0)
		return rc;
	if (d.keep)
		o.flags |= KFT_DELETE_KEEP_STATE;
	if (d.grace >= 0)
		o.grace_period_ms = d.grace * 1000;
	o.propagation = d.propagation;
	if (selecting) {
		if ((rc = cli_select_jobs(&l, &idx, &n, c, &d.sel)) != 0)
			goto out;
		if (n == 0) {
			fprintf(stderr, "kft delete: no job matches\n");
			goto out;
		}
		if (!d.yes && isatty(0) && isatty(2) && !confirm(l, idx, n)) {
			fprintf(stderr, "kft delete: nothing deleted\n");
			rc = cli_signal ? cli_signal_exit() : EXIT_ERR;
			goto out;
		}
	}
	for (k = 0; k < (selecting ? n : (size_t)a.nops) && !cli_signal; k++) {
		const char *name = selecting ? kft_job_name(kft_job_list_at(l, idx[k])) : a.ops[k];

		if (kft_delete_job(c, name, &o) < 0) {
			const kft_error_t *e = kft_error_last();

			fprintf(stderr, "kft: delete %s: %s\n", name, e->message ? e->message : "failed");
			failed++;
		} else {
			printf("%s deleted\n", name);
			fflush(stdout);
		}
	}
	if (cli_signal)
		rc = cli_signal_exit();
	else if (failed)
		rc = EXIT_ERR;
out:
	free(idx);
	kft_job_list_free(l);
	kft_client_free(c);
	return rc;
}
