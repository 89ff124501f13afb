/* ringkernel-common.h - what both public headers need: the error
 * codes and their words, the mark of the library's API, and the JSON
 * helpers a kernel uses to look into a json message.  A kernel
 * includes ringkernel-plugin.h only; a host, ringkernel.h (as nbdkit's
 * nbdkit-plugin.h and nbdkit-filter.h share nbdkit-common.h). */
#ifndef RINGKERNEL_COMMON_H
#define RINGKERNEL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What libringkernel exports; everything else in it is hidden. */
#if defined(RK_BUILDING_LIBRARY) && defined(__GNUC__)
# define RK_API __attribute__((visibility("default")))
#else
# define RK_API
#endif

/* Durations are seconds as a double: RK_FOREVER (any negative value)
 * waits without limit, 0 tries once and never blocks. */
#define RK_FOREVER (-1.0)

typedef enum rk_error {
	RK_OK = 0,
	RK_ENOTFOUND,   /* kernel not registered or not launched */
	RK_ESTATE,      /* illegal state transition, or id already launched */
	RK_EFULL,       /* queue full past the timeout */
	RK_ETIMEDOUT,   /* no message (or no confirmation) within the timeout */
	RK_EINVAL,      /* bad argument */
	RK_ESCHEMA,     /* message does not fit the queue or the kernel's type */
	RK_EPLUGIN,     /* plugin load, ABI or init failure */
	RK_EBACKEND,    /* backend unavailable */
	RK_ENOMEM,      /* out of memory */
	RK_ENODATA,     /* telemetry is disabled for this runtime */
	RK_EKERNEL,     /* the kernel failed on a message */
	RK_EEND,        /* end of input: no message will come */
	RK_ECONFIG,     /* bad topology or configuration */
	RK_ERROR_COUNT
} rk_error;

/* The words of an error code ("queue full"). */
RK_API const char *rk_strerror(rk_error err);
/* Why the last call of this thread failed, in detail. */
RK_API const char *rk_errmsg(void);

/* Looking into a json message, for generic kernels (filter, sum, ...):
 * the value of one top-level field of an object.  RK_ENOTFOUND when the
 * object has no such field, RK_ESCHEMA when the text is not an object.
 * With field NULL: the first field whose value is a number. */
typedef enum rk_json_kind {
	RK_JSON_NULL, RK_JSON_BOOL, RK_JSON_NUMBER, RK_JSON_STRING,
	RK_JSON_ARRAY, RK_JSON_OBJECT
} rk_json_kind;

typedef struct rk_json_value {
	rk_json_kind kind;
	bool boolean;
	bool integral;          /* an integer that fits int64 */
	int64_t integer;
	double number;
	/* Strings: the unescaped bytes; other kinds: the raw JSON text.
	 * Valid until the next call on this thread. */
	const char *text;
	size_t text_len;
	char name[64];          /* the field's name (truncated) */
} rk_json_value;

RK_API rk_error rk_json_field(const char *json, size_t len, const char *field,
		       rk_json_value *out);

/* Writing a JSON object for a json kernel to emit, escaped as JSON
 * wants, into the caller's buffer:
 *
 *	char buf[256];
 *	rk_json_out o;
 *	rk_json_begin(&o, buf, sizeof(buf));
 *	rk_json_add_string(&o, "name", name);
 *	rk_json_add_int(&o, "count", count);
 *	if (rk_json_end(&o) != RK_OK)
 *		return rk_ctx_error(ctx, "too long"), 1;
 *	return rk_ctx_emit(ctx, o.buf, o.len) != RK_OK;
 *
 * Nothing is written past cap; a buffer that was too small makes
 * rk_json_end RK_ESCHEMA, with o.len the bytes it needed.  Doubles are
 * the shortest text that reads back the same; NaN and the infinities
 * are null.  (What a json kernel emits is checked to be JSON: a message
 * that is not fails.) */
typedef struct rk_json_out {
	char *buf;
	size_t cap;
	size_t len;             /* written, or needed */
	uint32_t fields;        /* of the object so far */
	uint32_t reserved;
} rk_json_out;

RK_API void rk_json_begin(rk_json_out *o, char *buf, size_t cap);
RK_API void rk_json_add_string(rk_json_out *o, const char *key,
			       const char *value);
RK_API void rk_json_add_int(rk_json_out *o, const char *key, int64_t value);
RK_API void rk_json_add_double(rk_json_out *o, const char *key,
			       double value);
RK_API void rk_json_add_bool(rk_json_out *o, const char *key, bool value);
RK_API void rk_json_add_null(rk_json_out *o, const char *key);
/* A value that is JSON already (a field rk_json_field found), as it is. */
RK_API void rk_json_add_raw(rk_json_out *o, const char *key, const char *json,
			    size_t len);
RK_API rk_error rk_json_end(rk_json_out *o);

#ifdef __cplusplus
}
#endif

#endif /* RINGKERNEL_COMMON_H */
