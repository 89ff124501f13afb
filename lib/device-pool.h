/* device-pool.h - a fixed block of memory handed out in pieces.
 *
 * Allocating or freeing pinned or device memory may make the CUDA
 * driver wait for the work already on the device, and persistent
 * kernels never finish: so the cuda backend takes its memory in one
 * block before the first kernel starts, and carves device actors and
 * device links out of it (first fit; freed pieces merge with their
 * neighbours).  Offsets, not pointers: the same offset is valid from
 * the host's and from the device's address of the block.
 *
 * Not thread-safe: the caller holds a lock.
 */
#ifndef RK_DEVICE_POOL_H
#define RK_DEVICE_POOL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rk_pool rk_pool;

/* A pool of `bytes`, handing out pieces aligned to `align` (a power of
 * two, the block's own alignment at least); NULL without memory. */
rk_pool *rk_pool_new(size_t bytes, size_t align);
void rk_pool_free(rk_pool *p);

/* A piece of `bytes`: its offset in *offset, or false when no free
 * piece is that large. */
bool rk_pool_get(rk_pool *p, size_t bytes, size_t *offset);

/* Give back the piece at `offset` that rk_pool_get gave for `bytes`. */
void rk_pool_put(rk_pool *p, size_t offset, size_t bytes);

/* Bytes free in all. */
size_t rk_pool_free_bytes(const rk_pool *p);

#endif /* RK_DEVICE_POOL_H */
