// SPDX-License-Identifier: GPL-2.0
/* Data patterns, clocks, a small PRNG, message helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vl-guest.h"

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Every logical block starts with its LBA and the seed (LE64 each), and
 * the rest is a hash of (seed, LBA, offset): data from another LBA or an
 * earlier write (other seed) never matches.
 */
static void block_fill(uint8_t *b, uint64_t lba, uint32_t bsz, uint64_t seed)
{
	uint64_t key = mix64(seed ^ mix64(lba));
	uint32_t off;

	for (off = 0; off < bsz; off += 8) {
		uint8_t w[8];

		put_le64(w, mix64(key + off));
		if (off == 0)
			put_le64(w, lba);
		else if (off == 8)
			put_le64(w, seed);
		memcpy(b + off, w, bsz - off < 8 ? bsz - off : 8);
	}
}

void pattern_fill(void *buf, uint64_t lba, uint32_t blocks, uint32_t bsz,
		  uint64_t seed)
{
	uint32_t i;

	for (i = 0; i < blocks; i++)
		block_fill((uint8_t *)buf + (size_t)i * bsz, lba + i, bsz, seed);
}

/* -1 if buf holds the pattern, else the offset of the first wrong byte. */
long pattern_check(const void *buf, uint64_t lba, uint32_t blocks,
		   uint32_t bsz, uint64_t seed)
{
	uint8_t want[4096], *w = want;
	const uint8_t *p = buf;
	uint32_t i, j;

	if (bsz > sizeof(want))
		return 0;
	for (i = 0; i < blocks; i++) {
		block_fill(w, lba + i, bsz, seed);
		if (memcmp(p + (size_t)i * bsz, w, bsz) == 0)
			continue;
		for (j = 0; j < bsz; j++)
			if (p[(size_t)i * bsz + j] != w[j])
				return (long)((size_t)i * bsz + j);
	}
	return -1;
}

int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* xorshift64*: the state must not be 0. */
uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

void info(const char *fmt, ...)
{
	va_list ap;

	fputs("INFO: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

bool tally_vck(struct tally *t, bool ok, const char *what, const char *fmt,
	       va_list ap)
{
	printf("%s: %s%s", ok ? "PASS" : "FAIL",
	       t->o->label ? t->o->label : "", what);
	if (!ok && fmt) {
		fputs(" (", stdout);
		vprintf(fmt, ap);
		putchar(')');
	}
	putchar('\n');
	fflush(stdout);
	if (ok)
		t->pass++;
	else
		t->fail++;
	return ok;
}

bool tally_ck(struct tally *t, bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tally_vck(t, ok, what, fmt, ap);
	va_end(ap);
	return ok;
}

int tally_exit(const struct tally *t)
{
	printf("vl-guest %s %s: %u passed, %u failed\n", t->mode, t->o->scase,
	       t->pass, t->fail);
	fflush(stdout);
	return t->fail ? 1 : 0;
}

void vlog(const struct vl_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->verbose)
		return;
	fputs("vl-guest: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
