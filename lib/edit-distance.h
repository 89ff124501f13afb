/* edit-distance.h - how far a typed name is from a known one, for "did
 * you mean": the library's kernel names and ringctl's commands.  Header
 * only (as clock.h), so that both use this one copy. */
#ifndef RK_EDIT_DISTANCE_H
#define RK_EDIT_DISTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define RK_EDIT_MAX_NAME 64

/* Edits (insert, delete, change, swap two neighbours) from a to b;
 * names longer than RK_EDIT_MAX_NAME are far from everything. */
static inline size_t rk_edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	size_t d[RK_EDIT_MAX_NAME + 1][RK_EDIT_MAX_NAME + 1];

	if (n > RK_EDIT_MAX_NAME || m > RK_EDIT_MAX_NAME)
		return (size_t)-1;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2]
			    && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[n][m];
}

/* Whether `typed` looks like a slip for `name`: one edit, or two in a
 * name of eight letters or more. */
static inline bool rk_name_is_close(const char *typed, const char *name)
{
	size_t d = rk_edit_distance(typed, name);
	return d > 0 && (d == 1 || (d == 2 && strlen(name) >= 8));
}

#endif /* RK_EDIT_DISTANCE_H */
