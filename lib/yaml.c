/* YAML <-> cJSON with the YAML 1.2 core schema. SPDX-License-Identifier: Apache-2.0 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- scalar resolution (core schema, plus YAML 1.1 spellings kubectl accepts) ---- */

static int is_null_word(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static int bool_word(const char *s)
{
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return 1;
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return 0;
	return -1;
}

/* Words YAML 1.1 readers treat as booleans: quote them on output. */
static int yaml11_bool_word(const char *s)
{
	static const char *const w[] = { "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
	                                 "on", "On", "ON", "off", "Off", "OFF", NULL };
	size_t i;

	for (i = 0; w[i]; i++)
		if (!strcmp(s, w[i]))
			return 1;
	return 0;
}

static int parse_number(double *out, const char *s)
{
	char *end;
	const char *p = s;

	if (!*s)
		return 0;
	if (*p == '-' || *p == '+')
		p++;
	if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF")) {
		*out = *s == '-' ? -INFINITY : INFINITY;
		return 1;
	}
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
		*out = NAN;
		return 1;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o') && p[2]) {
		long long v;

		errno = 0;
		v = strtoll(p + 2, &end, p[1] == 'x' ? 16 : 8);
		if (errno || *end)
			return 0;
		*out = (double)(*s == '-' ? -v : v);
		return 1;
	}
	/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
	{
		const char *q = p;
		int digits = 0;

		while (*q >= '0' && *q <= '9') { q++; digits++; }
		if (*q == '.') {
			q++;
			while (*q >= '0' && *q <= '9') { q++; digits++; }
		}
		if (!digits)
			return 0;
		if (*q == 'e' || *q == 'E') {
			q++;
			if (*q == '-' || *q == '+')
				q++;
			if (!(*q >= '0' && *q <= '9'))
				return 0;
			while (*q >= '0' && *q <= '9')
				q++;
		}
		if (*q)
			return 0;
	}
	errno = 0;
	*out = strtod(s, &end);
	return !*end;
}

/* Would this plain string be read back as something other than a string? */
static int plain_is_ambiguous(const char *s)
{
	double d;

	return is_null_word(s) || bool_word(s) >= 0 || yaml11_bool_word(s) || parse_number(&d, s);
}

/* ---- parsing ---- */

/*
 * The document is built from libyaml's events, not from its loader: an event
 * says whether a scalar carried a tag (`!!str 1`, `! 1`), which the loader's
 * nodes do not (it gives every untagged scalar the str tag). Aliases are
 * expanded into copies: cap the nodes so that a small "billion laughs"
 * document cannot exhaust memory. TrainJobs and runtimes are far smaller.
 */
#define KFT__YAML_MAX_NODES 500000
#define KFT__YAML_MAX_DEPTH 200
/*
 * A mapping key, as the JSON writer writes it, is at most this many characters:
 * JSON keys are YAML implicit keys, which YAML caps at 1024 characters, so a
 * longer one would be rendered as JSON that no YAML reader (ours included)
 * reads back. Kubernetes keys are at most 317 (a label or annotation key).
 */
#define KFT__YAML_MAX_KEY 1000

typedef struct {
	char *name;
	cJSON *node;     /* the anchored node as it was built */
	char *scalar;    /* its text, when a scalar (an alias may be a mapping key) */
	size_t nodes;    /* JSON nodes in it */
	int height;      /* its nesting depth */
} yaml_anchor;

typedef struct {
	yaml_parser_t parser;
	const char *what;
	size_t nodes;            /* JSON nodes made so far in this document */
	size_t copied;           /* and kept as anchors: bounded the same way */
	yaml_anchor *anchors;    /* this document's, in order: the last of a name wins */
	size_t n_anchors, cap_anchors;
} parse_ctx;

static int too_large(const char *what)
{
	return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
	                      "%s: document too large (more than %d nodes once aliases are expanded)",
	                      what, KFT__YAML_MAX_NODES);
}

static void anchors_clear(parse_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->n_anchors; i++) {
		free(ctx->anchors[i].name);
		free(ctx->anchors[i].scalar);
		cJSON_Delete(ctx->anchors[i].node);
	}
	free(ctx->anchors);
	ctx->anchors = NULL;
	ctx->n_anchors = ctx->cap_anchors = 0;
}

static const yaml_anchor *anchor_find(const parse_ctx *ctx, const char *name)
{
	size_t i = ctx->n_anchors;

	while (i-- > 0)
		if (!strcmp(ctx->anchors[i].name, name))
			return &ctx->anchors[i];
	return NULL;
}

/* Keeps a copy of node under name; an anchor is known once its node is complete. */
static int anchor_add(parse_ctx *ctx, const char *name, const cJSON *node, const char *scalar,
                      size_t nodes, int height)
{
	yaml_anchor *a;

	if (nodes > KFT__YAML_MAX_NODES - ctx->copied)
		return too_large(ctx->what);
	if (ctx->n_anchors == ctx->cap_anchors) {
		size_t cap = ctx->cap_anchors ? ctx->cap_anchors * 2 : 8;
		yaml_anchor *grown = kft__realloc(ctx->anchors, cap * sizeof(*grown));

		if (!grown)
			return KFT_ENOMEM;
		ctx->anchors = grown;
		ctx->cap_anchors = cap;
	}
	a = &ctx->anchors[ctx->n_anchors];
	memset(a, 0, sizeof(*a));
	a->nodes = nodes;
	a->height = height;
	if ((a->name = kft__strdup(name)) == NULL ||
	    (scalar && (a->scalar = kft__strdup(scalar)) == NULL) ||
	    (a->node = cJSON_Duplicate(node, 1)) == NULL) {
		free(a->name);
		free(a->scalar);
		return kft__error_oom();
	}
	ctx->n_anchors++;
	ctx->copied += nodes;
	return 0;
}

static int parser_error(const yaml_parser_t *parser, const char *what)
{
	if (parser->error == YAML_MEMORY_ERROR)
		return kft__error_oom();
	if (parser->context)   /* where the construct that failed began */
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
		                      "%s: line %lu column %lu: %s (%s at line %lu column %lu)", what,
		                      (unsigned long)parser->problem_mark.line + 1,
		                      (unsigned long)parser->problem_mark.column + 1,
		                      parser->problem ? parser->problem : "YAML syntax error",
		                      parser->context,
		                      (unsigned long)parser->context_mark.line + 1,
		                      (unsigned long)parser->context_mark.column + 1);
	return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE, "%s: line %lu column %lu: %s",
	                      what, (unsigned long)parser->problem_mark.line + 1,
	                      (unsigned long)parser->problem_mark.column + 1,
	                      parser->problem ? parser->problem : "YAML syntax error");
}

static int next_event(yaml_event_t *ev, parse_ctx *ctx)
{
	return yaml_parser_parse(&ctx->parser, ev) ? 0 : parser_error(&ctx->parser, ctx->what);
}

/* A scalar with a tag of str, or the non-specific `!`, is a string whatever it reads. */
static int str_tagged(const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;

	return tag && (!strcmp(tag, "!") || !strcmp(tag, YAML_STR_TAG));
}

static cJSON *scalar_to_json(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	double d;
	int b;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || str_tagged(ev))
		return cJSON_CreateString(v);
	if (is_null_word(v))
		return cJSON_CreateNull();
	if ((b = bool_word(v)) >= 0)
		return cJSON_CreateBool(b);
	if (parse_number(&d, v) && isfinite(d))
		return cJSON_CreateNumber(d);
	return cJSON_CreateString(v);
}

static int load_node(cJSON **out, char **text, parse_ctx *ctx, yaml_event_t *ev, int depth,
                     int *height);

/* The children of a sequence or mapping, up to its end event. */
static int load_children(cJSON *out, parse_ctx *ctx, int mapping, int depth, int *height)
{
	yaml_event_type_t end = mapping ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;

	*height = 0;
	for (;;) {
		yaml_event_t ev;
		cJSON *child = NULL;
		char *key = NULL;
		unsigned long line;
		int error, h;

		if ((error = next_event(&ev, ctx)) < 0)
			return error;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return 0;
		}
		line = (unsigned long)ev.start_mark.line + 1;
		if (mapping) {
			if ((error = load_node(&child, &key, ctx, &ev, depth + 1, &h)) < 0)
				return error;
			cJSON_Delete(child);
			child = NULL;
			if (!key)
				return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
				                      "%s: line %lu: mapping keys must be scalars",
				                      ctx->what, line);
			if (kft__json_str_chars(key) > KFT__YAML_MAX_KEY) {
				free(key);
				return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
				                      "%s: line %lu: a mapping key longer than %d characters "
				                      "(as JSON writes it)", ctx->what, line,
				                      KFT__YAML_MAX_KEY);
			}
			if (cJSON_GetObjectItemCaseSensitive(out, key)) {
				error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
				                       "%s: line %lu: duplicate key \"%s\"", ctx->what,
				                       line, key);
				free(key);
				return error;
			}
			if ((error = next_event(&ev, ctx)) < 0) {
				free(key);
				return error;
			}
		}
		if ((error = load_node(&child, NULL, ctx, &ev, depth + 1, &h)) < 0) {
			free(key);
			return error;
		}
		if (h + 1 > *height)
			*height = h + 1;
		if (mapping ? !cJSON_AddItemToObject(out, key, child) :
		              !cJSON_AddItemToArray(out, child)) {
			cJSON_Delete(child);
			free(key);
			return kft__error_oom();
		}
		free(key);
	}
}

/*
 * The node that starts with ev (consumed here) into *out; when text is not
 * NULL and the node is a scalar, its text as written (for mapping keys) into
 * *text, else NULL. *height: its nesting depth (0 for a scalar).
 */
static int load_node(cJSON **out, char **text, parse_ctx *ctx, yaml_event_t *ev, int depth,
                     int *height)
{
	const char *what = ctx->what;
	size_t before = ctx->nodes;
	char *anchor = NULL, *scalar = NULL;
	int error = 0;

	*out = NULL;
	*height = 0;
	if (text)
		*text = NULL;
	if (ev->type == YAML_ALIAS_EVENT) {
		const yaml_anchor *a = anchor_find(ctx, (const char *)ev->data.alias.anchor);

		if (!a)
			error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
			                       "%s: line %lu column %lu: found undefined alias", what,
			                       (unsigned long)ev->start_mark.line + 1,
			                       (unsigned long)ev->start_mark.column + 1);
		else if (a->nodes > KFT__YAML_MAX_NODES - ctx->nodes)
			error = too_large(what);
		else if (depth + a->height > KFT__YAML_MAX_DEPTH)
			error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
			                       "%s: document nested too deeply", what);
		else if ((*out = cJSON_Duplicate(a->node, 1)) == NULL ||
		         (text && a->scalar && (*text = kft__strdup(a->scalar)) == NULL))
			error = kft__error_oom();
		else {
			ctx->nodes += a->nodes;
			*height = a->height;
		}
		yaml_event_delete(ev);
		goto done;
	}
	if (++ctx->nodes > KFT__YAML_MAX_NODES) {
		yaml_event_delete(ev);
		return too_large(what);
	}
	if (depth > KFT__YAML_MAX_DEPTH) {
		yaml_event_delete(ev);
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
		                      "%s: document nested too deeply", what);
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor && (anchor = kft__strdup((char *)ev->data.scalar.anchor)) == NULL)
			error = KFT_ENOMEM;
		else if ((*out = scalar_to_json(ev)) == NULL)
			error = kft__error_oom();
		else if ((text || anchor) &&
		         (scalar = kft__strdup((const char *)ev->data.scalar.value)) == NULL)
			error = KFT_ENOMEM;
		yaml_event_delete(ev);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		int mapping = ev->type == YAML_MAPPING_START_EVENT;
		const yaml_char_t *a = mapping ? ev->data.mapping_start.anchor :
		                                 ev->data.sequence_start.anchor;

		if (a && (anchor = kft__strdup((const char *)a)) == NULL)
			error = KFT_ENOMEM;
		else if ((*out = mapping ? cJSON_CreateObject() : cJSON_CreateArray()) == NULL)
			error = kft__error_oom();
		yaml_event_delete(ev);
		if (!error)
			error = load_children(*out, ctx, mapping, depth, height);
		break;
	}
	default: {
		unsigned long line = (unsigned long)ev->start_mark.line + 1;

		yaml_event_delete(ev);
		error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
		                       "%s: line %lu: unexpected YAML event", what, line);
	}
	}
	if (!error && anchor)
		error = anchor_add(ctx, anchor, *out, scalar, ctx->nodes - before, *height);
	if (!error && text)
		*text = scalar, scalar = NULL;
	free(anchor);
	free(scalar);
done:
	if (error < 0) {
		cJSON_Delete(*out);
		*out = NULL;
		if (text) {
			free(*text);
			*text = NULL;
		}
	}
	return error;
}

/* One document's root into *out (NULL at the end of the stream). */
static int load_document(cJSON **out, parse_ctx *ctx)
{
	yaml_event_t ev;
	int error, h;

	*out = NULL;
	if ((error = next_event(&ev, ctx)) < 0)
		return error;
	if (ev.type == YAML_STREAM_START_EVENT) {
		yaml_event_delete(&ev);
		if ((error = next_event(&ev, ctx)) < 0)
			return error;
	}
	if (ev.type != YAML_DOCUMENT_START_EVENT) {   /* the stream's end */
		yaml_event_delete(&ev);
		return 0;
	}
	yaml_event_delete(&ev);
	ctx->nodes = ctx->copied = 0;
	if ((error = next_event(&ev, ctx)) < 0 ||
	    (error = load_node(out, NULL, ctx, &ev, 0, &h)) < 0 ||
	    (error = next_event(&ev, ctx)) < 0) {   /* the document's end */
		anchors_clear(ctx);
		cJSON_Delete(*out);
		*out = NULL;
		return error;
	}
	yaml_event_delete(&ev);
	anchors_clear(ctx);
	return 0;
}

static int parse_docs(cJSON **out, const char *text, size_t len, const char *what, int all)
{
	parse_ctx ctx;
	cJSON *arr = NULL;
	int error = 0;

	*out = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.what = what;
	if (!yaml_parser_initialize(&ctx.parser))
		return kft__error_oom();
	yaml_parser_set_input_string(&ctx.parser, (const unsigned char *)text, len);
	if ((arr = cJSON_CreateArray()) == NULL) {
		yaml_parser_delete(&ctx.parser);
		return kft__error_oom();
	}
	for (;;) {
		cJSON *j;

		if ((error = load_document(&j, &ctx)) < 0)
			break;
		if (!j)
			break;
		if (!cJSON_IsNull(j))
			cJSON_AddItemToArray(arr, j);
		else
			cJSON_Delete(j);
		if (!all && cJSON_GetArraySize(arr) > 1) {
			error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
			                       "%s: expected one YAML document, found several", what);
			break;
		}
	}
	yaml_parser_delete(&ctx.parser);
	if (error < 0) {
		cJSON_Delete(arr);
		return error;
	}
	if (all) {
		*out = arr;
		return 0;
	}
	if (cJSON_GetArraySize(arr) == 0) {
		cJSON_Delete(arr);
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE, "%s: empty document", what);
	}
	*out = cJSON_DetachItemFromArray(arr, 0);
	cJSON_Delete(arr);
	return 0;
}

int kft__yaml_parse(cJSON **out, const char *text, size_t len, const char *what)
{
	return parse_docs(out, text, len, what ? what : "YAML", 0);
}

int kft__yaml_parse_all(cJSON **out, const char *text, size_t len, const char *what)
{
	return parse_docs(out, text, len, what ? what : "YAML", 1);
}

/* ---- rendering ---- */

static int emit_write(void *data, unsigned char *buffer, size_t size)
{
	return kft__buf_put((kft__buf *)data, (const char *)buffer, size) == 0;
}

static int emit_scalar(yaml_emitter_t *em, const char *value, yaml_scalar_style_t style, int plain_ok)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)value, (int)strlen(value),
	                                  plain_ok, 1, style))
		return -1;
	return yaml_emitter_emit(em, &ev) ? 0 : -1;
}

/* Literal block style keeps multi-line strings (scripts) readable; it cannot
 * carry trailing spaces on lines, leading blank-space lines, or non-printables. */
static int literal_ok(const char *s)
{
	const char *p;

	if (!strchr(s, '\n') || !kft__utf8_printable(s) || strchr(s, '\t'))
		return 0;
	if (s[0] == ' ' || s[0] == '\n')
		return 0;
	for (p = s; *p; p++)
		if (*p == ' ' && (p[1] == '\n' || p[1] == '\0'))
			return 0;
	return 1;
}

static int emit_node(yaml_emitter_t *em, const cJSON *j)
{
	yaml_event_t ev;
	char num[64];

	if (cJSON_IsNull(j) || !j)
		return emit_scalar(em, "null", YAML_PLAIN_SCALAR_STYLE, 1);
	if (cJSON_IsBool(j))
		return emit_scalar(em, cJSON_IsTrue(j) ? "true" : "false", YAML_PLAIN_SCALAR_STYLE, 1);
	if (cJSON_IsNumber(j)) {
		int64_t i;

		if (kft__double_i64(&i, j->valuedouble) == 0)
			snprintf(num, sizeof(num), "%lld", (long long)i);
		else
			snprintf(num, sizeof(num), "%.17g", j->valuedouble);
		return emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE, 1);
	}
	if (cJSON_IsString(j)) {
		const char *s = j->valuestring;

		if (literal_ok(s))
			return emit_scalar(em, s, YAML_LITERAL_SCALAR_STYLE, 0);
		if (plain_is_ambiguous(s) || !kft__utf8_printable(s) || strchr(s, '\n'))
			return emit_scalar(em, s, YAML_DOUBLE_QUOTED_SCALAR_STYLE, 0);
		return emit_scalar(em, s, YAML_ANY_SCALAR_STYLE, 1);
	}
	if (cJSON_IsArray(j)) {
		const cJSON *c;
		int empty = j->child == NULL;

		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		        empty ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		for (c = j->child; c; c = c->next)
			if (emit_node(em, c) < 0)
				return -1;
		if (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
			return -1;
		return 0;
	}
	if (cJSON_IsObject(j)) {
		const cJSON *c;
		int empty = j->child == NULL;

		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		        empty ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		for (c = j->child; c; c = c->next) {
			const char *k = c->string ? c->string : "";

			if (plain_is_ambiguous(k) || !kft__utf8_printable(k) || strchr(k, '\n')) {
				if (emit_scalar(em, k, YAML_DOUBLE_QUOTED_SCALAR_STYLE, 0) < 0)
					return -1;
			} else if (emit_scalar(em, k, YAML_ANY_SCALAR_STYLE, 1) < 0) {
				return -1;
			}
			if (emit_node(em, c) < 0)
				return -1;
		}
		if (!yaml_mapping_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
			return -1;
		return 0;
	}
	return emit_scalar(em, "null", YAML_PLAIN_SCALAR_STYLE, 1);
}


/* The dotted path of the first key or string that is not UTF-8, into path. */
static int find_bad_utf8(kft__buf *path, const cJSON *j)
{
	const cJSON *c;
	size_t mark = path->len;
	int i = 0;

	if (cJSON_IsString(j) && !kft__utf8_valid(j->valuestring))
		return 1;
	for (c = j ? j->child : NULL; c; c = c->next, i++) {
		if (cJSON_IsObject(j))
			kft__buf_printf(path, "%s%s", path->len ? "." : "", c->string ? c->string : "");
		else
			kft__buf_printf(path, "[%d]", i);
		if ((cJSON_IsObject(j) && c->string && !kft__utf8_valid(c->string)) ||
		    find_bad_utf8(path, c))
			return 1;
		path->len = mark;
		if (path->ptr)
			path->ptr[mark] = '\0';
	}
	return 0;
}

int kft__yaml_render(kft__buf *out, const cJSON *doc)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	kft__buf bad = KFT__BUF_INIT;
	int ok;

	if (find_bad_utf8(&bad, doc)) {
		int error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                           "%s: not valid UTF-8, which YAML cannot carry",
		                           bad.ptr && *bad.ptr ? bad.ptr : "document");
		kft__buf_free(&bad);
		return error;
	}
	kft__buf_free(&bad);

	if (!yaml_emitter_initialize(&em))
		return kft__error_oom();
	yaml_emitter_set_output(&em, emit_write, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && yaml_emitter_emit(&em, &ev) &&
	     yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
	     yaml_emitter_emit(&em, &ev) && emit_node(&em, doc) == 0 &&
	     yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&em, &ev) &&
	     yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&em, &ev);
	if (!ok) {
		int error = out->oom ? KFT_ENOMEM :
			kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_PARSE, "YAML output failed: %s",
			               em.problem ? em.problem : "unknown problem");
		yaml_emitter_delete(&em);
		return error;
	}
	yaml_emitter_delete(&em);
	return 0;
}
