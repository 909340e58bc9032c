/*
 * kubernetes: kft_list_jobs - one paged LIST of TrainJobs and one of the
 * Trainer's JobSet pods, streamed through lib/jscan.c and joined here.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "k8s.h"
#include "jscan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	const char *jobset;
	const cJSON *pod;
} podref;

static int podref_cmp(const void *a, const void *b)
{
	return strcmp(((const podref *)a)->jobset, ((const podref *)b)->jobset);
}

/*
 * Selective parsing: of each listed object only the fields the job view reads
 * become cJSON (a real TrainJob or Pod carries managedFields, specs and
 * annotations many times larger): the selectors name the keys to keep.
 */
static const kft__js_select SEL_POD_ANN[] = { { KFT__K8S_LBL_INDEX, NULL }, { NULL, NULL } };
static const kft__js_select SEL_POD_META[] = { { "name", NULL }, { "creationTimestamp", NULL },
	                                        { "labels", NULL }, { "annotations", SEL_POD_ANN },
	                                        { NULL, NULL } };
static const kft__js_select SEL_POD_STATUS[] = { { "phase", NULL }, { "reason", NULL },
	                                          { "startTime", NULL },
	                                          { "containerStatuses", NULL }, { NULL, NULL } };
static const kft__js_select SEL_POD[] = { { "metadata", SEL_POD_META },
	                                   { "status", SEL_POD_STATUS }, { NULL, NULL } };

/*
 * One page of a paged LIST: its "items" go to the item callback as they arrive
 * (lib/jscan.c); its metadata.continue is kept for the next page.
 */
typedef struct {
	kft__jstream js;
	/* items so far, and forgetting those past n (a retried page replays its body) */
	size_t (*count)(void *payload);
	void (*truncate)(void *payload, size_t n);
	size_t mark;           /* items before this page */
	char *cont;            /* metadata.continue of this page, if any */
} list_page;

static int page_member(const char *key, size_t klen, const char *v, size_t vlen, void *ud)
{
	list_page *lp = ud;
	cJSON *md;
	const char *c;
	int want;

	if (!KFT__JR_KEY_IS(key, klen, "metadata") || *v != '{')
		return 0;
	md = cJSON_ParseWithLength(v, vlen);
	c = kft__json_str(md, "continue");
	want = c && *c;
	free(lp->cont);
	lp->cont = want ? kft__strdup(c) : NULL;
	cJSON_Delete(md);
	return want && !lp->cont ? kft__error_oom() : 0;
}

static void page_init(list_page *lp, const char *what, kft__js_item_cb parse,
                      size_t (*count)(void *), void (*truncate)(void *, size_t), void *payload)
{
	memset(lp, 0, sizeof(*lp));
	lp->js.item = parse;
	lp->js.payload = payload;
	lp->js.member = page_member;
	lp->js.member_payload = lp;
	lp->js.who = "the API server";
	lp->js.what = what;
	lp->count = count;
	lp->truncate = truncate;
	lp->mark = count(payload);
}

/* The HTTP layer's sink: NULL data (re)starts the page. */
static int page_sink(const char *data, size_t len, void *ud)
{
	list_page *lp = ud;

	if (!data) {
		kft__jstream_restart(&lp->js);
		free(lp->cont);
		lp->cont = NULL;
		lp->truncate(lp->js.payload, lp->mark);
		return 0;
	}
	return kft__jstream_feed(&lp->js, data, len);
}

/* LIST page size: $KFT_K8S_LIST_LIMIT, else 500 as kubectl; 0 lists in one response. */
static long list_limit(void)
{
	const char *v = getenv("KFT_K8S_LIST_LIMIT");
	int64_t n;

	if (v && *v && kft__parse_i64(&n, v) == 0 && n >= 0 && n <= 1000000)
		return (long)n;
	return 500;
}

/*
 * GET a LIST in pages (limit/continue, as kubectl and client-go's pager) and
 * feed its items to parse as they arrive. A continue token that expired
 * (410 Gone) restarts as one full LIST, as client-go does.
 */
static int list_stream_get(kft__k8s *k, const char *path, const char *what, kft__js_item_cb parse,
                           size_t (*count)(void *), void (*truncate)(void *, size_t),
                           void *payload)
{
	long limit = list_limit(), status = 0;
	char *cont = NULL, num[32];
	int error, pages = 0;

	for (;;) {
		kft__buf q = KFT__BUF_INIT;
		kft__k8s_req r = { "GET", NULL, NULL, NULL, 1, what };
		list_page lp;

		kft__buf_puts(&q, path);
		if (limit > 0) {
			snprintf(num, sizeof(num), "%ld", limit);
			kft__k8s_add_query(&q, k, "limit", num);
		}
		if (cont)
			kft__k8s_add_query(&q, k, "continue", cont);
		if (q.oom) {
			kft__buf_free(&q);
			error = kft__error_oom();
			break;
		}
		page_init(&lp, what, parse, count, truncate, payload);
		r.path = q.ptr;
		if ((error = kft__k8s_request_stream(&status, k, &r, page_sink, &lp)) == 0)
			error = kft__jstream_finish(&lp.js);
		kft__buf_free(&q);
		kft__jstream_free(&lp.js);
		pages++;
		if (error < 0 && status == 410 && cont) {
			kft__log(KFT_DIAG_DEBUG, "%s: the continue token expired after %d pages; listing "
			         "again in one response", what, pages);
			truncate(payload, 0);
			free(cont);
			cont = NULL;
			free(lp.cont);
			limit = 0;
			continue;
		}
		free(cont);
		cont = lp.cont;
		if (error < 0 || !cont)
			break;
	}
	free(cont);
	return error;
}

/* Pods: the selected fields of each, appended to the cJSON array payload. */
static const char *parse_pod(const char *p, const char *end, void *payload, int *error)
{
	cJSON *item = cJSON_CreateObject();
	int oom = 0;

	*error = 0;
	if (!item) {
		*error = kft__error_oom();
		return NULL;
	}
	if ((p = kft__js_parse_select(p, end, SEL_POD, item, &oom)) == NULL) {
		cJSON_Delete(item);
		if (oom)
			*error = kft__error_oom();
		return NULL;
	}
	cJSON_AddItemToArray((cJSON *)payload, item);
	return p;
}

/*
 * TrainJobs straight from the text: a forward-only walk over one LIST item
 * that keeps just what kft__k8s_tjinfo holds, its strings unescaped into an arena.
 * No cJSON tree per job (10,000 of them are the bulk of `kft list`).
 */
static void walk_conditions(kft__jread *w, kft__k8s_tjinfo *ti)
{
	int first = 1, f2;
	const char *k;
	size_t n;

	if (w->p >= w->end || *w->p != '[') {
		kft__jr_skip(w);
		return;
	}
	while (kft__jr_member(w, &first, NULL, NULL, 0) == 1) {
		kft__k8s_tjcond scratch, *c = ti->ncond < KFT__K8S_TJ_MAX_CONDITIONS ? &ti->cond[ti->ncond++] : &scratch;

		memset(c, 0, sizeof(*c));
		if (*w->p != '{') {
			kft__jr_skip(w);
			continue;
		}
		for (f2 = 1; kft__jr_member(w, &f2, &k, &n, 1) == 1 && !w->bad; ) {
			if (KFT__JR_KEY_IS(k, n, "type"))
				c->type = kft__jr_string(w);
			else if (KFT__JR_KEY_IS(k, n, "status"))
				c->status = kft__jr_string(w);
			else if (KFT__JR_KEY_IS(k, n, "reason"))
				c->reason = kft__jr_string(w);
			else if (KFT__JR_KEY_IS(k, n, "message"))
				c->message = kft__jr_string(w);
			else if (KFT__JR_KEY_IS(k, n, "lastTransitionTime"))
				c->time = kft__jr_string(w);
			else
				kft__jr_skip(w);
		}
		if (w->bad)
			return;
	}
}

static void walk_metadata(kft__jread *w, kft__k8s_tjinfo *ti)
{
	const char *k;
	size_t n;
	int first = 1;

	while (kft__jr_field(w, &first, &k, &n)) {
		if (KFT__JR_KEY_IS(k, n, "name"))
			ti->name = kft__jr_string(w);
		else if (KFT__JR_KEY_IS(k, n, "namespace"))
			ti->ns = kft__jr_string(w);
		else if (KFT__JR_KEY_IS(k, n, "creationTimestamp"))
			ti->created = kft__jr_string(w);
		else if (KFT__JR_KEY_IS(k, n, "labels")) {
			/* kept as text (valid while the page is): parsed only when building the job */
			ti->labels_json = w->p;
			kft__jr_skip(w);
			ti->labels_len = w->bad ? 0 : (size_t)(w->p - ti->labels_json);
			if (w->bad)
				ti->labels_json = NULL;
		} else
			kft__jr_skip(w);
	}
}

static void walk_spec(kft__jread *w, kft__k8s_tjinfo *ti)
{
	const char *k, *k2;
	size_t n, n2;
	int first = 1, f2;

	while (kft__jr_field(w, &first, &k, &n)) {
		int rref = KFT__JR_KEY_IS(k, n, "runtimeRef"), trainer = KFT__JR_KEY_IS(k, n, "trainer");

		if (!rref && !trainer) {
			kft__jr_skip(w);
			continue;
		}
		for (f2 = 1; kft__jr_field(w, &f2, &k2, &n2); ) {
			if (rref && KFT__JR_KEY_IS(k2, n2, "name"))
				ti->runtime = kft__jr_string(w);
			else if (trainer && KFT__JR_KEY_IS(k2, n2, "numNodes"))
				ti->num_nodes = kft__jr_int(w, -1);
			else
				kft__jr_skip(w);
		}
	}
}

static void walk_status(kft__jread *w, kft__k8s_tjinfo *ti, cJSON **ts)
{
	const char *k;
	size_t n;
	int first = 1;

	while (kft__jr_field(w, &first, &k, &n)) {
		if (KFT__JR_KEY_IS(k, n, "conditions")) {
			walk_conditions(w, ti);
		} else if (KFT__JR_KEY_IS(k, n, "trainerStatus") && !*ts) {
			const char *v = w->p;

			kft__jr_skip(w);
			if (!w->bad && (*ts = cJSON_ParseWithLength(v, (size_t)(w->p - v))) == NULL)
				w->bad = 1;
		} else {
			kft__jr_skip(w);
		}
	}
}

/* One LIST item -> kft__k8s_tjinfo (strings in w->mem; trainerStatus parsed into *ts). */
static const char *walk_trainjob(kft__jread *w, kft__k8s_tjinfo *ti, cJSON **ts, int *oom)
{
	const char *k;
	size_t n;
	int first = 1;

	memset(ti, 0, sizeof(*ti));
	ti->num_nodes = -1;
	*ts = NULL;
	while (!w->bad && kft__jr_member(w, &first, &k, &n, 1) == 1) {
		if (KFT__JR_KEY_IS(k, n, "metadata"))
			walk_metadata(w, ti);
		else if (KFT__JR_KEY_IS(k, n, "spec"))
			walk_spec(w, ti);
		else if (KFT__JR_KEY_IS(k, n, "status"))
			walk_status(w, ti, ts);
		else
			kft__jr_skip(w);
	}
	if (w->mem->oom) {
		*oom = 1;
		return NULL;
	}
	ti->trainer_status = *ts;
	return w->bad ? NULL : w->p;
}

typedef struct {
	kft_job_list_t *list;
	const char *runtime;
	podref *refs;
	size_t nrefs;
	const cJSON **grp;
	kft__arena mem;
} list_ctx;

static const char *list_one(const char *p, const char *end, void *payload, int *error)
{
	list_ctx *lc = payload;
	kft__jread w;
	kft__k8s_tjinfo ti;
	cJSON *ts = NULL;
	size_t lo = 0, hi = lc->nrefs, n = 0;
	kft_job_t *job;
	int oom = 0;

	*error = 0;
	kft__arena_reset(&lc->mem);
	w.p = p;
	w.end = end;
	w.mem = &lc->mem;
	w.bad = 0;
	if ((p = walk_trainjob(&w, &ti, &ts, &oom)) == NULL) {
		cJSON_Delete(ts);
		if (oom)
			*error = kft__error_oom();
		return NULL;
	}
	if (!ti.name || (lc->runtime && !kft__streq(ti.runtime, lc->runtime))) {
		cJSON_Delete(ts);
		return p;
	}
	while (lo < hi) {   /* the first pod whose jobset is >= name */
		size_t mid = (lo + hi) / 2;

		if (strcmp(lc->refs[mid].jobset, ti.name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo < lc->nrefs && !strcmp(lc->refs[lo].jobset, ti.name))
		lc->grp[n++] = lc->refs[lo++].pod;
	*error = kft__k8s_build_job_info(&job, &ti, lc->grp, n);
	cJSON_Delete(ts);
	if (*error < 0 || (*error = kft_job_list_add(lc->list, job)) < 0)
		return NULL;
	return p;
}

/*
 * One LIST of TrainJobs and one LIST of the Trainer's JobSet pods (a set kft__js_select),
 * joined here: no request per job, and no live runtime lookup.
 */
static size_t count_pods(void *payload)
{
	return (size_t)cJSON_GetArraySize((cJSON *)payload);
}

static void truncate_pods(void *payload, size_t n)
{
	cJSON *arr = payload;

	while ((size_t)cJSON_GetArraySize(arr) > n)
		cJSON_DeleteItemFromArray(arr, cJSON_GetArraySize(arr) - 1);
}

static size_t count_jobs(void *payload)
{
	return kft_job_list_count(((list_ctx *)payload)->list);
}

static void truncate_jobs(void *payload, size_t n)
{
	kft__job_list_truncate(((list_ctx *)payload)->list, n);
}

int kft__k8s_list_jobs(kft_job_list_t **out, kft_backend_t *be, const char *runtime)
{
	kft__k8s *k = kft__k8s_be(be);
	list_ctx lc;
	cJSON *pods = NULL;
	const cJSON *it;
	size_t cap;
	kft__buf q = KFT__BUF_INIT;
	char *path = NULL;
	int error;

	memset(&lc, 0, sizeof(lc));
	lc.runtime = runtime;
	/* the pods first, indexed by JobSet, so each TrainJob is joined as it streams in */
	KFT_CHECK_ALLOC(path = kft__k8s_ns_path(k, "/api/v1", k->cfg.ns, "pods", NULL, NULL));
	kft__buf_puts(&q, path);
	kft__k8s_add_query(&q, k, "labelSelector", KFT__K8S_LBL_JOBSET "," KFT__K8S_LBL_RJOB " in (" KFT__K8S_RJOB_SET ")");
	if (q.oom || (pods = cJSON_CreateArray()) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	if ((error = list_stream_get(k, q.ptr, "list pods", parse_pod, count_pods, truncate_pods,
	                             pods)) < 0)
		goto out;
	cap = (size_t)cJSON_GetArraySize(pods);
	if ((lc.refs = kft__calloc(cap + 1, sizeof(*lc.refs))) == NULL ||
	    (lc.grp = kft__calloc(cap + 1, sizeof(*lc.grp))) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	cJSON_ArrayForEach(it, pods) {
		const char *js = kft__k8s_label(it, KFT__K8S_LBL_JOBSET);

		if (js && lc.nrefs < cap) {
			lc.refs[lc.nrefs].jobset = js;
			lc.refs[lc.nrefs++].pod = it;
		}
	}
	if (lc.nrefs)
		qsort(lc.refs, lc.nrefs, sizeof(*lc.refs), podref_cmp);
	free(path);
	if ((path = kft__k8s_ns_path(k, KFT__K8S_API_TRAINER, k->cfg.ns, "trainjobs", NULL, NULL)) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	if ((error = kft_job_list_new(&lc.list)) < 0 ||
	    (error = list_stream_get(k, path, "list TrainJobs", list_one, count_jobs, truncate_jobs,
	                             &lc)) < 0)
		goto out;
	*out = lc.list;
	lc.list = NULL;
out:
	kft__arena_free(&lc.mem);
	kft_job_list_free(lc.list);
	free(lc.grp);
	free(lc.refs);
	free(path);
	kft__buf_free(&q);
	cJSON_Delete(pods);
	return error;
}

/* For tests: a TrainJob LIST body through the streaming parser, fed in chunks. */
int kft__k8s_parse_job_list(kft_job_list_t **out, const char *text, size_t len, size_t chunk)
{
	list_ctx lc;
	list_page lp;
	size_t off;
	int error;

	*out = NULL;
	memset(&lc, 0, sizeof(lc));
	if ((error = kft_job_list_new(&lc.list)) < 0)
		return error;
	page_init(&lp, "test", list_one, count_jobs, truncate_jobs, &lc);
	error = page_sink(NULL, 0, &lp);
	for (off = 0; error == 0 && off < len; off += chunk)
		error = page_sink(text + off, len - off < chunk ? len - off : chunk, &lp);
	if (error == 0)
		error = kft__jstream_finish(&lp.js);
	kft__jstream_free(&lp.js);
	free(lp.cont);
	kft__arena_free(&lc.mem);
	if (error < 0) {
		kft_job_list_free(lc.list);
		return error;
	}
	*out = lc.list;
	return 0;
}
