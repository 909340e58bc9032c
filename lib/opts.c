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
