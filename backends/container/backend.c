/*
 * The container backend. PLACEHOLDER: its issue fills it in; until then every
 * verb but runtimes reports KFT_ENOTSUPPORTED.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "internal.h"

#include <stdlib.h>

static void be_free(kft_backend_t *be)
{
	free(be);
}

int kft__backend_container_factory(kft_backend_t **out, const kft_client_opts_t *opts, void *payload)
{
	kft_backend_t *be = kft__calloc(1, sizeof(*be));

	KFT_CHECK_ALLOC(be);
	be->version = KFT_BACKEND_VERSION;
	be->name = "container";
	be->free = be_free;
	*out = be;
	return 0;
}
