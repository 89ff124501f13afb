/* codec.h - what the codec offers beyond ringkernel.h: the full
 * decoder without its fast path for flat objects, so that the tests can
 * hold the two to the same results. */
#ifndef RK_CODEC_H
#define RK_CODEC_H

#include <stddef.h>

#include "ringkernel.h"

#ifdef __cplusplus
extern "C" {
#endif

rk_error rk_json_decode_full(const rk_type *type, const char *json,
			     size_t len, size_t readable, void *out,
			     size_t cap, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* RK_CODEC_H */
