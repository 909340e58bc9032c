/* Growable string buffer. SPDX-License-Identifier: Apache-2.0 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kft__buf_grow(kft__buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return KFT_ENOMEM;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if ((p = kft__realloc(b->ptr, cap)) == NULL) {
		b->oom = 1;
		return kft__error_oom();
	}
	b->ptr = p;
	b->cap = cap;
	return 0;
}

int kft__buf_put(kft__buf *b, const char *s, size_t n)
{
	int error;

	if (b->len + n < b->cap && !b->oom) {   /* fast path: room already there */
		if (n)
			memcpy(b->ptr + b->len, s, n);
		b->len += n;
		b->ptr[b->len] = '\0';
		return 0;
	}
	if ((error = kft__buf_grow(b, n)) < 0)
		return error;
	if (n)
		memcpy(b->ptr + b->len, s, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

int kft__buf_puts(kft__buf *b, const char *s)
{
	return kft__buf_put(b, s, strlen(s));
}

int kft__buf_putc(kft__buf *b, char c)
{
	if (b->len + 1 < b->cap && !b->oom) {
		b->ptr[b->len++] = c;
		b->ptr[b->len] = '\0';
		return 0;
	}
	return kft__buf_put(b, &c, 1);
}

int kft__buf_printf(kft__buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, error;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_OS, "bad format");
	if ((error = kft__buf_grow(b, (size_t)n)) < 0)
		return error;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int kft__buf_put_shquoted(kft__buf *b, const char *s)
{
	int error = 0;

	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	                    "_-./:=@%+,") == strlen(s))
		return kft__buf_puts(b, s);
	error |= kft__buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			error |= kft__buf_puts(b, "'\\''");
		else
			error |= kft__buf_putc(b, *s);
	}
	error |= kft__buf_putc(b, '\'');
	return error < 0 ? KFT_ENOMEM : 0;
}

/*
 * Text from outside (an API server's message, an exec plugin's output) for a message a
 * terminal shows: control characters (C0, DEL, and C1 such as U+009B, terminal escapes) and
 * bytes that are not UTF-8 become '?', tabs and line breaks a space; UTF-8 passes. Each
 * occurrence of secret (unless NULL or empty) becomes "[redacted]", before anything is cut:
 * past max bytes written, "..." ends the text.
 */
int kft__buf_put_text(kft__buf *b, const char *s, size_t max, const char *secret)
{
	return kft__buf_put_textn(b, s, strlen(s), max, secret);
}

/* kft__buf_put_text for n bytes that need not end in a NUL (a response body) */
int kft__buf_put_textn(kft__buf *b, const char *s, size_t n, size_t max, const char *secret)
{
	size_t i = 0, slen = secret ? strlen(secret) : 0, start = b->len;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t k;

		if (b->len - start >= max) {
			kft__buf_puts(b, "...");
			break;
		}
		if (slen && slen <= n - i && !memcmp(s + i, secret, slen)) {
			kft__buf_puts(b, "[redacted]");
			i += slen;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			kft__buf_putc(b, ' ');
			i++;
		} else if (c < 0x20 || c == 0x7f || (k = kft__utf8_seq(s + i, n - i)) == 0) {
			kft__buf_putc(b, '?');
			i++;
		} else if (k == 2 && c == 0xc2 && (unsigned char)s[i + 1] < 0xa0) {   /* C1 */
			kft__buf_putc(b, '?');
			i += 2;
		} else {
			kft__buf_put(b, s + i, k);
			i += k;
		}
	}
	return b->oom ? KFT_ENOMEM : 0;
}

char *kft__buf_detach(kft__buf *b)
{
	char *p = b->ptr;

	if (b->oom) {
		free(p);
		p = NULL;
	} else if (!p) {
		p = kft__strdup("");
	}
	b->ptr = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
	return p;
}

void kft__buf_free(kft__buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

void kft__buf_clear(kft__buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}
