/* Allocation with a fault-injection hook. SPDX-License-Identifier: Apache-2.0 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static _Thread_local long fail_after = -1;

void kft__alloc_fail_after(long n)
{
	fail_after = n;
}

static int should_fail(void)
{
	if (fail_after < 0)
		return 0;
	if (fail_after == 0) {
		fail_after = -1;
		return 1;
	}
	fail_after--;
	return 0;
}

/*
 * Every allocation failure sets this thread's error ("out of memory",
 * KFT_ERROR_CLASS_NOMEM) where it happens, so each path that returns
 * KFT_ENOMEM has kft_error_last() set, however many helpers it went through.
 */
static void *checked(void *p)
{
	if (!p)
		kft__error_oom();
	return p;
}

void *kft__malloc(size_t n)
{
	return checked(should_fail() ? NULL : malloc(n ? n : 1));
}

void *kft__calloc(size_t n, size_t size)
{
	return checked(should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1));
}

void *kft__realloc(void *p, size_t n)
{
	return checked(should_fail() ? NULL : realloc(p, n ? n : 1));
}

int kft__grow(void *arrp, size_t *cap, size_t need, size_t elem, size_t first)
{
	size_t c = *cap ? *cap : first;
	void *old, *p;

	if (need <= *cap)
		return 0;
	while (c < need && c <= SIZE_MAX / 2)
		c *= 2;
	if (c < need || c > SIZE_MAX / elem)
		return kft__error_oom();
	/* through memcpy: arrp points at a T *, not a void * */
	memcpy(&old, arrp, sizeof(old));
	if (!(p = kft__realloc(old, c * elem)))
		return KFT_ENOMEM;
	memcpy(arrp, &p, sizeof(p));
	*cap = c;
	return 0;
}

char *kft__strndup(const char *s, size_t n)
{
	char *p;

	if (!s)
		return NULL;
	if ((p = kft__malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *kft__strdup(const char *s)
{
	return s ? kft__strndup(s, strlen(s)) : NULL;
}

int kft__strdup_replace(char **dst, const char *src)
{
	char *copy = NULL;

	if (src && (copy = kft__strdup(src)) == NULL)
		return kft__error_oom();
	free(*dst);
	*dst = copy;
	return 0;
}

void kft_free(void *ptr)
{
	free(ptr);
}
