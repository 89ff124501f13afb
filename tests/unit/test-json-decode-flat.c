/* test-json-decode-flat.c - the codec's fast path for flat objects
 * (lib/json-decode-flat.c) against the full decoder: on many generated
 * lines, valid and broken (numbers at and past every kind's limits,
 * every spelling of a number, whitespace everywhere, fields missing,
 * repeated or unknown, arrays too short and too long, bytes deleted,
 * inserted and replaced), rk_json_decode must give exactly what the
 * full decoder gives: the same verdict and, when it decodes, the same
 * bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "stress.h"
#include "all-kinds.h"



static uint64_t seed = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(uint64_t n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed % n;
}

static const char *const numbers[] = {
	"0", "-0", "1", "-1", "7", "127", "128", "-128", "-129", "255", "256",
	"32767", "-32768", "32768", "65535", "65536", "2147483647",
	"-2147483648", "2147483648", "4294967295", "4294967296",
	"9223372036854775807", "-9223372036854775808", "9223372036854775808",
	"18446744073709551615", "18446744073709551616", "1000000000000000000",
	"99999999999999999999", "-99999999999999999999", "01", "-01", "00",
	"1.0", "1.5", "-1.5e3", "2.5E-3", "1e400", "-1e400", "1e-400",
	"4.9e-324", "3.4028235e38", "3.5e38", "1.17549435e-38", "1E5",
	"1e+5", "0.1", "123456.789", "-", "1.", "1e", "1e+", ".5", "+1",
	"0x10", "1_0", "--1", "1.2.3", "true", "false", "null", "\"7\"",
	"[]", "{}", "nan", "Infinity", "tru", "falsey", "1 2",
};
static const char *const spaces[] = { "", "", "", " ", "  ", "\t", "\n",
				      "\r\n" };
static const char garbage[] = "0123456789-+.eE\"{}[]:, \t\\atfnu\x80\x01";

static void add(char *buf, size_t *len, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (*len + n < cap) {
		memcpy(buf + *len, s, n);
		*len += n;
	}
	buf[*len] = '\0';
}

static void add_ws(char *buf, size_t *len, size_t cap)
{
	add(buf, len, cap, spaces[rnd(sizeof(spaces) / sizeof(*spaces))]);
}

/* A value for a field: mostly one of its kind (near its limits for the
 * small integers), sometimes anything from the list; arrays of 0 to 5
 * of them. */
static void add_value(char *buf, size_t *len, size_t cap, const rk_field *f)
{
	char tmp[48];
	size_t n_numbers = sizeof(numbers) / sizeof(*numbers);

	if (f->count > 0 && rnd(8) != 0) {
		uint64_t n = rnd(8) ? f->count - rnd(2) : rnd(6);
		add(buf, len, cap, "[");
		for (uint64_t i = 0; i < n; i++) {
			add_ws(buf, len, cap);
			snprintf(tmp, sizeof(tmp), "%lld",
				 (long long)rnd(2000) - 1000);
			add(buf, len, cap, rnd(4) ? tmp : numbers[rnd(n_numbers)]);
			add_ws(buf, len, cap);
			if (i + 1 < n)
				add(buf, len, cap, ",");
		}
		add(buf, len, cap, "]");
		return;
	}
	if (rnd(6) == 0) {
		add(buf, len, cap, numbers[rnd(n_numbers)]);
		return;
	}
	switch (f->kind) {
	case RK_KIND_BOOL:
		add(buf, len, cap, rnd(2) ? "true" : "false");
		return;
	case RK_KIND_F32:
	case RK_KIND_F64:
		snprintf(tmp, sizeof(tmp), rnd(2) ? "%lld.%02d" : "%llde%d",
			 (long long)rnd(300) - 150, (int)rnd(100) - 50);
		break;
	case RK_KIND_U8:
	case RK_KIND_U16:
	case RK_KIND_U32:
	case RK_KIND_U64:
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)rnd(300));
		break;
	default:
		snprintf(tmp, sizeof(tmp), "%lld", (long long)rnd(300) - 150);
	}
	add(buf, len, cap, tmp);
}

static size_t make_line(char *buf, size_t cap, const rk_type *t)
{
	size_t len = 0, order[16];
	uint32_t n = t->n_fields;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n; i > 1; i--) {        /* shuffle, now and then */
		if (rnd(3) == 0) {
			size_t j = rnd(i), x = order[i - 1];
			order[i - 1] = order[j];
			order[j] = x;
		}
	}
	add_ws(buf, &len, cap);
	add(buf, &len, cap, "{");
	bool first = true;
	for (size_t k = 0; k < n + (rnd(10) == 0); k++) {
		size_t i = order[k % n];
		if (rnd(25) == 0)
			continue;                       /* a field missing */
		if (!first)
			add(buf, &len, cap, ",");
		first = false;
		add_ws(buf, &len, cap);
		add(buf, &len, cap, "\"");
		add(buf, &len, cap, rnd(40) ? t->fields[i].name : "other");
		add(buf, &len, cap, "\"");
		add_ws(buf, &len, cap);
		add(buf, &len, cap, ":");
		add_ws(buf, &len, cap);
		add_value(buf, &len, cap, &t->fields[i]);
		add_ws(buf, &len, cap);
	}
	add(buf, &len, cap, "}");
	add_ws(buf, &len, cap);
	/* Damage, sometimes. */
	for (uint64_t m = rnd(3) == 0 ? 1 + rnd(2) : 0; m > 0 && len > 0; m--) {
		size_t at = rnd(len);
		char c = garbage[rnd(sizeof(garbage) - 1)];
		switch (rnd(3)) {
		case 0:
			memmove(buf + at, buf + at + 1, len - at);
			len--;
			break;
		case 1:
			if (len + 1 < cap) {
				memmove(buf + at + 1, buf + at, len - at + 1);
				buf[at] = c;
				len++;
			}
			break;
		default:
			buf[at] = c;
		}
	}
	return len;
}

static void compare(const rk_type *t, uint64_t lines, uint64_t *decoded)
{
	char line[1024];
	uint8_t fast[256], full[256];
	size_t fast_len, full_len;

	for (uint64_t i = 0; i < lines; i++) {
		size_t len = make_line(line, sizeof(line), t);
		memset(fast, 0xa5, sizeof(fast));
		memset(full, 0x5a, sizeof(full));
		rk_error a = rk_json_decode(t, line, len, len, fast, sizeof(fast),
					    &fast_len);
		rk_error b = rk_json_decode_full(t, line, len, len, full,
						 sizeof(full), &full_len);
		if (a != b)
			fail_msg("line %llu '%.*s': fast path says %d, full "
				 "decoder %d", (unsigned long long)i, (int)len,
				 line, a, b);
		if (a == RK_OK) {
			(*decoded)++;
			if (fast_len != full_len
			    || memcmp(fast, full, t->size) != 0)
				fail_msg("line '%.*s': different bytes",
					 (int)len, line);
		}
	}
}

static void test_scalars(void **state)
{
	(void)state;
	uint64_t decoded = 0, lines = stress_count(300000);

	compare(&all_type, lines, &decoded);
	/* Both verdicts must be well represented. */
	assert_true(decoded > lines / 200);
	assert_true(decoded < lines);
}

static void test_arrays(void **state)
{
	(void)state;
	uint64_t decoded = 0, lines = stress_count(300000);

	compare(&array_type, lines, &decoded);
	assert_true(decoded > lines / 50);
	assert_true(decoded < lines);
}

/* The lines a program writes take the fast path and decode right. */
static void test_plain_lines(void **state)
{
	(void)state;
	struct arrays a;
	size_t len;
	const char *line = "{\"fixed\": [1, -2, 3], \"v\": [0.5, 1e3], "
			   "\"d\": -2.25}";

	assert_int_equal(rk_json_decode(&array_type, line, strlen(line),
					 strlen(line), &a, sizeof(a), &len),
			 RK_OK);
	assert_int_equal(a.fixed[1], -2);
	assert_int_equal(a.n, 2);
	assert_true(a.v[1] == 1000.0f);
	assert_true(a.d == -2.25);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_lines),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_arrays),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
