/* names.c - names as users type them (ids, kernel names) checked, and
 * escaped for the messages that show them. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "names.h"
#include "rk-error.h"

bool rk_plain_name(const char *name, const char *extra)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	size_t n = strlen(name), i = 0;

	while (i < n && (strchr(plain, name[i]) || strchr(extra, name[i])))
		i++;
	return n > 0 && i == n;
}

bool rk_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* The letter of c's C escape (\t for a tab), or 0 where it has none. */
static char escape_letter(unsigned char c)
{
	switch (c) {
	case '\0': return '0';
	case '\t': return 't';
	case '\n': return 'n';
	case '\r': return 'r';
	case '\\': return '\\';
	default: return 0;
	}
}

const char *rk_escape(char *out, size_t cap, const char *s, size_t len)
{
	size_t n = 0;

	if (!cap)
		return out;
	out[0] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char one[5], letter = escape_letter(c);
		if (letter)
			snprintf(one, sizeof(one), "\\%c", letter);
		else if (c < 0x20 || c >= 0x7f)
			snprintf(one, sizeof(one), "\\x%02x", c);
		else
			snprintf(one, sizeof(one), "%c", c);
		size_t w = strlen(one);
		/* Room for this and the NUL, and for "..." if more follows. */
		if (n + w + (i + 1 < len ? 3 : 0) >= cap) {
			snprintf(out + n, cap - n, "...");
			break;
		}
		memcpy(out + n, one, w + 1);
		n += w;
	}
	return out;
}

rk_error rk_check_control(const char *what, const char *s)
{
	char shown[80];

	if (!rk_has_control(s))
		return RK_OK;
	return rk_fail(RK_EINVAL, "%s '%s' holds a control character", what,
		       rk_escape(shown, sizeof(shown), s, strlen(s)));
}
