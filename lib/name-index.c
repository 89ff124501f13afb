/* name-index.c - names (or pairs of names) to numbers in constant time. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "name-index.h"

/* FNV-1a over a, then a separator no name holds, then b. */
static uint64_t hash_of(const char *a, const char *b)
{
	uint64_t h = 14695981039346656037u;

	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	h = (h ^ 0xffu) * 1099511628211u;
	for (const unsigned char *p = (const unsigned char *)b; p && *p; p++)
		h = (h ^ *p) * 1099511628211u;
	return h;
}

static bool same(const rk_name_slot *s, uint64_t hash, const char *a,
		 const char *b)
{
	return s->hash == hash && strcmp(s->a, a) == 0
	       && (s->b == b || (s->b && b && strcmp(s->b, b) == 0));
}

/* The slot holding a (and b), or the empty one where it would go. */
static rk_name_slot *find(const rk_name_index *ix, uint64_t hash,
			  const char *a, const char *b)
{
	for (size_t i = hash & ix->mask;; i = (i + 1) & ix->mask) {
		rk_name_slot *s = &ix->slots[i];
		if (!s->a || same(s, hash, a, b))
			return s;
	}
}

/* Twice the slots, each entry placed again; kept at most half full. */
static bool grow(rk_name_index *ix)
{
	size_t n = ix->mask ? 2 * (ix->mask + 1) : 16;
	rk_name_index bigger = { calloc(n, sizeof(rk_name_slot)), n - 1,
				 ix->count };

	if (!bigger.slots)
		return false;
	for (size_t i = 0; ix->mask && i <= ix->mask; i++) {
		rk_name_slot *s = &ix->slots[i];
		if (s->a)
			*find(&bigger, s->hash, s->a, s->b) = *s;
	}
	free(ix->slots);
	*ix = bigger;
	return true;
}

int rk_name_index_add(rk_name_index *ix, const char *a, const char *b,
		      size_t value, size_t *found)
{
	if (2 * (ix->count + 1) > (ix->mask ? ix->mask + 1 : 0) && !grow(ix))
		return -1;
	uint64_t hash = hash_of(a, b);
	rk_name_slot *s = find(ix, hash, a, b);
	if (s->a) {
		if (found)
			*found = s->value;
		return 0;
	}
	*s = (rk_name_slot){ a, b, value, hash };
	ix->count++;
	return 1;
}

bool rk_name_index_get(const rk_name_index *ix, const char *a, const char *b,
		       size_t *value)
{
	if (!ix->mask)
		return false;
	rk_name_slot *s = find(ix, hash_of(a, b), a, b);
	if (!s->a)
		return false;
	*value = s->value;
	return true;
}

void rk_name_index_free(rk_name_index *ix)
{
	free(ix->slots);
	*ix = (rk_name_index)RK_NAME_INDEX_INIT;
}
