/* json-decode-simdjson.cc - JSON text to messages by simdjson 3: the
 * full decoder, and all else the codec asks of simdjson.
 *
 * The On-Demand parser walks a typed message's object once and writes
 * each field into the struct as it meets it; the DOM parser validates
 * json messages and explains every syntax error.  Flat objects of
 * numbers are first offered to the fast path (json-decode-flat.c).
 * All of it hides behind the C API of ringkernel.h: no exceptions
 * (simdjson's error codes only), no iostreams, and no allocation per
 * message once the per-thread parsers have grown to the largest line
 * seen.  This and json-number.cc are the library's only C++.
 */
#include "config.h"

#include <charconv>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <system_error>

#include <pthread.h>

#include <simdjson.h>

#include "codec.h"
extern "C" {
#include "rk-error.h"
#include "types.h"
}

using simdjson::error_code;
using simdjson::SIMDJSON_PADDING;
namespace dom = simdjson::dom;
namespace ondemand = simdjson::ondemand;

/* A caller that gives RK_JSON_PADDING readable bytes is never copied. */
static_assert(RK_JSON_PADDING >= simdjson::SIMDJSON_PADDING,
	      "RK_JSON_PADDING must cover simdjson's padding");

extern "C" const rk_type rk_type_json = { "json", 0, 0, NULL };

/* Longest number in messages: a longer one is cut short. */
#define NUMBER_SHOWN 64

namespace {

/* Per thread, so that kernels decode in parallel without locks.  The
 * parsers keep their buffers between messages: they allocate only when a
 * line is longer than any before. */
struct codec_state {
	ondemand::parser od;
	dom::parser dom;
	char *copy = nullptr;           /* unpadded input, padded */
	size_t copy_cap = 0;
	uint64_t *seen = nullptr;       /* field bitmap of types over 256 */
	size_t seen_words = 0;

	~codec_state()
	{
		free(copy);
		free(seen);
	}
};

/* What a typed decode needs to explain a failure. */
struct decoder {
	codec_state *st;
	const char *text;               /* the line, padded */
	size_t len;
	char *out;                      /* the struct */
};

} /* namespace */

/* A plain pointer, not a thread_local object: an object with a
 * constructor costs a guard check and a second TLS lookup on every use.
 * The key's destructor frees the state when the thread ends. */
static thread_local codec_state *tls_state;
static pthread_key_t state_key;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;

static void free_state(void *p)
{
	delete (codec_state *)p;
	tls_state = nullptr;
}

static void make_state_key(void)
{
	pthread_key_create(&state_key, free_state);
}

/* The calling thread's parsers and buffers, made on first use. */
static codec_state *state(void)
{
	codec_state *st = tls_state;

	if (st)
		return st;
	if (!(st = new (std::nothrow) codec_state))
		return nullptr;
	pthread_once(&state_once, make_state_key);
	pthread_setspecific(state_key, st);
	tls_state = st;
	return st;
}

/* ---- text ------------------------------------------------------------ */

static std::string_view trim_right(std::string_view s)
{
	size_t n = s.size();

	while (n > 0 && codec_is_ws(s[n - 1]))
		n--;
	return s.substr(0, n);
}

static std::string_view trim(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && codec_is_ws(s[i]))
		i++;
	return trim_right(std::string_view(s + i, len - i));
}

/* simdjson's messages end with a period, ours never do. */
static int message_len(const char *msg)
{
	size_t n = strlen(msg);

	if (n > 0 && msg[n - 1] == '.')
		n--;
	return (int)n;
}

/* Whether s is exactly one JSON number (RFC 8259), whatever its size:
 * simdjson refuses integers beyond 64 bits and numbers beyond a double,
 * which are valid JSON all the same. */
static bool json_number(std::string_view s)
{
	size_t i = 0, n = s.size(), start;

	if (i < n && s[i] == '-')
		i++;
	if (i == n || !codec_is_digit(s[i]))
		return false;
	if (s[i++] != '0')
		while (i < n && codec_is_digit(s[i]))
			i++;
	if (i < n && s[i] == '.') {
		for (start = ++i; i < n && codec_is_digit(s[i]); i++)
			;
		if (i == start)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (start = i; i < n && codec_is_digit(s[i]); i++)
			;
		if (i == start)
			return false;
	}
	return i == n;
}

/* ---- validation of any JSON value ------------------------------------ */

static error_code walk_value(ondemand::value &v, int depth);

static error_code walk_array(ondemand::value &v, int depth)
{
	ondemand::array arr;
	error_code err = v.get_array().get(arr);

	if (err)
		return err;
	for (auto r : arr) {
		ondemand::value e;
		if ((err = std::move(r).get(e)) || (err = walk_value(e, depth)))
			return err;
	}
	return simdjson::SUCCESS;
}

static error_code walk_object(ondemand::value &v, int depth)
{
	ondemand::object obj;
	error_code err = v.get_object().get(obj);

	if (err)
		return err;
	for (auto r : obj) {
		ondemand::field f;
		std::string_view key;
		if ((err = std::move(r).get(f))
		    || (err = f.unescaped_key().get(key))
		    || (err = walk_value(f.value(), depth)))
			return err;
	}
	return simdjson::SUCCESS;
}

/* Every string is unescaped (which checks its escapes), every number and
 * literal checked against the grammar.  Depth is bounded as simdjson
 * bounds it, so the recursion is too. */
static error_code walk_value(ondemand::value &v, int depth)
{
	ondemand::json_type type;
	error_code err = v.type().get(type);
	std::string_view s;
	bool b;

	if (err)
		return err;
	if (++depth > (int)simdjson::DEFAULT_MAX_DEPTH)
		return simdjson::DEPTH_ERROR;
	switch (type) {
	case ondemand::json_type::array:
		return walk_array(v, depth);
	case ondemand::json_type::object:
		return walk_object(v, depth);
	case ondemand::json_type::number:
		if (!json_number(trim_right(v.raw_json_token())))
			return simdjson::NUMBER_ERROR;
		return simdjson::SUCCESS;
	case ondemand::json_type::string:
		return v.get_string().get(s);
	case ondemand::json_type::boolean:
		return v.get_bool().get(b);
	case ondemand::json_type::null:
		if (trim_right(v.raw_json_token()) != "null")
			return simdjson::N_ATOM_ERROR;
		return simdjson::SUCCESS;
	}
	return simdjson::TAPE_ERROR;
}

/* The slow second opinion on a text the DOM parser refused for a
 * number: valid if only the size of its numbers was wrong. */
static error_code walk_document(codec_state *st, const char *text,
				size_t len)
{
	ondemand::document doc;
	ondemand::value v;
	error_code err;

	if (json_number(trim(text, len)))
		return simdjson::SUCCESS;
	err = st->od.iterate(text, len, len + SIMDJSON_PADDING).get(doc);
	if (err || (err = doc.get_value().get(v)) || (err = walk_value(v, 0)))
		return err;
	if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
		return simdjson::TAPE_ERROR;
	return simdjson::SUCCESS;
}

/* Full validation of one JSON value.  The DOM parser is the fastest
 * complete validator simdjson has: its stage 2 checks structure, every
 * string, number and literal and what follows the value, in code tuned
 * for the CPU at run time.  Walking the value with On-Demand instead
 * takes one getter call per scalar and ran 1.6-3x slower here (16 to
 * 2400-byte lines); it serves only as the fallback for numbers too big
 * for the DOM parser. */
static error_code json_error(codec_state *st, const char *text, size_t len)
{
	error_code err = st->dom.parse((const uint8_t *)text, len, false)
		.error();

	if (err == simdjson::NUMBER_ERROR && !walk_document(st, text, len))
		return simdjson::SUCCESS;
	return err;
}

static size_t string_end(const char *s, size_t i, size_t len)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return len;
}

/* Where the first value of the text ends, judged by quotes and brackets
 * alone: enough to tell a value with something after it from a broken
 * value. */
static size_t value_end(const char *s, size_t len)
{
	size_t i = 0;
	long depth = 0;

	while (i < len && codec_is_ws(s[i]))
		i++;
	if (i < len && s[i] == '"')
		return string_end(s, i, len);
	if (i < len && s[i] != '{' && s[i] != '[') {
		while (i < len && !codec_is_ws(s[i])
		       && !strchr(",:[]{}\"", s[i]))
			i++;
		return i;
	}
	while (i < len) {
		char c = s[i];
		if (c == '"') {
			i = string_end(s, i, len);
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return i + 1;
		i++;
	}
	return len;
}

/* RK_OK where the padded text is one valid JSON value, else RK_ESCHEMA
 * with the reason set. */
static rk_error check_json(codec_state *st, const char *text, size_t len)
{
	error_code err = json_error(st, text, len);

	if (!err)
		return RK_OK;
	if (err == simdjson::UTF8_ERROR)
		return rk_fail(RK_ESCHEMA, "invalid UTF-8");
	if (err == simdjson::EMPTY)
		return rk_fail(RK_ESCHEMA, "empty line");
	size_t end = value_end(text, len);
	if (!trim(text + end, len - end).empty() && !json_error(st, text, end))
		return rk_fail(RK_ESCHEMA,
			       "trailing content after the JSON value");
	const char *msg = simdjson::error_message(err);
	return rk_fail(RK_ESCHEMA, "invalid JSON: %.*s", message_len(msg),
		       msg);
}

/* ---- decoding typed messages ----------------------------------------- */

static rk_error schema_fail(const decoder &d, const rk_field *f, long elem,
			    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A line that is valid JSON but not of its type.  One that is not valid
 * JSON at all says so instead, whichever problem came first: the reason
 * must not depend on the order of the fields.  The reason is formatted
 * before checking, as it may point into the parser's buffers. */
static rk_error schema_fail(const decoder &d, const rk_field *f, long elem,
			    const char *fmt, ...)
{
	char why[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (check_json(d.st, d.text, d.len) != RK_OK)
		return RK_ESCHEMA;
	if (!f)
		return rk_fail(RK_ESCHEMA, "%s", why);
	if (elem < 0)
		return rk_fail(RK_ESCHEMA, "field '%s': %s", f->name, why);
	return rk_fail(RK_ESCHEMA, "field '%s': element %ld: %s", f->name,
		       elem, why);
}

/* simdjson stopped: the full check says why in our words. */
static rk_error syntax_fail(const decoder &d, error_code err)
{
	if (check_json(d.st, d.text, d.len) != RK_OK)
		return RK_ESCHEMA;
	const char *msg = simdjson::error_message(err);
	return rk_fail(RK_ESCHEMA, "invalid JSON: %.*s", message_len(msg),
		       msg);
}

static rk_error range_fail(const decoder &d, const rk_field *f, long elem,
			   std::string_view tok)
{
	int shown = tok.size() > NUMBER_SHOWN ? NUMBER_SHOWN : (int)tok.size();
	const char *more = shown < (int)tok.size() ? "..." : "";

	return schema_fail(d, f, elem, "%.*s%s is out of range for %s",
			   shown, tok.data(), more, rk_kind_name(f->kind));
}

enum { INT_OK, INT_NOT_INTEGER, INT_TOO_BIG };

/* A JSON integer: a sign, digits, no fraction and no exponent. */
static int parse_integer(std::string_view s, bool *neg, uint64_t *mag)
{
	size_t i = 0, n = s.size();
	uint64_t m = 0;
	bool big = false;

	*neg = n > 0 && s[0] == '-';
	i = *neg;
	if (i == n || !codec_is_digit(s[i]) || (s[i] == '0' && i + 1 < n))
		return INT_NOT_INTEGER;
	/* Up to 19 digits never overflow: check only longer ones. */
	bool check = n - i > 19;
	for (; i < n; i++) {
		unsigned digit = (unsigned char)s[i] - '0';
		if (digit > 9)
			return INT_NOT_INTEGER;
		if (!check)
			m = m * 10 + digit;
		else if (__builtin_mul_overflow(m, 10, &m)
			 || __builtin_add_overflow(m, digit, &m))
			big = true;
	}
	*mag = m;
	return big ? INT_TOO_BIG : INT_OK;
}

/* Integers are parsed from the token, not by simdjson's get_int64:
 * one path for every width, and exact reasons (3.0 is not an integer,
 * 2^64 is out of range) where simdjson says INCORRECT_TYPE for both. */
static rk_error decode_integer(const decoder &d, const rk_field *f,
			       long elem, ondemand::value &v, char *dst)
{
	std::string_view tok = trim_right(v.raw_json_token());
	bool neg;
	uint64_t mag;
	int r = parse_integer(tok, &neg, &mag);

	if (r == INT_OK && codec_store_integer(f->kind, neg, mag, dst))
		return RK_OK;
	if (r == INT_NOT_INTEGER)
		return schema_fail(d, f, elem, "expected an integer");
	return range_fail(d, f, elem, tok);
}

/* Whether a number that from_chars found out of range overflowed (its
 * magnitude is at least 1) rather than underflowed to zero. */
static bool number_is_large(std::string_view s)
{
	size_t i = s[0] == '-', n = s.size(), j, start = i;
	long lead = 0, e = 0;
	bool found = false, eneg = false;

	while (i < n && codec_is_digit(s[i]))
		i++;
	for (j = start; j < i && !found; j++)
		if (s[j] != '0') {
			lead = (long)(i - 1 - j);
			found = true;
		}
	if (i < n && s[i] == '.') {
		for (start = ++i; i < n && codec_is_digit(s[i]); i++)
			;
		for (j = start; j < i && !found; j++)
			if (s[j] != '0') {
				lead = -(long)(j - start + 1);
				found = true;
			}
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		for (; i < n; i++)
			if (e < 1000000000L)
				e = e * 10 + (s[i] - '0');
	}
	return found && lead + (eneg ? -e : e) >= 0;
}

/* Floats are parsed from the token's text by from_chars in their own
 * width, so a float32 is the decimal correctly rounded to float, never
 * rounded twice through a double.  An underflow is the signed zero it
 * rounds to; an overflow is an error. */
template <typename T>
static rk_error decode_float(const decoder &d, const rk_field *f, long elem,
			     std::string_view tok, char *dst)
{
	T x;
	auto r = std::from_chars(tok.data(), tok.data() + tok.size(), x);

	if (r.ec == std::errc::result_out_of_range) {
		if (number_is_large(tok))
			return range_fail(d, f, elem, tok);
		x = tok[0] == '-' ? -(T)0 : (T)0;
	} else if (r.ec != std::errc() || r.ptr != tok.data() + tok.size()) {
		return schema_fail(d, f, elem, "expected a number");
	}
	memcpy(dst, &x, sizeof(x));
	return RK_OK;
}

static rk_error decode_element(const decoder &d, const rk_field *f,
			       long elem, ondemand::value &v, char *dst)
{
	std::string_view tok;
	bool b;

	switch (f->kind) {
	case RK_KIND_BOOL:
		if (v.get_bool().get(b))
			return schema_fail(d, f, elem,
					   "expected true or false");
		*dst = b;
		return RK_OK;
	case RK_KIND_F32:
	case RK_KIND_F64:
		tok = trim_right(v.raw_json_token());
		if (!json_number(tok))
			return schema_fail(d, f, elem, "expected a number");
		if (f->kind == RK_KIND_F32)
			return decode_float<float>(d, f, elem, tok, dst);
		return decode_float<double>(d, f, elem, tok, dst);
	default:
		return decode_integer(d, f, elem, v, dst);
	}
}

static rk_error decode_string(const decoder &d, const rk_field *f,
			      ondemand::value &v, char *dst)
{
	std::string_view s;

	if (v.get_string().get(s))
		return schema_fail(d, f, -1, "expected a string");
	if (s.size() > f->count)
		return schema_fail(d, f, -1, "string of %zu bytes exceeds %u",
				   s.size(), f->count);
	if (memchr(s.data(), 0, s.size()))
		return schema_fail(d, f, -1, "string contains a NUL byte");
	memcpy(dst, s.data(), s.size());
	return RK_OK;
}

/* Elements past the array's room are counted, not stored, so that the
 * reason can say how many there were. */
static rk_error decode_array(const decoder &d, const rk_field *f,
			     ondemand::value &v, char *dst)
{
	ondemand::array arr;
	size_t n = 0, size = rk_kind_size(f->kind);
	error_code err;

	if (v.get_array().get(arr))
		return schema_fail(d, f, -1, "expected an array");
	for (auto r : arr) {
		ondemand::value e;
		if ((err = std::move(r).get(e)))
			return syntax_fail(d, err);
		if (n < f->count) {
			rk_error rc = decode_element(d, f, (long)n, e,
						     dst + n * size);
			if (rc)
				return rc;
		}
		n++;
	}
	if (f->length_offset < 0) {
		if (n != f->count)
			return schema_fail(d, f, -1,
					   "expected %u elements, got %zu",
					   f->count, n);
		return RK_OK;
	}
	if (n > f->count)
		return schema_fail(d, f, -1, "%zu elements exceed %u", n,
				   f->count);
	uint32_t used = (uint32_t)n;
	memcpy(d.out + f->length_offset, &used, sizeof(used));
	return RK_OK;
}

static rk_error decode_field(const decoder &d, const rk_field *f,
			     ondemand::value &v)
{
	char *dst = d.out + f->offset;

	if (!codec_kind_valid(f->kind))
		return rk_fail(RK_EINVAL, "field '%s': unknown kind %d",
			       f->name, (int)f->kind);
	if (f->kind == RK_KIND_STRING)
		return decode_string(d, f, v, dst);
	if (f->count > 0)
		return decode_array(d, f, v, dst);
	return decode_element(d, f, -1, v, dst);
}

/* Fields are looked up from the one after the last found: objects
 * written in the type's order cost one comparison per key. */
static long find_field(const rk_type *type, std::string_view key,
		       uint32_t hint)
{
	uint32_t n = type->n_fields;

	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = hint + k < n ? hint + k : hint + k - n;
		const char *name = type->fields[i].name;
		if (strlen(name) == key.size()
		    && memcmp(name, key.data(), key.size()) == 0)
			return i;
	}
	return -1;
}

/* One bit per field of the type, all clear; NULL when out of memory. */
static uint64_t *seen_bits(codec_state *st, uint32_t n_fields,
			   uint64_t *small, size_t small_words)
{
	size_t words = (n_fields + 63) / 64;

	if (words > small_words) {
		if (words > st->seen_words) {
			uint64_t *p = (uint64_t *)realloc(st->seen,
							  words * 8);
			if (!p)
				return NULL;
			st->seen = p;
			st->seen_words = words;
		}
		small = st->seen;
	}
	memset(small, 0, words * 8);
	return small;
}

static rk_error decode_typed(codec_state *st, const rk_type *type,
			     const char *text, size_t len, char *out,
			     unsigned flags)
{
	decoder d = { st, text, len, out };
	ondemand::document doc;
	ondemand::object obj;
	uint64_t small[4], *seen;
	uint32_t hint = 0, found = 0;
	bool skipped = false;
	error_code err;

	err = st->od.iterate(text, len, len + SIMDJSON_PADDING).get(doc);
	if (err)
		return syntax_fail(d, err);
	if ((err = doc.get_object().get(obj))) {
		/* On a root object simdjson 3.0 checks that the text ends
		 * with '}' and says INCOMPLETE_ARRAY_OR_OBJECT otherwise:
		 * the full check finds the real reason. */
		if (check_json(st, text, len) != RK_OK)
			return RK_ESCHEMA;
		if (err == simdjson::INCORRECT_TYPE)
			return rk_fail(RK_ESCHEMA, "expected a JSON object");
		return syntax_fail(d, err);
	}
	if (!(seen = seen_bits(st, type->n_fields, small, 4)))
		return rk_fail(RK_ENOMEM, "out of memory");
	memset(out, 0, type->size);
	for (auto r : obj) {
		ondemand::field field;
		std::string_view key;
		if ((err = std::move(r).get(field))
		    || (err = field.unescaped_key().get(key)))
			return syntax_fail(d, err);
		long i = find_field(type, key, hint);
		if (i < 0 && (flags & RK_JSON_IGNORE_UNKNOWN)) {
			/* Passed over unread; whether it is JSON at all is
			 * checked once, at the end. */
			skipped = true;
			continue;
		}
		if (i < 0) {
			int shown = key.size() > 64 ? 64 : (int)key.size();
			return schema_fail(d, NULL, -1, "unknown field '%.*s'",
					   shown, key.data());
		}
		if (seen[i / 64] & (1ull << (i % 64)))
			return schema_fail(d, NULL, -1, "duplicate field '%s'",
					   type->fields[i].name);
		seen[i / 64] |= 1ull << (i % 64);
		found++;
		hint = (uint32_t)i + 1;
		rk_error rc = decode_field(d, &type->fields[i], field.value());
		if (rc)
			return rc;
	}
	if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
		return schema_fail(d, NULL, -1,
				   "trailing content after the JSON value");
	for (uint32_t i = 0; found < type->n_fields; i++)
		if (!(seen[i / 64] & (1ull << (i % 64))))
			return schema_fail(d, NULL, -1, "missing field '%s'",
					   type->fields[i].name);
	/* On-demand skims what it does not read: the fields passed over
	 * are checked to be JSON by the full parser. */
	if (skipped && check_json(st, text, len) != RK_OK)
		return RK_ESCHEMA;
	return RK_OK;
}

/* A json message is its text, trimmed, once it is known to be valid. */
static rk_error decode_json(codec_state *st, const char *text, size_t len,
			    char *out, size_t cap, size_t *out_len)
{
	if (check_json(st, text, len) != RK_OK)
		return RK_ESCHEMA;
	std::string_view t = trim(text, len);
	*out_len = t.size();
	if (t.size() > cap)
		return rk_fail(RK_ESCHEMA, "message of %zu bytes exceeds "
			       "the %zu-byte limit", t.size(), cap);
	if (t.size())
		memcpy(out, t.data(), t.size());
	return RK_OK;
}

/* simdjson reads up to SIMDJSON_PADDING bytes past the text: it parses
 * in place where the caller says they may be read, else a copy. */
static const char *padded_input(codec_state *st, const char *json,
				size_t len, size_t readable)
{
	if (readable >= len && readable - len >= SIMDJSON_PADDING)
		return json;
	if (len > SIZE_MAX / 2 - SIMDJSON_PADDING)
		return NULL;
	size_t need = len + SIMDJSON_PADDING;
	if (need > st->copy_cap) {
		size_t cap = st->copy_cap * 2 > need ? st->copy_cap * 2 : need;
		char *p = (char *)malloc(cap);
		if (!p)
			return NULL;
		free(st->copy);
		st->copy = p;
		st->copy_cap = cap;
	}
	if (len)
		memcpy(st->copy, json, len);
	memset(st->copy + len, 0, SIMDJSON_PADDING);
	return st->copy;
}

static rk_error decode(const rk_type *type, const char *json, size_t len,
		       size_t readable, void *out, size_t cap, size_t *out_len,
		       bool fast, unsigned flags)
{
	*out_len = 0;
	if (!type || (!json && len))
		return rk_fail(RK_EINVAL, "no message type or no text");
	if (type->fields && cap < type->size) {
		*out_len = type->size;
		return rk_fail(RK_ESCHEMA,
			       "message of %u bytes exceeds the %zu-byte limit",
			       type->size, cap);
	}
	if (fast && type->fields && json
	    && codec_decode_flat(type, json, len, (char *)out)) {
		*out_len = type->size;
		return RK_OK;
	}
	codec_state *st = state();
	if (!st)
		return rk_fail(RK_ENOMEM, "out of memory");
	const char *text = json ? padded_input(st, json, len, readable)
				: padded_input(st, "", 0, 0);
	if (!text)
		return rk_fail(RK_ENOMEM, "out of memory");
	if (!type->fields)
		return decode_json(st, text, len, (char *)out, cap, out_len);
	rk_error rc = decode_typed(st, type, text, len, (char *)out, flags);
	if (rc == RK_OK)
		*out_len = type->size;
	return rc;
}

extern "C" rk_error rk_json_decode(const rk_type *type, const char *json,
				   size_t len, size_t readable, void *out,
				   size_t cap, size_t *out_len)
{
	return decode(type, json, len, readable, out, cap, out_len, true, 0);
}

extern "C" rk_error codec_check_json(const char *text, size_t len)
{
	codec_state *st = state();
	const char *padded = st ? padded_input(st, text, len, len) : NULL;

	if (!padded)
		return rk_fail(RK_ENOMEM, "out of memory");
	return check_json(st, padded, len);
}

extern "C" rk_error rk_json_decode_flags(const rk_type *type, const char *json,
					 size_t len, size_t readable,
					 unsigned flags, void *out, size_t cap,
					 size_t *out_len)
{
	return decode(type, json, len, readable, out, cap, out_len, true,
		      flags);
}

extern "C" rk_error rk_json_decode_full(const rk_type *type, const char *json,
					size_t len, size_t readable, void *out,
					size_t cap, size_t *out_len)
{
	return decode(type, json, len, readable, out, cap, out_len, false, 0);
}

/* ---- looking into json messages ------------------------------------- */

static void set_name(rk_json_value *out, std::string_view key)
{
	size_t n = key.size() < sizeof(out->name) - 1 ? key.size()
						       : sizeof(out->name) - 1;
	memcpy(out->name, key.data(), n);
	out->name[n] = '\0';
}

/* A number's value from its text: exact as an int64 where it is one,
 * and as the nearest double always. */
/* A number as an integer where it is one, and as a double: one too
 * large for a double is bad data (it once read as 0); one too small is
 * the signed zero it rounds to, as decode_float has it. */
static rk_error read_number(std::string_view raw, rk_json_value *out)
{
	raw = trim_right(raw);
	out->kind = RK_JSON_NUMBER;
	out->text = raw.data();
	out->text_len = raw.size();
	const char *end = raw.data() + raw.size();
	auto i = std::from_chars(raw.data(), end, out->integer);
	out->integral = i.ec == std::errc() && i.ptr == end;
	auto d = std::from_chars(raw.data(), end, out->number);
	if (d.ec == std::errc::result_out_of_range && !out->integral) {
		if (number_is_large(raw)) {
			int shown = raw.size() > 40 ? 37 : (int)raw.size();
			return rk_fail(RK_ESCHEMA, "%.*s%s is out of the range "
				       "of a double", shown, raw.data(),
				       raw.size() > 40 ? "..." : "");
		}
		out->number = raw[0] == '-' ? -0.0 : 0.0;
	} else if (d.ec != std::errc() && out->integral) {
		out->number = (double)out->integer;
	}
	return RK_OK;
}

static rk_error read_value(ondemand::value &v, rk_json_value *out)
{
	ondemand::json_type type;
	std::string_view sv;
	bool b;

	if (v.type().get(type))
		return rk_fail(RK_ESCHEMA, "invalid JSON");
	switch (type) {
	case ondemand::json_type::number:
		return read_number(v.raw_json_token(), out);
	case ondemand::json_type::string:
		if (v.get_string().get(sv))
			return rk_fail(RK_ESCHEMA, "invalid JSON string");
		out->kind = RK_JSON_STRING;
		out->text = sv.data();
		out->text_len = sv.size();
		return RK_OK;
	case ondemand::json_type::boolean:
		if (v.get_bool().get(b))
			return rk_fail(RK_ESCHEMA, "invalid JSON");
		out->kind = RK_JSON_BOOL;
		out->boolean = b;
		out->text = b ? "true" : "false";
		out->text_len = b ? 4 : 5;
		return RK_OK;
	case ondemand::json_type::null:
		out->kind = RK_JSON_NULL;
		out->text = "null";
		out->text_len = 4;
		return RK_OK;
	case ondemand::json_type::array:
		out->kind = RK_JSON_ARRAY;
		return RK_OK;
	case ondemand::json_type::object:
		out->kind = RK_JSON_OBJECT;
		return RK_OK;
	}
	return rk_fail(RK_ESCHEMA, "invalid JSON");
}

extern "C" rk_error rk_json_field(const char *json, size_t len,
				  const char *field, rk_json_value *out)
{
	ondemand::document doc;
	ondemand::object obj;

	memset(out, 0, sizeof(*out));
	if (!json && len)
		return rk_fail(RK_EINVAL, "no text");
	codec_state *st = state();
	const char *text = st ? padded_input(st, json ? json : "", len, len)
			      : NULL;
	if (!text)
		return rk_fail(RK_ENOMEM, "out of memory");
	if (st->od.iterate(text, len, len + SIMDJSON_PADDING).get(doc)
	    || doc.get_object().get(obj))
		return rk_fail(RK_ESCHEMA, "expected a JSON object");
	for (auto f : obj) {
		ondemand::field fld;
		std::string_view key;
		if (std::move(f).get(fld) || fld.unescaped_key().get(key))
			return rk_fail(RK_ESCHEMA, "invalid JSON object");
		ondemand::value v = fld.value();
		if (field && key != field)
			continue;
		if (!field) {
			ondemand::json_type type;
			if (v.type().get(type))
				return rk_fail(RK_ESCHEMA, "invalid JSON object");
			if (type != ondemand::json_type::number)
				continue;
		}
		set_name(out, key);
		return read_value(v, out);
	}
	if (field)
		return rk_fail(RK_ENOTFOUND, "no field '%s'", field);
	return rk_fail(RK_ENOTFOUND, "no number field");
}

/* ---- for the encoder ------------------------------------------------- */

/* simdjson's UTF-8 check, here so that simdjson stays in one file. */
extern "C" bool codec_valid_utf8(const char *s, size_t n)
{
	return simdjson::validate_utf8(s, n);
}
