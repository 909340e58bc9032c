/*
 * libarchive through dlopen (lib/larchive.c): the functions libkftrainer and
 * kft-supervisor use, loaded on first use.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_LARCHIVE_H
#define KFT_LARCHIVE_H

#include "internal.h"

#include <archive.h>
#include <archive_entry.h>

typedef struct {
	struct archive *(*read_new)(void);
	int (*read_support_filter_all)(struct archive *);
	int (*read_support_format_all)(struct archive *);
	int (*read_open_filename)(struct archive *, const char *, size_t);
	int (*read_next_header)(struct archive *, struct archive_entry **);
	int (*read_data_block)(struct archive *, const void **, size_t *, la_int64_t *);
	int (*read_free)(struct archive *);
	struct archive *(*write_disk_new)(void);
	int (*write_disk_set_options)(struct archive *, int);
	int (*write_header)(struct archive *, struct archive_entry *);
	la_ssize_t (*write_data_block)(struct archive *, const void *, size_t, la_int64_t);
	int (*write_finish_entry)(struct archive *);
	int (*write_free)(struct archive *);
	struct archive *(*write_new)(void);
	int (*write_add_filter_gzip)(struct archive *);
	int (*write_set_format_pax_restricted)(struct archive *);
	int (*write_set_filter_option)(struct archive *, const char *, const char *, const char *);
	int (*write_open2)(struct archive *, void *, archive_open_callback *, archive_write_callback *,
	                   archive_close_callback *, archive_free_callback *);
	int (*write_close)(struct archive *);
	la_ssize_t (*write_data)(struct archive *, const void *, size_t);
	const char *(*error_string)(struct archive *);
	struct archive_entry *(*entry_new)(void);
	void (*entry_free)(struct archive_entry *);
	const char *(*entry_pathname)(struct archive_entry *);
	void (*entry_set_pathname)(struct archive_entry *, const char *);
	void (*entry_set_mode)(struct archive_entry *, __LA_MODE_T);
	void (*entry_set_size)(struct archive_entry *, la_int64_t);
	void (*entry_set_mtime)(struct archive_entry *, time_t, long);
	__LA_MODE_T (*entry_filetype)(struct archive_entry *);
	const char *(*entry_hardlink)(struct archive_entry *);
	la_int64_t (*filter_bytes)(struct archive *, int);
} kft__archive_api;

/** The loaded functions; NULL (error set, naming the library) if libarchive is missing. */
const kft__archive_api *kft__archive(void);

/** Bounds of one extraction (0: the default). */
typedef struct {
	uint64_t max_bytes;      /* data written in all (default 1 TiB) */
	uint64_t max_entries;    /* members (default 10,000,000) */
	uint64_t ratio_after;    /* past this many bytes written (default 1 GiB) ... */
	unsigned max_ratio;      /* ... at most this many times the bytes read (default 200) */
} kft__extract_limits;

/**
 * Unpack the archive at src (any format and filter libarchive reads) into the
 * existing directory dest. Refused, with an error naming the member: absolute
 * or ".." names, hard links, devices and FIFOs, writes through symlinks, and
 * past the limits (zip bombs: expansion bounded in size, count and ratio).
 * What was written before a refusal stays. *entries: members written. It
 * changes the working directory while it runs (relative member names keep
 * libarchive's checks off dest's own path): for single-threaded processes,
 * the initializer and tests.
 */
int kft__archive_extract(const char *src, const char *dest, const kft__extract_limits *lim,
                         uint64_t *entries);

#endif
