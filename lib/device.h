/* device.h - kernels that run on a device (the cuda backend).
 *
 * Such a kernel is an ordinary rk_kernel on the host: its ports,
 * priorities, backpressure, topology edges and lifecycle are the CPU
 * executor's.  Only its processing moves: the executor's thread is a
 * proxy that pushes each batch into the device actor's input ring and
 * emits the results the device puts in its output ring, in order.  The
 * state changes the executor applies are passed on to the device and
 * confirmed by it through the actor's command epoch.
 *
 * The device is a GPU through the rk-cuda.so module or, when the
 * environment says RK_CUDA_EMULATE, host threads running the same loop
 * compiled for the CPU: the protocol is then exercised end to end on a
 * machine without a GPU.
 */
#ifndef RK_DEVICE_H
#define RK_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "kernel.h"
#include "ringkernel.h"

struct rk_runtime;
struct rk_devices;

/* The backend a kernel runs on: `asked` (AUTO, CPU or CUDA) resolved
 * against what the kernel offers and what the machine has.  AUTO takes
 * the GPU only for a kernel with a device form on a machine with one;
 * CUDA fails with RK_EBACKEND naming why it cannot be had. */
rk_error rk_device_pick(struct rk_runtime *rt, const char *id,
			const rk_kernel_desc *desc, rk_backend asked,
			rk_backend *use);

/* Whether the runtime can run device kernels at all, and why not. */
rk_error rk_device_available(struct rk_runtime *rt);

/* Start the kernel's device actor (after init, before its executor). */
rk_error rk_device_attach(rk_kernel *k);

/* Stop it and free its memory (the executor, as it ends); what it left
 * unprocessed is counted dropped. */
void rk_device_detach(rk_kernel *k);

/* Detach if need be, and free what is left (kernel destroyed). */
void rk_device_free(rk_kernel *k);

/* The executor applies `state`: pass it on and wait for the device to
 * confirm.  False when the device did not (the kernel has failed). */
bool rk_device_follow(rk_kernel *k, rk_state state);

/* The device stopped answering: the executor must stop. */
bool rk_device_lost(const rk_kernel *k);

/* Process a batch on the device; returns how many messages failed. */
int rk_device_process_batch(rk_kernel *k, const rk_msg *msgs, size_t n);

/* Before k's first activation: give the edge to the kernel it feeds a
 * ring in device memory, when both run on the device and the edge is
 * theirs alone (device-link.c).  k's lock is held. */
void rk_device_link_plan(rk_kernel *k);

/* A kernel fed over a device link: results wait in its device's output
 * ring; emit them (the number handled); at the end of its input, wait
 * for all that the kernel before put on the link. */
bool rk_device_linked_pending(rk_kernel *k);
size_t rk_device_drain_linked(rk_kernel *k);
void rk_device_link_end(rk_kernel *k);

/* The device's part of a kernel's telemetry. */
void rk_device_telemetry(rk_kernel *k, rk_telemetry *t);

void rk_devices_free(struct rk_runtime *rt);

#endif /* RK_DEVICE_H */
