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

/* Aliases are expanded into copies: cap the nodes so that a small "billion
 * laughs" document cannot exhaust memory. TrainJobs and runtimes are far smaller. */
#define KFT__YAML_MAX_NODES 500000

typedef struct {
	const char *text;   /* the input, to tell an explicit !!str from libyaml's default tag */
	size_t len;
	const char *what;
	size_t nodes;       /* JSON nodes made so far */
} parse_ctx;

/*
 * libyaml's loader gives every untagged scalar the default tag
 * tag:yaml.org,2002:str, so the tag alone cannot tell `!!str 1` from `1`. A
 * node whose text starts with '!' carries an explicit tag.
 */
static int explicit_str_tag(const parse_ctx *ctx, const yaml_node_t *node)
{
	const char *tag = (const char *)node->tag;
	size_t at = node->start_mark.index;

	if (!tag || strcmp(tag, YAML_STR_TAG) || at >= ctx->len)
		return 0;
	if (ctx->text[at] == '&') {   /* "&anchor !!str value" */
		while (at < ctx->len && ctx->text[at] != ' ' && ctx->text[at] != '\t' &&
		       ctx->text[at] != '\n')
			at++;
		while (at < ctx->len && (ctx->text[at] == ' ' || ctx->text[at] == '\t'))
			at++;
	}
	return at < ctx->len && ctx->text[at] == '!';
}

static cJSON *node_to_json(yaml_document_t *doc, yaml_node_t *node, int depth, parse_ctx *ctx)
{
	const char *what = ctx->what;
	cJSON *out = NULL;

	if (++ctx->nodes > KFT__YAML_MAX_NODES) {
		kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
		               "%s: document too large (more than %d nodes once aliases are expanded)",
		               what, KFT__YAML_MAX_NODES);
		return NULL;
	}
	if (!node || depth > 200) {
		kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE, "%s: document nested too deeply", what);
		return NULL;
	}
	switch (node->type) {
	case YAML_SCALAR_NODE: {
		const char *v = (const char *)node->data.scalar.value;
		double d;
		int b;

		if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || explicit_str_tag(ctx, node))
			out = cJSON_CreateString(v);
		else if (is_null_word(v))
			out = cJSON_CreateNull();
		else if ((b = bool_word(v)) >= 0)
			out = cJSON_CreateBool(b);
		else if (parse_number(&d, v) && isfinite(d))
			out = cJSON_CreateNumber(d);
		else
			out = cJSON_CreateString(v);
		if (!out)
			kft__error_oom();
		break;
	}
	case YAML_SEQUENCE_NODE: {
		yaml_node_item_t *it;

		if ((out = cJSON_CreateArray()) == NULL) {
			kft__error_oom();
			break;
		}
		for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
			cJSON *child = node_to_json(doc, yaml_document_get_node(doc, *it), depth + 1, ctx);

			if (!child) {
				cJSON_Delete(out);
				return NULL;
			}
			cJSON_AddItemToArray(out, child);
		}
		break;
	}
	case YAML_MAPPING_NODE: {
		yaml_node_pair_t *p;

		if ((out = cJSON_CreateObject()) == NULL) {
			kft__error_oom();
			break;
		}
		for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);
			cJSON *child;
			const char *key;

			if (!k || k->type != YAML_SCALAR_NODE) {
				kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
				               "%s: line %lu: mapping keys must be scalars", what,
				               k ? (unsigned long)k->start_mark.line + 1 : 0UL);
				cJSON_Delete(out);
				return NULL;
			}
			key = (const char *)k->data.scalar.value;
			if (cJSON_GetObjectItemCaseSensitive(out, key)) {
				kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
				               "%s: line %lu: duplicate key \"%s\"", what,
				               (unsigned long)k->start_mark.line + 1, key);
				cJSON_Delete(out);
				return NULL;
			}
			child = node_to_json(doc, yaml_document_get_node(doc, p->value), depth + 1, ctx);
			if (!child) {
				cJSON_Delete(out);
				return NULL;
			}
			cJSON_AddItemToObject(out, key, child);
		}
		break;
	}
	default:
		kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE, "%s: empty YAML node", what);
	}
	return out;
}

static int parse_docs(cJSON **out, const char *text, size_t len, const char *what, int all)
{
	yaml_parser_t parser;
	cJSON *arr = NULL;
	parse_ctx ctx;
	int error = 0;

	*out = NULL;
	if (!yaml_parser_initialize(&parser))
		return kft__error_oom();
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if ((arr = cJSON_CreateArray()) == NULL) {
		yaml_parser_delete(&parser);
		return kft__error_oom();
	}
	for (;;) {
		yaml_document_t doc;
		yaml_node_t *root;
		cJSON *j;

		if (!yaml_parser_load(&parser, &doc)) {
			if (parser.context)   /* where the construct that failed began */
				error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
				                       "%s: line %lu column %lu: %s (%s at line %lu column "
				                       "%lu)", what,
				                       (unsigned long)parser.problem_mark.line + 1,
				                       (unsigned long)parser.problem_mark.column + 1,
				                       parser.problem ? parser.problem : "YAML syntax error",
				                       parser.context,
				                       (unsigned long)parser.context_mark.line + 1,
				                       (unsigned long)parser.context_mark.column + 1);
			else
				error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
				                       "%s: line %lu column %lu: %s", what,
				                       (unsigned long)parser.problem_mark.line + 1,
				                       (unsigned long)parser.problem_mark.column + 1,
				                       parser.problem ? parser.problem : "YAML syntax error");
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		ctx.text = text;
		ctx.len = len;
		ctx.what = what;
		ctx.nodes = 0;
		j = node_to_json(&doc, root, 0, &ctx);
		yaml_document_delete(&doc);
		if (!j) {
			error = KFT_EINVALID;
			break;
		}
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
	yaml_parser_delete(&parser);
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
