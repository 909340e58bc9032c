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

/* ---- parsing (event API: the document loader tags every plain scalar !!str) ---- */

typedef struct {
	char *name;
	cJSON *value;   /* a copy, owned */
} anchor_t;

typedef struct {
	yaml_parser_t parser;
	const char *what;
	anchor_t *anchors;
	size_t nanchors;
	size_t nodes;   /* alias expansion budget (billion-laughs guard) */
} pctx;

static int parse_error(pctx *c)
{
	return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE, "%s: line %lu column %lu: %s",
	                      c->what, (unsigned long)c->parser.problem_mark.line + 1,
	                      (unsigned long)c->parser.problem_mark.column + 1,
	                      c->parser.problem ? c->parser.problem : "YAML syntax error");
}

static cJSON *scalar_json(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	double d;
	int b;

	if (tag && !strcmp(tag, YAML_STR_TAG))
		return cJSON_CreateString(v);
	if (tag && !strcmp(tag, YAML_INT_TAG) && parse_number(&d, v))
		return cJSON_CreateNumber(d);
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || tag)
		return cJSON_CreateString(v);
	if (is_null_word(v))
		return cJSON_CreateNull();
	if ((b = bool_word(v)) >= 0)
		return cJSON_CreateBool(b);
	if (parse_number(&d, v) && isfinite(d))
		return cJSON_CreateNumber(d);
	return cJSON_CreateString(v);
}

static int remember_anchor(pctx *c, const yaml_char_t *anchor, const cJSON *value)
{
	anchor_t *a;

	if (!anchor)
		return 0;
	a = kft__realloc(c->anchors, (c->nanchors + 1) * sizeof(*a));
	KFT_CHECK_ALLOC(a);
	c->anchors = a;
	a[c->nanchors].name = kft__strdup((const char *)anchor);
	a[c->nanchors].value = cJSON_Duplicate(value, 1);
	if (!a[c->nanchors].name || !a[c->nanchors].value) {
		free(a[c->nanchors].name);
		cJSON_Delete(a[c->nanchors].value);
		return kft__error_oom();
	}
	c->nanchors++;
	return 0;
}

/* Parse the node whose first event is ev (consumed here); *out gets the value. */
static int parse_node(pctx *c, yaml_event_t *ev, cJSON **out, int depth)
{
	int error = 0;

	*out = NULL;
	if (depth > 200) {
		yaml_event_delete(ev);
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE, "%s: document nested too deeply",
		                      c->what);
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if ((*out = scalar_json(ev)) == NULL)
			error = kft__error_oom();
		else
			error = remember_anchor(c, ev->data.scalar.anchor, *out);
		yaml_event_delete(ev);
		break;
	case YAML_ALIAS_EVENT: {
		size_t i;

		for (i = c->nanchors; i > 0; i--)
			if (!strcmp(c->anchors[i - 1].name, (const char *)ev->data.alias.anchor))
				break;
		if (i == 0)
			error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
			                       "%s: line %lu: unknown alias *%s", c->what,
			                       (unsigned long)ev->start_mark.line + 1, ev->data.alias.anchor);
		else if (++c->nodes > 10000)
			error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
			                       "%s: too many alias expansions", c->what);
		else if ((*out = cJSON_Duplicate(c->anchors[i - 1].value, 1)) == NULL)
			error = kft__error_oom();
		yaml_event_delete(ev);
		break;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		int map = ev->type == YAML_MAPPING_START_EVENT;
		yaml_char_t *anchor = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
		char *anchor_copy = anchor ? kft__strdup((const char *)anchor) : NULL;
		cJSON *coll = map ? cJSON_CreateObject() : cJSON_CreateArray();

		yaml_event_delete(ev);
		if (!coll || (anchor && !anchor_copy)) {
			cJSON_Delete(coll);
			free(anchor_copy);
			return kft__error_oom();
		}
		for (;;) {
			yaml_event_t e;
			cJSON *key = NULL, *val = NULL;
			unsigned long line;

			if (!yaml_parser_parse(&c->parser, &e)) {
				error = parse_error(c);
				break;
			}
			if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&e);
				break;
			}
			line = (unsigned long)e.start_mark.line + 1;
			if (map) {
				if ((error = parse_node(c, &e, &key, depth + 1)) < 0)
					break;
				if (!cJSON_IsString(key) && !cJSON_IsNumber(key) && !cJSON_IsBool(key) &&
				    !cJSON_IsNull(key)) {
					cJSON_Delete(key);
					error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
					                       "%s: line %lu: mapping keys must be scalars", c->what,
					                       line);
					break;
				}
				if (!yaml_parser_parse(&c->parser, &e)) {
					cJSON_Delete(key);
					error = parse_error(c);
					break;
				}
			}
			if ((error = parse_node(c, &e, &val, depth + 1)) < 0) {
				cJSON_Delete(key);
				break;
			}
			if (map) {
				char kbuf[64];
				const char *k = kbuf;

				if (cJSON_IsString(key))
					k = key->valuestring;
				else if (cJSON_IsNumber(key))
					snprintf(kbuf, sizeof(kbuf), "%.17g", key->valuedouble);
				else
					snprintf(kbuf, sizeof(kbuf), "%s", cJSON_IsNull(key) ? "null" :
					         cJSON_IsTrue(key) ? "true" : "false");
				if (cJSON_GetObjectItemCaseSensitive(coll, k)) {
					error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
					                       "%s: line %lu: duplicate key \"%s\"", c->what, line, k);
					cJSON_Delete(key);
					cJSON_Delete(val);
					break;
				}
				cJSON_AddItemToObject(coll, k, val);
				cJSON_Delete(key);
			} else {
				cJSON_AddItemToArray(coll, val);
			}
		}
		if (!error)
			error = remember_anchor(c, (yaml_char_t *)anchor_copy, coll);
		free(anchor_copy);
		if (error) {
			cJSON_Delete(coll);
			return error;
		}
		*out = coll;
		break;
	}
	default:
		yaml_event_delete(ev);
		error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE, "%s: unexpected YAML event",
		                       c->what);
	}
	return error;
}

static int parse_docs(cJSON **out, const char *text, size_t len, const char *what, int all)
{
	pctx c;
	cJSON *arr;
	int error = 0, done = 0;
	size_t i;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.what = what;
	if (!yaml_parser_initialize(&c.parser))
		return kft__error_oom();
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)text, len);
	if ((arr = cJSON_CreateArray()) == NULL) {
		yaml_parser_delete(&c.parser);
		return kft__error_oom();
	}
	while (!done && !error) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&c.parser, &ev)) {
			error = parse_error(&c);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			yaml_event_delete(&ev);
			break;
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			yaml_event_delete(&ev);
			break;
		default: {
			cJSON *doc;

			if ((error = parse_node(&c, &ev, &doc, 0)) < 0)
				break;
			if (cJSON_IsNull(doc))
				cJSON_Delete(doc);
			else
				cJSON_AddItemToArray(arr, doc);
			if (!all && cJSON_GetArraySize(arr) > 1)
				error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
				                       "%s: expected one YAML document, found several", what);
		}
		}
	}
	for (i = 0; i < c.nanchors; i++) {
		free(c.anchors[i].name);
		cJSON_Delete(c.anchors[i].value);
	}
	free(c.anchors);
	yaml_parser_delete(&c.parser);
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

static int valid_utf8_printable(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		if (*p < 0x80) {
			if (*p < 0x20 && *p != '\n' && *p != '\t')
				return 0;
			if (*p == 0x7f)
				return 0;
			p++;
		} else {
			int n = (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
			int i;

			if (n < 0)
				return 0;
			for (i = 1; i <= n; i++)
				if ((p[i] & 0xc0) != 0x80)
					return 0;
			p += n + 1;
		}
	}
	return 1;
}

/* Literal block style keeps multi-line strings (scripts) readable; it cannot
 * carry trailing spaces on lines, leading blank-space lines, or non-printables. */
static int literal_ok(const char *s)
{
	const char *p;

	if (!strchr(s, '\n') || !valid_utf8_printable(s) || strchr(s, '\t'))
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
		double d = j->valuedouble;

		if (d == (double)(long long)d && fabs(d) < 9.007199254740992e15)
			snprintf(num, sizeof(num), "%lld", (long long)d);
		else
			snprintf(num, sizeof(num), "%.17g", d);
		return emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE, 1);
	}
	if (cJSON_IsString(j)) {
		const char *s = j->valuestring;

		if (literal_ok(s))
			return emit_scalar(em, s, YAML_LITERAL_SCALAR_STYLE, 0);
		if (plain_is_ambiguous(s) || !valid_utf8_printable(s) || strchr(s, '\n'))
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

			if (plain_is_ambiguous(k) || !valid_utf8_printable(k) || strchr(k, '\n')) {
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

int kft__yaml_render(kft__buf *out, const cJSON *doc)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int ok;

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
