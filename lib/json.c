/* cJSON helpers and output formats. SPDX-License-Identifier: Apache-2.0 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const cJSON *kft__json_get(const cJSON *obj, const char *key)
{
	return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

const char *kft__json_str(const cJSON *obj, const char *key)
{
	const cJSON *it = kft__json_get(obj, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

int64_t kft__json_int(const cJSON *it, int64_t min, int64_t max, int64_t dflt)
{
	int64_t v;

	if (!cJSON_IsNumber(it) || kft__double_i64(&v, trunc(it->valuedouble)) < 0 || v < min ||
	    v > max)
		return dflt;
	return v;
}

cJSON *kft__json_path(const cJSON *root, const char *path)
{
	const cJSON *cur = root;
	const char *p = path;

	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[256];
		const cJSON *child;

		if (n >= sizeof(key) || !cJSON_IsObject(cur))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		child = NULL;
		for (child = cur->child; child; child = child->next)
			if (child->string && !strcmp(child->string, key))
				break;
		cur = child;
		p = dot ? dot + 1 : p + n;
	}
	return (cJSON *)cur;
}

cJSON *kft__json_path_mkobj(cJSON *root, const char *path)
{
	cJSON *cur = root;
	const char *p = path;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[256];
		cJSON *child;

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		child = cJSON_GetObjectItemCaseSensitive(cur, key);
		if (!cJSON_IsObject(child)) {
			cJSON *obj = cJSON_CreateObject();

			if (!obj)
				return NULL;
			/* ReplaceItemViaPointer would drop the key name: replace by key */
			if (child) {
				if (!cJSON_ReplaceItemInObjectCaseSensitive(cur, key, obj)) {
					cJSON_Delete(obj);
					return NULL;
				}
			} else {
				cJSON_AddItemToObject(cur, key, obj);
			}
			child = obj;
		}
		cur = child;
		p = dot ? dot + 1 : p + n;
	}
	return cur;
}

int kft__json_set(cJSON *obj, const char *key, cJSON *item)
{
	cJSON *old;

	if (!item)
		return kft__error_oom();
	old = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (old) {
		/* (ReplaceItemViaPointer would drop the key name) */
		if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)) {
			cJSON_Delete(item);
			return kft__error_oom();
		}
		return 0;
	}
	if (!cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return kft__error_oom();
	}
	return 0;
}

int kft__json_set_str(cJSON *obj, const char *key, const char *value)
{
	return kft__json_set(obj, key, cJSON_CreateString(value));
}

cJSON *kft__json_find(const cJSON *arr, const char *field, const char *value)
{
	cJSON *it;

	cJSON_ArrayForEach(it, arr)
		if (kft__streq(kft__json_str(it, field), value))
			return it;
	return NULL;
}

cJSON *kft__json_keyed_item(cJSON *obj, const char *key, const char *field, const char *value)
{
	cJSON *arr, *it;

	if (!obj)
		return NULL;
	arr = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsArray(arr) &&
	    ((arr = cJSON_CreateArray()) == NULL || kft__json_set(obj, key, arr) < 0))
		return NULL;
	if ((it = kft__json_find(arr, field, value)) != NULL)
		return it;
	if ((it = cJSON_CreateObject()) == NULL || !cJSON_AddStringToObject(it, field, value)) {
		cJSON_Delete(it);
		return NULL;
	}
	cJSON_AddItemToArray(arr, it);
	return it;
}

/*
 * What a YAML reader would not read back as written (TrainJob JSON is read with libyaml):
 * DEL, the C1 controls (NEL is a line break to YAML), LS, PS and U+FFFE/U+FFFF. Returns the
 * code point to write as a \\u escape with its length in *n, or 0 when p starts something else.
 */
static unsigned yaml_unsafe(const unsigned char *p, size_t *n)
{
	if (p[0] == 0x7f) {
		*n = 1;
		return 0x7f;
	}
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
		*n = 2;
		return p[1];
	}
	if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
		*n = 3;
		return 0x2000u | (p[2] - 0x80u);   /* U+2028, U+2029 */
	}
	if (p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)) {
		*n = 3;
		return 0xff00u | (p[2] + 0x40u);   /* U+FFFE, U+FFFF */
	}
	return 0;
}

/* The characters (code points) json_put_string writes for str, without its quotes. */
size_t kft__json_str_chars(const char *str)
{
	const unsigned char *p = (const unsigned char *)str;
	size_t n = 0, k;

	while (*p) {
		if (*p >= 0x7f) {
			if (yaml_unsafe(p, &k)) {
				n += 6;   /* \uXXXX */
				p += k;
				continue;
			}
			n += (*p & 0xc0) != 0x80;   /* a lead byte starts a character */
		} else if (*p == '"' || *p == '\\' || *p == '\n' || *p == '\r' || *p == '\t' ||
		           *p == '\b' || *p == '\f') {
			n += 2;
		} else {
			n += *p < 0x20 ? 6 : 1;
		}
		p++;
	}
	return n;
}

/* JSON string escaping straight into the buffer (no allocation per value). */
static void json_put_string(kft__buf *b, const char *str)
{
	const unsigned char *p = (const unsigned char *)str, *run = p;

	/* the common case: plain ASCII, nothing to escape */
	while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
		p++;
	if (!*p) {
		size_t n = (size_t)(p - run);

		if (kft__buf_grow(b, n + 2) == 0) {
			b->ptr[b->len++] = '"';
			memcpy(b->ptr + b->len, run, n);
			b->len += n;
			b->ptr[b->len++] = '"';
			b->ptr[b->len] = '\0';
		}
		return;
	}
	kft__buf_putc(b, '"');
	for (;;) {
		const char *esc;
		char u[16];   /* "\\u%04x" of an unsigned: room for any */
		size_t n = 1;
		unsigned cp;

		while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			p++;
		if (!*p)
			break;
		if (*p >= 0x7f) {
			if (!(cp = yaml_unsafe(p, &n))) {
				p++;
				continue;
			}
			snprintf(u, sizeof(u), "\\u%04x", cp);
			esc = u;
		} else {
			switch (*p) {
			case '"': esc = "\\\""; break;
			case '\\': esc = "\\\\"; break;
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			case '\b': esc = "\\b"; break;
			case '\f': esc = "\\f"; break;
			default:
				snprintf(u, sizeof(u), "\\u%04x", *p);
				esc = u;
			}
		}
		kft__buf_put(b, (const char *)run, (size_t)(p - run));
		kft__buf_puts(b, esc);
		p += n;
		run = p;
	}
	kft__buf_put(b, (const char *)run, (size_t)(p - run));
	kft__buf_putc(b, '"');
}

static void json_indent(kft__buf *b, int depth)
{
	static const char spaces[] = "                                                                ";
	size_t n = (size_t)depth * 2;

	while (n > sizeof(spaces) - 1) {
		kft__buf_put(b, spaces, sizeof(spaces) - 1);
		n -= sizeof(spaces) - 1;
	}
	kft__buf_put(b, spaces, n);
}

void kft__jw_init(kft__jw *w, kft__buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
}

/* Separator, newline, indentation and key before a value (json_pretty's layout). */
static void jw_item(kft__jw *w, const char *key)
{
	int d = w->depth;
	size_t ind = (size_t)d * 2;

	if (d == 0)
		return;
	if (kft__buf_grow(w->b, ind + 2) == 0) {   /* ",\n" + indentation in one go */
		char *o = w->b->ptr + w->b->len;

		if (w->n[d])
			*o++ = ',';
		*o++ = '\n';
		memset(o, ' ', ind);
		o += ind;
		*o = '\0';
		w->b->len = (size_t)(o - w->b->ptr);
	}
	w->n[d] = 1;
	if (w->obj[d]) {
		json_put_string(w->b, key ? key : "");
		kft__buf_put(w->b, ": ", 2);
	}
}

void kft__jw_open(kft__jw *w, const char *key, int object)
{
	jw_item(w, key);
	if (w->depth >= KFT__JW_MAX_DEPTH) {
		w->b->oom = 1;   /* a caller bug, not data: refuse rather than overflow */
		return;
	}
	kft__buf_putc(w->b, object ? '{' : '[');
	w->depth++;
	w->n[w->depth] = 0;
	w->obj[w->depth] = (unsigned char)(object != 0);
}

void kft__jw_close(kft__jw *w)
{
	int d = w->depth;

	if (d == 0)
		return;
	if (w->n[d]) {
		kft__buf_putc(w->b, '\n');
		json_indent(w->b, d - 1);
	}
	kft__buf_putc(w->b, w->obj[d] ? '}' : ']');
	w->depth--;
}

void kft__jw_str(kft__jw *w, const char *key, const char *value)
{
	jw_item(w, key);
	if (value)
		json_put_string(w->b, value);
	else
		kft__buf_put(w->b, "null", 4);
}

void kft__jw_int(kft__jw *w, const char *key, long long value)
{
	char num[24], *p = num + sizeof(num);
	unsigned long long u = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;

	jw_item(w, key);
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (value < 0)
		*--p = '-';
	kft__buf_put(w->b, p, (size_t)(num + sizeof(num) - p));
}

/* Pretty JSON with 2-space indentation (kubectl's layout). */
static int json_pretty(kft__buf *b, const cJSON *j, int depth)
{
	const cJSON *c;

	if (cJSON_IsArray(j) || cJSON_IsObject(j)) {
		int obj = cJSON_IsObject(j);

		if (!j->child)
			return kft__buf_puts(b, obj ? "{}" : "[]");
		kft__buf_putc(b, obj ? '{' : '[');
		for (c = j->child; c; c = c->next) {
			kft__buf_putc(b, '\n');
			json_indent(b, depth + 1);
			if (obj) {
				json_put_string(b, c->string ? c->string : "");
				kft__buf_put(b, ": ", 2);
			}
			if (json_pretty(b, c, depth + 1) < 0)
				return KFT_ENOMEM;
			if (c->next)
				kft__buf_putc(b, ',');
		}
		kft__buf_putc(b, '\n');
		json_indent(b, depth);
		return kft__buf_putc(b, obj ? '}' : ']');
	}
	if (cJSON_IsString(j))
		json_put_string(b, j->valuestring);
	else if (cJSON_IsTrue(j))
		kft__buf_puts(b, "true");
	else if (cJSON_IsFalse(j))
		kft__buf_puts(b, "false");
	else if (cJSON_IsNumber(j)) {
		double d = j->valuedouble;
		int64_t i;

		if (!isfinite(d))
			kft__buf_puts(b, "null");
		else if (kft__double_i64(&i, d) == 0)
			kft__buf_printf(b, "%lld", (long long)i);
		else
			kft__buf_printf(b, "%.17g", d);
	} else
		kft__buf_puts(b, "null");
	return b->oom ? KFT_ENOMEM : 0;
}

int kft__json_pretty(char **out, const cJSON *doc)
{
	kft__buf b = KFT__BUF_INIT;

	*out = NULL;
	if (json_pretty(&b, doc, 0) < 0 || kft__buf_putc(&b, '\n') < 0 ||
	    (*out = kft__buf_detach(&b)) == NULL) {
		kft__buf_free(&b);
		return kft__error_oom();
	}
	return 0;
}

int kft__render_doc(char **out, const cJSON *doc, int format)
{
	*out = NULL;
	if (format == KFT_FORMAT_JSON)
		return kft__json_pretty(out, doc);
	else {
		kft__buf b = KFT__BUF_INIT;
		int error = kft__yaml_render(&b, doc);

		if (error < 0) {
			kft__buf_free(&b);
			return error;
		}
		if ((*out = kft__buf_detach(&b)) == NULL)
			return kft__error_oom();
		return 0;
	}
}
