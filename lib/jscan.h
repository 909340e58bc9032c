/*
 * One streaming JSON scanner for the core: structure without a tree.
 *
 *  - skipping (kft__js_*): the end of a string or of a whole value, reading no
 *    further than `end`; NULL when the text stops before the value does.
 *  - selective parsing (kft__js_select): of an object only the members a
 *    selector names become cJSON.
 *  - a forward-only walker (kft__jr_*) that reads members in place and unescapes
 *    strings into an arena (kft__arena), for lists too big to hold as cJSON.
 *  - a stream (kft__jstream) over a response that arrives in chunks: a JSON
 *    object whose "items" array is handed to a callback element by element, so
 *    a 40 MB LIST is never held whole. Only the unparsed tail is buffered.
 *
 * Used by the kubernetes client's LIST paths; fuzzed (fuzz/), unit-tested in
 * tests/test_jscan.c. Skipped values are validated as cJSON would read them
 * (fuzz/list_stream checks the stream against cJSON), and cJSON parses what is kept.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_JSCAN_H
#define KFT_JSCAN_H

#include "internal.h"

/* ---- skipping ---- */
const char *kft__js_ws(const char *p, const char *end);
/** p at '"': just after the closing quote, or NULL. */
const char *kft__js_string_end(const char *p, const char *end);
/**
 * The end of the value at p, validated as JSON as cJSON reads it (a scalar may
 * end at end: more may follow), or NULL: the text stops before the value does,
 * or is not JSON, or nests deeper than KFT__JS_MAX_DEPTH.
 */
#define KFT__JS_MAX_DEPTH 1000   /* cJSON's CJSON_NESTING_LIMIT */
const char *kft__js_value_end(const char *p, const char *end);

/* ---- selective parsing ---- */
/** The keys to keep: a NULL sub keeps the whole value, a non-NULL sub descends into an object. */
typedef struct kft__js_select {
	const char *key;
	const struct kft__js_select *sub;
} kft__js_select;

/**
 * Parse the object at p (which is '{') keeping only what sel names, into `into`.
 * Returns the end of the object, or NULL: *oom set on allocation failure, else
 * the text is not (yet) a whole JSON object.
 */
const char *kft__js_parse_select(const char *p, const char *end, const kft__js_select *sel,
                                 cJSON *into, int *oom);

/* ---- arena: strings of one item, forgotten together ---- */
typedef struct kft__arena_chunk kft__arena_chunk;
typedef struct {
	kft__arena_chunk *head;
	int oom;
} kft__arena;

char *kft__arena_alloc(kft__arena *a, size_t n);
/** Forget everything but keep the newest chunk for the next item. */
void kft__arena_reset(kft__arena *a);
void kft__arena_free(kft__arena *a);

/* ---- walker ---- */
typedef struct {
	const char *p, *end;
	kft__arena *mem;
	int bad;               /* the text is not JSON: every later step stops */
} kft__jread;

#define KFT__JR_KEY_IS(k, n, lit) ((n) == sizeof(lit) - 1 && !memcmp((k), (lit), sizeof(lit) - 1))

/** Skip the value at w->p (on bad text w->bad is set and w->p stays). */
void kft__jr_skip(kft__jread *w);
/** The string value at w->p, unescaped into the arena; NULL if not a string. */
const char *kft__jr_string(kft__jread *w);
/** An integer (or a string holding one) at w->p; dflt otherwise. */
int64_t kft__jr_int(kft__jread *w, int64_t dflt);
/**
 * Iterate an object's members (obj = 1) or an array's elements (obj = 0): call
 * with *first = 1 at the '{' or '['. Returns 1 with w->p at the value, 0 at the
 * end (w->p after the close), -1 if not JSON. key/klen: the raw (escaped) key.
 */
int kft__jr_member(kft__jread *w, int *first, const char **key, size_t *klen, int obj);
/** Is the value at w->p an object (to walk with kft__jr_member)? If not, it is skipped. */
int kft__jr_enter(kft__jread *w);
/**
 * Walk the object at w->p one member at a time: call with *first = 1 first. A value that is
 * not an object is skipped (kft__jr_enter). Returns 1 with w->p at the member's value, 0 at
 * the end, when the value was no object, or once the text is bad.
 */
int kft__jr_field(kft__jread *w, int *first, const char **key, size_t *klen);

/* ---- stream ---- */
/**
 * Consume one element of "items", the value at p, reading no further than end,
 * and return where it ends; NULL with *error set (< 0) on failure, or with
 * *error == 0 when the text is not (yet) a whole value. No effect unless it
 * succeeds (it is called again with more text).
 */
typedef const char *(*kft__js_item_cb)(const char *p, const char *end, void *payload, int *error);
/** A complete top-level member other than "items" (optional). */
typedef int (*kft__js_member_cb)(const char *key, size_t klen, const char *v, size_t vlen,
                                 void *payload);

typedef struct {
	/* set by the caller */
	kft__js_item_cb item;
	void *payload;         /* for item */
	kft__js_member_cb member;
	void *member_payload;
	const char *who;       /* "the API server" */
	const char *what;      /* "list TrainJobs" */
	size_t max_pending;    /* an unparsed tail longer than this is an error (0: 64 MiB) */
	/* private */
	kft__buf buf;          /* unparsed bytes */
	size_t wait_until;     /* parse again once buf is this long (an item in pieces) */
	int state, first;
	char head[200];        /* the response's first bytes, for messages */
	size_t nhead;
} kft__jstream;

/** Start (again) from the beginning of a response: what was fed is forgotten. */
void kft__jstream_restart(kft__jstream *js);
/** The next chunk of the response. */
int kft__jstream_feed(kft__jstream *js, const char *data, size_t len);
/** The response ended: anything incomplete is an error. */
int kft__jstream_finish(kft__jstream *js);
void kft__jstream_free(kft__jstream *js);

#endif
