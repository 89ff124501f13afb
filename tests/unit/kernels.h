/* kernels.h - small kernels the unit tests run: raw int64 messages. */
#ifndef TESTS_KERNELS_H
#define TESTS_KERNELS_H

#include <stdint.h>

#include <ringkernel.h>

extern const rk_kernel_desc test_doubler;       /* v -> 2v; overflow fails */
extern const rk_kernel_desc test_doubler_batch; /* the same, process_batch */
extern const rk_kernel_desc test_main_doubler;  /* the same, a main loop */
extern const rk_kernel_desc test_main_replier;  /* the same, rk_ctx_reply */
extern const rk_kernel_desc test_fail_every;    /* fails on multiples of every */
extern const rk_kernel_desc test_slow;          /* echoes after sleeping us */
extern const rk_kernel_desc test_stall;         /* echoes; stalls ms on one */
extern const rk_kernel_desc test_thread_exit;   /* pthread_exit on value 13 */
extern const rk_kernel_desc test_fail_init;     /* init always fails */
extern const rk_kernel_desc test_fanout;        /* emits v, then v again */
extern const rk_kernel_desc test_main_early;    /* main returns at once */
extern const rk_kernel_desc test_copies;        /* emits v % 3 copies of v */
extern const rk_kernel_desc test_counter;       /* stateful: flushes a count */

/* A runtime with the test kernels registered, telemetry on or off. */
rk_runtime *test_runtime(int telemetry, uint32_t queue_size);

/* Send one int64 / receive one int64, asserting success. */
void send_i64(rk_runtime *rt, const char *id, int64_t v);
int64_t recv_i64(rk_runtime *rt, const char *id);

/* CLOCK_MONOTONIC in seconds, to time a call. */
double test_now_s(void);

#endif /* TESTS_KERNELS_H */
