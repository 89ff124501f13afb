/* test-name-index.c - the index of names and pairs of names: what goes
 * in comes out, a name given twice keeps its first value, pairs differ
 * from names, and random names (seeded, printed) agree with a plain
 * list searched the long way, through many growths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "name-index.h"

static void names_and_pairs(void **state)
{
	(void)state;
	rk_name_index ix = RK_NAME_INDEX_INIT;
	size_t v = 99;

	assert_false(rk_name_index_get(&ix, "a", NULL, &v));
	assert_int_equal(rk_name_index_add(&ix, "a", NULL, 1, NULL), 1);
	assert_int_equal(rk_name_index_add(&ix, "a", "b", 2, NULL), 1);
	assert_int_equal(rk_name_index_add(&ix, "ab", NULL, 3, NULL), 1);
	assert_int_equal(rk_name_index_add(&ix, "a", "", 4, NULL), 1);
	assert_int_equal(rk_name_index_add(&ix, "", "ab", 5, NULL), 1);
	assert_int_equal(rk_name_index_add(&ix, "a", NULL, 6, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(rk_name_index_add(&ix, "a", "b", 7, &v), 0);
	assert_int_equal(v, 2);
	assert_true(rk_name_index_get(&ix, "ab", NULL, &v));
	assert_int_equal(v, 3);
	assert_true(rk_name_index_get(&ix, "a", "", &v));
	assert_int_equal(v, 4);
	assert_true(rk_name_index_get(&ix, "", "ab", &v));
	assert_int_equal(v, 5);
	assert_false(rk_name_index_get(&ix, "b", "a", &v));
	assert_int_equal(ix.count, 5);
	rk_name_index_free(&ix);
	assert_false(rk_name_index_get(&ix, "a", NULL, &v));
}

/* Short names from a small alphabet, so that many repeat. */
static void random_name(char *buf, unsigned *seed)
{
	int len = 1 + rand_r(seed) % 4;
	for (int i = 0; i < len; i++)
		buf[i] = "abcdefgh"[rand_r(seed) % 8];
	buf[len] = '\0';
}

static void agrees_with_a_list(void **state)
{
	(void)state;
	enum { N = 5000 };
	static char a[N][8], b[N][8];
	static int pair[N];
	unsigned seed = (unsigned)time(NULL);
	rk_name_index ix = RK_NAME_INDEX_INIT;

	printf("# seed %u\n", seed);
	for (size_t i = 0; i < N; i++) {
		random_name(a[i], &seed);
		random_name(b[i], &seed);
		pair[i] = rand_r(&seed) % 2;
		/* The first earlier entry with the same key, the long way. */
		size_t first = i;
		for (size_t j = 0; j < i && first == i; j++)
			if (pair[j] == pair[i] && strcmp(a[j], a[i]) == 0
			    && (!pair[i] || strcmp(b[j], b[i]) == 0))
				first = j;
		size_t found = SIZE_MAX;
		int added = rk_name_index_add(&ix, a[i], pair[i] ? b[i] : NULL,
					      i, &found);
		if (first == i) {
			assert_int_equal(added, 1);
		} else {
			assert_int_equal(added, 0);
			assert_int_equal(found, first);
		}
	}
	for (size_t i = 0; i < N; i++) {
		size_t v;
		assert_true(rk_name_index_get(&ix, a[i], pair[i] ? b[i] : NULL, &v));
		assert_int_equal(pair[v], pair[i]);
		assert_string_equal(a[v], a[i]);
		assert_true(v <= i);
	}
	rk_name_index_free(&ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_and_pairs),
		cmocka_unit_test(agrees_with_a_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
