/* vector.h - the float32 vector kernels' messages and functions,
 * compiled for the CPU (vector.c) and for the GPU (cuda/vector.cu). */
#ifndef KERNELS_VECTOR_H
#define KERNELS_VECTOR_H

#include <stdint.h>

#include <ringkernel-device.h>

#define VECTOR_MAX 1024

struct vec_x {
	uint32_t n;
	float x[VECTOR_MAX];
};

struct vec_xy {
	uint32_t nx;
	uint32_t ny;
	float x[VECTOR_MAX];
	float y[VECTOR_MAX];
};

struct vec_y {
	uint32_t n;
	float y[VECTOR_MAX];
};

/* The parameter each keeps as its state: init parses it once. */
struct vec_factor {
	float f;
};

/* A histogram of one vector: counts in equal buckets between min and
 * max, values outside counted apart. */
#define HIST_MAX 256

struct vec_hist {
	uint32_t n;
	uint32_t buckets[HIST_MAX];
	uint32_t underflow;
	uint32_t overflow;
};

struct hist_params {
	float min, max;
	uint32_t buckets;
};

/* Error codes. */
#define VECTOR_TOO_LONG 1       /* a count past VECTOR_MAX (binary input) */
#define VECTOR_LENGTHS 2        /* x and y differ in length */
#define VECTOR_NAN 3            /* a value that is not a number */

RK_HD static inline int scale_one(const struct vec_x *in, struct vec_x *out,
				  const struct vec_factor *p)
{
	if (in->n > VECTOR_MAX)
		return VECTOR_TOO_LONG;
	out->n = in->n;
	for (uint32_t i = 0; i < in->n; i++)
		out->x[i] = p->f * in->x[i];
	return 0;
}

RK_HD static inline int saxpy_one(const struct vec_xy *in, struct vec_y *out,
				  const struct vec_factor *p)
{
	if (in->nx > VECTOR_MAX || in->ny > VECTOR_MAX)
		return VECTOR_TOO_LONG;
	if (in->nx != in->ny)
		return VECTOR_LENGTHS;
	out->n = in->ny;
	for (uint32_t i = 0; i < in->ny; i++)
		out->y[i] = p->f * in->x[i] + in->y[i];
	return 0;
}

RK_HD static inline int histogram_one(const struct vec_x *in,
				      struct vec_hist *out,
				      const struct hist_params *p)
{
	if (in->n > VECTOR_MAX)
		return VECTOR_TOO_LONG;
	out->n = p->buckets;
	out->underflow = out->overflow = 0;
	for (uint32_t b = 0; b < p->buckets; b++)
		out->buckets[b] = 0;
	for (uint32_t i = 0; i < in->n; i++) {
		float v = in->x[i];
		if (v != v)
			return VECTOR_NAN;
		if (v < p->min) {
			out->underflow++;
		} else if (v >= p->max) {
			out->overflow++;
		} else {
			uint32_t b = (uint32_t)((v - p->min) / (p->max - p->min)
						* (float)p->buckets);
			out->buckets[b < p->buckets ? b : p->buckets - 1]++;
		}
	}
	return 0;
}

#endif /* KERNELS_VECTOR_H */
