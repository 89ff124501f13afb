/* device-launch.c - starting a device's loop: in a host thread for the
 * emulated device, and again and again in relaunch mode, where a
 * watchdog would end a loop that never returns (a display's GPU): the
 * loop is bounded there (the actor's `bounded`), and whoever waits for
 * the device launches it when its last launch has returned and work
 * waits (rk_device_kick, called by every wait's watch). */
#include "config.h"

#include <pthread.h>
#include <stdio.h>

#include "device-host.h"

/* The emulated device's stream: a loop that returns has ended; a
 * thread that exits under it (a test's pthread_exit, as __trap() on a
 * GPU) is a kernel that failed. */
static void emulated_fault(void *arg)
{
	struct rk_device_actor *da = arg;

	__atomic_store_n(&da->exited, RK_EMU_FAULTED, __ATOMIC_RELEASE);
}

static void *emulated_device(void *arg)
{
	struct rk_device_actor *da = arg;

	pthread_cleanup_push(emulated_fault, da);
	da->dk->host_loop(da->a);
	pthread_cleanup_pop(0);
	__atomic_store_n(&da->exited, RK_EMU_RETURNED, __ATOMIC_RELEASE);
	return NULL;
}

bool rk_device_emulated_launch(struct rk_device_actor *da)
{
	if (pthread_create(&da->thread, NULL, emulated_device, da) != 0)
		return false;
	pthread_setname_np(da->thread, da->thread_name);
	da->thread_started = true;
	da->launches++;
	return true;
}

/* Whether a bounded loop has something to do: a request to apply (an
 * abort among them), or input while active. */
static bool work_waits(struct rk_device_actor *da)
{
	rk_dev_actor *a = da->a;
	uint32_t command = __atomic_load_n(&a->cb.command, __ATOMIC_ACQUIRE);

	if (rk_dev_finished(a))
		return false;
	if ((command & RK_DEV_ABORT)
	    || RK_DEV_EPOCH(command)
	       != __atomic_load_n(&a->cb.acked_epoch, __ATOMIC_ACQUIRE))
		return true;
	return da->followed == RK_DEV_ACTIVE
	       && rk_ring_depth(rk_dev_in(a)) > 0;
}

/* The emulated loop's thread has returned: join it, start another. */
static void relaunch_emulated(struct rk_device_actor *da)
{
	int exited = __atomic_load_n(&da->exited, __ATOMIC_ACQUIRE);

	if (exited == RK_EMU_FAULTED
	    || (exited == RK_EMU_RUNNING && da->thread_started))
		return;
	if (da->thread_started) {
		pthread_join(da->thread, NULL);
		da->thread_started = false;
	}
	__atomic_store_n(&da->exited, RK_EMU_RUNNING, __ATOMIC_RELEASE);
	rk_device_emulated_launch(da);
}

/* The GPU's last launch has returned: launch the loop again.  One that
 * failed is left for the watch to tell. */
static void relaunch_gpu(struct rk_device_actor *da)
{
	char why[200];

	if (da->devices->ops->running(da->stream, why, sizeof(why)) != 0)
		return;
	if (da->devices->ops->relaunch(da->ck, da->device_address,
				       da->threads, da->stream, why,
				       sizeof(why)) != 0) {
		snprintf(da->fault, sizeof(da->fault), "%s", why);
		da->faulted = true;
		da->lost = true;
		return;
	}
	da->launches++;
}

void rk_device_kick(struct rk_device_actor *da)
{
	if (!da->devices->relaunch || !da->a || da->faulted
	    || !work_waits(da))
		return;
	pthread_mutex_lock(&da->lock);
	if (da->emulated)
		relaunch_emulated(da);
	else
		relaunch_gpu(da);
	pthread_mutex_unlock(&da->lock);
}
