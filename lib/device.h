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

/* Its operations once attached: the executor becomes the proxy of the
 * device actor (device-proxy.c). */
extern const rk_kernel_ops rk_device_ops;

/* Before k's first activation: give the edge to the kernel it feeds a
 * ring in device memory, when both run on the device and the edge is
 * theirs alone (device-link.c).  k's lock is held. */
void rk_device_link_plan(rk_kernel *k);

/* The device's part of a kernel's telemetry. */
void rk_device_telemetry(rk_kernel *k, rk_telemetry *t);

void rk_devices_free(struct rk_runtime *rt);

/* Kernels were registered: once a GPU kernel has been launched, load
 * their GPU forms now (rt->lock not held). */
void rk_devices_registered(struct rk_runtime *rt);

/* A device kernel would not stop and runs on: its runtime must not be
 * freed under it. */
bool rk_devices_busy(struct rk_runtime *rt);

#endif /* RK_DEVICE_H */
