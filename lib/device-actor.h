/* device-actor.h - what device.c and device-link.c share: the runtime's
 * view of the device, a kernel's device actor, and the device links
 * between actors.  Private to libringkernel. */
#ifndef RK_DEVICE_ACTOR_PRIVATE_H
#define RK_DEVICE_ACTOR_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "device-backend.h"
#include "kernel.h"
#include "ringkernel-device.h"

/* Device rings hold two of the executor's batches. */
#define DEVICE_RING 128
#define DEFAULT_THREADS 128
/* How long the device may take to confirm a request, return a batch
 * or stop before it counts as lost; RK_DEVICE_TIMEOUT (seconds) says
 * otherwise. */
#define DEVICE_TIMEOUT_S 10.0
/* MiB of pinned memory for device actors, and as much device memory
 * for device links, unless the runtime's options say. */
#define POOL_MB 64

/* What the runtime knows of the device: probed once, on first need. */
struct rk_devices {
	pthread_mutex_t lock;
	bool probed;
	rk_error status;                /* RK_OK: kernels may use it */
	char why[256];                  /* when not */
	bool emulated;
	void *module;                   /* rk-cuda.so */
	const rk_backend_ops *ops;
	rk_device_info info;
	double occupied;                /* multiprocessors taken */
	double timeout_s;
	uint32_t pool_mb;
	/* On a GPU: the memory taken once, carved for actors and links
	 * (device-pool.h). */
	struct rk_pool *actor_pool;
	uint8_t *actor_host, *actor_device;
	struct rk_pool *link_pool;
	uint8_t *link_device;
	/* GPU forms loaded before the first kernel started. */
	bool preloaded;
	void **modules;
	size_t n_modules;
};

/* A ring in device memory from one actor's loop to the next's
 * (ringkernel-device.h, "Device links").  Its two actors hold it; the
 * one that lets go last counts what was left on it. */
struct rk_device_link {
	pthread_mutex_t lock;
	uint32_t refs;
	void *ring;                     /* device address */
	size_t bytes;
	struct rk_devices *devices;
	char *from, *to;                /* kernel ids */
	/* Which kernel of that id: a failure that crossed the link is
	 * charged to it, never to a newcomer that took its id since. */
	uint64_t from_serial;
	const rk_device_kernel *from_dk;  /* its errors' texts */
	/* The producer's proxy: slots its device has put on the link, as
	 * the device counted them after the producer's last batch. */
	uint64_t slots_out;
	/* The consumer's executor: its device takes from the link now;
	 * it has stopped, having taken slots_taken. */
	uint32_t consumer_active;
	uint32_t consumer_gone;
	uint64_t slots_taken;
	bool producer_gone;
};

/* A kernel's device actor. */
struct rk_device_actor {
	rk_dev_actor *a;                /* the host's address */
	void *device_address;
	const rk_device_kernel *dk;
	struct rk_devices *devices;
	bool emulated;
	pthread_t thread;               /* emulated */
	bool thread_started;
	void *stream;                   /* on a GPU */
	void *companion;                /* the kernel's GPU module */
	double share;                   /* of a multiprocessor */
	uint32_t followed;              /* the state last confirmed */
	bool lost;
	size_t pool_offset, pool_bytes; /* its piece of actor_pool */
	/* Device links, set before the first activation of the producer
	 * (link_in: by another thread, hence atomic). */
	struct rk_device_link *link_in;
	struct rk_device_link *link_out;
	uint64_t link_seen;             /* slots from link_in handled */
	bool link_broken;               /* fed no more: input is dropped */
	char link_why[160];             /* why */
	/* Telemetry reads the actor's counters from client threads while
	 * the executor may be freeing it. */
	pthread_mutex_t lock;
};

/* A device link's ring of `bytes` from the runtime's link memory (on a
 * GPU; in emulation, the heap), and back. */
rk_error rk_devices_take_link(struct rk_devices *d, size_t bytes,
			      void **ring);
void rk_devices_give_link(struct rk_devices *d, void *ring, size_t bytes);

/* The text of device error `code` of a kernel. */
void rk_device_error_text(const rk_device_kernel *dk, unsigned code,
			  char *buf, size_t len);

/* The producer's proxy: run a batch through an actor whose results go
 * over its device link.  Returns the failures. */
int rk_link_run(rk_kernel *k, const rk_msg *msgs, size_t n, size_t offset);

/* The consumer's proxy: a result in the output ring of a message that
 * came over the link (RK_SLOT_LINKED): emit it, or report it failed. */
void rk_link_result(rk_kernel *k, const rk_slot_header *h);

/* The consumer's executor follows state `followed` (RK_DEV_*). */
void rk_link_follow(struct rk_device_actor *da, uint32_t followed);

/* The actor has stopped: let go of its links, counting what they
 * still held as dropped if it is the last to let go. */
void rk_link_detach(rk_kernel *k, struct rk_device_actor *da);

#endif /* RK_DEVICE_ACTOR_PRIVATE_H */
