/* executor-cpu.c - a CPU kernel's operations (kernel.h): its executor
 * calls the kernel's own functions, and nothing else comes in but its
 * inputs, so there is nothing to follow, drain, detach or lose. */
#include "config.h"

#include "fault.h"
#include "kernel.h"

static int cpu_process_batch(rk_kernel *k, const rk_msg *msgs, size_t n)
{
	rk_in_kernel_code = true;
	int failed = k->desc->process_batch(&k->ctx, msgs, n);
	rk_in_kernel_code = false;
	return failed;
}

static bool cpu_pending(rk_kernel *k)
{
	(void)k;
	return false;
}

/* The doorbell wakes it: sleep until then, after the usual spin. */
static uint64_t cpu_idle_deadline(rk_kernel *k, uint32_t *spin_ns)
{
	*spin_ns = k->spin_ns;
	return UINT64_MAX;
}

static bool cpu_follow(rk_kernel *k, rk_state state)
{
	(void)k;
	(void)state;
	return true;
}

static void cpu_nothing(rk_kernel *k)
{
	(void)k;
}

static size_t cpu_drain(rk_kernel *k)
{
	(void)k;
	return 0;
}

static bool cpu_lost(const rk_kernel *k)
{
	(void)k;
	return false;
}

#define CPU_OPS(batch) {						\
	.process_batch = (batch), .pending = cpu_pending,		\
	.idle_deadline = cpu_idle_deadline, .follow = cpu_follow,	\
	.end_of_input = cpu_nothing, .drain = cpu_drain,		\
	.detach = cpu_nothing, .lost = cpu_lost, .release = cpu_nothing,	\
}

/* A kernel with process_batch takes its messages in batches; one with
 * process (or main) one at a time. */
static const rk_kernel_ops cpu_batch_ops = CPU_OPS(cpu_process_batch);
static const rk_kernel_ops cpu_message_ops = CPU_OPS(NULL);

const rk_kernel_ops *rk_cpu_ops(const rk_kernel_desc *desc)
{
	return desc->process_batch ? &cpu_batch_ops : &cpu_message_ops;
}
