/* all-kinds.h - message types shared by the codec tests and the codec
 * fuzz target: one field of every scalar kind, and arrays (fixed and
 * variable). */
#ifndef RK_TEST_ALL_KINDS_H
#define RK_TEST_ALL_KINDS_H

#include <stdbool.h>
#include <stdint.h>

#include <ringkernel.h>

struct all {
	bool b;
	int8_t i8;
	int16_t i16;
	int32_t i32;
	int64_t i64;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	float f32;
	double f64;
};
static const rk_field all_fields[] = {
	RK_FIELD(struct all, b, RK_KIND_BOOL),
	RK_FIELD(struct all, i8, RK_KIND_I8),
	RK_FIELD(struct all, i16, RK_KIND_I16),
	RK_FIELD(struct all, i32, RK_KIND_I32),
	RK_FIELD(struct all, i64, RK_KIND_I64),
	RK_FIELD(struct all, u8, RK_KIND_U8),
	RK_FIELD(struct all, u16, RK_KIND_U16),
	RK_FIELD(struct all, u32, RK_KIND_U32),
	RK_FIELD(struct all, u64, RK_KIND_U64),
	RK_FIELD(struct all, f32, RK_KIND_F32),
	RK_FIELD(struct all, f64, RK_KIND_F64),
};
static const rk_type all_type = RK_TYPE(struct all, "all", all_fields);

struct arrays {
	int32_t fixed[3];
	uint32_t n;
	float v[4];
	double d;
};
static const rk_field array_fields[] = {
	RK_FIELD_ARRAY(struct arrays, fixed, RK_KIND_I32),
	RK_FIELD_VARRAY(struct arrays, v, RK_KIND_F32, n),
	RK_FIELD(struct arrays, d, RK_KIND_F64),
};
static const rk_type array_type = RK_TYPE(struct arrays, "arrays",
					  array_fields);

#endif
