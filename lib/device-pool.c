/* device-pool.c - a fixed block of memory handed out in pieces: the
 * free pieces, in address order, as (offset, length) ranges. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "device-host.h"

struct range {
	size_t offset, length;
};

struct rk_pool {
	size_t align;
	struct range *free;             /* sorted by offset, never touching */
	size_t n_free, cap_free;
};

static size_t round_up(size_t n, size_t align)
{
	return (n + align - 1) & ~(align - 1);
}

rk_pool *rk_pool_new(size_t bytes, size_t align)
{
	rk_pool *p = calloc(1, sizeof(*p));

	if (!p || !(p->free = malloc(sizeof(*p->free) * 8))) {
		free(p);
		return NULL;
	}
	p->align = align;
	p->cap_free = 8;
	/* A block that is not a whole number of pieces keeps its tail. */
	bytes &= ~(align - 1);
	if (bytes)
		p->free[p->n_free++] = (struct range){ 0, bytes };
	return p;
}

void rk_pool_free(rk_pool *p)
{
	if (!p)
		return;
	free(p->free);
	free(p);
}

bool rk_pool_get(rk_pool *p, size_t bytes, size_t *offset)
{
	size_t need = round_up(bytes ? bytes : 1, p->align);

	if (need < bytes)
		return false;           /* overflowed */
	for (size_t i = 0; i < p->n_free; i++) {
		struct range *r = &p->free[i];
		if (r->length < need)
			continue;
		*offset = r->offset;
		r->offset += need;
		r->length -= need;
		if (r->length == 0) {
			memmove(r, r + 1, (p->n_free - i - 1) * sizeof(*r));
			p->n_free--;
		}
		return true;
	}
	return false;
}

void rk_pool_put(rk_pool *p, size_t offset, size_t bytes)
{
	size_t length = round_up(bytes ? bytes : 1, p->align), i = 0;

	while (i < p->n_free && p->free[i].offset < offset)
		i++;
	bool joins_before = i > 0
		&& p->free[i - 1].offset + p->free[i - 1].length == offset;
	bool joins_after = i < p->n_free
		&& offset + length == p->free[i].offset;
	if (joins_before && joins_after) {
		p->free[i - 1].length += length + p->free[i].length;
		memmove(&p->free[i], &p->free[i + 1],
			(p->n_free - i - 1) * sizeof(p->free[0]));
		p->n_free--;
	} else if (joins_before) {
		p->free[i - 1].length += length;
	} else if (joins_after) {
		p->free[i].offset = offset;
		p->free[i].length += length;
	} else {
		if (p->n_free == p->cap_free) {
			struct range *f = realloc(p->free, 2 * p->cap_free
						  * sizeof(*f));
			if (!f)
				return;         /* the piece stays taken */
			p->free = f;
			p->cap_free *= 2;
		}
		memmove(&p->free[i + 1], &p->free[i],
			(p->n_free - i) * sizeof(p->free[0]));
		p->free[i] = (struct range){ offset, length };
		p->n_free++;
	}
}

size_t rk_pool_free_bytes(const rk_pool *p)
{
	size_t total = 0;

	for (size_t i = 0; i < p->n_free; i++)
		total += p->free[i].length;
	return total;
}
