/* name-index.h - names (or pairs of names) to numbers in constant time.
 *
 * An open-addressing hash table for the checks of a topology that once
 * compared every name with every other: finding a kernel by id, a key
 * given twice, an edge given twice.  Those made `validate` of a
 * 2000-kernel topology take minutes.  The names are not copied: they
 * must outlive the index, and not change while it is in use.
 */
#ifndef RK_NAME_INDEX_H
#define RK_NAME_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rk_name_slot {
	const char *a, *b;              /* a NULL: an empty slot */
	size_t value;
	uint64_t hash;
} rk_name_slot;

typedef struct rk_name_index {
	rk_name_slot *slots;
	size_t mask;                    /* slots - 1; 0 before the first add */
	size_t count;
} rk_name_index;

#define RK_NAME_INDEX_INIT { NULL, 0, 0 }

/* Add the name a (with b, or NULL, as a pair) for `value`.  Returns 1
 * when added; 0 when it was there, with its value in *found (when not
 * NULL); -1 when out of memory. */
int rk_name_index_add(rk_name_index *ix, const char *a, const char *b,
		      size_t value, size_t *found);
/* The value of a (and b); false when absent. */
bool rk_name_index_get(const rk_name_index *ix, const char *a, const char *b,
		       size_t *value);
void rk_name_index_free(rk_name_index *ix);

#endif /* RK_NAME_INDEX_H */
