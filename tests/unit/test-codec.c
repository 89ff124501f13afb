/* test-codec.c - the JSON codec: every kind both ways at its limits,
 * floats correctly rounded and written shortest, strings and arrays,
 * the exact reason for every kind of bad line, the json type, the
 * padded and unpadded inputs, and buffers that are too small. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ringkernel.h>

#include "all-kinds.h"

/* ---- the test types -------------------------------------------------- */


struct in { int64_t value; };
static const rk_field in_fields[] = { RK_FIELD(struct in, value, RK_KIND_I64) };
static const rk_type in_type = RK_TYPE(struct in, "in", in_fields);

struct small { uint8_t value; };
static const rk_field small_fields[] = {
	RK_FIELD(struct small, value, RK_KIND_U8)
};
static const rk_type small_type = RK_TYPE(struct small, "small", small_fields);

struct f32 { float x; };
static const rk_field f32_fields[] = { RK_FIELD(struct f32, x, RK_KIND_F32) };
static const rk_type f32_type = RK_TYPE(struct f32, "f32", f32_fields);

struct f64 { double x; };
static const rk_field f64_fields[] = { RK_FIELD(struct f64, x, RK_KIND_F64) };
static const rk_type f64_type = RK_TYPE(struct f64, "f64", f64_fields);

struct flag { bool flag; };
static const rk_field flag_fields[] = {
	RK_FIELD(struct flag, flag, RK_KIND_BOOL)
};
static const rk_type flag_type = RK_TYPE(struct flag, "flag", flag_fields);

struct named { char name[32]; };
static const rk_field named_fields[] = { RK_FIELD_STRING(struct named, name) };
static const rk_type named_type = RK_TYPE(struct named, "named", named_fields);

struct s4 { char s[4]; };
static const rk_field s4_fields[] = { RK_FIELD_STRING(struct s4, s) };
static const rk_type s4_type = RK_TYPE(struct s4, "s4", s4_fields);

struct fixed { float v[4]; };
static const rk_field fixed_fields[] = {
	RK_FIELD_ARRAY(struct fixed, v, RK_KIND_F32)
};
static const rk_type fixed_type = RK_TYPE(struct fixed, "fixed", fixed_fields);

struct var { uint32_t n; uint16_t v[8]; };
static const rk_field var_fields[] = {
	RK_FIELD_VARRAY(struct var, v, RK_KIND_U16, n)
};
static const rk_type var_type = RK_TYPE(struct var, "var", var_fields);

struct big { uint32_t n; float v[1024]; };
static const rk_field big_fields[] = {
	RK_FIELD_VARRAY(struct big, v, RK_KIND_F32, n)
};
static const rk_type big_type = RK_TYPE(struct big, "big", big_fields);

struct flags { bool flags[3]; };
static const rk_field flags_fields[] = {
	RK_FIELD_ARRAY(struct flags, flags, RK_KIND_BOOL)
};
static const rk_type flags_type = RK_TYPE(struct flags, "flags", flags_fields);

struct mixed {
	int32_t a;
	char name[8];
	double w;
	bool ok;
	int8_t d[2];
};
static const rk_field mixed_fields[] = {
	RK_FIELD(struct mixed, a, RK_KIND_I32),
	RK_FIELD_STRING(struct mixed, name),
	RK_FIELD(struct mixed, w, RK_KIND_F64),
	RK_FIELD(struct mixed, ok, RK_KIND_BOOL),
	RK_FIELD_ARRAY(struct mixed, d, RK_KIND_I8),
};
static const rk_type mixed_type = RK_TYPE(struct mixed, "mixed", mixed_fields);

/* ---- helpers --------------------------------------------------------- */

#define BUF 16384

/* Decodes both ways the codec reads: from an exact-size copy (readable
 * == len: the codec must copy) and in place with RK_JSON_PADDING bytes
 * of digits after the text, which must not be read as part of it.  Both
 * must agree on the result, the size, the reason and the bytes. */
static rk_error decode_n(const rk_type *t, const char *text, size_t len,
			 void *out, size_t cap, size_t *n)
{
	char *exact = malloc(len ? len : 1);
	char *padded = malloc(len + RK_JSON_PADDING);
	char *out2 = malloc(cap ? cap : 1);
	char why[256];
	size_t n2;

	assert_non_null(exact);
	assert_non_null(padded);
	assert_non_null(out2);
	memcpy(exact, text, len);
	memcpy(padded, text, len);
	memset(padded + len, '9', RK_JSON_PADDING);
	rk_error rc = rk_json_decode(t, exact, len, len, out, cap, n);
	snprintf(why, sizeof(why), "%s", rk_errmsg());
	rk_error rc2 = rk_json_decode(t, padded, len, len + RK_JSON_PADDING,
				      out2, cap, &n2);
	assert_int_equal(rc, rc2);
	assert_int_equal(*n, n2);
	if (rc == RK_OK)
		assert_memory_equal(out, out2, *n);
	else
		assert_string_equal(why, rk_errmsg());
	free(exact);
	free(padded);
	free(out2);
	return rc;
}

static rk_error decode(const rk_type *t, const char *text, void *out,
		       size_t cap, size_t *n)
{
	return decode_n(t, text, strlen(text), out, cap, n);
}

static void decode_ok(const rk_type *t, const char *text, void *out)
{
	size_t n;

	if (decode(t, text, out, t->size, &n) != RK_OK)
		fail_msg("decode %s: %s", text, rk_errmsg());
	assert_int_equal(n, t->size);
}

static void fails_n(const rk_type *t, const char *text, size_t len,
		    const char *reason)
{
	static char out[BUF];
	size_t n;
	rk_error rc = decode_n(t, text, len, out, sizeof(out), &n);

	if (rc != RK_ESCHEMA || strcmp(rk_errmsg(), reason) != 0)
		fail_msg("decode %s: got %d '%s', want '%s'", text, rc,
			 rk_errmsg(), reason);
}

static void fails(const rk_type *t, const char *text, const char *reason)
{
	fails_n(t, text, strlen(text), reason);
}

/* Encodes msg and returns the text (static); checks it against the
 * bound of rk_json_max_encoded. */
static const char *encode(const rk_type *t, const void *msg)
{
	static char out[BUF];
	size_t n;

	if (rk_json_encode(t, msg, t->size, out, sizeof(out) - 1, &n) != RK_OK)
		fail_msg("encode %s: %s", t->name, rk_errmsg());
	out[n] = '\0';
	assert_int_equal(n, strlen(out));
	assert_true(n <= rk_json_max_encoded(t));
	return out;
}

/* decode(text) then encode: the text expected back. */
static void round_trip(const rk_type *t, const char *text, const char *back)
{
	static char msg[BUF];

	decode_ok(t, text, msg);
	assert_string_equal(encode(t, msg), back);
}

/* ---- every kind ------------------------------------------------------ */

static void test_kinds_min(void **unused)
{
	const char *text = "{\"b\":false,\"i8\":-128,\"i16\":-32768,"
		"\"i32\":-2147483648,\"i64\":-9223372036854775808,\"u8\":0,"
		"\"u16\":0,\"u32\":0,\"u64\":0,\"f32\":-3.4028235e+38,"
		"\"f64\":-1.7976931348623157e+308}";
	struct all a;

	memset(&a, 0x55, sizeof(a));
	decode_ok(&all_type, text, &a);
	assert_false(a.b);
	assert_int_equal(a.i8, INT8_MIN);
	assert_int_equal(a.i16, INT16_MIN);
	assert_int_equal(a.i32, INT32_MIN);
	assert_true(a.i64 == INT64_MIN);
	assert_int_equal(a.u8, 0);
	assert_int_equal(a.u16, 0);
	assert_int_equal(a.u32, 0);
	assert_int_equal(a.u64, 0);
	assert_true(a.f32 == -3.4028235e38f);
	assert_true(a.f64 == -1.7976931348623157e308);
	assert_string_equal(encode(&all_type, &a), text);
}

static void test_kinds_max(void **unused)
{
	const char *text = "{\"b\":true,\"i8\":127,\"i16\":32767,"
		"\"i32\":2147483647,\"i64\":9223372036854775807,\"u8\":255,"
		"\"u16\":65535,\"u32\":4294967295,"
		"\"u64\":18446744073709551615,\"f32\":3.4028235e+38,"
		"\"f64\":1.7976931348623157e+308}";
	struct all a;

	decode_ok(&all_type, text, &a);
	assert_true(a.b);
	assert_int_equal(a.i8, INT8_MAX);
	assert_int_equal(a.i16, INT16_MAX);
	assert_int_equal(a.i32, INT32_MAX);
	assert_true(a.i64 == INT64_MAX);
	assert_int_equal(a.u8, UINT8_MAX);
	assert_int_equal(a.u16, UINT16_MAX);
	assert_int_equal(a.u32, UINT32_MAX);
	assert_true(a.u64 == UINT64_MAX);
	assert_true(a.f32 == 3.4028235e38f);
	assert_true(a.f64 == 1.7976931348623157e308);
	assert_string_equal(encode(&all_type, &a), text);
}

/* Every integer kind one past each end. */
static void test_integer_range(void **unused)
{
	static const struct {
		const char *field, *value, *kind;
	} cases[] = {
		{ "i8", "-129", "int8" }, { "i8", "128", "int8" },
		{ "i16", "-32769", "int16" }, { "i16", "32768", "int16" },
		{ "i32", "-2147483649", "int32" },
		{ "i32", "2147483648", "int32" },
		{ "i64", "-9223372036854775809", "int64" },
		{ "i64", "9223372036854775808", "int64" },
		{ "i64", "100000000000000000000000000000", "int64" },
		{ "u8", "-1", "uint8" }, { "u8", "256", "uint8" },
		{ "u16", "65536", "uint16" }, { "u32", "4294967296", "uint32" },
		{ "u64", "18446744073709551616", "uint64" },
		{ "u64", "-9223372036854775808", "uint64" },
	};
	const char *rest = "\"b\":true,\"i8\":0,\"i16\":0,\"i32\":0,\"i64\":0,"
		"\"u8\":0,\"u16\":0,\"u32\":0,\"u64\":0,\"f32\":0,\"f64\":0";
	char text[512], reason[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* The bad field first: a duplicate otherwise. */
		char others[400], *p;
		char key[16];
		snprintf(others, sizeof(others), "%s", rest);
		snprintf(key, sizeof(key), "\"%s\":0,", cases[i].field);
		p = strstr(others, key);
		assert_non_null(p);
		memmove(p, p + strlen(key), strlen(p + strlen(key)) + 1);
		snprintf(text, sizeof(text), "{\"%s\":%s,%s}", cases[i].field,
			 cases[i].value, others);
		snprintf(reason, sizeof(reason),
			 "field '%s': %s is out of range for %s",
			 cases[i].field, cases[i].value, cases[i].kind);
		fails(&all_type, text, reason);
	}
	/* -0 is zero, also for unsigned kinds. */
	struct small s;
	decode_ok(&small_type, "{\"value\":-0}", &s);
	assert_int_equal(s.value, 0);
	fails(&small_type, "{\"value\": 300}",
	      "field 'value': 300 is out of range for uint8");
}

static void test_integers(void **unused)
{
	struct in m;

	round_trip(&in_type, "{\"value\": 42}", "{\"value\":42}");
	round_trip(&in_type, " {\n\t\"value\" :\r -7 } \n", "{\"value\":-7}");
	round_trip(&in_type, "{\"value\":0}", "{\"value\":0}");
	/* Keys are compared unescaped. */
	decode_ok(&in_type, "{\"\\u0076alue\":5}", &m);
	assert_int_equal(m.value, 5);
	fails(&in_type, "{\"value\":3.0}",
	      "field 'value': expected an integer");
	fails(&in_type, "{\"value\":1e3}",
	      "field 'value': expected an integer");
	fails(&in_type, "{\"value\":-1E+2}",
	      "field 'value': expected an integer");
	fails(&in_type, "{\"value\":\"1\"}",
	      "field 'value': expected an integer");
	fails(&in_type, "{\"value\":true}",
	      "field 'value': expected an integer");
	fails(&in_type, "{\"value\":null}",
	      "field 'value': expected an integer");
	fails(&in_type, "{\"value\":[1]}",
	      "field 'value': expected an integer");
	fails(&in_type, "{\"value\":{\"a\":1}}",
	      "field 'value': expected an integer");
}

/* encode then decode gives back every value, bit for bit. */
static void test_round_trip_random(void **unused)
{
	uint64_t seed = 0x2545f4914f6cdd1dull;
	struct all a, b;
	char text[BUF];
	size_t n;

	for (int i = 0; i < 20000; i++) {
		uint64_t r[3];
		for (int k = 0; k < 3; k++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			r[k] = seed;
		}
		memset(&a, 0, sizeof(a));
		a.b = r[0] & 1;
		a.i8 = (int8_t)r[0];
		a.i16 = (int16_t)(r[0] >> 8);
		a.i32 = (int32_t)(r[0] >> 24);
		a.i64 = (int64_t)r[1];
		a.u8 = (uint8_t)(r[0] >> 56);
		a.u16 = (uint16_t)(r[2] >> 48);
		a.u32 = (uint32_t)r[2];
		a.u64 = r[2] * 0x9e3779b97f4a7c15ull;
		memcpy(&a.f32, &r[1], sizeof(a.f32));
		memcpy(&a.f64, &r[2], sizeof(a.f64));
		if (!isfinite(a.f32) || !isfinite(a.f64))
			continue;
		snprintf(text, sizeof(text), "%s", encode(&all_type, &a));
		memset(&b, 0xaa, sizeof(b));
		assert_int_equal(rk_json_decode(&all_type, text, strlen(text),
						strlen(text), &b, sizeof(b), &n),
				 RK_OK);
		if (memcmp(&a, &b, sizeof(a)) != 0)
			fail_msg("%s does not read back", text);
	}
}

/* ---- floats ---------------------------------------------------------- */

static const char *float_text(const char *json)
{
	static char v[64];
	const char *colon = strchr(json, ':');
	size_t n = strlen(colon + 1) - 1;

	memcpy(v, colon + 1, n);
	v[n] = '\0';
	return v;
}

static float decode_f32(const char *number)
{
	char text[512];
	struct f32 m;

	snprintf(text, sizeof(text), "{\"x\":%s}", number);
	decode_ok(&f32_type, text, &m);
	return m.x;
}

static void same_float(float got, float want, const char *text)
{
	if (memcmp(&got, &want, sizeof(got)) != 0)
		fail_msg("%s: got %.9g, want %.9g", text, got, want);
}

/* Decoding a float32 rounds the decimal once, as strtof does; through a
 * double it would round twice. */
static void test_float32_rounding(void **unused)
{
	static const char *cases[] = {
		"0.1", "1e-45", "1.4e-45", "7e-46", "7.1e-46", "1e-50",
		"-1e-50", "-0.0", "0", "3.4028235e38",
		"3.4028235677973366e38", "1.17549435e-38", "1.1754942e-38",
		"16777217", "16777219", "0.30000001192092896", "123456789",
		"1.000000059604644775390625000000001",
		"1.000000059604644775390624999999999", "2.5e-45",
		"8.50705917302346158658e37", "100000000000000000000000000000",
	};
	/* Halfway between 1 and the next float, plus a hair: a double
	 * rounds it to the halfway point, and then to even: 1. */
	const char *trap = "1.000000059604644775390625000000001";
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	assert_true((float)strtod(trap, NULL) != strtof(trap, NULL));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same_float(decode_f32(cases[i]), strtof(cases[i], NULL),
			   cases[i]);
	for (int i = 0; i < 20000; i++) {
		char text[64];
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		int digits = 1 + (int)(seed % 18), exp;
		uint64_t mod = 1;
		char m[32];
		while (digits--)
			mod *= 10;
		snprintf(m, sizeof(m), "%llu",
			 (unsigned long long)((seed >> 8) % mod));
		if (strlen(m) > 1 && (seed >> 62) & 1) {
			memmove(m + 2, m + 1, strlen(m));
			m[1] = '.';
		}
		exp = (int)((seed >> 40) % 90) - 60;
		snprintf(text, sizeof(text), "%s%se%d",
			 (seed >> 63) & 1 ? "-" : "", m, exp);
		float want = strtof(text, NULL);
		if (isinf(want))
			continue;
		same_float(decode_f32(text), want, text);
	}
}

/* Encoding writes the shortest text that reads back to the same float:
 * never longer than %.*e with the fewest digits that read back. */
static void test_float_shortest(void **unused)
{
	static const struct { const char *in, *out; } f32[] = {
		{ "0.1", "0.1" }, { "1e-45", "1e-45" }, { "1.4e-45", "1e-45" },
		{ "3.4028235e38", "3.4028235e+38" }, { "-0.0", "-0" },
		{ "100", "100" }, { "0.30000001", "0.3" }, { "1e-50", "0" },
		{ "16777217", "16777216" }, { "1.5", "1.5" },
		{ "1e10", "1e+10" },
	};
	static const struct { const char *in, *out; } f64[] = {
		{ "0.1", "0.1" }, { "1.7976931348623157e308",
		  "1.7976931348623157e+308" }, { "5e-324", "5e-324" },
		{ "-0", "-0" },
		{ "0.30000000000000004", "0.30000000000000004" },
		{ "1e-400", "0" }, { "-1e-400", "-0" },
		{ "123456789012", "123456789012" },
	};
	uint32_t seed = 2463534242u;

	for (size_t i = 0; i < sizeof(f32) / sizeof(f32[0]); i++) {
		char text[128], back[128];
		snprintf(text, sizeof(text), "{\"x\":%s}", f32[i].in);
		snprintf(back, sizeof(back), "{\"x\":%s}", f32[i].out);
		round_trip(&f32_type, text, back);
	}
	for (size_t i = 0; i < sizeof(f64) / sizeof(f64[0]); i++) {
		char text[128], back[128];
		snprintf(text, sizeof(text), "{\"x\":%s}", f64[i].in);
		snprintf(back, sizeof(back), "{\"x\":%s}", f64[i].out);
		round_trip(&f64_type, text, back);
	}
	for (int i = 0; i < 20000; i++) {
		struct f32 m;
		char printed[64];
		int p;
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		memcpy(&m.x, &seed, sizeof(m.x));
		if (!isfinite(m.x) || m.x == 0)
			continue;
		const char *v = float_text(encode(&f32_type, &m));
		same_float(strtof(v, NULL), m.x, v);
		same_float(decode_f32(v), m.x, v);
		for (p = 1; p <= 9; p++) {
			snprintf(printed, sizeof(printed), "%.*e", p - 1, m.x);
			if (strtof(printed, NULL) == m.x)
				break;
		}
		if (strlen(v) > strlen(printed))
			fail_msg("%s is longer than %s", v, printed);
	}
}

static void test_float_limits(void **unused)
{
	struct f64 d;
	struct f32 f;

	fails(&f32_type, "{\"x\":1e39}", "field 'x': 1e39 is out of range "
	      "for float32");
	fails(&f32_type, "{\"x\":-3.4028236e38}", "field 'x': -3.4028236e38 "
	      "is out of range for float32");
	fails(&f32_type, "{\"x\":0.0001e43}", "field 'x': 0.0001e43 is out of "
	      "range for float32");
	fails(&f64_type, "{\"x\":1e400}", "field 'x': 1e400 is out of range "
	      "for float64");
	fails(&f64_type, "{\"x\":\"1\"}", "field 'x': expected a number");
	fails(&f64_type, "{\"x\":null}", "field 'x': expected a number");
	fails(&f32_type, "{\"x\":true}", "field 'x': expected a number");
	/* Integers are numbers, and 1e-50 is zero for a float32. */
	decode_ok(&f64_type, "{\"x\":12345678901234567890}", &d);
	assert_true(d.x == 12345678901234567890.0);
	decode_ok(&f32_type, "{\"x\":-1e-50}", &f);
	assert_true(f.x == 0 && signbit(f.x));
	decode_ok(&f32_type, "{\"x\":0.0000000000000000000000001e-30}", &f);
	assert_true(f.x == 0 && !signbit(f.x));
}

/* NaN and the infinities have no JSON form: null. */
static void test_float_nonfinite(void **unused)
{
	struct f32 f = { NAN };
	struct f64 d = { -INFINITY };
	struct fixed a = { { 1, INFINITY, -0.0f, 2.5f } };

	assert_string_equal(encode(&f32_type, &f), "{\"x\":null}");
	assert_string_equal(encode(&f64_type, &d), "{\"x\":null}");
	assert_string_equal(encode(&fixed_type, &a), "{\"v\":[1,null,-0,2.5]}");
}

/* ---- strings --------------------------------------------------------- */

static void test_strings(void **unused)
{
	struct named m;
	struct s4 s;

	decode_ok(&named_type,
		  "{\"name\":\"tab\\there \\\"q\\\" \\\\ \\/ \\u00e9 "
		  "\\ud83d\\ude00\"}",
		  &m);
	assert_string_equal(m.name, "tab\there \"q\" \\ / \xc3\xa9 "
			    "\xf0\x9f\x98\x80");
	for (size_t i = strlen(m.name); i < sizeof(m.name); i++)
		assert_int_equal(m.name[i], 0);
	assert_string_equal(encode(&named_type, &m),
			    "{\"name\":\"tab\\there \\\"q\\\" \\\\ / \xc3\xa9 "
			    "\xf0\x9f\x98\x80\"}");
	/* Control characters: the short forms, else \u00XX. */
	memset(&m, 0, sizeof(m));
	strcpy(m.name, "\b\f\n\r\t\x01\x1f\x7f");
	assert_string_equal(encode(&named_type, &m),
			    "{\"name\":\"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\"}");
	round_trip(&named_type, "{\"name\":\"\\u001F\"}",
		   "{\"name\":\"\\u001f\"}");
	round_trip(&named_type, "{\"name\":\"\"}", "{\"name\":\"\"}");
	/* Exactly count bytes: no NUL is left, none is needed. */
	decode_ok(&s4_type, "{\"s\":\"abcd\"}", &s);
	assert_memory_equal(s.s, "abcd", 4);
	assert_string_equal(encode(&s4_type, &s), "{\"s\":\"abcd\"}");
	decode_ok(&s4_type, "{\"s\":\"\xc3\xa9\xc3\xa9\"}", &s);
	assert_memory_equal(s.s, "\xc3\xa9\xc3\xa9", 4);
	round_trip(&s4_type, "{\"s\":\"\\u00e9\"}", "{\"s\":\"\xc3\xa9\"}");
	fails(&s4_type, "{\"s\":\"abcde\"}",
	      "field 's': string of 5 bytes exceeds 4");
	fails(&s4_type, "{\"s\":\"\xc3\xa9\xc3\xa9\xc3\xa9\"}",
	      "field 's': string of 6 bytes exceeds 4");
	fails(&named_type,
	      "{\"name\":\"0123456789012345678901234567890123456789\"}",
	      "field 'name': string of 40 bytes exceeds 32");
	fails(&named_type, "{\"name\":\"a\\u0000b\"}",
	      "field 'name': string contains a NUL byte");
	fails(&named_type, "{\"name\":5}", "field 'name': expected a string");
	fails(&named_type, "{\"name\":[\"a\"]}",
	      "field 'name': expected a string");
	fails(&named_type, "{\"name\":\"\xff\"}", "invalid UTF-8");
	fails(&named_type, "{\"name\":\"\\ud800\"}",
	      "invalid JSON: Problem while parsing a string");
	fails(&named_type, "{\"name\":\"\\x\"}",
	      "invalid JSON: Problem while parsing a string");
}

/* Output is UTF-8 JSON: a string field that is not UTF-8 is refused. */
static void test_encode_bad_utf8(void **unused)
{
	struct named m = { "ok \xc3" };
	char out[256];
	size_t n;

	assert_int_equal(rk_json_encode(&named_type, &m, sizeof(m), out,
					sizeof(out), &n), RK_ESCHEMA);
	assert_string_equal(rk_errmsg(), "field 'name': invalid UTF-8");
}

/* ---- arrays ---------------------------------------------------------- */

static void test_fixed_arrays(void **unused)
{
	struct fixed a;
	struct flags f;

	decode_ok(&fixed_type, "{\"v\":[1, -2.5, 0.1, 3]}", &a);
	assert_true(a.v[0] == 1 && a.v[1] == -2.5f && a.v[2] == 0.1f
		    && a.v[3] == 3);
	assert_string_equal(encode(&fixed_type, &a),
			    "{\"v\":[1,-2.5,0.1,3]}");
	round_trip(&flags_type, "{\"flags\":[true,false,true]}",
		   "{\"flags\":[true,false,true]}");
	decode_ok(&flags_type, "{\"flags\":[false,true,false]}", &f);
	assert_true(!f.flags[0] && f.flags[1] && !f.flags[2]);
	fails(&fixed_type, "{\"v\":[1,2,3]}",
	      "field 'v': expected 4 elements, got 3");
	fails(&fixed_type, "{\"v\":[1,2,3,4,5]}",
	      "field 'v': expected 4 elements, got 5");
	fails(&fixed_type, "{\"v\":[1,2,[3],4,5]}",
	      "field 'v': element 2: expected a number");
	fails(&fixed_type, "{\"v\":[]}",
	      "field 'v': expected 4 elements, got 0");
	fails(&fixed_type, "{\"v\":[1,2,3,\"x\"]}",
	      "field 'v': element 3: expected a number");
	fails(&fixed_type, "{\"v\":[1,2,3,1e39]}",
	      "field 'v': element 3: 1e39 is out of range for float32");
	fails(&fixed_type, "{\"v\":1}", "field 'v': expected an array");
	fails(&fixed_type, "{\"v\":{}}", "field 'v': expected an array");
	fails(&flags_type, "{\"flags\":[true,1,false]}",
	      "field 'flags': element 1: expected true or false");
	fails(&fixed_type, "{\"v\":[1,2,3,4}",
	      "invalid JSON: The JSON document has an improper structure: "
	      "missing or superfluous commas, braces, missing keys, etc");
}

static void test_variable_arrays(void **unused)
{
	static struct big b;
	static char text[BUF];
	struct var v;
	size_t len;

	decode_ok(&var_type, "{\"v\":[]}", &v);
	assert_int_equal(v.n, 0);
	assert_string_equal(encode(&var_type, &v), "{\"v\":[]}");
	decode_ok(&var_type, "{\"v\":[1,65535,3]}", &v);
	assert_int_equal(v.n, 3);
	assert_true(v.v[0] == 1 && v.v[1] == 65535 && v.v[2] == 3
		    && v.v[3] == 0);
	assert_string_equal(encode(&var_type, &v), "{\"v\":[1,65535,3]}");
	decode_ok(&var_type, "{\"v\":[1,2,3,4,5,6,7,8]}", &v);
	assert_int_equal(v.n, 8);
	assert_string_equal(encode(&var_type, &v), "{\"v\":[1,2,3,4,5,6,7,8]}");
	/* A count past the array is clamped on output. */
	v.n = 1000;
	assert_string_equal(encode(&var_type, &v), "{\"v\":[1,2,3,4,5,6,7,8]}");
	fails(&var_type, "{\"v\":[1,2,3,4,5,6,7,8,9]}",
	      "field 'v': 9 elements exceed 8");
	fails(&var_type, "{\"v\":[1,70000]}",
	      "field 'v': element 1: 70000 is out of range for uint16");
	fails(&var_type, "{\"v\":[1,-1]}",
	      "field 'v': element 1: -1 is out of range for uint16");
	fails(&var_type, "{\"v\":[1.5]}",
	      "field 'v': element 0: expected an integer");

	/* 1024 fit, 1025 do not. */
	len = (size_t)snprintf(text, sizeof(text), "{\"v\":[");
	for (int i = 0; i < 1024; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%s%d.5", i ? "," : "", i);
	snprintf(text + len, sizeof(text) - len, "]}");
	decode_ok(&big_type, text, &b);
	assert_int_equal(b.n, 1024);
	assert_true(b.v[1023] == 1023.5f);
	assert_string_equal(encode(&big_type, &b), text);
	snprintf(text + len, sizeof(text) - len, ",1]}");
	fails(&big_type, text, "field 'v': 1025 elements exceed 1024");
}

/* ---- objects --------------------------------------------------------- */

/* Fields in any order, spaced any way, decode to the same struct. */
static void test_field_order(void **unused)
{
	static const char *texts[] = {
		"{\"a\":1,\"name\":\"x\",\"w\":0.5,\"ok\":true,\"d\":[1,-1]}",
		"{\"d\":[1,-1],\"ok\":true,\"w\":0.5,\"name\":\"x\",\"a\":1}",
		"{ \"w\" : 0.5 , \"a\" : 1 , \"d\" : [ 1 , -1 ] , \"name\" : "
		"\"x\" , \"ok\" : true }",
		"{\"ok\":true,\"a\":1,\"d\":[1,-1],\"w\":5e-1,"
		"\"name\":\"\\u0078\"}",
	};
	struct mixed first, m;

	memset(&first, 0, sizeof(first));
	decode_ok(&mixed_type, texts[0], &first);
	assert_int_equal(first.a, 1);
	assert_string_equal(first.name, "x");
	assert_true(first.w == 0.5 && first.ok);
	assert_int_equal(first.d[0], 1);
	assert_int_equal(first.d[1], -1);
	for (size_t i = 1; i < sizeof(texts) / sizeof(texts[0]); i++) {
		memset(&m, 0xff, sizeof(m));
		decode_ok(&mixed_type, texts[i], &m);
		assert_memory_equal(&m, &first, sizeof(m));
		assert_string_equal(encode(&mixed_type, &m), texts[0]);
	}
}

static void test_object_errors(void **unused)
{
	fails(&in_type, "{}", "missing field 'value'");
	fails(&mixed_type, "{\"a\":1,\"name\":\"x\",\"ok\":true,\"d\":[1,2]}",
	      "missing field 'w'");
	fails(&in_type, "{\"value\":1,\"x\":2}", "unknown field 'x'");
	fails(&in_type, "{\"x\":2,\"value\":1}", "unknown field 'x'");
	fails(&in_type, "{\"Value\":1}", "unknown field 'Value'");
	fails(&in_type, "{\"value\":1,\"value\":2}", "duplicate field 'value'");
	fails(&in_type, "{\"value\":1,\"\\u0076alue\":2}",
	      "duplicate field 'value'");
	fails(&in_type, "[1]", "expected a JSON object");
	fails(&in_type, "3", "expected a JSON object");
	fails(&in_type, "\"value\"", "expected a JSON object");
	fails(&in_type, "null", "expected a JSON object");
	fails(&flag_type, "{\"flag\":1}",
	      "field 'flag': expected true or false");
	fails(&flag_type, "{\"flag\":\"true\"}",
	      "field 'flag': expected true or false");
}

/* What follows the value, and lines with no value at all. */
static void test_trailing_and_empty(void **unused)
{
	const char *trailing = "trailing content after the JSON value";

	fails(&in_type, "{\"value\":1} x", trailing);
	fails(&in_type, "{\"value\":1}}", trailing);
	fails(&in_type, "{\"value\":1} {\"value\":2}", trailing);
	fails(&in_type, "{\"value\":1},", trailing);
	fails(&in_type, "{\"value\":1} 2", trailing);
	fails(&in_type, "[1] [2]", trailing);
	fails(&rk_type_json, "1 2", trailing);
	fails(&rk_type_json, "{} []", trailing);
	fails(&rk_type_json, "\"a\" \"b\"", trailing);
	fails(&rk_type_json, "null,", trailing);
	fails(&in_type, "", "empty line");
	fails(&in_type, " \t\r\n", "empty line");
	fails(&rk_type_json, "", "empty line");
	fails(&rk_type_json, "   ", "empty line");
	/* A well-formed line ends in whitespace at most. */
	round_trip(&in_type, "{\"value\":1}  \r\n", "{\"value\":1}");
}

/* Lines that are not JSON: simdjson's reason, without its period.  A
 * line that is not JSON says so even where a field is also wrong. */
static void test_invalid_json(void **unused)
{
	const char *structure = "invalid JSON: The JSON document has an "
		"improper structure: missing or superfluous commas, braces, "
		"missing keys, etc";

	fails(&in_type, "{\"value\":1", structure);
	fails(&in_type, "{\"value\":1,}", structure);
	fails(&in_type, "{\"value\" 1}", structure);
	fails(&in_type, "{value:1}", structure);
	fails(&in_type, "{\"value\":1]", structure);
	fails(&in_type, "{\"value\":01}",
	      "invalid JSON: Problem while parsing a number");
	fails(&in_type, "{\"value\":1.}",
	      "invalid JSON: Problem while parsing a number");
	fails(&in_type, "{\"value\":-}",
	      "invalid JSON: Problem while parsing a number");
	fails(&in_type, "{\"value\":tru}", "invalid JSON: Problem while "
	      "parsing an atom starting with the letter 't'");
	fails(&in_type, "{\"value\":nul}", "invalid JSON: Problem while "
	      "parsing an atom starting with the letter 'n'");
	fails(&in_type, "{\"value\":\"abc}",
	      "invalid JSON: A string is opened, but never closed");
	fails(&in_type, "{\"x\":1,\"value\":tru}", "invalid JSON: Problem "
	      "while parsing an atom starting with the letter 't'");
	fails(&in_type, "{\"value\":\"a\" x", structure);
	fails(&in_type, "\xff", "invalid UTF-8");
	fails(&in_type, "{\"value\":1} \xc3", "invalid UTF-8");
	fails(&named_type, "{\"name\":\"a\x01\"}", "invalid JSON: Within "
	      "strings, some characters must be escaped, we found unescaped "
	      "characters");
	fails_n(&in_type, "{\"value\":1}\0", 12,
		"trailing content after the JSON value");
	fails(&rk_type_json, "[1,]", structure);
	fails(&rk_type_json, "{\"a\":}", structure);
	fails(&rk_type_json, "x", structure);
	fails(&rk_type_json, "truex", "invalid JSON: Problem while parsing "
	      "an atom starting with the letter 't'");
	fails(&rk_type_json, "\"\xff\"", "invalid UTF-8");
	fails(&rk_type_json, "\xff", "invalid UTF-8");
	fails(&rk_type_json, "[\"\xc3\"]", "invalid UTF-8");
	fails(&rk_type_json, "\"\xed\xa0\x80\"", "invalid UTF-8");
	fails(&rk_type_json, "01",
	      "invalid JSON: Problem while parsing a number");
	fails(&rk_type_json, "[1e]",
	      "invalid JSON: Problem while parsing a number");
}

/* ---- the json type --------------------------------------------------- */

static void json_same(const char *text, const char *want)
{
	static char out[BUF];
	size_t n;

	if (decode(&rk_type_json, text, out, sizeof(out), &n) != RK_OK)
		fail_msg("decode %s: %s", text, rk_errmsg());
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
	/* Encoding copies the text back. */
	char back[BUF];
	size_t m;
	assert_int_equal(rk_json_encode(&rk_type_json, out, n, back,
					sizeof(back), &m), RK_OK);
	assert_int_equal(m, n);
	assert_memory_equal(back, want, n);
}

static void test_json_type(void **unused)
{
	static char deep[4096];
	const char *nested = "{\"a\":[1,{\"b\":null,\"c\":[true,false]}],"
		"\"d\":\"\\u00e9\\n\",\"e\":{},\"f\":[],\"g\":-1.5e-3}";

	json_same(nested, nested);
	json_same("  [1, 2 ,3]\t\r\n", "[1, 2 ,3]");
	json_same("42", "42");
	json_same(" \"text\" ", "\"text\"");
	json_same("null", "null");
	json_same("\"\xc3\xa9\xf0\x9f\x98\x80\"",
		  "\"\xc3\xa9\xf0\x9f\x98\x80\"");
	/* Numbers past 64 bits or a double are valid JSON all the same. */
	json_same("123456789012345678901234567890",
		  "123456789012345678901234567890");
	json_same("[1e400, -123456789012345678901234567890]",
		  "[1e400, -123456789012345678901234567890]");
	json_same("{\"n\":18446744073709551616}",
		  "{\"n\":18446744073709551616}");
	assert_int_equal(rk_json_max_encoded(&rk_type_json), 0);

	/* Nesting as deep as simdjson goes, and no deeper. */
	memset(deep, '[', 1024);
	memset(deep + 1024, ']', 1024);
	deep[2048] = '\0';
	json_same(deep, deep);
	memset(deep, '[', 1025);
	memset(deep + 1025, ']', 1025);
	deep[2050] = '\0';
	fails(&rk_type_json, deep, "invalid JSON: The JSON document was too "
	      "deep (too many nested objects and arrays)");
}

/* ---- padding and buffer sizes ---------------------------------------- */

/* In place, what follows the text in the padding is never part of it. */
static void test_padding(void **unused)
{
	char buf[64 + RK_JSON_PADDING];
	char out[64];
	struct in m;
	size_t n;

	memset(buf, '7', sizeof(buf));
	memcpy(buf, "12", 2);
	assert_int_equal(rk_json_decode(&rk_type_json, buf, 2, sizeof(buf),
					out, sizeof(out), &n), RK_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "12", 2);
	memcpy(buf, "{\"value\":12}", 12);
	assert_int_equal(rk_json_decode(&in_type, buf, 12, 12 + RK_JSON_PADDING,
					&m, sizeof(m), &n), RK_OK);
	assert_int_equal(m.value, 12);
	/* One byte short of the padding: copied, same result. */
	assert_int_equal(rk_json_decode(&in_type, buf, 12,
					12 + RK_JSON_PADDING - 1, &m, sizeof(m),
					&n), RK_OK);
	assert_int_equal(m.value, 12);
	/* A long line after short ones grows the copy. */
	static char longer[8192];
	memset(longer, ' ', sizeof(longer));
	memcpy(longer + sizeof(longer) - 12, "{\"value\":99}", 12);
	assert_int_equal(rk_json_decode(&in_type, longer, sizeof(longer),
					sizeof(longer), &m, sizeof(m), &n),
			 RK_OK);
	assert_int_equal(m.value, 99);
}

static void test_decode_cap(void **unused)
{
	char out[8];
	size_t n;

	assert_int_equal(decode(&rk_type_json, " [1,2,3] ", out, 3, &n),
			 RK_ESCHEMA);
	assert_int_equal(n, 7);
	assert_string_equal(rk_errmsg(),
			    "message of 7 bytes exceeds the 3-byte limit");
	assert_int_equal(decode(&rk_type_json, "[1,2,3]", out, 7, &n), RK_OK);
	assert_int_equal(n, 7);
	assert_int_equal(decode(&in_type, "{\"value\":1}", out, 4, &n),
			 RK_ESCHEMA);
	assert_int_equal(n, sizeof(struct in));
	assert_string_equal(rk_errmsg(),
			    "message of 8 bytes exceeds the 4-byte limit");
}

static void test_encode_cap(void **unused)
{
	struct in m = { 42 };
	char out[64];
	size_t n;

	assert_int_equal(rk_json_encode(&in_type, &m, sizeof(m), out, 5, &n),
			 RK_ESCHEMA);
	assert_int_equal(n, 12);
	assert_string_equal(rk_errmsg(),
			    "JSON text of 12 bytes exceeds the 5-byte buffer");
	assert_int_equal(rk_json_encode(&in_type, &m, sizeof(m), NULL, 0, &n),
			 RK_ESCHEMA);
	assert_int_equal(n, 12);
	/* Every size short of the text: the size needed, and not a byte
	 * written past the buffer. */
	for (size_t cap = 0; cap < 12; cap++) {
		memset(out, '#', sizeof(out));
		assert_int_equal(rk_json_encode(&in_type, &m, sizeof(m), out,
						cap, &n), RK_ESCHEMA);
		assert_int_equal(n, 12);
		for (size_t i = cap; i < sizeof(out); i++)
			assert_int_equal(out[i], '#');
	}
	struct named s;
	memset(&s, 0, sizeof(s));
	strcpy(s.name, "a\"\n\x01" "b");
	for (size_t cap = 0; cap < 23; cap++) {
		memset(out, '#', sizeof(out));
		assert_int_equal(rk_json_encode(&named_type, &s, sizeof(s), out,
						cap, &n), RK_ESCHEMA);
		assert_int_equal(n, 23);
		for (size_t i = cap; i < sizeof(out); i++)
			assert_int_equal(out[i], '#');
	}
	assert_int_equal(rk_json_encode(&named_type, &s, sizeof(s), out, 23,
					&n), RK_OK);
	assert_memory_equal(out, "{\"name\":\"a\\\"\\n\\u0001b\"}", 23);
	assert_int_equal(rk_json_encode(&in_type, &m, sizeof(m), out, 12, &n),
			 RK_OK);
	assert_int_equal(n, 12);
	assert_memory_equal(out, "{\"value\":42}", 12);
	assert_int_equal(rk_json_encode(&rk_type_json, "[1,2]", 5, out, 4, &n),
			 RK_ESCHEMA);
	assert_int_equal(n, 5);
	assert_int_equal(rk_json_encode(&in_type, &m, 4, out, sizeof(out), &n),
			 RK_ESCHEMA);
	assert_string_equal(rk_errmsg(), "message of 4 bytes is shorter than "
			    "its type (8 bytes)");
}

/* The bound holds for the longest values of each kind. */
static void test_max_encoded(void **unused)
{
	struct all a = { true, INT8_MIN, INT16_MIN, INT32_MIN, INT64_MIN,
			 UINT8_MAX, UINT16_MAX, UINT32_MAX, UINT64_MAX,
			 -1.17549435e-38f, -2.2250738585072014e-308 };
	struct named m;
	struct big b;
	struct mixed x;

	encode(&all_type, &a);
	a.f32 = -1.1754942e-38f;
	a.f64 = -2.225073858507201e-308;
	encode(&all_type, &a);
	memset(&m, 1, sizeof(m));
	encode(&named_type, &m);
	b.n = 1024;
	for (int i = 0; i < 1024; i++)
		b.v[i] = -1.00000012e-37f;
	encode(&big_type, &b);
	memset(&x, 0, sizeof(x));
	memset(x.name, '"', sizeof(x.name));
	x.a = INT32_MIN;
	x.w = -1.2345678901234567e-300;
	x.d[0] = x.d[1] = INT8_MIN;
	encode(&mixed_type, &x);
}

/* Unknown fields: refused by default, passed over when asked, and
 * what is passed over must still be JSON. */
static void test_ignore_unknown_fields(void **unused)
{
	struct in v = { 0 };
	size_t n;
	const char *extra = "{\"note\":{\"a\":[1,2,\"x\"]},\"value\":7,\"z\":null}";

	assert_int_equal(rk_json_decode(&in_type, extra, strlen(extra),
					strlen(extra), &v, sizeof(v), &n),
			 RK_ESCHEMA);
	assert_non_null(strstr(rk_errmsg(), "unknown field 'note'"));
	assert_int_equal(rk_json_decode_flags(&in_type, extra, strlen(extra),
					      strlen(extra),
					      RK_JSON_IGNORE_UNKNOWN, &v,
					      sizeof(v), &n), RK_OK);
	assert_int_equal(v.value, 7);
	assert_int_equal(n, sizeof(v));
	/* Still every field of the type, once, each checked. */
	const char *bad[] = {
		"{\"note\":1}",
		"{\"value\":1,\"value\":2,\"x\":3}",
		"{\"value\":\"1\",\"x\":3}",
		"{\"value\":1,\"x\":[1,}",
		"{\"value\":1,\"x\":tru}",
		"{\"value\":1,\"x\":\"\xff\"}",
		"{\"value\":1,\"x\":2} 3",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (rk_json_decode_flags(&in_type, bad[i], strlen(bad[i]),
					 strlen(bad[i]), RK_JSON_IGNORE_UNKNOWN,
					 &v, sizeof(v), &n) != RK_ESCHEMA)
			fail_msg("accepted %s", bad[i]);
}

/* rk_json_out: escaped strings, numbers as the codec writes them, and
 * never a byte past the buffer, saying what was needed. */
static void test_json_out(void **unused)
{
	char buf[128];
	rk_json_out o;

	rk_json_begin(&o, buf, sizeof(buf));
	rk_json_add_string(&o, "s", "a\"b\\c\n\x01");
	rk_json_add_int(&o, "i", INT64_MIN);
	rk_json_add_double(&o, "d", 0.1);
	rk_json_add_double(&o, "nan", NAN);
	rk_json_add_bool(&o, "t", true);
	rk_json_add_null(&o, "n");
	rk_json_add_raw(&o, "r", "[1,2]", 5);
	assert_int_equal(rk_json_end(&o), RK_OK);
	const char *want = "{\"s\":\"a\\\"b\\\\c\\n\\u0001\","
			   "\"i\":-9223372036854775808,\"d\":0.1,"
			   "\"nan\":null,\"t\":true,\"n\":null,\"r\":[1,2]}";
	assert_int_equal(o.len, strlen(want));
	assert_memory_equal(buf, want, o.len);
	size_t len;
	char out[128];
	assert_int_equal(rk_json_decode(&rk_type_json, buf, o.len, o.len, out,
					sizeof(out), &len), RK_OK);
	/* Too small: nothing past cap, and the size it needed. */
	memset(buf, 'x', sizeof(buf));
	rk_json_begin(&o, buf, 8);
	rk_json_add_string(&o, "key", "value");
	assert_int_equal(rk_json_end(&o), RK_ESCHEMA);
	assert_int_equal(o.len, strlen("{\"key\":\"value\"}"));
	assert_int_equal(buf[8], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ignore_unknown_fields),
		cmocka_unit_test(test_json_out),
		cmocka_unit_test(test_kinds_min),
		cmocka_unit_test(test_kinds_max),
		cmocka_unit_test(test_integer_range),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_round_trip_random),
		cmocka_unit_test(test_float32_rounding),
		cmocka_unit_test(test_float_shortest),
		cmocka_unit_test(test_float_limits),
		cmocka_unit_test(test_float_nonfinite),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_encode_bad_utf8),
		cmocka_unit_test(test_fixed_arrays),
		cmocka_unit_test(test_variable_arrays),
		cmocka_unit_test(test_field_order),
		cmocka_unit_test(test_object_errors),
		cmocka_unit_test(test_trailing_and_empty),
		cmocka_unit_test(test_invalid_json),
		cmocka_unit_test(test_json_type),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_decode_cap),
		cmocka_unit_test(test_encode_cap),
		cmocka_unit_test(test_max_encoded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
