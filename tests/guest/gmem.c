// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM: one anonymous mapping per region.  Guest-physical addresses
 * start at --gpa-base; with --split-mem there are two regions with a hole
 * between them (in guest-physical space and in our address space), so the
 * device must translate every descriptor through the memory table.
 * With --secret-mem the regions are memfd_secret(2) memory, which the
 * kernel refuses to pin (and keeps out of its own direct map): a device
 * can reach it only through the VMM's page tables, with copies.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vl-guest.h"

#define GMEM_HOLE	(256ULL << 20)
#define PERM_SHARE	8		/* 1/8 of region 0 for rings etc. */

static void arena_init(struct arena *a, const struct gmem_region *r,
		       uint64_t start, uint64_t end)
{
	a->r = r;
	a->start = start;
	a->end = end;
	a->next = start;
}

/* A shared mapping of a fresh memfd_secret(2) file of @size bytes. */
static void *secret_map(uint64_t size)
{
#ifdef SYS_memfd_secret
	void *p = MAP_FAILED;
	int fd, err;

	fd = (int)syscall(SYS_memfd_secret, 0);
	if (fd < 0)
		return MAP_FAILED;
	if (!ftruncate(fd, (off_t)size))
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = errno;
	close(fd);	/* the mapping keeps the memory */
	errno = err;
	return p;
#else
	(void)size;
	errno = ENOSYS;
	return MAP_FAILED;
#endif
}

int gmem_init(struct gmem *m, uint64_t base, uint64_t size, bool split,
	      bool secret)
{
	uint64_t each = split ? size / 2 : size;
	uint64_t perm, half;
	unsigned int i;

	memset(m, 0, sizeof(*m));
	each &= ~0xfffffULL;		/* whole MiB */
	if (each < (8ULL << 20))
		return -EINVAL;
	m->nr = split ? 2 : 1;
	for (i = 0; i < m->nr; i++) {
		struct gmem_region *r = &m->r[i];
		void *p;

		if (secret)
			p = secret_map(each);
		else
			p = mmap(NULL, each, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				 -1, 0);
		if (p == MAP_FAILED) {
			int err = -errno;

			gmem_fini(m);
			return err;
		}
		r->hva = p;
		r->size = each;
		r->gpa = base + i * (each + GMEM_HOLE);
	}
	/* Without a second region, the two data arenas halve region 0. */
	perm = m->r[0].size / PERM_SHARE;
	half = perm + (m->r[0].size - perm) / 2;
	arena_init(&m->perm, &m->r[0], 0, perm);
	if (split) {
		arena_init(&m->data[0], &m->r[0], perm, m->r[0].size);
		arena_init(&m->data[1], &m->r[1], 0, m->r[1].size);
	} else {
		arena_init(&m->data[0], &m->r[0], perm, half);
		arena_init(&m->data[1], &m->r[0], half, m->r[0].size);
	}
	return 0;
}

void gmem_fini(struct gmem *m)
{
	unsigned int i;

	for (i = 0; i < m->nr; i++)
		if (m->r[i].hva)
			munmap(m->r[i].hva, m->r[i].size);
	memset(m, 0, sizeof(*m));
}

/* align must be a power of two; returns NULL when the arena is full. */
void *arena_alloc(struct arena *a, uint64_t size, uint64_t align,
		  uint64_t *gpa)
{
	uint64_t off = (a->next + align - 1) & ~(align - 1);

	if (off > a->end || size > a->end - off)
		return NULL;
	a->next = off + size;
	if (gpa)
		*gpa = a->r->gpa + off;
	return a->r->hva + off;
}

void *gmem_hva(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < m->nr; i++) {
		const struct gmem_region *r = &m->r[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size &&
		    len <= r->size - (gpa - r->gpa))
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

uint64_t gmem_gpa(const struct gmem *m, const void *hva)
{
	uintptr_t p = (uintptr_t)hva;
	unsigned int i;

	for (i = 0; i < m->nr; i++) {
		uintptr_t b = (uintptr_t)m->r[i].hva;

		if (p >= b && p - b < m->r[i].size)
			return m->r[i].gpa + (p - b);
	}
	return 0;
}
