/*
 * libarchive, loaded on first use. Only code-directory trainers (packing) and
 * the local initializer (extracting) need it, and linking it pulls libxml2 and
 * ICU into every program that uses libkftrainer: ~7 ms at each kft start.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "larchive.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static kft__archive_api api;
static int loaded;             /* 1 loaded, -1 unavailable */
static char why[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;

	if (!h)
		h = dlopen("libarchive.so", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, sizeof(why), "cannot load libarchive (libarchive13): %s", dlerror());
		loaded = -1;
		return;
	}
#define LOAD(f)                                                         \
	do {                                                            \
		if (!missing && !(*(void **)&api.f = dlsym(h, "archive_" #f))) \
			missing = "archive_" #f;                        \
	} while (0)
	LOAD(read_new); LOAD(read_support_filter_all); LOAD(read_support_format_all);
	LOAD(read_open_filename); LOAD(read_next_header); LOAD(read_data_block); LOAD(read_free);
	LOAD(write_disk_new); LOAD(write_disk_set_options); LOAD(write_header);
	LOAD(write_data_block); LOAD(write_finish_entry); LOAD(write_free);
	LOAD(write_new); LOAD(write_add_filter_gzip); LOAD(write_set_format_pax_restricted);
	LOAD(write_set_filter_option); LOAD(write_open2); LOAD(write_close); LOAD(write_data);
	LOAD(error_string);
	LOAD(entry_new); LOAD(entry_free); LOAD(entry_pathname); LOAD(entry_set_pathname);
	LOAD(entry_set_mode); LOAD(entry_set_size); LOAD(entry_set_mtime);
#undef LOAD
	if (missing) {
		snprintf(why, sizeof(why), "libarchive lacks %s", missing);
		loaded = -1;
		return;
	}
	loaded = 1;
}

const kft__archive_api *kft__archive(void)
{
	pthread_once(&once, load);
	if (loaded < 0) {
		kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_OS, "%s", why);
		return NULL;
	}
	return &api;
}
