/* json-number.cc - numbers <-> JSON text for the codec's C files, by
 * C++17's from_chars and to_chars.
 *
 * C has no equal of them: strtod and printf follow the locale, strtod
 * reads on to a NUL where a line has none, and printf has no "shortest
 * text that reads back to the same value".  Through these the fast path
 * reads floats exactly as the full decoder does, and the encoder writes
 * text that the decoder reads back to the same bits.
 */
#include "config.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <system_error>

#include "codec.h"

template <typename T>
static bool read_float(const char *p, const char *end, char *dst)
{
	T x;
	auto r = std::from_chars(p, end, x);

	if (r.ec != std::errc() || r.ptr != end)
		return false;
	memcpy(dst, &x, sizeof(x));
	return true;
}

extern "C" bool codec_read_float(rk_kind kind, const char *p,
				 const char *end, char *dst)
{
	if (kind == RK_KIND_F32)
		return read_float<float>(p, end, dst);
	return read_float<double>(p, end, dst);
}

template <typename T>
static char *write_integer(const char *src, char *p)
{
	T x;

	memcpy(&x, src, sizeof(x));
	return std::to_chars(p, p + CODEC_NUMBER_ROOM, x).ptr;
}

template <typename T>
static char *write_float(const char *src, char *p)
{
	T x;

	memcpy(&x, src, sizeof(x));
	if (!std::isfinite(x)) {
		memcpy(p, "null", 4);
		return p + 4;
	}
	return std::to_chars(p, p + CODEC_NUMBER_ROOM, x).ptr;
}

extern "C" char *codec_write_number(rk_kind kind, const char *src, char *p)
{
	switch (kind) {
	case RK_KIND_I8: return write_integer<int8_t>(src, p);
	case RK_KIND_I16: return write_integer<int16_t>(src, p);
	case RK_KIND_I32: return write_integer<int32_t>(src, p);
	case RK_KIND_I64: return write_integer<int64_t>(src, p);
	case RK_KIND_U8: return write_integer<uint8_t>(src, p);
	case RK_KIND_U16: return write_integer<uint16_t>(src, p);
	case RK_KIND_U32: return write_integer<uint32_t>(src, p);
	case RK_KIND_U64: return write_integer<uint64_t>(src, p);
	case RK_KIND_F32: return write_float<float>(src, p);
	case RK_KIND_F64: return write_float<double>(src, p);
	default: return p;
	}
}
