/*
 * Docker Engine log streams (attach/logs with the 8-byte frame header): the
 * demultiplexer fed the same bytes split at every offset (and byte by byte)
 * delivers exactly what it delivers from one piece.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"
#include "../backends/container/engine.h"

typedef struct {
	kft__buf out;   /* fd byte, then the data, per callback */
} sink;

static int collect(const char *data, size_t len, int fd, void *payload)
{
	sink *s = payload;
	size_t i;

	/* per-byte records: how the data is chunked must not matter, where it goes must */
	for (i = 0; i < len; i++) {
		kft__buf_putc(&s->out, (char)fd);
		kft__buf_putc(&s->out, data[i]);
	}
	return 0;
}

static void feed(sink *s, const uint8_t *data, size_t size, size_t split, size_t step)
{
	kft__demux d = KFT__DEMUX_INIT;
	size_t off;

	memset(s, 0, sizeof(*s));
	if (split > size)
		split = size;
	FUZZ_CHECK(kft__demux_feed(&d, (const char *)data, split, collect, s) == 0, "feed");
	for (off = split; off < size; off += step)
		FUZZ_CHECK(kft__demux_feed(&d, (const char *)data + off,
		                           size - off < step ? size - off : step, collect, s) == 0,
		           "feed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sink whole, part;
	size_t split;

	feed(&whole, data, size, size, 1);
	for (split = 0; split < size; split += split < 64 ? 1 : size / 16 + 1) {
		feed(&part, data, size, split, size);
		FUZZ_CHECK(part.out.len == whole.out.len &&
		           (!part.out.len || !memcmp(part.out.ptr, whole.out.ptr, part.out.len)),
		           "split at %zu differs", split);
		kft__buf_free(&part.out);
	}
	if (size <= 4096) {
		feed(&part, data, size, 0, 1);
		FUZZ_CHECK(part.out.len == whole.out.len &&
		           (!part.out.len || !memcmp(part.out.ptr, whole.out.ptr, part.out.len)),
		           "byte by byte differs");
		kft__buf_free(&part.out);
	}
	kft__buf_free(&whole.out);
	return 0;
}
