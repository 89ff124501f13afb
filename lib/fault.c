/* fault.c - catching faults of kernel code on kernel threads; see
 * fault.h.  The handler runs on the thread's alternate stack and jumps
 * back to the executor with siglongjmp: the kernel's own state may be
 * broken after that, which is why the kernel is failed, its fini is
 * never called, and what it held is left as it is. */
#include "config.h"

#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <ucontext.h>
#include <unistd.h>

#include "fault.h"
#include "rk-error.h"
#include "ringkernel.h"

static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
#define N_FAULT_SIGNALS (sizeof(fault_signals) / sizeof(fault_signals[0]))

/* Up to four executable segments of libringkernel: where a fault is the
 * runtime's own. */
static struct { uintptr_t start, end; } runtime_text[4];
static size_t n_runtime_text;
static bool installed;

static _Thread_local rk_fault_guard *armed;
_Thread_local bool rk_in_kernel_code;
_Thread_local const char *rk_kernel_thread_id;
_Thread_local const char *rk_kernel_function;

static int find_runtime_text(struct dl_phdr_info *info, size_t size,
			     void *self)
{
	bool ours = false;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && (uintptr_t)self >= start
		    && (uintptr_t)self < start + ph->p_memsz)
			ours = true;
	}
	if (!ours)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)
		    || n_runtime_text == sizeof(runtime_text)
					 / sizeof(runtime_text[0]))
			continue;
		runtime_text[n_runtime_text].start = info->dlpi_addr + ph->p_vaddr;
		runtime_text[n_runtime_text].end = info->dlpi_addr + ph->p_vaddr
						   + ph->p_memsz;
		n_runtime_text++;
	}
	return 1;
}

/* The instruction that faulted, where this machine says. */
static uintptr_t fault_pc(const void *context)
{
	const ucontext_t *uc = context;
#if defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return (uintptr_t)uc->uc_mcontext.pc;
#else
	(void)uc;
	return 0;                       /* unknown: trust the guard */
#endif
}

static bool in_runtime(uintptr_t pc)
{
	for (size_t i = 0; i < n_runtime_text; i++)
		if (pc >= runtime_text[i].start && pc < runtime_text[i].end)
			return true;
	return false;
}

static void on_fault(int sig, siginfo_t *info, void *context)
{
	rk_fault_guard *guard = armed;

	/* Sent by kill(), or not a kernel's own fault: the default. */
	if (!guard || !rk_in_kernel_code || info->si_code <= 0
	    || in_runtime(fault_pc(context))) {
		signal(sig, SIG_DFL);
		if (info->si_code <= 0)
			raise(sig);
		return;                 /* the instruction faults again */
	}
	armed = NULL;
	rk_in_kernel_code = false;
	guard->signal = sig;
	guard->address = info->si_addr;
	guard->function = rk_kernel_function;
	siglongjmp(guard->jump, sig);
}

rk_error rk_isolate_faults(void)
{
	struct sigaction sa = { .sa_sigaction = on_fault,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };

	/* Again after a library that installs its own (MPI does): the
	 * text ranges are found once. */
	if (!installed)
		dl_iterate_phdr(find_runtime_text, (void *)(uintptr_t)on_fault);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_FAULT_SIGNALS; i++)
		if (sigaction(fault_signals[i], &sa, NULL) != 0)
			return rk_fail(RK_EINVAL, "cannot catch signal %d",
				       fault_signals[i]);
	installed = true;
	return RK_OK;
}

const char *rk_exiting_kernel(void)
{
	return rk_in_kernel_code ? rk_kernel_thread_id : NULL;
}

/* An abort() is not isolated: glibc aborts on a corrupt heap while it
 * holds the arena's lock, and jumping out would leave every later
 * malloc waiting for ever.  The host only learns whose it was. */
static void (*abort_hook)(const char *kernel);

static void on_abort(int sig, siginfo_t *info, void *context)
{
	(void)context;
	if (abort_hook && info->si_code == SI_TKILL && info->si_pid == getpid()
	    && rk_in_kernel_code && rk_kernel_thread_id)
		abort_hook(rk_kernel_thread_id);
	signal(sig, SIG_DFL);
	raise(sig);
}

rk_error rk_on_kernel_abort(void (*hook)(const char *kernel))
{
	struct sigaction sa = { .sa_sigaction = on_abort,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };

	sigemptyset(&sa.sa_mask);
	abort_hook = hook;
	if (sigaction(SIGABRT, &sa, NULL) != 0)
		return rk_fail(RK_EINVAL, "cannot catch signal %d", SIGABRT);
	return RK_OK;
}

void rk_fault_arm(rk_fault_guard *guard)
{
	guard->alt_stack = NULL;
	guard->signal = 0;
	guard->function = NULL;
	if (!installed)
		return;
	/* The handler's own stack, so that a kernel that overflows its
	 * stack is caught too. */
	size_t size = 64 * 1024;
	stack_t ss = { .ss_size = size };
	if ((ss.ss_sp = guard->alt_stack = malloc(size)) != NULL
	    && sigaltstack(&ss, &guard->old_stack) != 0) {
		free(guard->alt_stack);
		guard->alt_stack = NULL;
	}
	armed = guard;
}

void rk_fault_disarm(rk_fault_guard *guard)
{
	armed = NULL;
	if (guard->alt_stack) {
		/* Back to the stack the thread had; none: off. */
		stack_t back = guard->old_stack;
		if (back.ss_flags & SS_DISABLE)
			back = (stack_t){ .ss_flags = SS_DISABLE };
		back.ss_flags &= ~SS_ONSTACK;
		sigaltstack(&back, NULL);
		free(guard->alt_stack);
		guard->alt_stack = NULL;
	}
}

void rk_fault_nest(rk_fault_guard *guard, rk_fault_guard **outer)
{
	guard->alt_stack = NULL;
	guard->signal = 0;
	guard->function = NULL;
	guard->address = NULL;
	*outer = armed;
	if (armed)
		armed = guard;
}

void rk_fault_unnest(rk_fault_guard *outer)
{
	armed = outer;
}

void rk_fault_landed(void)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < N_FAULT_SIGNALS; i++)
		sigaddset(&set, fault_signals[i]);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void rk_fault_disarm_thread(void)
{
	if (armed)
		rk_fault_disarm(armed);
}
