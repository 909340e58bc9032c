/*
 * One streaming JSON scanner for the core (see jscan.h): skip values without
 * parsing them, keep selected members, walk items in place, and stream the
 * "items" of a response as they arrive.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "jscan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---- skipping ---- */

const char *kft__js_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}


/*
 * The first byte in [p, end) that ends a run of plain string text: '"', '\\'
 * or a raw control character (U+0000..U+001F must be escaped in JSON; a raw NUL
 * would also cut a key or value short as a C string). One pass over the text,
 * where a memchr for the quote and a second walk for the controls read every
 * string twice: sixteen bytes at a time with SSE2 (every x86-64 has it), else
 * eight at a time with three has-less-than tests on a word (SWAR: exact about
 * whether a word holds such a byte; the word is then walked byte by byte).
 */
#define JS_ONES  0x0101010101010101ULL
#define JS_HIGHS 0x8080808080808080ULL

static int js_plain(unsigned char c)
{
	return c >= 0x20 && c != '"' && c != '\\';
}

static const char *js_special(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
		      ctl = _mm_set1_epi8(0x1f);

	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
			_mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x));   /* x <= 0x1f */
		int m = _mm_movemask_epi8(hit);

		if (m)
			return p + __builtin_ctz((unsigned)m);
		p += 16;
	}
#endif
	while (end - p >= 8) {
		uint64_t x, q, b;

		memcpy(&x, p, 8);
		q = x ^ (JS_ONES * '"');
		b = x ^ (JS_ONES * '\\');
		if ((((q - JS_ONES) & ~q) | ((b - JS_ONES) & ~b) | ((x - JS_ONES * 0x20) & ~x)) &
		    JS_HIGHS)
			break;
		p += 8;
	}
	while (p < end && js_plain((unsigned char)*p))
		p++;
	return p;
}

static int js_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Past the closing quote of the string at p (which is '"'), or NULL when the
 * text stops first or the body is not JSON's: a raw control character, or an
 * escape other than \" \\ \/ \b \f \n \r \t \uXXXX.
 */
const char *kft__js_string_end(const char *p, const char *end)
{
	for (p++;;) {
		p = js_special(p, end);
		if (p >= end || *p != '\\')
			return p < end && *p == '"' ? p + 1 : NULL;
		if (++p >= end)
			return NULL;
		if (*p == 'u') {
			if (end - p < 5 || !js_hex(p[1]) || !js_hex(p[2]) || !js_hex(p[3]) ||
			    !js_hex(p[4]))
				return NULL;
			p += 5;
		} else if (*p == '"' || *p == '\\' || *p == '/' || *p == 'b' || *p == 'f' ||
			   *p == 'n' || *p == 'r' || *p == 't') {
			p++;
		} else {
			return NULL;
		}
	}
}

/*
 * A scalar token [p, e): true, false, null, or a number as cJSON reads one (a
 * '-' or a digit first, then [0-9+-.eE], at most 63 characters, all of it
 * taken by strtod).
 */
static int scalar_ok(const char *p, const char *e)
{
	size_t n = (size_t)(e - p), i;
	char num[64], *stop;

	if ((n == 4 && (!memcmp(p, "true", 4) || !memcmp(p, "null", 4))) ||
	    (n == 5 && !memcmp(p, "false", 5)))
		return 1;
	if (n == 0 || n >= sizeof(num) || !(*p == '-' || (*p >= '0' && *p <= '9')))
		return 0;
	for (i = 0; i < n; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '+' || p[i] == '-' || p[i] == '.' ||
		      p[i] == 'e' || p[i] == 'E'))
			return 0;
		num[i] = p[i];
	}
	num[n] = '\0';
	strtod(num, &stop);
	return stop == num + n;
}

static int is_delim(char c)
{
	return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' ||
	       c == ':';
}

/*
 * The end of the value at p, validated as JSON (as strictly as cJSON reads it):
 * NULL when the text stops first, or when it is not JSON (a caller that gets
 * no more text then refuses it). Nesting deeper than KFT__JS_MAX_DEPTH is refused.
 */
const char *kft__js_value_end(const char *p, const char *end)
{
	enum { VALUE, VALUE_OR_CLOSE, KEY, KEY_OR_CLOSE, COLON, NEXT } want = VALUE;
	unsigned char obj[KFT__JS_MAX_DEPTH];   /* per open container: 1 object, 0 array */
	int depth = 0;

	for (;;) {
		const char *t;

		if (want != VALUE || depth > 0)
			p = kft__js_ws(p, end);
		if (p >= end)
			return NULL;
		switch (want) {
		case KEY_OR_CLOSE:
			if (*p == '}')
				goto close;
			/* fall through */
		case KEY:
			if (*p != '"' || (p = kft__js_string_end(p, end)) == NULL)
				return NULL;
			want = COLON;
			continue;
		case COLON:
			if (*p != ':')
				return NULL;
			p++;
			want = VALUE;
			continue;
		case NEXT:
			if (*p == ',') {
				p++;
				want = obj[depth - 1] ? KEY : VALUE;
				continue;
			}
			if (*p == (obj[depth - 1] ? '}' : ']'))
				goto close;
			return NULL;
		case VALUE_OR_CLOSE:
			if (*p == ']')
				goto close;
			/* fall through */
		case VALUE:
			if (*p == '{' || *p == '[') {
				if (depth >= KFT__JS_MAX_DEPTH)
					return NULL;
				obj[depth++] = *p == '{';
				want = *p++ == '{' ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
				continue;
			}
			if (*p == '"') {
				if ((p = kft__js_string_end(p, end)) == NULL)
					return NULL;
			} else {
				for (t = p; t < end && !is_delim(*t); t++)
					;
				if (t == end)   /* a number or literal may go on past end */
					return depth == 0 && t > p ? end : NULL;
				if (!scalar_ok(p, t))
					return NULL;
				p = t;
			}
			if (depth == 0)
				return p;
			want = NEXT;
			continue;
		}
close:
		p++;
		if (--depth == 0)
			return p;
		want = NEXT;
	}
}


static const kft__js_select *sel_match(const kft__js_select *s, const char *key, size_t len)
{
	for (; s->key; s++)
		if (strlen(s->key) == len && !memcmp(s->key, key, len))
			return s;
	return NULL;
}

/*
 * Parse the object at p (which is '{') keeping only what sel names, into `into`.
 * Returns the end of the object, or NULL: *oom set on allocation failure, else
 * the text is not JSON.
 */
const char *kft__js_parse_select(const char *p, const char *end, const kft__js_select *sel,
                                cJSON *into, int *oom)
{
	for (p = kft__js_ws(p + 1, end); p < end && *p != '}'; ) {
		const char *key = p, *kend, *v;
		const kft__js_select *m;

		if (*p != '"' || (kend = kft__js_string_end(p, end)) == NULL)
			return NULL;
		p = kft__js_ws(kend, end);
		if (p >= end || *p != ':')
			return NULL;
		v = p = kft__js_ws(p + 1, end);
		m = sel_match(sel, key + 1, (size_t)(kend - key - 2));
		if (m && m->sub && p < end && *p == '{') {
			cJSON *child = cJSON_CreateObject();

			if (!child || !cJSON_AddItemToObjectCS(into, m->key, child)) {
				cJSON_Delete(child);
				*oom = 1;
				return NULL;
			}
			if ((p = kft__js_parse_select(p, end, m->sub, child, oom)) == NULL)
				return NULL;
		} else {
			if ((p = kft__js_value_end(p, end)) == NULL)
				return NULL;
			if (m) {
				cJSON *item = cJSON_ParseWithLength(v, (size_t)(p - v));

				if (!item)
					return NULL;
				if (!cJSON_AddItemToObjectCS(into, m->key, item)) {
					cJSON_Delete(item);
					*oom = 1;
					return NULL;
				}
			}
		}
		p = kft__js_ws(p, end);
		if (p < end && *p == ',')
			p = kft__js_ws(p + 1, end);
		else if (p >= end || *p != '}')
			return NULL;
	}
	return p < end ? p + 1 : NULL;
}

struct kft__arena_chunk {
	struct kft__arena_chunk *next;
	size_t cap, used;
	char data[];
};


char *kft__arena_alloc(kft__arena *a, size_t n)
{
	kft__arena_chunk *c = a->head;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;

		if ((c = kft__malloc(sizeof(*c) + cap)) == NULL) {
			a->oom = 1;
			return NULL;
		}
		c->next = a->head;
		c->cap = cap;
		c->used = 0;
		a->head = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

/* Forget everything but keep the newest chunk for the next item. */
void kft__arena_reset(kft__arena *a)
{
	kft__arena_chunk *c;

	if (!a->head)
		return;
	while ((c = a->head->next) != NULL) {
		a->head->next = c->next;
		free(c);
	}
	a->head->used = 0;
}

void kft__arena_free(kft__arena *a)
{
	kft__arena_chunk *c;

	while ((c = a->head) != NULL) {
		a->head = c->next;
		free(c);
	}
}

static int hexval(const char *p)
{
	int v = 0, i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static char *put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xC0 | (cp >> 6));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xE0 | (cp >> 12));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*o++ = (char)(0xF0 | (cp >> 18));
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	}
	return o;
}

/*
 * Skip the value at w->p. On text that is not JSON, w->bad is set and w->p stays
 * where it was: a walker never holds a NULL position, and every step after a bad
 * one (kft__jr_member) stops.
 */
void kft__jr_skip(kft__jread *w)
{
	const char *e = kft__js_value_end(w->p, w->end);

	if (e)
		w->p = e;
	else
		w->bad = 1;
}

/* The string value at w->p, unescaped into the arena (NULL if not a string). */
const char *kft__jr_string(kft__jread *w)
{
	const char *p = w->p, *s, *e;
	char *out, *o;

	if (p >= w->end || *p != '"') {
		kft__jr_skip(w);
		return NULL;
	}
	if ((e = kft__js_string_end(p, w->end)) == NULL) {
		w->bad = 1;
		return NULL;
	}
	w->p = e;
	s = p + 1;
	e--;   /* the closing quote */
	if ((out = o = kft__arena_alloc(w->mem, (size_t)(e - s) + 1)) == NULL)
		return NULL;
	while (s < e) {
		const char *bs = memchr(s, '\\', (size_t)(e - s));
		size_t run = bs ? (size_t)(bs - s) : (size_t)(e - s);

		memcpy(o, s, run);
		o += run;
		s += run;
		if (!bs)
			break;
		if (++s >= e) {
			w->bad = 1;
			return NULL;
		}
		switch (*s++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			long cp = e - s >= 4 ? hexval(s) : -1;

			if (cp < 0) {
				w->bad = 1;
				return NULL;
			}
			s += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF && e - s >= 6 && s[0] == '\\' && s[1] == 'u') {
				long lo = hexval(s + 2);

				if (lo >= 0xDC00 && lo <= 0xDFFF) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					s += 6;
				}
			}
			if (cp >= 0xD800 && cp <= 0xDFFF)
				cp = 0xFFFD;   /* a lone surrogate, as encoding/json decodes it */
			if (cp == 0) {
				w->bad = 1;    /* NUL cannot live in a C string */
				return NULL;
			}
			o = put_utf8(o, (unsigned long)cp);
			break;
		}
		default:
			w->bad = 1;
			return NULL;
		}
	}
	*o = '\0';
	return out;
}

/* An integer (or a string holding one) at w->p; dflt otherwise. */
int64_t kft__jr_int(kft__jread *w, int64_t dflt)
{
	const char *v = w->p;
	char num[32];
	int64_t x;
	size_t n;

	if (v < w->end && *v == '"') {
		const char *s = kft__jr_string(w);

		return s && kft__parse_i64(&x, s) == 0 ? x : dflt;
	}
	kft__jr_skip(w);
	if (w->bad)
		return dflt;
	n = (size_t)(w->p - v);
	if (n == 0 || n >= sizeof(num))
		return dflt;
	memcpy(num, v, n);
	num[n] = '\0';
	if (kft__parse_i64(&x, num) == 0)
		return x;
	{   /* 2.0 and 2e0 are numbers too (cJSON reads them as 2) */
		char *endp;
		double d = strtod(num, &endp);

		return *endp == '\0' && d >= -9.2e18 && d <= 9.2e18 ? (int64_t)d : dflt;
	}
}

/*
 * Iterate an object's members: call with *first = 1 at the '{'. Returns 1 with
 * w->p at the value, 0 at the end (w->p after the '}'), -1 if not JSON.
 */
int kft__jr_member(kft__jread *w, int *first, const char **key, size_t *klen, int obj)
{
	const char *p, *kend;
	char close = obj ? '}' : ']';

	if (w->bad)
		return -1;
	p = kft__js_ws(w->p, w->end);
	if (*first) {
		if (p >= w->end || *p != (obj ? '{' : '['))
			goto bad;
		p = kft__js_ws(p + 1, w->end);
		if (p < w->end && *p == close) {
			w->p = p + 1;
			return 0;
		}
		*first = 0;
	} else {
		if (p < w->end && *p == close) {
			w->p = p + 1;
			return 0;
		}
		if (p >= w->end || *p != ',')
			goto bad;
		p = kft__js_ws(p + 1, w->end);
	}
	if (obj) {
		if (p >= w->end || *p != '"' || (kend = kft__js_string_end(p, w->end)) == NULL)
			goto bad;
		*key = p + 1;
		*klen = (size_t)(kend - p - 2);
		p = kft__js_ws(kend, w->end);
		if (p >= w->end || *p != ':')
			goto bad;
		p = kft__js_ws(p + 1, w->end);
	}
	if (p >= w->end)
		goto bad;
	w->p = p;
	return 1;
bad:
	w->bad = 1;
	return -1;
}


int kft__jr_enter(kft__jread *w)
{
	if (w->p < w->end && *w->p == '{')
		return 1;
	kft__jr_skip(w);
	return 0;
}

int kft__jr_field(kft__jread *w, int *first, const char **key, size_t *klen)
{
	if (*first && !kft__jr_enter(w))
		return 0;
	return !w->bad && kft__jr_member(w, first, key, klen, 1) == 1;
}

/* ---- stream: an object whose "items" are handed over one by one ---- */

enum { JS_START, JS_KEY, JS_ITEMS, JS_END };

static int js_bad(kft__jstream *js)
{
	kft__buf m = KFT__BUF_INIT;
	size_t i;
	int error;

	kft__buf_printf(&m, "%s sent a response that is not a JSON object (%s): ",
	                js->who ? js->who : "the server", js->what ? js->what : "?");
	for (i = 0; i < js->nhead; i++)
		kft__buf_putc(&m, (js->head[i] >= 32 && js->head[i] < 127) ? js->head[i] : '?');
	error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_PARSE, "%s",
	                       m.ptr ? m.ptr : "invalid JSON");
	kft__buf_free(&m);
	return error;
}

/* The end of the complete value at p, NULL if it may continue past end. */
static const char *js_value(const char *p, const char *end, int final)
{
	const char *e = kft__js_value_end(p, end);

	if (e == end && !final && *p != '"' && *p != '{' && *p != '[')
		return NULL;   /* a number or literal cut by the chunk boundary */
	return e;
}

/* Parse what is complete; final: nothing more will come. */
static int js_run(kft__jstream *js, int final)
{
	const char *base = js->buf.ptr ? js->buf.ptr : "", *p = base, *end = base + js->buf.len;
	const char *step = base;
	int error = 0;

	js->wait_until = 0;

	for (;;) {
		const char *e, *kend, *v;

		p = step = kft__js_ws(p, end);   /* a step is committed only when complete */
		if (js->state == JS_END) {
			if (p < end)
				return js_bad(js);
			break;
		}
		if (p >= end)
			goto more;
		if (js->state == JS_START) {
			if (*p != '{')
				return js_bad(js);
			p++;
			js->state = JS_KEY;
			js->first = 1;
			continue;
		}
		/* JS_KEY (the top-level object) or JS_ITEMS (its "items" array) */
		if (*p == (js->state == JS_KEY ? '}' : ']')) {
			p++;
			js->state = js->state == JS_KEY ? JS_END : JS_KEY;
			js->first = 0;   /* after "items", more members need a comma */
			continue;
		}
		if (!js->first) {
			if (*p != ',')
				return js_bad(js);
			if ((p = kft__js_ws(p + 1, end)) >= end)
				goto more;
		}
		if (js->state == JS_ITEMS) {
			if (*p != '{')
				return js_bad(js);
			/* parse at once: an item cut by the chunk boundary fails cleanly (its
			 * closing brace is missing) and is retried when more has come */
			if ((e = js->item(p, end, js->payload, &error)) == NULL) {
				if (error < 0)
					return error;
				if (kft__js_value_end(p, end) == NULL)
					goto more;
				return js_bad(js);
			}
			p = e;
			js->first = 0;
			continue;
		}
		if (*p != '"')
			return js_bad(js);
		if ((kend = kft__js_string_end(p, end)) == NULL)
			goto more;
		v = kft__js_ws(kend, end);
		if (v >= end)
			goto more;
		if (*v != ':')
			return js_bad(js);
		if ((v = kft__js_ws(v + 1, end)) >= end)
			goto more;
		if (kend - p == 7 && !memcmp(p, "\"items\"", 7) && *v == '[') {
			p = v + 1;
			js->state = JS_ITEMS;
			js->first = 1;
			continue;
		}
		if ((e = js_value(v, end, final)) == NULL)
			goto more;
		if (js->member &&
		    (error = js->member(p + 1, (size_t)(kend - p - 2), v, (size_t)(e - v),
		                         js->member_payload)) < 0)
			return error;
		p = e;
		js->first = 0;
	}
	js->buf.len = 0;
	return 0;
more:
	if (final)
		return js_bad(js);
	if (step > base) {   /* keep only the unparsed tail */
		size_t keep = (size_t)(end - step);

		memmove(js->buf.ptr, step, keep);
		js->buf.len = keep;
		js->buf.ptr[keep] = '\0';
	}
	/* try again once the tail has doubled: a big item arriving in many pieces is
	 * scanned O(size) times in all, not once per piece */
	js->wait_until = 2 * js->buf.len;
	return 0;
}

void kft__jstream_restart(kft__jstream *js)
{
	kft__buf_clear(&js->buf);
	js->wait_until = 0;
	js->state = JS_START;
	js->first = 0;
	js->nhead = 0;
}

/* an unparsed tail this long is not one item (etcd stores objects of at most 1.5 MiB) */
#define JS_MAX_PENDING ((size_t)64 << 20)

int kft__jstream_feed(kft__jstream *js, const char *data, size_t len)
{
	size_t max = js->max_pending ? js->max_pending : JS_MAX_PENDING;
	int error;

	if (js->nhead < sizeof(js->head)) {
		size_t n = len < sizeof(js->head) - js->nhead ? len : sizeof(js->head) - js->nhead;

		memcpy(js->head + js->nhead, data, n);
		js->nhead += n;
	}
	if (kft__buf_put(&js->buf, data, len) < 0)
		return kft__error_oom();
	if (js->buf.len < js->wait_until && js->buf.len <= max)
		return 0;
	if ((error = js_run(js, 0)) == 0 && js->buf.len > max)
		error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_PARSE,
		                       "%s sent a %s item of more than %zu MiB; an object is at most a "
		                       "few MiB", js->who ? js->who : "the server",
		                       js->what ? js->what : "list", max >> 20);
	return error;
}

int kft__jstream_finish(kft__jstream *js)
{
	return js_run(js, 1);
}

void kft__jstream_free(kft__jstream *js)
{
	kft__buf_free(&js->buf);
}
