/* device-watch.c - is a device actor still alive?  One rule for every
 * wait on a device: it lives while its loop beats (the heartbeat moves
 * at the start of every batch and every 64 turns of its loop, busy or
 * idle) and its kernel has not failed.  A kernel that faults (an
 * illegal address, a trap, an Xid-class error) never says so through
 * the shared memory: only its stream does, so every wait asks the
 * stream too, and fails the kernel at once with the CUDA error rather
 * than after a time-out. */
#include "config.h"

#include <stdio.h>

#include "clock.h"
#include "device-host.h"

/* Asking a stream is a driver call, and the waits poll in a tight
 * loop: ask at most this often (a fault is noticed within ~1 ms). */
#define STREAM_LOOK_NS 1000000u

int rk_device_running(struct rk_device_actor *da, char *why, size_t len)
{
	if (da->emulated) {
		switch (__atomic_load_n(&da->exited, __ATOMIC_ACQUIRE)) {
		case RK_EMU_RUNNING:
			return 1;
		case RK_EMU_RETURNED:
			return 0;
		default:
			/* As CUDA words a kernel that trapped. */
			snprintf(why, len, "the persistent kernel failed: "
				 "unspecified launch failure (emulated: the "
				 "device loop's thread exited)");
			return -1;
		}
	}
	if (!da->stream)
		return 0;
	return da->devices->ops->running(da->stream, why, len);
}

void rk_dev_watch_begin(rk_dev_watch *w, struct rk_device_actor *da)
{
	w->da = da;
	if (!da)
		return;
	w->beat = rk_dev_counter(&da->a->cb.heartbeat);
	w->silent_until = rk_deadline(da->devices->timeout_s);
	w->next_look_ns = 0;
}

/* The first reason to give up on it stays: later ones follow from it. */
static void set_fault(struct rk_device_actor *da, const char *why)
{
	if (!da->fault[0])
		snprintf(da->fault, sizeof(da->fault), "%s", why);
}

rk_error rk_dev_watch_check(rk_dev_watch *w)
{
	struct rk_device_actor *da = w->da;
	uint64_t now, beat;
	char why[200];

	if (!da)
		return RK_OK;
	if (da->faulted)
		return RK_EKERNEL;
	/* Relaunch mode: whoever waits for the device launches it. */
	rk_device_kick(da);
	now = rk_now_ns();
	if (now >= w->next_look_ns) {
		w->next_look_ns = now + STREAM_LOOK_NS;
		if (rk_device_running(da, why, sizeof(why)) < 0) {
			set_fault(da, why);
			da->faulted = true;
			da->lost = true;
			return RK_EKERNEL;
		}
	}
	beat = rk_dev_counter(&da->a->cb.heartbeat);
	if (beat != w->beat) {
		w->beat = beat;
		w->silent_until = now + (uint64_t)(da->devices->timeout_s * 1e9);
		return RK_OK;
	}
	if (now < w->silent_until)
		return RK_OK;
	snprintf(why, sizeof(why), "the device stopped answering (its loop "
		 "did not beat for %g s)", da->devices->timeout_s);
	set_fault(da, why);
	da->lost = true;
	return RK_ETIMEDOUT;
}

const char *rk_device_why(struct rk_device_actor *da, rk_error rc)
{
	if (da->fault[0])
		return da->fault;
	return rc == RK_ETIMEDOUT ? "the device did not answer in time"
				  : "the device left its loop";
}
