/* device-proxy.c - the executor's side of a device kernel: each batch
 * pushed into the device actor's input ring and the results it puts in
 * its output ring emitted, in order (or over a device link). */
#include "config.h"

#include <stdio.h>

#include "clock.h"
#include "device-host.h"
#include "device.h"
#include "executor.h"

/* Run `n` messages of the right size through the device and emit the
 * results in order.  Returns the failures; when the device is lost,
 * every message without a result counts as failed.  Results of
 * messages that came over a device link may come in between. */
static int run_on_device(rk_kernel *k, const rk_msg *msgs, size_t n,
			 size_t offset)
{
	struct rk_device_actor *da = k->device;
	uint64_t pushed = 0, done = 0;
	int failed = 0;
	rk_error rc = RK_OK;

	if (da->link_out)
		return rk_link_run(k, msgs, n, offset);
	while (done < n) {
		if (pushed < n)
			pushed += rk_dev_push(da->a, msgs + pushed, n - pushed);
		rc = rk_dev_wait_results(da->a, 1,
					 rk_deadline(da->devices->timeout_s));
		if (rc != RK_OK)
			break;
		uint64_t ready = rk_dev_results(da->a);
		for (uint64_t i = 0; i < ready; i++) {
			rk_slot_header *h = rk_dev_result(da->a, i);
			if (h->flags & RK_SLOT_LINKED) {
				rk_link_result(k, h);
				continue;
			}
			const rk_msg *m = &msgs[done++];
			k->ctx.current = m;
			if (h->flags & RK_SLOT_FAILED) {
				char why[128];
				rk_device_error_text(da->dk, h->type_tag, why,
						     sizeof(why));
				rk_ctx_error(&k->ctx, "%s", why);
				k->batch_index = offset + done - 1;
				failed++;
			} else {
				rk_ctx_emit(&k->ctx, h + 1, h->length);
			}
			if (k->emits_markers)
				rk_executor_mark_done(k, m->priority);
		}
		rk_dev_release(da->a, ready);
	}
	k->ctx.current = NULL;
	if (rc != RK_OK) {
		/* The rest of the batch is lost with the device. */
		da->lost = true;
		k->batch_index = offset + done;
		rk_ctx_error(&k->ctx, "%s", rc == RK_ETIMEDOUT
			     ? "the device returned no result in time"
			     : "the device left its loop");
		failed += (int)(n - done);
	}
	return failed;
}

int rk_device_process_batch(rk_kernel *k, const rk_msg *msgs, size_t n)
{
	size_t start = 0;
	int failed = 0;

	if (k->device->lost)
		return (int)n;
	/* Messages not of the kernel's input size (raw sends through the
	 * C API) fail here; the rest go to the device in runs. */
	for (size_t i = 0; i <= n; i++) {
		if (i < n && msgs[i].len == k->device->dk->in_size)
			continue;
		if (i > start && k->device->lost) {
			failed += (int)(i - start);
		} else if (i > start) {
			failed += run_on_device(k, msgs + start, i - start,
						start);
		}
		if (i < n) {
			k->ctx.current = &msgs[i];
			rk_ctx_error(&k->ctx, "a message of %zu bytes; the "
				     "device takes %u", msgs[i].len,
				     k->device->dk->in_size);
			k->batch_index = i;
			if (k->emits_markers)
				rk_executor_mark_done(k, msgs[i].priority);
			k->ctx.current = NULL;
			failed++;
		}
		start = i + 1;
	}
	return failed;
}
