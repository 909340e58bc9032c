/*
 * Versioned option structs: one rule for every *_opts_init() and for reading
 * a caller's struct. A struct only grows by appending fields, and each
 * version's layout is known by its size, so a caller built against an
 * older header gets exactly the bytes its struct has written or read,
 * never more (libgit2's GIT_*_OPTIONS_VERSION pattern, with the size per
 * version that libgit2 leaves out). SPDX-License-Identifier: Apache-2.0
 */
#include "internal.h"

#include <string.h>

static int check_version(const kft__opts_layout *l, unsigned int version)
{
	if (version == 0 || version > l->nsizes)
		return kft__error_set(KFT_EVERSION, KFT_ERROR_CLASS_INVALID,
		                      "unsupported %s version %u (this library knows 1 to %zu)",
		                      l->name, version, l->nsizes);
	return 0;
}

int kft__opts_init(void *opts, unsigned int version, const kft__opts_layout *l)
{
	int error;

	KFT_ASSERT_ARG(opts);
	if ((error = check_version(l, version)) < 0)
		return error;
	memcpy(opts, l->defaults, l->sizes[version - 1]);
	memcpy(opts, &version, sizeof(version));   /* version is always the first field */
	return 0;
}

int kft__opts_read(void *dst, const void *src, const kft__opts_layout *l)
{
	unsigned int version;
	int error;

	memcpy(dst, l->defaults, l->sizes[l->nsizes - 1]);
	if (!src)
		return 0;
	memcpy(&version, src, sizeof(version));
	if ((error = check_version(l, version)) < 0)
		return error;
	memcpy(dst, src, l->sizes[version - 1]);
	return 0;
}

/* The log-prefix rule, for every backend (kept out of lib/client.c so that the
 * supervisor, which links the static archive, does not pull in libcurl). */
int kft__logs_prefix(const kft_logs_opts_t *opts)
{
	if (opts && opts->prefix == KFT_LOG_PREFIX_ALWAYS)
		return 1;
	if (opts && opts->prefix == KFT_LOG_PREFIX_NEVER)
		return 0;
	return !(opts && opts->step);
}

/* kft_render_opts_t: read by every kft_*_render (jobs too, so it lives here, not in spec.c). */
static const kft_render_opts_t render_defaults = KFT_RENDER_OPTS_INIT;
static const size_t render_sizes[] = { sizeof(kft_render_opts_t) };
static const kft__opts_layout render_layout = { "kft_render_opts_t", &render_defaults,
                                                render_sizes, 1 };

int kft_render_opts_init(kft_render_opts_t *opts, unsigned int version)
{
	return kft__opts_init(opts, version, &render_layout);
}

int kft__render_opts_read(kft_render_opts_t *dst, const kft_render_opts_t *src)
{
	int error;

	if ((error = kft__opts_read(dst, src, &render_layout)) < 0)
		return error;
	if (dst->format != KFT_FORMAT_YAML && dst->format != KFT_FORMAT_JSON &&
	    dst->format != KFT_FORMAT_TEXT)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "kft_render_opts_t.format: %d is not a kft_format_t", dst->format);
	return 0;
}

/*
 * The follow heartbeat logs.h promises, for every backend: while following,
 * call cb with len 0 (step "") when *last_ms is at least 500 ms old, so a
 * caller can cancel a quiet follow. Returns 0, or cb's non-zero value (with
 * the error set). last_ms NULL: call it now.
 */
int kft__logs_heartbeat(kft_log_cb cb, void *payload, int64_t *last_ms)
{
	int64_t now = kft__mono_ms();
	int rc;

	if (last_ms && *last_ms && now - *last_ms < 500)
		return 0;
	if (last_ms)
		*last_ms = now;
	if ((rc = cb("", 0, "", payload)) != 0)
		return kft__error_set(rc, KFT_ERROR_CLASS_CALLBACK, "log streaming stopped by the caller");
	return 0;
}
