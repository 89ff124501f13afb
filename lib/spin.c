/* spin.c - each thread's judgement of whether spinning can help (see
 * spin.h). */
#include "config.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "event.h"
#include "spin.h"

_Thread_local rk_spin_contention rk_spin_thread;

/* The whole of a small /proc file, NUL-terminated; false if unread. */
static bool read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* /proc/loadavg: "0.45 2.30 2.94 3/109 25646": the runnable now. */
static long machine_runnable(void)
{
	char buf[128];
	char *slash;

	if (!read_small("/proc/loadavg", buf, sizeof(buf))
	    || !(slash = strchr(buf, '/')))
		return -1;
	while (slash > buf && slash[-1] != ' ')
		slash--;
	return strtol(slash, NULL, 10);
}

/* /proc/self/stat's 20th field, after the command in parentheses. */
static long own_threads(void)
{
	char buf[1024];
	char *p;

	if (!read_small("/proc/self/stat", buf, sizeof(buf))
	    || !(p = strrchr(buf, ')')))
		return -1;
	/* Field 3 follows ") "; step to the space before field 20. */
	for (int field = 3; field <= 20; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -1;
	}
	return strtol(p + 1, NULL, 10);
}

/* One count serves every thread for a millisecond: on two cores the
 * five threads of a three-stage pipeline yield long thousands of times a
 * second, and a count costs two reads of /proc (~13 us). */
#define OTHERS_FRESH_NS 1000000u

static uint64_t others_at;
static uint32_t others_then;

/* The process's cores and the machine's, read once: affinity 0 where
 * it cannot be read. */
static struct { uint32_t affinity, online; } cores;

static void count_cores(void)
{
	if (__atomic_load_n(&cores.online, __ATOMIC_ACQUIRE))
		return;
	cpu_set_t set;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t affinity = sched_getaffinity(0, sizeof(set), &set) == 0
			    ? (uint32_t)CPU_COUNT(&set) : 0;
	__atomic_store_n(&cores.affinity, affinity, __ATOMIC_RELAXED);
	__atomic_store_n(&cores.online, online > 0 ? (uint32_t)online : 1,
			 __ATOMIC_RELEASE);
}

uint32_t rk_spin_usable_cores(void)
{
	count_cores();
	uint32_t affinity = __atomic_load_n(&cores.affinity, __ATOMIC_RELAXED);
	return affinity ? affinity
			: __atomic_load_n(&cores.online, __ATOMIC_RELAXED);
}

/* Whether this process may run on every online core: else the
 * machine's runnable count says nothing of the cores it has (taskset, a
 * cpuset), and no thread is judged contended. */
static bool all_cores_ours(void)
{
	count_cores();
	uint32_t affinity = __atomic_load_n(&cores.affinity, __ATOMIC_RELAXED);
	return affinity
	       && affinity >= __atomic_load_n(&cores.online, __ATOMIC_RELAXED);
}

uint32_t rk_spin_others_runnable(void)
{
	uint64_t now = rk_now_ns();

	if (!all_cores_ours())
		return 0;
	uint64_t at = __atomic_load_n(&others_at, __ATOMIC_ACQUIRE);

	if (at && now - at < OTHERS_FRESH_NS)
		return __atomic_load_n(&others_then, __ATOMIC_RELAXED);

	long all = machine_runnable();
	long ours = own_threads();
	uint32_t others = 0;

	if (all >= 0 && ours >= 0) {
		long parked = __atomic_load_n(&rk_event_parked,
					      __ATOMIC_RELAXED);
		if (parked > 0)
			ours -= parked;
		others = all > ours ? (uint32_t)(all - ours) : 0;
	}
	__atomic_store_n(&others_then, others, __ATOMIC_RELAXED);
	__atomic_store_n(&others_at, rk_now_ns(), __ATOMIC_RELEASE);
	return others;
}

bool rk_spin_judge_yield(uint64_t now, uint64_t away_ns, uint32_t others)
{
	rk_spin_contention *c = &rk_spin_thread;

	/* A quick yield says nothing: the thread may just have had its
	 * turn, and the next will be long again. */
	if (away_ns < RK_SPIN_CONTENDED_NS)
		return false;
	if (others == 0) {
		/* Our own threads taking turns. */
		c->next_ns = 0;
		c->suspected_at = 0;
		return false;
	}
	/* Once may be a passer-by (a thread just woken that we count as
	 * parked, a short command): twice within a while, with none of
	 * our own turns between, is contention. */
	if (!c->suspected_at || now - c->suspected_at > RK_SPIN_SUSPECT_NS) {
		c->suspected_at = now;
		return false;
	}
	c->suspected_at = 0;
	/* Contended again soon after the last while: a longer one. */
	if (now > c->until + c->next_ns || c->next_ns < RK_SPIN_CONTENDED_MIN_NS)
		c->next_ns = RK_SPIN_CONTENDED_MIN_NS;
	c->until = now + c->next_ns;
	if (c->next_ns < RK_SPIN_CONTENDED_MAX_NS / 2)
		c->next_ns *= 2;
	c->seen++;
	return true;
}
