/* device-host.h - the host's side of the device actor protocol
 * (ringkernel-device.h): requests confirmed through the command epoch, and
 * batches pushed into and taken from the actor's rings.
 *
 * The device cannot wake a host thread, so the host polls: it spins a
 * little, then sleeps in growing steps.  Every wait has a deadline, and
 * every wait gives up early when the device has left its loop.
 */
#ifndef RK_DEVICE_HOST_H
#define RK_DEVICE_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "ringkernel-device.h"
#include "ringkernel-plugin.h"
#include "ringkernel.h"

/* A poller's backoff: spin, yield, then sleep up to max_ns. */
typedef struct rk_dev_backoff {
	uint32_t round;
	uint32_t max_ns;
} rk_dev_backoff;

void rk_dev_backoff_wait(rk_dev_backoff *b);

/* Ask the device for `state` (RK_DEV_*) and wait for its
 * acknowledgement.  RK_OK; RK_ETIMEDOUT past the deadline; RK_EKERNEL
 * when the device left its loop without acknowledging. */
rk_error rk_dev_command(rk_dev_actor *a, uint32_t state, uint64_t deadline_ns);

/* Copy up to `n` messages into the input ring, as many as fit now, and
 * publish them together.  Returns how many went in; a message whose
 * size is not the actor's input size is not pushed (the caller checks
 * sizes first). */
uint64_t rk_dev_push(rk_dev_actor *a, const rk_msg *msgs, uint64_t n);

/* Results ready in the output ring now. */
uint64_t rk_dev_results(rk_dev_actor *a);

/* The `i`th ready result (i < rk_dev_results), and giving `n` back. */
rk_slot_header *rk_dev_result(rk_dev_actor *a, uint64_t i);
void rk_dev_release(rk_dev_actor *a, uint64_t n);

/* Wait until at least `n` results are ready: RK_OK, RK_ETIMEDOUT, or
 * RK_EKERNEL when the device left its loop first. */
rk_error rk_dev_wait_results(rk_dev_actor *a, uint64_t n,
			     uint64_t deadline_ns);

/* Wait for the device to leave its loop (after TERMINATED or abort). */
bool rk_dev_wait_finished(rk_dev_actor *a, uint64_t deadline_ns);

static inline bool rk_dev_finished(rk_dev_actor *a)
{
	return __atomic_load_n(&a->cb.finished, __ATOMIC_ACQUIRE) != 0;
}

/* A snapshot of the device's counter (the device writes them). */
static inline uint64_t rk_dev_counter(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_ACQUIRE);
}

#endif /* RK_DEVICE_HOST_H */
