// limit-doubler - the limit row of `make bench`'s JSON lines: the
// plainest single-threaded program that does ringctl's doubler job,
// {"value": N} per line in, {"result": 2N} per line out, in order.
// Standard input read in large blocks, each line parsed by simdjson's
// on-demand API (the parser ringctl's codec uses), the number doubled
// and formatted into an output buffer written in large blocks.  No
// queue, no thread, no envelope: what ringctl spends beyond this is the
// price of being a runtime.  A bad line stops it (exit 65).
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>

#include <simdjson.h>

static bool write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(1, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

int main()
{
	simdjson::ondemand::parser parser;
	std::string in, out;
	static char block[1 << 20];
	size_t start = 0;
	ssize_t got;

	while ((got = read(0, block, sizeof(block))) > 0 || got < 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			perror("limit-doubler: read");
			return 1;
		}
		in.erase(0, start);
		in.reserve(in.size() + (size_t)got
			   + simdjson::SIMDJSON_PADDING);
		in.append(block, (size_t)got);
		start = 0;
		for (;;) {
			size_t nl = in.find('\n', start);
			if (nl == std::string::npos)
				break;
			size_t at = start, len = nl - start;
			start = nl + 1;
			if (len == 0)
				continue;
			// In place: the bytes after the line (the next lines,
			// or the reserved tail) are its padding.
			simdjson::padded_string_view v(in.data() + at, len,
						       in.capacity() - at);
			int64_t value;
			auto doc = parser.iterate(v);
			if (doc.error() || doc["value"].get_int64().get(value)) {
				fprintf(stderr, "limit-doubler: bad line\n");
				return write_all(out.data(), out.size()) ? 65 : 1;
			}
			char num[24];
			auto r = std::to_chars(num, num + sizeof(num), value * 2);
			out.append("{\"result\":");
			out.append(num, (size_t)(r.ptr - num));
			out.append("}\n");
			if (out.size() >= (1 << 20)) {
				if (!write_all(out.data(), out.size()))
					return 1;
				out.clear();
			}
		}
	}
	return write_all(out.data(), out.size()) ? 0 : 1;
}
